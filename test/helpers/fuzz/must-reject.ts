/**
 * Runs cases that must be rejected against the in-process API: every one a 4xx (with its exact code
 * when only one is possible), never a 5xx, and the store unchanged afterwards.
 */
import assert from 'node:assert/strict';
import type fc from 'fast-check';
import { isGatewayReply, type RawRequest } from '../raw-http.ts';
import { checkProperty, describeRequest, FUZZ_SEED, newTally, printTally } from './check.ts';
import { fuzzSetting } from './in-process.ts';

export interface RejectCase {
  what: string;
  request: RawRequest;
  /** The one code the answer must have; undefined when several are right. */
  code: string | undefined;
}

export async function mustReject(name: string, caseArb: fc.Arbitrary<RejectCase>, numRuns: number) {
  const { send, dump } = await fuzzSetting();
  const tally = newTally();
  const before = await dump();
  const kinds = new Map<string, number>();
  let checkedCodes = 0;
  await checkProperty(caseArb, { numRuns, seed: FUZZ_SEED }, async ({ what, request, code }) => {
    const kind = what.split('/').slice(0, 2).join('/');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const reply = await send(request, tally);
    assert.ok(
      reply.status >= 400,
      `accepted a request that must be rejected (${what}): ${describeRequest(request)} → ${reply.status} ${reply.text.slice(0, 300)}`,
    );
    if (code !== undefined && !isGatewayReply(reply)) {
      assert.equal(
        reply.json?.error?.code,
        code,
        `${what}: ${describeRequest(request)} → ${reply.text.slice(0, 300)}`,
      );
      checkedCodes++;
    }
  });
  assert.equal(await dump(), before, 'the store changed although every request was rejected');
  printTally(name, tally);
  console.log(`#   ${checkedCodes} answers had their exact error code checked`);
  console.log(
    `#   kinds: ${[...kinds]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
}
