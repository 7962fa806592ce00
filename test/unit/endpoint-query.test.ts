import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEndpointQuery, parseLabels, parsePorts } from '#lib/endpoint-query.ts';

describe('parseEndpointQuery', () => {
  test('no parameters filter nothing', () => {
    assert.deepEqual(parseEndpointQuery({}), { ok: true, value: {} });
  });

  test('a port of digits is a number and any other port a name', () => {
    const byNumber = parseEndpointQuery({ port: '9080' });
    const byName = parseEndpointQuery({ port: 'http-web' });

    assert.deepEqual(
      [byNumber, byName],
      [
        { ok: true, value: { port: 9080 } },
        { ok: true, value: { port: 'http-web' } },
      ],
    );
  });

  test('labels become an equality selector, k==v as k=v', () => {
    const parsed = parseEndpointQuery({ labels: 'app=reviews,version==v1,team=' });

    assert.deepEqual(parsed, { ok: true, value: { labels: { app: 'reviews', version: 'v1', team: '' } } });
  });

  test('each health filter is accepted', () => {
    const parsed = ['all', 'healthy', 'healthy_or_else_all'].map((health) => parseEndpointQuery({ health }));

    assert.deepEqual(
      parsed.map((result) => result.ok && result.value.health),
      ['all', 'healthy', 'healthy_or_else_all'],
    );
  });

  for (const [parameter, value] of [
    ['port', '0'],
    ['port', '70000'],
    ['port', ''],
    ['port', '80,http'],
    ['health', 'sometimes'],
    ['health', ''],
    ['labels', '=x'],
    ['labels', 'novalue'],
    ['labels', ''],
    ['labels', 'app!=web'],
    ['labels', 'app=web,'],
    ['labels', 'bad key=x'],
  ] as const) {
    test(`${parameter}=${value} is refused with a message naming ${parameter}`, () => {
      const parsed = parseEndpointQuery({ [parameter]: value });

      assert.equal(parsed.ok, false);
      assert.equal(!parsed.ok && parsed.parameter, parameter);
      assert.match(!parsed.ok ? parsed.message : '', new RegExp(`^${parameter} `));
    });
  }
});

describe('parsePorts and parseLabels', () => {
  test('ports are comma separated, numbers and names mixed', () => {
    assert.deepEqual(parsePorts('80,grpc'), { ok: true, value: [80, 'grpc'] });
  });

  test('a label key may have a DNS prefix', () => {
    assert.deepEqual(parseLabels('app.kubernetes.io/name=reviews'), {
      ok: true,
      value: { 'app.kubernetes.io/name': 'reviews' },
    });
  });
});
