import { describe, expect, it } from "vitest";
import {
  adsEventIncident,
  callIncidents,
  campaignActions,
  changeLook,
  handResultsTone,
  heldChanges,
  parseCampaignIds,
  policyText,
  priorText,
  recentChanges,
  resumeDueFromEvents,
  resumeInfo,
  whoPaused,
  campaignKey,
} from "./ads";
import { pageFor } from "./pages";
import type { AdCampaign, AdChange, AdPolicy, Incident } from "./types";

function change(over: Partial<AdChange> = {}): AdChange {
  return {
    id: 1, incident_id: "inc_1", account: "brand-meta", platform: "meta", campaign_id: "120001", campaign_name: "Black Friday",
    policy: "meta", by: "lifeline", state: "paused",
    prior: { status: "ACTIVE", effective_status: "ACTIVE", budget: "50.00", budget_kind: "daily", currency: "USD" },
    note: "", paused_at: "2026-11-27T10:05:00Z", resume_due: null, resumed_at: null,
    created_at: "2026-11-27T10:05:00Z", updated_at: "2026-11-27T10:05:00Z", ...over,
  };
}

function policy(over: Partial<AdPolicy> = {}): AdPolicy {
  return { name: "meta", platforms: [], domains: ["meta"], verdicts: ["outage"], min_duration_ms: 300_000, action: "pause", settle_ms: 1_800_000, stagger_ms: 0, resume: "auto", accounts: [], ...over };
}

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: "inc_1", kind: "platform", domain: "meta", platforms: ["whatsapp"], verdict: "outage", state: "open", title: "WhatsApp: outage",
  opened_at: "2026-11-27T10:00:00Z", updated_at: "2026-11-27T10:00:00Z", closed_at: null, duration_s: null, ...over,
});

const camp = (status: string): AdCampaign => ({ id: "120001", name: "x", status, platform_status: "", effective_status: "", issues: [], budget: null, budget_kind: "", updated: "" });

describe("held campaigns", () => {
  it("lists open and kept changes, one per campaign (the newest), newest pause first", () => {
    const older = change({ id: 1, campaign_id: "a", paused_at: "2026-11-27T09:00:00Z" });
    const newer = change({ id: 2, campaign_id: "b", paused_at: "2026-11-27T10:00:00Z" });
    const kept = change({ id: 3, campaign_id: "a", state: "kept", note: "changed by hand", paused_at: "2026-11-27T09:00:00Z" });
    const held = heldChanges([older, newer], [kept]);
    expect(held.map((c) => [c.campaign_id, c.id])).toEqual([["b", 2], ["a", 3]]);
  });

  it("leaves out a kept campaign the platform shows active again, and final states", () => {
    const kept = change({ id: 3, state: "kept" });
    const resumed = change({ id: 4, campaign_id: "z", state: "resumed" });
    expect(heldChanges([], [kept], new Map([[campaignKey("brand-meta", "120001"), camp("active")]]))).toEqual([]);
    expect(heldChanges([], [kept], new Map([[campaignKey("brand-meta", "120001"), camp("paused")]]))).toHaveLength(1);
    expect(heldChanges([resumed], [])).toEqual([]);
  });

  it("shows the most recent changes first", () => {
    expect(recentChanges([change({ id: 1 }), change({ id: 5 }), change({ id: 3 })], 2).map((c) => c.id)).toEqual([5, 3]);
  });
});

describe("who and what before", () => {
  it("names the guard with its policy, the plan, and a person by hand", () => {
    expect(whoPaused({ by: "lifeline", policy: "meta" })).toBe("Lifeline (policy meta)");
    expect(whoPaused({ by: "plan", policy: "plan:meta-outage" })).toBe("the plan (meta-outage)");
    expect(whoPaused({ by: "plan", policy: "whatsapp" })).toBe("the plan (policy whatsapp)");
    expect(whoPaused({ by: "cli:ana", policy: "hand" })).toBe("ana, by hand");
    expect(whoPaused({ by: "sam", policy: "hand" })).toBe("sam, by hand");
  });

  it("says the prior status, what delivered and the budget", () => {
    expect(priorText(change())).toBe("ACTIVE · daily budget 50.00 USD");
    expect(priorText(change({ prior: { status: "ENABLED", effective_status: "SERVING", budget: null, budget_kind: "", currency: "EUR" } }))).toBe("ENABLED · delivering: SERVING");
  });
});

describe("when it resumes", () => {
  const now = Date.parse("2026-11-27T10:30:00Z");

  it("after the settle time, counted from the end of a still open incident", () => {
    const r = resumeInfo(change(), { incident: incident(), policy: policy(), platforms: "WhatsApp", now });
    expect(r.kind).toBe("settle");
    expect(r.at).toBeNull();
    expect(r.text).toBe("after WhatsApp has been healthy for 30 min (counted from the end of the incident)");
  });

  it("at the time the timeline's ads_resume_scheduled gives, once the incident closed", () => {
    const due = "2026-11-27T11:00:00Z";
    const events = [
      { seq: 4, at: "", type: "ads_paused", message: "", data: {} },
      { seq: 9, at: "", type: "ads_resume_scheduled", message: "", data: { due, settle_ms: 1_800_000 } },
    ];
    expect(resumeDueFromEvents(events)).toBe(due);
    const r = resumeInfo(change(), { incident: incident({ state: "closed", closed_at: "2026-11-27T10:30:00Z" }), policy: policy({ stagger_ms: 60_000 }), due: resumeDueFromEvents(events), platforms: "WhatsApp", now });
    expect(r).toMatchObject({ kind: "settle", at: due });
    expect(r.text).toMatch(/^resumes at .*\d\d:\d\d:\d\d, once WhatsApp has been healthy for 30 min, one campaign every 1 min$/);
    // A change's own resume_due wins; past it, it says it is due.
    const past = resumeInfo(change({ resume_due: "2026-11-27T10:10:00Z" }), { policy: policy(), due, now });
    expect(past.at).toBe("2026-11-27T10:10:00Z");
    expect(past.text).toMatch(/^due since/);
  });

  it("estimates from the close when no due time is recorded", () => {
    const r = resumeInfo(change(), { incident: incident({ state: "closed", closed_at: "2026-11-27T10:20:00Z" }), policy: policy(), now });
    expect(r.at).toBe("2026-11-27T10:50:00.000Z");
    expect(r.text).toMatch(/^resumes about /);
  });

  it("after approval for a manual policy; kept with its reason; a plan's change uses the default settle", () => {
    expect(resumeInfo(change(), { policy: policy({ resume: "manual" }), now }).kind).toBe("approval");
    expect(resumeInfo(change(), { policy: policy({ resume: "manual" }), now }).text).toMatch(/^after approval/);
    const kept = resumeInfo(change({ state: "kept", note: "changed by someone since Lifeline paused it" }), { now });
    expect(kept).toEqual({ kind: "kept", text: "kept paused: changed by someone since Lifeline paused it", at: null });
    expect(resumeInfo(change({ policy: "plan:x" }), { now }).text).toContain("30 min");
  });
});

describe("policies, actions and answers", () => {
  it("says a policy in one sentence", () => {
    expect(policyText(policy({ stagger_ms: 60_000, accounts: ["brand-meta"] }))).toBe(
      "When anything meta runs has an outage lasting 5 min: pause its active campaigns. Resume after 30 min healthy, one every 1 min. Accounts: brand-meta.",
    );
    expect(policyText(policy({ domains: [], platforms: ["instagram"], verdicts: ["outage", "degraded"], action: "ask", resume: "manual" }))).toContain("instagram has an outage or degraded lasting 5 min: ask the budget's owner first");
  });

  it("offers pause for an active campaign, resume for a paused one, nothing otherwise", () => {
    expect(campaignActions({ status: "active" })).toEqual(["pause"]);
    expect(campaignActions({ status: "paused" })).toEqual(["resume"]);
    expect(campaignActions({ status: "other" })).toEqual([]);
  });

  it("reads campaign ids typed by hand", () => {
    expect(parseCampaignIds(" 123, 456 123\n789")).toEqual({ ids: ["123", "456", "789"], error: "" });
    expect(parseCampaignIds("  ").error).toBe("Name at least one campaign id.");
    expect(parseCampaignIds("x".repeat(65)).error).toMatch(/1 to 64 characters/);
  });

  it("an answer is bad when any campaign failed", () => {
    const r = (outcome: string) => ({ account: "a", campaign_id: "1", outcome, detail: "" });
    expect(handResultsTone([r("paused"), r("already paused")])).toBe("ok");
    expect(handResultsTone([r("already paused")])).toBe("info");
    expect(handResultsTone([r("paused"), r("failed")])).toBe("bad");
  });

  it("looks of the states", () => {
    expect(changeLook("paused").tone).toBe("warn");
    expect(changeLook("failed").tone).toBe("bad");
    expect(changeLook("resumed").tone).toBe("ok");
    expect(changeLook("something_new").label).toBe("Something new");
  });
});

describe("live events and the calls log", () => {
  it("an ads_* timeline entry names its incident; others do not", () => {
    const ev = (type: string) => ({ event: "incident_event", id: "", data: JSON.stringify({ incident_id: "inc_7", event: { seq: 3, type } }) });
    expect(adsEventIncident(ev("ads_paused"))).toBe("inc_7");
    expect(adsEventIncident(ev("evidence"))).toBe("");
    expect(adsEventIncident({ event: "incident", id: "", data: "{}" })).toBe("");
    expect(adsEventIncident({ event: "incident_event", id: "", data: "not json" })).toBe("");
  });

  it("offers the incidents with changes first", () => {
    expect(callIncidents([change({ id: 1, incident_id: "inc_a" }), change({ id: 2, incident_id: "inc_b" }), change({ id: 3, incident_id: null })], [incident({ id: "inc_c" }), incident({ id: "inc_a" })])).toEqual(["inc_b", "inc_a", "inc_c"]);
  });

  it("routes #/ads to the ads page", () => {
    expect(pageFor({ hash: "#/ads", pathname: "/" })).toBe("ads");
    expect(pageFor({ hash: "#/ads?x=1", pathname: "/" })).toBe("ads");
    expect(pageFor({ hash: "#/adsx", pathname: "/" })).toBe("board");
  });
});
