/**
 * Cold init of the getServices bundle against a bare `@aws-sdk/client-dynamodb` bundle (target ≤ 1.3×):
 * both built with serverless.yml's own esbuild settings (ESM, minified, source maps, the createRequire
 * banner), each imported in a fresh node process with the deployed NODE_OPTIONS (--enable-source-maps),
 * timed inside it from before the import to after. Best of several processes, the bundles in turn.
 * getServices is built with every other function, as a deployment builds it, so code splitting leaves
 * the SSM client (imported dynamically, once a token is read from SSM) in a chunk a cold start never
 * reads; a count row checks that none of the files read at init holds it, another that none imports
 * node:http as ESM (patches/@middy+util*.patch says why).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { countRow, row } from './fixtures.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const root = fileURLToPath(new URL('../', import.meta.url));
const deployed = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')) as {
  provider: { environment: { NODE_OPTIONS: string } };
  functions: Record<string, { handler: string }>;
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

/** The bare client alone, in one file (it has nothing to split). */
const bareFile = join(out, 'bare.mjs');
const bareBuild = await build({
  ...(esbuildOptions as BuildOptions),
  stdin: {
    contents:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\n",
    resolveDir: root,
    sourcefile: 'bare-client.ts',
    loader: 'ts',
  },
  splitting: false,
  absWorkingDir: root,
  outfile: bareFile,
  metafile: true,
  logLevel: 'silent',
});
const bareBytes =
  Object.entries(bareBuild.metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1].bytes ?? 0;

/**
 * Every function in one esbuild call into one folder, as our serverless-esbuild patch builds them
 * (skipRebuild), so that code splitting makes the same chunks it makes for a deployment.
 */
const functionsDir = join(out, 'functions-build');
const entries = Object.values(deployed.functions).map(
  ({ handler }) => `${handler.slice(0, handler.lastIndexOf('.'))}.ts`,
);
const all = await build({
  ...(esbuildOptions as BuildOptions),
  entryPoints: entries,
  outdir: functionsDir,
  outbase: '.',
  outExtension: { '.js': '.mjs' },
  absWorkingDir: root,
  metafile: true,
  logLevel: 'silent',
});
const servicesOutput = join(functionsDir, 'functions/query/get-services.mjs');

/** The output files a cold start of `file` reads: it and what it imports statically, transitively. */
function readAtInit(file: string): { files: string[]; bytes: number } {
  const outputs = all.metafile.outputs;
  const byPath = new Map(Object.keys(outputs).map((path) => [join(root, path), path]));
  const seen = new Set([byPath.get(file) as string]);
  for (const path of seen) {
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) seen.add(imported.path);
    }
  }
  const files = [...seen];
  return { files, bytes: files.reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0) };
}
const atInit = readAtInit(servicesOutput);
/** Files read at init with an ESM import of node:http, whose facade loads undici (patches/@middy+util*.patch). */
const httpFacadeAtInit = atInit.files.filter((path) =>
  /\bfrom ?["'](node:)?http["']/.test(readFileSync(join(root, path), 'utf8')),
);
const ssmAtInit = atInit.files.filter((path) =>
  Object.keys(all.metafile.outputs[path]?.inputs ?? {}).some((input) =>
    input.includes('@aws-sdk/client-ssm/'),
  ),
);

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

const files = [bareFile, servicesOutput];
const best = files.map(() => Number.POSITIVE_INFINITY);
for (let i = 0; i < RUNS; i++) {
  for (const [k, file] of files.entries()) best[k] = Math.min(best[k] as number, importMs(file));
}
rmSync(out, { recursive: true, force: true });
const [bareMs, servicesMs] = best as [number, number];
const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
row(
  `cold init of the getServices bundle (${kib(atInit.bytes)} in ${atInit.files.length} files read at init) vs a bare client-dynamodb bundle (${kib(bareBytes)}), --enable-source-maps`,
  servicesMs / bareMs,
  1.3,
);
countRow("cold init of getServices: files read at init that hold the SSM client's code", ssmAtInit.length, 0);
countRow(
  'cold init of getServices: files read at init that import node:http as ESM (its facade loads undici)',
  httpFacadeAtInit.length,
  0,
);
console.log(`  (imports: bare ${bareMs.toFixed(1)} ms, getServices ${servicesMs.toFixed(1)} ms)`);
