import { describe, expect, it } from "vitest";
import { applyMessage, arrange, emptyState, loadPlatforms, mergeEvents, sortIncidents, summarize, timelineAfter, upsertIncident } from "./state";
import type { Incident, PlatformView } from "./types";

function view(id: string, domain: string, verdict = "up", extra: Partial<PlatformView> = {}): PlatformView {
  return {
    platform: id, name: id[0]!.toUpperCase() + id.slice(1), domain, verdict, layer: "", detail: "", confidence: 0.9,
    reason: "", evidence: [], latency_ms: 100, checked_at: "2026-11-27T10:00:00Z", state: "ok", incident_id: null,
    suppressed: null, status_page: null, crowd: null, ...extra,
  };
}

function incident(id: string, state: string, opened: string): Incident {
  return { id, kind: "platform", domain: "meta", platforms: ["whatsapp"], verdict: "outage", state, title: id, opened_at: opened, updated_at: opened, closed_at: null, duration_s: null };
}

const base = () =>
  loadPlatforms(emptyState(), {
    platforms: [view("facebook", "meta"), view("whatsapp", "meta"), view("x", "x"), view("discord", "discord")],
    observer: { connectivity: "ok", evidence: [] },
    updated_at: "2026-11-27T10:00:00Z",
  });

describe("live events", () => {
  it("a platform event replaces that platform's view and names it as changed", () => {
    const s = base();
    const { state, change } = applyMessage(s, { event: "platform", data: JSON.stringify(view("whatsapp", "meta", "outage")) });
    expect(change).toEqual({ platform: "whatsapp" });
    expect(state.platforms.get("whatsapp")?.verdict).toBe("outage");
    expect(state.platforms.get("facebook")?.verdict).toBe("up");
    expect(s.platforms.get("whatsapp")?.verdict).toBe("up"); // the old state is untouched
  });

  it("keeps probes the details panel loaded when a live view carries none", () => {
    let s = base();
    const probes = [{ id: "web", kind: "http", target: "t", from: "here", ok: true, layer: "", detail: "", message: "", timings_ms: {} }];
    s.platforms.set("x", { ...s.platforms.get("x")!, probes });
    s = applyMessage(s, { event: "platform", data: JSON.stringify(view("x", "x", "degraded")) }).state;
    expect(s.platforms.get("x")?.probes).toEqual(probes);
  });

  it("adds a platform it did not know", () => {
    const { state } = applyMessage(base(), { event: "platform", data: JSON.stringify(view("tumblr", "automattic")) });
    expect(state.order.at(-1)).toBe("tumblr");
  });

  it("an observer event replaces the observer", () => {
    const { state, change } = applyMessage(base(), { event: "observer", data: '{"connectivity":"no_network","evidence":["no default route"]}' });
    expect(change.observer).toBe(true);
    expect(state.observer?.connectivity).toBe("no_network");
  });

  it("an incident event inserts or updates, open first", () => {
    let s = base();
    s = applyMessage(s, { event: "incident", data: JSON.stringify(incident("inc_1", "open", "2026-11-27T10:00:00Z")) }).state;
    s = applyMessage(s, { event: "incident", data: JSON.stringify(incident("inc_0", "closed", "2026-11-27T11:00:00Z")) }).state;
    expect(s.incidents.map((i) => i.id)).toEqual(["inc_1", "inc_0"]);
    s = applyMessage(s, { event: "incident", data: JSON.stringify(incident("inc_1", "closed", "2026-11-27T10:00:00Z")) }).state;
    expect(s.incidents.map((i) => [i.id, i.state])).toEqual([["inc_0", "closed"], ["inc_1", "closed"]]);
  });

  it("an incident_event extends a loaded timeline, once", () => {
    let s = base();
    s.timelines.set("inc_1", [{ seq: 1, at: "t", type: "opened", message: "opened" }]);
    const ev = { incident_id: "inc_1", event: { seq: 2, at: "t", type: "closed", message: "recovered" } };
    let r = applyMessage(s, { event: "incident_event", data: JSON.stringify(ev) });
    expect(r.change.timeline).toBe("inc_1");
    r = applyMessage(r.state, { event: "incident_event", data: JSON.stringify(ev) });
    expect(r.state.timelines.get("inc_1")?.map((e) => e.seq)).toEqual([1, 2]);
    // A timeline nobody opened is not kept: it is fetched whole when opened.
    s = r.state;
    const other = applyMessage(s, { event: "incident_event", data: JSON.stringify({ ...ev, incident_id: "inc_9" }) });
    expect(other.change).toEqual({});
    expect(other.state.timelines.has("inc_9")).toBe(false);
  });

  it("ignores broken or unknown events", () => {
    const s = base();
    expect(applyMessage(s, { event: "platform", data: "{not json" }).state).toBe(s);
    expect(applyMessage(s, { event: "mystery", data: "{}" }).change).toEqual({});
    expect(applyMessage(s, { event: "platform", data: "null" }).change).toEqual({});
  });
});

describe("arrangement", () => {
  it("groups by failure domain with the worst domain first", () => {
    const s = applyMessage(base(), { event: "platform", data: JSON.stringify(view("discord", "discord", "outage")) }).state;
    const groups = arrange(s, "domain");
    expect(groups.map((g) => g.key)).toEqual(["discord", "meta", "x"]);
    expect(groups[1]!.ids).toEqual(["facebook", "whatsapp"]);
  });

  it("sorts worst first, then by name", () => {
    const s = applyMessage(base(), { event: "platform", data: JSON.stringify(view("x", "x", "degraded")) }).state;
    expect(arrange(s, "severity")[0]!.ids).toEqual(["x", "discord", "facebook", "whatsapp"]);
    expect(arrange(s, "name")[0]!.ids).toEqual(["discord", "facebook", "whatsapp", "x"]);
  });

  it("summarizes counts worst first", () => {
    const s = applyMessage(base(), { event: "platform", data: JSON.stringify(view("x", "x", "outage")) }).state;
    expect(summarize(s)).toEqual({ total: 4, counts: [{ tone: "bad", label: "Outage", n: 1 }, { tone: "ok", label: "Up", n: 3 }] });
  });
});

describe("incidents and timelines", () => {
  it("sorts open incidents first, newest first", () => {
    const list = sortIncidents([
      incident("a", "closed", "2026-11-27T12:00:00Z"),
      incident("b", "open", "2026-11-27T09:00:00Z"),
      incident("c", "open", "2026-11-27T11:00:00Z"),
    ]);
    expect(list.map((i) => i.id)).toEqual(["c", "b", "a"]);
    expect(upsertIncident(list, incident("", "open", "x"))).toBe(list);
  });

  it("merges events by seq", () => {
    const e = (seq: number, message = "") => ({ seq, at: "t", type: "evidence", message });
    expect(mergeEvents([e(1), e(3)], [e(2), e(3, "again")]).map((x) => [x.seq, x.message])).toEqual([[1, ""], [2, ""], [3, "again"]]);
  });
});

describe("timelineAfter", () => {
  const ev = (seq: number) => ({ seq, at: "", type: "x", message: "" });
  it("asks after the last entry before the first gap, so entries stored without a live event are not skipped", () => {
    expect(timelineAfter([])).toBe(0);
    expect(timelineAfter([ev(1), ev(2), ev(3)])).toBe(3);
    // 4 and 5 were stored without a live event; 6 was pushed live.
    expect(timelineAfter([ev(1), ev(2), ev(3), ev(6)])).toBe(3);
  });
});
