/**
 * The registries every fuzz run starts from, seeded the same way in process and over HTTP: the runs
 * then check that nothing a refused request sent changed them.
 */
import { STORED_GENERATION } from './arbitraries.ts';

export const SEEDED = ['fz-one', 'fz-two'] as const;
export const JSON_TYPE = { 'content-type': 'application/json' };

/** Creates the seeded registries and their snapshots with `put(path, body)` (which asserts a 2xx). */
export async function seedRegistries(put: (path: string, body: unknown) => Promise<void>): Promise<void> {
  await put('/registries/fz-one', { clusterId: 'c1', provider: 'Kubernetes', description: 'seeded' });
  await put('/registries/fz-two', { provider: 'static' });
  for (const name of SEEDED) {
    await put(`/registries/${name}/snapshot`, {
      generation: STORED_GENERATION,
      services: [
        {
          hostname: `hello.${name}.svc.cluster.local`,
          address: '10.0.0.1',
          ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
          labels: { app: 'hello' },
          endpoints: [{ address: '10.0.1.1', port: 8080, healthy: true }],
        },
      ],
    });
  }
}
