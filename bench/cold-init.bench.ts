/**
 * Cold init of the getServices bundle against a bare `@aws-sdk/client-dynamodb` bundle (target ≤ 1.3×):
 * both built with serverless.yml's own esbuild settings (ESM, minified, source maps, the createRequire
 * banner), each imported in a fresh node process with the deployed NODE_OPTIONS (--enable-source-maps),
 * timed inside it from before the import to after. Best of several processes, the bundles in turn.
 * A context row: the same bundle without the SSM client's code, which esbuild keeps in it although
 * it is only evaluated once a token is read from SSM (V8 still compiles it, Node still maps it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { row } from './fixtures.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const root = fileURLToPath(new URL('../', import.meta.url));
const deployed = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')) as {
  provider: { environment: { NODE_OPTIONS: string } };
  params: { default: Record<string, unknown> };
  custom: { esbuild: Record<string, unknown> };
};
// serverless-esbuild's own options are not esbuild's (it strips them the same way).
const {
  exclude: _exclude,
  outputFileExtension: _extension,
  skipRebuild: _skipRebuild,
  outputWorkFolder: _workFolder,
  ...esbuildOptions
} = deployed.custom.esbuild;
// A `${param:name}` setting takes the deployed stages' value (params.default), not the local stage's.
for (const [option, value] of Object.entries(esbuildOptions)) {
  const param = /^\$\{param:(\w+)\}$/.exec(String(value))?.[1];
  if (param !== undefined) esbuildOptions[option] = deployed.params.default[param];
}
const out = mkdtempSync(join(tmpdir(), 'cold-init-'));

async function bundle(name: string, options: BuildOptions): Promise<{ file: string; bytes: number }> {
  const file = join(out, `${name}.mjs`);
  const result = await build({
    ...(esbuildOptions as BuildOptions),
    ...options,
    absWorkingDir: root,
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });
  return {
    file,
    bytes:
      result.metafile.outputs[Object.keys(result.metafile.outputs).find((f) => f.endsWith('.mjs')) ?? '']
        ?.bytes ?? 0,
  };
}

const bare = await bundle('bare', {
  stdin: {
    contents:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\n",
    resolveDir: root,
    sourcefile: 'bare-client.ts',
    loader: 'ts',
  },
});
const getServices = await bundle('get-services', { entryPoints: ['functions/query/get-services.ts'] });
const withoutSsm = await bundle('get-services-without-ssm', {
  entryPoints: ['functions/query/get-services.ts'],
  external: ['@aws-lambda-powertools/parameters/ssm'],
});

/** ms from before the import to after, in a fresh process with the deployed NODE_OPTIONS. */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS: deployed.provider.environment.NODE_OPTIONS,
      TABLE_NAME: 'bench',
      AWS_REGION: 'us-east-1',
    },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`import of ${file} failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

const bundles = [bare, getServices, withoutSsm];
const best = bundles.map(() => Number.POSITIVE_INFINITY);
for (let i = 0; i < RUNS; i++) {
  for (const [k, { file }] of bundles.entries()) best[k] = Math.min(best[k] as number, importMs(file));
}
rmSync(out, { recursive: true, force: true });
const [bareMs, servicesMs, withoutSsmMs] = best as [number, number, number];
const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
row(
  `cold init of the getServices bundle (${kib(getServices.bytes)}) vs a bare client-dynamodb bundle (${kib(bare.bytes)}), --enable-source-maps`,
  servicesMs / bareMs,
  1.3,
);
row(
  `cold init of the getServices bundle without the SSM client's code (${kib(withoutSsm.bytes)}) vs the bare bundle`,
  withoutSsmMs / bareMs,
);
console.log(`  (imports: bare ${bareMs.toFixed(1)} ms, getServices ${servicesMs.toFixed(1)} ms)`);
