// The incident console: the "Response" part of the incident view (#/incident/<id>). The plan's
// lifecycle as a stepper with who moved it and when, the current step and every step's state,
// the team's tasks, approvals and alerts with their buttons, "Mark reviewed" once resolved, and
// the incident report (HTML in a new tab, Markdown as a download). Kept fresh on the incident's
// live events (each entry the plan adds to the timeline is pushed as an incident_event), with a
// slow poll as a safety net for a connection that drops events. Rules in src/playbook.ts.

import "./playbook.css";
import { ApiError, fetchReport, playbookApi } from "./api";
import { openTokenDialog, tokenProblem } from "./app";
import { fill, h, relTime } from "./dom";
import { formatClock, formatRelative } from "./format";
import {
  ASSIGNMENT_ACTION_LABELS,
  actionDoneText,
  actionErrorText,
  assignmentActions,
  assignmentLook,
  assignmentWho,
  currentStepText,
  isPendingApproval,
  keepOrder,
  kindText,
  lifecycleStages,
  stepLook,
  stepRows,
  whoText,
  type AssignmentAction,
} from "./playbook";
import type { SseMessage } from "./sse";
import type { Assignment, IncidentResponse, Plan } from "./types";
import { askName, currentName, onNameChanged, suggestNames } from "./whoami";

const POLL_MS = 20_000; // while the incident is open on screen (live events do the rest)
const POLL_IDLE_MS = 20_000; // while it has no response (its start is pushed too)
const MIN_GAP_MS = 1000; // live events never refresh faster than this

interface Hooks {
  isOpen: () => boolean;
  refreshTimeline: () => Promise<void>;
}

const cons = {
  id: "",
  data: null as IncidentResponse | null,
  missing: false, // 404: no plan response for this incident (or no plan at all)
  error: "",
  needsToken: false,
  hooks: null as Hooks | null,
  timer: null as ReturnType<typeof setTimeout> | null,
  inflight: false,
  again: false,
  lastFetch: 0,
  actions: 0, // actions answered: a fetch started before one is stale
};
let plan: Plan | null = null;
let planAt = 0;

// What people are doing on the page, kept across redraws.
const busy = new Set<string>();
const rowErrors = new Map<string, { text: string; needsToken: boolean }>();
const refusing = new Map<string, string>(); // assignment id -> the "why" typed so far
let reviewing = false;
let shown: string[] = []; // the assignments' order on screen (keepOrder)

// ---- wiring (called by incidents.ts and main.ts) -------------------------------------------

// The section's frame; openConsole fills it.
export function consoleSection(): HTMLElement {
  return h("section", { id: "response", class: "console", "aria-labelledby": "response-title", "data-testid": "response" },
    h("div", { class: "console-head" },
      h("h3", { id: "response-title" }, "Response"),
      h("p", { id: "whoami-line", class: "whoami small" }),
      h("div", { class: "report-links", role: "group", "aria-label": "Incident report" },
        h("button", { type: "button", "data-testid": "report-open", onclick: () => void openReport() }, h("span", { "aria-hidden": "true" }, "▤ "), "Report"),
        h("button", { type: "button", class: "quiet", "data-testid": "report-markdown", onclick: () => void downloadMarkdown() }, h("span", { "aria-hidden": "true" }, "⤓ "), "Markdown"))),
    h("p", { id: "console-status", class: "console-status", role: "status", "aria-live": "polite", "data-testid": "console-status" }),
    h("div", { id: "response-body", "data-testid": "response-body" }, h("p", { class: "muted" }, "Loading the response…")),
  );
}

export function openConsole(id: string, hooks: Hooks): void {
  if (cons.id !== id) {
    busy.clear();
    rowErrors.clear();
    refusing.clear();
  }
  shown = [];
  cons.id = id;
  cons.data = null;
  cons.missing = false;
  cons.error = "";
  cons.hooks = hooks;
  renderWhoami();
  void refresh();
}

export function closeConsole(): void {
  cons.id = "";
  cons.hooks = null;
  if (cons.timer) clearTimeout(cons.timer);
  cons.timer = null;
}

// Live events about the open incident refresh it (coalesced).
export function onConsoleLive(m: SseMessage): void {
  if (!cons.id) return;
  let about = "";
  try {
    const d = JSON.parse(m.data) as { id?: string; incident_id?: string; message?: { incident_id?: string } };
    about = m.event === "incident" ? (d.id ?? "") : m.event === "incident_event" ? (d.incident_id ?? "") : m.event === "outbox" ? (d.message?.incident_id ?? "") : "";
  } catch {
    return;
  }
  if (about === cons.id) schedule(300);
}

onNameChanged(() => renderWhoami());

// ---- loading ---------------------------------------------------------------------------------

function schedule(ms: number): void {
  if (!cons.id) return;
  if (cons.timer) clearTimeout(cons.timer);
  const wait = Math.max(ms, cons.lastFetch + MIN_GAP_MS - Date.now());
  cons.timer = setTimeout(() => {
    cons.timer = null;
    void refresh();
  }, Math.max(0, wait));
}

async function loadPlan(): Promise<void> {
  if (Date.now() - planAt < 60_000) return;
  try {
    plan = await playbookApi.plan();
    planAt = Date.now();
    suggestNames(plan.team ?? []);
  } catch {
    // Without the plan the steps show as recorded, by their ids; asked again in a minute.
    planAt = Date.now();
  }
}

async function refresh(): Promise<void> {
  const id = cons.id;
  if (!id || !cons.hooks?.isOpen()) return;
  if (cons.inflight) {
    cons.again = true;
    return;
  }
  cons.inflight = true;
  cons.lastFetch = Date.now();
  const actions = cons.actions;
  try {
    const [resp] = await Promise.all([
      playbookApi.response(id).then(
        (r) => ({ r, e: null as ApiError | null }),
        (e: unknown) => ({ r: null, e: e instanceof ApiError ? e : new ApiError(0, "unknown", String(e)) }),
      ),
      loadPlan(),
      cons.hooks.refreshTimeline().catch(() => {}),
    ]);
    if (cons.id !== id) return;
    if (actions !== cons.actions) {
      cons.again = true; // an action's answer came in meanwhile: this copy may predate it
    } else if (resp.r) {
      cons.data = resp.r;
      cons.missing = false;
      cons.error = "";
      cons.needsToken = false;
    } else if (resp.e) {
      cons.missing = resp.e.status === 404;
      if (cons.missing) cons.data = null;
      cons.needsToken = resp.e.needsToken;
      cons.error = cons.missing ? "" : resp.e.needsToken ? tokenProblem(resp.e, "The response") : resp.e.message;
    }
    render();
  } finally {
    cons.inflight = false;
    // Another incident may have been opened meanwhile: its first refresh waited for this one.
    if (cons.again) {
      cons.again = false;
      schedule(0);
    } else if (cons.id === id && !cons.timer) {
      schedule(cons.missing ? POLL_IDLE_MS : POLL_MS);
    }
  }
}

// ---- actions ---------------------------------------------------------------------------------

function absorb(a: Assignment): void {
  if (!cons.data) return;
  cons.data = { ...cons.data, assignments: cons.data.assignments.map((x) => (x.id === a.id ? a : x)) };
}

function describe(e: unknown, what: string): { err: ApiError; text: string } {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
  return { err, text: err.needsToken ? tokenProblem(err, what) : err.message };
}

async function act(a: Assignment, action: AssignmentAction): Promise<void> {
  if (busy.has(a.id)) return;
  const by = currentName() || (await askName());
  if (!by) return;
  const why = action === "refuse" ? (refusing.get(a.id) ?? "").trim() : undefined;
  busy.add(a.id);
  rowErrors.delete(a.id);
  renderAssignments();
  try {
    const updated = await playbookApi.act(a.id, action, by, why);
    cons.actions++;
    busy.delete(a.id);
    refusing.delete(a.id);
    absorb(updated);
    announce(actionDoneText(action, updated));
  } catch (e) {
    busy.delete(a.id);
    const { err } = describe(e, ASSIGNMENT_ACTION_LABELS[action]);
    rowErrors.set(a.id, err.needsToken
      ? { text: tokenProblem(err, ASSIGNMENT_ACTION_LABELS[action]), needsToken: true }
      : { text: actionErrorText(action, err.status, err.message), needsToken: false });
    cons.actions++;
  }
  render();
  // The lifecycle and the steps follow the action on the server: show them.
  schedule(0);
}

async function markReviewed(): Promise<void> {
  if (reviewing || !cons.data) return;
  const by = currentName() || (await askName());
  if (!by) return;
  reviewing = true;
  renderLifecycle();
  const id = cons.id;
  try {
    const body = await playbookApi.reviewed(id, by);
    cons.actions++;
    if (cons.data && cons.id === id) cons.data = { ...cons.data, lifecycle: { ...cons.data.lifecycle, state: body.state } };
    announce("Marked reviewed.");
  } catch (e) {
    const { err, text } = describe(e, "Marking it reviewed");
    announce(`Could not mark it reviewed: ${text}`, "bad", err.needsToken);
  }
  reviewing = false;
  render();
  schedule(0);
}

// The report opens in a new tab as a Blob URL: fetched with the token, which a plain link would
// not send. The tab is opened at once (while the click still counts as the user's) and pointed at
// the report when it arrives.
async function openReport(): Promise<void> {
  const id = cons.id;
  if (!id) return;
  const tab = window.open("", "_blank");
  if (tab) {
    try {
      tab.opener = null; // the report has no business with this page
      tab.document.title = "Loading the report…";
      tab.document.body.textContent = "Loading the report…";
    } catch {
      // A browser that isolates the new tab: it simply shows a blank page until the report.
    }
  }
  announce("Loading the report…");
  try {
    const blob = await fetchReport(id, "html");
    const url = URL.createObjectURL(blob);
    setTimeout(() => URL.revokeObjectURL(url), 120_000);
    if (tab && !tab.closed) {
      tab.location.href = url;
      announce("The report opened in a new tab.");
    } else {
      // No tab (a popup blocker): a link the user can follow.
      const status = document.getElementById("console-status");
      if (status) fill(status, "The report is ready: ", h("a", { href: url, target: "_blank", rel: "noopener", "data-testid": "report-link" }, "open it"), ".");
    }
  } catch (e) {
    tab?.close();
    const { err, text } = describe(e, "The report");
    announce(`Could not open the report: ${text}`, "bad", err.needsToken);
  }
}

async function downloadMarkdown(): Promise<void> {
  const id = cons.id;
  if (!id) return;
  try {
    const blob = await fetchReport(id, "md");
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: `lifeline-report-${id}.md`, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce("The Markdown report is downloading.");
  } catch (e) {
    const { err, text } = describe(e, "The report");
    announce(`Could not download the report: ${text}`, "bad", err.needsToken);
  }
}

function announce(text: string, tone: "ok" | "bad" = "ok", needsToken = false): void {
  const el = document.getElementById("console-status");
  if (!el) return;
  el.dataset.tone = tone;
  fill(el, text, needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(text) }, "Enter an API token")] : null);
}

// ---- rendering -------------------------------------------------------------------------------

function renderWhoami(): void {
  const el = document.getElementById("whoami-line");
  if (!el) return;
  const name = currentName();
  // Who acts matters only where there is something to act on.
  el.hidden = !cons.data;
  if (el.dataset.key === name && el.childNodes.length) return; // keeps the focus on "Change"
  el.dataset.key = name;
  fill(el,
    name ? ["You are ", h("strong", { "data-testid": "whoami-name" }, name), " "] : "Actions are recorded with your name. ",
    h("button", { type: "button", class: "linkish", "data-testid": "whoami-change", onclick: () => void askName() }, name ? "Change" : "Set your name"));
}

function render(): void {
  const body = document.getElementById("response-body");
  if (!body) return;
  renderWhoami();
  if (!cons.data) {
    const key = `none:${cons.missing}:${cons.error}`;
    if (body.dataset.key === key) return;
    body.dataset.key = key;
    if (cons.missing) {
      fill(body, h("p", { class: "muted", "data-testid": "response-none" }, "No plan response for this incident."));
    } else if (cons.error) {
      fill(body, h("p", { class: "msg-error", "data-testid": "response-error" }, `Could not load the response: ${cons.error}`, " ",
        cons.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(cons.error) }, "Enter an API token") : null));
    } else {
      fill(body, h("p", { class: "muted" }, "Loading the response…"));
    }
    return;
  }
  if (body.dataset.key !== "data") {
    body.dataset.key = "data";
    fill(body,
      h("ol", { id: "lifecycle", class: "stepper", "data-testid": "lifecycle", "aria-label": "Lifecycle" }),
      h("div", { id: "lifecycle-actions", class: "lifecycle-actions" }),
      h("h4", { id: "assignments-title" }, "Tasks, approvals and alerts"),
      h("ul", { id: "assignments", class: "asgs", "data-testid": "assignments", "aria-labelledby": "assignments-title" }),
      h("h4", { id: "steps-title" }, "Steps"),
      h("p", { id: "current-step", class: "current-step", "data-testid": "current-step" }),
      h("ol", { id: "steps", class: "steps", "data-testid": "steps", "aria-labelledby": "steps-title" }));
  }
  renderLifecycle();
  renderAssignments();
  renderSteps();
}

function renderLifecycle(): void {
  const ol = document.getElementById("lifecycle");
  const actions = document.getElementById("lifecycle-actions");
  if (!ol || !actions || !cons.data) return;
  const lc = cons.data.lifecycle;
  const stages = lifecycleStages(lc);
  const now = Date.now();
  const key = JSON.stringify([lc.state, lc.transitions.length, stages.map((s) => [s.state, s.at])]);
  if (ol.dataset.key !== key) {
    ol.dataset.key = key;
    ol.dataset.state = lc.state;
    ol.replaceChildren(...stages.map((s, i) => {
      const icon = s.state === "done" || (s.state === "current" && s.stage === "reviewed") ? "✓" : s.state === "current" ? "●" : s.state === "skipped" ? "↷" : String(i + 1);
      const status = s.state === "current" ? "now" : s.state === "skipped" ? "skipped" : s.state === "done" ? "done" : s.at ? "earlier" : "not yet";
      return h("li", { class: `stage stage-${s.state}`, "data-testid": `stage-${s.stage}`, "data-stage-state": s.state, "aria-current": s.state === "current" ? "step" : null, title: s.hint },
        h("span", { class: "stage-dot", "aria-hidden": "true" }, icon),
        h("span", { class: "stage-text" },
          h("span", { class: "stage-label" }, s.label, h("span", { class: "sr-only" }, ` (${status})`)),
          s.at ? h("span", { class: "stage-when small" }, formatClock(s.at, now), s.by ? ` · ${whoText(s.by)}` : "", s.times > 1 ? ` · ${s.times}×` : "") : s.state === "skipped" ? h("span", { class: "stage-when small muted" }, "passed over") : null,
          s.note ? h("span", { class: "stage-note small muted" }, s.note) : null));
    }));
  }
  const resolved = lc.state === "resolved";
  const akey = `${lc.state}:${reviewing}`;
  if (actions.dataset.key !== akey) {
    actions.dataset.key = akey;
    const focused = actions.contains(document.activeElement);
    fill(actions,
      resolved ? h("p", { class: "review-row" },
        h("span", {}, "Resolved: look back at what happened, then mark it reviewed. "),
        h("button", { type: "button", class: "primary", "data-testid": "mark-reviewed", "aria-disabled": reviewing ? "true" : null, onclick: () => void markReviewed() }, reviewing ? "Marking…" : "Mark reviewed")) : null,
      lc.state === "reviewed" ? h("p", { class: "muted small", "data-testid": "reviewed-note" }, "Reviewed: this incident's response is complete.") : null);
    if (focused) (actions.querySelector("button") ?? document.getElementById("lifecycle"))?.focus();
  }
}

function names(id: string): string {
  return plan?.team.find((p) => p.id === id)?.name ?? id;
}

function renderAssignments(): void {
  const ul = document.getElementById("assignments");
  if (!ul || !cons.data) return;
  shown = keepOrder(shown, cons.data.assignments);
  const byId = new Map(cons.data.assignments.map((a) => [a.id, a]));
  const list = shown.map((id) => byId.get(id)!);
  if (!list.length) {
    if (ul.dataset.key !== "empty") {
      ul.dataset.key = "empty";
      ul.replaceChildren(h("li", { class: "empty muted", "data-testid": "assignments-empty" }, "Nothing assigned to a person (yet)."));
    }
    return;
  }
  ul.dataset.key = "";
  const have = new Map<string, HTMLElement>();
  for (const li of ul.querySelectorAll<HTMLElement>(":scope > li[data-id]")) have.set(li.dataset.id!, li);
  const rows = list.map((a) => {
    const row = have.get(a.id) ?? h("li", { "data-id": a.id, "data-testid": `assignment-${a.id}` });
    renderAssignment(row, a);
    return row;
  });
  // Moves only what changed place: a row taken out of the page and put back loses the focus.
  let at: ChildNode | null = ul.firstChild;
  for (const row of rows) {
    if (row === at) at = at.nextSibling;
    else ul.insertBefore(row, at);
  }
  while (at) {
    const next: ChildNode | null = at.nextSibling;
    at.remove();
    at = next;
  }
}

function renderAssignment(row: HTMLElement, a: Assignment): void {
  const err = rowErrors.get(a.id);
  const working = busy.has(a.id);
  const why = refusing.get(a.id);
  const key = JSON.stringify([a.state, a.updated_at, a.escalation_level, working, err?.text ?? "", why !== undefined, plan ? 1 : 0]);
  if (row.dataset.key === key) return;
  row.dataset.key = key;
  // Where focus was, to put it back after the redraw.
  const active = document.activeElement as HTMLElement | null;
  const refocus = active && row.contains(active) ? active.dataset.action ?? "title" : null;
  const look = assignmentLook(a);
  const pending = isPendingApproval(a);
  row.className = `asg tone-${look.tone}${pending ? " pending-approval" : ""}`;
  if (row.dataset.state !== a.state) row.dataset.state = a.state;
  row.dataset.kind = a.kind;
  const now = Date.now();
  const actions = assignmentActions(a.kind, a.state);
  const history = [
    a.acknowledged_at ? h("span", {}, `acknowledged by ${whoText(a.acknowledged_by)} `, relTime(a.acknowledged_at, formatRelative(a.acknowledged_at, now))) : null,
    a.ended_at ? h("span", {}, `${a.state} by ${whoText(a.ended_by)} `, relTime(a.ended_at, formatRelative(a.ended_at, now))) : null,
  ].filter(Boolean);
  fill(row,
    h("div", { class: "asg-top" },
      h("span", { class: `pill tone-${look.tone}`, "data-testid": `assignment-state-${a.id}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
      h("span", { class: "asg-kind small muted" }, kindText(a.kind)),
      h("span", { class: "asg-when small muted" }, "given ", relTime(a.created_at, formatRelative(a.created_at, now)))),
    h("p", { class: "asg-title", tabindex: "-1", "data-action": "title" }, a.title),
    h("p", { class: "meta" },
      h("span", {}, assignmentWho(a, names)),
      ...history,
      a.note ? h("span", { "data-testid": `assignment-note-${a.id}` }, a.note) : null),
    actions.length ? h("div", { class: "msg-actions", role: "group", "aria-label": `Actions on: ${a.title}` },
      pending ? h("span", { class: "small" }, h("strong", {}, "Your decision is needed.")) : null,
      actions.map((action) => h("button", {
        type: "button",
        class: action === "approve" || action === "acknowledge" ? "primary" : action === "refuse" ? "danger" : "",
        "data-testid": `assignment-${action}-${a.id}`,
        "data-action": action,
        "aria-disabled": working ? "true" : null,
        "aria-expanded": action === "refuse" ? String(why !== undefined) : null,
        onclick: () => {
          if (action === "refuse" && why === undefined) {
            refusing.set(a.id, "");
            renderAssignment(row, a);
            row.querySelector<HTMLElement>(`[data-testid="refuse-why-${CSS.escape(a.id)}"]`)?.focus();
            return;
          }
          void act(a, action);
        },
      }, ASSIGNMENT_ACTION_LABELS[action]))) : null,
    why !== undefined && actions.includes("refuse") ? refuseForm(row, a, why) : null,
    working ? h("p", { class: "small muted" }, "Sending…") : null,
    err ? h("p", { class: "msg-error", role: "alert", "data-testid": `assignment-error-${a.id}` }, err.text, " ",
      err.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(err.text) }, "Enter an API token") : null) : null,
  );
  if (refocus) {
    const target = row.querySelector<HTMLElement>(`[data-action="${refocus}"]`) ?? row.querySelector<HTMLElement>("[data-action]") ?? row.querySelector<HTMLElement>('[data-action="title"]');
    target?.focus();
  }
}

function refuseForm(row: HTMLElement, a: Assignment, why: string): HTMLElement {
  const input = h("input", { id: `refuse-why-${a.id}`, type: "text", maxlength: 300, value: why, "data-testid": `refuse-why-${a.id}`, "data-action": "why", autocomplete: "off" });
  input.addEventListener("input", () => refusing.set(a.id, input.value));
  const form = h("form", { class: "refuse-form", "data-testid": `refuse-form-${a.id}` },
    h("label", { for: `refuse-why-${a.id}` }, "Why refuse? (optional, goes on the timeline)"),
    input,
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "danger", "data-testid": `refuse-confirm-${a.id}`, "data-action": "refuse-confirm" }, "Refuse: the response stops"),
      h("button", { type: "button", class: "quiet", "data-action": "refuse-cancel", onclick: () => {
        refusing.delete(a.id);
        renderAssignment(row, a);
        row.querySelector<HTMLElement>('[data-action="refuse"]')?.focus();
      } }, "Cancel")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(a, "refuse");
  });
  return form;
}

function renderSteps(): void {
  const ol = document.getElementById("steps");
  const now = document.getElementById("current-step");
  if (!ol || !now || !cons.data) return;
  const rows = stepRows(cons.data, plan);
  const text = currentStepText(rows, cons.data.runs);
  if (now.textContent !== `Now: ${text}`) fill(now, h("strong", {}, "Now: "), text);
  const key = JSON.stringify(rows.map((r) => [r.key, r.state, r.note, r.error, r.current]));
  if (ol.dataset.key === key) return;
  ol.dataset.key = key;
  if (!rows.length) {
    ol.replaceChildren(h("li", { class: "muted" }, "No step has run yet."));
    return;
  }
  const t = Date.now();
  const many = new Set(rows.map((r) => r.response)).size > 1;
  ol.replaceChildren(...rows.map((r) => {
    const look = stepLook(r.state);
    return h("li", { class: `step tone-${look.tone}${r.current ? " is-current" : ""}${r.depth ? " nested" : ""}`, "data-testid": `step-${r.id}`, "data-state": r.state, "aria-current": r.current ? "step" : null },
      h("span", { class: "step-icon", "aria-hidden": "true" }, look.icon),
      h("span", { class: "step-body" },
        h("span", { class: "step-title" }, many ? `${r.response}: ` : "", r.title),
        h("span", { class: "step-state small" }, look.label, r.current ? " · current" : "", r.ended_at ? ` · ${formatClock(r.ended_at, t)}` : r.started_at ? ` · since ${formatClock(r.started_at, t)}` : "", r.attempts > 1 ? ` · ${r.attempts} attempts` : ""),
        r.note ? h("span", { class: "step-note small" }, r.note) : null,
        r.error ? h("span", { class: "step-error small" }, r.error) : null));
  }));
}

