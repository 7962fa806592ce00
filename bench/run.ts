/**
 * `npm run bench`: every bench/*.bench.ts in turn. Each file runs in a process of its own so that
 * one file's heap does not slow the next; each ratio is of two timings taken in the same process.
 * A file may ask for node flags with a line `// bench-flags: --flag ...` (e.g. the CPU-time rows
 * run with `--expose-gc --single-threaded-gc`, so that no GC helper thread's work lands in them).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('./', import.meta.url));
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort();
let failed = false;
for (const file of files) {
  const flags =
    /^\/\/ bench-flags: (.+)$/m.exec(readFileSync(`${here}${file}`, 'utf8'))?.[1]?.split(/\s+/) ?? [];
  const run = spawnSync(process.execPath, [...flags, '--import', 'tsx', `${here}${file}`], {
    stdio: 'inherit',
    // Handlers publish CloudWatch metrics as EMF lines on stdout; in a bench they would bury the rows.
    env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  if (run.status !== 0) {
    console.error(`${file}: exited with ${run.status ?? run.signal}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
