import { describe, expect, it } from "vitest";
import {
  OBSERVER_DOWN_TITLE,
  crowdText,
  formatDuration,
  formatLatency,
  formatPercent,
  formatRelative,
  formatTimings,
  observerBanner,
  statusPageLook,
  suppressionText,
  verdictLook,
} from "./format";

describe("verdictLook", () => {
  it("gives every verdict of the contract a word, an icon and a tone", () => {
    const verdicts = ["up", "degraded", "outage", "regional_outage", "just_you", "local_dns", "local_network", "no_network", "unknown"];
    for (const v of verdicts) {
      const l = verdictLook(v);
      expect(l.label.length).toBeGreaterThan(1);
      expect(l.icon.length).toBeGreaterThan(0);
    }
    expect(verdictLook("outage").tone).toBe("bad");
    expect(verdictLook("regional_outage").tone).toBe("bad");
    expect(verdictLook("degraded").tone).toBe("warn");
    expect(verdictLook("up").tone).toBe("ok");
    expect(verdictLook("local_network").tone).toBe("local");
  });

  it("does not rely on colour: outage and up differ in word and icon", () => {
    expect(verdictLook("outage").label).not.toBe(verdictLook("up").label);
    expect(verdictLook("outage").icon).not.toBe(verdictLook("up").icon);
  });

  it("ranks the worst news first", () => {
    const order = ["up", "unknown", "degraded", "outage", "just_you"].sort((a, b) => verdictLook(a).rank - verdictLook(b).rank);
    expect(order).toEqual(["outage", "degraded", "just_you", "unknown", "up"]);
  });

  it("says 'checking' for a platform never checked, and copes with verdicts added later", () => {
    expect(verdictLook("unknown", null).label).toBe("Checking…");
    expect(verdictLook("partial_outage")).toMatchObject({ label: "Partial outage", tone: "unknown" });
  });
});

describe("formatting numbers and times", () => {
  it("formats latency", () => {
    expect(formatLatency(null)).toBe("—");
    expect(formatLatency(0.4)).toBe("<1 ms");
    expect(formatLatency(123.6)).toBe("124 ms");
    expect(formatLatency(12_345)).toBe("12.3 s");
  });

  it("formats durations", () => {
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(180)).toBe("3 min");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3900)).toBe("1 h 5 min");
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe("2 d 3 h");
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });

  it("formats relative times", () => {
    const now = Date.parse("2026-11-27T10:00:00Z");
    expect(formatRelative("2026-11-27T10:00:00Z", now)).toBe("just now");
    expect(formatRelative("2026-11-27T09:59:48Z", now)).toBe("12 s ago");
    expect(formatRelative("2026-11-27T09:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2026-11-27T10:03:00Z", now)).toBe("in 3 min");
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("garbage", now)).toBe("—");
  });

  it("formats availability as a fraction or a percentage", () => {
    expect(formatPercent(1)).toBe("100 %");
    expect(formatPercent(0)).toBe("0 %");
    expect(formatPercent(0.9876)).toBe("98.8 %");
    expect(formatPercent(0.99991)).toBe("99.99 %");
    expect(formatPercent(98.76)).toBe("98.8 %");
    expect(formatPercent(null)).toBe("—");
  });

  it("lists probe timings in phase order", () => {
    expect(formatTimings({ total: 120.4, dns: 12, connect: 30.2 })).toBe("dns 12 · connect 30 · total 120 ms");
    expect(formatTimings({})).toBe("—");
  });
});

describe("observer banner", () => {
  it("is absent while this machine is fine", () => {
    expect(observerBanner({ connectivity: "ok", evidence: [] })).toBeNull();
    expect(observerBanner(null)).toBeNull();
  });

  it("says the problem is on this side when the connection is down", () => {
    for (const c of ["local_network", "no_network", "local_dns"]) {
      const b = observerBanner({ connectivity: c, evidence: [] });
      expect(b?.title).toBe(OBSERVER_DOWN_TITLE);
      expect(b?.detail).toMatch(/this machine/);
    }
  });
});

describe("badges", () => {
  it("describes a status page in its own words, with a tone", () => {
    expect(statusPageLook({ indicator: "major", description: "Major outage", fetched_at: null })).toEqual({ text: "Major outage", tone: "bad" });
    expect(statusPageLook({ indicator: "none", description: "", fetched_at: null })).toEqual({ text: "All systems operational", tone: "ok" });
    expect(statusPageLook(null)).toBeNull();
    expect(statusPageLook({ indicator: null, description: "timeout", fetched: false, fetched_at: null })).toEqual({ text: "could not be read: timeout", tone: "unknown" });
  });

  it("says why no incident is opened during maintenance", () => {
    const t = suppressionText({ name: "db upgrade", kind: "maintenance", until: "2026-11-27T12:00:00Z" }, Date.parse("2026-11-27T10:00:00Z"));
    expect(t).toMatch(/^Maintenance: db upgrade until .* — no incident is opened$/);
    expect(suppressionText({ name: "noisy", kind: "silence", until: "" }, 0)).toBe("Silenced: noisy — no incident is opened");
    expect(suppressionText(null, 0)).toBeNull();
  });

  it("says how many people reported a problem", () => {
    expect(crowdText({ reports_last_hour: 1, baseline: 2, flagged: false })).toBe("1 user report in the last hour (usual 2)");
    expect(crowdText({ reports_last_hour: 40, baseline: 2.5, flagged: true })).toBe("40 user reports in the last hour — far above the usual 2.5");
  });
});
