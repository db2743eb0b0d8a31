// The inbox page's rules, pure (no DOM): the shapes of /v1/conversations and /v1/inbox/sweep
// (src/inbox/inbox.cc ConversationJson, MessageJson, Sweep), the list's order and filters, how a
// state, a priority, a waiting time, a reply's status and WhatsApp's 24-hour window read, a thread
// in the customer's order with its channel switches and late arrivals, the reply's idempotency key
// per attempt, snooze times, and which live events concern the inbox. Drawn by src/inboxpage.ts.

import { formatClock, formatDuration, humanize, type Tone } from "./format";
import type { SseMessage } from "./sse";

export interface Conversation {
  id: string;
  contact: string;
  name: string | null;
  channel: string;
  address: string;
  state: string; // open | pending | snoozed | resolved
  priority: number; // 0 none, 1 low, 2 medium, 3 high, 4 urgent
  assignee: string | null;
  waiting_since: string | null; // platform time of the oldest unanswered customer message
  first_reply_at: string | null;
  last_inbound_at: string | null;
  last_message_at: string | null;
  snoozed_until: string | null;
  moved_from: string | null; // the channel a failover moved it away from last
  moved_at: string | null;
  created_at: string;
  updated_at: string;
  waiting_ms?: number; // the sweep's
}

export interface InboxMessage {
  id: string;
  conversation_id: string;
  direction: "in" | "out" | string;
  channel: string;
  address: string;
  source: string;
  platform_id: string;
  sent_at: string; // the platform's time: the customer's order
  received_at: string; // when Lifeline stored it
  text: string;
  kind: string;
  author: string | null; // out: who replied ("" / null: a failover move message)
  relay_id: string | null;
  status: string | null; // out: queued, delivered, failed, dead_lettered, rerouted, unconfirmed, cancelled
  // Out: what the platform reported of it (WhatsApp: sent, delivered, read, failed), when known.
  platform_status?: string | null;
  platform_status_at?: string | null;
  platform_error?: string | null;
}

export interface ConversationDetail extends Conversation {
  messages: InboxMessage[];
  whatsapp_window_closes: string | null;
}

export interface SweepMessage extends InboxMessage {
  answered: boolean;
  waiting_ms: number | null;
  conversation: { id: string; name: string | null; channel: string; assignee: string | null; state: string };
}

export interface SweepMove {
  conversation_id: string;
  from: string;
  to: string;
  at: string;
  relay_id: string | null;
  on_restoration?: string | null; // "back" | "stay": what the customer is told once it is back
  restored_at?: string | null;
  restored_note?: string | null;
}

// One source's look for what the platform did not deliver during the incident (docs/inbox.md,
// "What was missed"): `line` says it in the server's words.
export interface SweepCatchUp {
  source: string;
  type: string;
  looked: boolean; // false: the platform offers no way to look (WhatsApp), or the look failed
  line: string;
  reason: string | null;
  found: number | null;
  new: number | null; // the gap: found here, never delivered by the webhook
  pending: number | null;
  since: string;
  until: string;
  at: string;
}

export interface Sweep {
  incident_id: string;
  from: string;
  to: string;
  open: boolean;
  waiting: Conversation[];
  messages: SweepMessage[];
  moves: SweepMove[];
  catch_up?: SweepCatchUp[]; // once the incident ended
}

// How a catch-up result reads: the gap stands out; "cannot look" is said, not hidden.
export function catchUpLook(c: Pick<SweepCatchUp, "looked" | "new">): Look {
  if (!c.looked) return { label: "could not look", tone: "muted", icon: "?" };
  if (c.new) return { label: `${c.new} missed`, tone: "warn", icon: "⚠" };
  return { label: "nothing missed", tone: "ok", icon: "✓" };
}

export interface Look {
  label: string;
  tone: Tone | "muted";
  icon: string;
}

// ---- states, priorities, statuses -------------------------------------------------------------

export const CONVERSATION_STATES = ["open", "pending", "snoozed", "resolved"];

const STATE_LOOKS: Record<string, Look> = {
  open: { label: "Open", tone: "pending", icon: "●" },
  pending: { label: "Pending", tone: "pending", icon: "◷" },
  snoozed: { label: "Snoozed", tone: "muted", icon: "☾" },
  resolved: { label: "Resolved", tone: "ok", icon: "✓" },
};

export function stateLook(state: string): Look {
  return STATE_LOOKS[state] ?? { label: humanize(state), tone: "unknown", icon: "•" };
}

const PRIORITIES: Look[] = [
  { label: "No priority", tone: "muted", icon: "" },
  { label: "Low", tone: "muted", icon: "↓" },
  { label: "Medium", tone: "pending", icon: "=" },
  { label: "High", tone: "warn", icon: "↑" },
  { label: "Urgent", tone: "bad", icon: "‼" },
];

export function priorityLook(p: number): Look {
  return PRIORITIES[Math.max(0, Math.min(4, Math.round(p || 0)))]!;
}

const STATUS_LOOKS: Record<string, Look> = {
  queued: { label: "Queued", tone: "pending", icon: "◷" },
  delivered: { label: "Delivered", tone: "ok", icon: "✓" },
  failed: { label: "Failed", tone: "bad", icon: "✕" },
  dead_lettered: { label: "Not delivered", tone: "bad", icon: "✕" },
  rerouted: { label: "Rerouted", tone: "warn", icon: "↪" },
  unconfirmed: { label: "Unconfirmed", tone: "warn", icon: "?" },
  cancelled: { label: "Cancelled", tone: "muted", icon: "⊘" },
};

// An outgoing message's status (the relay's outcome); null for an incoming one.
export function statusLook(status: string | null | undefined): Look | null {
  if (!status) return null;
  return STATUS_LOOKS[status] ?? { label: humanize(status), tone: "unknown", icon: "•" };
}

// What the platform reported of an outgoing message ("WhatsApp reports it read at 14:05"); "" when
// nothing was reported.
export function platformStatusText(m: Pick<InboxMessage, "platform_status" | "platform_status_at" | "platform_error">, now: number = Date.now()): string {
  if (!m.platform_status) return "";
  const at = m.platform_status_at ? ` at ${formatClock(m.platform_status_at, now)}` : "";
  const err = m.platform_error ? `: ${m.platform_error}` : "";
  return `the platform reports it ${m.platform_status.replace(/_/g, " ")}${at}${err}`;
}

// ---- waiting ----------------------------------------------------------------------------------

export function waitingMs(c: Pick<Conversation, "waiting_since">, now: number): number | null {
  if (!c.waiting_since) return null;
  const t = Date.parse(c.waiting_since);
  return Number.isNaN(t) ? null : Math.max(0, now - t);
}

// "waiting 12 min"; "" when nobody waits.
export function waitingText(ms: number | null): string {
  if (ms === null) return "";
  return `waiting ${formatDuration(ms / 1000)}`;
}

// How long a customer has waited, standing out as it grows (words and icon beside the colour).
export function waitingLook(ms: number | null): Look {
  if (ms === null) return { label: "answered", tone: "ok", icon: "✓" };
  if (ms >= 60 * 60_000) return { label: waitingText(ms), tone: "bad", icon: "‼" };
  if (ms >= 15 * 60_000) return { label: waitingText(ms), tone: "warn", icon: "⚠" };
  return { label: waitingText(ms), tone: "pending", icon: "◷" };
}

// The list's order, as the store's List: customers waiting first (longest waiting first), then by
// the last message, newest first; then id.
export function sortConversations(list: Conversation[]): Conversation[] {
  const t = (s: string | null) => (s ? Date.parse(s) : NaN);
  return [...list].sort((a, b) => {
    const wa = t(a.waiting_since);
    const wb = t(b.waiting_since);
    const aw = !Number.isNaN(wa);
    const bw = !Number.isNaN(wb);
    if (aw !== bw) return aw ? -1 : 1;
    if (aw && bw && wa !== wb) return wa - wb;
    const la = t(a.last_message_at);
    const lb = t(b.last_message_at);
    const ln = (x: number) => (Number.isNaN(x) ? -Infinity : x);
    if (ln(la) !== ln(lb)) return ln(lb) - ln(la);
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

// The name a person reads for a conversation's customer.
export function contactName(c: Pick<Conversation, "name" | "address" | "contact">): string {
  return c.name || c.address || c.contact;
}

// ---- filters ----------------------------------------------------------------------------------

// state: "" = not resolved (the default), "all", or one state.
export interface InboxFilters {
  state: string;
  channel: string;
  waiting: boolean;
}

export const DEFAULT_FILTERS: InboxFilters = { state: "", channel: "", waiting: false };

export function matchesFilters(c: Conversation, f: InboxFilters): boolean {
  if (f.state === "" && c.state === "resolved") return false;
  if (f.state && f.state !== "all" && c.state !== f.state) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.waiting && !c.waiting_since) return false;
  return true;
}

// The query of GET /v1/conversations for the filters (the "not resolved" default is applied here).
export function listQuery(f: InboxFilters, limit = 500): string {
  const q = [`limit=${limit}`];
  if (f.state && f.state !== "all") q.push(`state=${encodeURIComponent(f.state)}`);
  if (f.channel) q.push(`channel=${encodeURIComponent(f.channel)}`);
  if (f.waiting) q.push("waiting=true");
  return q.join("&");
}

// The page's address: #/inbox, #/inbox/<conversation>, with ?state=&channel=&waiting=1&sweep=.
export interface InboxRoute {
  conversation: string;
  filters: InboxFilters;
  sweep: string;
}

export function parseInboxHash(hash: string): InboxRoute | null {
  const m = /^#\/inbox(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  const q = new URLSearchParams(m[2] ?? "");
  let conversation = "";
  try {
    conversation = m[1] ? decodeURIComponent(m[1]) : "";
  } catch {
    conversation = "";
  }
  return {
    conversation,
    filters: { state: q.get("state") ?? "", channel: q.get("channel") ?? "", waiting: q.get("waiting") === "1" || q.get("waiting") === "true" },
    sweep: q.get("sweep") ?? "",
  };
}

export function inboxHash(r: InboxRoute): string {
  const q = new URLSearchParams();
  if (r.filters.state) q.set("state", r.filters.state);
  if (r.filters.channel) q.set("channel", r.filters.channel);
  if (r.filters.waiting) q.set("waiting", "1");
  if (r.sweep) q.set("sweep", r.sweep);
  const s = q.toString();
  return `#/inbox${r.conversation ? `/${encodeURIComponent(r.conversation)}` : ""}${s ? `?${s}` : ""}`;
}

// ---- the thread -------------------------------------------------------------------------------

// Arrival this much after the platform's time reads as late (a backlog replayed after downtime).
export const LATE_MS = 2 * 60_000;

export type ThreadItem =
  | { kind: "switch"; from: string; to: string; at: string }
  | { kind: "message"; message: InboxMessage; late: string };

// The customer's order: platform time, then arrival, then the server's order.
export function sortMessages(messages: InboxMessage[]): InboxMessage[] {
  return messages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => Date.parse(a.m.sent_at) - Date.parse(b.m.sent_at) || Date.parse(a.m.received_at) - Date.parse(b.m.received_at) || a.i - b.i)
    .map((x) => x.m);
}

// "arrived 14:32, 38 min after it was written"; "" when it arrived about when it was written.
export function lateText(m: Pick<InboxMessage, "sent_at" | "received_at">, now: number = Date.now()): string {
  const d = Date.parse(m.received_at) - Date.parse(m.sent_at);
  if (!(d >= LATE_MS)) return "";
  return `arrived ${formatClock(m.received_at, now)}, ${formatDuration(d / 1000)} after it was written`;
}

// The thread as shown: messages in the customer's order, with a marker where the conversation
// changed channel (a move from WhatsApp to Telegram shows where it happened). Given the
// conversation, a last marker says where replies go now when that is not where the last message
// went: a move back after restoration ("WhatsApp works again" on Telegram, then back to WhatsApp)
// comes before any message on the channel it returns to.
export function threadItems(messages: InboxMessage[], now: number = Date.now(), current?: Pick<Conversation, "channel" | "moved_at"> | null): ThreadItem[] {
  const out: ThreadItem[] = [];
  let channel = "";
  let last = "";
  for (const m of sortMessages(messages)) {
    if (channel && m.channel !== channel) out.push({ kind: "switch", from: channel, to: m.channel, at: m.sent_at });
    channel = m.channel;
    last = m.sent_at;
    out.push({ kind: "message", message: m, late: m.direction === "in" ? lateText(m, now) : "" });
  }
  if (current?.channel && channel && current.channel !== channel) {
    const at = current.moved_at && Date.parse(current.moved_at) >= Date.parse(last) ? current.moved_at : last;
    out.push({ kind: "switch", from: channel, to: current.channel, at });
  }
  return out;
}

// Who wrote a message, in words.
export function authorText(m: Pick<InboxMessage, "direction" | "author">, customer: string): string {
  if (m.direction === "in") return customer;
  if (!m.author) return "Lifeline's failover notice";
  return m.author;
}

// WhatsApp's 24-hour customer-service window: null when it does not apply.
export function windowLook(closes: string | null | undefined, now: number): { open: boolean; text: string; tone: Tone } | null {
  if (!closes) return null;
  const t = Date.parse(closes);
  if (Number.isNaN(t)) return null;
  if (now >= t) {
    return {
      open: false,
      tone: "bad",
      text: `WhatsApp's 24-hour window closed at ${formatClock(closes, now)}: a free-text reply is refused until the customer writes again (or the source sends a template).`,
    };
  }
  const left = (t - now) / 1000;
  return { open: true, tone: left < 2 * 3600 ? "warn" : "ok", text: `WhatsApp's 24-hour window is open for ${formatDuration(left)} more (until ${formatClock(closes, now)}).` };
}

// ---- actions ----------------------------------------------------------------------------------

export type ConversationAction = "resolve" | "snooze" | "reopen";

export function conversationActions(c: Pick<Conversation, "state">): ConversationAction[] {
  if (c.state === "resolved") return ["reopen"];
  if (c.state === "snoozed") return ["reopen", "resolve"];
  return ["resolve", "snooze"];
}

// One reply attempt: the key stays while the same text is being sent (a double-click, a retry
// after a lost answer: the server sends it once) and changes with the text.
export interface ReplyAttempt {
  text: string;
  key: string;
}

export function replyAttempt(prev: ReplyAttempt | null, text: string, newKey: () => string): ReplyAttempt {
  if (prev && prev.text === text) return prev;
  return { text, key: newKey() };
}

export function newReplyKey(random: () => number = Math.random, now: number = Date.now()): string {
  const r = Array.from({ length: 4 }, () => Math.floor(random() * 0x10000).toString(16).padStart(4, "0")).join("");
  return `web-${now.toString(36)}-${r}`;
}

export const SNOOZE_CHOICES: { id: string; label: string }[] = [
  { id: "1h", label: "for 1 hour" },
  { id: "4h", label: "for 4 hours" },
  { id: "tomorrow", label: "until tomorrow 09:00" },
  { id: "week", label: "for a week" },
];

// The `until` of a snooze choice (RFC 3339 UTC, whole seconds); "" for an unknown choice.
export function snoozeUntil(choice: string, now: number): string {
  const fmt = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
  if (choice === "1h") return fmt(now + 3600_000);
  if (choice === "4h") return fmt(now + 4 * 3600_000);
  if (choice === "week") return fmt(now + 7 * 86_400_000);
  if (choice === "tomorrow") {
    const d = new Date(now);
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return fmt(d.getTime());
  }
  return "";
}

// ---- live events ------------------------------------------------------------------------------

// A `conversation` live event ({change, conversation}), or null.
export function liveConversation(m: SseMessage): { change: string; conversation: Conversation } | null {
  if (m.event !== "conversation") return null;
  try {
    const d = JSON.parse(m.data) as { change?: string; conversation?: Conversation };
    return d.conversation && typeof d.conversation.id === "string" ? { change: d.change ?? "", conversation: d.conversation } : null;
  } catch {
    return null;
  }
}

// The relay message id of an `outbox` event about an inbox reply or move (its idempotency key
// starts with "inbox/"): the inbox copies the relay's outcome into the message's status.
export function inboxRelayId(m: SseMessage): string {
  if (m.event !== "outbox") return "";
  try {
    const d = JSON.parse(m.data) as { message?: { id?: string; idempotency_key?: string } };
    return d.message?.idempotency_key?.startsWith("inbox/") ? (d.message.id ?? "") : "";
  } catch {
    return "";
  }
}

// The list with `c` in it (replaced by id when newer, or added); removed when it no longer
// matches the filters.
export function withConversation(list: Conversation[], c: Conversation, f: InboxFilters): Conversation[] {
  const i = list.findIndex((x) => x.id === c.id);
  if (i >= 0 && Date.parse(list[i]!.updated_at) > Date.parse(c.updated_at)) return list;
  const rest = i >= 0 ? [...list.slice(0, i), ...list.slice(i + 1)] : list;
  return matchesFilters(c, f) ? sortConversations([...rest, c]) : rest;
}
