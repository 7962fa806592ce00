/**
 * The CLI's bin runs the current sources: it runs from a bundle it makes on first use, and makes it
 * again when a file the bundle was made from changed (bin/aggregate-registry.js).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { test } from 'node:test';

const INPUTS = 'node_modules/.cache/aggregate-registry/cli/inputs.json';
const help = () =>
  execFileSync(process.execPath, ['bin/aggregate-registry.js', '--help'], { encoding: 'utf8' });
const recorded = (file: string) => (JSON.parse(readFileSync(INPUTS, 'utf8')) as Record<string, number>)[file];

test('the bin rebuilds its bundle when a source it was made from changed', () => {
  // Prepare: a bundle made from the sources as they are.
  assert.match(help(), /Usage: aggregate-registry/);
  const source = 'cli/output.ts';
  const { atime, mtimeMs } = statSync(source);
  assert.equal(recorded(source), mtimeMs, 'the bundle records the modification time of each source');

  // Act: the source changes (its modification time, as an edit or a checkout would).
  // Earlier, not later: a time still to come would be the bundle's own build time, which it leaves stale.
  const edited = new Date(Math.floor(mtimeMs) - 60_000);
  utimesSync(source, atime, edited);
  try {
    assert.match(help(), /Usage: aggregate-registry/);

    // Assess: the bundle was made again, from the changed source.
    assert.equal(recorded(source), statSync(source).mtimeMs);
  } finally {
    utimesSync(source, atime, new Date(mtimeMs));
  }
});
