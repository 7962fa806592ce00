import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { html, scriptHash, styleHash } from '../../functions/meta/dashboard-page.generated.ts';
import { buildDashboardPage } from '../../scripts/dashboard-page.ts';

test('the committed dashboard page is a fresh build of dashboard/ (run `npm run build:dashboard`)', async () => {
  const committed = readFileSync('functions/meta/dashboard-page.generated.ts', 'utf8');
  assert.equal(committed, await buildDashboardPage());
});

test("the page's policy hashes are those of its inline script and style", () => {
  const hashOf = (tag: string) => {
    const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html);
    assert.ok(match?.[1], `an inline ${tag}`);
    return `'sha256-${createHash('sha256').update(match[1]).digest('base64')}'`;
  };
  assert.equal(hashOf('script'), scriptHash);
  assert.equal(hashOf('style'), styleHash);
});
