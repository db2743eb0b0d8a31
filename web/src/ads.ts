// The ads page's rules, pure (no DOM): what each campaign change's state looks like, which
// campaigns Lifeline holds paused now, who paused them, and when each will resume (after the
// settle time, after a person's approval, or kept paused and why); the budget transfers' states,
// order (those waiting for a decision first) and words. Drawn by src/adspage.ts.

import { formatClock, formatDuration, humanize, type Tone } from "./format";
import type { SseMessage } from "./sse";
import type { AdCampaign, AdChange, AdHandResult, AdPolicy, AdTransfer, Incident, IncidentEvent } from "./types";

// The guard's default settle time (src/ads/guard_internal.h kDefaultSettle), for a change whose
// policy is not a configured one (a plan's step).
export const DEFAULT_SETTLE_MS = 30 * 60_000;

export interface Look {
  label: string;
  tone: Tone | "muted";
  icon: string;
}

const CHANGE_LOOKS: Record<string, Look> = {
  pausing: { label: "Pausing", tone: "pending", icon: "◷" },
  paused: { label: "Paused by Lifeline", tone: "warn", icon: "‖" },
  resuming: { label: "Resuming", tone: "pending", icon: "↻" },
  resumed: { label: "Resumed", tone: "ok", icon: "✓" },
  kept: { label: "Kept paused", tone: "local", icon: "‖" },
  failed: { label: "Failed", tone: "bad", icon: "✕" },
  dry_run: { label: "Dry run", tone: "unknown", icon: "○" },
};

export function changeLook(state: string): Look {
  return CHANGE_LOOKS[state] ?? { label: humanize(state), tone: "unknown", icon: "•" };
}

// The guard still holds it (open), or left it paused on purpose (kept).
export function isHeld(state: string): boolean {
  return state === "pausing" || state === "paused" || state === "resuming" || state === "kept";
}

export const campaignKey = (account: string, id: string) => `${account}\u0000${id}`;

// What Lifeline holds paused now: the guard's open changes and the campaigns it left paused on
// purpose, one row per campaign (its newest change), newest first. A kept change whose campaign the
// platform now shows active is left out: someone resumed it since (a resume by hand does not
// close a kept record), so `campaigns` — what the platforms said last, when known — has the last
// word.
export function heldChanges(open: AdChange[], kept: AdChange[], campaigns?: Map<string, AdCampaign>): AdChange[] {
  const newest = new Map<string, AdChange>();
  for (const c of [...open, ...kept]) {
    if (!isHeld(c.state)) continue;
    const k = campaignKey(c.account, c.campaign_id);
    const have = newest.get(k);
    if (!have || c.id > have.id) newest.set(k, c);
  }
  const out = [...newest.values()].filter((c) => !(c.state === "kept" && campaigns?.get(campaignKey(c.account, c.campaign_id))?.status === "active"));
  const when = (c: AdChange) => Date.parse(c.paused_at ?? c.created_at) || 0;
  return out.sort((a, b) => when(b) - when(a) || b.id - a.id);
}

// The most recent changes first.
export function recentChanges(changes: AdChange[], n: number): AdChange[] {
  return [...changes].sort((a, b) => b.id - a.id).slice(0, n);
}

// Who paused it, in words: the guard by itself (with its policy), the plan's step, or a person.
export function whoPaused(c: Pick<AdChange, "by" | "policy">): string {
  const by = c.by ?? "";
  const person = /^(?:api|cli|dashboard):(.+)$/.exec(by)?.[1];
  if (person) return `${person}, by hand`;
  if (by === "lifeline") return c.policy && c.policy !== "hand" ? `Lifeline (policy ${c.policy})` : "Lifeline";
  if (by === "plan" || c.policy.startsWith("plan:")) {
    // The plan's pause step: "plan:<response>", or the config's matching policy.
    if (c.policy.startsWith("plan:")) return `the plan (${c.policy.slice(5)})`;
    return c.policy && c.policy !== "hand" ? `the plan (policy ${c.policy})` : "the plan";
  }
  if (c.policy === "hand") return `${by || "someone"}, by hand`;
  return by || "Lifeline";
}

export function budgetText(budget: string | null | undefined, kind: string, currency: string | undefined): string {
  if (!budget) return "";
  return `${kind ? `${kind} ` : ""}budget ${budget}${currency ? ` ${currency}` : ""}`;
}

// The campaign as it was before Lifeline touched it.
export function priorText(c: Pick<AdChange, "prior">): string {
  const p = c.prior;
  const parts = [p.status || "status unknown"];
  if (p.effective_status && p.effective_status !== p.status) parts.push(`delivering: ${p.effective_status}`);
  const b = budgetText(p.budget, p.budget_kind, p.currency);
  if (b) parts.push(b);
  return parts.join(" · ");
}

// The due time of the incident's resume, from its timeline: the newest ads_resume_scheduled (the
// guard writes the due time there; a change's resume_due is not filled in by every server).
export function resumeDueFromEvents(events: IncidentEvent[]): string | null {
  let due: string | null = null;
  let seq = -1;
  for (const e of events) {
    if (e.type !== "ads_resume_scheduled" || e.seq < seq) continue;
    const d = (e.data as { due?: unknown } | undefined)?.due;
    if (typeof d === "string" && !Number.isNaN(Date.parse(d))) {
      due = d;
      seq = e.seq;
    }
  }
  return due;
}

export type ResumeKind = "settle" | "approval" | "kept" | "resuming" | "unknown";

export interface ResumeInfo {
  kind: ResumeKind;
  text: string;
  at: string | null; // when it is due (or estimated), when known
}

export interface ResumeContext {
  incident?: Incident | null;
  policy?: AdPolicy | null;
  due?: string | null; // the incident's scheduled resume (resumeDueFromEvents)
  platforms?: string; // the failed platforms in words ("WhatsApp")
  now: number;
}

// When a held campaign comes back: after the platform has been healthy for the settle time (a
// time once the incident closed), after a person's approval (resume: manual), or never by itself
// (kept, with the reason).
export function resumeInfo(c: AdChange, ctx: ResumeContext): ResumeInfo {
  if (c.state === "kept") return { kind: "kept", text: `kept paused: ${c.note || "left paused on purpose"}`, at: null };
  if (c.state === "resuming") return { kind: "resuming", text: "resuming now", at: c.resume_due };
  if (!isHeld(c.state)) return { kind: "unknown", text: "", at: null };
  const p = ctx.policy ?? null;
  if (p?.resume === "manual") {
    return { kind: "approval", text: `after approval: it stays paused until a person resumes it (policy ${p.name} resumes by hand)`, at: null };
  }
  const settleMs = p ? p.settle_ms : DEFAULT_SETTLE_MS;
  const settle = formatDuration(settleMs / 1000);
  const stagger = p && p.stagger_ms > 0 ? `, one campaign every ${formatDuration(p.stagger_ms / 1000)}` : "";
  const what = ctx.platforms || "the platform";
  const due = c.resume_due ?? ctx.due ?? null;
  if (due) {
    const t = Date.parse(due);
    if (t > ctx.now) return { kind: "settle", text: `resumes at ${formatClock(due, ctx.now)}, once ${what} has been healthy for ${settle}${stagger}`, at: due };
    return { kind: "settle", text: `due since ${formatClock(due, ctx.now)}: resumes as soon as ${what} stays healthy${stagger}`, at: due };
  }
  const inc = ctx.incident;
  if (inc && inc.state !== "open" && inc.closed_at) {
    const at = new Date(Date.parse(inc.closed_at) + settleMs).toISOString();
    return { kind: "settle", text: `resumes about ${formatClock(at, ctx.now)}, once ${what} has been healthy for ${settle}${stagger}`, at };
  }
  return { kind: "settle", text: `after ${what} has been healthy for ${settle}${stagger} (counted from the end of the incident)`, at: null };
}

// A policy in one sentence: when it pauses and how it resumes.
export function policyText(p: AdPolicy): string {
  const scope = p.domains.length ? `anything ${p.domains.join(", ")} runs` : p.platforms.length ? p.platforms.join(", ") : "a platform";
  const verdicts = (p.verdicts.length ? p.verdicts : ["outage"]).map((v) => humanize(v).toLowerCase()).join(" or ");
  const min = formatDuration(p.min_duration_ms / 1000);
  const act =
    p.action === "pause" ? "pause its active campaigns"
    : p.action === "ask" ? "ask the budget's owner first (the plan's approval), then pause"
    : "only a plan step pauses";
  const resume = p.resume === "manual"
    ? "A person resumes them (resume: manual)."
    : `Resume after ${formatDuration(p.settle_ms / 1000)} healthy${p.stagger_ms > 0 ? `, one every ${formatDuration(p.stagger_ms / 1000)}` : ", all at once"}.`;
  const accounts = p.accounts.length ? ` Accounts: ${p.accounts.join(", ")}.` : " Every account delivering on the failed platform.";
  return `When ${scope} has ${/^[aeiou]/.test(verdicts) ? "an" : "a"} ${verdicts} lasting ${min}: ${act}. ${resume}${accounts}`;
}

export type HandAction = "pause" | "resume";

// What a person may do with a campaign from the page.
export function campaignActions(c: Pick<AdCampaign, "status">): HandAction[] {
  if (c.status === "active") return ["pause"];
  if (c.status === "paused") return ["resume"];
  return [];
}

// Campaign ids typed by hand: separated by commas or spaces; each 1 to 64 characters (the API's
// rule).
export function parseCampaignIds(text: string): { ids: string[]; error: string } {
  const ids = [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
  if (!ids.length) return { ids, error: "Name at least one campaign id." };
  const bad = ids.find((id) => id.length > 64);
  if (bad) return { ids: [], error: `A campaign id has 1 to 64 characters: ${bad.slice(0, 20)}… is longer.` };
  return { ids, error: "" };
}

// An action's answer per campaign: done, nothing to do, or refused by the platform.
export function handOutcomeTone(outcome: string): "ok" | "info" | "bad" {
  if (outcome === "paused" || outcome === "resumed") return "ok";
  if (outcome === "failed" || outcome === "not found") return "bad";
  return "info";
}

export function handResultText(r: AdHandResult): string {
  return `${r.campaign_id}: ${r.outcome}${r.detail ? ` (${r.detail})` : ""}`;
}

// The whole answer's tone: bad when any campaign failed.
export function handResultsTone(results: AdHandResult[]): "ok" | "info" | "bad" {
  const tones = results.map((r) => handOutcomeTone(r.outcome));
  return tones.includes("bad") ? "bad" : tones.includes("ok") ? "ok" : "info";
}

// The incident an ads_* timeline entry belongs to (a live incident_event), or "".
export function adsEventIncident(m: SseMessage): string {
  if (m.event !== "incident_event") return "";
  try {
    const d = JSON.parse(m.data) as { incident_id?: string; event?: { type?: string } };
    return d.event?.type?.startsWith("ads_") ? (d.incident_id ?? "") : "";
  } catch {
    return "";
  }
}

// The incidents worth offering for the calls log: those with changes, newest first, then others.
export function callIncidents(changes: AdChange[], incidents: Incident[]): string[] {
  const out: string[] = [];
  for (const c of recentChanges(changes, changes.length)) if (c.incident_id && !out.includes(c.incident_id)) out.push(c.incident_id);
  for (const i of incidents) if (!out.includes(i.id)) out.push(i.id);
  return out;
}

// ---- budget transfers (docs/ads.md "Budget transfers") ----------------------------------------

const TRANSFER_LOOKS: Record<string, Look> = {
  proposed: { label: "Waits for approval", tone: "warn", icon: "⚑" },
  approved: { label: "Approved, moving", tone: "pending", icon: "◷" },
  moved: { label: "Moved for the outage", tone: "ok", icon: "→" },
  returned: { label: "Moved back", tone: "muted", icon: "↩" },
  refused: { label: "Refused", tone: "local", icon: "✕" },
  expired: { label: "Expired", tone: "unknown", icon: "○" },
  skipped: { label: "Nothing moved", tone: "unknown", icon: "○" },
  failed: { label: "Failed", tone: "bad", icon: "✕" },
  dry_run: { label: "Dry run", tone: "unknown", icon: "○" },
};

export function transferLook(state: string): Look {
  return TRANSFER_LOOKS[state] ?? { label: humanize(state), tone: "unknown", icon: "•" };
}

// A person may still approve or refuse it.
export const transferDecidable = (t: Pick<AdTransfer, "state">) => t.state === "proposed";

// Those waiting for someone first, then those holding budget moved (or about to), then the rest;
// newest first within each.
export function sortTransfers(list: AdTransfer[]): AdTransfer[] {
  const rank = (t: AdTransfer) => (t.state === "proposed" ? 0 : t.state === "approved" || t.state === "moved" ? 1 : 2);
  return [...list].sort((a, b) => rank(a) - rank(b) || b.id - a.id);
}

// "150.00 USD/day".
export const transferAmountText = (t: Pick<AdTransfer, "amount" | "currency">) => `${t.amount} ${t.currency}/day`;

// The receiving campaign's daily budget: before, what Lifeline set, what it set back (those known).
export function transferBudgetText(t: Pick<AdTransfer, "prior_budget" | "set_budget" | "returned_budget" | "currency">): string {
  const parts: string[] = [];
  if (t.prior_budget) parts.push(`before ${t.prior_budget}`);
  if (t.set_budget) parts.push(`set ${t.set_budget}`);
  if (t.returned_budget) parts.push(`set back ${t.returned_budget}`);
  return parts.length ? `${parts.join(" → ")} ${t.currency}/day` : "not changed";
}

// Who decided, in words.
export function transferDecidedText(t: Pick<AdTransfer, "state" | "decided_by">): string {
  const who = t.decided_by ?? "";
  if (t.state === "proposed") return "nobody yet: it waits for someone with the operator role";
  if (t.state === "refused") return who ? `refused by ${who}` : "refused";
  if (who === "config") return "nobody needed to: the transfer says approval: none";
  if (who) return `approved by ${who}`;
  return t.state === "dry_run" || t.state === "skipped" ? "not asked" : "nobody";
}

// When the budget moves back (or did, or why it will not move).
export function transferReturnText(t: Pick<AdTransfer, "state" | "return_due" | "returned_at">, now: number, settle = ""): string {
  const after = settle ? `once the paused campaigns' platforms have been healthy for ${settle}` : "after the settle time";
  switch (t.state) {
    case "proposed":
    case "approved":
      return `if it moves: after the outage, ${after}`;
    case "moved":
      if (t.return_due) {
        return Date.parse(t.return_due) > now
          ? `moves back at ${formatClock(t.return_due, now)}, ${after}`
          : `due since ${formatClock(t.return_due, now)}: moves back as soon as the platforms stay healthy`;
      }
      return `after the outage, ${after} (counted from the end of the incident)`;
    case "returned":
      return t.returned_at ? `moved back at ${formatClock(t.returned_at, now)}` : "moved back";
    default:
      return "nothing to move back";
  }
}

// The type of a live ads_transfer_* timeline entry, or "".
export function transferEventType(m: SseMessage): string {
  if (m.event !== "incident_event") return "";
  try {
    const type = (JSON.parse(m.data) as { event?: { type?: string } }).event?.type ?? "";
    return type.startsWith("ads_transfer_") ? type : "";
  } catch {
    return "";
  }
}
