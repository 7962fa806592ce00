/** watch: follows GET /changes with long polls, one line per change. */
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import type { ClientFactory } from '../main.ts';
import { paint, print, statusText } from '../output.ts';
import type { Changes, MergedView } from '../types.ts';

const CHANGE_STYLE = { added: 'green', updated: 'yellow', removed: 'red' } as const;

export function registerWatch(root: Command, client: ClientFactory): void {
  root
    .command('watch')
    .description('follow the merged view: a line per change (GET /changes long poll) until interrupted')
    .option('--since <revision>', 'start after this revision (default: the current one)')
    .option('--once', 'stop after the first batch of changes')
    .action(async (options: { since?: string; once?: boolean }) => {
      const api = client();
      const current = async () => (await api.call<MergedView>('GET', '/services')).body.revision;
      let since = options.since !== undefined ? Number(options.since) : await current();
      if (!Number.isSafeInteger(since) || since < 0) throw new CliError('--since must be a revision number');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      while (!stop.signal.aborted) {
        let reply: Changes;
        try {
          reply = (await api.call<Changes>('GET', `/changes?since=${since}&wait=20`, undefined, stop.signal))
            .body;
        } catch (error) {
          if ((error as Error).name === 'AbortError') break;
          // History older than the retention: start again from the current view, and say so.
          if (error instanceof CliError && /^Revision(Expired|NotFound):/.test(error.message)) {
            since = await current();
            print(`resync: history not available, now at revision ${since}`);
            continue;
          }
          throw error;
        }
        for (const change of reply.changes) {
          print(
            `${reply.revision} ${paint(CHANGE_STYLE[change.change], change.change.padEnd(7))} ${change.hostname} (${change.registry})`,
          );
        }
        for (const entry of reply.registries) {
          const status = entry.registry ? ` ${statusText(entry.registry.status)}` : '';
          print(`${reply.revision} registry ${entry.name} ${entry.change}${status}`);
        }
        since = reply.revision;
        if (options.once && (reply.changes.length > 0 || reply.registries.length > 0)) break;
      }
    });
}
