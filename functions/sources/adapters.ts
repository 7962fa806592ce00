/** Every source type's adapter, keyed by its `type`: the one place a new source type is added. */
import type { Source } from '#lib/source-schema.ts';
import type { SourceAdapter } from './adapter.ts';
import { consulAdapter } from './consul-source.ts';
import { httpAdapter } from './http-source.ts';
import { kubernetesAdapter } from './kubernetes-source.ts';

export type Adapters = { [T in Source['type']]: SourceAdapter<Extract<Source, { type: T }>> };

export const adapters: Adapters = {
  http: httpAdapter,
  kubernetes: kubernetesAdapter,
  consul: consulAdapter,
};

/** The adapter of `source`'s type (the record's type ties each key to its source shape). */
export function adapterFor<S extends Source>(source: S): SourceAdapter<S> {
  return adapters[source.type] as unknown as SourceAdapter<S>;
}
