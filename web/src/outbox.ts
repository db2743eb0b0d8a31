// The outbox page (#/outbox, #/outbox?state=&channel=) and one message's detail (#/outbox/<id>):
// what needs a person (unconfirmed, failed, dead-lettered messages with their decide, retry and
// cancel controls), and every message, filtered and paged. Kept live by the "outbox" events of
// /v1/events: rows change in place.

import "./outbox.css";
import { ApiError, relayApi } from "./api";
import { openTokenDialog, tokenProblem } from "./app";
import { knownChannels, onChannelsChanged, refreshChannels, scheduleChannelRefresh, startChannelStrip } from "./channels";
import { byId, fill, h, relTime } from "./dom";
import { formatClock, formatRelative, humanize } from "./format";
import { markNav, pageFor } from "./pages";
import {
  ACTION_LABELS,
  ATTENTION_STATES,
  MESSAGE_STATES,
  actionErrorText,
  actionsFor,
  attemptsInAll,
  attemptsText,
  compareNewestFirst,
  destinationText,
  isNewer,
  matchesFilters,
  needsAttention,
  routeText,
  stateLook,
  type Action,
  type CopySource,
  type OutboxFilters,
} from "./relay";
import type { SseMessage } from "./sse";
import type { ContactView, MessageDetail, OutboxLiveEvent, OutboxMessage } from "./types";

const PAGE_SIZE = 50;

// The newest copy of every message the page has seen (listing, live event or action answer).
const messages = new Map<string, OutboxMessage>();
const contacts = new Map<string, ContactView>();
// The last action error per message, shown in its rows until the next action on it.
const errors = new Map<string, { text: string; needsToken: boolean }>();
const busy = new Set<string>();
// Live events counted, and the count at each message's latest live event: a fetched copy is
// stale when a live event about its message came in while it was being fetched.
let liveCount = 0;
const liveAt = new Map<string, number>();
const fetched = (since: number) => (m: OutboxMessage) => absorb(m, { live: false, overtaken: (liveAt.get(m.id) ?? 0) > since });

const list = { filters: { state: "", channel: "" } as OutboxFilters, ids: [] as string[], cursor: null as string | null, loading: false, error: "", gen: 0, loaded: false };
// Rows of the "needs attention" panel: what needed a person at the last load plus what started to
// since. A row a person has just dealt with stays (showing its new state) until the next load.
const attention = { ids: [] as string[], error: "", gen: 0, loaded: false };
const detail = { id: "", data: null as MessageDetail | null, error: "", gen: 0 };

let pageVisible = false;
let pushedDetail = false; // this page pushed the detail's URL, so closing it can go back

// ---- wiring (called by main.ts) ------------------------------------------------------------

export function initRelay(): void {
  buildPage();
  startChannelStrip();
  onChannelsChanged(() => {
    fillChannelFilter();
    renderEmptyHints();
  });
  window.addEventListener("hashchange", routeRelay);
  // Links to a message's detail from inside the page: closing the detail can then go back.
  document.addEventListener("click", (e) => {
    const a = (e.target as HTMLElement | null)?.closest?.("a[href^='#/outbox/']");
    if (a && !e.ctrlKey && !e.metaKey && !e.shiftKey) pushedDetail = true;
  });
  void loadContacts();
  void loadAttention();
  routeRelay();
}

// Every message of /v1/events passes here; "outbox" ones change rows, incident ones may change
// circuits (the relay opens a channel's circuit when its platform's incident opens).
export function onRelayMessage(m: SseMessage): void {
  if (m.event === "incident") {
    scheduleChannelRefresh(300);
    setTimeout(() => scheduleChannelRefresh(0), 2000);
    return;
  }
  if (m.event !== "outbox") return;
  let ev: OutboxLiveEvent;
  try {
    ev = JSON.parse(m.data) as OutboxLiveEvent;
  } catch {
    return;
  }
  if (!ev?.message?.id) return;
  scheduleChannelRefresh(500);
  liveAt.set(ev.message.id, ++liveCount);
  absorb(ev.message, { live: true });
  if (detail.id === ev.message.id) scheduleDetailReload();
}

// After a (re)connection of the live stream: events may have been missed.
export function onRelayResync(): void {
  void refreshChannels();
  void loadContacts();
  void loadAttention();
  if (pageVisible) void loadList(true);
  else list.loaded = false; // reloaded when the page is shown
  if (detail.id) void loadDetail(detail.id);
}

// ---- state changes ---------------------------------------------------------------------------

// Takes a copy of a message if it is newer than the one we have, and updates the page. A live
// copy may be new to the lists.
function absorb(m: OutboxMessage, source: CopySource): void {
  const have = messages.get(m.id);
  if (!isNewer(m, have, source)) return;
  messages.set(m.id, have && m.text === undefined ? { ...m, text: have.text, subject: have.subject } : m);
  if (source.live) {
    if (needsAttention(m.state) && attention.loaded && !attention.ids.includes(m.id)) {
      attention.ids = [m.id, ...attention.ids];
      attention.ids.sort((a, b) => compareNewestFirst(messages.get(a)!, messages.get(b)!));
      if (pageVisible) renderAttention();
    }
    // A message that now belongs in the list joins it in its place (newest first), unless it
    // is older than what is loaded so far: then "More" brings it.
    if (list.loaded && !list.ids.includes(m.id) && matchesFilters(m, list.filters)) {
      const last = messages.get(list.ids[list.ids.length - 1] ?? "");
      if (!list.cursor || !last || compareNewestFirst(m, last) <= 0) {
        list.ids = [...list.ids, m.id].sort((a, b) => compareNewestFirst(messages.get(a)!, messages.get(b)!));
        if (pageVisible) renderList();
      }
    }
  }
  updateRows(m.id);
  renderBadge();
  if (detail.id === m.id && detail.data) {
    detail.data = { ...detail.data, message: messages.get(m.id)! };
    renderDetailHead();
  }
}

// ---- loading ---------------------------------------------------------------------------------

async function loadContacts(): Promise<void> {
  try {
    const body = await relayApi.contacts();
    contacts.clear();
    for (const c of body.contacts ?? []) contacts.set(c.id, c);
  } catch {
    // Names are a nicety: rows show the contact's id without them.
  }
}

async function loadAttention(): Promise<void> {
  const gen = ++attention.gen;
  const take = fetched(liveCount);
  try {
    const pages = await Promise.all(ATTENTION_STATES.map((state) => relayApi.outbox({ state, limit: PAGE_SIZE })));
    if (gen !== attention.gen) return;
    const found: OutboxMessage[] = [];
    for (const p of pages) for (const m of p.messages ?? []) found.push(m);
    for (const m of found) take(m);
    attention.ids = [...new Set(found.map((m) => m.id))].sort((a, b) => compareNewestFirst(messages.get(a)!, messages.get(b)!));
    attention.error = "";
  } catch (e) {
    if (gen !== attention.gen) return;
    attention.error = describe(e);
  }
  attention.loaded = true;
  renderBadge();
  if (pageVisible) renderAttention();
}

async function loadList(reset: boolean): Promise<void> {
  const gen = reset ? ++list.gen : list.gen;
  if (reset) list.cursor = null;
  else if (!list.cursor || list.loading) return;
  list.loading = true;
  renderListFoot();
  const take = fetched(liveCount);
  try {
    const page = await relayApi.outbox({ state: list.filters.state, channel: list.filters.channel, limit: PAGE_SIZE, cursor: reset ? "" : (list.cursor ?? "") });
    if (gen !== list.gen) return; // the filters changed meanwhile
    for (const m of page.messages ?? []) take(m);
    const ids = (page.messages ?? []).map((m) => m.id);
    list.ids = reset ? ids : [...list.ids, ...ids.filter((id) => !list.ids.includes(id))];
    list.cursor = page.next_cursor ?? null;
    list.error = "";
    list.loaded = true;
  } catch (e) {
    if (gen !== list.gen) return;
    list.error = describe(e);
  } finally {
    if (gen === list.gen) list.loading = false;
  }
  renderList();
}

let detailTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleDetailReload(): void {
  if (detailTimer) return;
  detailTimer = setTimeout(() => {
    detailTimer = null;
    if (detail.id) void loadDetail(detail.id);
  }, 150);
}

async function loadDetail(id: string): Promise<void> {
  const gen = ++detail.gen;
  const take = fetched(liveCount);
  try {
    const body = await relayApi.message(id);
    if (gen !== detail.gen || detail.id !== id) return;
    take(body.message);
    detail.data = { message: messages.get(id) ?? body.message, events: body.events ?? [] };
    detail.error = "";
  } catch (e) {
    if (gen !== detail.gen || detail.id !== id) return;
    detail.error = describe(e);
  }
  renderDetail();
}

function describe(e: unknown): string {
  if (e instanceof ApiError) return e.needsToken ? tokenProblem(e, "The outbox") : e.message;
  return String(e);
}

// ---- actions ---------------------------------------------------------------------------------

async function act(id: string, action: Action): Promise<void> {
  if (busy.has(id)) return;
  busy.add(id);
  errors.delete(id);
  updateRows(id);
  const take = fetched(liveCount);
  try {
    const call =
      action === "retry" ? relayApi.retry(id)
      : action === "cancel" ? relayApi.cancel(id)
      : relayApi.decide(id, action === "arrived");
    const body = await call;
    busy.delete(id);
    take(body.message);
  } catch (e) {
    busy.delete(id);
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    errors.set(id, err.needsToken
      ? { text: tokenProblem(err, `${ACTION_LABELS[action]}`), needsToken: true }
      : { text: actionErrorText(action, err.status, err.message), needsToken: false });
    // A conflict means the message moved on: show where it is now.
    if (err.status === 409) {
      try {
        const since = liveCount;
        fetched(since)((await relayApi.message(id)).message);
      } catch {
        // The error line already says what went wrong.
      }
    }
  }
  updateRows(id);
  if (detail.id === id) {
    renderDetailHead();
    scheduleDetailReload();
  }
}

// ---- the page --------------------------------------------------------------------------------

function buildPage(): void {
  const stateSel = h("select", { id: "outbox-filter-state", "data-testid": "outbox-filter-state" },
    h("option", { value: "" }, "every state"),
    MESSAGE_STATES.map((s) => h("option", { value: s }, stateLook(s).label)));
  const channelSel = h("select", { id: "outbox-filter-channel", "data-testid": "outbox-filter-channel" }, h("option", { value: "" }, "every channel"));
  const onFilter = () => setFilters({ state: stateSel.value, channel: channelSel.value }, true);
  stateSel.addEventListener("change", onFilter);
  channelSel.addEventListener("change", onFilter);
  const page = h("main", { id: "outbox-page", class: "outbox-page", "data-testid": "outbox-page", "aria-labelledby": "outbox-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "outbox-title", tabindex: "-1" }, "Outbox"),
      h("p", { class: "hint" }, "Every message Lifeline accepted for delivery — team alerts, announcements, replies — and what became of it. Nothing accepted is dropped: what could not be delivered waits here for a person."),
      h("p", { id: "outbox-no-channels", class: "notice-inline", "data-testid": "outbox-no-channels", hidden: true }, "No channels are configured, so nothing can be sent. Add a channels: section to the configuration (docs/channels.md).")),
    h("section", { class: "panel", "aria-labelledby": "attention-title", "data-testid": "outbox-attention" },
      h("h3", { id: "attention-title" }, "Needs attention"),
      h("p", { class: "hint" }, "Unconfirmed messages need a decision: only the recipient knows whether one arrived. Failed and dead-lettered ones can be retried once the cause is fixed."),
      h("ul", { id: "attention-list", class: "msgs", "data-testid": "attention-list" })),
    h("section", { class: "panel", "aria-labelledby": "messages-title" },
      h("div", { class: "section-head outbox-filters" },
        h("h3", { id: "messages-title" }, "Messages"),
        h("label", {}, "State ", stateSel),
        h("label", {}, "Channel ", channelSel),
        h("span", { id: "outbox-count", class: "muted small", "data-testid": "outbox-count", "aria-live": "polite" })),
      h("ul", { id: "outbox-list", class: "msgs", "data-testid": "outbox-list" }),
      h("div", { class: "outbox-foot" },
        h("button", { type: "button", id: "outbox-more", "data-testid": "outbox-more", hidden: true, onclick: () => void loadList(false) }, "More"),
        h("p", { id: "outbox-list-status", class: "muted", "data-testid": "outbox-list-status", role: "status" }))),
  );
  const board = document.querySelector("main.layout");
  board?.after(page);
  const d = h("dialog", { id: "outbox-detail", class: "sheet", "data-testid": "outbox-detail", "aria-labelledby": "outbox-detail-title" });
  d.addEventListener("close", onDetailClosed);
  document.body.appendChild(d);
}

function setFilters(f: OutboxFilters, fromControls: boolean): void {
  const same = f.state === list.filters.state && f.channel === list.filters.channel;
  list.filters = f;
  if (fromControls) {
    // The filters are part of the address (a channel chip on the board links to its messages).
    const q = [f.state ? `state=${encodeURIComponent(f.state)}` : "", f.channel ? `channel=${encodeURIComponent(f.channel)}` : ""].filter(Boolean).join("&");
    history.replaceState(null, "", `#/outbox${q ? `?${q}` : ""}`);
  }
  byId<HTMLSelectElement>("outbox-filter-state").value = f.state;
  fillChannelFilter();
  if (!same || !list.loaded) {
    list.ids = [];
    list.loaded = false;
    void loadList(true);
  }
  renderList();
}

function fillChannelFilter(): void {
  const sel = document.getElementById("outbox-filter-channel") as HTMLSelectElement | null;
  if (!sel) return;
  const names = knownChannels().map((c) => c.name);
  // A channel named in the address stays choosable before (or without) the channel list.
  if (list.filters.channel && !names.includes(list.filters.channel)) names.push(list.filters.channel);
  const key = names.join("\n");
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.replaceChildren(h("option", { value: "" }, "every channel"), ...names.map((n) => h("option", { value: n }, n)));
  }
  sel.value = list.filters.channel;
}

function renderEmptyHints(): void {
  const el = document.getElementById("outbox-no-channels");
  if (el) el.hidden = knownChannels().length > 0 || !list.loaded;
}

// ---- routing ---------------------------------------------------------------------------------

function routeRelay(): void {
  const m = /^#\/outbox(?:\/([^?]*))?(?:\?(.*))?$/.exec(location.hash);
  markNav(pageFor(location));
  if (!m) {
    closeDetail();
    showPage(false);
    return;
  }
  const id = m[1] ? decodeURIComponent(m[1]) : "";
  if (!id) {
    pushedDetail = false;
    const params = new URLSearchParams(m[2] ?? "");
    const f = { state: params.get("state") ?? "", channel: params.get("channel") ?? "" };
    if (!pageVisible || f.state !== list.filters.state || f.channel !== list.filters.channel) setFilters(f, false);
  } else if (!list.loaded) {
    setFilters(list.filters, false);
  }
  showPage(true);
  if (id) openDetail(id);
  else closeDetail();
}

function showPage(show: boolean): void {
  const page = document.getElementById("outbox-page");
  if (!page) return;
  const was = pageVisible;
  pageVisible = show;
  page.hidden = !show;
  const now = pageFor(location);
  document.body.dataset.page = now;
  if (show && !was) {
    document.title = "Outbox — Lifeline";
    void loadAttention();
    renderAttention();
    renderList();
    if (!detail.id) byId("outbox-title").focus();
  } else if (!show && was && now === "board") {
    document.title = "Lifeline — is it down for everyone?";
  }
}

// ---- rendering: rows -------------------------------------------------------------------------

function renderBadge(): void {
  const el = document.getElementById("nav-outbox-count");
  if (!el) return;
  const n = attention.ids.filter((id) => needsAttention(messages.get(id)?.state ?? "")).length;
  el.hidden = n === 0;
  el.textContent = n >= PAGE_SIZE ? `${n}+` : String(n);
  el.title = `${n} message${n === 1 ? "" : "s"} need${n === 1 ? "s" : ""} a person: unconfirmed, failed or dead-lettered`;
}

function renderAttention(): void {
  const ul = document.getElementById("attention-list");
  if (!ul) return;
  if (attention.error) {
    ul.replaceChildren(h("li", { class: "empty muted", "data-testid": "attention-error" }, `Could not load the outbox: ${attention.error}`));
    return;
  }
  if (!attention.loaded) {
    ul.replaceChildren(h("li", { class: "empty muted" }, "Loading…"));
    return;
  }
  syncRows(ul, attention.ids, "attention");
  if (!attention.ids.length) ul.replaceChildren(h("li", { class: "empty muted", "data-testid": "attention-empty" }, "Nothing needs a person: no unconfirmed, failed or dead-lettered messages."));
}

function renderList(): void {
  const ul = document.getElementById("outbox-list");
  if (!ul) return;
  syncRows(ul, list.ids, "outbox");
  if (!list.ids.length && !list.error) {
    const f = list.filters;
    const what = [f.state ? `in state “${stateLook(f.state).label}”` : "", f.channel ? `on ${f.channel}` : ""].filter(Boolean).join(" ");
    ul.replaceChildren(h("li", { class: "empty muted", "data-testid": "outbox-empty" },
      !list.loaded ? "Loading…" : what ? `No messages ${what}.` : "No messages yet. Alerts, announcements and replies appear here as soon as they are accepted."));
  }
  renderListFoot();
  renderEmptyHints();
}

function renderListFoot(): void {
  const more = document.getElementById("outbox-more") as HTMLButtonElement | null;
  const status = document.getElementById("outbox-list-status");
  const count = document.getElementById("outbox-count");
  if (!more || !status || !count) return;
  more.hidden = !list.cursor;
  more.disabled = list.loading;
  more.textContent = list.loading && list.cursor ? "Loading…" : "More";
  status.textContent = list.error ? `Could not load the messages: ${list.error}` : "";
  status.dataset.tone = list.error ? "bad" : "";
  count.textContent = list.loaded ? `${list.ids.length}${list.cursor ? "+" : ""} shown` : "";
}

// Makes `ul` hold one row per id in that order, reusing the rows it has (a row is updated in
// place, so it keeps its identity, its focus and anyone's observers).
function syncRows(ul: HTMLElement, ids: string[], prefix: string): void {
  const have = new Map<string, HTMLElement>();
  for (const li of ul.querySelectorAll<HTMLElement>(":scope > li[data-id]")) have.set(li.dataset.id!, li);
  const rows = ids.filter((id) => messages.has(id)).map((id) => {
    const row = have.get(id) ?? h("li", { class: "msg", "data-id": id, "data-testid": `${prefix}-row-${id}`, "data-prefix": prefix });
    renderRow(row, messages.get(id)!, prefix);
    return row;
  });
  const current = [...ul.children];
  if (current.length !== rows.length || current.some((c, i) => c !== rows[i])) ul.replaceChildren(...rows);
}

function updateRows(id: string): void {
  const m = messages.get(id);
  if (!m) return;
  for (const row of document.querySelectorAll<HTMLElement>(`li.msg[data-id="${CSS.escape(id)}"]`)) renderRow(row, m, row.dataset.prefix ?? "outbox");
}

function renderRow(row: HTMLElement, m: OutboxMessage, prefix: string): void {
  const id = m.id;
  const look = stateLook(m.state);
  const now = Date.now();
  const focusedAction = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-action]");
  const refocus = focusedAction && row.contains(focusedAction) ? focusedAction.dataset.action : null;
  row.className = `msg tone-${look.tone}`;
  // Set only when changed: a test (or a screen reader) sees each state the message went through.
  if (row.dataset.state !== m.state) row.dataset.state = m.state;
  if (row.dataset.attempts !== String(m.attempts)) row.dataset.attempts = String(m.attempts);
  row.dataset.channel = m.channel;
  const route = routeText(m);
  const err = errors.get(id);
  const body = [m.subject, m.text].filter(Boolean).join(" — ");
  const contactName = m.contact ? contacts.get(m.contact)?.name : undefined;
  fill(row,
    h("div", { class: "msg-top" },
      h("span", { class: `pill tone-${look.tone}`, "data-testid": `${prefix}-state-${id}`, title: look.hint }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
      h("a", { class: "msg-dest", href: `#/outbox/${encodeURIComponent(id)}`, "data-testid": `${prefix}-open-${id}`, "data-action": "open" }, destinationText(m, contactName)),
      h("span", { class: "msg-when muted small" }, relTime(m.updated_at, formatRelative(m.updated_at, now)))),
    body ? h("p", { class: "msg-text" }, body) : null,
    route ? h("p", { class: "msg-route", "data-testid": `${prefix}-route-${id}` }, h("span", { class: "label" }, "Route "), route) : null,
    m.last_reason ? h("p", { class: "msg-reason", "data-testid": `${prefix}-reason-${id}` }, h("span", { class: "label" }, m.state === "delivered" ? "Note " : "Reason "), m.last_reason) : null,
    h("p", { class: "meta" },
      h("span", { "data-testid": `${prefix}-attempts-${id}` }, attemptsText(m, now, formatRelative)),
      m.incident_id ? h("a", { href: `#/incident/${encodeURIComponent(m.incident_id)}` }, `incident ${m.incident_id}`) : null,
      h("span", { class: "mono" }, id)),
    actionBar(m, prefix),
    err ? h("p", { class: "msg-error", role: "alert", "data-testid": `${prefix}-error-${id}` }, err.text, " ",
      err.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(err.text) }, "Enter an API token") : null) : null,
  );
  if (refocus) {
    const target = row.querySelector<HTMLElement>(`[data-action="${refocus}"]`) ?? row.querySelector<HTMLElement>('[data-action="open"]');
    target?.focus();
  }
}

function actionBar(m: OutboxMessage, prefix: string): HTMLElement | null {
  const actions = actionsFor(m.state);
  if (!actions.length) return null;
  const working = busy.has(m.id);
  return h("div", { class: "msg-actions", role: "group", "aria-label": "Actions" },
    m.state === "unconfirmed" ? h("span", { class: "small muted" }, "Did it arrive?") : null,
    actions.map((a) =>
      h("button", {
        type: "button",
        class: a === "arrived" || a === "retry" ? "primary" : a === "cancel" ? "quiet" : "",
        "data-testid": `${prefix}-${a}-${m.id}`,
        "data-action": a,
        // Not `disabled`: a disabled button drops the keyboard focus while the request runs.
        "aria-disabled": working ? "true" : null,
        title: actionTitle(a),
        onclick: () => void act(m.id, a),
      }, ACTION_LABELS[a])));
}

function actionTitle(a: Action): string {
  switch (a) {
    case "retry":
      return "Queue it again on its channel (attempts keep counting)";
    case "cancel":
      return "Send nothing more";
    case "arrived":
      return "The recipient has it: mark it delivered";
    case "send-again":
      return "It did not arrive: queue it again (the recipient may get it twice)";
  }
}

// ---- rendering: one message's detail ---------------------------------------------------------

const detailDialog = () => document.getElementById("outbox-detail") as HTMLDialogElement | null;

function openDetail(id: string): void {
  const d = detailDialog();
  if (!d) return;
  if (detail.id === id && d.open) return;
  detail.id = id;
  detail.data = messages.has(id) ? { message: messages.get(id)!, events: [] } : null;
  detail.error = "";
  d.replaceChildren(
    h("div", { class: "sheet-head" },
      h("div", { id: "outbox-detail-head", class: "details-head" }, h("h2", { id: "outbox-detail-title" }, "Message")),
      h("button", { type: "button", class: "close quiet", "aria-label": "Close message", onclick: () => d.close() }, "✕")),
    h("dl", { id: "outbox-detail-facts", class: "msg-facts", "data-testid": "outbox-detail-facts" }),
    h("section", { "aria-labelledby": "outbox-events-title" },
      h("h3", { id: "outbox-events-title" }, "What happened"),
      h("ol", { id: "outbox-events", class: "timeline", "data-testid": "outbox-events" }, h("li", { class: "muted" }, "Loading…"))),
  );
  if (!d.open) d.showModal();
  d.querySelector<HTMLElement>(".close")?.focus();
  renderDetail();
  void loadDetail(id);
}

function closeDetail(): void {
  const d = detailDialog();
  detail.id = "";
  detail.data = null;
  if (d?.open) d.close();
}

// Closed by the user (Esc, ✕): leave the message's address for the outbox's.
function onDetailClosed(): void {
  detail.id = "";
  detail.data = null;
  if (!location.hash.startsWith("#/outbox/")) return; // closed by routing: the URL already moved
  if (pushedDetail) {
    pushedDetail = false;
    history.back();
  } else {
    history.replaceState(null, "", "#/outbox");
    routeRelay();
  }
}

function renderDetail(): void {
  renderDetailHead();
  renderEvents();
}

function renderDetailHead(): void {
  const head = document.getElementById("outbox-detail-head");
  const facts = document.getElementById("outbox-detail-facts");
  if (!head || !facts) return;
  const m = detail.data?.message ?? messages.get(detail.id);
  if (!m) {
    fill(head, h("h2", { id: "outbox-detail-title" }, "Message"), detail.error ? h("p", { class: "msg-error", role: "alert", "data-testid": "outbox-detail-error" }, `Could not load ${detail.id}: ${detail.error}`) : h("p", { class: "muted" }, "Loading…"));
    facts.replaceChildren();
    return;
  }
  const look = stateLook(m.state);
  const route = routeText(m);
  const contactName = m.contact ? contacts.get(m.contact)?.name : undefined;
  const err = errors.get(m.id);
  fill(head,
    h("h2", { id: "outbox-detail-title" }, m.subject || `Message to ${destinationText(m, contactName)}`),
    h("p", {},
      h("span", { class: `pill big tone-${look.tone}`, "data-testid": "outbox-detail-state", "data-state": m.state }, `${look.icon} ${look.label}`),
      " ", h("span", { class: "muted" }, look.hint)),
    route ? h("p", { class: "msg-route", "data-testid": "outbox-detail-route" }, h("span", { class: "label" }, "Route "), route) : null,
    m.last_reason ? h("p", { class: "msg-reason", "data-testid": "outbox-detail-reason" }, h("span", { class: "label" }, m.state === "delivered" ? "Note " : "Reason "), m.last_reason) : null,
    actionBar(m, "outbox-detail"),
    err ? h("p", { class: "msg-error", role: "alert", "data-testid": "outbox-detail-action-error" }, err.text) : null,
    detail.error ? h("p", { class: "msg-error", role: "alert" }, `Could not refresh: ${detail.error}`) : null,
  );
  const now = Date.now();
  const all = attemptsInAll(detail.data?.events ?? []);
  const rows: [string, Node | string][] = [
    ["To", destinationText(m, contactName)],
    ["Text", m.text ?? "—"],
    ["Attempts", attemptsText(m, now, formatRelative) + (all > m.attempts ? ` (${all} in all: retries and failovers start the count again)` : "")],
    ["Accepted", `${formatClock(m.created_at, now)} (${formatRelative(m.created_at, now)})`],
    ["Last change", `${formatClock(m.updated_at, now)} (${formatRelative(m.updated_at, now)})`],
  ];
  if (m.incident_id) rows.push(["Incident", h("a", { href: `#/incident/${encodeURIComponent(m.incident_id)}` }, m.incident_id)]);
  if (m.remote_id) rows.push(["The channel's id", m.remote_id]);
  rows.push(["Idempotency key", m.idempotency_key], ["Id", m.id]);
  facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function renderEvents(): void {
  const ol = document.getElementById("outbox-events");
  if (!ol) return;
  const events = detail.data?.events ?? [];
  if (!events.length) {
    ol.replaceChildren(h("li", { class: "muted" }, detail.error ? "No events to show." : "Loading…"));
    return;
  }
  const now = Date.now();
  ol.replaceChildren(...events.map((e) => {
    const look = stateLook(e.state);
    return h("li", { class: `ev ev-msg-${e.type}`, "data-testid": `outbox-event-${e.seq}`, "data-type": e.type, "data-state": e.state },
      h("span", { class: "ev-icon", "aria-hidden": "true" }, look.icon),
      h("time", { datetime: e.at, class: "ev-time" }, formatClock(e.at, now)),
      h("span", { class: "ev-type" }, humanize(e.type)),
      h("span", { class: "ev-msg" }, e.detail || look.label, e.type !== e.state ? h("span", { class: "muted" }, ` → ${look.label.toLowerCase()}`) : null));
  }));
}
