// The contingency plan's rules as the dashboard shows them: the lifecycle stepper, which buttons
// an assignment offers, how steps, triggers, hours and escalation read, the advisor's chart data
// and what an acknowledgement link does. No DOM here (playbook.test.ts checks every rule).

import { formatDuration, humanize, type Tone } from "./format";
import type {
  Assignment,
  Exposure,
  IncidentResponse,
  LifecycleTransition,
  Plan,
  PlanPerson,
  PlanResponse,
  PlanStep,
  PlanTarget,
} from "./types";

// ---- the lifecycle ---------------------------------------------------------------------------

export const LIFECYCLE = ["detected", "acknowledged", "mitigating", "monitoring", "resolved", "reviewed"] as const;
export type Stage = (typeof LIFECYCLE)[number];

export const STAGE_TEXT: Record<Stage, { label: string; hint: string }> = {
  detected: { label: "Detected", hint: "The outage was confirmed and the plan started" },
  acknowledged: { label: "Acknowledged", hint: "Someone on the team has it" },
  mitigating: { label: "Mitigating", hint: "The plan acts for the audience: posts, moves, pauses" },
  monitoring: { label: "Monitoring", hint: "The platform is back and watched for a while" },
  resolved: { label: "Resolved", hint: "The monitoring window ended quietly" },
  reviewed: { label: "Reviewed", hint: "Looked back at, with the report's lessons" },
};

// done: passed through it; skipped: passed over without stopping there (the plan acted before
// anyone acknowledged); current: where it is now; upcoming: not reached (or left again, after a
// relapse: then `at` says when it was there before).
export type StageState = "done" | "skipped" | "current" | "upcoming";

export interface StageView {
  stage: Stage;
  label: string;
  hint: string;
  state: StageState;
  // The last move into this stage: who and when; null when it never was there.
  at: string | null;
  by: string;
  note: string;
  // How many times it entered this stage (2 for monitoring after a relapse).
  times: number;
}

export function lifecycleStages(lc: { state: string; transitions: LifecycleTransition[] }): StageView[] {
  const now = LIFECYCLE.indexOf(lc.state as Stage);
  const moves = [...(lc.transitions ?? [])].sort((a, b) => a.seq - b.seq);
  return LIFECYCLE.map((stage, i) => {
    const into = moves.filter((t) => t.to === stage);
    const last = into.at(-1);
    const state: StageState = now < 0 ? "upcoming" : i < now ? (last ? "done" : "skipped") : i === now ? "current" : "upcoming";
    return {
      stage,
      ...STAGE_TEXT[stage],
      state,
      at: last?.at ?? null,
      by: last?.by ?? "",
      note: last?.note ?? "",
      times: into.length,
    };
  });
}

// "lifeline" is the engine itself; a person acting through the API is "ana (through the API)".
export function whoText(by: string): string {
  if (!by) return "";
  if (by === "lifeline") return "Lifeline";
  return by;
}

// ---- assignments -----------------------------------------------------------------------------

export type AssignmentAction = "acknowledge" | "done" | "approve" | "refuse";

export const ASSIGNMENT_ACTION_LABELS: Record<AssignmentAction, string> = {
  acknowledge: "Acknowledge",
  done: "Done",
  approve: "Approve",
  refuse: "Refuse",
};

// The moves the store allows (src/store/playbook.h):
//   task: open -> acknowledged -> done, open -> done; approval: open -> approved | refused;
//   notification: open -> acknowledged. Expiry is the engine's alone.
export function assignmentActions(kind: string, state: string): AssignmentAction[] {
  if (kind === "task") {
    if (state === "open") return ["acknowledge", "done"];
    if (state === "acknowledged") return ["done"];
    return [];
  }
  if (kind === "approval") return state === "open" ? ["approve", "refuse"] : [];
  if (kind === "notification") return state === "open" ? ["acknowledge"] : [];
  return [];
}

export function isPendingApproval(a: Pick<Assignment, "kind" | "state">): boolean {
  return a.kind === "approval" && a.state === "open";
}

// Nothing more happens to it (store::IsFinal).
export function isFinalAssignment(a: Pick<Assignment, "kind" | "state">): boolean {
  if (a.state === "open") return false;
  if (a.state === "acknowledged") return a.kind === "notification";
  return true;
}

export const KIND_LABELS: Record<string, string> = { task: "Task", approval: "Approval", notification: "Alert to acknowledge" };

export function kindText(kind: string): string {
  return KIND_LABELS[kind] ?? humanize(kind);
}

export interface Look {
  label: string;
  icon: string;
  tone: Tone | "muted";
}

const ASSIGNMENT_STATES: Record<string, Look> = {
  open: { label: "Open", icon: "○", tone: "warn" },
  acknowledged: { label: "Acknowledged", icon: "◔", tone: "pending" },
  done: { label: "Done", icon: "✓", tone: "ok" },
  approved: { label: "Approved", icon: "✓", tone: "ok" },
  refused: { label: "Refused", icon: "✕", tone: "bad" },
  expired: { label: "Expired", icon: "⌛", tone: "muted" },
};

export function assignmentLook(a: Pick<Assignment, "kind" | "state">): Look {
  if (isPendingApproval(a)) return { label: "Waiting for approval", icon: "!", tone: "bad" };
  const look = ASSIGNMENT_STATES[a.state] ?? { label: humanize(a.state), icon: "?", tone: "unknown" };
  // An acknowledged notification is over: nothing more to do.
  if (a.kind === "notification" && a.state === "acknowledged") return { ...look, icon: "✓", tone: "ok" };
  return look;
}

// What needs a person first: approvals waiting, then open work, then what is over; in the order
// the engine gave them within each group.
export function sortAssignments(list: Assignment[]): Assignment[] {
  const rank = (a: Assignment) => (isPendingApproval(a) ? 0 : isFinalAssignment(a) ? 2 : 1);
  return list.map((a, i) => ({ a, i })).sort((x, y) => rank(x.a) - rank(y.a) || x.i - y.i).map(({ a }) => a);
}

// The order of the rows while a person works through them: rows keep their places once shown
// (a row just approved must not jump away from under the pointer); new approvals waiting go on
// top, other new rows at the end. With nothing shown yet, sortAssignments' order.
export function keepOrder(shown: string[], list: Assignment[]): string[] {
  const ids = new Set(list.map((a) => a.id));
  const kept = shown.filter((id) => ids.has(id));
  if (!kept.length) return sortAssignments(list).map((a) => a.id);
  const fresh = sortAssignments(list.filter((a) => !kept.includes(a.id)));
  return [...fresh.filter(isPendingApproval).map((a) => a.id), ...kept, ...fresh.filter((a) => !isPendingApproval(a)).map((a) => a.id)];
}

// "for superior: sofia (asked: sofia, jon; escalated twice)".
export function assignmentWho(a: Pick<Assignment, "role" | "assignee" | "notified" | "escalation_level">, names: (id: string) => string = (id) => id): string {
  const parts: string[] = [];
  const assignee = a.assignee ? names(a.assignee) : "";
  if (a.role) parts.push(`for ${humanize(a.role).toLowerCase()}${assignee ? `: ${assignee}` : ""}`);
  else if (assignee) parts.push(`for ${assignee}`);
  const others = (a.notified ?? []).filter((id) => id !== a.assignee).map(names);
  const extra: string[] = [];
  if (others.length) extra.push(`also told ${others.join(", ")}`);
  if (a.escalation_level > 0) extra.push(`escalated ${a.escalation_level === 1 ? "once" : `${a.escalation_level} times`}`);
  return parts.join("") + (extra.length ? ` (${extra.join("; ")})` : "");
}

// What the page says once an action went through.
export function actionDoneText(action: AssignmentAction, a: Pick<Assignment, "title">): string {
  const verb = { acknowledge: "Acknowledged", done: "Marked done", approve: "Approved", refuse: "Refused" }[action];
  return `${verb}: ${a.title}`;
}

export function actionErrorText(action: AssignmentAction, status: number, message: string): string {
  const what = { acknowledge: "Could not acknowledge", done: "Could not mark it done", approve: "Could not approve", refuse: "Could not refuse" }[action];
  if (status === 0) return `${what}: Lifeline is not answering. Try again in a moment.`;
  if (status === 409) return `${what}: ${message} (it changed meanwhile; it shows its state now).`;
  return `${what}: ${message}`;
}

// The "You are" name: one line, at most 100 characters (the API's rule for "by").
export function cleanName(raw: string): string {
  return raw.replace(/[\r\n]+/g, " ").trim().slice(0, 100);
}

// ---- steps -----------------------------------------------------------------------------------

const STEP_STATES: Record<string, Look> = {
  pending: { label: "Not started", icon: "·", tone: "muted" },
  running: { label: "Running", icon: "▶", tone: "pending" },
  waiting: { label: "Waiting", icon: "◷", tone: "warn" },
  done: { label: "Done", icon: "✓", tone: "ok" },
  failed: { label: "Failed", icon: "✕", tone: "bad" },
  skipped: { label: "Skipped", icon: "↷", tone: "muted" },
};

export function stepLook(state: string): Look {
  return STEP_STATES[state] ?? { label: humanize(state), icon: "?", tone: "unknown" };
}

function targets(ts: PlanTarget[] | string | undefined): string {
  if (!ts || typeof ts === "string") return ts || "";
  return ts.map((t) => (t.kind === "role" ? humanize(t.name).toLowerCase() : t.name)).join(", ");
}

// One line saying what a step does: "Notify community manager, comms lead (team-alert)".
export function describeStep(s: PlanStep): string {
  const msg = s.message?.template ? ` (${s.message.template})` : s.message?.text ? ` (“${s.message.text}”)` : "";
  switch (s.kind) {
    case "notify":
      return `Notify ${targets(s.to) || "the team"}${msg}`;
    case "post":
      return `Post${msg || " a statement"} on ${s.on?.length ? s.on.join(", ") : "the surviving channels"}`;
    case "move_conversations":
      return typeof s.to === "string" && s.to ? `Move conversations to ${s.to}` : "Move conversations to each channel's backup";
    case "pause": {
      const what = [s.ads ? "ads" : "", s.scheduled_posts ? "scheduled posts" : ""].filter(Boolean).join(" and ");
      return `Pause ${what || "nothing"} on the failed platform`;
    }
    case "wait":
      return `Wait ${formatDuration(s.duration_s ?? 0)}`;
    case "approve":
      return `Approval by ${humanize(s.role ?? "").toLowerCase()}: ${s.what ?? ""}${s.timeout_s ? ` (within ${formatDuration(s.timeout_s)}, then ${s.on_timeout ?? "escalate"})` : ""}`;
    case "task":
      return `Task for ${humanize(s.role ?? "").toLowerCase()}: ${s.title ?? ""}`;
    case "parallel":
      return "At the same time:";
    default:
      return humanize(s.kind);
  }
}

export interface StepRow {
  key: string; // response + "/" + step id
  response: string;
  id: string;
  depth: number; // 1 inside a parallel group
  title: string;
  kind: string;
  state: string;
  note: string;
  error: string;
  attempts: number;
  started_at: string | null;
  ended_at: string | null;
  current: boolean;
}

// Every step of the responses that ran, in the plan's order, with its recorded state (a step
// with no record has not started); steps the plan no longer has follow in recorded order. The
// current step is what the response waits on or runs now; with none, the next one to start.
export function stepRows(resp: Pick<IncidentResponse, "runs" | "steps">, plan: Pick<Plan, "responses"> | null): StepRow[] {
  const rows: StepRow[] = [];
  const recs = new Map(resp.steps.map((s) => [`${s.response}/${s.step_id}`, s]));
  const seen = new Set<string>();
  const names = [...new Set([...resp.runs.map((r) => r.response), ...resp.steps.map((s) => s.response)])];
  for (const name of names) {
    const pr: PlanResponse | undefined = plan?.responses.find((r) => r.name === name);
    const walk = (steps: PlanStep[], depth: number) => {
      for (const s of steps) {
        const key = `${name}/${s.id}`;
        const rec = recs.get(key);
        seen.add(key);
        rows.push({
          key, response: name, id: s.id, depth, title: describeStep(s), kind: s.kind,
          state: rec?.state ?? "pending", note: rec?.note ?? "", error: rec?.last_error ?? "", attempts: rec?.attempts ?? 0,
          started_at: rec?.started_at ?? null, ended_at: rec?.ended_at ?? null, current: false,
        });
        if (s.kind === "parallel" && s.steps) walk(s.steps, depth + 1);
      }
    };
    if (pr) walk(pr.steps, 0);
    for (const rec of resp.steps) {
      const key = `${rec.response}/${rec.step_id}`;
      if (rec.response !== name || seen.has(key)) continue;
      seen.add(key);
      rows.push({
        key, response: name, id: rec.step_id, depth: 0, title: humanize(rec.step_id.replace(/-/g, " ")), kind: "",
        state: rec.state, note: rec.note, error: rec.last_error, attempts: rec.attempts,
        started_at: rec.started_at, ended_at: rec.ended_at, current: false,
      });
    }
  }
  const running = new Set(resp.runs.filter((r) => r.state === "running").map((r) => r.response));
  let any = false;
  for (const r of rows) {
    if ((r.state === "running" || r.state === "waiting") && r.kind !== "parallel" && running.has(r.response)) {
      r.current = true;
      any = true;
    }
  }
  if (!any) {
    const next = rows.find((r) => r.state === "pending" && r.kind !== "parallel" && running.has(r.response));
    if (next) next.current = true;
  }
  return rows;
}

// The line above the steps: what the response does now.
export function currentStepText(rows: StepRow[], runs: IncidentResponse["runs"]): string {
  const now = rows.filter((r) => r.current);
  if (now.length) {
    return now.map((r) => `${r.title} — ${r.state === "pending" ? "next" : stepLook(r.state).label.toLowerCase()}${r.note ? `: ${r.note}` : ""}`).join("; ");
  }
  if (!runs.length) return "No response has started yet.";
  const ended = runs.filter((r) => r.state !== "running");
  if (ended.length === runs.length) {
    return runs.map((r) => `Response ${r.response} ${r.state}${r.reason ? `: ${r.reason}` : ""}`).join("; ");
  }
  return "Working…";
}

// ---- the plan page ---------------------------------------------------------------------------

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// Days as people write them: [1,2,3,4,5] -> "Mon–Fri"; all seven -> "every day"; a week from
// Monday ([1..6, 0] = "Mon–Sun" is "every day").
export function daysText(days: number[]): string {
  const set = new Set(days.filter((d) => d >= 0 && d <= 6));
  if (set.size === 7) return "every day";
  if (!set.size) return "no day";
  // Runs over the week starting on Monday, so Sat–Sun stays one run.
  const order = [1, 2, 3, 4, 5, 6, 0];
  const runs: number[][] = [];
  for (const d of order) {
    if (!set.has(d)) continue;
    const last = runs.at(-1);
    if (last && order.indexOf(last.at(-1)!) === order.indexOf(d) - 1) last.push(d);
    else runs.push([d]);
  }
  return runs.map((r) => (r.length >= 3 ? `${DAY_NAMES[r[0]!]}–${DAY_NAMES[r.at(-1)!]}` : r.map((d) => DAY_NAMES[d]).join(", "))).join(", ");
}

export function hoursText(p: Pick<PlanPerson, "hours">): string {
  if (!p.hours || !p.hours.windows?.length) return "always reachable";
  const w = p.hours.windows.map((x) => `${daysText(x.days)} ${x.from}–${x.to}`).join("; ");
  return `${w} (${p.hours.zone})`;
}

export function triggerText(t: PlanResponse["trigger"]): string {
  const what = [...t.domains.map((d) => `${d} (failure domain)`), ...t.platforms].join(" or ") || "any platform";
  const verdicts = t.verdicts.length ? t.verdicts.map((v) => humanize(v).toLowerCase()).join(" or ") : "an outage";
  const lasting = t.for_s > 0 ? ` for ${formatDuration(t.for_s)}` : "";
  return `${what}: ${verdicts}${lasting} — ${t.severity}`;
}

export function escalationText(after_s: number, to: PlanTarget[], repeat: number): string {
  const who = to.map((t) => (t.kind === "role" ? humanize(t.name).toLowerCase() : t.name)).join(", then ");
  return `Not acknowledged within ${formatDuration(after_s)}: ${who || "nobody"}${repeat > 1 ? `; asked up to ${repeat} times` : ""}`;
}

export function formatAudience(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

// ---- the advisor's chart ---------------------------------------------------------------------

// Below this share of the audience reachable the advice names channels to add
// (playbook::kComfortableShare).
export const COMFORTABLE_SHARE = 0.5;

export interface AdvisorBar {
  id: string;
  name: string;
  kind: string;
  share: number; // 0..1
  percent: number; // whole percent, as the advice sentence writes it
  reachable: number;
  total: number;
  tone: "ok" | "warn" | "bad";
  advice: string;
  cutOff: string[];
}

// The share of the audience reachable when each failure domain (or platform) fails, worst first.
export function advisorBars(list: Exposure[]): AdvisorBar[] {
  return list
    .map((e) => {
      const share = Number.isFinite(e.share) ? Math.min(1, Math.max(0, e.share)) : e.total ? e.reachable / e.total : 1;
      const tone: AdvisorBar["tone"] = share < COMFORTABLE_SHARE ? "bad" : share < 0.8 ? "warn" : "ok";
      return { id: e.id, name: e.name || e.id, kind: e.kind, share, percent: Math.round(share * 100), reachable: e.reachable, total: e.total, tone, advice: e.advice, cutOff: e.cut_off ?? [] };
    })
    .sort((a, b) => a.share - b.share || a.name.localeCompare(b.name));
}

// The sentence above the chart: the worst case's advice, the way `plan advise` says it.
export function advisorHeadline(bars: AdvisorBar[]): string {
  const worst = bars[0];
  if (!worst) return "No channel in the inventory rides on a failure domain: nothing one outage cuts off.";
  const s = worst.advice || `${worst.name} failing leaves ${worst.percent}% of your audience reachable`;
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

export interface BarGeometry {
  bar: AdvisorBar;
  labelY: number; // baseline of the name and the percentage
  barY: number;
  barH: number;
  widthPct: number; // the bar's width, in percent of the chart's width
}

// Rows of the chart: a line of text (name, percentage) over each bar. Widths are percentages, so
// the SVG fills any width without scaling its text.
export function advisorGeometry(bars: AdvisorBar[], row = { text: 16, bar: 14, gap: 12 }): { rows: BarGeometry[]; height: number } {
  const step = row.text + row.bar + row.gap;
  const rows = bars.map((bar, i) => ({
    bar,
    labelY: i * step + row.text - 4,
    barY: i * step + row.text,
    barH: row.bar,
    widthPct: Math.round(bar.share * 1000) / 10,
  }));
  return { rows, height: Math.max(step, bars.length * step) };
}

// ---- acknowledgement links -------------------------------------------------------------------

// The token of an acknowledgement link address: "#/ack/<token>" (inside the dashboard) or the
// path "/ack/<token>" (the link as messages carry it). "" when the address is no such link.
export function ackTokenFrom(loc: { hash: string; pathname: string }): string {
  const m = /^#\/ack\/([^/?#]+)/.exec(loc.hash) ?? /^\/ack\/([^/?#]+)\/?$/.exec(loc.pathname);
  if (!m) return "";
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

export interface LinkText {
  question: string; // "Acknowledge this task?"
  button: string; // the confirm button
  done: string; // after it went through
}

export function linkText(action: string, kind: string): LinkText {
  const what = kind === "notification" ? "alert" : kind || "task";
  switch (action) {
    case "acknowledge":
      return { question: `Acknowledge this ${what}?`, button: "Acknowledge", done: `You acknowledged this ${what}.` };
    case "done":
      return { question: "Mark this task done?", button: "Mark done", done: "You marked this task done." };
    case "approve":
      return { question: "Approve this request?", button: "Approve", done: "You approved this request: the plan goes on." };
    case "refuse":
      return { question: "Refuse this request?", button: "Refuse", done: "You refused this request: the response stops there." };
    default:
      return { question: `${humanize(action)}?`, button: humanize(action), done: "Done." };
  }
}

// Why a link was refused when it was used, in the server's words when it gave some.
export function linkErrorText(status: number, message: string): string {
  if (status === 0) return "Lifeline is not answering. Check your connection and try again.";
  const m = message.trim();
  const sentence = m ? m.charAt(0).toUpperCase() + m.slice(1) : `The link was refused (HTTP ${status})`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
