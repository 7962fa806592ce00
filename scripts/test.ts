/**
 * `npm test`: typecheck, lint and the test layers, each timed, and a summary of the time per layer.
 *
 * Layers (each also runs alone: `npm run test:<layer>`): unit (pure lib and edge modules), handlers
 * (every route in process over the in-memory store), integration (DynamoDB Local, real servers, the
 * packaged template), e2e (HTTP over `npm start` stacks).
 *
 * Phases, one after the other, stopping after the first that fails: typecheck → lint next to unit →
 * handlers (each stream is one single-threaded process at a time, so the two cores both work); then
 * integration; then e2e. The later layers already use both cores, and their tests judge timing
 * (timeouts, long-polls), which a machine loaded twice over would fail. Each layer's output is held
 * and printed whole when it ends, so streams never interleave. One DynamoDB Local serves integration
 * and e2e (TEST_DYNAMODB_ENDPOINT; every test uses tables of its own); it starts with the run, so Java
 * boots during the first phase.
 */
import { spawn } from 'node:child_process';
import { startDynamoDbLocal } from '#infra/dynamodb-local.ts';

const PHASES = [
  [
    ['typecheck', 'lint'],
    ['test:unit', 'test:handlers'],
  ],
  [['test:integration']],
  [['test:e2e']],
];
const NEEDS_DATABASE = new Set(['test:integration', 'test:e2e']);

const started = performance.now();
const database = startDynamoDbLocal();
database.catch(() => {}); // awaited (and reported) by the first layer that needs it
const times = new Map<string, number>();
const failed: string[] = [];

function npmRun(step: string, env: NodeJS.ProcessEnv): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', step], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('close', (code, signal) =>
      resolve({ status: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString() }),
    );
  });
}

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
    const { status, output } = await npmRun(step, env);
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
console.log('\ntime per layer (typecheck and lint next to unit and handlers):');
for (const step of PHASES.flat(2)) {
  const seconds = times.get(step);
  console.log(`  ${step.padEnd(18)} ${seconds === undefined ? '     —' : seconds.toFixed(1).padStart(6)} s`);
}
console.log(
  `  ${'total'.padEnd(18)} ${total.toFixed(1).padStart(6)} s${failed.length ? `  (${failed.join(', ')} failed)` : ''}`,
);
process.exit(failed.length ? 1 : 0);
