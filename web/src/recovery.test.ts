import { describe, expect, it } from "vitest";
import { axisValue, bandGeometry, chartMetrics, checklistLook, formatMetric, hourLabel, metricSummary, nothingToCheck, recoveryVerdictLook, showRecoveryFor, sortRecoveryCampaigns } from "./recovery";
import type { RecoveryCampaign, RecoveryChecklist, RecoveryMetric } from "./types";

const metric = (rows: [number, number, number, number | null, ("high" | "low" | null)?][]): RecoveryMetric => ({
  expected: rows.reduce((s, r) => s + r[1], 0),
  actual: rows.reduce((s, r) => s + (r[3] ?? 0), 0),
  high_hours: rows.filter((r) => r[4] === "high").length,
  low_hours: rows.filter((r) => r[4] === "low").length,
  hours: rows.map(([low, expected, high, actual, flag], i) => ({ hour: `2026-11-27T1${i}:00`, expected, low, high, actual, z: actual === null ? null : 0, flag: flag ?? null })),
});

function campaign(over: Partial<RecoveryCampaign> = {}): RecoveryCampaign {
  return {
    account: "brand-meta", platform: "meta", campaign_id: "1", name: "c", source: "paused_by_lifeline", change_state: "resumed", status: "active",
    effective_status: "ACTIVE", resumed_at: null, time_zone: "", currency: "USD", budget: { daily: 50, overdelivery_allowance: 0.75, days: [] },
    verdict: "ok", flags: [], sentence: "", history_weeks: 4, judged_hours: 3, pending_hours: 0, metrics: {}, conversions: { judged: false, note: "" }, error: null, ...over,
  };
}

const list = (over: Partial<RecoveryChecklist> = {}): RecoveryChecklist => ({
  incident_id: "inc_1", title: "", checked_at: "", status: "ok", summary: "", window: { from: null, until: null, hours: 6, source: "default" },
  campaigns: [], conversions: { judged: false, note: "" }, posts: { judged: false, attention: false }, errors: [], ...over,
});

describe("verdicts", () => {
  it("each verdict has its words and tone; attention stands out", () => {
    expect(recoveryVerdictLook("attention")).toMatchObject({ label: "Needs a look", tone: "bad" });
    expect(recoveryVerdictLook("ok").tone).toBe("ok");
    expect(recoveryVerdictLook("pending").tone).toBe("pending");
    expect(recoveryVerdictLook("not_judged").label).toBe("Not judged");
    expect(checklistLook("no_campaigns").label).toBe("Nothing to check");
  });

  it("what needs a look comes first, otherwise the server's order", () => {
    const order = sortRecoveryCampaigns([campaign({ campaign_id: "a", verdict: "ok" }), campaign({ campaign_id: "b", verdict: "not_judged" }), campaign({ campaign_id: "c", verdict: "attention" }), campaign({ campaign_id: "d", verdict: "ok" })]);
    expect(order.map((c) => c.campaign_id)).toEqual(["c", "a", "d", "b"]);
  });

  it("the checklist shows once the incident closed", () => {
    expect(showRecoveryFor({ state: "open", closed_at: null })).toBe(false);
    expect(showRecoveryFor({ state: "closed", closed_at: "2026-11-27T10:00:00Z" })).toBe(true);
    expect(showRecoveryFor(undefined)).toBe(false);
  });

  it("says when there is nothing to check", () => {
    expect(nothingToCheck(null, true)).toMatch(/no ads guard/);
    expect(nothingToCheck(list({ status: "no_campaigns", summary: "No campaign to check." }), false)).toBe("No campaign to check.");
    expect(nothingToCheck(list({ status: "ok", campaigns: [campaign()] }), false)).toBe("");
    expect(nothingToCheck(list({ status: "attention", errors: ["brand-meta: permission"] }), false)).toBe("");
  });
});

describe("figures in words", () => {
  it("money with two decimals and the currency, counts whole", () => {
    expect(formatMetric("spend", 1234.5, "USD")).toBe("1,234.50 USD");
    expect(formatMetric("impressions", 3200.4, "USD")).toBe("3,200");
    expect(formatMetric("cpm", null, "USD")).toBe("—");
    expect(metricSummary("spend", metric([[5, 10, 15, 40, "high"], [5, 10, 15, 9]]), "USD")).toBe("Spend (USD): 49.00 USD against about 20.00 USD expected; 1 hour above the band.");
    expect(metricSummary("clicks", metric([[5, 10, 15, 9]]), "")).toBe("Clicks: 9 against about 10 expected; every hour within the band.");
    expect(hourLabel("2026-11-27T10:00")).toBe("10:00");
    expect(axisValue(1500)).toBe("1.5k");
  });

  it("charts the flagged metrics first", () => {
    const c = campaign({ metrics: { spend: metric([[5, 10, 15, 40, "high"]]), impressions: metric([[5, 10, 15, 9]]), clicks: metric([]) } });
    expect(chartMetrics(c)).toEqual(["spend", "impressions"]);
  });
});

describe("band chart geometry", () => {
  it("places hours left to right and values on a round scale from zero", () => {
    const g = bandGeometry(metric([[5, 10, 15, 12], [5, 10, 15, 40, "high"], [5, 10, 15, null], [5, 10, 15, 8]]), 320, 120);
    expect(g.yMax).toBe(50);
    expect(g.points.map((p) => p.x)).toEqual([g.left, g.left + (g.right - g.left) / 3, g.right]);
    const burst = g.points[1]!;
    expect(burst.flag).toBe("high");
    expect(burst.y).toBeCloseTo(g.bottom - (40 / 50) * (g.bottom - g.top));
    // The band's top edge sits at 15 and its bottom at 5, for every hour.
    expect(g.band.startsWith(`M${g.left.toFixed(1)},${(g.bottom - (15 / 50) * (g.bottom - g.top)).toFixed(1)}`)).toBe(true);
    expect(g.band.endsWith("Z")).toBe(true);
    // A missing hour breaks the actual line: two pieces.
    expect(g.actual.match(/M/g)).toHaveLength(2);
    expect(g.xLabels[0]).toMatchObject({ label: "10:00", anchor: "start" });
    expect(g.xLabels.at(-1)).toMatchObject({ label: "13:00", anchor: "end" });
  });

  it("draws one hour as a short band in the middle", () => {
    const g = bandGeometry(metric([[5, 10, 15, 12]]), 320, 120);
    expect(g.points[0]!.x).toBe((g.left + g.right) / 2);
    expect(g.band).toMatch(/^M.*H.*V.*H.*Z$/);
    expect(bandGeometry(metric([]), 320, 120).band).toBe("");
  });
});
