/**
 * Small DOM builders. Text always goes in through text nodes / textContent, never as
 * markup: names, messages and paths in a report come from a workspace.
 */

export type Child = Node | string;

export interface ElementOptions {
  className?: string;
  text?: string;
  title?: string;
  id?: string;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.id) node.id = options.id;
  if (options.title) node.title = options.title;
  if (options.text !== undefined) node.textContent = options.text;
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

export function button(label: string, onClick: () => void, title?: string): HTMLButtonElement {
  const b = el('button', { text: label, title });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled <select>; `onChange` receives the chosen value. */
export function select(label: string, options: readonly { value: string; text: string }[], selected: string | undefined, onChange: (value: string) => void): HTMLLabelElement {
  const s = el('select');
  for (const o of options) {
    const option = el('option', { text: o.text });
    option.value = o.value;
    option.selected = o.value === selected;
    s.append(option);
  }
  s.addEventListener('change', () => onChange(s.value));
  return el('label', { className: 'picker' }, [el('span', { text: label }), s]);
}

/** A table with a caption, a header row and body rows of text or nodes. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Child[])[], className = 'data'): HTMLTableElement {
  const t = el('table', { className });
  t.append(el('caption', { text: caption }));
  const headRow = el('tr', {}, headers.map((h) => {
    const th = el('th', { text: h });
    th.scope = 'col';
    return th;
  }));
  t.append(el('thead', {}, [headRow]));
  t.append(el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, [c]))))));
  return t;
}

/** A titled section of the report. */
export function section(title: string, id: string, children: readonly Child[] = []): HTMLElement {
  return el('section', { id, className: 'report-section' }, [el('h2', { text: title }), ...children]);
}

export function note(text: string): HTMLParagraphElement {
  return el('p', { className: 'note', text });
}
