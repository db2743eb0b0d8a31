// The Fleet page (#/fleet): each vantage point as serve's rounds see it — its state in words, when
// it last answered (moving on every second), its latency (last and median), the agent's version,
// its own connection and its last error with the reason. Trouble first. Live on `vantage_point`
// events, with a slow poll besides. Rules in src/fleet.ts.

import "./fleet.css";
import { ApiError, fleetApi } from "./api";
import { openTokenDialog, tokenProblem } from "./app";
import { fill, h } from "./dom";
import { formatClock, formatDuration, formatRelative } from "./format";
import {
  AGENT_NOT_PLATFORM,
  applyLive,
  connectivityLook,
  errorKindText,
  fleetSummary,
  formatLatency,
  fromList,
  liveVantage,
  seenText,
  sortFleet,
  stateLook,
  stateNow,
  type FleetState,
  type VantagePoint,
} from "./fleet";
import type { SseMessage } from "./sse";

const POLL_MS = 30_000;

const page = {
  visible: false,
  state: null as FleetState | null,
  error: "",
  needsToken: false,
  gen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
};

// ---- wiring (main.ts) ------------------------------------------------------------------------

export function initFleet(): void {
  const main = h("main", { id: "fleet-page", class: "fleet-page", "data-testid": "fleet-page", "aria-labelledby": "fleet-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "fleet-title", tabindex: "-1" }, "Fleet"),
      h("p", { class: "hint" }, "The vantage points that check the platforms from elsewhere: whether each answers, when it last did, how far away it is, which version it runs and what it says of its own connection. ", AGENT_NOT_PLATFORM),
      h("div", { id: "fleet-status", "data-testid": "fleet-status" })),
    h("p", { id: "fleet-summary", class: "fleet-summary", "data-testid": "fleet-summary", role: "status" }),
    h("ul", { id: "fleet-list", class: "fleet-list", "data-testid": "fleet-list" }, h("li", { class: "muted" }, "Loading…")));
  const anchor = document.getElementById("listening-page") ?? document.getElementById("inbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
  // "seen 12 s ago" moves on, and a vantage point no round reaches goes stale on screen too.
  setInterval(() => {
    if (page.visible) tick();
  }, 1000);
}

export function showFleet(show: boolean): void {
  const el = document.getElementById("fleet-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (!show) {
    if (page.timer) clearTimeout(page.timer);
    page.timer = null;
    return;
  }
  if (!was) {
    document.title = "Fleet — Lifeline";
    document.getElementById("fleet-title")?.focus();
    schedule(0);
  }
  render();
}

export function onFleetLive(m: SseMessage): void {
  const v = liveVantage(m);
  if (!v || !page.state) return; // loaded in full when shown
  page.state = applyLive(page.state, v);
  if (page.visible) render();
}

export function reloadFleet(): void {
  if (page.visible) schedule(0);
}

// ---- loading ---------------------------------------------------------------------------------

function schedule(ms: number): void {
  if (!page.visible) return;
  if (page.timer) clearTimeout(page.timer);
  page.timer = setTimeout(() => {
    page.timer = null;
    void load();
  }, ms);
}

async function load(): Promise<void> {
  const gen = ++page.gen;
  try {
    const list = await fleetApi.list();
    if (gen !== page.gen) return;
    page.state = fromList(list, Date.now());
    page.error = "";
    page.needsToken = false;
  } catch (e) {
    if (gen !== page.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    page.error = err.needsToken ? tokenProblem(err, "The fleet") : err.message;
    page.needsToken = err.needsToken;
  }
  render();
  if (page.visible && !page.timer) schedule(POLL_MS);
}

// ---- rendering -------------------------------------------------------------------------------

function render(): void {
  if (!document.getElementById("fleet-page")) return;
  renderStatus();
  renderList();
}

function renderStatus(): void {
  const el = document.getElementById("fleet-status");
  if (!el) return;
  if (!page.error) return fill(el);
  fill(el, h("p", { class: "msg-error", role: "alert", "data-testid": "fleet-error" }, `Could not load the fleet: ${page.error} `,
    page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
      : h("button", { type: "button", class: "linkish", onclick: () => schedule(0) }, "Retry")));
}

// Redrawn only when what it shows changes (not every second: the times move on in tick()), so
// focus and selection stay put.
function renderList(): void {
  const list = document.getElementById("fleet-list");
  const summary = document.getElementById("fleet-summary");
  const s = page.state;
  if (!list || !summary || !s) return;
  const now = Date.now();
  const sorted = sortFleet(s.points, s, now);
  const key = JSON.stringify([sorted.map((v) => [v, stateNow(v, s, now)]), s.staleAfterMs]);
  const sum = fleetSummary(s, now);
  summary.textContent = sum.text;
  summary.className = `fleet-summary tone-${sum.tone}`;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  if (sorted.length === 0) return fill(list);
  fill(list, sorted.map((v) => pointItem(v, s, now)));
}

function pointItem(v: VantagePoint, s: FleetState, now: number): HTMLElement {
  const state = stateNow(v, s, now);
  const look = stateLook(state);
  const conn = connectivityLook(v.connectivity);
  const rows: HTMLElement[] = [
    h("div", {}, h("dt", {}, "Last seen"),
      h("dd", { "data-testid": "fleet-seen", "data-ago": v.last_seen ?? "", title: v.last_seen ? formatClock(v.last_seen, now) : "" }, seenText(v, s, now))),
    h("div", {}, h("dt", {}, "Latency"),
      h("dd", { "data-testid": "fleet-latency", title: "TCP connect: one network round trip. The whole exchange includes the agent's probing." },
        v.latency_ms == null ? "—" : `${formatLatency(v.latency_ms)} (median ${formatLatency(v.latency_median_ms)})`,
        v.exchange_ms != null ? h("span", { class: "muted" }, ` · exchange ${formatLatency(v.exchange_ms)}`) : null)),
    h("div", {}, h("dt", {}, "Version"), h("dd", { "data-testid": "fleet-version" }, v.version ?? "—")),
    h("div", {}, h("dt", {}, "Own connection"),
      h("dd", { "data-testid": "fleet-connectivity", class: `conn tone-${conn.tone}` },
        h("span", { "aria-hidden": "true" }, `${conn.icon} `), conn.label,
        v.connectivity && v.connectivity !== "ok" && v.connectivity_evidence.length
          ? h("ul", { class: "fleet-evidence" }, v.connectivity_evidence.map((e) => h("li", {}, e))) : null)),
  ];
  const err = v.last_error;
  const failing = state === "unreachable";
  return h("li", { class: `fleet-point tone-${look.tone}`, "data-testid": "fleet-point", "data-name": v.name, "data-state": state },
    h("div", { class: "fleet-point-head" },
      h("h3", {}, v.name),
      h("span", { class: "muted" }, v.region ? `region ${v.region}` : "no region"),
      h("span", { class: `pill tone-${look.tone}`, "data-testid": "fleet-state" }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
      v.state_since && state !== "unknown" ? h("span", { class: "muted", "data-ago-since": v.state_since, title: `since ${formatClock(v.state_since, now)}` }, forText(v.state_since, s, now)) : null),
    h("dl", { class: "fleet-facts" }, rows),
    err ? h("p", { class: failing ? "fleet-error now" : "fleet-error earlier", "data-testid": "fleet-last-error" },
      h("strong", {}, failing ? `Failing: ${errorKindText(err.kind)}` : `Last failure: ${errorKindText(err.kind)}`),
      ` (${formatRelative(err.at, now + s.skewMs)}${failing && v.consecutive_failures > 1 ? `, ${v.consecutive_failures} times in a row` : ""}) — `,
      h("span", { class: "fleet-error-text" }, err.message)) : null,
    h("p", { class: "muted fleet-url" }, v.url));
}

// "for 3 min": how long it has been in its state, on serve's clock.
function forText(since: string, s: FleetState, now: number): string {
  const t = Date.parse(since);
  return Number.isNaN(t) ? "" : `for ${formatDuration(Math.max(0, (now + s.skewMs - t) / 1000))}`;
}

// Once a second: the relative times, and a re-render when one went stale meanwhile.
function tick(): void {
  const s = page.state;
  if (!s) return;
  const now = Date.now();
  const list = document.getElementById("fleet-list");
  if (!list) return;
  const staleNow = s.points.some((v) => {
    const item = list.querySelector<HTMLElement>(`[data-name="${CSS.escape(v.name)}"]`);
    return item ? item.dataset.state !== stateNow(v, s, now) : false;
  });
  if (staleNow) return renderList();
  for (const item of list.querySelectorAll<HTMLElement>("[data-name]")) {
    const v = s.points.find((p) => p.name === item.dataset.name);
    if (!v) continue;
    const seen = item.querySelector<HTMLElement>("[data-ago]");
    if (seen) seen.textContent = seenText(v, s, now);
    const since = item.querySelector<HTMLElement>("[data-ago-since]");
    if (since && v.state_since) since.textContent = forText(v.state_since, s, now);
  }
}
