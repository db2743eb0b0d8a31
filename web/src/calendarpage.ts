// The calendar page (#/calendar): the content calendar's posts by day — what is coming first, then
// the last days —, each with its part per channel and that part's state; held parts stand out with
// the incident holding them (linked to its console). A person adds a post, edits or cancels one that
// has not gone out, holds and releases one by hand, and imports a CSV file (its errors name the line
// and the column); the server's refusals are shown in its words. Kept fresh by /v1/events
// (`calendar` events and the calendar_* timeline entries) and a slow poll. Rules in src/calendar.ts.

import "./calendar.css";
import { ApiError, calendarApi } from "./api";
import { app, openTokenDialog, tokenProblem } from "./app";
import {
  addBody,
  calendarEventIncident,
  channelChoices,
  csvError,
  editBody,
  formFromPost,
  groupByDay,
  holdText,
  livePost,
  partClass,
  partLook,
  postActions,
  postLook,
  verifyLook,
  withPost,
  type CalendarOverview,
  type CalendarPart,
  type CalendarPost,
  type DayGroup,
  type PostAction,
  type PostForm,
} from "./calendar";
import { fill, h, redraw } from "./dom";
import { formatClock } from "./format";
import type { SseMessage } from "./sse";
import { askName, currentName, onNameChanged } from "./whoami";

const POLL_MS = 30_000; // while the page is shown (live events do the rest)
const PAST_DAYS = 7;

const page = {
  visible: false,
  overview: null as CalendarOverview | null,
  posts: [] as CalendarPost[],
  loaded: false,
  error: "",
  needsToken: false,
  timer: null as ReturnType<typeof setTimeout> | null,
  inflight: false,
  again: false,
  gen: 0,
};
// Per post (or "add", "import"): an action under way, its outcome, the post being edited, the
// cancel awaiting confirmation.
const busy = new Set<string>();
const results = new Map<string, { text: string; tone: "ok" | "bad"; needsToken: boolean; lines?: string[] }>();
let editing = "";
let confirming = "";

// ---- wiring (main.ts) ------------------------------------------------------------------------

export function initCalendar(): void {
  const main = h("main", { id: "calendar-page", class: "calendar-page", "data-testid": "calendar-page", "aria-labelledby": "calendar-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "calendar-title", tabindex: "-1" }, "Calendar"),
      h("p", { class: "hint" }, "Scheduled posts go out through the relay's channels at their time. When an incident stops a channel, that channel's part is held — never sent, never marked as sent — and released by policy when the incident closes: published now, moved to the next free slot, or dropped because it expired."),
      h("p", { id: "calendar-whoami", class: "whoami small" }),
      h("div", { id: "calendar-status", "data-testid": "calendar-status" })),
    h("section", { class: "panel", "aria-labelledby": "cal-posts-title" },
      h("h3", { id: "cal-posts-title" }, "Posts"),
      h("div", { id: "calendar-upcoming", "data-testid": "calendar-upcoming" }, h("p", { class: "muted" }, "Loading…")),
      h("h3", { class: "cal-past-title" }, `Gone out, dropped or cancelled (the last ${PAST_DAYS} days)`),
      h("div", { id: "calendar-past", "data-testid": "calendar-past" })),
    h("section", { class: "panel", "aria-labelledby": "cal-add-title", "data-testid": "calendar-add-section" },
      h("h3", { id: "cal-add-title" }, "Add a post"),
      h("form", { id: "calendar-add", class: "cal-form", "data-testid": "calendar-add", onsubmit: (e: Event) => { e.preventDefault(); void add(); } })),
    h("section", { class: "panel", "aria-labelledby": "cal-import-title", "data-testid": "calendar-import-section" },
      h("h3", { id: "cal-import-title" }, "Import a CSV file"),
      h("p", { class: "hint" }, "Columns as schedulers export them: date, message, link (with or without a header row), optionally channels, expires and id. All rows or none: a bad row is named by its line and column."),
      h("form", { class: "cal-import", onsubmit: (e: Event) => { e.preventDefault(); void importCsv(); } },
        h("label", {}, "File ", h("input", { id: "calendar-import-file", type: "file", accept: ".csv,text/csv", "data-testid": "calendar-import-file" })),
        h("fieldset", { class: "cal-channels" }, h("legend", {}, "Channels for rows that name none"), h("div", { id: "calendar-import-channels" })),
        h("label", {}, "Dates with slashes read as ",
          h("select", { id: "calendar-import-dates", "data-testid": "calendar-import-dates" },
            h("option", { value: "" }, "(ISO dates only)"), h("option", { value: "dd/mm/yyyy" }, "dd/mm/yyyy"), h("option", { value: "mm/dd/yyyy" }, "mm/dd/yyyy"))),
        h("div", { class: "buttons" }, h("button", { type: "submit", "data-testid": "calendar-import-submit" }, "Import")),
        h("div", { id: "calendar-import-outcome", "data-testid": "calendar-import-outcome", role: "status", "aria-live": "polite" }))));
  const anchor = document.getElementById("ads-page") ?? document.getElementById("outbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
}

export function showCalendar(show: boolean): void {
  const el = document.getElementById("calendar-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (!show) {
    if (page.timer) clearTimeout(page.timer);
    page.timer = null;
    return;
  }
  if (was) return;
  document.title = "Calendar — Lifeline";
  document.getElementById("calendar-title")?.focus();
  render();
  schedule(0);
}

// Every message of /v1/events: a post the calendar changed goes in at once; its timeline entries
// and incidents opening or closing change what holds a channel (the overview).
export function onCalendarLive(m: SseMessage): void {
  const post = livePost(m);
  if (post) {
    page.posts = withPost(page.posts, post);
    if (page.visible) render();
    return;
  }
  if (calendarEventIncident(m) || m.event === "incident") {
    if (page.visible) schedule(500);
    else page.loaded = false;
  }
}

export function reloadCalendar(): void {
  if (page.visible) schedule(0);
  else page.loaded = false;
}

onNameChanged(() => renderWhoami());

// ---- loading ---------------------------------------------------------------------------------

function schedule(ms: number): void {
  if (!page.visible) return;
  if (page.timer) clearTimeout(page.timer);
  page.timer = setTimeout(() => {
    page.timer = null;
    void load();
  }, ms);
}

async function load(): Promise<void> {
  if (page.inflight) {
    page.again = true;
    return;
  }
  page.inflight = true;
  const gen = ++page.gen;
  try {
    const from = new Date(Date.now() - PAST_DAYS * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const [overview, list, held] = await Promise.all([calendarApi.overview(), calendarApi.posts(from), calendarApi.posts()]);
    if (gen !== page.gen) return;
    page.overview = overview;
    // Every held post, whatever its time, and the recent ones.
    let posts: CalendarPost[] = [];
    for (const p of [...(held.posts ?? []).filter((p) => p.parts.some((x) => x.state === "held")), ...(list.posts ?? [])]) posts = withPost(posts, p);
    page.posts = posts;
    page.loaded = true;
    page.error = "";
    page.needsToken = false;
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    page.needsToken = err.needsToken;
    page.error = err.needsToken ? tokenProblem(err, "The calendar") : err.message;
  } finally {
    page.inflight = false;
    render();
    if (page.again) {
      page.again = false;
      schedule(0);
    } else if (page.visible && !page.timer) {
      schedule(POLL_MS);
    }
  }
}

// ---- actions ---------------------------------------------------------------------------------

function fail(key: string, e: unknown, what: string): void {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
  results.set(key, { text: err.needsToken ? tokenProblem(err, what) : `Refused: ${err.message}`, tone: "bad", needsToken: err.needsToken });
}

async function run(key: string, what: string, fn: (by: string) => Promise<{ post: CalendarPost }>, done: string): Promise<boolean> {
  if (busy.has(key)) return false;
  const by = currentName() || (await askName());
  if (!by) return false;
  busy.add(key);
  results.delete(key);
  render();
  let ok = false;
  try {
    const { post } = await fn(by);
    page.posts = withPost(page.posts, post);
    results.set(key, { text: done, tone: "ok", needsToken: false });
    ok = true;
  } catch (e) {
    fail(key, e, what);
  }
  busy.delete(key);
  render();
  return ok;
}

function readForm(form: HTMLElement): PostForm {
  const val = (name: string) => (form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${name}"]`)?.value ?? "");
  return {
    text: val("text"),
    media: val("media"),
    channels: [...form.querySelectorAll<HTMLInputElement>('input[name="channel"]:checked')].map((c) => c.value),
    at: val("at"),
    expires: val("expires"),
  };
}

async function add(): Promise<void> {
  const form = document.getElementById("calendar-add");
  if (!form) return;
  const f = readForm(form);
  const { body, error } = addBody(f, currentName() || "-");
  if (!body) {
    results.set("add", { text: error, tone: "bad", needsToken: false });
    renderAddOutcome();
    return;
  }
  const ok = await run("add", "Adding a post", (by) => calendarApi.add({ ...body, by }), "Scheduled.");
  if (ok) {
    form.replaceChildren(); // a fresh form for the next post
    renderAddForm();
  }
  renderAddOutcome();
}

async function saveEdit(p: CalendarPost, form: HTMLElement): Promise<void> {
  const key = `post:${p.id}`;
  const { body, error } = editBody(p, readForm(form), currentName() || "-");
  if (!body) {
    results.set(key, { text: error, tone: "bad", needsToken: false });
    render();
    return;
  }
  if (await run(key, "Editing a post", (by) => calendarApi.edit(p.id, { ...body, by }), "Saved.")) editing = "";
  render();
}

async function act(p: CalendarPost, action: PostAction): Promise<void> {
  const key = `post:${p.id}`;
  if (action === "edit") {
    editing = editing === p.id ? "" : p.id;
    confirming = "";
    results.delete(key);
    render();
    return;
  }
  if (action === "cancel") {
    if (confirming !== p.id) {
      confirming = p.id;
      render();
      return;
    }
    confirming = "";
    await run(key, "Cancelling a post", (by) => calendarApi.cancel(p.id, by), "Cancelled: nothing more of it goes out.");
    return;
  }
  await run(key, action === "hold" ? "Holding a post" : "Releasing a post", (by) => calendarApi.act(p.id, action, by), action === "hold" ? "Held until someone releases it." : "Released.");
}

async function importCsv(): Promise<void> {
  const input = document.getElementById("calendar-import-file") as HTMLInputElement | null;
  const file = input?.files?.[0];
  if (!file) {
    results.set("import", { text: "Choose a CSV file first.", tone: "bad", needsToken: false });
    renderImportOutcome();
    return;
  }
  const csv = await file.text();
  const channels = [...document.querySelectorAll<HTMLInputElement>('#calendar-import-channels input[name="channel"]:checked')].map((c) => c.value);
  const dates = (document.getElementById("calendar-import-dates") as HTMLSelectElement | null)?.value ?? "";
  const by = currentName() || (await askName());
  if (!by || busy.has("import")) return;
  busy.add("import");
  results.delete("import");
  renderImportOutcome();
  try {
    const r = await calendarApi.importCsv({ csv, file: file.name, channels, ...(dates ? { date_format: dates } : {}), by });
    for (const p of r.posts ?? []) page.posts = withPost(page.posts, p);
    results.set("import", { text: `Imported ${r.imported} post${r.imported === 1 ? "" : "s"} from ${file.name}.`, tone: "ok", needsToken: false });
    if (input) input.value = "";
  } catch (e) {
    fail("import", e, "Importing a CSV file");
    const err = e instanceof ApiError ? e : null;
    const where = err ? csvError(err.message) : null;
    if (where) {
      results.set("import", {
        text: `Nothing was imported: ${where.file}, line ${where.line}, ${where.column}: ${where.what}`,
        tone: "bad",
        needsToken: false,
        lines: [where.file, String(where.line), where.column],
      });
    }
  }
  busy.delete("import");
  render();
}

// ---- rendering -------------------------------------------------------------------------------

function render(): void {
  if (!document.getElementById("calendar-page")) return;
  renderStatus();
  renderWhoami();
  renderPosts();
  renderAddForm();
  renderAddOutcome();
  renderImportChannels();
  renderImportOutcome();
}

function renderStatus(): void {
  const el = document.getElementById("calendar-status");
  redraw(el, JSON.stringify([page.error, page.overview?.channels]), (el) => {
    if (page.error) {
      fill(el, h("p", { class: "msg-error", role: "alert", "data-testid": "calendar-error" }, `Could not load the calendar: ${page.error} `,
        page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
          : h("button", { type: "button", class: "linkish", onclick: () => schedule(0) }, "Retry")));
      return;
    }
    const stopped = (page.overview?.channels ?? []).filter((c) => c.held_by);
    if (page.overview && !page.overview.channels.length) {
      fill(el, h("p", { class: "notice-inline", "data-testid": "calendar-no-channels" }, "No relay channel is configured, so no post can go out. Add channels: to the configuration (docs/channels.md)."));
    } else if (stopped.length) {
      fill(el, h("ul", { class: "cal-stopped", "data-testid": "calendar-stopped" }, stopped.map((c) =>
        h("li", { class: "tone-warn", "data-testid": `calendar-stopped-${c.name}` }, h("span", { "aria-hidden": "true" }, "‖ "),
          `${c.name}: posts due now are held — ${c.held_by!.reason} `,
          h("a", { href: `#/incident/${encodeURIComponent(c.held_by!.incident_id)}` }, "Open the incident")))));
    } else {
      fill(el);
    }
  });
}

function renderWhoami(): void {
  const el = document.getElementById("calendar-whoami");
  if (!el) return;
  const name = currentName();
  redraw(el, name, () => fill(el,
    name ? ["You are ", h("strong", {}, name), " "] : "Changes are recorded with your name. ",
    h("button", { type: "button", class: "linkish", "data-fkey": "whoami", onclick: () => void askName() }, name ? "Change" : "Set your name")));
}

function incidentTitle(id: string): string {
  return app.state.incidents.find((i) => i.id === id)?.title ?? id;
}

function renderPosts(): void {
  const now = Date.now();
  const groups = groupByDay(page.posts, now, PAST_DAYS);
  const state = (k: string) => [busy.has(k), results.get(k)?.text];
  const key = (list: DayGroup[]) => JSON.stringify([page.loaded, page.error, editing, confirming, page.overview?.channels.map((c) => c.name),
    list.map((g) => [g.label, g.posts.map((p) => [p.id, p.updated_at, p.state, p.parts.map((x) => [x.state, x.note, x.held_by]), state(`post:${p.id}`), p.parts.map((x) => x.held_by && incidentTitle(x.held_by))])])]);
  redraw(document.getElementById("calendar-upcoming"), key(groups.upcoming), (el) => {
    if (!page.loaded) return fill(el, h("p", { class: "muted" }, page.error ? "Unknown: the calendar did not answer." : "Loading…"));
    if (!groups.upcoming.length) return fill(el, h("p", { class: "empty muted", "data-testid": "calendar-empty" }, "Nothing is scheduled."));
    fill(el, groups.upcoming.map((g) => dayBlock(g, now)));
  });
  redraw(document.getElementById("calendar-past"), key(groups.past), (el) => {
    if (!page.loaded) return fill(el);
    if (!groups.past.length) return fill(el, h("p", { class: "empty muted" }, "No post in the last days."));
    fill(el, groups.past.map((g) => dayBlock(g, now)));
  });
}

function dayBlock(g: DayGroup, now: number): HTMLElement {
  return h("section", { class: "cal-day", "data-testid": `calendar-day-${g.day}` },
    h("h4", {}, g.label, " ", h("span", { class: "muted small" }, g.day)),
    h("ul", { class: "msgs" }, g.posts.map((p) => postRow(p, now))));
}

function postRow(p: CalendarPost, now: number): HTMLElement {
  const look = postLook(p.state);
  const key = `post:${p.id}`;
  const held = p.parts.some((x) => x.state === "held");
  const r = results.get(key);
  return h("li", { class: `msg cal-post tone-${look.tone}${held ? " cal-held" : ""}`, "data-testid": `post-${p.id}`, "data-state": p.state },
    h("div", { class: "msg-top" },
      h("span", { class: `pill tone-${look.tone}`, "data-testid": `post-state-${p.id}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
      h("time", { class: "msg-dest", datetime: p.at }, formatClock(p.at, now)),
      h("span", { class: "small muted" }, `${p.id} · by ${p.by}${p.expires ? ` · expires ${formatClock(p.expires, now)}` : ""}`)),
    h("p", { class: "cal-text", "data-testid": `post-text-${p.id}` }, p.text),
    p.media.length ? h("p", { class: "small" }, p.media.flatMap((m, i) => [i ? " · " : "", h("a", { href: m, rel: "noopener noreferrer", target: "_blank" }, m)])) : null,
    p.cancelled_at ? h("p", { class: "small muted", "data-testid": `post-cancelled-${p.id}` }, `Cancelled by ${p.cancelled_by} ${formatClock(p.cancelled_at, now)}: nothing more of it goes out.`)
      : p.edited_at ? h("p", { class: "small muted" }, `Edited by ${p.edited_by} ${formatClock(p.edited_at, now)}`) : null,
    h("ul", { class: "cal-parts" }, p.parts.map((x) => {
      const pl = partLook(x.state);
      const tid = `part-${p.id}-${x.channel}`;
      const due = x.due !== p.at && (x.state === "scheduled" || x.state === "queued") ? ` · due ${formatClock(x.due, now)}` : "";
      return h("li", { class: partClass(x.state), "data-testid": tid, "data-state": x.state, "data-incident": x.held_by ?? "" },
        h("span", { class: "cal-channel" }, x.channel),
        h("span", { class: `pill tone-${pl.tone}`, "data-testid": `${tid}-state` }, h("span", { "aria-hidden": "true" }, `${pl.icon} `), pl.label),
        x.state === "held"
          ? h("span", { class: "cal-hold", "data-testid": `${tid}-hold` }, holdText(x),
            x.held_by ? [" — ", h("a", { href: `#/incident/${encodeURIComponent(x.held_by)}`, "data-testid": `${tid}-incident` }, `incident: ${incidentTitle(x.held_by)}`)] : null)
          : h("span", { class: "small muted" }, (x.state === "published" && x.remote_id ? `post ${x.remote_id}` : x.note) + due),
        verifyBadge(x, tid));
    })),
    editing === p.id ? h("form", { class: "cal-form cal-edit", "data-testid": `post-edit-form-${p.id}`, onsubmit: (e: Event) => { e.preventDefault(); void saveEdit(p, e.currentTarget as HTMLElement); } },
      ...postFields(p, `edit-${p.id}`),
      h("div", { class: "buttons" },
        h("button", { type: "submit", "data-testid": `post-save-${p.id}`, "data-fkey": `save-${p.id}` }, "Save"),
        h("button", { type: "button", class: "quiet", onclick: () => { editing = ""; render(); } }, "Close"))) : null,
    h("div", { class: "msg-actions" },
      postActions(p).filter((a) => !(a === "edit" && editing === p.id)).map((a) => h("button", {
        type: "button",
        class: a === "cancel" ? "danger" : "",
        "data-testid": `post-${a}-${p.id}`,
        "data-fkey": `${a}-${p.id}`,
        "aria-disabled": busy.has(key) ? "true" : null,
        onclick: () => void act(p, a),
      }, a === "edit" ? "Edit" : a === "cancel" ? (confirming === p.id ? "Yes, cancel this post" : "Cancel post") : a === "hold" ? "Hold" : "Release"))),
    busy.has(key) ? h("p", { class: "small muted", "data-testid": `post-result-${p.id}`, "data-tone": "busy" }, "Asking the server…")
      : r ? h("p", { class: `hand-outcome tone-${r.tone}`, role: r.tone === "bad" ? "alert" : "status", "data-testid": `post-result-${p.id}`, "data-tone": r.tone }, r.text,
        r.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null) : null);
}

// The fields of the add and edit forms; `prefix` keeps their ids apart.
function postFields(p: CalendarPost | null, prefix: string): HTMLElement[] {
  const f: PostForm = p ? formFromPost(p) : { text: "", media: "", channels: [], at: "", expires: "" };
  const choices = channelChoices(page.overview?.channels ?? [], p ?? undefined);
  const id = (n: string) => `cal-${prefix}-${n}`;
  return [
    h("label", { for: id("text") }, "Text"),
    h("textarea", { id: id("text"), name: "text", rows: 3, required: true, "data-testid": `${prefix}-text` }, f.text),
    h("label", { for: id("media") }, "Media links (one per line)"),
    h("textarea", { id: id("media"), name: "media", rows: 2, "data-testid": `${prefix}-media`, placeholder: "https://brand.example/winter.jpg" }, f.media),
    h("fieldset", { class: "cal-channels", "data-testid": `${prefix}-channels` }, h("legend", {}, "Channels"),
      choices.length ? choices.map((c) => h("label", { class: "cal-check" },
        h("input", { type: "checkbox", name: "channel", value: c, checked: f.channels.includes(c), "data-testid": `${prefix}-channel-${c}` }), ` ${c}`))
        : h("span", { class: "muted small" }, "No relay channel is configured.")),
    h("div", { class: "cal-times" },
      h("label", {}, "Goes out at ", h("input", { type: "datetime-local", step: 1, name: "at", value: f.at, required: true, "data-testid": `${prefix}-at` })),
      h("label", {}, "Expires (optional) ", h("input", { type: "datetime-local", step: 1, name: "expires", value: f.expires, "data-testid": `${prefix}-expires` }))),
  ];
}

function renderAddForm(): void {
  const form = document.getElementById("calendar-add");
  if (!form) return;
  // Drawn once the channels are known; kept as the person types.
  const names = (page.overview?.channels ?? []).map((c) => c.name).join("\n");
  if (form.dataset.channels === names && form.childElementCount) return;
  const was = form.childElementCount ? readForm(form) : null;
  form.dataset.channels = names;
  fill(form, ...postFields(null, "add"),
    h("div", { class: "buttons" }, h("button", { type: "submit", "data-testid": "add-submit" }, "Schedule")),
    h("p", { id: "calendar-add-outcome", class: "hand-outcome", "data-testid": "add-outcome", role: "status", "aria-live": "polite" }));
  if (was) {
    const set = (n: string, v: string) => {
      const el = form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${n}"]`);
      if (el) el.value = v;
    };
    set("text", was.text);
    set("media", was.media);
    set("at", was.at);
    set("expires", was.expires);
    for (const c of form.querySelectorAll<HTMLInputElement>('input[name="channel"]')) c.checked = was.channels.includes(c.value);
  }
}

function renderAddOutcome(): void {
  const el = document.getElementById("calendar-add-outcome");
  if (!el) return;
  const r = results.get("add");
  el.dataset.tone = busy.has("add") ? "busy" : r?.tone ?? "";
  el.setAttribute("role", r?.tone === "bad" ? "alert" : "status");
  fill(el, busy.has("add") ? "Asking the server…" : r?.text ?? "",
    r?.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null);
}

function renderImportChannels(): void {
  const box = document.getElementById("calendar-import-channels");
  const names = (page.overview?.channels ?? []).map((c) => c.name);
  redraw(box, names.join("\n"), (el) => fill(el, names.length ? names.map((c) => h("label", { class: "cal-check" },
    h("input", { type: "checkbox", name: "channel", value: c, "data-testid": `import-channel-${c}` }), ` ${c}`)) : h("span", { class: "muted small" }, "No relay channel is configured.")));
}

function renderImportOutcome(): void {
  const el = document.getElementById("calendar-import-outcome");
  if (!el) return;
  const r = results.get("import");
  el.dataset.tone = busy.has("import") ? "busy" : r?.tone ?? "";
  el.setAttribute("role", r?.tone === "bad" ? "alert" : "status");
  if (r?.lines) {
    el.dataset.file = r.lines[0] ?? "";
    el.dataset.line = r.lines[1] ?? "";
    el.dataset.column = r.lines[2] ?? "";
  } else {
    delete el.dataset.line;
    delete el.dataset.column;
    delete el.dataset.file;
  }
  fill(el, busy.has("import") ? h("p", { class: "small muted" }, "Importing…")
    : r ? h("p", { class: `hand-outcome tone-${r.tone}` }, r.text, r.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null) : null);
}

// The lookup after publication: a link to the post when found, a red flag when missing.
function verifyBadge(x: CalendarPart, tid: string): HTMLElement | null {
  const v = verifyLook(x);
  if (!v) return null;
  const attrs = { class: `cal-verify tone-${v.tone}`, "data-testid": `${tid}-verified`, "data-verified": x.verified ?? "" };
  return v.link ? h("a", { ...attrs, href: v.link, rel: "noopener noreferrer", target: "_blank" }, v.text) : h("span", attrs, v.text);
}
