// A tiny element builder. Text always goes in through textContent, never innerHTML, so nothing a
// server or a platform's status page says can inject markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      e.addEventListener(k.slice(2), v as EventListener);
    } else if (k === "class") {
      e.className = String(v);
    } else {
      e.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(e, children);
  return e;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

// A <time> whose text is kept relative ("12 s ago") by the page's clock tick.
export function relTime(iso: string | null | undefined, text: string, prefix = ""): HTMLElement {
  const t = h("time", { class: "rel", datetime: iso ?? "", "data-prefix": prefix }, prefix + text);
  if (iso) t.title = new Date(iso).toLocaleString();
  return t;
}

// replaceChildren that skips null/false children (conditional parts of a view).
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

// Redraws `el` only when `key` changed (live events re-render often), and puts the focus back on
// the element with the same data-fkey (a button or field that was redrawn).
export function redraw(el: HTMLElement | null, key: string, draw: (el: HTMLElement) => void): void {
  if (!el || el.dataset.key === key) return;
  const active = document.activeElement as HTMLElement | null;
  const fkey = active && el.contains(active) ? active.dataset.fkey : undefined;
  el.dataset.key = key;
  draw(el);
  if (fkey) el.querySelector<HTMLElement>(`[data-fkey="${CSS.escape(fkey)}"]`)?.focus();
}
