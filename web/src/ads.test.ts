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
  sortTransfers,
  transferAmountText,
  transferBudgetText,
  transferDecidable,
  transferDecidedText,
  transferEventType,
  transferLook,
  transferReturnText,
} from "./ads";
import { formatClock } from "./format";
import { pageFor } from "./pages";
import type { AdCampaign, AdChange, AdPolicy, AdTransfer, Incident } from "./types";

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

function transfer(over: Partial<AdTransfer> = {}): AdTransfer {
  return {
    id: 1, incident_id: "inc_1", name: "keep-the-sale-running", from_account: "brand-meta", campaigns: ["120001"], to_account: "brand-tiktok",
    to_campaign: "1790001", to_campaign_name: "", currency: "USD", amount: "58.94", state: "proposed", by: "lifeline", decided_by: null,
    prior_budget: null, set_budget: null, returned_budget: null, note: "waits for approval", moved_at: null, return_due: null, returned_at: null,
    created_at: "2026-11-27T10:05:00Z", updated_at: "2026-11-27T10:05:00Z", ...over,
  };
}

describe("budget transfers", () => {
  it("makes a proposed transfer stand out and gives every state words and a tone", () => {
    expect(transferLook("proposed")).toMatchObject({ label: "Waits for approval", tone: "warn" });
    expect(transferLook("moved").tone).toBe("ok");
    expect(transferLook("failed").tone).toBe("bad");
    expect(transferLook("refused").label).toBe("Refused");
    expect(transferLook("returned").label).toBe("Moved back");
    expect(transferLook("something_new")).toMatchObject({ label: "Something new", tone: "unknown" });
    expect(transferDecidable(transfer())).toBe(true);
    for (const state of ["approved", "moved", "returned", "refused", "expired", "failed", "skipped", "dry_run"]) {
      expect(transferDecidable(transfer({ state }))).toBe(false);
    }
  });

  it("sorts those waiting for a decision first, then the budget moved now, then the rest, newest first", () => {
    const list = [
      transfer({ id: 1, state: "returned" }),
      transfer({ id: 2, state: "proposed" }),
      transfer({ id: 3, state: "moved" }),
      transfer({ id: 4, state: "refused" }),
      transfer({ id: 5, state: "proposed" }),
      transfer({ id: 6, state: "approved" }),
    ];
    expect(sortTransfers(list).map((t) => t.id)).toEqual([5, 2, 6, 3, 4, 1]);
    expect(list[0].id).toBe(1); // not sorted in place
  });

  it("says the amount per day, the budget before, set and set back, and who decided", () => {
    expect(transferAmountText(transfer())).toBe("58.94 USD/day");
    expect(transferBudgetText(transfer())).toBe("not changed");
    expect(transferBudgetText(transfer({ prior_budget: "150.00", set_budget: "208.94" }))).toBe("before 150.00 → set 208.94 USD/day");
    expect(transferBudgetText(transfer({ prior_budget: "150.00", set_budget: "208.94", returned_budget: "150.00" }))).toBe("before 150.00 → set 208.94 → set back 150.00 USD/day");
    expect(transferDecidedText(transfer())).toMatch(/waits for someone/);
    expect(transferDecidedText(transfer({ state: "moved", decided_by: "sam" }))).toBe("approved by sam");
    expect(transferDecidedText(transfer({ state: "refused", decided_by: "kim" }))).toBe("refused by kim");
    expect(transferDecidedText(transfer({ state: "moved", decided_by: "config" }))).toMatch(/approval: none/);
  });

  it("says when the budget moves back: after the outage, at the due time, or when it did", () => {
    const now = Date.parse("2026-11-27T10:10:00Z");
    expect(transferReturnText(transfer({ state: "moved" }), now, "30 s")).toBe("after the outage, once the paused campaigns' platforms have been healthy for 30 s (counted from the end of the incident)");
    const due = "2026-11-27T10:12:00Z";
    expect(transferReturnText(transfer({ state: "moved", return_due: due }), now, "30 s")).toBe(`moves back at ${formatClock(due, now)}, once the paused campaigns' platforms have been healthy for 30 s`);
    expect(transferReturnText(transfer({ state: "moved", return_due: "2026-11-27T10:09:00Z" }), now)).toMatch(/^due since/);
    expect(transferReturnText(transfer({ state: "returned", returned_at: due }), now)).toBe(`moved back at ${formatClock(due, now)}`);
    expect(transferReturnText(transfer({ state: "refused" }), now)).toBe("nothing to move back");
    expect(transferReturnText(transfer(), now)).toMatch(/^if it moves: after the outage/);
  });

  it("recognises the guard's live transfer entries", () => {
    const msg = (type: string) => ({ event: "incident_event", id: "1", data: JSON.stringify({ incident_id: "inc_1", event: { type } }) });
    expect(transferEventType(msg("ads_transfer_moved"))).toBe("ads_transfer_moved");
    expect(transferEventType(msg("ads_paused"))).toBe("");
    expect(transferEventType({ event: "incident", id: "", data: "{}" })).toBe("");
    expect(transferEventType({ event: "incident_event", id: "", data: "not json" })).toBe("");
    expect(adsEventIncident(msg("ads_transfer_proposed"))).toBe("inc_1");
  });
});
