// The status board: one tile per platform, grouped or sorted, updated in place on live events.

import { app } from "./app";
import { api } from "./api";
import { sparkline, overallAvailability, lastMinutes } from "./chart";
import { h, relTime } from "./dom";
import {
  crowdText,
  formatLatency,
  formatPercent,
  formatRelative,
  humanize,
  STATES,
  statusPageLook,
  suppressionText,
  verdictLook,
} from "./format";
import { arrange } from "./state";
import type { PlatformView } from "./types";

const tiles = new Map<string, HTMLElement>();
let layoutKey = "";

export function tileFor(id: string): HTMLElement | undefined {
  return tiles.get(id);
}

// Lays the tiles out in groups; existing tile elements are moved, not rebuilt.
export function renderBoard(openPlatform: (id: string) => void): void {
  const board = document.getElementById("board")!;
  const groups = arrange(app.state, app.arrangement);
  const key = JSON.stringify(groups.map((g) => [g.key, g.ids]));
  for (const id of app.state.order) if (!tiles.has(id)) tiles.set(id, makeTile(id, openPlatform));
  for (const id of app.state.order) updateTile(id);
  if (key === layoutKey && board.querySelector(".tile")) return;
  layoutKey = key;
  const focused = document.activeElement;
  const children: HTMLElement[] = [];
  if (!groups.length || !groups.some((g) => g.ids.length)) {
    children.push(h("p", { class: "placeholder" }, "No platforms are configured."));
  }
  for (const g of groups) {
    const list = h("ul", { class: "tiles", role: "list", style: `--cols: ${Math.min(4, g.ids.length)}` }, g.ids.map((id) => wrap(tiles.get(id)!)));
    if (g.title) {
      const headId = `domain-${g.key.replace(/[^a-z0-9_-]/gi, "_")}`;
      children.push(
        h("section", { class: "group", "aria-labelledby": headId, "data-testid": `group-${g.key}` },
          h("h3", { class: "group-title", id: headId }, g.title, h("span", { class: "muted" }, ` · ${g.ids.length} platform${g.ids.length === 1 ? "" : "s"}`)),
          list),
      );
    } else {
      children.push(list);
    }
  }
  board.classList.toggle("grouped", groups.some((g) => !!g.title));
  board.replaceChildren(...children);
  // Moving a focused tile out of the document blurs it: give the focus back.
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
}

function wrap(tile: HTMLElement): HTMLElement {
  // Reuse the <li> across layouts so the tile inside keeps its identity.
  const li = tile.parentElement?.tagName === "LI" ? tile.parentElement : h("li", { class: "tile-item" });
  if (tile.parentElement !== li) li.appendChild(tile);
  return li;
}

function makeTile(id: string, openPlatform: (id: string) => void): HTMLElement {
  const t = h("article", { class: "tile", "data-testid": `tile-${id}`, "data-platform": id });
  // The whole tile is a click target for the mouse; the name is the button for keyboards.
  t.addEventListener("click", (e) => {
    if ((e.target as HTMLElement).closest("a")) return;
    openPlatform(id);
  });
  return t;
}

export function updateTile(id: string): void {
  const tile = tiles.get(id);
  const p = app.state.platforms.get(id);
  if (!tile || !p) return;
  const hadFocus = tile.contains(document.activeElement);
  const look = verdictLook(p.verdict, p.checked_at);
  tile.className = `tile tone-${look.tone}${p.suppressed ? " suppressed" : ""}`;
  tile.dataset.verdict = p.checked_at === null ? "pending" : p.verdict;
  tile.dataset.state = p.state;
  // The name button is kept across updates: a dialog opened from it returns the focus to it.
  let name = tile.querySelector<HTMLButtonElement>(".tile-name");
  if (!name) {
    name = h("button", { type: "button", class: "tile-name", "data-platform": id, "aria-describedby": `verdict-${id} reason-${id}`, "aria-haspopup": "dialog" });
  }
  if (name.textContent !== p.name) name.textContent = p.name;
  tile.replaceChildren(...tileContent(p, name));
  if (hadFocus && document.activeElement !== name) name.focus();
}

function tileContent(p: PlatformView, name: HTMLButtonElement): Node[] {
  const now = Date.now();
  const id = p.platform;
  const look = verdictLook(p.verdict, p.checked_at);
  const badges: HTMLElement[] = [];
  const stateText = STATES[p.state];
  if (stateText) badges.push(h("span", { class: `badge state-${p.state}`, "data-testid": `state-${id}` }, stateText));
  if (p.incident_id) badges.push(h("span", { class: "badge tone-bad", "data-testid": `incident-badge-${id}` }, "Incident open"));
  const sup = suppressionText(p.suppressed, now);
  if (sup && p.suppressed) {
    badges.push(h("span", { class: "badge suppressed", "data-testid": `suppressed-${id}`, title: sup }, p.suppressed.kind === "maintenance" ? "‖ Maintenance" : "‖ Silenced"));
  }
  const sp = statusPageLook(p.status_page);
  if (sp && sp.tone !== "ok" && p.status_page?.fetched !== false && p.status_page?.indicator !== null) {
    badges.push(h("span", { class: `badge tone-${sp.tone}`, "data-testid": `statuspage-${id}`, title: "The platform's official status page" }, `Official: ${sp.text}`));
  }
  if (p.crowd?.flagged) {
    badges.push(h("span", { class: "badge tone-warn", "data-testid": `crowd-${id}`, title: crowdText(p.crowd) ?? "" }, `${p.crowd.reports_last_hour} user reports/h`));
  }
  const hist = app.histories.get(id);
  const win = hist ? lastMinutes(hist.points, 60, now) : null;
  const avail = win ? overallAvailability(win.points) : null;
  const sparkLabel = hist
    ? `Last hour: availability ${formatPercent(avail)}, latency line shows the median per minute`
    : "History not loaded yet";
  const layer = p.layer ? `${p.layer}${p.detail ? `/${p.detail}` : ""}` : "";
  return [
    h("div", { class: "tile-head" },
      h("h4", { class: "tile-title" }, name),
      h("span", { class: `verdict tone-${look.tone}`, id: `verdict-${id}`, "data-testid": `verdict-${id}`, "data-verdict": p.checked_at === null ? "pending" : p.verdict },
        h("span", { class: "icon", "aria-hidden": "true" }, look.icon), " ", look.label)),
    h("p", { class: "reason", id: `reason-${id}`, "data-testid": `reason-${id}` }, p.reason || (p.checked_at ? humanize(p.verdict) : "Not checked yet")),
    h("p", { class: "meta" },
      p.latency_ms !== null ? h("span", { class: "latency", "data-testid": `latency-${id}`, title: "Median latency of this round's successful probes" }, formatLatency(p.latency_ms)) : null,
      layer ? h("span", { class: "layer" }, layer) : null,
      p.checked_at ? relTime(p.checked_at, formatRelative(p.checked_at, now), "checked ") : h("span", {}, "not checked yet")),
    badges.length ? h("p", { class: "badges" }, badges) : null,
    hist ? sparkline(hist.points, now, sparkLabel) : h("span", { class: "spark-placeholder", "aria-hidden": "true" }),
  ].filter((n): n is HTMLElement => !!n);
}

// Histories feed the sparklines. Refetched at most every 30 s per platform.
const inflight = new Set<string>();
export async function refreshHistory(id: string, force = false): Promise<void> {
  const have = app.histories.get(id);
  if (inflight.has(id) || (!force && have && Date.now() - have.at < 30_000)) return;
  inflight.add(id);
  try {
    // The sparkline shows the last hour; a little more covers the minute being filled.
    const from = new Date(Date.now() - 65 * 60_000).toISOString();
    const hist = await api.history(id, from);
    app.histories.set(id, { points: hist.points ?? [], at: Date.now() });
    updateTile(id);
  } catch {
    // A missing sparkline is not worth a message; the details panel says why if opened.
  } finally {
    inflight.delete(id);
  }
}

export async function refreshAllHistories(force = false): Promise<void> {
  const ids = [...app.state.order];
  // A few at a time: the browser allows six connections and one is the live stream.
  const queue = ids.slice();
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) await refreshHistory(id, force);
  };
  await Promise.all([worker(), worker(), worker()]);
}
