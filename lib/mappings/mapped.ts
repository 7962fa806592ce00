import type { Service } from '../types.ts';

/** What a mapping makes of an upstream's objects. */
export interface Mapped {
  /** Candidate services; each is still checked against the snapshot schema by the caller. */
  services: Service[];
  /** Why objects were left out, one short reason each. */
  skipped: string[];
}
