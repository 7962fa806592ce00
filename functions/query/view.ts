/**
 * One merged view (a revision, with or without stale registries) as the query routes serve it:
 * serialised once (each service's JSON kept, and taken over by the next incremental merge; the whole
 * body is one join of them and a page a slice of it, not a new serialisation), compressed once per
 * coding, indexed by hostname, and cut into pages that fit a Lambda response.
 */
import type { RegistryStatusEntry } from '#lib/api-types.ts';
import type { ViewState } from '#lib/registry.ts';
import type { Aggregate, MergedService } from '#lib/types.ts';
import { type Coding, compress } from './encoding.ts';

export type Variant = 'all' | 'fresh';

/** Lambda's response payload limit (6 MB), which counts a binary body after its base64 encoding. */
export const LAMBDA_RESPONSE_LIMIT = 6_291_456;
/** Room for the status, the headers and the JSON envelope Lambda wraps the body in. */
const ENVELOPE_ALLOWANCE = 8_192;

/** What one merge produced, shared by every view that merged the same snapshots. */
export class MergedParts {
  private serviceJson: string[] | undefined;
  /** UTF-8 bytes of each service's JSON. */
  private serviceBytes: number[] | undefined;
  private prefixBytes: number[] | undefined;
  private serviceEnds: number[] | undefined;
  private joinedJson: string | undefined;
  private hostnames: Map<string, MergedService> | undefined;
  private previous: MergedParts | undefined;

  constructor(
    readonly aggregate: Aggregate,
    /** Registries with a clusterId, whose entries merge per hostname. */
    readonly clustered: ReadonlySet<string>,
    /**
     * The merge this one was made from incrementally: it hands unchanged entries over as the same
     * objects (never mutated), so their JSON is taken from it and only the changed entries are
     * serialised. Only a merge whose JSON was built is kept, and dropped once used, so that no chain
     * of past merges stays alive (a function that never serialises the view keeps at most one).
     */
    previous?: MergedParts,
  ) {
    this.previous = previous?.serviceJson ? previous : previous?.previous;
  }

  get services(): readonly MergedService[] {
    return this.aggregate.services;
  }

  json(): string[] {
    if (this.serviceJson) return this.serviceJson;
    // Arrays by position, not a WeakMap by object: a cold view serialises every entry, and the
    // WeakMap's entries (and the objects holding each text and size) doubled that cost in GC work.
    const services = this.aggregate.services;
    const json = new Array<string>(services.length);
    const bytes = new Array<number>(services.length);
    const before = this.previous;
    this.previous = undefined;
    const reused = before?.services ?? [];
    const reusedJson = before?.serviceJson ?? [];
    const reusedBytes = before?.serviceBytes ?? [];
    let positions: Map<MergedService, number> | undefined;
    for (let i = 0; i < services.length; i++) {
      const service = services[i] as MergedService;
      let at = -1;
      if (before) {
        // Mostly at the same position; past an entry added or removed, by object.
        if (reused[i] === service) at = i;
        else {
          positions ??= new Map(reused.map((entry, index) => [entry, index]));
          at = positions.get(service) ?? -1;
        }
      }
      if (at >= 0) {
        json[i] = reusedJson[at] as string;
        bytes[i] = reusedBytes[at] as number;
      } else {
        const text = JSON.stringify(service);
        json[i] = text;
        bytes[i] = Buffer.byteLength(text);
      }
    }
    this.serviceBytes = bytes;
    this.serviceJson = json;
    return json;
  }

  /** Every service's JSON joined: kept, so a view whose services did not change joins nothing again. */
  joined(): string {
    this.joinedJson ??= this.json().join(',');
    return this.joinedJson;
  }

  /**
   * The JSON of services [offset, offset + count), joined: a slice of `joined()`, which V8 keeps as a
   * view of it, so a page costs neither a join nor a copy (a truncated first page is served for every
   * revision whose view is larger than a response; a status-only change rebuilt it each time).
   */
  joinedRange(offset: number, count: number): string {
    const whole = this.joined();
    if (offset === 0 && count === this.json().length) return whole;
    const ends = this.charEnds();
    const start = offset === 0 ? 0 : (ends[offset - 1] as number) + 1;
    return whole.slice(start, count === 0 ? start : ends[offset + count - 1]);
  }

  /** ends[i] = where service i's JSON ends in `joined()` (UTF-16 units, as strings index). */
  private charEnds(): number[] {
    if (!this.serviceEnds) {
      const json = this.json();
      const ends = new Array<number>(json.length);
      let at = -1;
      for (let i = 0; i < json.length; i++) {
        at += 1 + (json[i] as string).length;
        ends[i] = at;
      }
      this.serviceEnds = ends;
    }
    return this.serviceEnds;
  }

  /** prefix[n] = UTF-8 bytes of the first n services' JSON, with the commas between them. */
  prefix(): number[] {
    if (!this.prefixBytes) {
      const count = this.json().length;
      const bytes = this.serviceBytes as number[];
      const prefix = new Array<number>(count + 1);
      prefix[0] = 0;
      for (let i = 0; i < count; i++) {
        prefix[i + 1] = (prefix[i] as number) + (bytes[i] as number) + (i > 0 ? 1 : 0);
      }
      this.prefixBytes = prefix;
    }
    return this.prefixBytes;
  }

  /**
   * Istio's aggregate GetService: registries in order, the first registry without a clusterId that has
   * the hostname answers; only when none has it, the entry merged across the clustered registries.
   */
  byHostname(hostname: string): MergedService | undefined {
    if (!this.hostnames) {
      const index = new Map<string, MergedService>();
      const unclustered = new Set<string>();
      for (const service of this.aggregate.services) {
        if (!this.clustered.has(service.registry)) {
          if (unclustered.has(service.hostname)) continue;
          unclustered.add(service.hostname);
          index.set(service.hostname, service);
        } else if (!index.has(service.hostname)) {
          index.set(service.hostname, service);
        }
      }
      this.hostnames = index;
    }
    return this.hostnames.get(hostname);
  }
}

export interface Page {
  /** The JSON text (identity), or the compressed bytes already base64-encoded, as Lambda sends them. */
  body: string;
  coding: Coding;
  /** Bytes the body takes in the Lambda response payload. */
  bytes: number;
  count: number;
  /** Offset of the next page, when services remain. */
  nextOffset?: number;
}

export interface PageRequest {
  offset: number;
  /** Without it: as many as fit one response (the whole view when it fits). */
  limit?: number;
  coding: Coding;
  /** Encodes the cursor of the page at an offset. */
  cursor: (offset: number) => string;
}

const MAX_CACHED_PAGES = 16;

/** The ETag of a view: its epoch, revision and variant, and whether it served a snapshot degraded. */
export function viewEtag(epoch: string, revision: number, variant: Variant, degraded: boolean): string {
  return `W/"${epoch.slice(0, 8)}-${revision}-${variant === 'fresh' ? 'f' : 'a'}${degraded ? '-d' : ''}"`;
}

export class View {
  readonly etag: string;
  private headJson: string | undefined;
  /** The first page without a limit, per coding: what most reads ask for, never evicted. */
  private readonly whole = new Map<Coding, Page>();
  private readonly pages = new Map<string, Page>();

  constructor(
    readonly epoch: string,
    readonly revision: number,
    readonly variant: Variant,
    readonly state: ViewState,
    readonly registries: RegistryStatusEntry[],
    readonly parts: MergedParts,
    /** Set when a snapshot could not be read and the view serves an older copy or an error for it. */
    readonly degraded: boolean,
  ) {
    this.etag = viewEtag(epoch, revision, variant, degraded);
  }

  get services(): readonly MergedService[] {
    return this.parts.services;
  }

  get aggregate(): Aggregate {
    return this.parts.aggregate;
  }

  pageEtag(offset: number, limit: number | undefined): string {
    if (offset === 0 && limit === undefined) return this.etag;
    return `${this.etag.slice(0, -1)}-p${offset}x${limit ?? ''}"`;
  }

  /** The fields after `services` on a first page. */
  private head(): string {
    this.headJson ??= `"errors":${JSON.stringify(this.aggregate.errors)},"conflicts":${JSON.stringify(
      this.aggregate.conflicts,
    )},"registries":${JSON.stringify(this.registries)}`;
    return this.headJson;
  }

  /** The body of the services [offset, offset + count), with paging fields when it is not the whole view. */
  private bodyText(
    offset: number,
    count: number,
    options: { paged: boolean; truncated: boolean; next?: string },
  ): { text: string; bytes: number } {
    const json = this.parts.json();
    const prefix = this.parts.prefix();
    const services = this.parts.joinedRange(offset, count);
    let tail = '';
    if (offset === 0) tail += `,${this.head()}`;
    if (options.paged) tail += `,"total":${json.length}`;
    if (options.next !== undefined) tail += `,"next":${JSON.stringify(options.next)}`;
    if (options.truncated) tail += ',"truncated":true';
    tail += '}';
    const start = `{"revision":${this.revision},"services":[`;
    const end = `]${tail}`;
    // The services' bytes are known already: no byteLength over the whole (megabytes of) text.
    const bytes =
      start.length +
      ((prefix[offset + count] as number) - (prefix[offset] as number)) +
      Buffer.byteLength(end);
    return { text: start + services + end, bytes };
  }

  private encode(text: string, bytes: number, coding: Coding): Pick<Page, 'body' | 'coding' | 'bytes'> {
    if (coding === 'identity') return { body: text, coding, bytes };
    const compressed = compress(text, coding);
    // A tiny body can grow when compressed; then it goes as it is.
    if (compressed.length >= bytes) return { body: text, coding: 'identity', bytes };
    const body = compressed.toString('base64');
    return { body, coding, bytes: body.length };
  }

  /** UTF-8 bytes of a page's text without building it (the services' sizes are known). */
  private predictedBytes(offset: number, count: number, more: boolean): number {
    const prefix = this.parts.prefix();
    let bytes = 64 + (prefix[offset + count] as number) - (prefix[offset] as number);
    if (offset === 0) bytes += Buffer.byteLength(this.head());
    // The cursor: base64url of a small JSON object.
    if (more) bytes += 200;
    return bytes;
  }

  /** A page of the view, encoded, no larger than a Lambda response allows; cached per page and coding. */
  page(request: PageRequest, maxBytes = LAMBDA_RESPONSE_LIMIT - ENVELOPE_ALLOWANCE): Page {
    const isWhole = request.offset === 0 && request.limit === undefined;
    const key = `${request.offset}:${request.limit ?? ''}:${request.coding}`;
    const cached = isWhole ? this.whole.get(request.coding) : this.pages.get(key);
    if (cached) return cached;
    const total = this.parts.json().length;
    const offset = Math.min(request.offset, total);
    let count = Math.min(request.limit ?? total, total - offset);
    const paged = request.limit !== undefined || offset > 0;
    const build = (n: number): Page => {
      const more = offset + n < total;
      const { text, bytes } = this.bodyText(offset, n, {
        paged: paged || more,
        truncated: request.limit === undefined && offset === 0 && more,
        ...(more ? { next: request.cursor(offset + n) } : {}),
      });
      return {
        ...this.encode(text, bytes, request.coding),
        count: n,
        ...(more ? { nextOffset: offset + n } : {}),
      };
    };
    // Uncompressed, the size is known before building: take the largest count that fits.
    const fits = (n: number) => this.predictedBytes(offset, n, offset + n < total) <= maxBytes;
    if (request.coding === 'identity' && !fits(count)) {
      let low = 1;
      let high = count;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (fits(mid)) low = mid;
        else high = mid - 1;
      }
      count = low;
    }
    let page = build(count);
    if (page.bytes > maxBytes) {
      // Compressed and too large: estimate the count that fits from the ratio, then shrink until it does.
      const prefix = this.parts.prefix();
      const raw = (prefix[offset + count] as number) - (prefix[offset] as number);
      const target = (maxBytes * 0.95) / (page.bytes / Math.max(raw, 1));
      let n = count;
      while (n > 1 && (prefix[offset + n] as number) - (prefix[offset] as number) > target)
        n = Math.floor(n * 0.9);
      count = Math.max(1, n);
      page = build(count);
      while (page.bytes > maxBytes && count > 1) {
        count = Math.max(1, Math.floor(count * 0.9));
        page = build(count);
      }
    }
    if (isWhole) {
      this.whole.set(request.coding, page);
      return page;
    }
    if (this.pages.size >= MAX_CACHED_PAGES) {
      const oldest = this.pages.keys().next().value;
      if (oldest !== undefined) this.pages.delete(oldest);
    }
    this.pages.set(key, page);
    return page;
  }

  service(hostname: string): MergedService | undefined {
    return this.parts.byHostname(hostname);
  }
}
