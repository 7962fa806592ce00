/** The body middleware on a 30 MB snapshot, in process: the scan is linear, the whole decode fast. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonBody, scanJson } from '#http/body.ts';
import type { ApiError } from '#http/errors.ts';

function decode(body: string) {
  const event = { headers: { 'content-type': 'application/json' }, isBase64Encoded: false, body };
  const started = performance.now();
  try {
    jsonBody({ maxBytes: 64 * 1024 * 1024 }).before?.({ event } as never);
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error: error as ApiError };
  }
}

test('the duplicate-key and depth check on a 30 MB body is linear: a few times JSON.parse of it', () => {
  const services = Array.from({ length: 36_000 }, (_, i) => ({
    hostname: `svc-${i}.ns.svc.cluster.local`,
    address: '10.0.0.1',
    ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
    labels: { app: `a${i}`, version: 'v1' },
    endpoints: Array.from({ length: 8 }, (_, j) => ({
      address: `10.1.${j}.1`,
      port: 8080,
      labels: { zone: 'a', idx: String(j) },
      healthy: true,
    })),
  }));
  const text = JSON.stringify({ services, generation: 5 });
  const scan = (body: string) => {
    const started = performance.now();
    const result = scanJson(body);
    return { ms: performance.now() - started, result };
  };
  scan(text); // warm up
  const clean = scan(text);
  // Best of two each, so that a busy machine's pause lands in neither timing alone. JSON.parse of the
  // same text is the linear yardstick, timed in the same run: a scan that were quadratic would take
  // thousands of times as long on 30 MB, not a few (0.6× here).
  const scanMs = Math.min(clean.ms, scan(text).ms);
  const parseMs = Math.min(
    ...[0, 1].map(() => {
      const started = performance.now();
      JSON.parse(text);
      return performance.now() - started;
    }),
  );
  const duplicate = decode(`${text.slice(0, -1)},"generation":6}`);
  const inFirst = decode(text.replace('"version":"v1"}', '"version":"v1","app":"again"}'));
  assert.equal(clean.result.duplicate, undefined);
  assert.equal(clean.result.tooDeep, false);
  assert.equal(duplicate.error?.code, 'DuplicateKey');
  assert.equal(duplicate.error?.message, 'duplicate key "generation" in the body');
  assert.equal(inFirst.error?.message, 'duplicate key "app" in services[0].labels');
  assert.ok(scanMs < 5 * parseMs, `scan ${scanMs} ms, JSON.parse ${parseMs} ms`);
  console.log(
    `# duplicate keys, ${(text.length / 1e6).toFixed(1)} MB body: scan ${Math.round(scanMs)} ms (JSON.parse ${Math.round(parseMs)} ms), ` +
      `scan + parse with a duplicate at the end ${Math.round(duplicate.ms)} ms, in the first service ${Math.round(inFirst.ms)} ms`,
  );
});
