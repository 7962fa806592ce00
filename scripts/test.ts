/**
 * `npm test`: typecheck, lint and the test layers, each timed, and a summary of the time per layer.
 *
 * Layers (each also runs alone: `npm run test:<layer>`): unit (pure lib and edge modules), handlers
 * (every route in process over the in-memory store), integration (DynamoDB Local, real servers, the
 * packaged template), e2e (HTTP over `npm start` stacks).
 *
 * Three streams side by side: integration (from the start: its files wait on DynamoDB Local as much
 * as they compute), typecheck → lint, and unit → handlers → e2e. The e2e layer starts its stacks as
 * soon as its stream reaches it, but runs its files only once every other layer has passed
 * (E2E_GO_FILE): it keeps both cores busy by itself and its tests judge timing (timeouts,
 * long-polls) that a machine loaded twice over would fail. A stream stops at its first
 * failing layer, and a failure anywhere stops the e2e layer before its files. Each layer's output is
 * held and printed whole when it ends, so streams never interleave. One DynamoDB Local serves
 * integration and e2e (TEST_DYNAMODB_ENDPOINT; every test uses tables of its own); it starts with the
 * run, and the integration layer waits for it; so does the packaging of the CloudFormation template.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { packagedTemplate } from '../test/helpers/packaged-template.ts';
import { runChild } from './child.ts';

const STREAMS = [['test:integration'], ['typecheck', 'lint'], ['test:unit', 'test:handlers', 'test:e2e']];
const NEEDS_DATABASE = new Set(['test:integration', 'test:e2e']);
/** The layer that waits for the others before its tests (and says so through this file). */
const LAST = 'test:e2e';
const GO_FILE = `node_modules/.cache/aggregate-registry/e2e-go-${process.pid}`;

const started = performance.now();
const database = startDynamoDbLocal();
database.catch(() => {}); // awaited (and reported) by the first layer that needs it
// The packaged template (the template and IAM tests read it) is made now, beside the other layers,
// rather than when the template test's turn comes at the end of the integration layer. A failure here
// is that test's to report: it packages again and shows why.
const packaging = packagedTemplate().catch(() => undefined);
const times = new Map<string, number>();
const failed: string[] = [];
let othersLeft = STREAMS.flat().length - 1;
let goAt: number | undefined;
rmSync(GO_FILE, { force: true });

/** Tells the last layer to run its files (every other layer passed) or to stop (one failed). */
function settle(passed: boolean): void {
  if (goAt !== undefined || (passed && --othersLeft > 0)) return;
  goAt = performance.now();
  writeFileSync(GO_FILE, passed ? 'go' : 'stop');
}

async function stream(steps: string[]): Promise<void> {
  for (const step of steps) {
    const begin = performance.now();
    let env: NodeJS.ProcessEnv = step === LAST ? { ...process.env, E2E_GO_FILE: GO_FILE } : process.env;
    if (NEEDS_DATABASE.has(step)) {
      try {
        env = { ...env, TEST_DYNAMODB_ENDPOINT: (await database).endpoint };
      } catch (error) {
        console.log(`── ${step}: DynamoDB Local did not start: ${String(error)}`);
        failed.push(step);
        settle(false);
        return;
      }
    }
    const { code: status, output } = await runChild('npm', ['run', '--silent', step], env, true);
    const ended = performance.now();
    const waited = step === LAST && goAt !== undefined ? Math.max(0, goAt - begin) : 0;
    const seconds = (ended - begin - waited) / 1000;
    if (step === LAST && failed.length) return; // stopped before its files: not a result of its own
    times.set(step, seconds);
    const beside = waited
      ? ` (its stacks started ${(waited / 1000).toFixed(1)} s before, beside the other layers)`
      : '';
    console.log(`\n── ${step} ${status === 0 ? 'passed' : 'FAILED'} in ${seconds.toFixed(1)} s${beside} ──`);
    process.stdout.write(output);
    if (status !== 0) {
      failed.push(step);
      settle(false);
      return;
    }
    if (step !== LAST) settle(true);
  }
}

try {
  await Promise.all(STREAMS.map(stream));
} finally {
  rmSync(GO_FILE, { force: true });
  await packaging;
  await (await database.catch(() => undefined))?.stop();
}
const total = (performance.now() - started) / 1000;
console.log(
  '\ntime per layer (integration, typecheck → lint and unit → handlers side by side; e2e once they passed):',
);
for (const step of STREAMS.flat()) {
  const seconds = times.get(step);
  console.log(`  ${step.padEnd(18)} ${seconds === undefined ? '     —' : seconds.toFixed(1).padStart(6)} s`);
}
console.log(
  `  ${'total'.padEnd(18)} ${total.toFixed(1).padStart(6)} s${failed.length ? `  (${failed.join(', ')} failed)` : ''}`,
);
process.exit(failed.length ? 1 : 0);
