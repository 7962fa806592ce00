/** Port protocols as Istio derives them (ConvertProtocol), for pulled Kubernetes ports and pushed snapshots. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kubernetesPortProtocol } from '#lib/protocol.ts';
import { parseWith, snapshotBodySchema } from '#lib/schemas.ts';

describe('kubernetesPortProtocol', () => {
  const cases: [string, Parameters<typeof kubernetesPortProtocol>[0], string | undefined][] = [
    ['a port named http without appProtocol', { port: 8080, name: 'http', protocol: 'TCP' }, 'HTTP'],
    ['a port named https without appProtocol', { port: 8443, name: 'https', protocol: 'TCP' }, 'HTTPS'],
    ['a name prefix before "-"', { port: 9090, name: 'grpc-api' }, 'GRPC'],
    ['the prefix case-insensitively', { port: 80, name: 'HTTP-web' }, 'HTTP'],
    ['grpc-web, which contains the separator', { port: 80, name: 'grpc-web' }, 'GRPC-WEB'],
    ['appProtocol http, canonical upper case', { port: 80, name: 'web', appProtocol: 'http' }, 'HTTP'],
    ['kubernetes.io/h2c', { port: 80, appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'],
    ['kubernetes.io/ws', { port: 80, appProtocol: 'kubernetes.io/ws' }, 'HTTP'],
    ['kubernetes.io/wss', { port: 443, appProtocol: 'kubernetes.io/wss' }, 'HTTPS'],
    ['appProtocol over the name', { port: 80, name: 'http', appProtocol: 'grpc' }, 'GRPC'],
    ['UDP stays UDP whatever the name', { port: 53, name: 'http', protocol: 'UDP' }, 'UDP'],
    ['an unknown name on a well-known TCP port', { port: 53, name: 'dns-tcp', protocol: 'TCP' }, 'TCP'],
    ['an unknown name elsewhere: Istio sniffs', { port: 15090, name: 'metrics' }, undefined],
    ['an unknown appProtocol: Istio sniffs', { port: 80, appProtocol: 'example.com/custom' }, undefined],
  ];
  for (const [what, port, expected] of cases) {
    test(`${what} gives ${expected ?? 'no protocol'}`, () => {
      // Act
      const protocol = kubernetesPortProtocol(port);

      // Assess
      assert.equal(protocol, expected);
    });
  }
});

describe('pushed snapshots', () => {
  test('have their port protocols canonicalised the way Istio names them', () => {
    // Prepare
    const body = {
      services: [
        {
          hostname: 'a.example.com',
          ports: [
            { port: 80, protocol: 'http' },
            { port: 81, protocol: 'Http2' },
            { port: 82, protocol: 'grpc-web' },
            { port: 83, protocol: 'tcp' },
            { port: 84, protocol: 'custom-thing' },
          ],
        },
      ],
    };

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.services[0]?.ports?.map((port) => port.protocol),
      ['HTTP', 'HTTP2', 'GRPC-WEB', 'TCP', 'custom-thing'],
    );
  });
});
