/**
 * `aggregate-registry`: the API from a shell. Every command prints its result on stdout (tables, or JSON
 * with --json), notes on stderr, and exits non-zero with one line naming the API's code on any error.
 */
import { Command, CommanderError } from 'commander';
import { CliError, Client } from './client.ts';
import { registerPush } from './commands/push.ts';
import { registerReads } from './commands/reads.ts';
import { registerRegistry } from './commands/registry.ts';
import { registerWatch } from './commands/watch.ts';
import { note } from './output.ts';

export type ClientFactory = () => Client;

export function program(): Command {
  const root = new Command('aggregate-registry')
    .description('Operate an aggregate-registry deployment: registries, snapshots and the merged view')
    .option(
      '--url <url>',
      'the API (env AGGREGATE_REGISTRY_URL)',
      process.env.AGGREGATE_REGISTRY_URL ?? 'http://localhost:3000',
    )
    .option('--token <token>', 'a bearer token: admin, reader or ingest (env AGGREGATE_REGISTRY_TOKEN)')
    .showHelpAfterError()
    .exitOverride();
  const client: ClientFactory = () => {
    const { url, token } = root.opts<{ url: string; token?: string }>();
    return new Client({ url, token: token ?? process.env.AGGREGATE_REGISTRY_TOKEN });
  };
  registerReads(root, client);
  registerRegistry(root, client);
  registerPush(root, client);
  registerWatch(root, client);
  for (const command of root.commands) command.exitOverride();
  return root;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander has printed the usage problem already.
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
        ? 0
        : error.exitCode || 2;
    }
    if (error instanceof CliError) {
      note(`error: ${error.message}`);
      return error.exitCode;
    }
    note(`error: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
