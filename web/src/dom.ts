/** Small DOM helpers for the page, its message boxes and its status line. */
import { formatCount, formatDuration, formatNumber, formatSetting, showControls } from '../../src/report/index.js';

/** Text for the page: bidirectional controls from data (a column or file name) shown, not applied. */
export const shown = (text: string): string => showControls(text);

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Create an element: attributes (`on*` keys become listeners, `class` the class name), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : typeof c === 'string' ? shown(c) : c);
  }
}

/** The element with this id; throws if the page lacks it (a bug, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
}

/** Show a message box; a message with the same key replaces the previous one. */
export function showMessage(key: string, title: string, text: string, kind: 'error' | 'info' = 'error'): void {
  clearMessage(key);
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
  const box = h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-key': key }, h('div', {}, h('strong', {}, title), h('p', {}, text)), close);
  close.addEventListener('click', () => box.remove());
  byId('messages').prepend(box);
}

export function clearMessage(key: string): void {
  document.querySelectorAll(`.message[data-key="${key}"]`).forEach((m) => m.remove());
}

export function setStatus(text: string, error = false): void {
  const el = byId('status');
  el.textContent = shown(text);
  el.classList.toggle('error', error);
}

// Numbers as the page shows them: the library's one formatting module, with the page's precision
// (percentages: formatPercent with one decimal).
export const fixed = (x: number, digits = 3): string => formatNumber(x, digits);
export const count = formatCount;
export const shortNumber = formatSetting;
export const seconds = formatDuration;
