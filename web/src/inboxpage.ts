// The inbox page (#/inbox, #/inbox/<conversation>, filters in ?state=&channel=&waiting=1): customer
// conversations, customers waiting longest first with a live "waiting 12 min", each one's channel
// (and the channel a failover moved it from, standing out), state, priority and assignee; one
// conversation's thread in the customer's order with its channel switches, late arrivals, outgoing
// statuses and WhatsApp's 24-hour window; reply (one idempotency key per attempt), assign, resolve,
// snooze and reopen, asking who acts once; the server's refusals in its words; and the sweep after
// an incident (?sweep=ID). Live on `conversation` events (and the relay's `outbox` events for reply
// statuses). Rules in src/inbox.ts.

import "./inbox.css";
import { ApiError, api, inboxApi } from "./api";
import { openTokenDialog, platformName, tokenProblem } from "./app";
import { fill, h, redraw } from "./dom";
import { formatClock, formatDuration } from "./format";
import {
  CONVERSATION_STATES,
  DEFAULT_FILTERS,
  SNOOZE_CHOICES,
  authorText,
  catchUpLook,
  contactName,
  conversationActions,
  inboxHash,
  inboxRelayId,
  lateText,
  listQuery,
  liveConversation,
  newReplyKey,
  parseInboxHash,
  platformStatusText,
  priorityLook,
  replyAttempt,
  snoozeUntil,
  sortConversations,
  stateLook,
  statusLook,
  threadItems,
  waitingLook,
  waitingMs,
  windowLook,
  withConversation,
  type Conversation,
  type ConversationAction,
  type ConversationDetail,
  type InboxFilters,
  type InboxMessage,
  type ReplyAttempt,
  type Sweep,
} from "./inbox";
import type { SseMessage } from "./sse";
import type { Incident } from "./types";
import { askName, currentName, onNameChanged } from "./whoami";

const POLL_MS = 30_000; // while the page is shown (live events do the rest)

const page = {
  visible: false,
  filters: { ...DEFAULT_FILTERS } as InboxFilters,
  list: [] as Conversation[],
  channels: new Set<string>(), // every channel seen, for the filter
  loaded: false,
  error: "",
  needsToken: false,
  gen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
};
const thread = {
  id: "",
  data: null as ConversationDetail | null,
  error: "",
  gen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
  focus: false, // move focus to the thread once it is drawn (opened by the person)
};
const sweep = {
  incidents: [] as Incident[],
  chosen: "",
  data: null as Sweep | null,
  error: "",
  loading: false,
  gen: 0,
  listed: false,
};
// Per conversation: the reply being sent (its key is reused while its text is the same).
const attempts = new Map<string, ReplyAttempt>();
// Per key ("reply:<id>", "act:<id>"): an action under way, its outcome.
const busy = new Set<string>();
const results = new Map<string, { text: string; tone: "ok" | "bad"; needsToken: boolean }>();

// ---- wiring (main.ts) ------------------------------------------------------------------------

export function initInbox(): void {
  const stateSel = h("select", { id: "inbox-filter-state", "data-testid": "inbox-filter-state" },
    h("option", { value: "" }, "not resolved"),
    h("option", { value: "all" }, "every state"),
    CONVERSATION_STATES.map((s) => h("option", { value: s }, stateLook(s).label.toLowerCase())));
  const channelSel = h("select", { id: "inbox-filter-channel", "data-testid": "inbox-filter-channel" }, h("option", { value: "" }, "every channel"));
  const waiting = h("input", { type: "checkbox", id: "inbox-filter-waiting", "data-testid": "inbox-filter-waiting" });
  const onFilter = () => setFilters({ state: stateSel.value, channel: channelSel.value, waiting: waiting.checked });
  stateSel.addEventListener("change", onFilter);
  channelSel.addEventListener("change", onFilter);
  waiting.addEventListener("change", onFilter);
  const main = h("main", { id: "inbox-page", class: "inbox-page", "data-testid": "inbox-page", "aria-labelledby": "inbox-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "inbox-title", tabindex: "-1" }, "Inbox"),
      h("p", { class: "hint" }, "Customer conversations, one per customer across channels, customers waiting longest first. Messages read in the order the customer wrote them, even when a backlog arrives late; when a failover moves a conversation to a backup channel, replies go there."),
      h("p", { id: "inbox-whoami", class: "whoami small" }),
      h("div", { id: "inbox-status", "data-testid": "inbox-status" })),
    h("div", { class: "inbox-grid" },
      h("section", { class: "panel inbox-list-panel", "aria-labelledby": "inbox-list-title" },
        h("div", { class: "section-head inbox-filters" },
          h("h3", { id: "inbox-list-title" }, "Conversations"),
          h("label", {}, "State ", stateSel),
          h("label", {}, "Channel ", channelSel),
          h("label", {}, waiting, " waiting only"),
          h("span", { id: "inbox-count", class: "muted small", "data-testid": "inbox-count", "aria-live": "polite" })),
        h("ul", { id: "inbox-list", class: "conv-list", "data-testid": "conversation-list" }, h("li", { class: "muted" }, "Loading…"))),
      h("section", { id: "inbox-thread", class: "panel inbox-thread", "data-testid": "thread", "aria-labelledby": "thread-title" },
        h("p", { class: "muted" }, "Choose a conversation to read it and reply."))),
    h("section", { class: "panel", "aria-labelledby": "sweep-title", "data-testid": "sweep-section" },
      h("h3", { id: "sweep-title" }, "After an incident: what waits"),
      h("p", { class: "hint" }, "Once a platform is back, the sweep lists every customer still waiting, every message that arrived during the incident (and up to an hour after it), unanswered ones first, and what the failover moved."),
      h("form", { class: "sweep-form", onsubmit: (e: Event) => { e.preventDefault(); chooseSweep((document.getElementById("sweep-incident") as HTMLSelectElement | null)?.value ?? ""); } },
        h("label", {}, "Incident ", h("select", { id: "sweep-incident", "data-testid": "sweep-incident" })),
        h("button", { type: "submit", "data-testid": "sweep-run" }, "Show what waits")),
      h("div", { id: "sweep-result", "data-testid": "sweep-result", "aria-live": "polite" })));
  const anchor = document.getElementById("calendar-page") ?? document.getElementById("ads-page") ?? document.getElementById("outbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
  setInterval(tick, 5000);
}

export function showInbox(show: boolean): void {
  const el = document.getElementById("inbox-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (!show) {
    if (page.timer) clearTimeout(page.timer);
    page.timer = null;
    return;
  }
  const route = parseInboxHash(location.hash) ?? { conversation: "", filters: { ...DEFAULT_FILTERS }, sweep: "" };
  const filtersChanged = JSON.stringify(route.filters) !== JSON.stringify(page.filters);
  page.filters = route.filters;
  syncFilterControls();
  if (!was) {
    document.title = "Inbox — Lifeline";
    if (!route.conversation) document.getElementById("inbox-title")?.focus();
  }
  if (!was || filtersChanged || !page.loaded) schedule(0);
  if (route.conversation !== thread.id) openThread(route.conversation, was);
  else if (!was && thread.id) void loadThread();
  if (route.sweep && route.sweep !== sweep.chosen) chooseSweep(route.sweep, false);
  if (!was) void loadIncidents();
  render();
}

export function onInboxLive(m: SseMessage): void {
  const live = liveConversation(m);
  if (live) {
    const c = live.conversation;
    page.channels.add(c.channel);
    if (page.loaded) {
      page.list = withConversation(page.list, c, page.filters);
      if (page.visible) renderList();
    }
    if (thread.id === c.id) {
      if (thread.data) thread.data = { ...thread.data, ...c };
      if (page.visible) renderThread();
      scheduleThread(150); // the event carries the conversation, not its messages
    }
    if (sweep.data && page.visible && live.change !== "assigned") scheduleSweep();
    return;
  }
  const relayId = inboxRelayId(m);
  if (relayId && thread.data?.messages.some((x) => x.relay_id === relayId)) {
    // The inbox copies the relay's outcome a moment after the relay announces it.
    scheduleThread(400);
    setTimeout(() => scheduleThread(0), 1500);
    return;
  }
  if (m.event === "incident") {
    if (page.visible) void loadIncidents();
    else sweep.listed = false;
  }
}

export function reloadInbox(): void {
  if (page.visible) {
    schedule(0);
    if (thread.id) scheduleThread(0);
    void loadIncidents();
    if (sweep.chosen) scheduleSweep();
  } else {
    page.loaded = false;
    sweep.listed = false;
  }
}

onNameChanged(() => renderWhoami());

// ---- navigation ------------------------------------------------------------------------------

function currentRoute(conversation = thread.id) {
  return { conversation, filters: page.filters, sweep: sweep.chosen };
}

function setFilters(f: InboxFilters): void {
  page.filters = f;
  // The filters are part of the address; replaced, not pushed (Back leaves the page).
  history.replaceState(null, "", location.pathname + location.search + inboxHash(currentRoute()));
  page.list = [];
  page.loaded = false;
  renderList();
  schedule(0);
}

function syncFilterControls(): void {
  const s = document.getElementById("inbox-filter-state") as HTMLSelectElement | null;
  const c = document.getElementById("inbox-filter-channel") as HTMLSelectElement | null;
  const w = document.getElementById("inbox-filter-waiting") as HTMLInputElement | null;
  if (s) s.value = page.filters.state;
  fillChannelFilter();
  if (c) c.value = page.filters.channel;
  if (w) w.checked = page.filters.waiting;
}

function fillChannelFilter(): void {
  const sel = document.getElementById("inbox-filter-channel") as HTMLSelectElement | null;
  if (!sel) return;
  const names = [...new Set([...page.channels, ...(page.filters.channel ? [page.filters.channel] : [])])].sort();
  const have = [...sel.options].slice(1).map((o) => o.value);
  if (have.join("\n") === names.join("\n")) return;
  const v = sel.value;
  sel.replaceChildren(h("option", { value: "" }, "every channel"), ...names.map((n) => h("option", { value: n }, n)));
  sel.value = names.includes(v) ? v : "";
}

function openThread(id: string, byPerson: boolean): void {
  thread.id = id;
  thread.data = null;
  thread.error = "";
  thread.gen++;
  thread.focus = byPerson && !!id;
  buildThreadShell();
  if (id) void loadThread();
  renderList(); // the current row
}

// ---- loading ---------------------------------------------------------------------------------

function schedule(ms: number): void {
  if (!page.visible) return;
  if (page.timer) clearTimeout(page.timer);
  page.timer = setTimeout(() => {
    page.timer = null;
    void loadList();
  }, ms);
}

function describe(e: unknown, what: string): { text: string; needsToken: boolean } {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
  return { text: err.needsToken ? tokenProblem(err, what) : err.message, needsToken: err.needsToken };
}

async function loadList(): Promise<void> {
  const gen = ++page.gen;
  const f = page.filters;
  try {
    const body = await inboxApi.list(listQuery(f));
    if (gen !== page.gen) return;
    const list = (body.conversations ?? []).filter((c) => c.state !== "resolved" || f.state !== "");
    for (const c of body.conversations ?? []) page.channels.add(c.channel);
    page.list = sortConversations(list);
    page.loaded = true;
    page.error = "";
    page.needsToken = false;
  } catch (e) {
    if (gen !== page.gen) return;
    const d = describe(e, "The inbox");
    page.error = d.text;
    page.needsToken = d.needsToken;
  }
  fillChannelFilter();
  render();
  if (page.visible && !page.timer) schedule(POLL_MS);
}

function scheduleThread(ms: number): void {
  if (thread.timer) clearTimeout(thread.timer);
  thread.timer = setTimeout(() => {
    thread.timer = null;
    if (thread.id && page.visible) void loadThread();
  }, ms);
}

async function loadThread(): Promise<void> {
  const id = thread.id;
  const gen = ++thread.gen;
  try {
    const d = await inboxApi.show(id);
    if (gen !== thread.gen || thread.id !== id) return;
    thread.data = d;
    thread.error = "";
    page.channels.add(d.channel);
    // The list follows what the thread says (a change the live stream did not carry).
    if (page.loaded) page.list = withConversation(page.list, stripDetail(d), page.filters);
  } catch (e) {
    if (gen !== thread.gen || thread.id !== id) return;
    thread.error = describe(e, "The conversation").text;
  }
  render();
}

function stripDetail(d: ConversationDetail): Conversation {
  const { messages: _m, whatsapp_window_closes: _w, ...c } = d;
  return c;
}

async function loadIncidents(): Promise<void> {
  try {
    const body = await api.incidents("all", 20);
    sweep.incidents = body.incidents ?? [];
    sweep.listed = true;
  } catch {
    // The sweep's list of incidents is a convenience: a typed id in the address still works.
  }
  // First time: the incident in the address, else the newest (open first).
  if (!sweep.chosen && sweep.incidents.length) chooseSweep(sweep.incidents[0]!.id, false);
  renderSweepChoices();
}

let sweepTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleSweep(): void {
  if (sweepTimer) clearTimeout(sweepTimer);
  sweepTimer = setTimeout(() => {
    sweepTimer = null;
    if (sweep.chosen && page.visible) void loadSweep();
  }, 500);
}

function chooseSweep(id: string, byPerson = true): void {
  sweep.chosen = id;
  sweep.data = null;
  sweep.error = "";
  if (byPerson) history.replaceState(null, "", location.pathname + location.search + inboxHash(currentRoute()));
  renderSweepChoices();
  if (id) void loadSweep();
  else renderSweep();
}

async function loadSweep(): Promise<void> {
  const id = sweep.chosen;
  const gen = ++sweep.gen;
  sweep.loading = true;
  renderSweep();
  try {
    const d = await inboxApi.sweep(id);
    if (gen !== sweep.gen) return;
    sweep.data = d;
    sweep.error = "";
  } catch (e) {
    if (gen !== sweep.gen) return;
    sweep.data = null;
    sweep.error = describe(e, "The sweep").text;
  }
  sweep.loading = false;
  renderSweep();
}

// ---- actions ---------------------------------------------------------------------------------

async function who(): Promise<string> {
  return currentName() || (await askName());
}

function fail(key: string, e: unknown, what: string): void {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
  const text = err.needsToken ? tokenProblem(err, what) : err.status === 0 ? `Not sent: ${err.message}` : `Refused: ${err.message}`;
  results.set(key, { text, tone: "bad", needsToken: err.needsToken });
}

// Takes a conversation the server answered with into the list and the open thread.
function absorb(c: Conversation): void {
  if (page.loaded) page.list = withConversation(page.list, c, page.filters);
  if (thread.data && thread.id === c.id) thread.data = { ...thread.data, ...c };
}

async function sendReply(form: HTMLFormElement): Promise<void> {
  const id = thread.id;
  const key = `reply:${id}`;
  const area = form.querySelector<HTMLTextAreaElement>("textarea");
  const text = area?.value.trim() ?? "";
  if (busy.has(key) || !id) return; // a second click while the first is on its way
  if (!text) {
    results.set(key, { text: "Write the reply first.", tone: "bad", needsToken: false });
    renderReplyOutcome();
    return;
  }
  const by = await who();
  if (!by) return;
  const attempt = replyAttempt(attempts.get(id) ?? null, text, () => newReplyKey());
  attempts.set(id, attempt);
  busy.add(key);
  results.delete(key);
  renderReplyOutcome();
  try {
    const r = await inboxApi.reply(id, { text, idempotency_key: attempt.key, by });
    attempts.delete(id);
    absorb(r.conversation);
    if (thread.data && thread.id === id && !thread.data.messages.some((m) => m.id === r.message.id)) {
      thread.data = { ...thread.data, messages: [...thread.data.messages, r.message] };
    }
    if (area && area.value.trim() === text) area.value = "";
    results.set(key, { text: `Sent to the relay on ${r.message.channel}.`, tone: "ok", needsToken: false });
  } catch (e) {
    fail(key, e, "Replying");
  }
  busy.delete(key);
  render();
  renderReplyOutcome();
}

async function act(c: Conversation, action: ConversationAction | "assign", extra: { until?: string; assignee?: string } = {}): Promise<void> {
  const key = `act:${c.id}`;
  if (busy.has(key)) return;
  const by = await who();
  if (!by) return;
  busy.add(key);
  results.delete(key);
  renderActions();
  try {
    const after =
      action === "assign" ? await inboxApi.assign(c.id, { assignee: extra.assignee ?? "", by })
      : await inboxApi.setState(c.id, action, { by, ...(action === "snooze" ? { until: extra.until ?? "" } : {}) });
    absorb(after);
    const done =
      action === "assign" ? (after.assignee ? `Assigned to ${after.assignee}.` : "Unassigned.")
      : action === "resolve" ? "Resolved."
      : action === "reopen" ? "Open again."
      : `Snoozed until ${formatClock(after.snoozed_until)}.`;
    results.set(key, { text: done, tone: "ok", needsToken: false });
  } catch (e) {
    fail(key, e, action === "assign" ? "Assigning" : action === "resolve" ? "Resolving" : action === "snooze" ? "Snoozing" : "Reopening");
  }
  busy.delete(key);
  render();
}

// ---- rendering -------------------------------------------------------------------------------

function render(): void {
  if (!document.getElementById("inbox-page")) return;
  renderStatus();
  renderWhoami();
  renderList();
  renderThread();
  renderSweep();
}

function renderStatus(): void {
  const el = document.getElementById("inbox-status");
  redraw(el, JSON.stringify([page.error, page.needsToken]), (el) => {
    if (!page.error) return fill(el);
    fill(el, h("p", { class: "msg-error", role: "alert", "data-testid": "inbox-error" }, `Could not load the conversations: ${page.error} `,
      page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
        : h("button", { type: "button", class: "linkish", onclick: () => schedule(0) }, "Retry")));
  });
}

function renderWhoami(): void {
  const el = document.getElementById("inbox-whoami");
  if (!el) return;
  const name = currentName();
  redraw(el, name, () => fill(el,
    name ? ["You are ", h("strong", {}, name), " "] : "Replies and changes are recorded with your name. ",
    h("button", { type: "button", class: "linkish", "data-fkey": "whoami", onclick: () => void askName() }, name ? "Change" : "Set your name")));
}

// A waiting time that the page's clock keeps current ("waiting 12 min").
function waitingPill(since: string | null, testid: string): HTMLElement {
  const look = waitingLook(waitingMs({ waiting_since: since }, Date.now()));
  if (!since) return h("span", { class: "pill tone-ok", "data-testid": testid, "data-waiting": "false" }, h("span", { "aria-hidden": "true" }, "✓ "), "answered");
  return h("time", { class: `pill inbox-waiting tone-${look.tone}`, datetime: since, "data-testid": testid, "data-waiting": "true", title: `waiting since ${new Date(since).toLocaleString()}` },
    h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label);
}

function tick(): void {
  if (!page.visible) return;
  const now = Date.now();
  for (const t of document.querySelectorAll<HTMLTimeElement>("#inbox-page time.inbox-waiting")) {
    const look = waitingLook(waitingMs({ waiting_since: t.dateTime }, now));
    t.className = `pill inbox-waiting tone-${look.tone}`;
    t.replaceChildren(h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label);
  }
  const w = document.getElementById("thread-window");
  if (w && thread.data) renderWindow(w, thread.data.whatsapp_window_closes);
}

function movedBadge(c: Conversation, testid: string): HTMLElement | null {
  if (!c.moved_from) return null;
  return h("span", { class: "moved-badge", "data-testid": testid, title: c.moved_at ? `moved ${new Date(c.moved_at).toLocaleString()}` : "" },
    h("span", { "aria-hidden": "true" }, "⇄ "), `moved from ${c.moved_from}`);
}

function renderList(): void {
  const ul = document.getElementById("inbox-list");
  const count = document.getElementById("inbox-count");
  const key = JSON.stringify([page.loaded, page.error, thread.id, page.list.map((c) => [c.id, c.updated_at, c.state, c.waiting_since, c.channel, c.assignee, c.priority, c.name])]);
  redraw(ul, key, (ul) => {
    if (!page.loaded) return fill(ul, h("li", { class: "muted" }, page.error ? "Unknown: the inbox did not answer." : "Loading…"));
    if (!page.list.length) {
      const f = page.filters;
      const what = [f.waiting ? "with a customer waiting" : "", f.state && f.state !== "all" ? `in state “${stateLook(f.state).label.toLowerCase()}”` : "", f.channel ? `on ${f.channel}` : ""].filter(Boolean).join(" ");
      return fill(ul, h("li", { class: "empty muted", "data-testid": "inbox-empty" }, what ? `No conversation ${what}.` : "No conversations yet. Customer messages arrive through the inbox's webhooks (docs/inbox.md)."));
    }
    fill(ul, page.list.map((c) => convRow(c)));
  });
  if (count) count.textContent = page.loaded ? `${page.list.length} shown, ${page.list.filter((c) => c.waiting_since).length} waiting` : "";
}

function convRow(c: Conversation): HTMLElement {
  const st = stateLook(c.state);
  const pr = priorityLook(c.priority);
  const current = c.id === thread.id;
  return h("li", {
    class: `conv${c.waiting_since ? " conv-waiting" : ""}${c.moved_from ? " conv-moved" : ""}${current ? " conv-current" : ""}`,
    "data-testid": `conv-${c.id}`, "data-id": c.id, "data-state": c.state, "data-channel": c.channel, "data-waiting": c.waiting_since ? "true" : "false", "data-moved-from": c.moved_from ?? "",
  },
    h("div", { class: "conv-top" },
      h("a", { href: inboxHash(currentRoute(c.id)), class: "conv-name", "data-fkey": `conv-${c.id}`, "aria-current": current ? "true" : null, "data-testid": `conv-open-${c.id}` }, contactName(c)),
      waitingPill(c.waiting_since, `conv-waiting-${c.id}`)),
    h("div", { class: "conv-meta" },
      h("span", { class: "chan", "data-testid": `conv-channel-${c.id}` }, h("span", { class: "label" }, "on "), c.channel),
      movedBadge(c, `conv-moved-${c.id}`),
      h("span", { class: `pill tone-${st.tone}`, "data-testid": `conv-state-${c.id}` }, h("span", { "aria-hidden": "true" }, `${st.icon} `), st.label),
      c.priority ? h("span", { class: `prio tone-${pr.tone}`, "data-testid": `conv-priority-${c.id}` }, h("span", { "aria-hidden": "true" }, `${pr.icon} `), `${pr.label} priority`) : null,
      h("span", { class: "small muted", "data-testid": `conv-assignee-${c.id}` }, c.assignee ? `assigned to ${c.assignee}` : "unassigned")));
}

// The thread's parts: the head and messages are redrawn; the reply form and the actions' inputs
// are built once per conversation so that what a person types survives live updates.
function buildThreadShell(): void {
  const el = document.getElementById("inbox-thread");
  if (!el) return;
  el.dataset.conversation = thread.id;
  if (!thread.id) {
    fill(el, h("p", { class: "muted", "data-testid": "thread-empty" }, "Choose a conversation to read it and reply."));
    return;
  }
  const reply = h("form", { class: "reply-form", "data-testid": "reply-form", onsubmit: (e: Event) => { e.preventDefault(); void sendReply(e.currentTarget as HTMLFormElement); } },
    h("label", { for: "reply-text" }, "Reply"),
    h("textarea", { id: "reply-text", rows: 3, "data-testid": "reply-text", placeholder: "Write to the customer…" }),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", "data-testid": "reply-send" }, "Send reply")),
    h("p", { id: "reply-outcome", class: "hand-outcome", "data-testid": "reply-outcome", role: "status", "aria-live": "polite" }));
  const snoozeSel = h("select", { id: "snooze-for", "data-testid": "snooze-for" }, SNOOZE_CHOICES.map((s) => h("option", { value: s.id }, s.label)));
  const assignInput = h("input", { id: "assign-to", type: "text", maxlength: 128, autocomplete: "off", "data-testid": "assign-to", placeholder: "a person or a role" });
  fill(el,
    h("div", { id: "thread-head", class: "thread-head" }),
    h("p", { id: "thread-window", class: "wa-window", "data-testid": "wa-window", hidden: true }),
    h("ol", { id: "thread-messages", class: "thread-msgs", "data-testid": "thread-messages", "aria-label": "Messages, oldest first" }),
    reply,
    h("div", { class: "thread-actions", "data-testid": "thread-actions" },
      h("form", { class: "assign-form", onsubmit: (e: Event) => { e.preventDefault(); if (thread.data) void act(thread.data, "assign", { assignee: assignInput.value.trim() }); } },
        h("label", { for: "assign-to" }, "Assign to "), assignInput,
        h("button", { type: "submit", "data-testid": "assign-save" }, "Assign")),
      h("div", { id: "state-actions", class: "state-actions" }, h("label", { class: "snooze-label" }, "Snooze ", snoozeSel)),
      h("p", { id: "act-outcome", class: "hand-outcome", "data-testid": "act-outcome", role: "status", "aria-live": "polite" })));
}

function renderThread(): void {
  const el = document.getElementById("inbox-thread");
  if (!el || !thread.id) return;
  if (el.dataset.conversation !== thread.id) buildThreadShell();
  const d = thread.data;
  const head = document.getElementById("thread-head");
  redraw(head, JSON.stringify([thread.error, d && stripDetail(d)]), (head) => {
    if (!d) {
      return fill(head, h("h3", { id: "thread-title", tabindex: "-1" }, thread.id),
        thread.error ? h("p", { class: "msg-error", role: "alert", "data-testid": "thread-error" }, `Could not load the conversation: ${thread.error}`) : h("p", { class: "muted" }, "Loading…"));
    }
    const st = stateLook(d.state);
    const pr = priorityLook(d.priority);
    fill(head,
      h("div", { class: "thread-title-row" },
        h("h3", { id: "thread-title", tabindex: "-1", "data-testid": "thread-title" }, contactName(d)),
        h("a", { href: inboxHash(currentRoute("")), class: "small", "data-testid": "thread-close" }, "Close")),
      h("p", { class: "conv-meta" },
        h("span", { class: "chan", "data-testid": "thread-channel" }, h("span", { class: "label" }, "on "), `${d.channel} · ${d.address}`),
        movedBadge(d, "thread-moved"),
        h("span", { class: `pill tone-${st.tone}`, "data-testid": "thread-state" }, h("span", { "aria-hidden": "true" }, `${st.icon} `), st.label,
          d.state === "snoozed" && d.snoozed_until ? ` until ${formatClock(d.snoozed_until)}` : ""),
        waitingPill(d.waiting_since, "thread-waiting"),
        d.priority ? h("span", { class: `prio tone-${pr.tone}` }, h("span", { "aria-hidden": "true" }, `${pr.icon} `), `${pr.label} priority`) : null,
        h("span", { class: "small muted", "data-testid": "thread-assignee" }, d.assignee ? `assigned to ${d.assignee}` : "unassigned")),
      thread.error ? h("p", { class: "msg-error", role: "alert" }, `Could not refresh: ${thread.error}`) : null);
  });
  const w = document.getElementById("thread-window");
  if (w) renderWindow(w, d?.whatsapp_window_closes ?? null);
  const list = document.getElementById("thread-messages");
  redraw(list, JSON.stringify(d ? [d.channel, d.moved_at, d.messages.map((m) => [m.id, m.status, m.platform_status, m.channel])] : null), (ol) => {
    if (!d) return fill(ol);
    if (!d.messages.length) return fill(ol, h("li", { class: "muted" }, "No messages."));
    const now = Date.now();
    const name = contactName(d);
    fill(ol, threadItems(d.messages, now, d).map((it) =>
      it.kind === "switch"
        ? h("li", { class: "tswitch", "data-testid": "thread-switch", "data-from": it.from, "data-to": it.to },
          h("span", { "aria-hidden": "true" }, "⇄ "), `Channel changed: from ${it.from} to ${it.to}`,
          h("time", { class: "small muted", datetime: it.at }, ` at ${formatClock(it.at, now)}`))
        : messageItem(it.message, it.late, name, now)));
  });
  const input = document.getElementById("assign-to") as HTMLInputElement | null;
  if (input && d && document.activeElement !== input && input.dataset.for !== `${d.id}:${d.assignee ?? ""}`) {
    input.value = d.assignee ?? "";
    input.dataset.for = `${d.id}:${d.assignee ?? ""}`;
  }
  renderActions();
  renderReplyOutcome();
  if (thread.focus && d) {
    thread.focus = false;
    document.getElementById("thread-title")?.focus();
  }
}

function messageItem(m: InboxMessage, late: string, customer: string, now: number): HTMLElement {
  const inbound = m.direction === "in";
  const st = statusLook(m.status);
  return h("li", { class: `tmsg ${inbound ? "tmsg-in" : "tmsg-out"}${late ? " tmsg-late" : ""}`, "data-testid": `tmsg-${m.id}`, "data-direction": m.direction, "data-channel": m.channel, "data-status": m.status ?? "" },
    h("div", { class: "tmsg-meta" },
      h("span", { class: "tmsg-who" }, h("span", { "aria-hidden": "true" }, inbound ? "← " : "→ "), inbound ? `${authorText(m, customer)} wrote` : m.author ? `${authorText(m, customer)} replied` : authorText(m, customer)),
      h("span", { class: "chan", "data-testid": `tmsg-channel-${m.id}` }, h("span", { class: "label" }, "on "), m.channel),
      h("time", { datetime: m.sent_at, title: new Date(m.sent_at).toLocaleString() }, formatClock(m.sent_at, now)),
      late ? h("span", { class: "late", "data-testid": `tmsg-late-${m.id}` }, h("span", { "aria-hidden": "true" }, "⏱ "), late) : null,
      st ? h("span", { class: `pill tone-${st.tone}`, "data-testid": `tmsg-status-${m.id}` }, h("span", { "aria-hidden": "true" }, `${st.icon} `), st.label) : null,
      platformStatusText(m, now) ? h("span", { class: m.platform_error || m.platform_status === "failed" ? "platform-status bad" : "platform-status", "data-testid": `tmsg-platform-status-${m.id}` }, platformStatusText(m, now)) : null),
    h("p", { class: "tmsg-text", "data-testid": `tmsg-text-${m.id}` }, m.kind && m.kind !== "text" ? `[${m.kind}] ` : "", m.text));
}

function renderWindow(w: HTMLElement, closes: string | null): void {
  const look = windowLook(closes, Date.now());
  if (!look) {
    w.hidden = true;
    w.replaceChildren();
    return;
  }
  w.hidden = false;
  w.className = `wa-window tone-${look.tone}`;
  w.dataset.open = String(look.open);
  w.setAttribute("role", look.open ? "status" : "alert");
  if (w.dataset.text === look.text) return;
  w.dataset.text = look.text;
  fill(w, h("span", { "aria-hidden": "true" }, look.open ? "◷ " : "⊘ "), look.text);
}

function renderActions(): void {
  const box = document.getElementById("state-actions");
  const out = document.getElementById("act-outcome");
  const d = thread.data;
  if (!box || !out) return;
  const key = `act:${thread.id}`;
  const acts = d ? conversationActions(d) : [];
  redraw(box, JSON.stringify([acts, busy.has(key)]), (box) => {
    const snooze = box.querySelector("label.snooze-label");
    box.replaceChildren();
    for (const a of acts) {
      if (a === "snooze" && snooze) box.append(snooze);
      box.append(h("button", {
        type: "button",
        "data-testid": `conv-${a}`,
        "data-fkey": `act-${a}`,
        "aria-disabled": busy.has(key) ? "true" : null,
        onclick: () => {
          if (!thread.data) return;
          const choice = (document.getElementById("snooze-for") as HTMLSelectElement | null)?.value ?? "1h";
          void act(thread.data, a, a === "snooze" ? { until: snoozeUntil(choice, Date.now()) } : {});
        },
      }, a === "resolve" ? "Resolve" : a === "reopen" ? "Reopen" : "Snooze"));
    }
    if (!acts.includes("snooze") && snooze) {
      (snooze as HTMLElement).hidden = true;
      box.append(snooze);
    } else if (snooze) (snooze as HTMLElement).hidden = false;
  });
  showOutcome(out, key);
}

function renderReplyOutcome(): void {
  const out = document.getElementById("reply-outcome");
  if (out) showOutcome(out, `reply:${thread.id}`);
  const send = document.querySelector<HTMLButtonElement>('[data-testid="reply-send"]');
  if (send) send.setAttribute("aria-disabled", busy.has(`reply:${thread.id}`) ? "true" : "false");
}

function showOutcome(el: HTMLElement, key: string): void {
  const r = results.get(key);
  el.dataset.tone = busy.has(key) ? "busy" : r?.tone ?? "";
  el.setAttribute("role", r?.tone === "bad" ? "alert" : "status");
  el.className = `hand-outcome${r ? ` tone-${r.tone}` : ""}`;
  fill(el, busy.has(key) ? "Asking the server…" : r?.text ?? "",
    r?.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null);
}

// ---- the sweep -------------------------------------------------------------------------------

function incidentLabel(i: Incident): string {
  const names = i.platforms.map((p) => platformName(p)).join(", ");
  return `${i.state === "open" ? "● open" : "closed"} — ${i.title || names} (${formatClock(i.opened_at)})`;
}

function renderSweepChoices(): void {
  const sel = document.getElementById("sweep-incident") as HTMLSelectElement | null;
  if (!sel) return;
  const list = [...sweep.incidents];
  if (sweep.chosen && !list.some((i) => i.id === sweep.chosen)) {
    list.unshift({ id: sweep.chosen, kind: "", domain: "", platforms: [], verdict: "", state: "", title: sweep.chosen, opened_at: "", updated_at: "", closed_at: null, duration_s: null });
  }
  const key = JSON.stringify(list.map((i) => [i.id, i.state, i.title]));
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.replaceChildren(...(list.length ? list.map((i) => h("option", { value: i.id }, i.opened_at ? incidentLabel(i) : i.id)) : [h("option", { value: "" }, "no incident yet")]));
  }
  sel.value = sweep.chosen;
}

function convLink(id: string, text: string, testid?: string): HTMLElement {
  return h("a", { href: inboxHash(currentRoute(id)), ...(testid ? { "data-testid": testid } : {}) }, text);
}

function renderSweep(): void {
  const el = document.getElementById("sweep-result");
  const d = sweep.data;
  const key = JSON.stringify([sweep.chosen, sweep.loading && !d, sweep.error, d, sweep.incidents.length]);
  redraw(el, key, (el) => {
    el.dataset.incident = d?.incident_id ?? "";
    if (!sweep.chosen) return fill(el, h("p", { class: "muted", "data-testid": "sweep-none" }, "No incident yet: after one, the sweep lists what waited during it."));
    if (sweep.error) return fill(el, h("p", { class: "msg-error", role: "alert", "data-testid": "sweep-error" }, `Could not sweep: ${sweep.error}`));
    if (!d) return fill(el, h("p", { class: "muted" }, "Sweeping…"));
    const now = Date.now();
    const unanswered = d.messages.filter((m) => !m.answered);
    fill(el,
      h("p", { class: "small", "data-testid": "sweep-period" },
        `Incident ${d.incident_id}, ${d.open ? "still open" : "closed"}: messages that arrived from ${formatClock(d.from, now)} to ${formatClock(d.to, now)}. `,
        h("a", { href: `#/incident/${encodeURIComponent(d.incident_id)}` }, "Open the incident")),
      h("h4", {}, `Customers waiting (${d.waiting.length})`),
      d.waiting.length
        ? h("ul", { class: "sweep-list", "data-testid": "sweep-waiting" }, d.waiting.map((c) => h("li", { "data-testid": `sweep-waiting-${c.id}` },
          convLink(c.id, contactName(c)), " ", h("span", { class: "chan" }, `on ${c.channel}`), " ", waitingPill(c.waiting_since, `sweep-waiting-time-${c.id}`),
          " ", h("span", { class: "small muted" }, c.assignee ? `assigned to ${c.assignee}` : "unassigned"))))
        : h("p", { class: "muted", "data-testid": "sweep-waiting-none" }, "✓ Nobody is waiting."),
      h("h4", {}, `Messages during the incident (${d.messages.length}, ${unanswered.length} unanswered)`),
      d.messages.length
        ? h("ul", { class: "sweep-list", "data-testid": "sweep-messages" }, d.messages.map((m) => {
          const late = lateText(m, now);
          return h("li", { class: m.answered ? "answered" : "unanswered", "data-testid": `sweep-msg-${m.id}`, "data-answered": String(m.answered) },
            m.answered ? h("span", { class: "pill tone-ok" }, h("span", { "aria-hidden": "true" }, "✓ "), "answered")
              : h("span", { class: "pill tone-warn" }, h("span", { "aria-hidden": "true" }, "⚠ "), `unanswered, waiting ${formatDuration((m.waiting_ms ?? 0) / 1000)}`),
            " ", convLink(m.conversation.id, m.conversation.name || m.address), " ",
            h("span", { class: "chan" }, `on ${m.channel}`), " ",
            h("time", { datetime: m.sent_at }, formatClock(m.sent_at, now)),
            late ? [" ", h("span", { class: "late" }, `(${late})`)] : null,
            h("p", { class: "sweep-text" }, m.text));
        }))
        : h("p", { class: "muted" }, "No customer message arrived during it."),
      d.catch_up?.length
        ? [h("h4", {}, "What the platforms may not have delivered"),
          h("ul", { class: "sweep-list", "data-testid": "sweep-catch-up" }, d.catch_up.map((c) => {
            const look = catchUpLook(c);
            return h("li", { "data-testid": `sweep-catch-up-${c.source}`, "data-looked": String(c.looked) },
              h("span", { class: `pill tone-${look.tone}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label), " ", c.line);
          }))]
        : null,
      h("h4", {}, `Moved by the failover (${d.moves.length})`),
      d.moves.length
        ? h("ul", { class: "sweep-list", "data-testid": "sweep-moves" }, d.moves.map((mv) => h("li", { "data-testid": `sweep-move-${mv.conversation_id}` },
          convLink(mv.conversation_id, page.list.find((c) => c.id === mv.conversation_id) ? contactName(page.list.find((c) => c.id === mv.conversation_id)!) : mv.conversation_id),
          ` from ${mv.from} to ${mv.to} at ${formatClock(mv.at, now)}`,
          mv.restored_at ? h("span", { class: "small muted" }, ` · after restoration (${formatClock(mv.restored_at, now)}): ${mv.restored_note ?? ""}`) : null)))
        : h("p", { class: "muted" }, "Nothing was moved."));
  });
}
