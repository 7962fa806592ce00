/**
 * inflateJson reads the store's compressed JSON, zstd or (snapshots written before) brotli or gzip, as
 * JSON.parse of the decompressed bytes' UTF-8 would, whatever the text holds and whatever the gzip
 * trailer says the inflated size is.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brotliCompressSync, gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { inflateJson, zstdContentSize } from '#store/dynamodb/inflate.ts';
import type { ChunkCodec } from '#store/dynamodb/keys.ts';

const codecs: [ChunkCodec, (text: string) => Uint8Array][] = [
  ['zstd', (text) => zstdCompressSync(text)],
  ['br', (text) => brotliCompressSync(text)],
  ['gzip', (text) => gzipSync(text)],
];

describe('inflateJson', () => {
  for (const [codec, compress] of codecs) {
    test(`gives back any JSON value, non-ASCII text included (${codec})`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          // Prepare
          const packed = compress(JSON.stringify(value));
          // Act
          const inflated = inflateJson(packed, codec);
          // Assess
          assert.deepEqual(inflated, JSON.parse(JSON.stringify(value)));
        }),
      );
    });

    test(`reads a value larger than zlib output chunks, and text beyond the Latin-1 range (${codec})`, () => {
      // Prepare
      const value = Array.from({ length: 5_000 }, (_, i) => ({
        hostname: `svc-${i}.example`,
        label: 'ünïcødé ✓',
      }));
      // Act
      const inflated = inflateJson(compress(JSON.stringify(value)), codec);
      // Assess
      assert.deepEqual(inflated, value);
    });
  }

  test('refuses bytes whose trailer states the wrong size, as gunzip does, rather than cut the text', () => {
    // Prepare: the size field (the last four bytes) says 1 byte
    const packed = Buffer.from(gzipSync(JSON.stringify({ services: ['a'.repeat(10_000)] })));
    packed.writeUInt32LE(1, packed.length - 4);
    // Act, Assess
    assert.throws(() => gunzipSync(packed));
    assert.throws(() => inflateJson(packed, 'gzip'));
  });

  test('reads the inflated size from a zstd frame header, in each of its widths', () => {
    // Prepare: sizes that node:zlib writes in 1, 2, 4 bytes (and 0 bytes, for an empty input)
    for (const size of [0, 40, 255, 256, 1_000, 65_791, 65_792, 3_000_000]) {
      const packed = zstdCompressSync('x'.repeat(size));
      // Act, Assess
      assert.equal(zstdContentSize(packed), size, `a ${size}-byte text`);
    }
    assert.equal(zstdContentSize(gzipSync('{}')), 0, 'not a zstd frame');
    assert.equal(zstdContentSize(new Uint8Array([0x28, 0xb5])), 0, 'too short');
  });

  test('refuses a zstd frame whose header states the wrong size, rather than cut the text', () => {
    // Prepare: a 4-byte size field (the descriptor says so), set to 10 bytes
    const text = JSON.stringify({ services: ['a'.repeat(100_000)] });
    const packed = Buffer.from(zstdCompressSync(text));
    assert.equal(packed.readUInt8(4) >> 6, 2);
    const at = 5 + ((packed.readUInt8(4) & 0x20) !== 0 ? 0 : 1);
    packed.writeUInt32LE(10, at);
    // Act, Assess
    assert.equal(zstdContentSize(packed), 10);
    assert.throws(() => inflateJson(packed, 'zstd'));
  });
});
