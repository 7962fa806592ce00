/**
 * `npm test`: typecheck, lint, then the test layers from fastest to slowest, each timed, and a summary
 * of the time per layer. Stops at the first layer that fails (its output says why).
 *
 * Layers (each also runs alone: `npm run test:<layer>`): unit (pure lib and edge modules), handlers
 * (every route in process over the in-memory store), integration (DynamoDB Local, real servers, the
 * packaged template), e2e (HTTP over `npm start` stacks).
 */
import { spawnSync } from 'node:child_process';

const steps = ['typecheck', 'lint', 'test:unit', 'test:handlers', 'test:integration', 'test:e2e'];
const times: [string, number][] = [];
const started = performance.now();
let failed: string | undefined;
for (const step of steps) {
  const begin = performance.now();
  const result = spawnSync('npm', ['run', '--silent', step], { stdio: 'inherit' });
  times.push([step, (performance.now() - begin) / 1000]);
  if (result.status !== 0) {
    failed = step;
    break;
  }
}
const total = (performance.now() - started) / 1000;
console.log('\ntime per layer:');
for (const [step, seconds] of times) console.log(`  ${step.padEnd(18)} ${seconds.toFixed(1).padStart(6)} s`);
console.log(
  `  ${'total'.padEnd(18)} ${total.toFixed(1).padStart(6)} s${failed ? `  (${failed} failed)` : ''}`,
);
process.exit(failed ? 1 : 0);
