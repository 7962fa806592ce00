/**
 * The dashboard: asks for a token, then shows the merged view (registries, services, conflicts) and
 * keeps it current by polling GET /services with If-None-Match. The token stays in this tab
 * (sessionStorage), never in localStorage.
 */
import { describeFailure, getJson } from './api.ts';
import { age, byId, el, replaceRows } from './dom.ts';

interface Port {
  name?: string;
  port: number;
  protocol?: string;
}
interface Service {
  hostname: string;
  registry: string;
  namespace?: string;
  address?: string;
  ports?: Port[];
  clusterVIPs?: Record<string, string>;
}
interface RegistryStatus {
  name: string;
  clusterId?: string;
  provider?: string;
  status: 'ok' | 'stale' | 'error' | 'empty';
  generation: number | null;
  serviceCount: number;
  snapshotAt: string | null;
  lastError: string | null;
}
interface Conflict {
  hostname: string;
  field: string;
  kept: { registry: string; value: unknown };
  ignored: { registry: string; value: unknown };
}
interface MergedView {
  revision: number;
  services: Service[];
  conflicts: Conflict[];
  registries: RegistryStatus[];
}
interface Endpoint {
  registry: string;
  clusterId?: string;
  address: string;
  port: number;
  servicePort?: Port;
  healthy: boolean;
}

const POLL_MS = 5000;
const TOKEN_KEY = 'aggregate-registry.token';

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let view: MergedView | null = null;
let etag: string | undefined;
let selected: string | null = null;
let timer: number | undefined;

const statusLine = byId('status');
const search = byId<HTMLInputElement>('search');

function say(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.className = error ? 'error' : '';
}

async function load(): Promise<void> {
  if (!token) return;
  const answer = await getJson<MergedView>('/services', token, etag);
  if (answer === 'unchanged') {
    say(`Revision ${view?.revision ?? '?'}, checked ${new Date().toLocaleTimeString()}`);
  } else if (!answer.ok) {
    say(describeFailure(answer.failure), true);
    if (answer.failure.status === 401 || answer.failure.status === 403) {
      stopPolling();
      return;
    }
  } else {
    view = answer.body;
    etag = answer.etag ?? undefined;
    byId('content').hidden = false;
    say(`Revision ${view.revision}, loaded ${new Date().toLocaleTimeString()}`);
    render();
  }
  timer = window.setTimeout(() => void load(), POLL_MS);
}

function stopPolling(): void {
  if (timer !== undefined) window.clearTimeout(timer);
  timer = undefined;
}

function render(): void {
  if (!view) return;
  renderRegistries(view.registries);
  renderServices(view.services);
  renderConflicts(view.conflicts);
  if (selected) void renderDetail(selected);
}

function renderRegistries(registries: RegistryStatus[]): void {
  replaceRows(
    byId('registries'),
    registries.map((registry) =>
      el(
        'tr',
        { 'data-registry': registry.name },
        el('td', {}, registry.name),
        el('td', {}, registry.clusterId ?? '—'),
        el('td', {}, registry.provider ?? '—'),
        el('td', {}, el('span', { class: `badge ${registry.status}` }, registry.status)),
        el('td', {}, registry.generation ?? '—'),
        el('td', {}, registry.serviceCount),
        el('td', {}, age(registry.snapshotAt)),
        el('td', {}, registry.lastError ?? ''),
      ),
    ),
  );
}

function vips(service: Service): string {
  const byCluster = Object.entries(service.clusterVIPs ?? {}).map(([cluster, vip]) => `${cluster}: ${vip}`);
  return byCluster.length > 0 ? byCluster.join(', ') : service.address || '—';
}

const portText = (port: Port) =>
  `${port.name ? `${port.name} ` : ''}${port.port}${port.protocol ? `/${port.protocol}` : ''}`;

function renderServices(services: Service[]): void {
  const needle = search.value.trim().toLowerCase();
  const shown = needle
    ? services.filter((service) => service.hostname.toLowerCase().includes(needle))
    : services;
  byId('service-count').textContent = needle
    ? `(${shown.length} of ${services.length})`
    : `(${services.length})`;
  replaceRows(
    byId('services'),
    shown.map((service) => {
      const row = el(
        'tr',
        {
          'data-hostname': service.hostname,
          ...(service.hostname === selected ? { class: 'selected' } : {}),
        },
        el('td', {}, service.hostname),
        el('td', {}, service.registry),
        el('td', {}, service.namespace ?? '—'),
        el('td', {}, (service.ports ?? []).map(portText).join(', ') || '—'),
        el('td', {}, vips(service)),
      );
      row.addEventListener('click', () => {
        selected = service.hostname;
        render();
      });
      return row;
    }),
  );
}

function renderConflicts(conflicts: Conflict[]): void {
  byId('conflict-count').textContent = `(${conflicts.length})`;
  const groups = new Map<string, Conflict[]>();
  for (const conflict of conflicts)
    groups.set(conflict.hostname, [...(groups.get(conflict.hostname) ?? []), conflict]);
  const container = byId('conflicts');
  if (groups.size === 0) {
    container.replaceChildren(el('p', { class: 'muted' }, 'No conflicts.'));
    return;
  }
  container.replaceChildren(
    ...[...groups].map(([hostname, list]) =>
      el(
        'div',
        { class: 'conflict', 'data-hostname': hostname },
        el('strong', {}, hostname),
        el(
          'ul',
          {},
          list.map((c) =>
            el(
              'li',
              {},
              `${c.field}: kept `,
              el('code', {}, JSON.stringify(c.kept.value)),
              ` from ${c.kept.registry}, ignored `,
              el('code', {}, JSON.stringify(c.ignored.value)),
              ` from ${c.ignored.registry}`,
            ),
          ),
        ),
      ),
    ),
  );
}

async function renderDetail(hostname: string): Promise<void> {
  const service = view?.services.find((s) => s.hostname === hostname);
  const section = byId('detail');
  section.hidden = false;
  byId('detail-title').textContent = hostname;
  const body = byId('detail-body');
  const sightings = view?.services.filter((s) => s.hostname === hostname) ?? [];
  const vipRows = sightings.flatMap((s) =>
    Object.entries(s.clusterVIPs ?? {}).map(([cluster, vip]) =>
      el('tr', {}, el('td', {}, cluster), el('td', {}, vip)),
    ),
  );
  const summary = [
    el(
      'p',
      {},
      `Kept from registry ${service?.registry ?? '?'}; ports ${(service?.ports ?? []).map(portText).join(', ') || 'none'}.`,
    ),
    el('h3', {}, 'VIPs per cluster'),
    vipRows.length > 0
      ? el(
          'table',
          { id: 'vips' },
          el('thead', {}, el('tr', {}, el('th', {}, 'Cluster'), el('th', {}, 'VIP'))),
          el('tbody', {}, vipRows),
        )
      : el('p', { class: 'muted' }, service?.address ? `Address ${service.address} (no cluster)` : 'No VIP.'),
    el('h3', {}, 'Endpoints'),
  ];
  body.replaceChildren(...summary, el('p', { class: 'muted' }, 'Loading endpoints…'));
  const answer = await getJson<{ endpoints: Endpoint[] }>(
    `/services/${encodeURIComponent(hostname)}/endpoints`,
    token,
  );
  if (selected !== hostname || answer === 'unchanged') return;
  let endpoints: Node;
  if (answer.ok) {
    endpoints =
      answer.body.endpoints.length === 0
        ? el('p', { class: 'muted' }, 'No endpoints.')
        : el(
            'table',
            { id: 'endpoints' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ['Registry', 'Cluster', 'Address', 'Port', 'Service port', 'Healthy'].map((h) =>
                  el('th', {}, h),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              answer.body.endpoints.map((e) =>
                el(
                  'tr',
                  {},
                  el('td', {}, e.registry),
                  el('td', {}, e.clusterId ?? '—'),
                  el('td', {}, e.address),
                  el('td', {}, e.port),
                  el('td', {}, e.servicePort ? portText(e.servicePort) : '—'),
                  el('td', {}, e.healthy ? 'yes' : 'no'),
                ),
              ),
            ),
          );
  } else if (
    answer.failure.code === 'NotServed' ||
    (answer.failure.status === 404 && answer.failure.code === 'NotFound')
  ) {
    endpoints = el(
      'p',
      { class: 'muted', id: 'endpoints-unavailable' },
      'Endpoints are not available on this deployment.',
    );
  } else {
    endpoints = el('p', { class: 'muted' }, describeFailure(answer.failure));
  }
  body.replaceChildren(...summary, endpoints);
}

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = byId<HTMLInputElement>('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  etag = undefined;
  stopPolling();
  say('Loading…');
  void load();
});
search.addEventListener('input', () => {
  if (view) renderServices(view.services);
});
if (token) void load();
