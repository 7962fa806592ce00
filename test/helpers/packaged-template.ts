/**
 * The CloudFormation template `serverless package --stage localstack` produces (no credentials
 * needed), packaged once and kept under node_modules/.cache while serverless.yml, infra/ and the
 * functions are unchanged, so the template test and the permissions test share one packaging (and
 * `npm test` makes it at its start, beside the other layers). Callers at once take turns: one packages,
 * the others wait for it and read the same template.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BUILDS_FOLDER } from './local-stack.ts';

export const PACKAGE_DIR = join('node_modules', '.cache', 'aggregate-registry', 'package');
const STAMP = join(PACKAGE_DIR, '..', 'package.stamp');
/** Held (a directory with its holder's pid) while a process packages. */
const LOCK = join(PACKAGE_DIR, '..', 'package.lock');

export interface Resource {
  Type: string;
  Properties: Record<string, any>;
}
export interface Template {
  Resources: Record<string, Resource>;
}

/** The newest modification time of what the template is made from. */
function sourcesStamp(): string {
  const files = ['serverless.yml', 'package.json', 'infra', 'functions', 'lib'];
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const file of files) visit(file);
  return String(newest);
}

/** Two origins, to see CORS_ORIGINS split into API Gateway's list. */
export const TEMPLATE_CORS_ORIGINS = ['https://dashboard.example.com', 'https://ops.example.com'];

export async function packagedTemplate(
  env: Record<string, string> = { CORS_ORIGINS: TEMPLATE_CORS_ORIGINS.join(', ') },
): Promise<Template> {
  const stamp = `${sourcesStamp()} ${JSON.stringify(env)}`;
  const file = join(PACKAGE_DIR, 'cloudformation-template-update-stack.json');
  await holdingLock(async () => {
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp && existsSync(file)) return;
    rmSync(PACKAGE_DIR, { recursive: true, force: true });
    mkdirSync(PACKAGE_DIR, { recursive: true });
    await packageStage('localstack', env);
    writeFileSync(STAMP, stamp);
  });
  return JSON.parse(readFileSync(file, 'utf8')) as Template;
}

/**
 * Runs `work` while no other process does (mkdir is atomic: whoever makes the directory holds it); a
 * lock whose holder has exited (a run stopped with Ctrl-C) is taken over.
 */
async function holdingLock(work: () => Promise<void>): Promise<void> {
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Whether the lock's holder still runs (a lock made in the last seconds, its pid not written yet, counts as held). */
function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    const made = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
    return made !== undefined && Date.now() - made < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function packageStage(stage: string, env: Record<string, string>): Promise<void> {
  const child = spawn('serverless', ['package', '--stage', stage, '--package', PACKAGE_DIR], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: {
      ...process.env,
      ...env,
      ESBUILD_WORK_FOLDER: `${BUILDS_FOLDER}/package-${process.pid}`,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
    },
  });
  let output = '';
  child.stdout?.on('data', (data) => {
    output += data;
  });
  child.stderr?.on('data', (data) => {
    output += data;
  });
  // serverless-localstack leaves esbuild's service process running after packaging; we stop at the
  // "packaged" line rather than wait for an exit that may not come.
  const deadline = Date.now() + 180_000;
  while (!/Service packaged/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`packaging failed:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
}

/** The role (its logical id) a function's logical id runs with. */
export function roleOf(template: Template, functionLogicalId: string): string | undefined {
  return template.Resources[functionLogicalId]?.Properties.Role?.['Fn::GetAtt']?.[0];
}

/** The actions a role's inline policies allow. */
export function allowedActions(template: Template, role: string): Set<string> {
  const policies = template.Resources[role]?.Properties.Policies ?? [];
  return new Set(
    policies.flatMap(
      (policy: { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } }) =>
        policy.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
          Array.isArray(s.Action) ? s.Action : [s.Action],
        ),
    ),
  );
}
