/** A small element builder: text goes in as text nodes, never as HTML. */
type Child = Node | string | number | null | undefined | false;

export function el(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: (Child | Child[])[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
}

export function replaceRows(table: HTMLElement, rows: Node[]): void {
  const body = table.querySelector('tbody');
  body?.replaceChildren(...rows);
}

/** "42 s", "5 min", "3 h", "2 d": how long ago an ISO time was. */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
