#!/usr/bin/env node
// The CLI is TypeScript (cli/). It runs from one bundle that esbuild makes on first use and again when
// a file it was made from has changed, kept in node_modules/.cache/aggregate-registry/cli/: a bundle
// starts in about half the CPU time tsx takes to load the sources file by file (its loader thread,
// a resolution and a cache lookup per module), and a CLI is started often (scripts, `watch` loops).
// Hand-written because it is a dozen lines around esbuild's own build; without esbuild (a copy of the
// CLI outside this repository) tsx runs the sources as before.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules', '.cache', 'aggregate-registry', 'cli');
const bundle = join(cache, 'cli.mjs');
const inputsFile = join(cache, 'inputs.json');

/** What the bundle was made from (the project's files, package.json and the lockfile) is unchanged. */
function fresh() {
  try {
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return Object.entries(inputs).every(([file, mtime]) => statSync(join(root, file)).mtimeMs === mtime);
  } catch {
    return false;
  }
}

/**
 * Builds the bundle; the inputs' modification times are written last, so a half-made cache is stale.
 * False when it cannot (no esbuild, or sources esbuild refuses: tsx then reports them as it would).
 */
async function build() {
  const esbuild = await import('esbuild').catch(() => undefined);
  if (!esbuild) return false;
  try {
    await buildWith(esbuild);
    return true;
  } catch {
    return false;
  }
}

async function buildWith(esbuild) {
  mkdirSync(cache, { recursive: true });
  // A name of its own, then a rename: several CLIs started at once each build and none reads a half file.
  const temporary = `${bundle}.${process.pid}.tmp`;
  const startedAt = Date.now();
  const { metafile } = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: temporary,
    metafile: true,
    logLevel: 'silent',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const project = Object.keys(metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  const inputs = Object.fromEntries(
    [...project, 'package.json', 'package-lock.json'].map((file) => [
      file,
      statSync(join(root, file)).mtimeMs,
    ]),
  );
  renameSync(temporary, bundle);
  // A source saved while esbuild read it may be in the bundle as it was before: left stale, it is
  // bundled again on the next run.
  if (Object.values(inputs).some((mtime) => mtime >= startedAt)) return;
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
}

let main;
if (fresh() || (await build())) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv);
