// The mock server's contingency plan: GET /v1/plan, /v1/incidents/{id}/response, /v1/assignments,
// POST /v1/assignments/{id}/acknowledge|done|approve|refuse, /v1/incidents/{id}/reviewed,
// GET|POST /v1/ack/{token} and GET /v1/incidents/{id}/report?format=html|md|json — the same shapes
// as src/playbook/routes.cc and src/report/routes.cc, and the engine's rules as
// src/playbook/engine.cc has them, for one response ("whatsapp-outage") run on the scripted
// WhatsApp outage:
//   alert-team (notify, with an alert to acknowledge) -> parallel(post the holding statement,
//   pause: skipped) -> two tasks for the community manager -> an approval by the superior ->
//   (approved) a task for the comms lead -> wait 30 min -> notify.
// On closing: approvals and alerts expire, the checklist becomes tasks, monitoring for
// --monitor-window seconds, then resolved. Like the real engine, its timeline entries are stored
// without a live event (the console polls). Team messages carry acknowledgement links
// ("Acknowledge: <base>/ack/<token>"), sent through the mock relay.

import { randomBytes } from "node:crypto";

const RESPONSE = "whatsapp-outage";
const LINK_TTL_MS = 24 * 3600_000;

const PLATFORM_DOMAINS = { whatsapp: "meta", instagram: "meta", facebook: "meta", telegram: "telegram", x: "x" };
const DOMAIN_NAMES = { meta: "Meta", telegram: "Telegram", x: "X" };
const SUGGEST = ["SMS", "Bluesky"];

function buildPlan(monitorWindowS) {
  const team = [
    { id: "alex", name: "Alex Kim", contact: "community-manager", roles: ["community_manager", "on_call"], hours: { zone: "Europe/Lisbon", windows: [{ days: [1, 2, 3, 4, 5], from: "09:00", to: "18:00" }] } },
    { id: "sam", name: "Sam Lee", contact: "comms-lead", roles: ["comms_lead", "superior"], hours: null },
  ];
  const roles = [
    ["community_manager", "Answers the audience and keeps the conversation going"],
    ["comms_lead", "Owns what the brand says; first to decide"],
    ["superior", "Approves budget moves and statements beyond the pre-approved ones"],
    ["on_call", "Takes every alert outside the others' working hours"],
  ].map(([name, description]) => ({ name, description, holders: team.filter((p) => p.roles.includes(name)).map((p) => p.id) }));
  const inventory = [
    { id: "whatsapp", name: "WhatsApp Business", platform: "whatsapp", channel: "", audience: 42000, primary: true, backup: "telegram", link: "https://wa.me/15550100001" },
    { id: "instagram", name: "Instagram @brand", platform: "instagram", channel: "", audience: 120000, primary: false, backup: "telegram", link: "https://www.instagram.com/brand" },
    { id: "facebook", name: "Facebook page", platform: "facebook", channel: "", audience: 65000, primary: false, backup: "newsletter", link: "https://www.facebook.com/brand" },
    { id: "telegram", name: "Telegram channel", platform: "telegram", channel: "team-telegram", audience: 9000, primary: false, backup: "", link: "https://t.me/brandchannel" },
    { id: "newsletter", name: "E-mail newsletter", platform: "", channel: "team-email", audience: 30000, primary: false, backup: "", link: "https://brand.example/newsletter" },
    { id: "x", name: "X @brand", platform: "x", channel: "", audience: 15000, primary: false, backup: "", link: "https://x.com/brand" },
  ].map((c) => ({ ...c, domain: PLATFORM_DOMAINS[c.platform] ?? "" }));
  const total = inventory.reduce((n, c) => n + c.audience, 0);
  const exposure = (kind, id, name, fails) => {
    const cut = inventory.filter(fails);
    const reachable = total - cut.reduce((n, c) => n + c.audience, 0);
    const share = total ? reachable / total : 1;
    const pct = Math.round(share * 100);
    const what = kind === "domain" ? `A ${name}-wide outage${id === "meta" ? ", as on 4 Oct 2021," : ""}` : `A ${name} outage`;
    const suggestions = share < 0.5 ? SUGGEST : [];
    const advice = `${what} leaves ${pct}% of your audience reachable${suggestions.length ? `: add ${suggestions.join(" or ")}` : ""}`;
    return { kind, id, name, reachable, total, share, cut_off: cut.map((c) => c.id), surviving: inventory.filter((c) => !fails(c)).map((c) => c.id), suggestions, advice };
  };
  const domains = [...new Set(inventory.map((c) => c.domain).filter(Boolean))].map((d) => exposure("domain", d, DOMAIN_NAMES[d] ?? d, (c) => c.domain === d)).sort((a, b) => a.share - b.share);
  const platforms = inventory.filter((c) => c.platform).map((c) => exposure("platform", c.platform, c.name.split(" ")[0], (x) => x.platform === c.platform)).sort((a, b) => a.share - b.share);
  const role = (name) => ({ kind: "role", name });
  return {
    name: "Demo brand contingency plan",
    on_call: "on_call",
    roles,
    team,
    inventory,
    escalation: [{ name: "standard", after_s: 600, to: [role("comms_lead"), role("superior")], repeat: 2 }],
    responses: [
      {
        name: RESPONSE,
        description: "WhatsApp down for everyone: tell the team, tell the audience, move the conversations",
        trigger: { platforms: ["whatsapp"], domains: [], verdicts: ["outage", "regional_outage"], for_s: 0, severity: "critical" },
        escalation: "standard",
        steps: [
          { id: "alert-team", kind: "notify", on_error: "escalate", to: [role("community_manager"), role("comms_lead")], message: { template: "team-alert" }, escalation: "standard" },
          {
            id: "parallel", kind: "parallel", on_error: "continue",
            steps: [
              { id: "post-holding-statement", kind: "post", on_error: "continue", message: { template: "holding-statement" }, on: [] },
              { id: "pause", kind: "pause", on_error: "continue", ads: true, scheduled_posts: true },
            ],
          },
          { id: "task-answer", kind: "task", on_error: "continue", title: "Answer the waiting WhatsApp customers on Telegram", role: "community_manager", escalation: "" },
          { id: "task-pin", kind: "task", on_error: "continue", title: "Pin the Telegram link on Instagram", role: "community_manager", escalation: "" },
          { id: "approve-superior", kind: "approve", on_error: "continue", role: "superior", what: "Move today's WhatsApp ads budget to Telegram", timeout_s: 1200, on_timeout: "escalate", escalation: "standard" },
          { id: "task-budget", kind: "task", on_error: "continue", title: "Move the ads budget to Telegram", role: "comms_lead", escalation: "" },
          { id: "wait-30m", kind: "wait", on_error: "continue", duration_s: 1800 },
          { id: "notify-comms-lead", kind: "notify", on_error: "continue", to: [role("comms_lead")], message: { template: "status-update" }, escalation: "" },
        ],
        after_restoration: {
          checklist: [{ id: "check-answer-the-messages-that-arrived-during-the-outage", title: "Answer the messages that arrived during the outage", role: "community_manager" }],
          monitor_window_s: monitorWindowS,
          probe_interval_s: 30,
        },
      },
    ],
    advice: { total, domains, platforms, notes: [] },
  };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// `iso(ms)`: the server's time format; `timeline(incident, type, message, data)`: stores an
// incident event without a live event; `sendToContact(contact, fields)`: the mock relay;
// `base()`: this server's URL (links point at it); `incident(id)`, `events(id)`: the store.
export function createMockPlaybook({ iso, timeline, sendToContact, base, incident, events, monitorWindowS = 10 }) {
  const plan = buildPlan(monitorWindowS);
  let loaded = true;
  const responses = new Map(); // incident id -> { lifecycle, runs, steps: Map, assignments: [] }
  const links = new Map(); // token -> { purpose, assignment, person, expires, used_at }
  let asgSeq = 0;
  const now = () => iso(Date.now());
  const hm = (ms = Date.now()) => iso(ms).slice(11, 16);
  const person = (id) => plan.team.find((p) => p.id === id);
  const holders = (role) => plan.team.filter((p) => p.roles.includes(role));
  const stepsOf = () => plan.responses[0].steps;

  function findAssignment(id) {
    for (const r of responses.values()) {
      const a = r.assignments.find((x) => x.id === id);
      if (a) return { r, a };
    }
    return null;
  }

  function moveLifecycle(r, from, to, by, note) {
    const lc = r.lifecycle;
    if (from.length && !from.includes(lc.state)) return false;
    const prev = lc.state;
    lc.state = to;
    if (to === "monitoring") lc.monitor_round++;
    lc.transitions.push({ seq: lc.transitions.length + 1, from: prev, to, by, note, at: now() });
    timeline(r.id, "playbook_lifecycle", `Lifecycle: ${prev} -> ${to} by ${by}${note ? `: ${note}` : ""}`, { from: prev, to, by });
    return true;
  }

  function setStep(r, id, state, note = "", error = "") {
    const s = r.steps.get(id) ?? { response: RESPONSE, step_id: id, state: "pending", attempts: 0, last_error: "", note: "", started_at: null, ended_at: null };
    if (s.state === "pending" && state !== "pending") {
      s.started_at = now();
      s.attempts = 1;
    }
    s.state = state;
    s.note = note;
    s.last_error = error;
    if (["done", "failed", "skipped"].includes(state)) s.ended_at = now();
    r.steps.set(id, s);
    const type = { done: "playbook_step_done", failed: "playbook_step_failed", skipped: "playbook_step_skipped", waiting: "playbook_step_waiting" }[state] ?? "playbook_step_started";
    timeline(r.id, type, `Step ${id}: ${state}${note ? ` (${note})` : ""}${error ? `: ${error}` : ""}`, { response: RESPONSE, step: id, state });
  }

  function issueLink(a, purpose, personId) {
    const token = `${randomBytes(12).toString("base64url")}.${randomBytes(16).toString("base64url")}`;
    links.set(token, { purpose, assignment: a.id, person: personId, expires: Date.now() + LINK_TTL_MS, used_at: null });
    return `${base()}/ack/${token}`;
  }

  function footer(a, personId) {
    const actions = a.kind === "approval" ? [["Approve", "approve"], ["Refuse", "refuse"]] : [["Acknowledge", "acknowledge"]];
    return actions.map(([label, purpose]) => `${label}: ${issueLink(a, purpose, personId)}`).join("\n");
  }

  function assign(r, { step, kind, title, role, people, escalation = "" }) {
    const t = now();
    const a = {
      id: `asg_${String(++asgSeq).padStart(26, "0")}`, incident_id: r.id, response: RESPONSE, step_id: step, kind, title, role,
      assignee: people[0]?.id ?? "", notified: people.map((p) => p.id), escalation, escalation_level: -1, state: "open",
      acknowledged_by: "", acknowledged_at: null, ended_by: "", ended_at: null, note: "", created_at: t, updated_at: t,
    };
    r.assignments.push(a);
    const what = kind === "approval" ? `Approval asked of ${role}: '${title}'` : kind === "task" ? `Task '${title}' assigned to ${people[0]?.name} (${role})` : `Alert to acknowledge sent to ${people.map((p) => p.name).join(", ")}`;
    timeline(r.id, "playbook_assigned", what, { assignment: a.id, kind, step });
    for (const p of people) {
      const text = kind === "approval" ? `Approval needed (WhatsApp incident ${r.id}): ${title}` : kind === "task" ? `Task for you (WhatsApp incident ${r.id}): ${title}` : `WhatsApp is down for everyone since ${hm()}. The plan has started: incident ${r.id}.`;
      sendToContact(p.contact, { subject: `[Lifeline] ${kind === "notification" ? "WhatsApp is down" : title}`, text: `${text}\n\n${footer(a, p.id)}`, key: `playbook/${r.id}/${step}/${p.id}`, incident: r.id });
      timeline(r.id, "playbook_message", `Sent to ${p.name}: ${kind === "notification" ? "team alert" : title}`, { step, to: p.id });
    }
    return a;
  }

  const later = (ms, fn) => setTimeout(fn, ms).unref();

  // Runs the steps from `index` on, one after the other, until one waits.
  function advance(r, index) {
    const steps = stepsOf();
    if (r.runs[0].state !== "running") return;
    if (index >= steps.length) {
      endRun(r, "finished", "every step ended");
      return;
    }
    const s = steps[index];
    const next = () => later(150, () => advance(r, index + 1));
    switch (s.id) {
      case "alert-team": {
        setStep(r, s.id, "running");
        const people = [...holders("community_manager"), ...holders("comms_lead")].filter((p, i, all) => all.indexOf(p) === i);
        assign(r, { step: s.id, kind: "notification", title: "WhatsApp is down: acknowledge the team alert", role: "", people, escalation: "standard" });
        setStep(r, s.id, "done", `sent to ${people.map((p) => p.name).join(", ")}`);
        return next();
      }
      case "parallel":
        setStep(r, s.id, "waiting", "2 steps at the same time");
        later(300, () => {
          setStep(r, "post-holding-statement", "done", "posted on team-telegram, team-email");
          moveLifecycle(r, ["detected", "acknowledged"], "mitigating", "lifeline", "step post-holding-statement done");
          setStep(r, "pause", "skipped", "no ads or calendar part yet");
          setStep(r, s.id, "done", "");
          next();
        });
        return;
      case "approve-superior": {
        setStep(r, s.id, "running");
        const people = holders(s.role);
        assign(r, { step: s.id, kind: "approval", title: s.what, role: s.role, people, escalation: s.escalation });
        setStep(r, s.id, "waiting", `asked ${people.map((p) => p.name).join(", ")}; answer by ${iso(Date.now() + s.timeout_s * 1000).slice(11, 19)}`);
        return; // the decision continues
      }
      case "wait-30m":
        setStep(r, s.id, "waiting", `until ${iso(Date.now() + s.duration_s * 1000).slice(11, 19)}`);
        return; // the incident closes first in every demo
      default:
        if (s.kind === "task") {
          setStep(r, s.id, "running");
          const people = holders(s.role);
          assign(r, { step: s.id, kind: "task", title: s.title, role: s.role, people });
          setStep(r, s.id, "done", `assigned to ${people[0]?.name}`);
          return next();
        }
        setStep(r, s.id, "done", "");
        return next();
    }
  }

  function endRun(r, state, reason) {
    const run = r.runs[0];
    if (run.state !== "running") return;
    run.state = state;
    run.reason = reason;
    run.ended_at = now();
    timeline(r.id, state === "stopped" ? "playbook_response_stopped" : "playbook_response_finished", `Response ${RESPONSE} ${state}: ${reason}`, { response: RESPONSE });
  }

  function skipRemaining(r, why) {
    const walk = (steps) => {
      for (const s of steps) {
        const rec = r.steps.get(s.id);
        if (!rec || ["pending", "running", "waiting"].includes(rec.state)) setStep(r, s.id, "skipped", why);
        if (s.steps) walk(s.steps);
      }
    };
    walk(stepsOf());
  }

  function start(inc) {
    const t = now();
    const r = {
      id: inc.id,
      lifecycle: { state: "detected", platforms: [...inc.platforms], monitor_round: 0, transitions: [{ seq: 1, from: null, to: "detected", by: "lifeline", note: `response ${RESPONSE} started`, at: t }] },
      runs: [{ response: RESPONSE, state: "running", reason: "", started_at: t, ended_at: null }],
      steps: new Map(),
      assignments: [],
    };
    responses.set(inc.id, r);
    timeline(inc.id, "playbook_lifecycle", "Lifecycle: -> detected by lifeline", { to: "detected", by: "lifeline" });
    timeline(inc.id, "playbook_response_started", `Response ${RESPONSE} started: WhatsApp outage`, { response: RESPONSE });
    later(200, () => advance(r, 0));
  }

  function closed(inc) {
    const r = responses.get(inc.id);
    if (!r || !["detected", "acknowledged", "mitigating"].includes(r.lifecycle.state)) return;
    if (r.runs[0].state === "running") {
      skipRemaining(r, "the platform was back before it ended");
      endRun(r, "finished", `the incident closed at ${hm(Date.parse(inc.closed_at))}`);
    }
    for (const a of r.assignments) {
      if (a.state !== "open" || a.kind === "task") continue;
      a.state = "expired";
      a.ended_by = "lifeline";
      a.ended_at = now();
      a.updated_at = now();
      a.note = "the incident closed";
      timeline(r.id, "playbook_expired", `${a.kind === "approval" ? "Approval" : "Notification"} '${a.title}' expired: the incident closed`, { assignment: a.id });
    }
    moveLifecycle(r, ["detected", "acknowledged", "mitigating"], "monitoring", "lifeline", `WhatsApp works again at ${hm(Date.parse(inc.closed_at))}`);
    for (const c of plan.responses[0].after_restoration.checklist) assign(r, { step: c.id, kind: "task", title: c.title, role: c.role, people: holders(c.role) });
    timeline(r.id, "playbook_monitoring", `Monitoring whatsapp for ${monitorWindowS} s; resolved then if it stays up`, { round: r.lifecycle.monitor_round });
    const round = r.lifecycle.monitor_round;
    later(monitorWindowS * 1000, () => {
      if (r.lifecycle.state === "monitoring" && r.lifecycle.monitor_round === round) moveLifecycle(r, ["monitoring"], "resolved", "lifeline", `WhatsApp stayed up for ${monitorWindowS} s`);
    });
  }

  // The engine follows the incidents: a response starts for a WhatsApp outage.
  function onIncident(inc) {
    if (!loaded || !(inc.platforms ?? []).includes("whatsapp")) return;
    if (inc.state === "open" && !responses.has(inc.id)) later(300, () => start(inc));
    else if (inc.state === "closed") later(400, () => closed(inc));
  }

  // ---- people's actions ------------------------------------------------------------------

  class Refused extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function act(id, action, who, why = "") {
    const found = findAssignment(id);
    if (!found) throw new Refused(404, "not_found", `no assignment '${id}'`);
    const { r, a } = found;
    const stale = () => new Refused(409, "failed_precondition", `assignment ${a.id} is ${a.state}${a.ended_by || a.acknowledged_by ? ` (by ${a.ended_by || a.acknowledged_by} at ${(a.ended_at || a.acknowledged_at || "").slice(11)})` : ""}`);
    const t = now();
    const name = (w) => person(w.replace(/ \(through the API\)$/, ""))?.name ?? w;
    if (action === "acknowledge") {
      if (a.kind === "approval") throw new Refused(400, "invalid_argument", `approval ${a.id} is approved or refused, not acknowledged`);
      if (a.state !== "open") throw stale();
      Object.assign(a, { state: "acknowledged", acknowledged_by: who, acknowledged_at: t, updated_at: t });
      timeline(r.id, "playbook_acknowledged", `${name(who)} acknowledged ${a.kind} '${a.title}'`, { assignment: a.id, by: who });
    } else if (action === "done") {
      if (a.kind !== "task") throw new Refused(400, "invalid_argument", `${a.kind} ${a.id} is not a task: only tasks are done`);
      if (a.state !== "open" && a.state !== "acknowledged") throw stale();
      if (!a.acknowledged_at) Object.assign(a, { acknowledged_by: who, acknowledged_at: t });
      Object.assign(a, { state: "done", ended_by: who, ended_at: t, updated_at: t });
      timeline(r.id, "playbook_done", `${name(who)} did task '${a.title}'`, { assignment: a.id, by: who });
    } else {
      if (a.kind !== "approval") throw new Refused(400, "invalid_argument", `${a.kind} ${a.id} is not an approval: acknowledge it (or mark it done) instead`);
      if (a.state !== "open") throw stale();
      const approved = action === "approve";
      Object.assign(a, { state: approved ? "approved" : "refused", ended_by: who, ended_at: t, updated_at: t, note: why });
      timeline(r.id, approved ? "playbook_approved" : "playbook_refused", `${name(who)} ${approved ? "approved" : "refused"} '${a.title}'${why ? `: ${why}` : ""}`, { assignment: a.id, by: who, why });
      if (r.runs[0].state === "running") {
        if (approved) {
          setStep(r, a.step_id, "done", `approved by ${name(who)}`);
          const at = stepsOf().findIndex((s) => s.id === a.step_id);
          later(150, () => advance(r, at + 1));
        } else {
          setStep(r, a.step_id, "failed", "the response stops", `refused by ${name(who)}${why ? `: ${why}` : ""}`);
          skipRemaining(r, "the response stopped");
          endRun(r, "stopped", `approval '${a.title}' refused by ${name(who)}`);
        }
      }
    }
    moveLifecycle(r, ["detected"], "acknowledged", who, `${action === "done" ? "did" : action === "acknowledge" ? "acknowledged" : action === "approve" ? "approved" : "refused"} '${a.title}'`);
    return a;
  }

  // ---- the report --------------------------------------------------------------------------

  function report(inc) {
    const r = responses.get(inc.id);
    const evs = events(inc.id);
    const tasks = r?.assignments ?? [];
    const lasted = inc.duration_s ?? Math.round((Date.now() - Date.parse(inc.opened_at)) / 1000);
    return { inc, r, evs, tasks, lasted };
  }

  function reportMarkdown({ inc, r, evs, tasks, lasted }) {
    return [
      `# Incident report: ${inc.title}`,
      "",
      `- Incident: ${inc.id} (${inc.state}), platforms ${inc.platforms.join(", ")}`,
      `- Opened ${inc.opened_at}${inc.closed_at ? `, closed ${inc.closed_at}` : ""}; lasted ${lasted} s`,
      r ? `- Lifecycle: ${r.lifecycle.state}` : "- No plan response",
      "",
      "## Timeline",
      "",
      ...evs.map((e) => `- ${e.at} ${e.type}: ${e.message}`),
      "",
      "## Tasks",
      "",
      ...tasks.map((a) => `- ${a.kind} “${a.title}”: ${a.state}${a.ended_by ? ` by ${a.ended_by}` : a.acknowledged_by ? ` by ${a.acknowledged_by}` : ""}`),
      "",
      "## Lessons learned",
      "",
      "_To be written at the review._",
      "",
    ].join("\n");
  }

  function reportHtml({ inc, r, evs, tasks, lasted }) {
    const bar = Math.min(300, Math.max(4, lasted));
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident report: ${esc(inc.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;line-height:1.45}table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.2rem .5rem;text-align:left}</style>
</head><body>
<h1 id="report-title">Incident report: ${esc(inc.title)}</h1>
<p>Incident ${esc(inc.id)} (${esc(inc.state)}) on ${esc(inc.platforms.join(", "))}; lasted ${lasted} s. Lifecycle: ${esc(r?.lifecycle.state ?? "no plan response")}.</p>
<svg width="320" height="24" role="img" aria-label="Outage duration"><rect x="0" y="4" width="${bar}" height="16" fill="#c62828"/></svg>
<h2>Timeline</h2>
<table><tbody>${evs.map((e) => `<tr><td>${esc(e.at)}</td><td>${esc(e.type)}</td><td>${esc(e.message)}</td></tr>`).join("")}</tbody></table>
<h2>Tasks</h2>
<ul>${tasks.map((a) => `<li>${esc(a.kind)} “${esc(a.title)}”: ${esc(a.state)}</li>`).join("")}</ul>
<h2>Lessons learned</h2><p>To be written at the review.</p>
</body></html>
`;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  const ROUTES = [
    /^\/v1\/plan$/,
    /^\/v1\/assignments(?:\/[^/]+\/(?:acknowledge|done|approve|refuse))?$/,
    /^\/v1\/incidents\/[^/]+\/(?:response|reviewed|report)$/,
    /^\/v1\/ack\/[^/]+$/,
  ];
  const handles = (p) => ROUTES.some((re) => re.test(p));

  function byField(b) {
    const by = typeof b?.by === "string" ? b.by : "";
    if (!by) throw new Refused(400, "invalid_argument", 'by is required: who acts (a team id such as "ana", or a name)');
    if (by.length > 100 || /[\r\n]/.test(by)) throw new Refused(400, "invalid_argument", "by must be one line of at most 100 characters");
    return by;
  }

  function linkInfo(token) {
    const l = links.get(token);
    if (!l) throw new Refused(404, "not_found", "this link is not one Lifeline issued, or it was damaged on the way");
    const a = findAssignment(l.assignment).a;
    const final = a.state !== "open" && !(a.state === "acknowledged" && a.kind === "task");
    const problem = l.used_at ? `this link was already used at ${l.used_at}` : l.expires <= Date.now() ? `this link expired at ${iso(l.expires)}` : final ? `this ${a.kind} is already ${a.state}` : "";
    return {
      action: l.purpose, person: l.person, expires_at: iso(l.expires), used_at: l.used_at, usable: !problem, problem,
      assignment: { id: a.id, kind: a.kind, title: a.title, state: a.state, incident_id: a.incident_id },
    };
  }

  function redeem(token) {
    const l = links.get(token);
    if (!l) throw new Refused(401, "unauthenticated", "this link is not valid: it was not issued by this Lifeline, or it was altered or cut short (copy the whole link, or act from the dashboard)");
    if (l.used_at) throw new Refused(409, "failed_precondition", `this link was already used at ${l.used_at}: each link works once (the dashboard shows what was done)`);
    if (l.expires <= Date.now()) throw new Refused(504, "deadline_exceeded", `this link expired at ${iso(l.expires)}: act from the dashboard or the CLI instead`);
    const by = l.person || "link";
    const a = act(l.assignment, l.purpose, by, l.purpose === "refuse" ? "refused by link" : "");
    l.used_at = now();
    return { action: l.purpose, by, assignment: a };
  }

  async function handle(req, res, url, { need, send, err, body }) {
    const p = url.pathname;
    try {
      if (p.startsWith("/v1/ack/")) {
        const token = decodeURIComponent(p.slice("/v1/ack/".length));
        if (req.method === "GET") return send(res, 200, linkInfo(token));
        if (req.method === "POST") {
          try {
            await body(req);
          } catch {
            return err(res, 400, "invalid_argument", "the body is not valid JSON");
          }
          return send(res, 200, redeem(token));
        }
        return err(res, 405, "invalid_argument", "method not allowed");
      }
      if (req.method === "GET") {
        if (!need(req, res, 1)) return;
        if (p === "/v1/plan") {
          if (!loaded) return err(res, 404, "not_found", "no contingency plan is loaded (plan: in the config)");
          return send(res, 200, plan);
        }
        if (p === "/v1/assignments") {
          const q = url.searchParams;
          const all = [...responses.values()].flatMap((r) => r.assignments);
          const list = all.filter((a) => (!q.get("incident") || a.incident_id === q.get("incident")) && (!q.get("state") || a.state === q.get("state")) && (!q.get("kind") || a.kind === q.get("kind")));
          return send(res, 200, { assignments: list.slice(0, Number(q.get("limit") ?? 100)) });
        }
        const m = /^\/v1\/incidents\/([^/]+)\/(response|report)$/.exec(p);
        if (m && m[2] === "response") {
          const r = responses.get(decodeURIComponent(m[1]));
          if (!r) return err(res, 404, "not_found", `no response ran for incident '${m[1]}'`);
          return send(res, 200, { incident_id: r.id, lifecycle: r.lifecycle, runs: r.runs, steps: [...r.steps.values()], assignments: r.assignments });
        }
        if (m && m[2] === "report") {
          const format = url.searchParams.get("format") ?? "json";
          if (!["json", "md", "html"].includes(format)) return err(res, 400, "invalid_argument", "format must be one of json, md, html");
          const inc = incident(decodeURIComponent(m[1]));
          if (!inc) return err(res, 404, "not_found", `unknown incident '${m[1]}'`);
          const rep = report(inc);
          if (format === "md") return send(res, 200, reportMarkdown(rep), { "Content-Type": "text/markdown; charset=utf-8" });
          if (format === "html") return send(res, 200, reportHtml(rep), { "Content-Type": "text/html; charset=utf-8" });
          return send(res, 200, { incident: inc, lifecycle: rep.r?.lifecycle ?? null, events: rep.evs, assignments: rep.tasks });
        }
        return err(res, 404, "not_found", `no API endpoint ${p}`);
      }
      if (req.method !== "POST") return err(res, 405, "invalid_argument", "method not allowed");
      if (!need(req, res, 2)) return;
      let b;
      try {
        b = (await body(req)) ?? {};
      } catch {
        return err(res, 400, "invalid_argument", "the body is not valid JSON");
      }
      const by = byField(b);
      const who = `${by} (through the API)`;
      let m = /^\/v1\/assignments\/([^/]+)\/(acknowledge|done|approve|refuse)$/.exec(p);
      if (m) return send(res, 200, act(decodeURIComponent(m[1]), m[2], who, m[2] === "refuse" ? (b.why ?? "") : ""));
      m = /^\/v1\/incidents\/([^/]+)\/reviewed$/.exec(p);
      if (m) {
        const r = responses.get(decodeURIComponent(m[1]));
        if (!r) return err(res, 404, "not_found", `no response ran for incident '${m[1]}'`);
        if (!moveLifecycle(r, ["resolved"], "reviewed", who, "reviewed")) {
          return err(res, 409, "failed_precondition", `incident ${r.id} is ${r.lifecycle.state}: only a resolved incident can be marked reviewed`);
        }
        return send(res, 200, { incident_id: r.id, state: r.lifecycle.state });
      }
      return err(res, 404, "not_found", `no API endpoint ${p}`);
    } catch (e) {
      if (e instanceof Refused) return err(res, e.status, e.code, e.message);
      throw e;
    }
  }

  // Mock control: with no plan loaded, /v1/plan answers 404 and no response starts.
  function setLoaded(v) {
    loaded = !!v;
  }

  return { handles, handle, onIncident, setLoaded, plan };
}
