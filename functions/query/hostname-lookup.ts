/**
 * GET /services/{hostname}'s answers at one revision, taken from the decoded snapshots by Istio's
 * GetService rule (lib/get-service.ts) instead of from the merged view: after a push, one hostname
 * costs a lookup per registry, not a re-merge of the pushed registry. The answers are exactly the
 * view's entries (a property test compares them on random histories).
 */
import { getService } from '#lib/get-service.ts';
import type { ViewState } from '#lib/registry.ts';
import type { MergedService, RegistrySnapshot } from '#lib/types.ts';

/** What the route answers from: a built View, or a lookup over the snapshots of the same revision. */
export interface HostnameAnswers {
  readonly etag: string;
  readonly state: ViewState;
  service(hostname: string): MergedService | undefined;
}

/** Answers kept per lookup before the memo starts over (a revision rarely sees this many hostnames). */
const MAX_ANSWERS = 10_000;

export class HostnameLookup implements HostnameAnswers {
  private readonly answers = new Map<string, MergedService | null>();

  constructor(
    readonly etag: string,
    readonly state: ViewState,
    private readonly inputs: readonly RegistrySnapshot[],
  ) {}

  service(hostname: string): MergedService | undefined {
    let answer = this.answers.get(hostname);
    if (answer === undefined) {
      if (this.answers.size >= MAX_ANSWERS) this.answers.clear();
      answer = getService(this.inputs, hostname) ?? null;
      this.answers.set(hostname, answer);
    }
    return answer ?? undefined;
  }
}
