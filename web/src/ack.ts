// The acknowledgement link page: /ack/<token> (the link as alerts carry it, served the dashboard
// by the server) or #/ack/<token>. A person taps the link on a phone: the page says what the link
// does and asks to confirm with one button (a chat app's preview must never act), then says what
// happened. A used, expired or forged link shows the server's words and no button. The link's
// token is the credential: no API token is needed or sent.

import "./playbook.css";
import { ApiError, playbookApi } from "./api";
import { fill, h } from "./dom";
import { formatClock, formatRelative } from "./format";
import { kindText, linkErrorText, linkText } from "./playbook";
import type { LinkInfo } from "./types";

const ack = { token: "", gen: 0, busy: false };

export function initAck(): void {
  const main = h("main", { id: "ack-page", class: "ack-page", "data-testid": "ack-page", "aria-labelledby": "ack-title", hidden: true },
    h("div", { class: "ack-card" },
      h("h2", { id: "ack-title", tabindex: "-1" }, "Acknowledgement link"),
      h("div", { id: "ack-body", "data-testid": "ack-body", "aria-live": "polite" }, h("p", { class: "muted" }, "Reading the link…"))));
  const anchor = document.querySelector("main.layout");
  anchor?.after(main);
}

export function showAck(token: string): void {
  const el = document.getElementById("ack-page");
  if (!el) return;
  el.hidden = !token;
  if (!token) {
    ack.token = "";
    return;
  }
  document.title = "Acknowledge — Lifeline";
  if (ack.token === token) return;
  ack.token = token;
  void load(token);
}

async function load(token: string): Promise<void> {
  const gen = ++ack.gen;
  const body = document.getElementById("ack-body");
  if (!body) return;
  fill(body, h("p", { class: "muted" }, "Reading the link…"));
  let info: LinkInfo;
  try {
    info = await playbookApi.link(token);
  } catch (e) {
    if (gen !== ack.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    problem(err.status === 404 ? "This link does not work" : "The link could not be read", linkErrorText(err.status, err.message), err.status === 0);
    return;
  }
  if (gen !== ack.gen) return;
  if (!info.usable) {
    problem("This link cannot be used any more", linkErrorText(409, info.problem || "this link cannot be used"), false, info);
    return;
  }
  const text = linkText(info.action, info.assignment.kind);
  const now = Date.now();
  const incident = h("span", { "data-testid": "ack-incident" }, info.assignment.incident_id);
  void incidentTitle(info.assignment.incident_id, incident, gen);
  const confirm = h("button", { type: "button", class: "primary big-button", "data-testid": "ack-confirm", onclick: () => void redeem(token, info) }, text.button);
  fill(body,
    h("p", { class: "ack-question", "data-testid": "ack-question", "data-action": info.action }, text.question),
    facts(info, incident, now),
    confirm,
    h("p", { class: "hint" }, `Nothing happens until you press “${text.button}”. The link works once${info.expires_at ? ` and until ${formatClock(info.expires_at, now)} (${formatRelative(info.expires_at, now)})` : ""}.`));
  document.getElementById("ack-title")?.focus();
}

function facts(info: LinkInfo, incident: HTMLElement, now: number): HTMLElement {
  return h("dl", { class: "ack-facts" },
    h("dt", {}, kindText(info.assignment.kind)),
    h("dd", { class: "ack-task", "data-testid": "ack-task" }, info.assignment.title),
    h("dt", {}, "Incident"),
    h("dd", {}, incident),
    info.person ? [h("dt", {}, "Sent to"), h("dd", { "data-testid": "ack-person" }, info.person)] : null,
    h("dt", {}, "Now"),
    h("dd", { "data-testid": "ack-state" }, info.assignment.state, info.used_at ? ` · link used ${formatRelative(info.used_at, now)}` : ""));
}

// The incident's title when this server lets anonymous viewers read it; its id otherwise.
async function incidentTitle(id: string, el: HTMLElement, gen: number): Promise<void> {
  if (!id) return;
  try {
    const inc = await playbookApi.incidentAnonymous(id);
    if (gen === ack.gen && inc.title) el.textContent = `${inc.title} (${id})`;
  } catch {
    // Not readable without a token: the id says enough.
  }
}

function problem(title: string, text: string, retry: boolean, info?: LinkInfo): void {
  const body = document.getElementById("ack-body");
  if (!body) return;
  const incident = info ? h("span", { "data-testid": "ack-incident" }, info.assignment.incident_id) : null;
  if (info && incident) void incidentTitle(info.assignment.incident_id, incident, ack.gen);
  fill(body,
    h("div", { class: "ack-problem", role: "alert", "data-testid": "ack-problem" },
      h("p", { class: "ack-problem-title" }, h("span", { "aria-hidden": "true" }, "✕ "), title),
      h("p", { "data-testid": "ack-message" }, text)),
    info && incident ? facts(info, incident, Date.now()) : null,
    retry ? h("button", { type: "button", "data-testid": "ack-retry", onclick: () => void load(ack.token) }, "Try again") : null,
    h("p", { class: "hint" }, "The dashboard shows every task and who did it; you can act there instead."));
}

async function redeem(token: string, info: LinkInfo): Promise<void> {
  if (ack.busy) return;
  ack.busy = true;
  const btn = document.querySelector<HTMLButtonElement>('[data-testid="ack-confirm"]');
  if (btn) {
    btn.setAttribute("aria-disabled", "true");
    btn.textContent = "Sending…";
  }
  const gen = ack.gen;
  try {
    const done = await playbookApi.redeem(token);
    if (gen !== ack.gen) return;
    const text = linkText(done.action, done.assignment.kind);
    const body = document.getElementById("ack-body");
    if (body) {
      const incident = h("span", { "data-testid": "ack-incident" }, done.assignment.incident_id);
      void incidentTitle(done.assignment.incident_id, incident, gen);
      fill(body,
        h("div", { class: "ack-done", role: "status", "data-testid": "ack-done", "data-state": done.assignment.state },
          h("p", { class: "ack-done-title" }, h("span", { "aria-hidden": "true" }, "✓ "), text.done),
          h("p", {}, "Recorded on the incident's timeline", done.by ? ` as ${done.by}` : "", ".")),
        facts({ ...info, usable: false, assignment: { ...info.assignment, state: done.assignment.state } }, incident, Date.now()));
    }
  } catch (e) {
    if (gen !== ack.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    // A link the server refused stays refused; only a lost connection is worth another try.
    problem(err.status === 0 ? "Not sent" : "The link was refused", linkErrorText(err.status, err.message), err.status === 0, info);
  } finally {
    ack.busy = false;
  }
  document.getElementById("ack-title")?.focus();
}
