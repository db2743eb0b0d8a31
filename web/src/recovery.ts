// The recovery checklist's rules, pure (no DOM): how each campaign's verdict looks, the order they
// are shown in, the figures in words, and the geometry of the small chart per metric — the band
// of expected values against the actual value per hour (docs/recovery.md). Drawn by
// src/recoveryview.ts.

import { linePath, niceMax } from "./chart";
import type { Tone } from "./format";
import type { Incident, RecoveryCampaign, RecoveryChecklist, RecoveryMetric } from "./types";

export interface VerdictLookR {
  label: string;
  tone: Tone;
  icon: string;
}

const VERDICTS: Record<string, VerdictLookR> = {
  attention: { label: "Needs a look", tone: "bad", icon: "!" },
  pending: { label: "Waiting for figures", tone: "pending", icon: "◷" },
  ok: { label: "Back to normal", tone: "ok", icon: "✓" },
  not_judged: { label: "Not judged", tone: "unknown", icon: "–" },
};

export function recoveryVerdictLook(v: string): VerdictLookR {
  return VERDICTS[v] ?? { label: v, tone: "unknown", icon: "•" };
}

// The checklist's overall status.
export function checklistLook(status: string): VerdictLookR {
  if (status === "open") return { label: "Starts after the restoration", tone: "pending", icon: "◷" };
  if (status === "no_campaigns") return { label: "Nothing to check", tone: "unknown", icon: "–" };
  return recoveryVerdictLook(status);
}

const ORDER: Record<string, number> = { attention: 0, pending: 1, ok: 2, not_judged: 3 };

// What needs a look first; otherwise as the server listed them.
export function sortRecoveryCampaigns(list: RecoveryCampaign[]): RecoveryCampaign[] {
  return list.map((c, i) => [c, i] as const).sort(([a, i], [b, j]) => (ORDER[a.verdict] ?? 4) - (ORDER[b.verdict] ?? 4) || i - j).map(([c]) => c);
}

// The checklist belongs to a closed incident (monitoring or later); while it is open there is
// nothing to check yet.
export function showRecoveryFor(inc: Pick<Incident, "state" | "closed_at"> | null | undefined): boolean {
  return !!inc && (inc.state === "closed" || !!inc.closed_at);
}

// Why there is nothing to check, or "" when there is something. `missing`: the server answered 404
// (an unknown incident, or a server without the recovery checks).
export function nothingToCheck(c: RecoveryChecklist | null, missing: boolean): string {
  if (missing) return "Nothing to check here: this server has no recovery checks for this incident (no ads guard).";
  if (!c) return "";
  if (c.status === "no_campaigns" || (!c.campaigns.length && !c.errors.length)) {
    return c.summary || "Nothing to check: no ad campaign was paused for this incident or delivers on its platforms.";
  }
  return "";
}

export const METRICS = ["spend", "impressions", "clicks", "cpm"] as const;
export type MetricName = (typeof METRICS)[number];

export function metricLabel(m: string, currency: string): string {
  if (m === "spend") return `Spend${currency ? ` (${currency})` : ""}`;
  if (m === "cpm") return `Cost per 1,000 impressions${currency ? ` (${currency})` : ""}`;
  return m.charAt(0).toUpperCase() + m.slice(1);
}

const grouped = (v: number, digits: number) => v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

// A metric's value in words: money with two decimals and the currency, counts as whole numbers.
export function formatMetric(m: string, v: number | null | undefined, currency: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (m === "spend" || m === "cpm") return `${grouped(v, 2)}${currency ? ` ${currency}` : ""}`;
  return grouped(Math.round(v), 0);
}

// One line under a chart: the totals and the hours out of line.
export function metricSummary(m: string, metric: RecoveryMetric, currency: string): string {
  const parts = [`${formatMetric(m, metric.actual, currency)} against about ${formatMetric(m, metric.expected, currency)} expected`];
  if (metric.high_hours) parts.push(`${metric.high_hours} hour${metric.high_hours === 1 ? "" : "s"} above the band`);
  if (metric.low_hours) parts.push(`${metric.low_hours} hour${metric.low_hours === 1 ? "" : "s"} below it`);
  if (!metric.high_hours && !metric.low_hours && metric.hours.length) parts.push("every hour within the band");
  return `${metricLabel(m, currency)}: ${parts.join("; ")}.`;
}

export interface BandPoint {
  x: number;
  y: number;
  hour: string; // "HH:00"
  actual: number;
  low: number;
  high: number;
  expected: number;
  flag: "high" | "low" | null;
}

export interface BandGeometry {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number; // y of the zero line
  yMax: number;
  band: string; // the expected band as one closed path (empty without hours)
  expected: string; // the expected values' line
  actual: string; // the actual values' line (broken where an hour has no figure)
  points: BandPoint[]; // every hour with a figure
  xLabels: { x: number; label: string; anchor: "start" | "middle" | "end" }[];
  yLabels: { y: number; value: number }[];
}

// Geometry of a metric's chart in a `width`×`height` box: hours left to right (a single hour in
// the middle), values bottom to top from 0 to a round maximum above the band and the actual
// values.
export function bandGeometry(metric: RecoveryMetric, width = 320, height = 120): BandGeometry {
  const left = 40;
  const right = width - 8;
  const top = 8;
  const bottom = height - 18;
  const hours = metric.hours;
  const n = hours.length;
  const all = hours.flatMap((h) => [h.high, h.expected, h.actual ?? 0]).filter((v) => Number.isFinite(v));
  const yMax = niceMax(Math.max(0, ...all));
  const x = (i: number) => (n <= 1 ? (left + right) / 2 : left + (i * (right - left)) / (n - 1));
  const y = (v: number) => bottom - (Math.max(0, Math.min(v, yMax)) / yMax) * (bottom - top);
  let band = "";
  if (n === 1) {
    // One hour: a short bar across its slot, so the band still shows.
    const h = hours[0]!;
    const w = Math.min(24, (right - left) / 4);
    const cx = x(0);
    band = `M${(cx - w).toFixed(1)},${y(h.high).toFixed(1)}H${(cx + w).toFixed(1)}V${y(h.low).toFixed(1)}H${(cx - w).toFixed(1)}Z`;
  } else if (n > 1) {
    const upper = hours.map((h, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(h.high).toFixed(1)}`).join("");
    const lower = hours.map((h, i) => [i, h] as const).reverse().map(([i, h]) => `L${x(i).toFixed(1)},${y(h.low).toFixed(1)}`).join("");
    band = `${upper}${lower}Z`;
  }
  const expected = linePath(hours.map((h) => h.expected), x, y);
  const actual = linePath(hours.map((h) => h.actual), x, y);
  const points: BandPoint[] = [];
  hours.forEach((h, i) => {
    if (h.actual === null || !Number.isFinite(h.actual)) return;
    points.push({ x: x(i), y: y(h.actual), hour: hourLabel(h.hour), actual: h.actual, low: h.low, high: h.high, expected: h.expected, flag: h.flag });
  });
  const step = Math.max(1, Math.ceil(n / 6));
  const xLabels: BandGeometry["xLabels"] = [];
  for (let i = 0; i < n; i += step) xLabels.push({ x: x(i), label: hourLabel(hours[i]!.hour), anchor: n === 1 ? "middle" : i === 0 ? "start" : "middle" });
  if (n > 1 && (n - 1) % step !== 0) xLabels.push({ x: x(n - 1), label: hourLabel(hours[n - 1]!.hour), anchor: "end" });
  else if (xLabels.length > 1) xLabels[xLabels.length - 1]!.anchor = "end";
  return { width, height, left, right, top, bottom, yMax, band, expected, actual, points, xLabels, yLabels: [{ y: y(0), value: 0 }, { y: y(yMax), value: yMax }] };
}

// "2026-11-27T10:00" -> "10:00".
export function hourLabel(hour: string): string {
  const m = /T(\d\d:\d\d)/.exec(hour);
  return m ? m[1]! : hour;
}

// A short axis value: 1.2k, 35, 0.5.
export function axisValue(v: number): string {
  if (v >= 1_000_000) return `${+(v / 1_000_000).toFixed(1)}M`;
  if (v >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

// The metrics worth a chart: those with judged hours; the flagged ones first.
export function chartMetrics(c: RecoveryCampaign): MetricName[] {
  const have = METRICS.filter((m) => (c.metrics[m]?.hours.length ?? 0) > 0);
  const out = (m: MetricName) => (c.metrics[m]!.high_hours + c.metrics[m]!.low_hours > 0 ? 0 : 1);
  return have.map((m, i) => [m, i] as const).sort(([a, i], [b, j]) => out(a) - out(b) || i - j).map(([m]) => m);
}
