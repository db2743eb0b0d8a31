// The listening page (#/listening, #/listening?query=ID): per query, the posts of the last 24 hours
// against the usual band (the same hour over the past weeks) with spikes marked, sentiment shares
// per hour, the top terms and most-shared posts of an hour, the recent spikes with their evidence
// and the latest posts; the sources' health, a source in trouble (credentials refused, rate
// limited, failing) standing out with its error, last success and when it tries again. Live on
// `listening` events, and a slow poll for the hour in progress. Rules in src/listen.ts.

import "./listen.css";
import { ApiError, listenApi } from "./api";
import { openTokenDialog, platformName, tokenProblem } from "./app";
import { fill, h, redraw } from "./dom";
import { formatClock, formatRelative, humanize } from "./format";
import {
  bandText,
  chartGeometry,
  defaultHour,
  formatCount,
  healthLook,
  hourLabel,
  hourMark,
  listeningHash,
  liveListening,
  markLook,
  parseListeningHash,
  percent,
  pickQuery,
  polarityOf,
  queryLabel,
  safeUrl,
  sentimentParts,
  sentimentText,
  sortSources,
  sourceProblems,
  termLook,
  topPostsOf,
  untilText,
  volumeSummary,
  type ListenHour,
  type ListenPost,
  type ListeningStatus,
  type SpikeRow,
  type TopPost,
} from "./listen";
import type { SseMessage } from "./sse";

const POLL_MS = 60_000;
const SPIKE_DAYS = 7;

const page = {
  visible: false,
  status: null as ListeningStatus | null,
  error: "",
  needsToken: false,
  query: "", // shown
  wanted: "", // asked for by the address
  hours: [] as ListenHour[],
  spikes: [] as SpikeRow[],
  posts: [] as ListenPost[],
  queryError: "",
  queryLoaded: "", // the query `hours` belong to
  hour: "", // the hour shown in detail ("" = the default)
  gen: 0,
  qgen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
  qtimer: null as ReturnType<typeof setTimeout> | null,
};

// ---- wiring (main.ts) ------------------------------------------------------------------------

export function initListening(): void {
  const main = h("main", { id: "listening-page", class: "listening-page", "data-testid": "listening-page", "aria-labelledby": "listening-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "listening-title", tabindex: "-1" }, "Listening"),
      h("p", { class: "hint" }, "What the audience says in public, per query: posts per hour against the usual band (the lowest to highest count of the same hour over the past weeks), spikes, sentiment, top terms and the most-shared posts. An hour without data means collection was not running then — not zero posts."),
      h("div", { id: "listening-status", "data-testid": "listening-status" })),
    h("section", { class: "panel", "aria-labelledby": "listen-sources-title", "data-testid": "listen-sources" },
      h("h3", { id: "listen-sources-title" }, "Sources"),
      h("div", { id: "listen-problems" }),
      h("div", { id: "listen-source-list" }, h("p", { class: "muted" }, "Loading…"))),
    h("section", { class: "panel", "aria-labelledby": "listen-queries-title" },
      h("h3", { id: "listen-queries-title" }, "Queries"),
      h("ul", { id: "listen-queries", class: "listen-queries", "data-testid": "listen-queries" })),
    h("section", { id: "listen-query-view", class: "panel", "aria-labelledby": "listen-query-title", "data-testid": "listen-query-view" }));
  const anchor = document.getElementById("inbox-page") ?? document.getElementById("calendar-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
  setInterval(() => {
    if (page.visible) renderSources(); // "in 12 min" moves on
  }, 15_000);
}

export function showListening(show: boolean): void {
  const el = document.getElementById("listening-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (!show) {
    if (page.timer) clearTimeout(page.timer);
    page.timer = null;
    return;
  }
  const wanted = parseListeningHash(location.hash)?.query ?? "";
  const changed = wanted !== page.wanted;
  page.wanted = wanted;
  if (!was) {
    document.title = "Listening — Lifeline";
    document.getElementById("listening-title")?.focus();
  }
  if (!was) schedule(0);
  else if (changed && page.status) selectQuery(pickQuery(page.status, wanted));
  render();
}

export function onListeningLive(m: SseMessage): void {
  const ev = liveListening(m);
  if (!ev) return;
  if (!page.visible) return; // reloaded when shown
  schedule(300); // sources' states and the spikes on now
  if (ev.kind !== "source" && (!ev.query || ev.query === page.query)) scheduleQuery(300);
}

export function reloadListening(): void {
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

function scheduleQuery(ms: number): void {
  if (page.qtimer) clearTimeout(page.qtimer);
  page.qtimer = setTimeout(() => {
    page.qtimer = null;
    if (page.visible && page.query) void loadQuery(page.query);
  }, ms);
}

function describe(e: unknown, what: string): { text: string; needsToken: boolean } {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
  return { text: err.needsToken ? tokenProblem(err, what) : err.message, needsToken: err.needsToken };
}

async function load(): Promise<void> {
  const gen = ++page.gen;
  try {
    const s = await listenApi.status();
    if (gen !== page.gen) return;
    page.status = s;
    page.error = "";
    page.needsToken = false;
    const q = pickQuery(s, page.wanted || page.query);
    if (q !== page.query) selectQuery(q);
    else if (q) scheduleQuery(0);
  } catch (e) {
    if (gen !== page.gen) return;
    const d = describe(e, "Listening");
    page.error = d.text;
    page.needsToken = d.needsToken;
  }
  render();
  if (page.visible && !page.timer) schedule(POLL_MS);
}

function selectQuery(id: string): void {
  if (id === page.query) return;
  page.query = id;
  page.hour = "";
  page.hours = [];
  page.spikes = [];
  page.posts = [];
  page.queryLoaded = "";
  page.queryError = "";
  if (id) void loadQuery(id);
  render();
}

async function loadQuery(id: string): Promise<void> {
  const gen = ++page.qgen;
  const from = new Date(Date.now() - SPIKE_DAYS * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  try {
    const [hours, spikes, posts] = await Promise.all([listenApi.hours(id), listenApi.spikes(id, from), listenApi.posts(id, 10)]);
    if (gen !== page.qgen || page.query !== id) return;
    page.hours = hours.hours ?? [];
    page.spikes = spikes.spikes ?? [];
    page.posts = posts.posts ?? [];
    page.queryLoaded = id;
    page.queryError = "";
    if (page.hour && !page.hours.some((x) => x.hour === page.hour)) page.hour = "";
  } catch (e) {
    if (gen !== page.qgen || page.query !== id) return;
    page.queryError = describe(e, "Listening").text;
  }
  render();
}

// ---- rendering -------------------------------------------------------------------------------

function render(): void {
  if (!document.getElementById("listening-page")) return;
  renderStatus();
  renderSources();
  renderQueries();
  renderQuery();
}

function renderStatus(): void {
  const el = document.getElementById("listening-status");
  redraw(el, JSON.stringify([page.error, page.status?.configured]), (el) => {
    if (page.error) {
      return fill(el, h("p", { class: "msg-error", role: "alert", "data-testid": "listening-error" }, `Could not load listening: ${page.error} `,
        page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
          : h("button", { type: "button", class: "linkish", onclick: () => schedule(0) }, "Retry")));
    }
    if (page.status && !page.status.configured) {
      return fill(el, h("p", { class: "notice-inline", "data-testid": "listening-not-configured" }, "Listening is not configured: add a listen: section with brands or chatter and at least one source (docs/listening.md)."));
    }
    fill(el);
  });
}

function renderSources(): void {
  const s = page.status;
  const now = Date.now();
  const problems = s ? sourceProblems(s.sources, now) : [];
  redraw(document.getElementById("listen-problems"), JSON.stringify(problems), (el) => {
    if (!problems.length) return fill(el);
    fill(el, h("ul", { class: "listen-problems", "data-testid": "listen-source-problems", role: "alert" },
      problems.map((p) => h("li", { class: `tone-${p.tone}`, "data-testid": `listen-problem-${p.source}`, "data-health": p.health },
        h("span", { "aria-hidden": "true" }, `${healthLook(p.health).icon} `), p.text))));
  });
  redraw(document.getElementById("listen-source-list"), JSON.stringify([s?.sources, Math.floor(now / 15_000)]), (el) => {
    if (!s) return fill(el, h("p", { class: "muted" }, page.error ? "Unknown: listening did not answer." : "Loading…"));
    if (!s.sources.length) return fill(el, h("p", { class: "muted", "data-testid": "listen-no-sources" }, "No source is configured."));
    fill(el, h("ul", { class: "listen-sources" }, sortSources(s.sources).map((src) => {
      const look = healthLook(src.health);
      return h("li", { class: `listen-source tone-${look.tone}`, "data-testid": `listen-source-${src.name}`, "data-health": src.health },
        h("div", { class: "msg-top" },
          h("strong", {}, src.name), h("span", { class: "small muted" }, `${src.kind} · every ${formatInterval(src.interval_ms)}`),
          h("span", { class: `pill tone-${look.tone}`, "data-testid": `listen-source-health-${src.name}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label)),
        src.terms.length ? h("table", { class: "listen-terms" },
          h("thead", {}, h("tr", {}, ["Term", "Outcome", "Last success", "Tries again", "Rate limit", "Polls / posts"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, src.terms.map((t, i) => {
            const tl = termLook(t.outcome);
            // The same error on every term (refused credentials) is said once, on the first.
            const repeated = i > 0 && !!t.error && t.error === src.terms[i - 1]!.error;
            return h("tr", { class: `tone-${tl.tone}`, "data-outcome": t.outcome ?? "" },
              h("td", {}, t.term),
              h("td", {}, h("span", { class: `pill tone-${tl.tone}` }, h("span", { "aria-hidden": "true" }, `${tl.icon} `), tl.label),
                t.error && !repeated ? h("p", { class: "term-error", "data-testid": `listen-term-error-${src.name}` }, t.error) : null,
                repeated ? h("p", { class: "small muted" }, "the same error") : null),
              h("td", {}, t.last_ok ? h("time", { datetime: t.last_ok, title: new Date(t.last_ok).toLocaleString() }, formatRelative(t.last_ok, now)) : h("span", { class: "muted" }, "never")),
              h("td", {}, t.outcome && t.outcome !== "ok" && t.retry_at ? untilText(t.retry_at, now).replace(/^until /, "") : "—"),
              h("td", { class: "small" }, t.rate_limit ?? "—"),
              h("td", { class: "small" }, `${t.polls} / ${t.posts}`));
          }))) : h("p", { class: "muted small" }, "No term to poll."));
    })));
  });
}

function formatInterval(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

function renderQueries(): void {
  const s = page.status;
  redraw(document.getElementById("listen-queries"), JSON.stringify([s?.queries, s?.spiking.map((x) => [x.query, x.spiking]), page.query]), (ul) => {
    if (!s) return fill(ul);
    if (!s.queries.length) return fill(ul, h("li", { class: "muted" }, "No query: add brands or chatter to listen:."));
    fill(ul, s.queries.map((q) => {
      const spiking = s.spiking.some((x) => x.query === q.id && x.spiking);
      const current = q.id === page.query;
      return h("li", { class: spiking ? "spiking" : "", "data-testid": `listen-query-${q.id}`, "data-spiking": String(spiking) },
        h("a", { href: listeningHash(q.id), "aria-current": current ? "true" : null, "data-fkey": `q-${q.id}` }, queryLabel(q, platformName)),
        spiking ? h("span", { class: "pill tone-bad" }, h("span", { "aria-hidden": "true" }, "▲ "), "spike now") : null);
    }));
  });
}

function renderQuery(): void {
  const el = document.getElementById("listen-query-view");
  const s = page.status;
  const q = s?.queries.find((x) => x.id === page.query);
  if (el) el.hidden = !q;
  const hourShown = page.hour || defaultHour(page.hours);
  redraw(el, JSON.stringify([page.query, page.queryLoaded, page.queryError, page.hours, page.spikes, page.posts, hourShown]), (el) => {
    if (!q) return fill(el);
    el.dataset.query = q.id;
    const head = [
      h("h3", { id: "listen-query-title" }, queryLabel(q, platformName)),
      h("p", { class: "small muted" }, `${q.id} · terms: ${q.terms.join(", ")}`),
    ];
    if (page.queryError) return fill(el, ...head, h("p", { class: "msg-error", role: "alert", "data-testid": "listen-query-error" }, `Could not load ${q.id}: ${page.queryError}`));
    if (page.queryLoaded !== q.id) return fill(el, ...head, h("p", { class: "muted" }, "Loading…"));
    const hours = page.hours;
    const summary = volumeSummary(hours);
    const selected = hours.find((x) => x.hour === hourShown);
    fill(el, ...head,
      h("h4", {}, "Posts per hour against the usual band"),
      h("p", { class: "volume-summary", "data-testid": "volume-summary" }, summary),
      h("div", { class: "chart-box" }, volumeChart(hours, summary, hourShown)),
      chartLegend(),
      h("h4", {}, "Sentiment per hour"),
      h("div", { class: "chart-box" }, sentimentChart(hours, hourShown)),
      sentimentLegend(),
      hoursTable(hours),
      h("div", { class: "listen-hour" },
        h("label", {}, "Hour ",
          h("select", { "data-testid": "hour-select", "data-fkey": "hour-select", onchange: (e: Event) => { page.hour = (e.target as HTMLSelectElement).value; renderQuery(); } },
            [...hours].reverse().map((x) => {
              const mk = markLook(hourMark(x));
              return h("option", { value: x.hour, selected: x.hour === hourShown }, `${hourLabel(x.hour)} · ${x.posts === null ? "no data" : `${x.posts} posts`}${mk.icon ? ` · ${mk.icon} ${mk.label.toLowerCase()}` : ""}`);
            }))),
        selected ? hourDetail(selected) : null),
      h("h4", {}, "Most-shared posts, last 24 hours"),
      postList(topPostsOf(hours, 5), "top-posts", "No post was shared in these hours."),
      h("h4", {}, `Spikes, last ${SPIKE_DAYS} days`),
      page.spikes.length
        ? h("ul", { class: "spike-list", "data-testid": "spike-list" }, page.spikes.map((x) => h("li", { class: x.fired ? "fired" : "", "data-hour": x.hour },
          h("span", { class: "pill tone-bad" }, h("span", { "aria-hidden": "true" }, "▲ "), x.fired ? "raised" : humanize(x.reason)), " ",
          h("strong", {}, `${new Date(x.hour).toDateString() === new Date().toDateString() ? "" : `${x.hour.slice(0, 10)} `}${hourLabel(x.hour)} `), h("span", { class: "small" }, x.evidence))))
        : h("p", { class: "muted", "data-testid": "spike-list-empty" }, "No spike."),
      h("h4", {}, "Latest posts"),
      latestPosts(page.posts));
  });
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

function volumeChart(hours: ListenHour[], label: string, selected: string): SVGSVGElement {
  const g = chartGeometry(hours);
  const root = svg("svg", { viewBox: `0 0 ${g.width} ${g.height}`, class: "listen-chart", role: "img", "aria-label": label, "data-testid": "volume-chart" }, svg("title", {}, label));
  root.append(svg("defs", {}, svg("pattern", { id: "nodata-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch" }))));
  for (const f of [0, 0.5, 1]) {
    const y = g.y(g.max * f);
    root.append(svg("line", { x1: g.left, x2: g.left + g.plotW, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: g.left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, formatCount(g.max * f)));
  }
  hours.forEach((hr, i) => {
    const x = g.x(i);
    const w = Math.max(2, g.slot - 3);
    const mark = hourMark(hr);
    const tip = `${hourLabel(hr.hour)}: ${hr.posts === null ? "no data" : `${hr.posts} posts`}${hr.complete ? "" : " so far"}${bandText(hr) ? `; ${bandText(hr)}` : ""}${hr.expected !== null ? `; ${formatCount(hr.expected)} expected` : ""}; ${markLook(mark).label.toLowerCase()}`;
    if (hr.band) {
      root.append(svg("rect", { x: x.toFixed(1), y: g.y(hr.band.high).toFixed(1), width: g.slot.toFixed(1), height: Math.max(1, g.y(hr.band.low) - g.y(hr.band.high)).toFixed(1), class: "band", "data-hour": hr.hour }));
    }
    const group = svg("g", { class: `hour mark-${mark}${hr.hour === selected ? " selected" : ""}`, "data-hour": hr.hour, "data-mark": mark });
    group.append(svg("title", {}, tip));
    if (hr.posts === null) {
      group.append(svg("rect", { x: (x + 1.5).toFixed(1), y: g.top, width: w.toFixed(1), height: g.plotH, class: "nodata" }));
    } else {
      const y = g.y(hr.posts);
      group.append(svg("rect", { x: (x + 1.5).toFixed(1), y: y.toFixed(1), width: w.toFixed(1), height: Math.max(hr.posts ? 1 : 0, g.y(0) - y).toFixed(1), class: `bar${hr.complete ? "" : " partial"}`, "data-posts": hr.posts }));
      if (mark === "spike" || mark === "unusual") {
        group.append(svg("text", { x: (x + g.slot / 2).toFixed(1), y: Math.max(g.top - 4, y - 4).toFixed(1), "text-anchor": "middle", class: `spike-mark mark-${mark}` }, mark === "spike" ? "▲" : "△"));
      }
    }
    if (hr.expected !== null) {
      const y = g.y(hr.expected);
      root.append(svg("line", { x1: x.toFixed(1), x2: (x + g.slot).toFixed(1), y1: y.toFixed(1), y2: y.toFixed(1), class: "expected" }));
    }
    group.addEventListener("click", () => {
      page.hour = hr.hour;
      renderQuery();
    });
    root.append(group);
    const d = new Date(hr.hour);
    if (d.getHours() % 3 === 0) {
      root.append(svg("text", { x: (x + g.slot / 2).toFixed(1), y: g.height - 14, "text-anchor": "middle", class: "axis" }, `${String(d.getHours()).padStart(2, "0")}:00`));
    }
  });
  return root;
}

function chartLegend(): HTMLElement {
  return h("ul", { class: "chart-legend" },
    h("li", {}, h("span", { class: "key key-bar", "aria-hidden": "true" }), "posts in the hour (lighter: the hour in progress)"),
    h("li", {}, h("span", { class: "key key-band", "aria-hidden": "true" }), "usual band: lowest to highest of the same hour in past weeks"),
    h("li", {}, h("span", { class: "key key-expected", "aria-hidden": "true" }), "expected"),
    h("li", {}, h("span", { "aria-hidden": "true" }, "▲ "), "spike · ", h("span", { "aria-hidden": "true" }, "△ "), "unusual hour"),
    h("li", {}, h("span", { class: "key key-nodata", "aria-hidden": "true" }), "no data (not collecting)"));
}

function sentimentChart(hours: ListenHour[], selected: string): SVGSVGElement {
  const g = chartGeometry(hours, 720, 120, 44, 8, 8);
  const label = `Sentiment shares per hour; selected hour ${hourLabel(selected)}`;
  const root = svg("svg", { viewBox: `0 0 ${g.width} ${g.height}`, class: "listen-chart sentiment-chart", role: "img", "aria-label": label, "data-testid": "sentiment-chart" }, svg("title", {}, label));
  root.append(svg("defs", {},
    svg("pattern", { id: "neg-hatch", width: 5, height: 5, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, svg("rect", { width: 5, height: 5, class: "neg-bg" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 5, class: "neg-line" }))));
  hours.forEach((hr, i) => {
    const x = g.x(i) + 1.5;
    const w = Math.max(2, g.slot - 3);
    const n = hr.sentiment.positive + hr.sentiment.neutral + hr.sentiment.negative;
    const grp = svg("g", { class: `sent-hour${hr.hour === selected ? " selected" : ""}`, "data-hour": hr.hour });
    grp.append(svg("title", {}, `${hourLabel(hr.hour)}: ${sentimentText(hr.sentiment)}`));
    if (!n) {
      grp.append(svg("rect", { x: x.toFixed(1), y: g.top + g.plotH - 1, width: w.toFixed(1), height: 1, class: "sent-none" }));
    } else {
      let y = g.top;
      // Negative on top (hatched), neutral, positive at the bottom.
      for (const p of [...sentimentParts(hr.sentiment)].reverse()) {
        const hgt = (p.count / n) * g.plotH;
        if (hgt > 0) grp.append(svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: w.toFixed(1), height: hgt.toFixed(1), class: `sent sent-${p.polarity}` }));
        y += hgt;
      }
    }
    grp.addEventListener("click", () => {
      page.hour = hr.hour;
      renderQuery();
    });
    root.append(grp);
  });
  return root;
}

function sentimentLegend(): HTMLElement {
  return h("ul", { class: "chart-legend" },
    h("li", {}, h("span", { class: "key key-negative", "aria-hidden": "true" }), "− negative (hatched, top)"),
    h("li", {}, h("span", { class: "key key-neutral", "aria-hidden": "true" }), "○ neutral"),
    h("li", {}, h("span", { class: "key key-positive", "aria-hidden": "true" }), "+ positive (bottom)"),
    h("li", { class: "muted" }, "VADER scores, English only: read them as a rough signal."));
}

function hoursTable(hours: ListenHour[]): HTMLElement {
  return h("details", { class: "hours-table" },
    h("summary", {}, "The hours as a table"),
    h("table", { "data-testid": "hours-table" },
      h("thead", {}, h("tr", {}, ["Hour", "Posts", "Usual band", "Expected", "", "Sentiment"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, [...hours].reverse().map((x) => {
        const mk = markLook(hourMark(x));
        return h("tr", { "data-hour": x.hour, "data-mark": hourMark(x) },
          h("th", { scope: "row" }, hourLabel(x.hour)),
          h("td", {}, x.posts === null ? "no data" : `${x.posts}${x.complete ? "" : " so far"}`),
          h("td", {}, x.band ? `${formatCount(x.band.low)}–${formatCount(x.band.high)}` : "—"),
          h("td", {}, formatCount(x.expected)),
          h("td", { class: `tone-${mk.tone}` }, mk.icon ? `${mk.icon} ${mk.label}` : mk.label),
          h("td", { class: "small" }, sentimentText(x.sentiment)));
      }))));
}

function hourDetail(x: ListenHour): HTMLElement {
  const mk = markLook(hourMark(x));
  return h("div", { class: "hour-detail", "data-testid": "hour-detail", "data-hour": x.hour },
    h("p", {}, h("strong", {}, `${hourLabel(x.hour)}: `), x.posts === null ? "no data (collection was not running)" : `${x.posts} posts${x.complete ? "" : " so far"}`,
      bandText(x) ? `, ${bandText(x)}` : "", x.expected !== null ? `, ${formatCount(x.expected)} expected` : "", " — ",
      h("span", { class: `tone-${mk.tone} mark-text` }, mk.icon ? `${mk.icon} ${mk.label}` : mk.label)),
    x.spike ? h("p", { class: "small", "data-testid": "hour-evidence" }, x.spike.evidence) : null,
    h("p", { "data-testid": "sentiment-hour" }, "Sentiment: ", sentimentText(x.sentiment)),
    h("div", { class: "sent-bar", "aria-hidden": "true" }, sentimentParts(x.sentiment).map((p) => h("span", { class: `sent-${p.polarity}`, style: `flex-grow:${p.count}` }, p.count ? `${p.icon} ${percent(p.share)}` : ""))),
    h("p", { class: "small" }, "Top terms: "),
    x.top_terms.length
      ? h("ol", { class: "top-terms", "data-testid": "top-terms" }, x.top_terms.map((t) => h("li", {}, h("strong", {}, t.term), ` ${t.posts}`)))
      : h("p", { class: "muted small", "data-testid": "top-terms" }, "No terms in this hour."),
    h("p", { class: "small" }, "Most shared in this hour:"),
    postList(x.top_posts, "hour-top-posts", "No post of this hour was shared."));
}

function postList(posts: TopPost[], testid: string, empty: string): HTMLElement {
  if (!posts.length) return h("p", { class: "muted small", "data-testid": testid }, empty);
  return h("ol", { class: "listen-posts", "data-testid": testid }, posts.map((p) => postItem(p, p.shares)));
}

function postItem(p: TopPost | ListenPost, shares: number): HTMLElement {
  const url = safeUrl(p.url);
  const pol = polarityOf(p.compound);
  const icon = pol === "positive" ? "+" : pol === "negative" ? "−" : "○";
  return h("li", { class: `listen-post sent-text-${pol}` },
    h("div", { class: "msg-top" },
      h("strong", {}, p.author || "(unknown)"), h("span", { class: "small muted" }, `${p.source} · ${formatClock(p.posted_at)}`),
      h("span", { class: "small" }, `${shares} share${shares === 1 ? "" : "s"}`),
      h("span", { class: "small" }, h("span", { "aria-hidden": "true" }, `${icon} `), pol),
      url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank", class: "small" }, "Open the post") : null),
    h("p", { class: "listen-post-text" }, p.text));
}

function latestPosts(posts: ListenPost[]): HTMLElement {
  if (!posts.length) return h("p", { class: "muted small", "data-testid": "latest-posts" }, "No post stored yet.");
  return h("ol", { class: "listen-posts", "data-testid": "latest-posts" }, posts.map((p) => postItem(p, p.shares)));
}
