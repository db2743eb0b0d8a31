import { describe, expect, it } from "vitest";
import { formatRelative } from "./format";
import {
  ATTENTION_STATES,
  MESSAGE_STATES,
  actionErrorText,
  actionsFor,
  attemptsInAll,
  attemptsText,
  circuitLook,
  compareNewestFirst,
  destinationText,
  isNewer,
  kindLabel,
  matchesFilters,
  needsAttention,
  routeText,
  sortChannels,
  stateLook,
} from "./relay";
import type { ChannelHealth, OutboxMessage } from "./types";

function msg(over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: "msg_01",
    idempotency_key: "k",
    channel: "team-telegram",
    contact: "",
    recipient: "@nowhere",
    incident_id: "",
    state: "queued",
    attempts: 0,
    next_attempt_at: null,
    created_at: "2026-11-27T10:00:00Z",
    updated_at: "2026-11-27T10:00:00Z",
    remote_id: "",
    last_reason: "",
    route: "",
    ...over,
  };
}

function channel(over: Partial<ChannelHealth> = {}): ChannelHealth {
  return {
    name: "team-whatsapp",
    kind: "whatsapp",
    platform: "whatsapp",
    domain: "meta",
    circuit: "closed",
    circuit_reason: "",
    open_since: null,
    probe_at: null,
    incident_id: "",
    consecutive_failures: 0,
    rate_per_second: 20,
    current_rate: 20,
    tokens: 20,
    paused_until: null,
    ...over,
  };
}

describe("stateLook", () => {
  it("gives every state of the outbox a word, an icon, a tone and a hint", () => {
    expect(MESSAGE_STATES).toEqual(["queued", "sending", "delivered", "retry_scheduled", "unconfirmed", "failed", "dead_lettered", "cancelled"]);
    for (const s of MESSAGE_STATES) {
      const l = stateLook(s);
      expect(l.label.length).toBeGreaterThan(2);
      expect(l.icon.length).toBeGreaterThan(0);
      expect(l.hint.length).toBeGreaterThan(10);
    }
    expect(stateLook("delivered").tone).toBe("ok");
    expect(stateLook("failed").tone).toBe("bad");
    expect(stateLook("dead_lettered").tone).toBe("bad");
    expect(stateLook("unconfirmed").tone).toBe("warn");
    expect(stateLook("retry_scheduled").label).toBe("Retry scheduled");
  });

  it("reads a state the dashboard does not know yet instead of failing", () => {
    expect(stateLook("held_for_review")).toMatchObject({ label: "Held for review", tone: "unknown" });
  });

  it("marks what needs a person", () => {
    expect([...ATTENTION_STATES]).toEqual(["unconfirmed", "failed", "dead_lettered"]);
    expect(needsAttention("unconfirmed")).toBe(true);
    expect(needsAttention("retry_scheduled")).toBe(false);
  });
});

describe("actionsFor", () => {
  it("follows the store's state rules", () => {
    expect(actionsFor("failed")).toEqual(["retry"]);
    expect(actionsFor("dead_lettered")).toEqual(["retry"]);
    expect(actionsFor("cancelled")).toEqual(["retry"]);
    expect(actionsFor("unconfirmed")).toEqual(["arrived", "send-again", "cancel"]);
    expect(actionsFor("queued")).toEqual(["cancel"]);
    expect(actionsFor("retry_scheduled")).toEqual(["cancel"]);
    expect(actionsFor("sending")).toEqual([]);
    expect(actionsFor("delivered")).toEqual([]);
  });
});

describe("routeText", () => {
  const route = "team-whatsapp: circuit open, Meta outage since 10:02 UTC";
  it("says which channel took a failed-over message", () => {
    expect(routeText(msg({ route, channel: "team-telegram", state: "delivered" }))).toBe(
      "team-whatsapp: circuit open, Meta outage since 10:02 UTC; sent by team-telegram",
    );
  });
  it("says where a message in flight is, and where one failed", () => {
    expect(routeText(msg({ route, channel: "team-email", state: "retry_scheduled" }))).toBe(`${route}; now on team-email`);
    expect(routeText(msg({ route, channel: "team-email", state: "failed" }))).toBe(`${route}; failed on team-email`);
  });
  it("does not repeat what the relay already wrote on a delivered message", () => {
    expect(routeText(msg({ route: `${route}; sent by team-email`, channel: "team-email", state: "delivered" }))).toBe(`${route}; sent by team-email`);
  });
  it("is empty for a message sent to its channel directly", () => {
    expect(routeText(msg({ route: "", state: "delivered" }))).toBe("");
    expect(routeText(msg({ route: "  ", state: "delivered" }))).toBe("");
  });
});

describe("destinationText", () => {
  it("names the channel, the address and the contact", () => {
    expect(destinationText(msg())).toBe("team-telegram → @nowhere");
    expect(destinationText(msg({ recipient: "" }))).toBe("team-telegram (its default recipient)");
    expect(destinationText(msg({ contact: "comms-lead", recipient: "" }), "Sam (comms lead)")).toBe("Sam (comms lead) on team-telegram (its default recipient)");
    expect(destinationText(msg({ contact: "comms-lead" }))).toBe("comms-lead on team-telegram → @nowhere");
  });
});

describe("isNewer", () => {
  it("takes anything over nothing", () => {
    expect(isNewer(msg(), undefined)).toBe(true);
  });
  it("uses the event seq when both copies have it", () => {
    expect(isNewer(msg({ last_seq: 3, updated_at: "2026-11-27T10:00:00Z" }), msg({ last_seq: 4, updated_at: "2026-11-27T09:00:00Z" }))).toBe(false);
    expect(isNewer(msg({ last_seq: 5 }), msg({ last_seq: 4 }))).toBe(true);
  });
  it("keeps a failure that arrived live over a retry's late answer of the same second", () => {
    // Retry starts the attempts again: queued with 0 attempts, then failed with 1.
    const failedAgain = msg({ state: "failed", attempts: 1, updated_at: "2026-11-27T10:00:05Z" });
    const retryAnswer = msg({ state: "queued", attempts: 0, updated_at: "2026-11-27T10:00:05Z" });
    expect(isNewer(retryAnswer, failedAgain, { live: false, overtaken: true })).toBe(false);
    expect(isNewer(failedAgain, retryAnswer, { live: true })).toBe(true);
  });
  it("takes the live 'retried' event although the attempts went back to 0", () => {
    const failed = msg({ state: "failed", attempts: 1, updated_at: "2026-11-27T10:00:05Z" });
    const retried = msg({ state: "queued", attempts: 0, updated_at: "2026-11-27T10:00:05Z" });
    expect(isNewer(retried, failed, { live: true })).toBe(true);
    expect(isNewer(retried, failed, { live: false })).toBe(true); // the action's answer, first
  });
  it("never takes a copy whose last change is older, and lets the incoming copy win a tie", () => {
    expect(isNewer(msg({ updated_at: "2026-11-27T10:00:01Z", attempts: 1 }), msg({ updated_at: "2026-11-27T10:00:02Z", attempts: 0 }))).toBe(false);
    expect(isNewer(msg({ state: "queued" }), msg({ state: "failed" }))).toBe(true);
    expect(isNewer(msg({ state: "queued" }), msg({ state: "failed" }), { live: false, overtaken: false })).toBe(true);
  });
});

describe("filters and order", () => {
  it("matches live messages against the list's filters", () => {
    expect(matchesFilters(msg({ state: "failed" }), { state: "", channel: "" })).toBe(true);
    expect(matchesFilters(msg({ state: "failed" }), { state: "failed", channel: "team-telegram" })).toBe(true);
    expect(matchesFilters(msg({ state: "failed" }), { state: "queued", channel: "" })).toBe(false);
    expect(matchesFilters(msg({ channel: "team-email" }), { state: "", channel: "team-telegram" })).toBe(false);
  });
  it("sorts newest first, by id within a second", () => {
    const a = msg({ id: "msg_a", created_at: "2026-11-27T10:00:00Z" });
    const b = msg({ id: "msg_b", created_at: "2026-11-27T10:00:00Z" });
    const c = msg({ id: "msg_0", created_at: "2026-11-27T10:00:09Z" });
    expect([a, b, c].sort(compareNewestFirst).map((m) => m.id)).toEqual(["msg_0", "msg_b", "msg_a"]);
  });
});

describe("circuitLook", () => {
  const now = Date.parse("2026-11-27T10:05:00Z");
  it("says an open circuit in red with its reason", () => {
    const l = circuitLook(channel({ circuit: "open", circuit_reason: "Meta outage since 10:02 UTC (incident inc_1)" }), now);
    expect(l.tone).toBe("bad");
    expect(l.text).toBe("circuit open: Meta outage since 10:02 UTC (incident inc_1)");
  });
  it("tells half-open, paused, failing and healthy apart", () => {
    expect(circuitLook(channel({ circuit: "half_open" }), now)).toMatchObject({ tone: "warn", text: "testing again (half-open)" });
    expect(circuitLook(channel({ paused_until: "2026-11-27T10:06:00Z" }), now).label).toBe("Paused");
    expect(circuitLook(channel({ paused_until: "2026-11-27T10:04:00Z" }), now).label).toBe("Working");
    expect(circuitLook(channel({ consecutive_failures: 2 }), now)).toMatchObject({ tone: "warn", text: "working, 2 failures in a row" });
    expect(circuitLook(channel(), now)).toMatchObject({ tone: "ok", text: "working" });
  });
  it("puts open circuits first and keeps the config order otherwise", () => {
    const list = [channel({ name: "a" }), channel({ name: "b", circuit: "half_open" }), channel({ name: "c", circuit: "open" }), channel({ name: "d" })];
    expect(sortChannels(list).map((c) => c.name)).toEqual(["c", "b", "a", "d"]);
  });
});

describe("texts", () => {
  it("explains a refused action with the server's words", () => {
    expect(actionErrorText("retry", 409, "message msg_1 is delivered: only failed, dead-lettered, unconfirmed or cancelled messages can be retried")).toMatch(
      /^Could not retry: message msg_1 is delivered: .* \(it changed meanwhile; the row shows its state now\)\.$/,
    );
    expect(actionErrorText("arrived", 0, "x")).toBe("Could not mark it delivered: Lifeline is not answering. Try again in a moment.");
    expect(actionErrorText("cancel", 404, "no message msg_9")).toBe("Could not cancel: no message msg_9");
  });
  it("counts attempts and says when the next is due", () => {
    const now = Date.parse("2026-11-27T10:00:00Z");
    expect(attemptsText(msg({ attempts: 0 }), now, formatRelative)).toBe("not tried yet");
    expect(attemptsText(msg({ attempts: 1, state: "failed" }), now, formatRelative)).toBe("1 attempt");
    expect(attemptsText(msg({ attempts: 3, state: "retry_scheduled", next_attempt_at: "2026-11-27T10:00:30Z" }), now, formatRelative)).toBe("3 attempts, next in 30 s");
  });
});

describe("kindLabel and attemptsInAll", () => {
  it("writes adapter names as people do", () => {
    expect(kindLabel("whatsapp")).toBe("WhatsApp");
    expect(kindLabel("email")).toBe("E-mail");
    expect(kindLabel("carrier_pigeon")).toBe("Carrier pigeon");
  });
  it("counts every attempt, also those before a retry", () => {
    const types = ["queued", "sending", "failed", "retried", "sending", "failed"];
    expect(attemptsInAll(types.map((type) => ({ type })))).toBe(2);
    expect(attemptsInAll([])).toBe(0);
  });
});
