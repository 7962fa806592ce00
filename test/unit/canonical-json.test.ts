import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson } from '#lib/canonical-json.ts';

describe('canonicalJson', () => {
  test('objects with the same entries in another key order give the same text', () => {
    // Act
    const texts = [canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 })];

    // Assess
    assert.equal(texts[0], '{"a":{"c":3,"d":2},"b":1}');
    assert.equal(texts[1], texts[0]);
  });

  test('a "__proto__" key is kept as an ordinary key', () => {
    // Prepare
    // JSON.parse makes "__proto__" an own key, as it does for a pushed body.
    const vips = JSON.parse('{"cluster-1":"10.1.0.1","__proto__":"10.0.0.1"}');

    // Act
    const text = canonicalJson({ clusterVIPs: vips });

    // Assess
    assert.equal(text, '{"clusterVIPs":{"__proto__":"10.0.0.1","cluster-1":"10.1.0.1"}}');
  });
});
