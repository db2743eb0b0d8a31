import { describe, expect, it } from "vitest";
import { pageFor } from "./pages";
import {
  LIFECYCLE,
  ackTokenFrom,
  actionDoneText,
  actionErrorText,
  advisorBars,
  advisorGeometry,
  advisorHeadline,
  assignmentActions,
  assignmentLook,
  assignmentWho,
  cleanName,
  currentStepText,
  daysText,
  describeStep,
  escalationText,
  hoursText,
  isFinalAssignment,
  isPendingApproval,
  keepOrder,
  lifecycleStages,
  linkErrorText,
  linkText,
  sortAssignments,
  stepRows,
  triggerText,
} from "./playbook";
import type { Assignment, Exposure, IncidentResponse, LifecycleTransition, Plan } from "./types";

const move = (seq: number, from: string | null, to: string, by = "lifeline", note = ""): LifecycleTransition => ({ seq, from, to, by, note, at: `2026-11-27T10:0${seq}:00Z` });

function asg(over: Partial<Assignment> = {}): Assignment {
  return {
    id: "asg_1", incident_id: "inc_1", response: "meta-outage", step_id: "task-reply", kind: "task", title: "Answer the customers",
    role: "community_manager", assignee: "alex", notified: ["alex"], escalation: "standard", escalation_level: -1, state: "open",
    acknowledged_by: "", acknowledged_at: null, ended_by: "", ended_at: null, note: "",
    created_at: "2026-11-27T10:00:00Z", updated_at: "2026-11-27T10:00:00Z", ...over,
  };
}

function exposure(over: Partial<Exposure> = {}): Exposure {
  return { kind: "domain", id: "meta", name: "Meta", reachable: 134000, total: 361000, share: 134000 / 361000, cut_off: ["whatsapp"], surviving: ["telegram"], suggestions: ["SMS"], advice: "A Meta-wide outage, as on 4 Oct 2021, leaves 37% of your audience reachable: add SMS or Bluesky", ...over };
}

describe("lifecycleStages", () => {
  it("walks the six stages in order", () => {
    expect([...LIFECYCLE]).toEqual(["detected", "acknowledged", "mitigating", "monitoring", "resolved", "reviewed"]);
  });

  it("marks what is done, where it is now and what comes, with who and when", () => {
    const s = lifecycleStages({ state: "mitigating", transitions: [move(1, null, "detected"), move(2, "detected", "acknowledged", "ana (through the API)", "acknowledged 'x'"), move(3, "acknowledged", "mitigating")] });
    expect(s.map((x) => x.state)).toEqual(["done", "done", "current", "upcoming", "upcoming", "upcoming"]);
    expect(s[1]).toMatchObject({ by: "ana (through the API)", note: "acknowledged 'x'", at: "2026-11-27T10:02:00Z", times: 1 });
    expect(s[3]).toMatchObject({ at: null, by: "" });
  });

  it("says a stage was passed over when the plan acted before anyone acknowledged", () => {
    const s = lifecycleStages({ state: "mitigating", transitions: [move(1, null, "detected"), move(2, "detected", "mitigating")] });
    expect(s[1]!.state).toBe("skipped");
  });

  it("keeps the earlier visit of a stage left again after a relapse, and counts the visits", () => {
    const s = lifecycleStages({
      state: "monitoring",
      transitions: [move(1, null, "detected"), move(2, "detected", "mitigating"), move(3, "mitigating", "monitoring"), move(4, "monitoring", "mitigating"), move(5, "mitigating", "monitoring")],
    });
    expect(s[3]).toMatchObject({ state: "current", times: 2, at: "2026-11-27T10:05:00Z" });
    const back = lifecycleStages({ state: "mitigating", transitions: [move(1, null, "detected"), move(2, "detected", "mitigating"), move(3, "mitigating", "monitoring"), move(4, "monitoring", "mitigating")] });
    expect(back[3]).toMatchObject({ state: "upcoming", times: 1, at: "2026-11-27T10:03:00Z" });
  });

  it("ends on reviewed, and shows an unknown state as nothing reached", () => {
    const s = lifecycleStages({ state: "reviewed", transitions: [] });
    expect(s.at(-1)!.state).toBe("current");
    expect(s.slice(0, 5).every((x) => x.state === "skipped")).toBe(true);
    expect(lifecycleStages({ state: "paused", transitions: [] }).every((x) => x.state === "upcoming")).toBe(true);
  });
});

describe("assignment buttons", () => {
  it("follow the store's moves per kind and state", () => {
    expect(assignmentActions("task", "open")).toEqual(["acknowledge", "done"]);
    expect(assignmentActions("task", "acknowledged")).toEqual(["done"]);
    expect(assignmentActions("task", "done")).toEqual([]);
    expect(assignmentActions("task", "expired")).toEqual([]);
    expect(assignmentActions("approval", "open")).toEqual(["approve", "refuse"]);
    expect(assignmentActions("approval", "approved")).toEqual([]);
    expect(assignmentActions("approval", "refused")).toEqual([]);
    expect(assignmentActions("notification", "open")).toEqual(["acknowledge"]);
    expect(assignmentActions("notification", "acknowledged")).toEqual([]);
    expect(assignmentActions("survey", "open")).toEqual([]);
  });

  it("knows what is over and what waits for a decision", () => {
    expect(isPendingApproval(asg({ kind: "approval" }))).toBe(true);
    expect(isPendingApproval(asg({ kind: "approval", state: "approved" }))).toBe(false);
    expect(isPendingApproval(asg())).toBe(false);
    expect(isFinalAssignment(asg({ state: "acknowledged" }))).toBe(false);
    expect(isFinalAssignment(asg({ kind: "notification", state: "acknowledged" }))).toBe(true);
    expect(isFinalAssignment(asg({ state: "expired" }))).toBe(true);
  });

  it("puts approvals waiting first, then open work, then what is over, keeping the engine's order", () => {
    const list = [
      asg({ id: "a", state: "done" }),
      asg({ id: "b" }),
      asg({ id: "c", kind: "approval" }),
      asg({ id: "d", kind: "notification", state: "acknowledged" }),
      asg({ id: "e", state: "acknowledged" }),
    ];
    expect(sortAssignments(list).map((a) => a.id)).toEqual(["c", "b", "e", "a", "d"]);
  });

  it("keeps rows in their places once shown; new approvals go on top, other new rows last", () => {
    const list = [asg({ id: "a" }), asg({ id: "b", kind: "approval" }), asg({ id: "c", state: "done" })];
    const first = keepOrder([], list);
    expect(first).toEqual(["b", "a", "c"]);
    const approved = list.map((a) => (a.id === "b" ? { ...a, state: "approved" } : a));
    expect(keepOrder(first, approved)).toEqual(["b", "a", "c"]);
    const more = [...approved, asg({ id: "d" }), asg({ id: "e", kind: "approval" })];
    expect(keepOrder(first, more)).toEqual(["e", "b", "a", "c", "d"]);
    expect(keepOrder(["gone"], list)).toEqual(["b", "a", "c"]);
  });

  it("gives each state a word and a tone, and a waiting approval the loudest", () => {
    expect(assignmentLook(asg({ kind: "approval" }))).toMatchObject({ label: "Waiting for approval", tone: "bad" });
    expect(assignmentLook(asg())).toMatchObject({ label: "Open", tone: "warn" });
    expect(assignmentLook(asg({ state: "done" })).tone).toBe("ok");
    expect(assignmentLook(asg({ kind: "notification", state: "acknowledged" })).tone).toBe("ok");
    expect(assignmentLook(asg({ state: "held" })).label).toBe("Held");
  });

  it("says who it is for and who else was asked", () => {
    const names = (id: string) => ({ alex: "Alex", sam: "Sam" })[id] ?? id;
    expect(assignmentWho(asg(), names)).toBe("for community manager: Alex");
    expect(assignmentWho(asg({ notified: ["alex", "sam"], escalation_level: 2 }), names)).toBe("for community manager: Alex (also told Sam; escalated 2 times)");
    expect(assignmentWho(asg({ role: "", assignee: "sam", notified: ["sam"] }), names)).toBe("for Sam");
  });

  it("words outcomes and refusals", () => {
    expect(actionDoneText("approve", asg({ title: "Move the budget" }))).toBe("Approved: Move the budget");
    expect(actionErrorText("acknowledge", 409, "assignment asg_1 is done (by sam at 10:04:12Z)")).toBe(
      "Could not acknowledge: assignment asg_1 is done (by sam at 10:04:12Z) (it changed meanwhile; it shows its state now).",
    );
    expect(actionErrorText("done", 0, "x")).toMatch(/not answering/);
  });

  it("keeps a name to one line of at most 100 characters", () => {
    expect(cleanName("  Ana \n Reis ")).toBe("Ana   Reis");
    expect(cleanName("x".repeat(120))).toHaveLength(100);
    expect(cleanName("   ")).toBe("");
  });
});

describe("steps", () => {
  const plan: Pick<Plan, "responses"> = {
    responses: [
      {
        name: "wa", description: "", escalation: "standard",
        trigger: { platforms: ["whatsapp"], domains: [], verdicts: ["outage"], for_s: 0, severity: "critical" },
        steps: [
          { id: "alert", kind: "notify", on_error: "escalate", to: [{ kind: "role", name: "comms_lead" }], message: { template: "team-alert" } },
          { id: "parallel", kind: "parallel", on_error: "continue", steps: [
            { id: "post-holding", kind: "post", on_error: "continue", message: { template: "holding-statement" }, on: [] },
            { id: "pause", kind: "pause", on_error: "continue", ads: true, scheduled_posts: true },
          ] },
          { id: "approve-superior", kind: "approve", on_error: "continue", role: "superior", what: "Move the budget", timeout_s: 1200, on_timeout: "escalate" },
          { id: "wait-30m", kind: "wait", on_error: "continue", duration_s: 1800 },
        ],
        after_restoration: { checklist: [], monitor_window_s: 0, probe_interval_s: 0 },
      },
    ],
  };
  const rec = (step_id: string, state: string, note = "") => ({ response: "wa", step_id, state, attempts: 1, last_error: "", note, started_at: "2026-11-27T10:00:00Z", ended_at: null });
  const resp: Pick<IncidentResponse, "runs" | "steps"> = {
    runs: [{ response: "wa", state: "running", reason: "", started_at: "2026-11-27T10:00:00Z", ended_at: null }],
    steps: [rec("alert", "done", "sent to Alex, Sam"), rec("parallel", "waiting"), rec("post-holding", "done"), rec("pause", "skipped", "no ads part yet"), rec("approve-superior", "waiting", "waiting for Sam")],
  };

  it("lists the plan's steps in order with their recorded states; unrecorded ones have not started", () => {
    const rows = stepRows(resp, plan);
    expect(rows.map((r) => [r.id, r.depth, r.state])).toEqual([
      ["alert", 0, "done"], ["parallel", 0, "waiting"], ["post-holding", 1, "done"], ["pause", 1, "skipped"], ["approve-superior", 0, "waiting"], ["wait-30m", 0, "pending"],
    ]);
    expect(rows[0]!.note).toBe("sent to Alex, Sam");
  });

  it("makes what the response waits on the current step (not the group around it)", () => {
    const rows = stepRows(resp, plan);
    expect(rows.filter((r) => r.current).map((r) => r.id)).toEqual(["approve-superior"]);
    expect(currentStepText(rows, resp.runs)).toBe("Approval by superior: Move the budget (within 20 min, then escalate) — waiting: waiting for Sam");
  });

  it("points at the next step when nothing runs, and says how a finished response ended", () => {
    const between = { ...resp, steps: resp.steps.map((s) => (s.step_id === "approve-superior" ? { ...s, state: "done" } : s)) };
    expect(stepRows(between, plan).find((r) => r.current)?.id).toBe("wait-30m");
    const ended = { runs: [{ ...resp.runs[0]!, state: "stopped", reason: "approval refused" }], steps: resp.steps };
    const rows = stepRows(ended, plan);
    expect(rows.some((r) => r.current)).toBe(false);
    expect(currentStepText(rows, ended.runs)).toBe("Response wa stopped: approval refused");
    expect(currentStepText([], [])).toBe("No response has started yet.");
  });

  it("shows recorded steps by their ids without the plan", () => {
    const rows = stepRows(resp, null);
    expect(rows.map((r) => r.id)).toEqual(["alert", "parallel", "post-holding", "pause", "approve-superior"]);
    expect(rows[4]!.title).toBe("Approve superior");
  });

  it("says what each kind of step does", () => {
    const steps = plan.responses[0]!.steps;
    expect(describeStep(steps[0]!)).toBe("Notify comms lead (team-alert)");
    expect(describeStep(steps[1]!.steps![0]!)).toBe("Post (holding-statement) on the surviving channels");
    expect(describeStep(steps[1]!.steps![1]!)).toBe("Pause ads and scheduled posts on the failed platform");
    expect(describeStep(steps[3]!)).toBe("Wait 30 min");
    expect(describeStep({ id: "t", kind: "task", on_error: "continue", role: "ads_owner", title: "Move the budget" })).toBe("Task for ads owner: Move the budget");
    expect(describeStep({ id: "m", kind: "move_conversations", on_error: "continue", to: "" })).toBe("Move conversations to each channel's backup");
    expect(describeStep({ id: "m", kind: "move_conversations", on_error: "continue", to: "telegram" })).toBe("Move conversations to telegram");
  });
});

describe("the plan page's words", () => {
  it("writes working days as ranges", () => {
    expect(daysText([1, 2, 3, 4, 5])).toBe("Mon–Fri");
    expect(daysText([0, 1, 2, 3, 4, 5, 6])).toBe("every day");
    expect(daysText([6])).toBe("Sat");
    expect(daysText([1, 3])).toBe("Mon, Wed");
    expect(daysText([5, 6, 0])).toBe("Fri–Sun");
    expect(daysText([1, 2, 3, 4, 5, 6])).toBe("Mon–Sat");
    expect(daysText([])).toBe("no day");
  });

  it("writes working hours with their zone, or says someone is always reachable", () => {
    expect(hoursText({ hours: null })).toBe("always reachable");
    expect(hoursText({ hours: { zone: "Europe/Madrid", windows: [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "19:00" }, { days: [6], from: "10:00", to: "13:00" }] } })).toBe(
      "Mon–Fri 08:30–19:00; Sat 10:00–13:00 (Europe/Madrid)",
    );
  });

  it("writes triggers and escalation policies", () => {
    expect(triggerText({ platforms: [], domains: ["meta"], verdicts: ["outage", "regional_outage"], for_s: 180, severity: "critical" })).toBe(
      "meta (failure domain): outage or regional outage for 3 min — critical",
    );
    expect(triggerText({ platforms: ["tiktok"], domains: [], verdicts: [], for_s: 0, severity: "major" })).toBe("tiktok: an outage — major");
    expect(escalationText(600, [{ kind: "role", name: "comms_lead" }, { kind: "person", name: "sofia" }], 2)).toBe(
      "Not acknowledged within 10 min: comms lead, then sofia; asked up to 2 times",
    );
  });
});

describe("the advisor's chart", () => {
  const list = [
    exposure({ id: "x", name: "X", reachable: 346000, share: 346000 / 361000, advice: "An X-wide outage leaves 96% of your audience reachable" }),
    exposure(),
    exposure({ id: "bytedance", name: "ByteDance", reachable: 281000, share: 281000 / 361000, advice: "A ByteDance-wide outage leaves 78% of your audience reachable" }),
  ];

  it("orders the failure domains worst first, with the advice's percentages and tones", () => {
    const bars = advisorBars(list);
    expect(bars.map((b) => [b.id, b.percent, b.tone])).toEqual([["meta", 37, "bad"], ["bytedance", 78, "warn"], ["x", 96, "ok"]]);
    expect(advisorHeadline(bars)).toBe("A Meta-wide outage, as on 4 Oct 2021, leaves 37% of your audience reachable: add SMS or Bluesky.");
    expect(advisorHeadline([])).toMatch(/nothing one outage cuts off/);
  });

  it("clamps odd shares and works the share out when the server gives none", () => {
    const bars = advisorBars([exposure({ share: 1.4 }), exposure({ id: "y", share: Number.NaN, reachable: 1, total: 4 })]);
    expect(bars.map((b) => b.share)).toEqual([0.25, 1]);
  });

  it("lays one row per bar out, the bar's width in percent of the chart", () => {
    const g = advisorGeometry(advisorBars(list), { text: 16, bar: 14, gap: 12 });
    expect(g.height).toBe(3 * 42);
    expect(g.rows.map((r) => [r.barY, r.labelY, r.widthPct])).toEqual([[16, 12, 37.1], [58, 54, 77.8], [100, 96, 95.8]]);
  });
});

describe("acknowledgement links", () => {
  it("reads the token from the link's path or the dashboard's address", () => {
    expect(ackTokenFrom({ hash: "", pathname: "/ack/abc.DEF-_1" })).toBe("abc.DEF-_1");
    expect(ackTokenFrom({ hash: "#/ack/abc.def", pathname: "/" })).toBe("abc.def");
    expect(ackTokenFrom({ hash: "", pathname: "/ack/" })).toBe("");
    expect(ackTokenFrom({ hash: "#/outbox", pathname: "/" })).toBe("");
    expect(ackTokenFrom({ hash: "", pathname: "/acknowledge/x" })).toBe("");
  });

  it("routes each address to its page", () => {
    expect(pageFor({ hash: "", pathname: "/ack/t" })).toBe("ack");
    expect(pageFor({ hash: "#/ack/t", pathname: "/" })).toBe("ack");
    expect(pageFor({ hash: "#/plan", pathname: "/" })).toBe("plan");
    expect(pageFor({ hash: "#/outbox?state=failed", pathname: "/" })).toBe("outbox");
    expect(pageFor({ hash: "#/outbox/msg_1", pathname: "/" })).toBe("outbox");
    expect(pageFor({ hash: "#/incident/inc_1", pathname: "/" })).toBe("board");
    expect(pageFor({ hash: "#/planet", pathname: "/" })).toBe("board");
  });

  it("asks and confirms in words that fit the action", () => {
    expect(linkText("acknowledge", "task")).toMatchObject({ question: "Acknowledge this task?", button: "Acknowledge" });
    expect(linkText("acknowledge", "notification").question).toBe("Acknowledge this alert?");
    expect(linkText("approve", "approval")).toMatchObject({ button: "Approve", done: "You approved this request: the plan goes on." });
    expect(linkText("done", "task").button).toBe("Mark done");
  });

  it("shows the server's reason for a refused link as a sentence", () => {
    expect(linkErrorText(409, "this link was already used at 2026-11-27T10:04:00Z: each link works once (the dashboard shows what was done)")).toBe(
      "This link was already used at 2026-11-27T10:04:00Z: each link works once (the dashboard shows what was done).",
    );
    expect(linkErrorText(404, "this link is not one Lifeline issued, or it was damaged on the way")).toBe("This link is not one Lifeline issued, or it was damaged on the way.");
    expect(linkErrorText(0, "")).toMatch(/not answering/);
    expect(linkErrorText(500, "")).toBe("The link was refused (HTTP 500).");
  });
});
