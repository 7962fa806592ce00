/**
 * What each HTTP function evaluates at its cold start: the modules its handler reaches through static
 * imports (dynamically imported ones are evaluated on first use; with serverless.yml's code splitting
 * they are chunks of their own, not read at init either: bench/cold-init.bench.ts counts them).
 * zod is only for the routes that validate a body on every request (and the API description, built
 * from the schemas); the SSM client only once a token has to be read from SSM.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { build, type Metafile } from 'esbuild';
import { parse } from 'yaml';

const ZOD_AT_INIT = new Set(['putRegistry', 'putSnapshot', 'postPreview', 'getOpenApi']);

interface FunctionConfig {
  handler: string;
  events?: { httpApi?: unknown }[];
}

const config = parse(readFileSync('serverless.yml', 'utf8')) as { functions: Record<string, FunctionConfig> };
const httpFunctions = Object.entries(config.functions)
  .filter(([, fn]) => fn.events?.some((event) => event.httpApi !== undefined))
  .map(([name, fn]) => ({ name, entry: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts` }));

/** Inputs reachable from `entry` through static imports only. */
function staticClosure(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set([entry]);
  const queue = [entry];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    for (const imported of metafile.inputs[path]?.imports ?? []) {
      if (imported.kind === 'dynamic-import' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return seen;
}

describe('modules evaluated at a cold start', () => {
  test('no HTTP function evaluates the SSM client, and only the body-validating ones zod', async () => {
    // Prepare
    const { metafile } = await build({
      entryPoints: httpFunctions.map((fn) => fn.entry),
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      outdir: 'out',
      logLevel: 'silent',
    });

    // Act
    const found = httpFunctions.map(({ name, entry }) => {
      const closure = [...staticClosure(metafile, entry)];
      return {
        name,
        zod: closure.some((path) => path.startsWith('node_modules/zod/')),
        ssm: closure.some((path) => path.startsWith('node_modules/@aws-sdk/client-ssm/')),
      };
    });

    // Assess
    assert.ok(found.length >= 15, `${found.length} HTTP functions`);
    assert.deepEqual(
      found.filter((fn) => fn.ssm).map((fn) => fn.name),
      [],
    );
    assert.deepEqual(
      found
        .filter((fn) => fn.zod)
        .map((fn) => fn.name)
        .sort(),
      [...ZOD_AT_INIT].sort(),
    );
  });
});
