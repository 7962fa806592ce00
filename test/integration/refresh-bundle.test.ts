/**
 * The refresh worker's bundle, built the way serverless-esbuild builds it: it must not carry the HTTP
 * middleware stack (Middy, the auth middleware), which it never runs and whose code only grows its
 * cold start; and the HTTP refresh route must not carry the source adapters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from 'esbuild';

async function inputsOf(entry: string): Promise<{ inputs: string[]; bytes: number }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile: 'out.mjs',
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { inputs, bytes };
}

describe('the refresh bundles', () => {
  test('the scheduled worker bundles no Middy and no HTTP handler', async () => {
    // Act
    const { inputs, bytes } = await inputsOf('functions/refresh/scheduled-refresh.ts');

    // Assess
    console.log(`# scheduled-refresh bundle: ${inputs.length} inputs, ${Math.round(bytes / 1024)} KiB`);
    assert.deepEqual(
      inputs.filter((path) => path.includes('@middy/') || path.includes('functions/http/handler.ts')),
      [],
    );
    assert.ok(inputs.some((path) => path.includes('functions/sources/transport.ts')));
  });

  test('the HTTP refresh route bundles no source adapter and no SSM source-secret resolver', async () => {
    // Act
    const { inputs } = await inputsOf('functions/refresh/post-refresh.ts');

    // Assess
    assert.deepEqual(
      inputs.filter(
        (path) =>
          path.includes('functions/sources/') ||
          path.includes('@kubernetes/') ||
          path.includes('secret-resolver.ts'),
      ),
      [],
    );
  });
});
