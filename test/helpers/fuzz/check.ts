/**
 * Checking fuzz answers, whatever carries them (an in-process gateway or HTTP): never a 5xx, our error
 * shape on every error, a tally of what came back; and fast-check with the failing case's own message.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorShapeProblem, isGatewayReply, type RawReply, type RawRequest } from '../raw-http.ts';

export type Send = (request: RawRequest) => Promise<RawReply>;

export interface Tally {
  cases: number;
  statuses: Map<string, number>;
  gateway: number;
  accepted: number;
  slowestMs: number;
  bytesSent: number;
}

export const newTally = (): Tally => ({
  cases: 0,
  statuses: new Map(),
  gateway: 0,
  accepted: 0,
  slowestMs: 0,
  bytesSent: 0,
});

function record(tally: Tally, request: RawRequest, reply: RawReply): void {
  tally.cases++;
  tally.slowestMs = Math.max(tally.slowestMs, reply.ms);
  tally.bytesSent += request.body?.length ?? 0;
  const gateway = isGatewayReply(reply);
  if (gateway) tally.gateway++;
  if (reply.status < 300) tally.accepted++;
  const key = gateway
    ? `${reply.status} (gateway)`
    : `${reply.status} ${reply.json?.error?.code ?? ''}`.trim();
  tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1);
}

export function describeRequest(request: RawRequest): string {
  const body =
    request.body === undefined ? '' : Buffer.from(request.body).subarray(0, 200).toString('latin1');
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers ?? {})} ${body}`;
}

/**
 * A sender that checks every answer: never a 5xx, an answer in time (the sender's deadline), our error
 * shape on every error. `diagnostics` says more when there is no answer at all (e.g. the stack's log).
 */
export function checkedSender(send: Send, diagnostics: () => string = () => '') {
  const recent: string[] = [];
  let noAnswer: string | undefined;
  return async (request: RawRequest, tally: Tally): Promise<RawReply> => {
    recent.push(describeRequest(request).slice(0, 300));
    if (recent.length > 5) recent.shift();
    const reply = await send({ timeoutMs: 15_000, ...request }).catch((error: unknown) => {
      // No answer at all: say what was sent before the first such failure.
      noAnswer ??= `sent last:\n${recent.join('\n')}\n${diagnostics()}`;
      throw new Error(`${describeRequest(request)}: ${String(error)}\n${noAnswer}`);
    });
    record(tally, request, reply);
    const context = () => `${describeRequest(request)}\n→ ${reply.status} ${reply.text.slice(0, 300)}`;
    assert.ok(reply.status >= 200 && reply.status < 500, `a ${reply.status}: ${context()}`);
    // serverless-offline answers a Lambda timeout or crash with a 200 and an `errorType` body.
    assert.equal(reply.json?.errorType, undefined, `the function failed: ${context()}`);
    if (reply.status >= 400 && request.method !== 'HEAD' && !isGatewayReply(reply)) {
      const problem = errorShapeProblem(reply);
      assert.equal(problem, undefined, `${problem}: ${context()}`);
    }
    return reply;
  };
}

export function printTally(name: string, tally: Tally): void {
  const statuses = [...tally.statuses].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => `${key}: ${n}`);
  console.log(
    `# ${name}: ${tally.cases} requests (${(tally.bytesSent / 1e6).toFixed(1)} MB sent), ${tally.accepted} accepted, ` +
      `${tally.cases - tally.accepted} rejected, ${tally.gateway} answered by the (emulated) gateway; slowest ${Math.round(tally.slowestMs)} ms`,
  );
  console.log(`#   ${statuses.join(', ')}`);
}

/** fc.assert, with the failing case's own assertion message in the error (fast-check keeps only its own). */
export async function checkProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  params: fc.Parameters<[T]>,
  property: (value: T) => Promise<void>,
): Promise<void> {
  let failure: unknown;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        try {
          await property(value);
        } catch (error) {
          failure = error;
          throw error;
        }
      }),
      params,
    );
  } catch (error) {
    const cause = failure instanceof Error ? failure.message : String(failure);
    throw new Error(`${(error as Error).message.slice(0, 3000)}\nThe failure: ${cause}`);
  }
}

export const FUZZ_RUNS = Math.max(100, Number(process.env.FUZZ_RUNS ?? 1500));
export const FUZZ_SEED =
  process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
