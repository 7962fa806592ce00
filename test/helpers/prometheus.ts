/**
 * A real Prometheus (Debian's `prometheus`, /usr/bin/prometheus) on a free loopback port, discovering
 * targets with `http_sd_configs` from a URL, for tests that prove the HTTP SD export against the real
 * consumer. Its storage lives in a temporary directory removed on stop.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '#infra/dynamodb-local.ts';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

export interface DiscoveredTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapeUrl: string;
}

export interface RunningPrometheus {
  url: string;
  version: string;
  /** Active targets of the job, as GET /api/v1/targets lists them. */
  targets(): Promise<DiscoveredTarget[]>;
  /** Polls until `done(targets)` holds, at most `timeoutMs`; returns the last targets seen. */
  waitForTargets(
    done: (targets: DiscoveredTarget[]) => boolean,
    timeoutMs?: number,
  ): Promise<DiscoveredTarget[]>;
  output(): string;
  stop(): Promise<void>;
}

export function prometheusVersion(): string {
  const text = execFileSync(PROMETHEUS_BINARY, ['--version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return /version (\S+)/.exec(text)?.[1] ?? text.split('\n')[0] ?? 'unknown';
}

export async function startPrometheus(options: {
  sdUrl: string;
  bearerToken: string;
  job?: string;
}): Promise<RunningPrometheus> {
  const job = options.job ?? 'aggregate';
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
  const config = {
    global: { scrape_interval: '1m', evaluation_interval: '1m' },
    scrape_configs: [
      {
        job_name: job,
        http_sd_configs: [
          {
            url: options.sdUrl,
            refresh_interval: '1s',
            authorization: { type: 'Bearer', credentials: options.bearerToken },
          },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (data) => {
    output += data;
  });
  child.stderr?.on('data', (data) => {
    output += data;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not start:\n${output.slice(-3000)}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const targets = async (): Promise<DiscoveredTarget[]> => {
    const response = await fetch(`${url}/api/v1/targets?state=active`);
    const body = (await response.json()) as {
      data: { activeTargets: (DiscoveredTarget & { scrapePool: string })[] };
    };
    return body.data.activeTargets.filter((target) => target.scrapePool === job);
  };
  return {
    url,
    version: prometheusVersion(),
    targets,
    async waitForTargets(done, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = await targets();
        if (done(found) || Date.now() > until) return found;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    output: () => output,
    stop,
  };
}
