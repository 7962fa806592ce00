/** How the CLI prints: aligned tables, colours only on a terminal and never with NO_COLOR. */
import { stripVTControlCharacters, styleText } from 'node:util';

const useColor = () => process.env.NO_COLOR === undefined && Boolean(process.stdout.isTTY);

type Style = Parameters<typeof styleText>[0];
export const paint = (style: Style, text: string) =>
  useColor() ? styleText(style, text, { validateStream: false }) : text;

const STATUS_STYLE: Record<string, Style> = { ok: 'green', stale: 'yellow', error: 'red', empty: 'gray' };
export const statusText = (status: string) => paint(STATUS_STYLE[status] ?? 'reset', status);

// A dozen lines of padding: a table library would add a dependency for no behaviour we need.
const visible = (text: string) => stripVTControlCharacters(text).length;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => visible(row[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(headers)), ...rows.map(line)].join('\n');
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

export const dash = (value: unknown) =>
  value === undefined || value === null || value === '' ? '-' : String(value);

/** "42s", "5m", "3h", "2d" since an ISO time. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
