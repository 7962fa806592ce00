/** push: a snapshot from a file or stdin, validated here first, sent gzip. */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import type { ClientFactory } from '../main.ts';
import { print } from '../output.ts';
import type { SnapshotWrite } from '../types.ts';

const PROGRESS_FROM_BYTES = 1024 * 1024;

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** A snapshot body, or a bare array of services; checked with the schema the API validates with. */
export async function snapshotFrom(text: string, file: string) {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const body = Array.isArray(input) ? { services: input } : input;
  // Loaded here, not at start-up: zod's schemas are half of the CLI's start time, and only push and
  // registry put check a body.
  const { parseWith, snapshotBodySchema } = await import('#lib/schemas.ts');
  const parsed = parseWith(snapshotBodySchema(), body);
  if (!parsed.ok) throw new CliError(`invalid snapshot in ${file}: ${parsed.message}`);
  return parsed.value;
}

export function registerPush(root: Command, client: ClientFactory): void {
  root
    .command('push <name> <file>')
    .description(
      "replace a registry's services with a snapshot file (a body {services, generation?} or a bare array; - for stdin)",
    )
    .action(async (name: string, file: string) => {
      const text = readInput(file);
      await snapshotFrom(text, file === '-' ? 'stdin' : file);
      // A bare array is wrapped on the way, so the API always receives a snapshot body.
      const json = text.trimStart().startsWith('[') ? `{"services":${text}}` : text;
      const bytes = gzipSync(Buffer.from(json, 'utf8'));
      const showProgress = Boolean(process.stderr.isTTY) && Buffer.byteLength(text) >= PROGRESS_FROM_BYTES;
      let bar = showProgress
        ? new SingleBar({
            format: 'uploading [{bar}] {percentage}% {value}/{total} bytes',
            stream: process.stderr,
          })
        : undefined;
      bar?.start(bytes.length, 0);
      try {
        const { body } = await client().send<SnapshotWrite>(
          'PUT',
          `/registries/${encodeURIComponent(name)}/snapshot`,
          bytes,
          { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          (sent) => bar?.update(sent),
        );
        bar?.stop();
        bar = undefined;
        print(`${body.registry}: generation ${body.generation}, ${body.serviceCount} services`);
      } finally {
        bar?.stop();
      }
    });
}
