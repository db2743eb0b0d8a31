// The incidents list (open first) and one incident's view: its head, the plan's response (the
// console, src/console.ts), the recovery checklist once closed (src/recoveryview.ts) and its
// timeline, all kept live.

import { app, platformName } from "./app";
import { api, ApiError } from "./api";
import { closeConsole, consoleSection, openConsole } from "./console";
import { h } from "./dom";
import { eventLook, formatClock, formatDuration, humanize, verdictLook } from "./format";
import { closeRecovery, openRecovery, recoverySection, setRecoveryIncident } from "./recoveryview";
import { mergeEvents, timelineAfter } from "./state";
import type { Incident } from "./types";

const dialog = () => document.getElementById("incident") as HTMLDialogElement;
let openId: string | null = null;
let loadError = "";

export function incidentOpenFor(): string | null {
  return openId && dialog().open ? openId : null;
}

export function closeIncident(): void {
  if (dialog().open) dialog().close();
  openId = null;
  closeConsole();
  closeRecovery();
}

export function setIncidentsError(msg: string): void {
  loadError = msg;
}

export function renderIncidentList(openIncident: (id: string) => void): void {
  const ul = document.getElementById("incidents")!;
  const focusedId = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-incident]")?.dataset.incident;
  const now = Date.now();
  const items = app.state.incidents.map((inc) => {
    const look = verdictLook(inc.verdict);
    const open = inc.state === "open";
    // An open incident shows how long it has lasted so far; the clock tick keeps it current.
    const when = open
      ? h("span", {}, "open for ", h("time", { class: "dur", datetime: inc.opened_at }, formatDuration((now - Date.parse(inc.opened_at)) / 1000)))
      : h("span", {}, `${formatClock(inc.opened_at, now)}, lasted ${formatDuration(inc.duration_s)}`);
    return h("li", { class: `incident ${open ? "is-open" : "is-closed"}`, "data-testid": `incident-${inc.id}`, "data-state": inc.state, "data-platforms": inc.platforms.join(" ") },
      h("button", { type: "button", class: "incident-button", "data-incident": inc.id, "aria-haspopup": "dialog", onclick: () => openIncident(inc.id) },
        h("span", { class: "incident-top" },
          h("span", { class: `pill tone-${open ? look.tone : "muted"}` }, open ? h("span", { "aria-hidden": "true" }, "● ") : h("span", { "aria-hidden": "true" }, "✓ "), open ? "Open" : "Closed"),
          h("span", { class: "incident-title" }, inc.title || `${humanize(inc.verdict)}: ${inc.platforms.map(platformName).join(", ")}`)),
        h("span", { class: "incident-meta muted" }, `${look.label} · ${inc.platforms.map(platformName).join(", ")} · `, when)));
  });
  if (!items.length) {
    items.push(h("li", { class: "empty muted", "data-testid": "incidents-empty" }, loadError ? `Could not load incidents: ${loadError}` : "No incidents. When a platform fails for real, it shows up here with its timeline."));
  }
  ul.replaceChildren(...items);
  if (focusedId) ul.querySelector<HTMLElement>(`[data-incident="${CSS.escape(focusedId)}"]`)?.focus();
}

export async function openIncidentView(id: string, openPlatform: (id: string) => void): Promise<void> {
  const d = dialog();
  openId = id;
  d.replaceChildren(
    h("div", { class: "sheet-head" },
      h("div", { id: "incident-head", class: "details-head" }, h("h2", { id: "incident-name" }, "Incident")),
      h("button", { type: "button", class: "close quiet", "aria-label": "Close incident", onclick: () => d.close() }, "✕")),
    consoleSection(),
    recoverySection(),
    h("section", { "aria-labelledby": "timeline-title" },
      h("h3", { id: "timeline-title" }, "Timeline"),
      h("ol", { id: "timeline", class: "timeline", "data-testid": "timeline" }, h("li", { class: "muted" }, "Loading…"))),
  );
  if (!d.open) d.showModal();
  if (!d.dataset.wired) {
    // Closed by the user (Esc, ✕) or by routing: the console stops polling.
    d.dataset.wired = "1";
    d.addEventListener("close", () => {
      closeConsole();
      closeRecovery();
    });
  }
  (d.querySelector(".close") as HTMLElement | null)?.focus();
  openConsole(id, { isOpen: () => incidentOpenFor() === id, refreshTimeline: () => refreshTimeline(id) });
  openRecovery(id, () => incidentOpenFor() === id);
  try {
    const [inc, events] = await Promise.all([api.incident(id), api.incidentEvents(id)]);
    if (openId !== id) return;
    // The server's whole timeline replaces what this page kept (a copy from before a restart of a
    // server that reuses ids would hide newer entries from the refresh, which asks after the last).
    const timelines = new Map(app.state.timelines);
    timelines.set(id, mergeEvents([], events.events ?? []));
    const incidents = app.state.incidents.some((i) => i.id === id) ? app.state.incidents.map((i) => (i.id === id ? inc : i)) : app.state.incidents;
    app.state = { ...app.state, timelines, incidents };
    renderIncidentHead(inc, openPlatform);
    renderTimeline(id);
  } catch (e) {
    const msg = e instanceof ApiError ? e.message : String(e);
    document.getElementById("timeline")?.replaceChildren(h("li", { class: "muted" }, `Could not load this incident: ${msg}`));
  }
}

// New entries since the last one shown before a gap: some parts (the ads guard, the calendar)
// write to the timeline without a live event, so the console asks for them while the incident is
// open.
async function refreshTimeline(id: string): Promise<void> {
  const have = app.state.timelines.get(id) ?? [];
  const after = timelineAfter(have);
  const body = await api.incidentEvents(id, after);
  if (!body.events?.length || openId !== id) return;
  const timelines = new Map(app.state.timelines);
  timelines.set(id, mergeEvents(timelines.get(id) ?? [], body.events));
  app.state = { ...app.state, timelines };
  renderTimeline(id);
}

let openPlatformFn: (id: string) => void = () => {};

export function renderIncidentHead(inc: Incident | undefined, openPlatform: (id: string) => void = openPlatformFn): void {
  openPlatformFn = openPlatform;
  const head = document.getElementById("incident-head");
  if (!inc || !head || inc.id !== openId) return;
  setRecoveryIncident(inc);
  const look = verdictLook(inc.verdict);
  const open = inc.state === "open";
  const now = Date.now();
  head.replaceChildren(
    h("h2", { id: "incident-name" }, inc.title || inc.id),
    h("p", {},
      h("span", { class: `pill tone-${open ? look.tone : "muted"}`, "data-testid": "incident-state", "data-state": inc.state }, open ? "● Open" : "✓ Closed"),
      " ",
      h("span", { class: `verdict tone-${look.tone}` }, h("span", { class: "icon", "aria-hidden": "true" }, look.icon), " ", look.label),
      h("span", { class: "muted" }, ` · ${inc.kind} incident · failure domain ${inc.domain}`)),
    h("p", { class: "meta" },
      h("span", {}, `Opened ${formatClock(inc.opened_at, now)}`),
      inc.closed_at ? h("span", {}, `closed ${formatClock(inc.closed_at, now)}`) : null,
      h("span", {}, open ? `ongoing for ${formatDuration((now - Date.parse(inc.opened_at)) / 1000)}` : `lasted ${formatDuration(inc.duration_s)}`)),
    h("p", { class: "platform-links" }, "Platforms: ", ...inc.platforms.flatMap((p, i) => [
      i ? ", " : "",
      h("button", { type: "button", class: "linkish", onclick: () => openPlatform(p) }, platformName(p)),
    ])),
  );
}

export function renderTimeline(id: string): void {
  const ol = document.getElementById("timeline");
  if (!ol || id !== openId) return;
  const events = app.state.timelines.get(id) ?? [];
  const now = Date.now();
  ol.replaceChildren(
    ...(events.length
      ? events.map((e) => {
          const look = eventLook(e.type);
          return h("li", { class: `ev ev-${e.type}`, "data-testid": `timeline-event-${e.seq}`, "data-type": e.type },
            h("span", { class: "ev-icon", "aria-hidden": "true" }, look.icon),
            h("time", { datetime: e.at, class: "ev-time" }, formatClock(e.at, now)),
            h("span", { class: "ev-type" }, look.label),
            h("span", { class: "ev-msg" }, e.message));
        })
      : [h("li", { class: "muted" }, "No events yet.")]),
  );
}
