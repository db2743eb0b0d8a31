// The Fleet page's rules (#/fleet), apart from the DOM so they can be unit-tested: the vantage
// points as GET /v1/vantage-points gives them, a live `vantage_point` event folded in, how each
// one looks (its state in words, an icon and a tone), "seen x s ago" that moves on between events,
// and the fleet's one-line summary. An unreachable agent is a fact about the agent: the page says
// so, and never shows it as a platform's problem.

import { formatRelative } from "./format";
import type { SseMessage } from "./sse";

export type VantageState = "unknown" | "ok" | "unreachable" | "stale";

export interface VantageError {
  kind: string | null;
  message: string;
  at: string;
}

export interface VantagePoint {
  name: string;
  region: string | null;
  url: string;
  state: VantageState;
  state_since: string | null;
  last_seen: string | null;
  last_attempt: string | null;
  latency_ms: number | null;
  latency_median_ms: number | null;
  exchange_ms: number | null;
  version: string | null;
  connectivity: string | null;
  connectivity_evidence: string[];
  last_error: VantageError | null;
  consecutive_failures: number;
  answers: number;
  failures: number;
}

export interface FleetList {
  checked_at: string;
  stale_after_ms: number;
  vantage_points: VantagePoint[];
}

// The page's copy of the fleet: the list and the gap between serve's clock and ours, so "x s ago"
// and staleness are measured on serve's clock.
export interface FleetState {
  points: VantagePoint[];
  staleAfterMs: number;
  skewMs: number; // serve's clock minus ours, when the list was loaded
}

export function fromList(list: FleetList, nowMs: number): FleetState {
  const served = Date.parse(list.checked_at);
  return {
    points: [...(list.vantage_points ?? [])],
    staleAfterMs: list.stale_after_ms,
    skewMs: Number.isNaN(served) ? 0 : served - nowMs,
  };
}

// A `vantage_point` event's vantage point, or null for any other event (or a broken one).
export function liveVantage(m: SseMessage): (VantagePoint & { previous_state?: VantageState; state_changed?: boolean }) | null {
  if (m.event !== "vantage_point") return null;
  try {
    const d = JSON.parse(m.data) as VantagePoint;
    return d && typeof d.name === "string" && typeof d.state === "string" ? d : null;
  } catch {
    return null;
  }
}

// Folds an event into the state: the named vantage point is replaced (its place kept); one the
// list did not have yet is added at the end. Events older than what is shown (last_attempt going
// back) are ignored: a reconnect may replay.
export function applyLive(s: FleetState, v: VantagePoint): FleetState {
  const i = s.points.findIndex((p) => p.name === v.name);
  const point: VantagePoint = { ...v };
  delete (point as Partial<{ previous_state: unknown; state_changed: unknown }>).previous_state;
  delete (point as Partial<{ previous_state: unknown; state_changed: unknown }>).state_changed;
  if (i < 0) return { ...s, points: [...s.points, point] };
  const old = s.points[i];
  if (old.last_attempt && point.last_attempt && Date.parse(point.last_attempt) < Date.parse(old.last_attempt)) return s;
  const points = [...s.points];
  points[i] = point;
  return { ...s, points };
}

// The state as of now: an ok or unreachable one whose last exchange is older than stale_after has
// gone stale even before serve's next event says so.
export function stateNow(v: VantagePoint, s: FleetState, nowMs: number): VantageState {
  if (v.state === "unknown" || v.state === "stale" || !v.last_attempt) return v.state;
  const last = Date.parse(v.last_attempt);
  if (Number.isNaN(last)) return v.state;
  return nowMs + s.skewMs - last > s.staleAfterMs ? "stale" : v.state;
}

export type Tone = "ok" | "warn" | "bad" | "muted";

export interface Look {
  tone: Tone;
  icon: string;
  label: string;
}

export function stateLook(state: VantageState): Look {
  switch (state) {
    case "ok":
      return { tone: "ok", icon: "✓", label: "Answering" };
    case "unreachable":
      return { tone: "bad", icon: "✕", label: "Unreachable" };
    case "stale":
      return { tone: "warn", icon: "⏸", label: "Stale: not asked lately" };
    default:
      return { tone: "muted", icon: "…", label: "Not asked yet" };
  }
}

const CONNECTIVITY: Record<string, string> = {
  ok: "Its own connection is fine",
  local_dns: "Its own DNS resolver fails",
  local_network: "It cannot reach the control sites",
  no_network: "It has no network",
};

// The agent's own connection in words, and whether its evidence counts.
export function connectivityLook(c: string | null): Look {
  if (!c) return { tone: "muted", icon: "?", label: "Not known yet" };
  if (c === "ok") return { tone: "ok", icon: "✓", label: CONNECTIVITY.ok };
  return { tone: "warn", icon: "!", label: `${CONNECTIVITY[c] ?? c}: its evidence is not used` };
}

const ERROR_KIND: Record<string, string> = {
  token_file: "token file unreadable",
  timeout: "timed out",
  refused: "connection refused",
  reset: "connection reset",
  unreachable: "network unreachable",
  dns: "its name does not resolve",
  tls_verify: "TLS: certificate not trusted",
  tls: "TLS handshake failed",
  too_large: "answer too large",
  transport: "connection failed",
  unauthorized: "token refused",
  http_status: "HTTP error",
  bad_answer: "answer not understood",
};

export function errorKindText(kind: string | null | undefined): string {
  if (!kind) return "failed";
  return ERROR_KIND[kind] ?? kind.replace(/_/g, " ");
}

// "12 ms", "4.2 ms", "1.3 s"; "—" when unknown.
export function formatLatency(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

// "seen 12s ago" on serve's clock; "never answered" before a first answer.
export function seenText(v: VantagePoint, s: FleetState, nowMs: number): string {
  if (!v.last_seen) return "never answered";
  return `seen ${formatRelative(v.last_seen, nowMs + s.skewMs)}`;
}

// Worst first (unreachable, stale, unknown, ok), then by region and name, so trouble leads.
export function sortFleet(points: VantagePoint[], s: FleetState, nowMs: number): VantagePoint[] {
  const rank: Record<VantageState, number> = { unreachable: 0, stale: 1, unknown: 2, ok: 3 };
  return [...points].sort(
    (a, b) =>
      rank[stateNow(a, s, nowMs)] - rank[stateNow(b, s, nowMs)] ||
      (a.region ?? "").localeCompare(b.region ?? "") ||
      a.name.localeCompare(b.name),
  );
}

// "3 of 4 vantage points answering; 1 unreachable (eu-west)" and the tone of the worst.
export function fleetSummary(s: FleetState, nowMs: number): { text: string; tone: Tone } {
  const n = s.points.length;
  if (n === 0) return { text: "No vantage points configured: “down for everyone” rests on official status pages and DNS evidence only.", tone: "muted" };
  const by: Record<VantageState, string[]> = { ok: [], unreachable: [], stale: [], unknown: [] };
  for (const v of s.points) by[stateNow(v, s, nowMs)].push(v.name);
  const parts = [`${by.ok.length} of ${n} vantage point${n === 1 ? "" : "s"} answering`];
  if (by.unreachable.length) parts.push(`${by.unreachable.length} unreachable (${by.unreachable.join(", ")})`);
  if (by.stale.length) parts.push(`${by.stale.length} stale (${by.stale.join(", ")})`);
  if (by.unknown.length) parts.push(`${by.unknown.length} not asked yet`);
  const impaired = s.points.filter((v) => stateNow(v, s, nowMs) === "ok" && v.connectivity && v.connectivity !== "ok");
  if (impaired.length) parts.push(`${impaired.length} with its own connection impaired (${impaired.map((v) => v.name).join(", ")})`);
  const tone: Tone = by.unreachable.length ? "bad" : by.stale.length || impaired.length ? "warn" : by.ok.length ? "ok" : "muted";
  return { text: parts.join("; "), tone };
}

// What an unreachable vantage point means for the verdicts, in one sentence.
export const AGENT_NOT_PLATFORM =
  "An unreachable vantage point is a problem with that agent or the way to it — never evidence about a platform: its results are simply left out of the verdicts until it answers again.";
