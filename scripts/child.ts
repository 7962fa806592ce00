import { spawn } from 'node:child_process';

/**
 * Runs a command to its end. With `hold`, its output (stdout and stderr, in arrival order) is kept and
 * handed back instead of shown, so that commands running side by side can print whole reports.
 */
export function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  hold: boolean,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const pipe = hold ? 'pipe' : 'inherit';
    const child = spawn(command, args, { stdio: ['ignore', pipe, pipe], env });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString() }),
    );
  });
}
