// Pure presentation rules of the relay's views (the outbox page, the board's channel strip): how a
// message state or a circuit reads, which actions a state allows, the route sentence, and which of
// two copies of a message is newer. No DOM here; relay.test.ts checks each rule.

import { humanize, type Tone } from "./format";
import type { ChannelHealth, MessageEvent, OutboxMessage } from "./types";

export interface StateLook {
  label: string;
  icon: string;
  tone: Tone | "muted";
  // One line for a person: what the state means and what, if anything, they should do.
  hint: string;
}

const STATES: Record<string, StateLook> = {
  queued: { label: "Queued", icon: "…", tone: "pending", hint: "Waiting for its turn on the channel." },
  sending: { label: "Sending", icon: "↗", tone: "pending", hint: "An attempt is under way." },
  delivered: { label: "Delivered", icon: "✓", tone: "ok", hint: "The channel accepted it." },
  retry_scheduled: { label: "Retry scheduled", icon: "↻", tone: "warn", hint: "The last attempt failed; Lifeline tries again by itself." },
  unconfirmed: {
    label: "Unconfirmed",
    icon: "?",
    tone: "warn",
    hint: "The channel never answered, so it may or may not have arrived. Check with the recipient, then decide.",
  },
  failed: { label: "Failed", icon: "✕", tone: "bad", hint: "The channel refused it for good. Fix the cause, then retry." },
  dead_lettered: { label: "Dead letter", icon: "⊘", tone: "bad", hint: "Out of attempts or too old. Retry to try again." },
  cancelled: { label: "Cancelled", icon: "–", tone: "muted", hint: "Cancelled by a person; nothing more is sent." },
};

export const MESSAGE_STATES = Object.keys(STATES);

export function stateLook(state: string): StateLook {
  return STATES[state] ?? { label: humanize(state), icon: "•", tone: "unknown", hint: "" };
}

// States a person has to look at: the first panel of the outbox page lists these.
export const ATTENTION_STATES = ["unconfirmed", "failed", "dead_lettered"] as const;

export function needsAttention(state: string): boolean {
  return (ATTENTION_STATES as readonly string[]).includes(state);
}

export type Action = "retry" | "cancel" | "arrived" | "send-again";

// What a person may do to a message in `state` (the store's rules, store/outbox.h): retry a
// failed, dead-lettered or cancelled one; cancel one that has not gone out yet; decide an
// unconfirmed one ("It arrived" or "Send again", which is what retrying it means).
export function actionsFor(state: string): Action[] {
  switch (state) {
    case "failed":
    case "dead_lettered":
    case "cancelled":
      return ["retry"];
    case "unconfirmed":
      return ["arrived", "send-again", "cancel"];
    case "queued":
    case "retry_scheduled":
      return ["cancel"];
    default:
      return [];
  }
}

export const ACTION_LABELS: Record<Action, string> = {
  retry: "Retry",
  cancel: "Cancel",
  arrived: "It arrived",
  "send-again": "Send again",
};

// The whole route as a sentence: the router's record of the channels it passed over, then where
// the message is: "team-whatsapp: circuit open, Meta outage since 10:02 UTC; sent by
// team-telegram". "" for a message addressed to its channel directly.
export function routeText(m: Pick<OutboxMessage, "route" | "channel" | "state">): string {
  const route = (m.route ?? "").trim().replace(/;\s*$/, "");
  if (!route) return "";
  // The relay itself ends a delivered message's route with "; sent by <channel>".
  if (/(^|;\s*)sent by [^;]+$/.test(route)) return route;
  if (m.state === "delivered") return `${route}; sent by ${m.channel}`;
  if (m.state === "failed" || m.state === "dead_lettered" || m.state === "cancelled") return `${route}; ${stateLook(m.state).label.toLowerCase()} on ${m.channel}`;
  return `${route}; now on ${m.channel}`;
}

// "team-telegram → @nowhere", "team-email (its default recipient)".
export function destinationText(m: Pick<OutboxMessage, "channel" | "recipient" | "contact">, contactName?: string): string {
  const to = m.recipient ? `${m.channel} → ${m.recipient}` : `${m.channel} (its default recipient)`;
  return m.contact ? `${contactName || m.contact} on ${to}` : to;
}

// How a copy of a message reached the page.
export interface CopySource {
  // It came as a live event (the stream delivers a message's changes in the order they happened).
  live: boolean;
  // A fetched copy (listing, detail, an action's answer): a live event about this message arrived
  // while the request was under way, so the stream has told us something at least as new.
  overtaken?: boolean;
}

// Whether a copy of a message replaces the one we have. Live events, action answers and listings
// arrive in any order, and an older copy must never overwrite a newer one. The event seq decides
// when both copies carry it. Otherwise: never a copy whose last change is older (whole seconds),
// and never a fetched copy overtaken by a live event (every change but the claim is published on
// the stream, so the stream brings whatever came after). The attempt count cannot order copies: a
// retry or a failover starts it again at 0.
export function isNewer(incoming: OutboxMessage, have: OutboxMessage | undefined, source: CopySource = { live: true }): boolean {
  if (!have) return true;
  if (typeof incoming.last_seq === "number" && typeof have.last_seq === "number") return incoming.last_seq >= have.last_seq;
  if (!source.live && source.overtaken) return false;
  const ti = Date.parse(incoming.updated_at);
  const th = Date.parse(have.updated_at);
  if (Number.isFinite(ti) && Number.isFinite(th) && ti < th) return false;
  return true;
}

export interface OutboxFilters {
  state: string; // "" = every state
  channel: string; // "" = every channel
}

// Whether a message (new, arriving live) belongs in a list filtered by `f`.
export function matchesFilters(m: OutboxMessage, f: OutboxFilters): boolean {
  return (!f.state || m.state === f.state) && (!f.channel || m.channel === f.channel);
}

// Newest first, as GET /v1/outbox answers: message ids sort by creation ("msg_" + a sortable id).
export function compareNewestFirst(a: OutboxMessage, b: OutboxMessage): number {
  const ta = Date.parse(a.created_at) || 0;
  const tb = Date.parse(b.created_at) || 0;
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export interface CircuitLook {
  label: string;
  icon: string;
  tone: Tone;
  // The chip's words: "circuit open: Meta outage since 10:02 UTC (incident inc_1)".
  text: string;
}

export function circuitLook(c: Pick<ChannelHealth, "circuit" | "circuit_reason" | "paused_until" | "consecutive_failures">, now: number = Date.now()): CircuitLook {
  const reason = (c.circuit_reason ?? "").trim();
  if (c.circuit === "open") return { label: "Circuit open", icon: "✕", tone: "bad", text: `circuit open${reason ? `: ${reason}` : ""}` };
  if (c.circuit === "half_open") return { label: "Testing", icon: "◐", tone: "warn", text: `testing again (half-open)${reason ? `: ${reason}` : ""}` };
  if (c.paused_until && Date.parse(c.paused_until) > now) return { label: "Paused", icon: "‖", tone: "warn", text: "paused: the far side asked to slow down" };
  if (c.consecutive_failures > 0) {
    const n = c.consecutive_failures;
    return { label: "Working", icon: "✓", tone: "warn", text: `working, ${n} failure${n === 1 ? "" : "s"} in a row` };
  }
  if (c.circuit === "closed") return { label: "Working", icon: "✓", tone: "ok", text: "working" };
  return { label: humanize(String(c.circuit)), icon: "?", tone: "unknown", text: humanize(String(c.circuit)).toLowerCase() };
}

// The board's strip: channels with an open circuit first, then in the server's (config) order.
export function sortChannels(list: ChannelHealth[]): ChannelHealth[] {
  const rank = (c: ChannelHealth) => (c.circuit === "open" ? 0 : c.circuit === "half_open" ? 1 : 2);
  return list.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

// What an action's failure says to the person who clicked.
export function actionErrorText(action: Action, status: number, message: string): string {
  const what = { retry: "Could not retry", cancel: "Could not cancel", arrived: "Could not mark it delivered", "send-again": "Could not send it again" }[action];
  if (status === 0) return `${what}: Lifeline is not answering. Try again in a moment.`;
  if (status === 409) return `${what}: ${message} (it changed meanwhile; the row shows its state now).`;
  return `${what}: ${message}`;
}

// One line under a message: how many attempts and when the next one is due.
export function attemptsText(m: Pick<OutboxMessage, "attempts" | "next_attempt_at" | "state">, now: number, rel: (iso: string, now: number) => string): string {
  const n = m.attempts;
  const tries = n === 0 ? "not tried yet" : `${n} attempt${n === 1 ? "" : "s"}`;
  if ((m.state === "queued" || m.state === "retry_scheduled") && m.next_attempt_at && Date.parse(m.next_attempt_at) > now + 1500) {
    return `${tries}, next ${rel(m.next_attempt_at, now)}`;
  }
  return tries;
}

const KINDS: Record<string, string> = {
  whatsapp: "WhatsApp",
  telegram: "Telegram",
  email: "E-mail",
  sms: "SMS",
  twilio: "SMS (Twilio)",
  messenger: "Messenger",
  instagram: "Instagram",
  slack: "Slack",
  discord: "Discord",
  teams: "Microsoft Teams",
  webhook: "Webhook",
  mastodon: "Mastodon",
  bluesky: "Bluesky",
  x: "X",
};

// A channel adapter's name as people write it: "whatsapp" -> "WhatsApp".
export function kindLabel(kind: string): string {
  return KINDS[kind] ?? humanize(kind);
}

// Attempts over the message's whole life: the record's count starts again at 0 on a retry, a
// decision to send again or a failover, its events keep one "sending" per attempt.
export function attemptsInAll(events: Pick<MessageEvent, "type">[]): number {
  return events.filter((e) => e.type === "sending").length;
}
