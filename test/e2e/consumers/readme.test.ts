/**
 * The README's walkthrough is a promise: its shell block runs as written, in bash, against an empty
 * `npm start` stack, with only `TOKEN` (and `API`) exported as the README says. Every curl in it uses
 * `-f`, so any 4xx/5xx fails the block.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { sharedStack } from '../../helpers/shared-stack.ts';

let stack: LocalStack;
before(async () => {
  stack = (await sharedStack('consumers')).stack;
});
after(async () => {
  rmSync('snapshot.json', { force: true });
});

/** The first ```sh block after the "## Walkthrough" heading. */
function walkthrough(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('\n## Walkthrough'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(match?.[1], 'the README has a walkthrough block');
  return match[1];
}

test("the README's walkthrough runs as written against npm start", () => {
  // Prepare
  const script = walkthrough();

  // Act
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
    env: { ...process.env, API: stack.url, TOKEN: stack.adminToken, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });

  // Assess: it ran to the end, and what it printed is what the README says it shows.
  assert.equal(run.status, 0, `exit ${run.status}\n${run.stderr}\n${run.stdout.slice(-3000)}`);
  const out = run.stdout;
  assert.match(out, /"ingestToken":"cluster-1\./, 'registries are created with their ingest token');
  assert.match(out, /"cluster-1": "10\.0\.0\.1",\s*"cluster-2": "10\.2\.0\.1"/, 'hello carries both VIPs');
  assert.match(out, /"address":"10\.1\.0\.5"[^}]*"servicePort":\{"name":"http","port":80/, 'the v1 endpoint');
  assert.match(out, /"serviceAccounts":\["spiffe:\/\/cluster\.local\/ns\/default\/sa\/hello"\]/);
  assert.match(out, /"change":"updated"/, 'the change feed lists the changed service');
  assert.match(out, /"field":"ports"/, 'the conflict between the clusters');
  assert.match(out, /kind: ServiceEntry/, 'the Istio export as YAML');
  assert.match(out, /"__meta_aggregate_hostname":"hello\.default\.svc\.cluster\.local"/);
  assert.match(out, /cluster-2\s+Kubernetes/, 'the CLI lists the registries');
});
