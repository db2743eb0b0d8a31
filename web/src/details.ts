// The details panel of one platform: verdict and evidence, the probes behind it, a latency and
// availability chart, and "check now".

import { app, openTokenDialog, platformName, tokenProblem } from "./app";
import { api, ApiError } from "./api";
import { bigChart, overallAvailability, lastMinutes } from "./chart";
import { fill, h, relTime } from "./dom";
import {
  crowdText,
  formatClock,
  formatLatency,
  formatPercent,
  formatRelative,
  formatTimings,
  STATES,
  statusPageLook,
  suppressionText,
  verdictLook,
} from "./format";
import type { ProbeResult, StatusPageFull } from "./types";

interface Open {
  id: string;
  probes: ProbeResult[] | null;
  probesNote: string;
  probesError: string;
  history: { points: import("./types").HistoryPoint[] } | null;
  historyError: string;
  minutes: number;
  statusPage: StatusPageFull | null;
}

let open: Open | null = null;
const dialog = () => document.getElementById("details") as HTMLDialogElement;

export function detailsOpenFor(): string | null {
  return open && dialog().open ? open.id : null;
}

export function closeDetails(): void {
  if (dialog().open) dialog().close();
  open = null;
}

export function openDetails(id: string, openIncident: (id: string) => void): void {
  const d = dialog();
  if (!app.state.platforms.has(id)) return;
  open = { id, probes: null, probesNote: "", probesError: "", history: null, historyError: "", minutes: 360, statusPage: null };
  d.replaceChildren(...skeleton(id, openIncident));
  renderHead(openIncident);
  renderProbes();
  renderChart();
  if (!d.open) d.showModal();
  (d.querySelector(".close") as HTMLElement | null)?.focus();
  void load(id);
}

async function load(id: string): Promise<void> {
  const [view, hist, pages] = await Promise.allSettled([api.platform(id), api.history(id, new Date(Date.now() - 24 * 3600_000).toISOString()), api.statusPages()]);
  if (!open || open.id !== id) return;
  if (view.status === "fulfilled") {
    open.probes = view.value.probes ?? [];
    open.probesNote = view.value.checked_at ? `From the round at ${formatClock(view.value.checked_at)}` : "";
  } else {
    open.probesError = view.reason instanceof ApiError ? view.reason.message : String(view.reason);
  }
  if (hist.status === "fulfilled") {
    open.history = { points: hist.value.points ?? [] };
    // A young history fits in the last hour: start there rather than on a nearly empty 6 h chart.
    const oldest = Math.min(...open.history.points.map((p) => Date.parse(p.t)).filter((t) => Number.isFinite(t)));
    if (open.minutes === 360 && (!Number.isFinite(oldest) || Date.now() - oldest < 55 * 60_000)) {
      open.minutes = 60;
      const sel = document.querySelector<HTMLSelectElement>('[data-testid="chart-range"]');
      if (sel) sel.value = "60";
    }
    app.histories.set(id, { points: hist.value.points ?? [], at: Date.now() });
  } else {
    open.historyError = hist.reason instanceof ApiError ? hist.reason.message : String(hist.reason);
  }
  if (pages.status === "fulfilled") {
    open.statusPage = pages.value.status_pages?.find((s) => s.platform === id) ?? null;
  }
  renderHead();
  renderProbes();
  renderChart();
}

let openIncidentFn: (id: string) => void = () => {};

function skeleton(id: string, openIncident: (id: string) => void): HTMLElement[] {
  openIncidentFn = openIncident;
  const checkBtn = h("button", { type: "button", class: "primary", "data-testid": "check-now", onclick: () => void checkNow(id, checkBtn) }, "Check now");
  const range = h("select", { "data-testid": "chart-range", "aria-label": "Chart period" },
    h("option", { value: "60" }, "last hour"),
    h("option", { value: "360", selected: true }, "last 6 hours"),
    h("option", { value: "1440" }, "last 24 hours"));
  range.addEventListener("change", () => {
    if (open) open.minutes = Number(range.value);
    renderChart();
  });
  return [
    h("div", { class: "sheet-head" },
      h("div", { id: "details-head", class: "details-head" }),
      h("button", { type: "button", class: "close quiet", "aria-label": "Close details", onclick: () => dialog().close() }, "✕")),
    h("div", { class: "check-row" },
      checkBtn,
      h("p", { id: "check-outcome", class: "outcome", "data-testid": "check-outcome", role: "status", "aria-live": "polite" })),
    h("section", { "aria-labelledby": "ev-title" },
      h("h3", { id: "ev-title" }, "Evidence"),
      h("ul", { id: "details-evidence", class: "evidence", "data-testid": "evidence" })),
    h("section", { "aria-labelledby": "chart-title", class: "chart-section" },
      h("div", { class: "section-head" }, h("h3", { id: "chart-title" }, "Latency and availability"), range),
      h("div", { id: "details-chart", "data-testid": "details-chart" })),
    h("section", { "aria-labelledby": "probes-title" },
      h("h3", { id: "probes-title" }, "Probes"),
      h("div", { id: "details-probes", class: "table-wrap" })),
    h("section", { "aria-labelledby": "sp-title", id: "details-sp-section" },
      h("h3", { id: "sp-title" }, "Official status page"),
      h("div", { id: "details-sp" })),
  ];
}

// Live updates land here: the head and the evidence follow the platform's current view.
export function renderHead(openIncident: (id: string) => void = openIncidentFn): void {
  if (!open) return;
  const p = app.state.platforms.get(open.id);
  const head = document.getElementById("details-head");
  if (!p || !head) return;
  const now = Date.now();
  const look = verdictLook(p.verdict, p.checked_at);
  const facts: (HTMLElement | null)[] = [];
  const stateText = STATES[p.state];
  if (stateText) facts.push(h("li", {}, h("span", { class: `badge state-${p.state}` }, stateText), " the watcher's state for this platform"));
  if (p.incident_id) {
    const incId = p.incident_id;
    facts.push(h("li", {}, h("button", { type: "button", class: "linkish", "data-testid": "details-incident", onclick: () => openIncident(incId) }, "Open incident"), ` ${incId}`));
  }
  const sup = suppressionText(p.suppressed, now);
  if (sup) facts.push(h("li", { "data-testid": "details-suppressed" }, h("span", { class: "badge suppressed" }, "‖"), " ", sup));
  const sp = statusPageLook(p.status_page);
  if (sp) facts.push(h("li", {}, h("span", { class: `badge tone-${sp.tone}` }, "Official"), ` status page: ${sp.text}`));
  const crowd = crowdText(p.crowd);
  if (crowd) facts.push(h("li", { "data-testid": "details-crowd" }, h("span", { class: `badge ${p.crowd?.flagged ? "tone-warn" : "muted"}` }, "Reports"), ` ${crowd}`));
  const crowdEvidence = p.crowd?.evidence;
  if (p.crowd?.flagged && crowdEvidence) {
    for (const line of Array.isArray(crowdEvidence) ? crowdEvidence : [crowdEvidence]) facts.push(h("li", { class: "muted small" }, line));
  }
  const layer = p.layer ? `${p.layer}${p.detail ? ` / ${p.detail}` : ""}` : "";
  fill(head,
    h("h2", { id: "details-name" }, p.name, h("span", { class: "muted domain" }, ` · ${p.domain}`)),
    h("p", { class: "details-verdict" },
      h("span", { class: `verdict big tone-${look.tone}`, "data-testid": "details-verdict", "data-verdict": p.checked_at === null ? "pending" : p.verdict },
        h("span", { class: "icon", "aria-hidden": "true" }, look.icon), " ", look.label),
      p.checked_at ? h("span", { class: "muted" }, ` confidence ${Math.round((p.confidence ?? 0) * 100)} %`) : null),
    h("p", { class: "details-reason", "data-testid": "details-reason" }, p.reason || "Not checked yet"),
    h("p", { class: "meta" },
      h("span", {}, p.latency_ms !== null ? `Latency ${formatLatency(p.latency_ms)}` : "No successful probe to time"),
      layer ? h("span", {}, `Failing layer ${layer}`) : null,
      p.checked_at ? relTime(p.checked_at, formatRelative(p.checked_at, now), "checked ") : null),
    facts.length ? h("ul", { class: "facts" }, facts) : null,
  );
  const ev = document.getElementById("details-evidence");
  if (ev) {
    const lines = p.evidence ?? [];
    ev.replaceChildren(...(lines.length ? lines.map((l) => h("li", {}, l)) : [h("li", { class: "muted" }, "No evidence recorded yet.")]));
  }
}

function renderProbes(): void {
  const box = document.getElementById("details-probes");
  if (!open || !box) return;
  if (open.probesError) {
    box.replaceChildren(h("p", { class: "muted" }, `Could not load the probes: ${open.probesError}`));
    return;
  }
  if (!open.probes) {
    box.replaceChildren(h("p", { class: "muted" }, "Loading probes…"));
    return;
  }
  if (!open.probes.length) {
    box.replaceChildren(h("p", { class: "muted" }, "No probe results yet."));
    return;
  }
  const rows = open.probes.map((r, i) =>
    h("tr", { class: r.ok ? "ok" : "fail", "data-testid": `probe-row-${i}` },
      h("td", {}, r.from),
      h("td", { class: "target" }, h("span", { class: "kind" }, r.kind), " ", r.target),
      h("td", {}, h("span", { class: `pill tone-${r.ok ? "ok" : "bad"}` }, r.ok ? "✓ ok" : "✕ failed"), r.http_status ? h("span", { class: "muted" }, ` HTTP ${r.http_status}`) : null),
      h("td", {}, r.layer ? `${r.layer}${r.detail ? ` / ${r.detail}` : ""}` : "—", r.message ? h("div", { class: "muted small" }, r.message) : null),
      h("td", { class: "num" }, formatTimings(r.timings_ms as Record<string, number | undefined>)),
    ),
  );
  box.replaceChildren(
    open.probesNote ? h("p", { class: "muted small", "data-testid": "probes-note" }, open.probesNote) : "",
    h("table", { class: "probes", "data-testid": "probes" },
      h("caption", { class: "sr-only" }, `Probes of ${platformName(open.id)}`),
      h("thead", {}, h("tr", {}, ["From", "Target", "Result", "Layer / detail", "Timings"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows)),
  );
}

function renderChart(): void {
  const box = document.getElementById("details-chart");
  if (!open || !box) return;
  if (open.historyError) {
    box.replaceChildren(h("p", { class: "muted" }, `Could not load the history: ${open.historyError}`));
    return;
  }
  if (!open.history) {
    box.replaceChildren(h("p", { class: "muted" }, "Loading history…"));
    return;
  }
  const now = Date.now();
  const win = lastMinutes(open.history.points, open.minutes, now);
  const avail = overallAvailability(win.points);
  const p50s = win.points.map((p) => p.p50_ms).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const median = p50s.length ? p50s[Math.floor(p50s.length / 2)]! : null;
  const period = open.minutes >= 120 ? `${open.minutes / 60} hours` : `${open.minutes} minutes`;
  if (!win.points.length) {
    // Empty axes would only look like a chart of zeros.
    box.replaceChildren(
      h("p", { class: "chart-empty", "data-testid": "chart-summary" },
        `No history in the last ${period} yet. Lifeline keeps one point per minute; the first appears once a whole minute has been watched.`),
    );
  } else {
    const summary = `Last ${period}: ${formatPercent(avail)} of ${win.points.reduce((n, p) => n + (p.count || 0), 0)} probes succeeded; typical median latency ${formatLatency(median)}.`;
    box.replaceChildren(bigChart(open.history.points, now, open.minutes, summary), h("p", { class: "muted small", "data-testid": "chart-summary" }, summary));
  }
  const sp = document.getElementById("details-sp");
  const section = document.getElementById("details-sp-section");
  if (sp && section) {
    const s = open.statusPage;
    section.hidden = !s;
    if (s) {
      fill(sp,
        h("p", {}, s.fetched ? `${s.description || s.indicator || "No state given"}` : `Could not be read: ${s.error || "no answer"}`, " ",
          s.url ? h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank" }, "open the page") : null),
        s.components?.length ? h("ul", { class: "components" }, s.components.map((c) => h("li", {}, `${c.name}: ${c.status.replace(/_/g, " ")}`))) : null,
        s.incidents?.length
          ? h("ul", { class: "sp-incidents", "data-testid": "sp-incidents" }, s.incidents.map((i) => h("li", {},
              i.url ? h("a", { href: i.url, rel: "noreferrer noopener", target: "_blank" }, i.name) : i.name,
              i.status ? ` — ${i.status.replace(/_/g, " ")}` : "",
              i.updated_at ? `, updated ${formatClock(i.updated_at, now)}` : "")))
          : null,
      );
    }
  }
}

async function checkNow(id: string, btn: HTMLButtonElement): Promise<void> {
  const out = document.getElementById("check-outcome")!;
  btn.disabled = true;
  out.dataset.outcome = "running";
  out.replaceChildren(`Checking ${platformName(id)} now…`);
  try {
    const report = await api.check([id]);
    const p = report.platforms?.find((x) => x.platform === id) ?? report.platforms?.[0];
    if (!p) throw new ApiError(0, "internal", "the check answered without this platform");
    const look = verdictLook(p.verdict);
    out.dataset.outcome = "done";
    out.replaceChildren(
      h("span", { class: `verdict tone-${look.tone}` }, h("span", { class: "icon", "aria-hidden": "true" }, look.icon), " ", look.label),
      ` Checked at ${formatClock(report.checked_at ?? new Date().toISOString())}: ${p.reason || look.label}`,
    );
    if (open && open.id === id && p.probes) {
      open.probes = p.probes;
      open.probesError = "";
      open.probesNote = `From the check you ran at ${formatClock(report.checked_at ?? new Date().toISOString())}`;
      renderProbes();
    }
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    if (err.needsToken) {
      out.dataset.outcome = "needs-token";
      const why = tokenProblem(err, "Checking now");
      out.replaceChildren(
        h("span", {}, why),
        " ",
        h("button", { type: "button", class: "linkish", "data-testid": "enter-token", onclick: () => openTokenDialog(why) }, "Enter an API token"),
      );
    } else {
      out.dataset.outcome = "error";
      out.replaceChildren(`The check could not run: ${err.message}`);
    }
  } finally {
    btn.disabled = false;
  }
}
