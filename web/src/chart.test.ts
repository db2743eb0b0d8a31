import { describe, expect, it } from "vitest";
import { availabilityTone, isolated, lastMinutes, linePath, niceMax, overallAvailability } from "./chart";
import type { HistoryPoint } from "./types";

const pt = (t: string, count: number, availability: number | null, p50: number | null = 100): HistoryPoint => ({ t, count, availability, p50_ms: p50, p95_ms: p50, p99_ms: p50 });

describe("chart geometry", () => {
  it("rounds axis maxima to 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(87)).toBe(100);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(430)).toBe(500);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(1000)).toBe(1000);
  });

  it("breaks the line where there is no data instead of drawing zero", () => {
    const d = linePath([10, 20, null, 40], (i) => i * 10, (v) => v);
    expect(d).toBe("M0.0,10.0L10.0,20.0M30.0,40.0");
    expect(linePath([null, null], (i) => i, (v) => v)).toBe("");
  });

  it("finds points that have no neighbour to draw a line to", () => {
    expect(isolated([5])).toEqual([0]);
    expect(isolated([5, null, 7, 8, null, 9])).toEqual([0, 5]);
    expect(isolated([null, null])).toEqual([]);
  });

  it("colours availability: full, partial, none, no data", () => {
    expect(availabilityTone(1)).toBe("ok");
    expect(availabilityTone(0.5)).toBe("warn");
    expect(availabilityTone(0)).toBe("bad");
    expect(availabilityTone(null)).toBe("none");
    expect(availabilityTone(1, 0)).toBe("none");
    expect(availabilityTone(100)).toBe("ok");
  });

  it("keeps the last minutes in time order", () => {
    const now = Date.parse("2026-11-27T10:00:00Z");
    const w = lastMinutes([pt("2026-11-27T09:59:00Z", 2, 1), pt("2026-11-27T08:00:00Z", 2, 1), pt("2026-11-27T09:30:00Z", 2, 1)], 60, now);
    expect(w.points.map((p) => p.t)).toEqual(["2026-11-27T09:30:00Z", "2026-11-27T09:59:00Z"]);
  });

  it("weights availability by probe count", () => {
    expect(overallAvailability([pt("a", 3, 1), pt("b", 1, 0)])).toBe(0.75);
    expect(overallAvailability([pt("a", 0, null)])).toBeNull();
  });
});
