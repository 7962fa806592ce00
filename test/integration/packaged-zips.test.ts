/**
 * The zips `serverless package` makes. The functions are built with code splitting, so each bundle
 * imports chunks beside it; a zip that misses one fails only once Lambda loads it, or for a chunk
 * imported on first use (the SSM client) at that first request. Each zip is unpacked on its own and
 * proven complete, loadable, and holding no chunk its function never reaches.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PACKAGE_DIR, packagedTemplate } from '../helpers/packaged-template.ts';

interface Unpacked {
  name: string;
  dir: string;
  /** The handler's module, relative to `dir`. */
  entry: string;
  environment: Record<string, string>;
}

const root = mkdtempSync(join(tmpdir(), 'packaged-zips-'));
let unpacked: Unpacked[];

before(async () => {
  const { Resources } = await packagedTemplate();
  unpacked = Object.entries(Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([name, { Properties }]) => {
      const dir = join(root, name);
      const zip = join(PACKAGE_DIR, basename(String(Properties.Code.S3Key)));
      const unzip = spawnSync('unzip', ['-q', zip, '-d', dir], { encoding: 'utf8' });
      assert.equal(unzip.status, 0, `unzip ${zip}: ${unzip.stderr}`);
      const handler = String(Properties.Handler);
      const variables = Object.entries(Properties.Environment?.Variables ?? {});
      return {
        name,
        dir,
        entry: `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`,
        // References to other resources (the table's ARN) only resolve in a deployment.
        environment: Object.fromEntries(variables.filter(([, value]) => typeof value === 'string')) as Record<
          string,
          string
        >,
      };
    });
});

after(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('the packaged function zips', () => {
  test('every import of every function, static or on first use, resolves inside its own zip, and nothing else is in it', async () => {
    assert.equal(unpacked.length, 22);
    for (const { name, dir, entry } of unpacked) {
      // Act: esbuild resolves every import and dynamic import() with a literal path, and fails on one
      // it cannot find; the zip's directory has no node_modules to fall back on.
      const { metafile } = await build({
        entryPoints: [join(dir, entry)],
        bundle: true,
        write: false,
        metafile: true,
        format: 'esm',
        platform: 'node',
        outdir: join(dir, 'rebundled'),
        logLevel: 'silent',
      });

      // Assess
      const reached = Object.keys(metafile.inputs)
        .map((input) => relative(dir, input))
        .sort();
      const files = new Set(filesUnder(dir));
      const modules = [...files].filter((file) => file.endsWith('.mjs')).sort();
      assert.deepEqual(reached, modules, `${name}: the modules it reaches are the zip's`);
      for (const module of modules) {
        assert.ok(files.has(`${module}.map`), `${name}: ${module} has its source map`);
      }
    }
  });

  test("every function's handler loads from its zip alone, with its deployed environment", () => {
    // Act: one process (a fresh one per zip costs a second of CPU for nothing), each import with that
    // function's environment; relative imports cannot leave the zip's directory.
    const handlers = unpacked.map(({ dir, entry, environment }) => ({
      url: pathToFileURL(join(dir, entry)).href,
      environment: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment },
    }));
    const script = `
      const found = [];
      for (const { url, environment } of ${JSON.stringify(handlers)}) {
        process.env = environment;
        const module = await import(url);
        found.push(typeof module.handler);
      }
      console.log(JSON.stringify(found));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: {},
      encoding: 'utf8',
    });

    // Assess
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(run.stdout),
      unpacked.map(() => 'function'),
    );
  });
});
