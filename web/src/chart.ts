// Latency and availability charts drawn as plain SVG (no chart library: a few hundred bytes of
// code instead of tens of kilobytes). Geometry is pure and tested; the DOM part only draws it.

import { formatClock, formatLatency, formatPercent, normalizeAvailability } from "./format";
import type { HistoryPoint } from "./types";

// Rounds up to 1, 2 or 5 times a power of ten: axis maxima people can read.
export function niceMax(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// An SVG path through the points; a null value breaks the line (no data is not zero latency).
export function linePath(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

// Points with no neighbour draw no line: the chart marks them with a dot instead.
export function isolated(values: (number | null)[]): number[] {
  const has = (i: number) => i >= 0 && i < values.length && values[i] !== null && Number.isFinite(values[i]!);
  const out: number[] = [];
  values.forEach((_, i) => {
    if (has(i) && !has(i - 1) && !has(i + 1)) out.push(i);
  });
  return out;
}

export type AvailTone = "ok" | "warn" | "bad" | "none";

export function availabilityTone(a: number | null | undefined, count = 1): AvailTone {
  if (a === null || a === undefined || !Number.isFinite(a) || count === 0) return "none";
  const v = normalizeAvailability(a);
  if (v >= 0.999) return "ok";
  if (v > 0) return "warn";
  return "bad";
}

export interface Window {
  points: HistoryPoint[];
  from: number;
  to: number;
}

// The last `minutes` of the history, newest last.
export function lastMinutes(points: HistoryPoint[], minutes: number, now: number): Window {
  const from = now - minutes * 60_000;
  const pts = points.filter((p) => Date.parse(p.t) >= from).sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
  return { points: pts, from, to: now };
}

// Availability over a window, weighted by probe count.
export function overallAvailability(points: HistoryPoint[]): number | null {
  let n = 0;
  let ok = 0;
  for (const p of points) {
    if (p.availability === null || !p.count) continue;
    n += p.count;
    ok += normalizeAvailability(p.availability) * p.count;
  }
  return n ? ok / n : null;
}

const SVG = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Tile sparkline: median latency line over an availability strip, last hour.
export function sparkline(points: HistoryPoint[], now: number, label: string): Element {
  const W = 120;
  const H = 32;
  const STRIP = 5;
  const win = lastMinutes(points, 60, now);
  if (!win.points.length) {
    const none = document.createElement("span");
    none.className = "spark-empty";
    none.textContent = "no history in the last hour yet";
    return none;
  }
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "spark", role: "img", "aria-label": label, preserveAspectRatio: "none" });
  svg.appendChild(el("title", {}, label));
  const xOf = (t: number) => ((t - win.from) / (win.to - win.from)) * W;
  const lat = win.points.map((p) => p.p50_ms);
  const max = niceMax(Math.max(1, ...lat.filter((v): v is number => v !== null)));
  const slot = W / 60;
  for (const p of win.points) {
    const tone = availabilityTone(p.availability, p.count);
    svg.appendChild(el("rect", { x: xOf(Date.parse(p.t)).toFixed(1), y: H - STRIP, width: slot.toFixed(2), height: STRIP, class: `av av-${tone}` }));
  }
  const sx = (i: number) => xOf(Date.parse(win.points[i]!.t)) + slot / 2;
  const sy = (v: number) => H - STRIP - 2 - (v / max) * (H - STRIP - 5);
  const d = linePath(lat, sx, sy);
  if (d) svg.appendChild(el("path", { d, class: "lat" }));
  // A lone minute is a short dash (circles would be squashed by the stretched viewBox).
  for (const i of isolated(lat)) svg.appendChild(el("path", { d: `M${(sx(i) - 1.5).toFixed(1)},${sy(lat[i]!).toFixed(1)}h3`, class: "lat dot" }));
  return svg;
}

// Details chart: p50 and p95 latency with axes, and availability per minute below.
export function bigChart(points: HistoryPoint[], now: number, minutes: number, label: string): SVGSVGElement {
  const W = 640;
  const H = 240;
  const L = 56;
  const R = 10;
  const T = 12;
  const STRIP = 14;
  const B = 40;
  const plotH = H - T - B - STRIP - 6;
  const win = lastMinutes(points, minutes, now);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label });
  svg.appendChild(el("title", {}, label));
  const xOf = (t: number) => L + ((t - win.from) / (win.to - win.from)) * (W - L - R);
  const p50 = win.points.map((p) => p.p50_ms);
  const p95 = win.points.map((p) => p.p95_ms);
  const max = niceMax(Math.max(1, ...[...p50, ...p95].filter((v): v is number => v !== null)));
  const yOf = (v: number) => T + plotH - (v / max) * plotH;
  for (const f of [0, 0.5, 1]) {
    const y = yOf(max * f);
    svg.appendChild(el("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid" }));
    svg.appendChild(el("text", { x: L - 6, y: y + 4, "text-anchor": "end", class: "axis" }, f === 0 ? "0 ms" : formatLatency(max * f)));
  }
  const slot = ((W - L - R) / minutes) * 1;
  const stripY = T + plotH + 6;
  for (const p of win.points) {
    const tone = availabilityTone(p.availability, p.count);
    const r = el("rect", { x: xOf(Date.parse(p.t)).toFixed(1), y: stripY, width: Math.max(1, slot).toFixed(2), height: STRIP, class: `av av-${tone}` });
    r.appendChild(el("title", {}, `${formatClock(p.t, now)}: ${formatPercent(p.availability)} of ${p.count} probes ok`));
    svg.appendChild(r);
  }
  svg.appendChild(el("text", { x: L - 6, y: stripY + 11, "text-anchor": "end", class: "axis" }, "avail."));
  const xc = (i: number, arr: HistoryPoint[]) => xOf(Date.parse(arr[i]!.t)) + slot / 2;
  const d95 = linePath(p95, (i) => xc(i, win.points), yOf);
  const d50 = linePath(p50, (i) => xc(i, win.points), yOf);
  if (d95) svg.appendChild(el("path", { d: d95, class: "lat p95" }));
  if (d50) svg.appendChild(el("path", { d: d50, class: "lat p50" }));
  for (const i of isolated(p50)) svg.appendChild(el("circle", { cx: xc(i, win.points), cy: yOf(p50[i]!), r: 3, class: "pt p50" }));
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const t = win.from + ((win.to - win.from) * i) / ticks;
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    svg.appendChild(el("text", { x: xOf(t), y: H - 14, "text-anchor": anchor, class: "axis" }, formatClock(new Date(t).toISOString(), now).slice(-8, -3)));
  }
  if (!win.points.length) svg.appendChild(el("text", { x: W / 2, y: T + plotH / 2, "text-anchor": "middle", class: "nodata" }, "No history yet for this period"));
  const legend = el("g", { class: "legend" });
  legend.appendChild(el("line", { x1: L + 8, x2: L + 28, y1: H - 2, y2: H - 2, class: "lat p50" }));
  legend.appendChild(el("text", { x: L + 32, y: H + 2 - 2, class: "axis" }, "median"));
  legend.appendChild(el("line", { x1: L + 96, x2: L + 116, y1: H - 2, y2: H - 2, class: "lat p95" }));
  legend.appendChild(el("text", { x: L + 120, y: H, class: "axis" }, "95th percentile"));
  svg.appendChild(legend);
  return svg;
}
