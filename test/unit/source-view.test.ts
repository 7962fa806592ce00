/** Readers see a source's header names and secret references, never a header's value. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HIDDEN_HEADER_VALUE, sourceView } from '#lib/source-schema.ts';
import { registryView } from '../../functions/registries/registry-view.ts';

describe('the source as readers see it', () => {
  test('plain header values are hidden; names and references are shown', () => {
    // Prepare: a plain credential as a registry stored before credential headers had to be references.
    const record = {
      name: 'pulled',
      incarnation: 'i-1',
      position: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      snapshot: null,
      source: {
        type: 'http' as const,
        url: 'https://s.example/snapshot',
        headers: { Authorization: 'Bearer plain-old-secret', 'X-Key': { fromEnv: 'SOURCE_SECRET_KEY' } },
      },
    };

    // Act
    const view = registryView(record as unknown as Parameters<typeof registryView>[0]);

    // Assess
    assert.deepEqual(view.source, {
      type: 'http',
      url: 'https://s.example/snapshot',
      headers: { Authorization: HIDDEN_HEADER_VALUE, 'X-Key': { fromEnv: 'SOURCE_SECRET_KEY' } },
    });
    assert.ok(!JSON.stringify(view).includes('plain-old-secret'));
  });

  test('sources without headers are shown as they are', () => {
    const source = {
      type: 'consul' as const,
      address: 'http://c:8500',
      token: { fromEnv: 'SOURCE_SECRET_C' },
    };
    assert.deepEqual(sourceView(source), source);
  });
});
