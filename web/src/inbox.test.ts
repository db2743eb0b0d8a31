import { describe, expect, it } from "vitest";
import {
  authorText,
  catchUpLook,
  conversationActions,
  inboxHash,
  inboxRelayId,
  lateText,
  listQuery,
  liveConversation,
  matchesFilters,
  newReplyKey,
  parseInboxHash,
  platformStatusText,
  priorityLook,
  replyAttempt,
  snoozeUntil,
  sortConversations,
  statusLook,
  threadItems,
  waitingLook,
  waitingMs,
  waitingText,
  windowLook,
  withConversation,
  DEFAULT_FILTERS,
  type Conversation,
  type InboxMessage,
} from "./inbox";
import { pageFor } from "./pages";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const at = (min: number) => new Date(T0 + min * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");

function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: "conv_a", contact: "ct_a", name: "Ana", channel: "brand-whatsapp", address: "+15550001", state: "open", priority: 0, assignee: null,
    waiting_since: null, first_reply_at: null, last_inbound_at: at(0), last_message_at: at(0), snoozed_until: null, moved_from: null, moved_at: null,
    created_at: at(-60), updated_at: at(0), ...over,
  };
}

function msg(over: Partial<InboxMessage> = {}): InboxMessage {
  return {
    id: "msg_1", conversation_id: "conv_a", direction: "in", channel: "brand-whatsapp", address: "+15550001", source: "wa-main", platform_id: "wamid.1",
    sent_at: at(0), received_at: at(0), text: "hello", kind: "text", author: null, relay_id: null, status: null, ...over,
  };
}

describe("the conversation list", () => {
  it("puts customers waiting first, longest waiting first, then the newest last message", () => {
    const list = sortConversations([
      conv({ id: "c_answered_old", last_message_at: at(-50) }),
      conv({ id: "c_wait_short", waiting_since: at(-5) }),
      conv({ id: "c_answered_new", last_message_at: at(-1) }),
      conv({ id: "c_wait_long", waiting_since: at(-90) }),
    ]);
    expect(list.map((c) => c.id)).toEqual(["c_wait_long", "c_wait_short", "c_answered_new", "c_answered_old"]);
  });

  it("says how long a customer waits, standing out as it grows", () => {
    expect(waitingMs(conv({ waiting_since: at(-12) }), T0)).toBe(12 * 60_000);
    expect(waitingMs(conv(), T0)).toBeNull();
    expect(waitingText(12 * 60_000)).toBe("waiting 12 min");
    expect(waitingText(null)).toBe("");
    expect(waitingLook(5 * 60_000).tone).toBe("pending");
    expect(waitingLook(20 * 60_000)).toMatchObject({ tone: "warn", label: "waiting 20 min" });
    expect(waitingLook(2 * 3600_000)).toMatchObject({ tone: "bad", icon: "‼", label: "waiting 2 h" });
    expect(waitingLook(null)).toMatchObject({ tone: "ok", label: "answered" });
  });

  it("filters: not resolved by default, a state, a channel, waiting only", () => {
    const resolved = conv({ state: "resolved" });
    expect(matchesFilters(resolved, DEFAULT_FILTERS)).toBe(false);
    expect(matchesFilters(resolved, { ...DEFAULT_FILTERS, state: "all" })).toBe(true);
    expect(matchesFilters(conv({ state: "snoozed" }), { ...DEFAULT_FILTERS, state: "open" })).toBe(false);
    expect(matchesFilters(conv(), { ...DEFAULT_FILTERS, channel: "brand-telegram" })).toBe(false);
    expect(matchesFilters(conv(), { ...DEFAULT_FILTERS, waiting: true })).toBe(false);
    expect(matchesFilters(conv({ waiting_since: at(-1) }), { ...DEFAULT_FILTERS, waiting: true })).toBe(true);
    expect(listQuery(DEFAULT_FILTERS)).toBe("limit=500");
    expect(listQuery({ state: "snoozed", channel: "brand telegram", waiting: true }, 50)).toBe("limit=50&state=snoozed&channel=brand%20telegram&waiting=true");
    expect(listQuery({ state: "all", channel: "", waiting: false })).toBe("limit=500");
  });

  it("takes a live copy in its place, drops one that no longer matches, keeps a newer copy", () => {
    const a = conv({ id: "a", waiting_since: at(-10), updated_at: at(0) });
    const b = conv({ id: "b", last_message_at: at(-3) });
    let list = sortConversations([a, b]);
    list = withConversation(list, { ...a, waiting_since: null, updated_at: at(1), last_message_at: at(1) }, DEFAULT_FILTERS);
    expect(list.map((c) => [c.id, c.waiting_since])).toEqual([["a", null], ["b", null]]);
    list = withConversation(list, { ...b, waiting_since: at(-2), updated_at: at(2) }, DEFAULT_FILTERS);
    expect(list[0]!.id).toBe("b");
    expect(withConversation(list, { ...b, state: "resolved", updated_at: at(3) }, DEFAULT_FILTERS).map((c) => c.id)).toEqual(["a"]);
    // An older copy (a live event after a fresher answer) changes nothing.
    expect(withConversation(list, { ...b, waiting_since: null, updated_at: at(0) }, DEFAULT_FILTERS)).toBe(list);
  });

  it("reads states and priorities in words", () => {
    expect(priorityLook(4)).toMatchObject({ label: "Urgent", icon: "‼" });
    expect(priorityLook(0).label).toBe("No priority");
    expect(priorityLook(9).label).toBe("Urgent");
    expect(statusLook("dead_lettered")).toMatchObject({ label: "Not delivered", tone: "bad" });
    expect(statusLook(null)).toBeNull();
    expect(conversationActions({ state: "open" })).toEqual(["resolve", "snooze"]);
    expect(conversationActions({ state: "resolved" })).toEqual(["reopen"]);
  });
});

describe("the thread", () => {
  it("reads in the customer's order and marks where the channel changed", () => {
    const items = threadItems([
      msg({ id: "m3", channel: "brand-telegram", sent_at: at(10), received_at: at(10), text: "here now" }),
      msg({ id: "m1", sent_at: at(0), received_at: at(0) }),
      msg({ id: "m2", direction: "out", channel: "brand-telegram", sent_at: at(5), received_at: at(5), author: null, status: "delivered" }),
    ], T0);
    expect(items.map((i) => (i.kind === "switch" ? `${i.from}->${i.to}` : i.message.id))).toEqual(["m1", "brand-whatsapp->brand-telegram", "m2", "m3"]);
  });

  it("ends with where replies go now when the conversation moved back after restoration", () => {
    const thread = [
      msg({ id: "m1", sent_at: at(0), received_at: at(0) }),
      msg({ id: "m2", direction: "out", channel: "brand-telegram", sent_at: at(5), received_at: at(5), author: null, status: "delivered" }),
      msg({ id: "m3", direction: "out", channel: "brand-telegram", sent_at: at(30), received_at: at(30), author: null, status: "delivered", text: "WhatsApp works again" }),
    ];
    const back = threadItems(thread, T0, { channel: "brand-whatsapp", moved_at: at(30) });
    expect(back.map((i) => (i.kind === "switch" ? `${i.from}->${i.to}@${i.at}` : i.message.id))).toEqual(["m1", `brand-whatsapp->brand-telegram@${at(5)}`, "m2", "m3", `brand-telegram->brand-whatsapp@${at(30)}`]);
    // Still on Telegram: no marker after the last message; a reply on WhatsApp since marks it itself.
    expect(threadItems(thread, T0, { channel: "brand-telegram", moved_at: at(5) }).at(-1)).toMatchObject({ kind: "message" });
    const replied = [...thread, msg({ id: "m4", direction: "out", sent_at: at(40), received_at: at(40), author: "sam" })];
    expect(threadItems(replied, T0, { channel: "brand-whatsapp", moved_at: at(30) }).map((i) => (i.kind === "switch" ? i.to : i.message.id)).slice(-2)).toEqual(["brand-whatsapp", "m4"]);
  });

  it("flags a message that arrived long after it was written (a replayed backlog)", () => {
    const late = msg({ sent_at: at(0), received_at: at(38) });
    expect(lateText(late, T0)).toMatch(/^arrived \d\d:\d\d:\d\d, 38 min after it was written$/);
    expect(lateText(msg({ sent_at: at(0), received_at: at(1) }), T0)).toBe("");
    // A late arrival sorts by when it was written, not when it came.
    const items = threadItems([msg({ id: "new", sent_at: at(30), received_at: at(30) }), msg({ id: "old", sent_at: at(10), received_at: at(40) })], T0);
    expect(items.map((i) => (i.kind === "message" ? [i.message.id, !!i.late] : i.kind))).toEqual([["old", true], ["new", false]]);
  });

  it("says what a source's catch-up found after an incident", () => {
    expect(catchUpLook({ looked: false, new: null })).toMatchObject({ label: "could not look", tone: "muted" });
    expect(catchUpLook({ looked: true, new: 2 })).toMatchObject({ label: "2 missed", tone: "warn" });
    expect(catchUpLook({ looked: true, new: 0 })).toMatchObject({ label: "nothing missed", tone: "ok" });
  });

  it("says whether WhatsApp's 24-hour window is open", () => {
    expect(windowLook(null, T0)).toBeNull();
    expect(windowLook(at(5 * 60), T0)).toMatchObject({ open: true, tone: "ok" });
    expect(windowLook(at(30), T0)).toMatchObject({ open: true, tone: "warn" });
    const closed = windowLook(at(-1), T0)!;
    expect(closed.open).toBe(false);
    expect(closed.text).toMatch(/closed at .*refused until the customer writes again/);
  });

  it("says who wrote each message", () => {
    expect(authorText({ direction: "in", author: null }, "Ana")).toBe("Ana");
    expect(authorText({ direction: "out", author: "sam" }, "Ana")).toBe("sam");
    expect(authorText({ direction: "out", author: null }, "Ana")).toBe("Lifeline's failover notice");
  });

  it("says what the platform reported of a reply", () => {
    expect(platformStatusText({ platform_status: "read", platform_status_at: at(0), platform_error: null }, T0)).toMatch(/^the platform reports it read at \d\d:\d\d:\d\d$/);
    expect(platformStatusText({ platform_status: null })).toBe("");
  });
});

describe("replies and actions", () => {
  it("keeps one idempotency key per attempt: the same text reuses it, new text gets a new one", () => {
    let n = 0;
    const key = () => `k${++n}`;
    const first = replyAttempt(null, "On its way", key);
    expect(first).toEqual({ text: "On its way", key: "k1" });
    expect(replyAttempt(first, "On its way", key)).toBe(first); // a double-click, a retry
    expect(replyAttempt(first, "On its way!", key).key).toBe("k2");
    expect(newReplyKey(() => 0.5, 0)).toBe("web-0-8000800080008000");
    expect(newReplyKey()).not.toBe(newReplyKey());
  });

  it("gives a snooze's end as RFC 3339", () => {
    expect(snoozeUntil("1h", T0)).toBe("2026-11-27T11:00:00Z");
    expect(snoozeUntil("week", T0)).toBe("2026-12-04T10:00:00Z");
    const tomorrow = new Date(Date.parse(snoozeUntil("tomorrow", T0)));
    expect(tomorrow.getHours()).toBe(9);
    expect(tomorrow.getTime()).toBeGreaterThan(T0);
    expect(snoozeUntil("never", T0)).toBe("");
  });
});

describe("the address and live events", () => {
  it("routes #/inbox and a conversation, filters and the sweep in the address", () => {
    expect(pageFor({ hash: "#/inbox", pathname: "/" })).toBe("inbox");
    expect(pageFor({ hash: "#/inbox/conv_1?state=all", pathname: "/" })).toBe("inbox");
    expect(pageFor({ hash: "#/inboxes", pathname: "/" })).toBe("board");
    expect(parseInboxHash("#/inbox/conv_1?waiting=1&channel=brand-telegram&sweep=inc_1")).toEqual({
      conversation: "conv_1", filters: { state: "", channel: "brand-telegram", waiting: true }, sweep: "inc_1",
    });
    expect(parseInboxHash("#/calendar")).toBeNull();
    const r = { conversation: "conv 1", filters: { state: "all", channel: "", waiting: true }, sweep: "" };
    expect(inboxHash(r)).toBe("#/inbox/conv%201?state=all&waiting=1");
    expect(parseInboxHash(inboxHash(r))).toEqual(r);
  });

  it("reads conversation events and the relay's events about inbox replies", () => {
    const c = conv();
    expect(liveConversation({ event: "conversation", data: JSON.stringify({ change: "reply", conversation: c }), id: "" })).toEqual({ change: "reply", conversation: c });
    expect(liveConversation({ event: "calendar", data: "{}", id: "" })).toBeNull();
    expect(liveConversation({ event: "conversation", data: "not json", id: "" })).toBeNull();
    const ev = (key: string) => ({ event: "outbox", data: JSON.stringify({ type: "delivered", message: { id: "msg_9", idempotency_key: key } }), id: "" });
    expect(inboxRelayId(ev("inbox/conv_a/reply/web-1"))).toBe("msg_9");
    expect(inboxRelayId(ev("alert/inc_1/open/x"))).toBe("");
  });
});
