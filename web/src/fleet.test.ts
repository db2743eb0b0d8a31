import { describe, expect, it } from "vitest";
import {
  applyLive,
  connectivityLook,
  errorKindText,
  fleetSummary,
  formatLatency,
  fromList,
  liveVantage,
  seenText,
  sortFleet,
  stateLook,
  stateNow,
  type FleetList,
  type VantagePoint,
} from "./fleet";
import { pageFor } from "./pages";

const T0 = Date.parse("2026-11-27T10:00:00Z");

function point(over: Partial<VantagePoint> = {}): VantagePoint {
  return {
    name: "eu-west",
    region: "eu",
    url: "https://eu.example:8443",
    state: "ok",
    state_since: "2026-11-27T09:00:00Z",
    last_seen: "2026-11-27T09:59:50Z",
    last_attempt: "2026-11-27T09:59:50Z",
    latency_ms: 12.4,
    latency_median_ms: 11,
    exchange_ms: 340,
    version: "0.1.0",
    connectivity: "ok",
    connectivity_evidence: ["3 of 3 control sites load"],
    last_error: null,
    consecutive_failures: 0,
    answers: 10,
    failures: 0,
    ...over,
  };
}

const dead = point({
  name: "us-east",
  region: "us",
  state: "unreachable",
  last_seen: null,
  version: null,
  connectivity: null,
  latency_ms: null,
  latency_median_ms: null,
  exchange_ms: null,
  last_error: { kind: "refused", message: "https://us.example:8443/v1/probe: connection refused", at: "2026-11-27T09:59:55Z" },
  last_attempt: "2026-11-27T09:59:55Z",
  consecutive_failures: 3,
});

function list(points: VantagePoint[], checkedAt = "2026-11-27T10:00:00Z"): FleetList {
  return { checked_at: checkedAt, stale_after_ms: 95_000, vantage_points: points };
}

describe("fleet", () => {
  it("routes #/fleet to its page", () => {
    expect(pageFor({ hash: "#/fleet", pathname: "/" })).toBe("fleet");
    expect(pageFor({ hash: "#/fleetwood", pathname: "/" })).toBe("board");
  });

  it("reads the serve clock's offset so 'seen x ago' is measured on it", () => {
    const s = fromList(list([point()], "2026-11-27T10:00:05Z"), T0); // serve is 5 s ahead
    expect(s.skewMs).toBe(5000);
    expect(seenText(s.points[0], s, T0)).toBe("seen 15 s ago");
    expect(seenText(s.points[0], s, T0 + 60_000)).toBe("seen 1 min ago");
    expect(seenText(dead, s, T0)).toBe("never answered");
  });

  it("goes stale on screen once no round reached it for stale_after", () => {
    const s = fromList(list([point(), dead]), T0);
    expect(stateNow(s.points[0], s, T0)).toBe("ok");
    // Last attempt 09:59:50 + 95 s = 10:01:25.
    expect(stateNow(s.points[0], s, T0 + 85_000)).toBe("ok");
    expect(stateNow(s.points[0], s, T0 + 86_000)).toBe("stale");
    expect(stateNow(s.points[1], s, T0 + 91_000)).toBe("stale");
    expect(stateNow(point({ state: "unknown", last_attempt: null }), s, T0 + 1e9)).toBe("unknown");
  });

  it("folds a live event in place, ignoring one older than what is shown", () => {
    const s = fromList(list([point(), dead]), T0);
    const m = { event: "vantage_point", id: "", data: JSON.stringify({ ...dead, state: "ok", last_seen: "2026-11-27T10:00:10Z", last_attempt: "2026-11-27T10:00:10Z", previous_state: "unreachable", state_changed: true }) };
    const v = liveVantage(m);
    expect(v?.name).toBe("us-east");
    const s2 = applyLive(s, v!);
    expect(s2.points.map((p) => p.name)).toEqual(["eu-west", "us-east"]);
    expect(s2.points[1].state).toBe("ok");
    expect("previous_state" in s2.points[1]).toBe(false);
    const older = applyLive(s2, { ...dead, last_attempt: "2026-11-27T09:00:00Z" });
    expect(older).toBe(s2);
    const added = applyLive(s2, point({ name: "ap-1", region: "ap" }));
    expect(added.points).toHaveLength(3);
    expect(liveVantage({ event: "platform", id: "", data: "{}" })).toBeNull();
    expect(liveVantage({ event: "vantage_point", id: "", data: "not json" })).toBeNull();
  });

  it("puts trouble first and sums the fleet up, naming the unreachable", () => {
    const impaired = point({ name: "eu-2", connectivity: "local_dns", connectivity_evidence: ["its resolver fails"] });
    const s = fromList(list([point(), impaired, dead]), T0);
    expect(sortFleet(s.points, s, T0).map((p) => p.name)).toEqual(["us-east", "eu-2", "eu-west"]);
    const sum = fleetSummary(s, T0);
    expect(sum.tone).toBe("bad");
    expect(sum.text).toContain("2 of 3 vantage points answering");
    expect(sum.text).toContain("1 unreachable (us-east)");
    expect(sum.text).toContain("1 with its own connection impaired (eu-2)");
    expect(fleetSummary(fromList(list([point()]), T0), T0)).toEqual({ text: "1 of 1 vantage point answering", tone: "ok" });
    expect(fleetSummary(fromList(list([]), T0), T0).text).toMatch(/^No vantage points configured/);
  });

  it("says what each state, connection and failure means in words", () => {
    expect(stateLook("unreachable")).toMatchObject({ tone: "bad", label: "Unreachable" });
    expect(stateLook("stale").tone).toBe("warn");
    expect(stateLook("unknown").label).toBe("Not asked yet");
    expect(connectivityLook("local_dns")).toMatchObject({ tone: "warn", label: "Its own DNS resolver fails: its evidence is not used" });
    expect(connectivityLook(null).tone).toBe("muted");
    expect(errorKindText("tls_verify")).toBe("TLS: certificate not trusted");
    expect(errorKindText("unauthorized")).toBe("token refused");
    expect(errorKindText("something_new")).toBe("something new");
    expect(formatLatency(12.4)).toBe("12 ms");
    expect(formatLatency(4.25)).toBe("4.3 ms");
    expect(formatLatency(1340)).toBe("1.3 s");
    expect(formatLatency(null)).toBe("—");
  });
});
