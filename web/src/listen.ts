// The listening page's rules, pure (no DOM): the shapes of /v1/listening, /hours, /spikes and
// /posts (src/listen/routes.cc), how a source's health and an hour read, what stands out (a source
// failing, an hour above the usual band, a spike), the volume chart's scale and geometry, sentiment
// shares, the most-shared posts, and which live events concern the page. Drawn by
// src/listenpage.ts.

import { formatClock, formatDuration, humanize, type Tone } from "./format";
import type { SseMessage } from "./sse";

export interface ListenQuery {
  id: string; // brand:NAME:mentions, brand:NAME:hashtags, chatter:PLATFORM
  kind: string; // mentions | hashtags | chatter
  brand: string | null;
  platform: string | null;
  terms: string[];
}

export interface ListenTerm {
  term: string;
  outcome: string | null; // ok | rate_limited | auth | error; null: never polled
  last_poll?: string | null;
  last_ok?: string | null;
  error?: string | null;
  rate_limit?: string | null;
  retry_at?: string | null;
  polls: number;
  posts: number;
}

export interface ListenSource {
  name: string;
  kind: string;
  interval_ms: number;
  health: string; // ok | rate_limited | failing | auth | not_polled
  terms: ListenTerm[];
}

export interface SpikeRow {
  query: string;
  platform: string | null;
  hour: string;
  judged_at: string;
  fraction: number;
  observed: number;
  expected: number;
  usual: number;
  weeks: number[];
  p_value: number;
  run: number;
  spiking: boolean;
  fired: boolean;
  reason: string;
  evidence: string;
}

export interface ListeningStatus {
  configured: boolean;
  queries: ListenQuery[];
  sources: ListenSource[];
  spike: Record<string, number | boolean>;
  spiking: SpikeRow[];
}

export interface TopPost {
  key: string;
  source: string;
  url: string | null;
  author: string;
  text: string;
  posted_at: string;
  shares: number;
  compound: number;
}

export interface HourSentiment {
  positive: number;
  neutral: number;
  negative: number;
  positive_share: number;
  neutral_share: number;
  negative_share: number;
  mean_compound: number;
}

export interface ListenHour {
  hour: string; // the hour's start (UTC)
  complete: boolean; // false for the hour in progress
  posts: number | null; // null: collection was not running
  usual: number | null;
  expected: number | null;
  band: { low: number; high: number } | null; // lowest and highest of the same hour over the weeks
  weeks: number[];
  p_value: number;
  unusual: boolean;
  reason: string;
  spike: SpikeRow | null; // the stored decision for this hour
  sentiment: HourSentiment;
  top_terms: { term: string; posts: number }[];
  top_posts: TopPost[];
}

export interface ListenPost {
  key: string;
  source: string;
  source_id: string;
  url: string | null;
  author: string;
  text: string;
  posted_at: string;
  fetched_at: string;
  shares: number;
  compound: number;
  sentiment: string; // positive | neutral | negative
  queries: string[];
}

export interface Look {
  label: string;
  tone: Tone | "muted";
  icon: string;
}

// ---- sources ----------------------------------------------------------------------------------

const HEALTH: Record<string, Look & { rank: number }> = {
  auth: { label: "Credentials refused", tone: "bad", icon: "⊘", rank: 0 },
  failing: { label: "Failing", tone: "bad", icon: "✕", rank: 1 },
  rate_limited: { label: "Rate limited", tone: "warn", icon: "◷", rank: 2 },
  not_polled: { label: "Not polled yet", tone: "muted", icon: "…", rank: 3 },
  ok: { label: "Working", tone: "ok", icon: "✓", rank: 4 },
};

export function healthLook(health: string): Look {
  const l = HEALTH[health];
  return l ? { label: l.label, tone: l.tone, icon: l.icon } : { label: humanize(health), tone: "unknown", icon: "?" };
}

// Worst first, then by name.
export function sortSources(sources: ListenSource[]): ListenSource[] {
  const rank = (s: ListenSource) => HEALTH[s.health]?.rank ?? 1;
  return [...sources].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

const TERM_OUTCOMES: Record<string, Look> = {
  ok: { label: "ok", tone: "ok", icon: "✓" },
  rate_limited: { label: "rate limited", tone: "warn", icon: "◷" },
  auth: { label: "credentials refused", tone: "bad", icon: "⊘" },
  error: { label: "error", tone: "bad", icon: "✕" },
};

export function termLook(outcome: string | null | undefined): Look {
  if (!outcome) return { label: "not polled yet", tone: "muted", icon: "…" };
  return TERM_OUTCOMES[outcome] ?? { label: humanize(outcome), tone: "unknown", icon: "?" };
}

// "until 14:05 (in 12 min)"; "" when there is no time to wait for.
export function untilText(iso: string | null | undefined, now: number): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  if (t <= now) return `until ${formatClock(iso, now)}`;
  return `until ${formatClock(iso, now)} (in ${formatDuration((t - now) / 1000)})`;
}

// The sources that need a person, worst first, each in one line: what is wrong and since when or
// until when.
export function sourceProblems(sources: ListenSource[], now: number): { source: string; health: string; tone: Look["tone"]; text: string }[] {
  const out: { source: string; health: string; tone: Look["tone"]; text: string }[] = [];
  for (const s of sortSources(sources)) {
    if (s.health === "ok" || s.health === "not_polled") continue;
    const look = healthLook(s.health);
    const bad = s.terms.filter((t) => t.outcome && t.outcome !== "ok");
    const first = bad[0];
    const lastOk = s.terms.map((t) => t.last_ok).filter((x): x is string => !!x).sort().at(-1);
    const parts = [`${s.name}: ${look.label.toLowerCase()}`];
    if (s.health === "rate_limited" && first?.retry_at) parts[0] += ` ${untilText(first.retry_at, now)}`;
    if (first?.error) parts.push(first.error);
    parts.push(lastOk ? `last success ${formatClock(lastOk, now)}` : "no success yet");
    if (bad.length > 1) parts.push(`${bad.length} of ${s.terms.length} terms affected`);
    out.push({ source: s.name, health: s.health, tone: look.tone, text: parts.join(" — ") });
  }
  return out;
}

// ---- queries ----------------------------------------------------------------------------------

// "Mentions of acme", "Hashtags of acme", "Outage chatter about WhatsApp".
export function queryLabel(q: Pick<ListenQuery, "id" | "kind" | "brand" | "platform">, platformName: (id: string) => string = (id) => id): string {
  if (q.kind === "mentions" && q.brand) return `Mentions of ${q.brand}`;
  if (q.kind === "hashtags" && q.brand) return `Hashtags of ${q.brand}`;
  if (q.kind === "chatter" && q.platform) return `Outage chatter about ${platformName(q.platform)}`;
  return q.id;
}

// The query to show: the one asked for if known, else the first spiking now, else the first.
export function pickQuery(status: Pick<ListeningStatus, "queries" | "spiking">, wanted: string): string {
  if (status.queries.some((q) => q.id === wanted)) return wanted;
  const spiking = status.queries.find((q) => status.spiking.some((s) => s.query === q.id && s.spiking));
  return spiking?.id ?? status.queries[0]?.id ?? "";
}

export function parseListeningHash(hash: string): { query: string } | null {
  const m = /^#\/listening(?:\/)?(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  return { query: new URLSearchParams(m[1] ?? "").get("query") ?? "" };
}

export function listeningHash(query: string): string {
  return `#/listening${query ? `?query=${encodeURIComponent(query)}` : ""}`;
}

// ---- hours ------------------------------------------------------------------------------------

// "14:00–15:00" in the viewer's time zone.
export function hourLabel(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const hm = (ms: number) => {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  };
  return `${hm(t)}–${hm(t + 3600_000)}`;
}

export type HourMark = "spike" | "unusual" | "above" | "usual" | "no_data" | "no_history";

// What an hour shows: a spike (the stored decision says one is on), an unusual hour (not yet two
// in a row), above the band without being unusual, usual, no data, or no history to compare.
export function hourMark(h: Pick<ListenHour, "posts" | "band" | "unusual" | "spike">): HourMark {
  if (h.posts === null) return "no_data";
  if (h.spike?.spiking) return "spike";
  if (h.unusual) return "unusual";
  if (!h.band) return "no_history";
  return h.posts > h.band.high ? "above" : "usual";
}

const MARKS: Record<HourMark, Look> = {
  spike: { label: "Spike", tone: "bad", icon: "▲" },
  unusual: { label: "Unusual", tone: "warn", icon: "△" },
  above: { label: "Above the usual band", tone: "warn", icon: "↑" },
  usual: { label: "Usual", tone: "ok", icon: "" },
  no_data: { label: "No data (not collecting)", tone: "muted", icon: "∅" },
  no_history: { label: "No history to compare", tone: "muted", icon: "" },
};

export function markLook(mark: HourMark): Look {
  return MARKS[mark];
}

export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// The chart's top: the largest count, band edge or expectation, rounded up.
export function chartMax(hours: ListenHour[]): number {
  let max = 0;
  for (const h of hours) max = Math.max(max, h.posts ?? 0, h.band?.high ?? 0, h.expected ?? 0);
  return niceMax(Math.max(max, 4));
}

export interface ChartGeometry {
  width: number;
  height: number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  max: number;
  slot: number; // width of one hour
  x: (i: number) => number; // left edge of hour i
  y: (v: number) => number;
}

export function chartGeometry(hours: ListenHour[], width = 720, height = 240, left = 44, top = 18, bottom = 34, right = 8): ChartGeometry {
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = chartMax(hours);
  const slot = plotW / Math.max(1, hours.length);
  return { width, height, left, top, plotW, plotH, max, slot, x: (i) => left + i * slot, y: (v) => top + plotH - (Math.max(0, v) / max) * plotH };
}

// One sentence on the window, for the chart's label and for readers without the picture.
export function volumeSummary(hours: ListenHour[]): string {
  if (!hours.length) return "No hours to show.";
  const counted = hours.filter((h) => h.posts !== null);
  const total = counted.reduce((n, h) => n + (h.posts ?? 0), 0);
  const above = hours.filter((h) => ["spike", "unusual", "above"].includes(hourMark(h)));
  const spikes = hours.filter((h) => hourMark(h) === "spike");
  const parts = [`Last ${hours.length} hours: ${total} post${total === 1 ? "" : "s"}`];
  if (counted.length < hours.length) parts.push(`${hours.length - counted.length} without data`);
  parts.push(above.length ? `${above.length} hour${above.length === 1 ? "" : "s"} above the usual band` : "every hour within the usual band");
  const last = spikes.at(-1);
  if (last) parts.push(`spike at ${hourLabel(last.hour)}: ${last.posts} posts against ${formatCount(last.expected)} expected`);
  return `${parts.join("; ")}.`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

// The band as words: "usually 3–7 (median 5)"; "" without history.
export function bandText(h: Pick<ListenHour, "band" | "usual">): string {
  if (!h.band) return "";
  return `usually ${formatCount(h.band.low)}–${formatCount(h.band.high)} (median ${formatCount(h.usual)})`;
}

// The hour shown in detail: the latest with a spike on, else the latest with posts, else the last.
export function defaultHour(hours: ListenHour[]): string {
  const spike = [...hours].reverse().find((h) => hourMark(h) === "spike");
  if (spike) return spike.hour;
  const busy = [...hours].reverse().find((h) => (h.posts ?? 0) > 0);
  return busy?.hour ?? hours.at(-1)?.hour ?? "";
}

// ---- sentiment and posts ----------------------------------------------------------------------

export interface SentimentPart {
  polarity: "positive" | "neutral" | "negative";
  label: string;
  icon: string;
  count: number;
  share: number;
}

export function sentimentParts(s: HourSentiment): SentimentPart[] {
  return [
    { polarity: "positive", label: "positive", icon: "+", count: s.positive, share: s.positive_share },
    { polarity: "neutral", label: "neutral", icon: "○", count: s.neutral, share: s.neutral_share },
    { polarity: "negative", label: "negative", icon: "−", count: s.negative, share: s.negative_share },
  ];
}

export function percent(share: number): string {
  if (!Number.isFinite(share)) return "—";
  return `${Math.round(share * 100)} %`;
}

// "42 % positive, 33 % neutral, 25 % negative (12 posts)"; "no posts" for an empty hour.
export function sentimentText(s: HourSentiment): string {
  const n = s.positive + s.neutral + s.negative;
  if (!n) return "no posts";
  return `${sentimentParts(s).map((p) => `${percent(p.share)} ${p.label}`).join(", ")} (${n} post${n === 1 ? "" : "s"})`;
}

export function polarityOf(compound: number): "positive" | "neutral" | "negative" {
  if (compound >= 0.05) return "positive";
  if (compound <= -0.05) return "negative";
  return "neutral";
}

// The most-shared posts of the window: each hour lists its own most shared, so the window's are
// among them. Highest first, ties earliest first; one per key.
export function topPostsOf(hours: ListenHour[], n = 5): TopPost[] {
  const seen = new Map<string, TopPost>();
  for (const h of hours) for (const p of h.top_posts) if (!seen.has(p.key) || seen.get(p.key)!.shares < p.shares) seen.set(p.key, p);
  return [...seen.values()].sort((a, b) => b.shares - a.shares || Date.parse(a.posted_at) - Date.parse(b.posted_at)).slice(0, n);
}

// Only http(s) links are offered: a post's URL comes from a platform's answer.
export function safeUrl(url: string | null | undefined): string {
  return url && /^https?:\/\//i.test(url) ? url : "";
}

// ---- live events ------------------------------------------------------------------------------

// A `listening` live event: {kind: spike|hour|source, ...}; null for anything else.
export function liveListening(m: SseMessage): { kind: string; query: string; source: string } | null {
  if (m.event !== "listening") return null;
  try {
    const d = JSON.parse(m.data) as { kind?: string; query?: string; source?: string };
    return { kind: d.kind ?? "", query: d.query ?? "", source: d.source ?? "" };
  } catch {
    return null;
  }
}
