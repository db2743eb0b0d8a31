// The incident view's "Recovery" section: once the incident is closed, its recovery checklist
// (GET /v1/recovery/{id}, docs/recovery.md) — per campaign its verdict, standing out when it needs
// a look, the sentence that says why, and a small chart per metric of the expected band against
// the actual value per hour. The server reuses an answer for 60 s, so the section asks again at
// that pace while it is open; "Check again now" and the guard's ads_* live entries for the
// incident (a campaign resumed) ask the platforms afresh. Rules in src/recovery.ts.

import "./ads.css";
import { adsEventIncident } from "./ads";
import { ApiError, recoveryApi } from "./api";
import { openTokenDialog, tokenProblem } from "./app";
import { fill, h } from "./dom";
import { formatClock, formatDuration } from "./format";
import {
  axisValue,
  bandGeometry,
  chartMetrics,
  checklistLook,
  metricLabel,
  metricSummary,
  nothingToCheck,
  recoveryVerdictLook,
  showRecoveryFor,
  sortRecoveryCampaigns,
} from "./recovery";
import type { SseMessage } from "./sse";
import type { Incident, RecoveryCampaign, RecoveryChecklist, RecoveryMetric } from "./types";

const POLL_MS = 60_000;

const rec = {
  id: "",
  shown: false, // the incident is closed: the section is on screen
  data: null as RecoveryChecklist | null,
  missing: false,
  error: "",
  needsToken: false,
  loading: false,
  gen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
  isOpen: () => false,
};

export function recoverySection(): HTMLElement {
  return h("section", { id: "recovery", class: "recovery", "aria-labelledby": "recovery-title", "data-testid": "recovery", hidden: true },
    h("div", { class: "recovery-head" },
      h("h3", { id: "recovery-title" }, "Recovery"),
      h("button", { type: "button", class: "quiet", "data-testid": "recovery-refresh", onclick: () => void load(true) }, "Check again now")),
    h("p", { class: "hint" }, "After the restoration: are the campaigns back to normal? Each hour is compared with the same hour of the last four weeks. In the charts the shaded band is what was expected, the dashed line its middle, the solid line what happened; red dots are hours out of the band."),
    h("div", { id: "recovery-body", "data-testid": "recovery-body" }, h("p", { class: "muted" }, "Loading the checklist…")));
}

export function openRecovery(id: string, isOpen: () => boolean): void {
  stop();
  rec.id = id;
  rec.shown = false;
  rec.data = null;
  rec.missing = false;
  rec.error = "";
  rec.isOpen = isOpen;
}

export function closeRecovery(): void {
  stop();
  rec.id = "";
  rec.shown = false;
}

function stop(): void {
  if (rec.timer) clearTimeout(rec.timer);
  rec.timer = null;
  rec.gen++;
}

// The guard's entries on the incident's timeline (a campaign resumed, kept): what the checklist
// judges changed, so it asks afresh (coalesced: a resume writes several entries at once).
let liveTimer: ReturnType<typeof setTimeout> | null = null;
export function onRecoveryLive(m: SseMessage): void {
  if (!rec.id || !rec.shown || adsEventIncident(m) !== rec.id) return;
  if (liveTimer) clearTimeout(liveTimer);
  liveTimer = setTimeout(() => {
    liveTimer = null;
    if (rec.shown) void load(true);
  }, 1500);
}

// The incident as last seen (its head was drawn): the checklist shows once it is closed.
export function setRecoveryIncident(inc: Incident | undefined): void {
  if (!inc || inc.id !== rec.id) return;
  const section = document.getElementById("recovery");
  const show = showRecoveryFor(inc);
  if (section) section.hidden = !show;
  if (show && !rec.shown) {
    rec.shown = true;
    void load(false);
  } else if (!show) {
    rec.shown = false;
  }
}

async function load(fresh: boolean): Promise<void> {
  const id = rec.id;
  if (!id || !rec.isOpen()) return;
  if (rec.timer) clearTimeout(rec.timer);
  rec.timer = null;
  const gen = ++rec.gen;
  rec.loading = true;
  renderStatusOnly();
  try {
    const data = await recoveryApi.checklist(id, fresh);
    if (gen !== rec.gen) return;
    rec.data = data;
    rec.missing = false;
    rec.error = "";
    rec.needsToken = false;
  } catch (e) {
    if (gen !== rec.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    rec.missing = err.status === 404;
    if (rec.missing) rec.data = null;
    rec.needsToken = err.needsToken;
    rec.error = rec.missing ? "" : err.needsToken ? tokenProblem(err, "The recovery checklist") : err.message;
  }
  rec.loading = false;
  render();
  if (rec.id === id && rec.isOpen()) {
    rec.timer = setTimeout(() => {
      rec.timer = null;
      void load(false);
    }, POLL_MS);
  }
}

function renderStatusOnly(): void {
  const btn = document.querySelector<HTMLButtonElement>('[data-testid="recovery-refresh"]');
  if (btn) btn.setAttribute("aria-disabled", rec.loading ? "true" : "false");
}

function render(): void {
  renderStatusOnly();
  const body = document.getElementById("recovery-body");
  if (!body) return;
  const c = rec.data;
  const none = nothingToCheck(c, rec.missing);
  if (!c && !none) {
    fill(body, rec.error
      ? h("p", { class: "msg-error", "data-testid": "recovery-error" }, `Could not load the recovery checklist: ${rec.error} `,
        rec.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(rec.error) }, "Enter an API token") : null)
      : h("p", { class: "muted" }, "Loading the checklist…"));
    return;
  }
  if (none) {
    fill(body, h("p", { class: "muted", "data-testid": "recovery-none", "data-status": c?.status ?? "missing" }, none),
      c ? footer(c) : null);
    return;
  }
  const look = checklistLook(c!.status);
  const list = sortRecoveryCampaigns(c!.campaigns);
  fill(body,
    h("p", { class: `recovery-summary tone-${look.tone}`, "data-testid": "recovery-status", "data-status": c!.status },
      h("span", { class: `pill tone-${look.tone}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label), " ", c!.summary),
    c!.errors.length ? h("ul", { class: "rc-flags bad-text", "data-testid": "recovery-errors" }, c!.errors.map((e) => h("li", {}, e))) : null,
    h("ul", { class: "recovery-list", "data-testid": "recovery-list" }, list.map((x) => campaignCard(x))),
    footer(c!));
}

function footer(c: RecoveryChecklist): HTMLElement {
  const w = c.window;
  return h("div", { class: "rc-note" },
    w.from ? h("p", {}, `Window: from ${formatClock(w.from)} for ${formatDuration(w.hours * 3600)} (${w.source === "plan" ? "the plan's monitoring window" : "the default"}); checked ${formatClock(c.checked_at)}.`) : null,
    c.conversions?.note ? h("p", {}, c.conversions.note) : null,
    !c.posts?.judged && typeof c.posts?.note === "string" ? h("p", {}, c.posts.note) : null);
}

function campaignCard(c: RecoveryCampaign): HTMLElement {
  const look = recoveryVerdictLook(c.verdict);
  const tid = `${c.account}-${c.campaign_id}`;
  return h("li", { class: `rc tone-${look.tone}`, "data-testid": `recovery-campaign-${tid}`, "data-verdict": c.verdict },
    h("div", { class: "rc-top" },
      h("span", { class: `pill tone-${look.tone} rc-verdict`, "data-testid": `recovery-verdict-${tid}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
      h("span", { class: "rc-name" }, c.name || c.campaign_id),
      h("span", { class: "small muted" }, `${c.campaign_id} · ${c.account} (${c.platform})${c.change_state ? ` · ${c.change_state === "resumed" ? "resumed by Lifeline" : c.change_state}` : ""}`)),
    h("p", { "data-testid": `recovery-sentence-${tid}` }, c.sentence),
    c.flags.length > 1 ? h("ul", { class: "rc-flags" }, c.flags.map((f) => h("li", { "data-flag": f.kind }, f.message))) : null,
    c.error ? h("p", { class: "small bad-text" }, c.error) : null,
    chartMetrics(c).length ? h("div", { class: "rc-charts" }, chartMetrics(c).map((m) => chart(c, m, c.metrics[m]!))) : null);
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Expected band (shaded), expected value (dashed), actual value (line, with dots; red where out of
// the band), hours along the bottom.
function chart(c: RecoveryCampaign, m: string, metric: RecoveryMetric): HTMLElement {
  const g = bandGeometry(metric, 320, 120);
  const summary = metricSummary(m, metric, c.currency);
  const flagged = g.points.filter((p) => p.flag).length;
  const root = svg("svg", { viewBox: `0 0 ${g.width} ${g.height}`, role: "img", "aria-label": summary });
  root.appendChild(svg("title", {}, summary));
  for (const l of g.yLabels) {
    root.appendChild(svg("line", { x1: g.left, x2: g.right, y1: l.y, y2: l.y, class: "grid" }));
    root.appendChild(svg("text", { x: g.left - 4, y: l.y + 3, "text-anchor": "end", class: "axis" }, axisValue(l.value)));
  }
  if (g.band) root.appendChild(svg("path", { d: g.band, class: "band" }));
  if (g.expected) root.appendChild(svg("path", { d: g.expected, class: "expected" }));
  if (g.actual) root.appendChild(svg("path", { d: g.actual, class: "actual" }));
  for (const p of g.points) {
    const dot = svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: p.flag ? 3.5 : 2.2, class: `pt${p.flag ? ` flag-${p.flag}` : ""}` });
    dot.appendChild(svg("title", {}, `${p.hour}: ${axisValue(p.actual)} (expected ${axisValue(p.expected)}, band ${axisValue(p.low)}–${axisValue(p.high)})${p.flag ? ` — ${p.flag === "high" ? "above" : "below"} the band` : ""}`));
    root.appendChild(dot);
  }
  for (const l of g.xLabels) root.appendChild(svg("text", { x: l.x, y: g.height - 4, "text-anchor": l.anchor, class: "axis" }, l.label));
  return h("figure", { class: "rc-chart", "data-testid": `recovery-chart-${c.account}-${c.campaign_id}-${m}`, "data-metric": m, "data-hours": metric.hours.length, "data-flagged": flagged },
    root,
    h("figcaption", {}, summary || metricLabel(m, c.currency)));
}
