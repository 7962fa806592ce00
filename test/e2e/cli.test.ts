/**
 * The `aggregate-registry` CLI as a user runs it: the real bin as a child process against the local
 * stack (`npm start`, a stack of this file's own), checking exit codes, stdout and the one-line errors.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { freePort } from '#infra/dynamodb-local.ts';
import { callApi } from '../helpers/api.ts';
import type { LocalStack } from '../helpers/local-stack.ts';
import { SHARED_READER_TOKEN, sharedStack } from '../helpers/shared-stack.ts';

const READER = SHARED_READER_TOKEN;
const HOST = 'ratings.default.svc.cluster.local';
let stack: LocalStack;
const dir = mkdtempSync(join(tmpdir(), 'aggregate-registry-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  options: { token?: string; input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['bin/aggregate-registry.js', ...args],
      {
        env: {
          ...process.env,
          NO_COLOR: '1',
          AGGREGATE_REGISTRY_URL: stack.url,
          AGGREGATE_REGISTRY_TOKEN: options.token ?? '',
          ...options.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const service = (address: string, port: number) => ({
  hostname: HOST,
  address,
  ports: [{ name: 'http', port }],
});
let eastToken = '';

before(async () => {
  stack = (await sharedStack('cli')).stack;
  const created = await cli(['registry', 'put', 'east', '--cluster-id', 'east', '--provider', 'kubernetes'], {
    token: stack.adminToken,
  });
  assert.equal(created.code, 0, created.stderr);
  eastToken = created.stdout.trim();
  await cli(['registry', 'put', 'west', '--cluster-id', 'west'], { token: stack.adminToken });
  await cli(['push', 'east', file('east.json', { services: [service('10.0.0.1', 9080)] })], {
    token: eastToken,
  });
  await cli(['push', 'west', file('west.json', [service('10.1.0.1', 9090)])], { token: stack.adminToken });
});

/** Whether the running stack serves a route (a 404 without our error body means it does not). */
async function served(path: string): Promise<boolean> {
  const response = await callApi(stack.url, 'GET', path, { token: READER }).catch(() => ({
    status: 404,
    body: undefined,
  }));
  return !(response.status === 404 && response.body?.error?.code === undefined);
}

// Two groups side by side (each command is a process of its own, and a process start is most of a
// test's time): the commands that leave the registries as they are, and, in order, those that change them.
describe('aggregate-registry', { concurrency: true }, () => {
  describe('commands that change nothing', { concurrency: true }, () => {
    test('prints help for every command and exits 0', async () => {
      const commands = [
        [],
        ['registries'],
        ['registry', 'put'],
        ['push'],
        ['services'],
        ['endpoints'],
        ['watch'],
        ['status'],
      ];
      // Side by side: each is a process of its own that reads nothing but its arguments.
      const runs = await Promise.all(commands.map((args) => cli([...args, '--help'])));
      runs.forEach((run, i) => {
        assert.equal(run.code, 0, `${commands[i]?.join(' ')}: ${run.stderr}`);
        assert.match(run.stdout, /Usage: aggregate-registry/);
      });
    });

    test('a missing token fails with one line saying the token is missing or wrong', async () => {
      const run = await cli(['registries']);
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr.trim(),
        `error: Unauthorized: a valid token is required (Authorization: Bearer <token>) (the token is missing or wrong: --token or AGGREGATE_REGISTRY_TOKEN)`,
      );
    });

    test('--url and --token override the environment', async () => {
      const run = await cli(['--url', stack.url, '--token', READER, 'services', '--json'], {
        env: { AGGREGATE_REGISTRY_URL: 'http://127.0.0.1:9' },
      });
      assert.equal(run.code, 0, run.stderr);
    });

    test('an unreachable API is one line and a non-zero exit', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const run = await cli(['services'], { token: READER, env: { AGGREGATE_REGISTRY_URL: closed } });
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `error: cannot reach ${closed}: ECONNREFUSED\n`);
    });

    test('endpoints lists the endpoints, or says the deployment does not serve them', async () => {
      const run = await cli(['endpoints', HOST], { token: READER });
      if (await served(`/services/${HOST}/endpoints`)) {
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^REGISTRY\s+CLUSTER\s+ADDRESS/);
      } else {
        assert.equal(run.code, 1);
        assert.equal(
          run.stderr.trim(),
          `error: NotServed: this deployment does not serve GET /services/${HOST}/endpoints`,
        );
      }
    });
  });

  describe('commands over the registries they change, in order', { concurrency: false }, () => {
    test('registry put prints the ingest token once, on stdout alone', async () => {
      const run = await cli(['registry', 'put', 'static-list', '--provider', 'static'], {
        token: stack.adminToken,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim().split('\n').length, 1);
      assert.ok(run.stdout.trim().length > 20);
      const again = await cli(['registry', 'put', 'static-list', '--description', 'a static list'], {
        token: stack.adminToken,
      });
      assert.equal(again.stdout, '');
      assert.match(again.stderr, /updated registry static-list/);
    });

    test('registries shows name, cluster, provider, status, generation and services', async () => {
      const run = await cli(['registries'], { token: READER });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^NAME\s+CLUSTER\s+PROVIDER\s+STATUS\s+GENERATION\s+SERVICES\s+LAST ERROR/);
      assert.match(run.stdout, /\neast\s+east\s+kubernetes\s+ok\s+1\s+1\b/);
    });

    test('services --json prints exactly the API services', async () => {
      const run = await cli(['services', '--json'], { token: READER });
      const api = await callApi(stack.url, 'GET', '/services', { token: READER });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), api.body.services);
    });

    test('services --hostname shows that hostname with its VIPs per cluster', async () => {
      const run = await cli(['services', '--hostname', HOST], { token: READER });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        new RegExp(`${HOST}\\s+east\\s+-\\s+http:9080\\s+east=10.0.0.1,west=10.1.0.1`),
      );
    });

    test('push refuses an invalid file before sending it, naming the field', async () => {
      const run = await cli(
        ['push', 'east', file('bad.json', [{ hostname: HOST, ports: [{ port: 70000 }] }])],
        { token: eastToken },
      );
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^error: invalid snapshot in .*bad\.json: services\[0\]\.ports\[0\]\.port: Too big/,
      );
      assert.equal(run.stderr.trim().split('\n').length, 1);
      const east = await callApi(stack.url, 'GET', '/registries/east', { token: READER });
      assert.equal(east.body.generation, 1);
    });

    test('push reads a bare array from stdin and prints the stored generation', async () => {
      const run = await cli(['push', 'east', '-'], {
        token: eastToken,
        input: JSON.stringify([service('10.0.0.2', 9080)]),
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'east: generation 2, 1 services');
    });

    test('conflicts lists the ignored sighting of a hostname', async () => {
      const run = await cli(['conflicts'], { token: READER });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`${HOST}\\s+ports\\s+east=.*9080.*west=.*9090`));
    });

    test('status shows each registry fresh, and the revision', async () => {
      const run = await cli(['status'], { token: READER });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /\neast\s+ok\s+2\s+\d+s\s+/);
      assert.match(run.stdout, /revision \d+: 1 services, 1 conflicts/);
    });

    test('refresh of a push-only registry fails with the API code', async () => {
      const run = await cli(['refresh', 'west'], { token: stack.adminToken });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^error: NoSource: /);
    });

    test('rotate-token prints a new token and the old one stops working', async () => {
      const run = await cli(['registry', 'rotate-token', 'east'], { token: stack.adminToken });
      assert.equal(run.code, 0, run.stderr);
      const old = await cli(['push', 'east', file('again.json', [service('10.0.0.3', 9080)])], {
        token: eastToken,
      });
      assert.equal(old.code, 1);
      assert.match(old.stderr, /Unauthorized.*token is missing or wrong/);
      const fresh = await cli(['push', 'east', file('again.json', [service('10.0.0.3', 9080)])], {
        token: run.stdout.trim(),
      });
      assert.equal(fresh.code, 0, fresh.stderr);
      eastToken = run.stdout.trim();
    });

    test('watch prints a line per change, or says the deployment does not serve the feed', async () => {
      if (!(await served('/changes?since=0'))) {
        const run = await cli(['watch'], { token: READER });
        assert.equal(run.code, 1);
        assert.equal(run.stderr.trim(), 'error: NotServed: this deployment does not serve GET /changes');
        return;
      }
      const watching = cli(['watch', '--once'], { token: READER });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await cli(['push', 'east', file('watch.json', [service('10.0.0.9', 9080)])], { token: eastToken });
      const run = await watching;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^\\d+ updated\\s+${HOST} \\(east\\)`, 'm'));
    });

    test('registry rm deletes it and registries no longer lists it', async () => {
      const run = await cli(['registry', 'rm', 'static-list'], { token: stack.adminToken });
      assert.equal(run.code, 0, run.stderr);
      const list = await cli(['registries'], { token: READER });
      assert.doesNotMatch(list.stdout, /static-list/);
      const again = await cli(['registry', 'rm', 'static-list'], { token: stack.adminToken });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^error: RegistryNotFound: /);
    });
  });
});
