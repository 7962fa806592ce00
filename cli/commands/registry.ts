/** Registry administration: put, rm, rotate-token, and refresh. */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError } from '../client.ts';
import type { ClientFactory } from '../main.ts';
import { note, print } from '../output.ts';
import type { CreatedRegistry, IngestToken, RefreshResult, RegistryView } from '../types.ts';

const integer = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number of seconds');
  return Number(value);
};

interface PutOptions {
  clusterId?: string;
  provider?: string;
  network?: string;
  description?: string;
  sourceFile?: string;
  refreshSeconds?: number;
  maxAgeSeconds?: number;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}

export function registerRegistry(root: Command, client: ClientFactory): void {
  const registry = root.command('registry').description('create, change or delete a registry (admin token)');

  registry
    .command('put <name>')
    .description("create or replace a registry's settings; prints a new registry's ingest token once")
    .option('--cluster-id <id>', 'the cluster its services belong to ("" for none)')
    .option('--provider <provider>', 'e.g. kubernetes, consul, static')
    .option('--network <network>', 'the Istio network its endpoints are reachable on')
    .option('--description <text>', 'free text')
    .option('--source-file <json>', 'a JSON file with the source the scheduled refresh pulls from')
    .option('--refresh-seconds <n>', 'how often to pull the source', integer)
    .option('--max-age-seconds <n>', 'after how long without confirmation the snapshot is stale', integer)
    .action(async (name: string, options: PutOptions) => {
      const body = {
        ...(options.clusterId !== undefined ? { clusterId: options.clusterId } : {}),
        ...(options.provider !== undefined ? { provider: options.provider } : {}),
        ...(options.network !== undefined ? { network: options.network } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.sourceFile !== undefined
          ? { source: readJsonFile(options.sourceFile, 'source file') }
          : {}),
        ...(options.refreshSeconds !== undefined ? { refreshSeconds: options.refreshSeconds } : {}),
        ...(options.maxAgeSeconds !== undefined ? { maxAgeSeconds: options.maxAgeSeconds } : {}),
      };
      // The deployment's stage decides where SSM references may point; the API checks that part.
      // Loaded on use: zod's schemas would double the start time of every other command.
      const [{ registryBodySchemaFor }, { parseWith }] = await Promise.all([
        import('#lib/registry-schema.ts'),
        import('#lib/schemas.ts'),
      ]);
      const parsed = parseWith(registryBodySchemaFor({ ssmPrefix: '/' }), body);
      if (!parsed.ok) throw new CliError(`invalid registry settings: ${parsed.message}`);
      const { status, body: reply } = await client().call<CreatedRegistry | RegistryView>(
        'PUT',
        `/registries/${encodeURIComponent(name)}`,
        body,
      );
      if (status === 201 && 'ingestToken' in reply) {
        note(`created registry ${name} at position ${reply.position}; its ingest token (shown once):`);
        print(reply.ingestToken);
      } else {
        note(`updated registry ${name}`);
      }
    });

  registry
    .command('rm <name>')
    .alias('delete')
    .description('delete a registry; its services leave the merged view at once')
    .action(async (name: string) => {
      await client().call('DELETE', `/registries/${encodeURIComponent(name)}`);
      note(`deleted registry ${name}`);
    });

  registry
    .command('rotate-token <name>')
    .description("replace a registry's ingest token; prints the new one (the old one stops working at once)")
    .action(async (name: string) => {
      const { body } = await client().call<IngestToken>(
        'POST',
        `/registries/${encodeURIComponent(name)}/token`,
      );
      print(body.ingestToken);
    });

  root
    .command('refresh <name>')
    .description('refresh a registry from its source now (admin token)')
    .action(async (name: string) => {
      const { body } = await client().call<RefreshResult>(
        'POST',
        `/registries/${encodeURIComponent(name)}/refresh`,
      );
      if (body.outcome === 'failed')
        throw new CliError(`refresh of ${name} failed: ${body.error ?? 'unknown error'}`);
      print(`${name}: ${body.outcome} (generation ${body.generation})`);
    });
}
