// Pure presentation rules: how a verdict, a latency, a duration or a time reads on the board.
// No DOM here, so every rule is unit-tested (format.test.ts).

import type { Connectivity, Crowd, Observer, StatusPageState, Suppression } from "./types";

// "tone" picks the colour; the label and icon carry the same meaning without colour.
export type Tone = "ok" | "warn" | "bad" | "local" | "unknown" | "pending";

export interface VerdictLook {
  label: string;
  icon: string;
  tone: Tone;
  // Lower sorts first: the worst news leads the board.
  rank: number;
}

const VERDICTS: Record<string, VerdictLook> = {
  outage: { label: "Outage", icon: "✕", tone: "bad", rank: 0 },
  regional_outage: { label: "Regional outage", icon: "◑", tone: "bad", rank: 1 },
  degraded: { label: "Degraded", icon: "▲", tone: "warn", rank: 2 },
  just_you: { label: "Just this machine", icon: "⌂", tone: "local", rank: 3 },
  local_dns: { label: "Local DNS problem", icon: "⌂", tone: "local", rank: 3 },
  local_network: { label: "Local network down", icon: "⌂", tone: "local", rank: 3 },
  no_network: { label: "No network here", icon: "⌂", tone: "local", rank: 3 },
  unknown: { label: "Unknown", icon: "?", tone: "unknown", rank: 4 },
  up: { label: "Up", icon: "✓", tone: "ok", rank: 6 },
};

const PENDING: VerdictLook = { label: "Checking…", icon: "…", tone: "pending", rank: 5 };

// `checkedAt` null means the platform was never checked yet: say so rather than "unknown".
export function verdictLook(verdict: string, checkedAt: string | null = "x"): VerdictLook {
  if (checkedAt === null) return PENDING;
  return VERDICTS[verdict] ?? { label: humanize(verdict), icon: "?", tone: "unknown", rank: 4 };
}

export function humanize(id: string): string {
  if (!id) return "";
  const s = id.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Latency: whole milliseconds below 10 s, seconds with one decimal above.
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return "<1 ms";
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

// Durations: "45 s", "3 min", "1 h 5 min", "2 d 3 h".
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

// "just now", "12 s ago", "5 min ago", "in 3 min" relative to `now` (ms since epoch).
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const diff = Math.round((now - t) / 1000);
  if (Math.abs(diff) < 3) return "just now";
  const text = formatDuration(Math.abs(diff));
  return diff > 0 ? `${text} ago` : `in ${text}`;
}

// Local clock time for timelines: "14:03:07"; the date is added when it is not today.
export function formatClock(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  const p = normalizeAvailability(fraction) * 100;
  if (p === 100 || p === 0) return `${p} %`;
  return `${p >= 99.95 ? p.toFixed(2) : p.toFixed(1)} %`;
}

// Availability is a fraction (0..1); tolerate a server that sends a percentage.
export function normalizeAvailability(v: number): number {
  if (v > 1) return Math.min(v / 100, 1);
  return Math.max(v, 0);
}

export const OBSERVER_DOWN_TITLE =
  "The problem is on this side: this machine's connection is down — platforms cannot be judged";

const CONNECTIVITY: Record<string, string> = {
  local_dns: "this machine's DNS resolver is failing",
  local_network: "this machine's network is not usable",
  no_network: "this machine has no network connection",
};

// null when the observer is fine and no banner is shown.
export function observerBanner(o: Observer | null | undefined): { title: string; detail: string } | null {
  if (!o || o.connectivity === "ok" || !o.connectivity) return null;
  const why = CONNECTIVITY[o.connectivity as Connectivity] ?? humanize(String(o.connectivity));
  return { title: OBSERVER_DOWN_TITLE, detail: `${why}.` };
}

const INDICATORS: Record<string, { text: string; tone: Tone }> = {
  none: { text: "All systems operational", tone: "ok" },
  minor: { text: "Minor incident", tone: "warn" },
  major: { text: "Major outage", tone: "bad" },
  critical: { text: "Critical outage", tone: "bad" },
  maintenance: { text: "Maintenance", tone: "unknown" },
};

export function statusPageLook(sp: StatusPageState | null | undefined): { text: string; tone: Tone } | null {
  if (!sp) return null;
  if (sp.fetched === false || sp.indicator === null) {
    return { text: `could not be read${sp.description ? `: ${sp.description}` : ""}`, tone: "unknown" };
  }
  if (!sp.indicator) return null;
  const known = INDICATORS[sp.indicator];
  const text = sp.description || known?.text || humanize(sp.indicator);
  return { text, tone: known?.tone ?? "unknown" };
}

export function suppressionText(s: Suppression | null | undefined, now: number): string | null {
  if (!s) return null;
  const what = s.kind === "maintenance" ? "Maintenance" : "Silenced";
  const until = s.until ? ` until ${formatClock(s.until, now)}` : "";
  return `${what}: ${s.name}${until} — no incident is opened`;
}

export function crowdText(c: Crowd | null | undefined): string | null {
  if (!c) return null;
  const n = c.reports_last_hour;
  const reports = `${n} user report${n === 1 ? "" : "s"} in the last hour`;
  if (c.flagged) return `${reports} — far above the usual ${formatCount(c.baseline)}`;
  return `${reports} (usual ${formatCount(c.baseline)})`;
}

function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export const STATES: Record<string, string> = {
  ok: "",
  pending: "Confirming",
  failing: "Failing",
  recovering: "Recovering",
  flapping: "Flapping",
};

export const REPORT_KINDS: { id: string; label: string }[] = [
  { id: "login", label: "Can't log in" },
  { id: "feed", label: "Feed or timeline won't load" },
  { id: "messages", label: "Messages don't send or arrive" },
  { id: "posting", label: "Can't post" },
  { id: "calls", label: "Calls fail" },
  { id: "other", label: "Something else" },
];

export const EVENT_TYPES: Record<string, { icon: string; label: string }> = {
  opened: { icon: "●", label: "Opened" },
  updated: { icon: "↻", label: "Updated" },
  evidence: { icon: "≡", label: "Evidence" },
  closed: { icon: "✓", label: "Closed" },
  note: { icon: "✎", label: "Note" },
  flapping: { icon: "≈", label: "Flapping" },
  suppressed: { icon: "‖", label: "Suppressed" },
  // The contingency plan's entries (src/playbook/engine.cc).
  playbook_lifecycle: { icon: "◆", label: "Lifecycle" },
  playbook_response_started: { icon: "▶", label: "Plan started" },
  playbook_response_waiting: { icon: "◷", label: "Plan waits" },
  playbook_response_not_started: { icon: "‖", label: "Plan not started" },
  playbook_response_finished: { icon: "■", label: "Plan finished" },
  playbook_response_stopped: { icon: "■", label: "Plan stopped" },
  playbook_step_started: { icon: "▷", label: "Step" },
  playbook_step_waiting: { icon: "◷", label: "Step waits" },
  playbook_step_done: { icon: "✓", label: "Step done" },
  playbook_step_failed: { icon: "✕", label: "Step failed" },
  playbook_step_skipped: { icon: "↷", label: "Step skipped" },
  playbook_assigned: { icon: "☐", label: "Assigned" },
  playbook_message: { icon: "✉", label: "Message" },
  playbook_acknowledged: { icon: "☑", label: "Acknowledged" },
  playbook_done: { icon: "☑", label: "Done" },
  playbook_approved: { icon: "✓", label: "Approved" },
  playbook_refused: { icon: "✕", label: "Refused" },
  playbook_escalated: { icon: "↑", label: "Escalated" },
  playbook_escalation_ended: { icon: "↧", label: "Escalation ended" },
  playbook_expired: { icon: "⌛", label: "Expired" },
  playbook_monitoring: { icon: "◉", label: "Monitoring" },
};

export function eventLook(type: string): { icon: string; label: string } {
  return EVENT_TYPES[type] ?? { icon: "•", label: humanize(type.replace(/^playbook_/, "")) };
}

// Probe timing summary for the probes table: "dns 12 · connect 30 · tls 41 · total 120 ms".
export function formatTimings(t: Record<string, number | undefined> | null | undefined): string {
  if (!t) return "—";
  const order = ["dns", "connect", "tls", "first_byte", "total"] as const;
  const parts: string[] = [];
  for (const k of order) {
    const v = t[k];
    if (v === undefined || v === null || !Number.isFinite(v)) continue;
    parts.push(`${k.replace("_", " ")} ${Math.round(v)}`);
  }
  return parts.length ? `${parts.join(" · ")} ms` : "—";
}
