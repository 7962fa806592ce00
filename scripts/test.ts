/**
 * `npm test`: typecheck, lint and the test layers, each timed, and a summary of the time per layer.
 *
 * Layers (each also runs alone: `npm run test:<layer>`): unit (pure lib and edge modules), handlers
 * (every route in process over the in-memory store), integration (DynamoDB Local, real servers, the
 * packaged template), e2e (HTTP over `npm start` stacks).
 *
 * Two phases, the second only when the first passed: typecheck → lint → integration next to unit →
 * handlers (the typecheck and the unit layers are one single-threaded process each, so both cores
 * work); then e2e alone, because it keeps both cores busy by itself and its tests judge timing
 * (timeouts, long-polls) that a machine loaded twice over would fail. A stream stops at its first
 * failing layer. Each layer's output is held and printed whole when it ends, so streams never
 * interleave. One DynamoDB Local serves integration and e2e (TEST_DYNAMODB_ENDPOINT; every test uses
 * tables of its own); it starts with the run, so Java boots during the typecheck.
 */
import { startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { runChild } from './child.ts';

const PHASES = [
  [
    ['typecheck', 'lint', 'test:integration'],
    ['test:unit', 'test:handlers'],
  ],
  [['test:e2e']],
];
const NEEDS_DATABASE = new Set(['test:integration', 'test:e2e']);

const started = performance.now();
const database = startDynamoDbLocal();
database.catch(() => {}); // awaited (and reported) by the first layer that needs it
const times = new Map<string, number>();
const failed: string[] = [];

async function stream(steps: string[]): Promise<void> {
  for (const step of steps) {
    const begin = performance.now();
    let env = process.env;
    if (NEEDS_DATABASE.has(step)) {
      try {
        env = { ...process.env, TEST_DYNAMODB_ENDPOINT: (await database).endpoint };
      } catch (error) {
        console.log(`── ${step}: DynamoDB Local did not start: ${String(error)}`);
        failed.push(step);
        return;
      }
    }
    const { code: status, output } = await runChild('npm', ['run', '--silent', step], env, true);
    const seconds = (performance.now() - begin) / 1000;
    times.set(step, seconds);
    console.log(`\n── ${step} ${status === 0 ? 'passed' : 'FAILED'} in ${seconds.toFixed(1)} s ──`);
    process.stdout.write(output);
    if (status !== 0) {
      failed.push(step);
      return;
    }
  }
}

try {
  for (const streams of PHASES) {
    await Promise.all(streams.map(stream));
    if (failed.length) break;
  }
} finally {
  await (await database.catch(() => undefined))?.stop();
}
const total = (performance.now() - started) / 1000;
console.log('\ntime per layer (typecheck, lint and integration next to unit and handlers, then e2e):');
for (const step of PHASES.flat(2)) {
  const seconds = times.get(step);
  console.log(`  ${step.padEnd(18)} ${seconds === undefined ? '     —' : seconds.toFixed(1).padStart(6)} s`);
}
console.log(
  `  ${'total'.padEnd(18)} ${total.toFixed(1).padStart(6)} s${failed.length ? `  (${failed.join(', ')} failed)` : ''}`,
);
process.exit(failed.length ? 1 : 0);
