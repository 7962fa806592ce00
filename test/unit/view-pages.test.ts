import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { aggregateServices } from '#lib/aggregate.ts';
import { MergedParts, View } from '../../functions/query/view.ts';
import { manyServices } from '../helpers/query-routes.ts';

function viewOf(count: number, labels?: Record<string, string>): View {
  const services = manyServices(count).map((s) => (labels ? { ...s, labels } : s));
  const aggregate = aggregateServices([{ registry: { name: 'r' }, services }]);
  const state = { epoch: 'e'.repeat(36), revision: 3, recordedAt: new Date(0).toISOString(), registries: [] };
  return new View('e'.repeat(36), 3, 'all', state, [], new MergedParts(aggregate, new Set()), false);
}

describe('View.page', () => {
  test('cuts a gzip page so that its base64 body stays under the limit, and the pages add up to the view', () => {
    const view = viewOf(3_000);
    const limit = 20_000;
    const seen: unknown[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = view.page({ offset, coding: 'gzip', cursor: (next) => String(next) }, limit);
      assert.equal(page.coding, 'gzip');
      assert.ok(page.bytes <= limit, `${page.bytes} bytes`);
      assert.equal(page.bytes, page.body.length);
      seen.push(...JSON.parse(gunzipSync(Buffer.from(page.body, 'base64')).toString()).services);
      offset = page.nextOffset;
    }
    assert.deepEqual(seen, view.services);
  });

  test('counts the UTF-8 bytes of an identity page exactly, non-ASCII labels included', () => {
    const view = viewOf(50, { team: 'équipe-東京' });
    const page = view.page({ offset: 0, coding: 'identity', cursor: () => '' });
    assert.equal(page.bytes, Buffer.byteLength(page.body));
  });
});
