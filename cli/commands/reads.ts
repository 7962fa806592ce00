/** The read commands: registries, status, services, endpoints, conflicts. */
import type { Command } from 'commander';
import { isNotServed } from '../client.ts';
import type { ClientFactory } from '../main.ts';
import { age, dash, print, printJson, statusText, table } from '../output.ts';
import type { Conflicts, Endpoints, MergedView, RegistryList } from '../types.ts';

type Service = MergedView['services'][number];
type Port = NonNullable<Service['ports']>[number];
const portText = (port: Port) =>
  `${port.name ? `${port.name}:` : ''}${port.port}${port.protocol ? `/${port.protocol}` : ''}`;

function vips(service: Service): string {
  const byCluster = Object.entries(service.clusterVIPs ?? {}).map(([cluster, vip]) => `${cluster}=${vip}`);
  return byCluster.length > 0 ? byCluster.join(',') : dash(service.address);
}

export function registerReads(root: Command, client: ClientFactory): void {
  root
    .command('registries')
    .description('list the registries in registration order, with their freshness')
    .option('--json', 'print the API response')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      const [{ body: list }, { body: view }] = await Promise.all([
        api.call<RegistryList>('GET', '/registries'),
        api.call<MergedView>('GET', '/services'),
      ]);
      if (options.json) return printJson(list);
      const status = new Map(view.registries.map((entry) => [entry.name, entry.status]));
      print(
        table(
          ['NAME', 'CLUSTER', 'PROVIDER', 'STATUS', 'GENERATION', 'SERVICES', 'LAST ERROR'],
          list.registries.map((r) => [
            r.name,
            dash(r.clusterId),
            dash(r.provider),
            statusText(status.get(r.name) ?? '-'),
            dash(r.generation),
            String(r.serviceCount),
            dash(r.lastError),
          ]),
        ),
      );
    });

  root
    .command('status')
    .description('freshness per registry: status, snapshot age, last check, last error')
    .action(async () => {
      const api = client();
      const [{ body: list }, { body: view }] = await Promise.all([
        api.call<RegistryList>('GET', '/registries'),
        api.call<MergedView>('GET', '/services'),
      ]);
      const checks = new Map(list.registries.map((r) => [r.name, r]));
      print(
        table(
          ['NAME', 'STATUS', 'GENERATION', 'SNAPSHOT AGE', 'CHECKED', 'LAST ERROR'],
          view.registries.map((entry) => [
            entry.name,
            statusText(entry.status),
            dash(entry.generation),
            age(entry.snapshotAt),
            checks.get(entry.name)?.checkedAt ? `${age(checks.get(entry.name)?.checkedAt)} ago` : '-',
            dash(entry.lastError),
          ]),
        ),
      );
      print(
        `revision ${view.revision}: ${view.services.length} services, ${view.conflicts.length} conflicts`,
      );
    });

  root
    .command('services')
    .description('the merged services')
    .option('--json', "print the API's services as JSON")
    .option('--hostname <hostname>', 'only the entries of this hostname')
    .action(async (options: { json?: boolean; hostname?: string }) => {
      const { body } = await client().call<MergedView>('GET', '/services');
      const services = options.hostname
        ? body.services.filter((s) => s.hostname === options.hostname)
        : body.services;
      if (options.json) return printJson(services);
      print(
        table(
          ['HOSTNAME', 'REGISTRY', 'NAMESPACE', 'PORTS', 'VIPS'],
          services.map((s) => [
            s.hostname,
            s.registry,
            dash(s.namespace),
            (s.ports ?? []).map(portText).join(',') || '-',
            vips(s),
          ]),
        ),
      );
    });

  root
    .command('endpoints <hostname>')
    .description("every registry's endpoints of a hostname")
    .option('--port <port>', 'only endpoints of this service port (number or name)')
    .option('--json', 'print the endpoints as JSON')
    .action(async (hostname: string, options: { port?: string; json?: boolean }) => {
      const query = options.port ? `?${new URLSearchParams({ port: options.port })}` : '';
      const { body } = await client().call<Endpoints>(
        'GET',
        `/services/${encodeURIComponent(hostname)}/endpoints${query}`,
      );
      if (options.json) return printJson(body.endpoints);
      print(
        table(
          ['REGISTRY', 'CLUSTER', 'ADDRESS', 'PORT', 'SERVICE PORT', 'HEALTHY'],
          body.endpoints.map((e) => [
            e.registry,
            dash(e.clusterId),
            e.address,
            String(e.port),
            e.servicePort ? portText(e.servicePort) : '-',
            e.healthy ? 'yes' : statusText('error').replace('error', 'no'),
          ]),
        ),
      );
    });

  root
    .command('conflicts')
    .description('the conflicts of the merged view, per hostname and field')
    .option('--json', 'print the conflicts as JSON')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      let groups: Conflicts['conflicts'];
      try {
        groups = (await api.call<Conflicts>('GET', '/conflicts')).body.conflicts;
      } catch (error) {
        // Before GET /conflicts existed, the merged view carried them one sighting at a time.
        if (!isNotServed(error)) throw error;
        const { body } = await api.call<MergedView>('GET', '/services');
        groups = body.conflicts.map((c) => ({
          hostname: c.hostname,
          field: c.field,
          kept: c.kept,
          ignored: [c.ignored],
        }));
      }
      if (options.json) return printJson(groups);
      if (groups.length === 0) return print('no conflicts');
      const value = (v: unknown) => JSON.stringify(v);
      print(
        table(
          ['HOSTNAME', 'FIELD', 'KEPT', 'IGNORED'],
          groups.map((g) => [
            g.hostname,
            g.field,
            `${g.kept.registry}=${value(g.kept.value)}`,
            g.ignored.map((i) => `${i.registry}=${value(i.value)}`).join(' '),
          ]),
        ),
      );
    });
}
