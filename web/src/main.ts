// Wires the dashboard together: loads the board, keeps it live over /v1/events, and routes
// #/platform/<id> and #/incident/<id> to their panels (so both can be linked to), #/ads to the ads
// guard's page, #/calendar to the content calendar's, #/inbox to the customer conversations,
// #/listening to listening's, #/fleet to the vantage points', #/plan to the contingency plan and
// /ack/<token> (or #/ack/<token>) to an acknowledgement link's page.

import "./style.css";
import { initAck, showAck } from "./ack";
import { initAds, onAdsLive, reloadAds, showAds } from "./adspage";
import { ApiError, api } from "./api";
import { initCalendar, onCalendarLive, reloadCalendar, showCalendar } from "./calendarpage";
import { app, hideNotice, initTokenDialog, openTokenDialog, showNotice, tokenProblem } from "./app";
import { refreshAllHistories, refreshHistory, renderBoard, updateTile } from "./board";
import { onConsoleLive } from "./console";
import { closeDetails, detailsOpenFor, openDetails, renderHead } from "./details";
import { initDevice, showDevice } from "./devicepage";
import { initInbox, onInboxLive, reloadInbox, showInbox } from "./inboxpage";
import { initListening, onListeningLive, reloadListening, showListening } from "./listenpage";
import { initFleet, onFleetLive, reloadFleet, showFleet } from "./fleetpage";
import { byId, fill, h } from "./dom";
import { formatDuration, formatRelative, observerBanner } from "./format";
import { closeIncident, incidentOpenFor, openIncidentView, renderIncidentHead, renderIncidentList, renderTimeline, setIncidentsError } from "./incidents";
import { LiveStream, type LiveState } from "./live";
import { initRelay, onRelayMessage, onRelayResync } from "./outbox";
import { markNav, pageFor } from "./pages";
import { onRecoveryLive } from "./recoveryview";
import { initPlan, reloadPlan, showPlan } from "./plan";
import { ackTokenFrom } from "./playbook";
import { fillReportPlatforms, initReportForm } from "./report";
import { applyMessage, loadPlatforms, sortIncidents, summarize, type Arrangement } from "./state";

// ---- navigation -------------------------------------------------------------------------

let pushed = 0; // hash entries this page pushed, so closing a panel can go back instead

function navigate(hash: string): void {
  if (location.hash === hash) {
    route();
    return;
  }
  pushed++;
  location.hash = hash;
}

const openPlatform = (id: string) => navigate(`#/platform/${encodeURIComponent(id)}`);
const openIncident = (id: string) => navigate(`#/incident/${encodeURIComponent(id)}`);

// The page the address shows (the outbox routes itself, src/outbox.ts).
function routePage(): void {
  const page = pageFor(location);
  document.body.dataset.page = page;
  if (page === "board") document.title = "Lifeline — is it down for everyone?";
  markNav(page);
  showPlan(page === "plan");
  showAds(page === "ads");
  showCalendar(page === "calendar");
  showInbox(page === "inbox");
  showListening(page === "listening");
  showFleet(page === "fleet");
  showDevice(page === "device");
  showAck(page === "ack" ? ackTokenFrom(location) : "");
}

function route(): void {
  routePage();
  const m = /^#\/(platform|incident)\/(.+)$/.exec(location.hash);
  const kind = m?.[1];
  const id = m ? decodeURIComponent(m[2]!) : "";
  if (kind !== "platform" && detailsOpenFor()) closeDetails();
  if (kind !== "incident" && incidentOpenFor()) closeIncident();
  if (kind === "platform" && detailsOpenFor() !== id && app.state.platforms.has(id)) openDetails(id, openIncident);
  if (kind === "incident" && incidentOpenFor() !== id) void openIncidentView(id, openPlatform);
}

// A panel closed by the user (Esc, the close button): leave its URL.
function onPanelClosed(kind: string): void {
  if (!location.hash.startsWith(`#/${kind}/`)) return; // closed by route(): URL already moved
  if (pushed > 0) {
    pushed--;
    history.back();
  } else {
    history.replaceState(null, "", location.pathname + location.search);
  }
}

// ---- rendering of page-wide parts -------------------------------------------------------

function renderObserver(): void {
  const b = byId("observer-banner");
  const o = app.state.observer;
  const banner = observerBanner(o);
  document.body.classList.toggle("observer-down", !!banner);
  if (!banner || !o) {
    b.hidden = true;
    b.replaceChildren();
    return;
  }
  b.dataset.connectivity = String(o.connectivity);
  fill(b,
    h("p", { class: "banner-title" }, h("span", { "aria-hidden": "true" }, "⌂ "), banner.title),
    h("p", {}, `Lifeline's own checks show ${banner.detail} Until it is back, a failing platform may only be failing from here.`),
    o.evidence?.length ? h("ul", {}, o.evidence.map((e) => h("li", {}, e))) : null,
  );
  b.hidden = false;
}

function renderSummary(): void {
  const s = summarize(app.state);
  const el = byId("summary");
  // A live region: redraw only when the counts change, or screen readers repeat it every round.
  const key = JSON.stringify(s);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  if (!s.total) {
    el.replaceChildren();
    return;
  }
  el.replaceChildren(
    h("span", { class: "muted" }, `${s.total} platforms: `),
    ...s.counts.flatMap((c, i) => [i ? h("span", { class: "muted" }, " · ") : "", h("span", { class: `count tone-${c.tone}` }, `${c.n} ${c.label.toLowerCase()}`)]),
  );
}

function renderUpdated(): void {
  const at = app.state.updatedAt;
  byId("updated").textContent = at ? `updated ${formatRelative(at, Date.now())}` : "";
}

function renderAll(): void {
  renderBoard(openPlatform);
  renderObserver();
  renderSummary();
  renderUpdated();
}

// ---- data loading -----------------------------------------------------------------------

async function loadBoard(): Promise<boolean> {
  try {
    const body = await api.platforms();
    app.state = loadPlatforms(app.state, body);
    hideNotice();
    renderAll();
    fillReportPlatforms();
    route();
    return true;
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    if (err.needsToken) {
      const why = tokenProblem(err, "Viewing the board");
      showNotice(why, "warn", { label: "Enter an API token", run: () => openTokenDialog(why) });
    } else {
      showNotice(`Could not load the platforms: ${err.message}`, "bad", { label: "Retry", run: () => void loadAll() });
    }
    if (!app.state.platforms.size) byId("board").replaceChildren(h("p", { class: "placeholder" }, "The board is empty until Lifeline answers."));
    return false;
  }
}

async function loadIncidents(): Promise<void> {
  try {
    const body = await api.incidents("all", 50);
    app.state = { ...app.state, incidents: sortIncidents(body.incidents ?? []) };
    setIncidentsError("");
  } catch (e) {
    setIncidentsError(e instanceof ApiError ? e.message : String(e));
  }
  renderIncidentList(openIncident);
}

async function loadAll(): Promise<void> {
  if (await loadBoard()) {
    await loadIncidents();
    void refreshAllHistories();
  }
}

// ---- live updates -----------------------------------------------------------------------

function setLive(state: LiveState, retryInMs?: number): void {
  const el = byId("live");
  el.dataset.state = state;
  const text = byId("live-text");
  if (state === "live") text.textContent = "Live";
  else if (state === "connecting") text.textContent = "Connecting…";
  else if (state === "unauthorized") text.textContent = "Not live: token needed";
  else text.textContent = retryInMs ? `Reconnecting in ${formatDuration(Math.max(1, retryInMs / 1000))}…` : "Reconnecting…";
  el.title = state === "live" ? "Updates arrive as they happen" : "Updates are paused; the board may be out of date";
}

let resyncTimer: ReturnType<typeof setTimeout> | null = null;

const stream = new LiveStream("/v1/events", {
  onState: (state, detail) => {
    setLive(state, detail.retryInMs);
    if (state === "unauthorized") {
      const why = tokenProblem(new ApiError(detail.status ?? 401, "unauthenticated", `HTTP ${detail.status}`), "Live updates");
      showNotice(why, "warn", { label: "Enter an API token", run: () => openTokenDialog(why) });
    }
  },
  onResync: () => {
    // Coalesce: a flapping connection must not hammer the API.
    if (resyncTimer) clearTimeout(resyncTimer);
    resyncTimer = setTimeout(() => {
      void loadAll();
      onRelayResync();
      reloadPlan();
      reloadAds();
      reloadCalendar();
      reloadInbox();
      reloadListening();
      reloadFleet();
    }, 100);
  },
  onMessage: (m) => {
    onRelayMessage(m); // the outbox page and the channel strip
    onConsoleLive(m); // the open incident's response
    onAdsLive(m); // the ads page (the guard's ads_* timeline entries)
    onCalendarLive(m); // the calendar page (calendar events, calendar_* timeline entries)
    onInboxLive(m); // the inbox page (conversation events; outbox events of its replies)
    onListeningLive(m); // the listening page (listening events)
    onFleetLive(m); // the fleet page (vantage_point events)
    onRecoveryLive(m); // the open incident's recovery checklist
    const { state, change } = applyMessage(app.state, m);
    app.state = state;
    if (change.platform) {
      const id = change.platform;
      const v = state.platforms.get(id);
      if (v?.checked_at && (!state.updatedAt || v.checked_at > state.updatedAt)) app.state = { ...app.state, updatedAt: v.checked_at };
      updateTile(id);
      renderBoard(openPlatform); // re-sorts only when the order changed
      renderSummary();
      renderUpdated();
      if (detailsOpenFor() === id) renderHead();
      void refreshHistory(id);
      if (!byId<HTMLSelectElement>("report-platform").querySelector(`option[value="${CSS.escape(id)}"]`)) fillReportPlatforms();
    }
    if (change.observer) renderObserver();
    if (change.incidents) {
      renderIncidentList(openIncident);
      const open = incidentOpenFor();
      if (open) renderIncidentHead(app.state.incidents.find((i) => i.id === open));
    }
    if (change.timeline) renderTimeline(change.timeline);
  },
});

// ---- start ------------------------------------------------------------------------------

function tick(): void {
  const now = Date.now();
  for (const t of document.querySelectorAll<HTMLTimeElement>("time.rel")) {
    if (t.dateTime) t.textContent = (t.dataset.prefix ?? "") + formatRelative(t.dateTime, now);
  }
  for (const t of document.querySelectorAll<HTMLTimeElement>("time.dur")) {
    if (t.dateTime) t.textContent = formatDuration((now - Date.parse(t.dateTime)) / 1000);
  }
  renderUpdated();
}

// An acknowledgement link opened from a message: only its page, without the board, the live
// stream or a request for an API token (the link's token is the credential).
function startAckOnly(): void {
  document.body.dataset.page = "ack";
  document.body.classList.add("ack-only");
  initAck();
  showAck(ackTokenFrom(location));
  window.addEventListener("hashchange", () => {
    const token = ackTokenFrom(location);
    if (token) showAck(token);
    else location.reload(); // to the dashboard: start it properly
  });
}

function start(): void {
  if (ackTokenFrom(location)) {
    startAckOnly();
    return;
  }
  const arrangeSel = byId<HTMLSelectElement>("arrange");
  const saved = localStorage.getItem("lifeline.arrange");
  if (saved === "domain" || saved === "severity" || saved === "name") app.arrangement = saved;
  arrangeSel.value = app.arrangement;
  arrangeSel.addEventListener("change", () => {
    app.arrangement = arrangeSel.value as Arrangement;
    localStorage.setItem("lifeline.arrange", app.arrangement);
    renderBoard(openPlatform);
  });
  byId<HTMLDialogElement>("details").addEventListener("close", () => onPanelClosed("platform"));
  byId<HTMLDialogElement>("incident").addEventListener("close", () => onPanelClosed("incident"));
  window.addEventListener("hashchange", () => {
    if (!location.hash || location.hash === "#/") pushed = 0;
    route();
  });
  initTokenDialog();
  initReportForm();
  initRelay();
  initAds();
  initCalendar();
  initInbox();
  initListening();
  initFleet();
  initPlan();
  initDevice();
  initAck();
  routePage();
  app.onTokenChanged = () => {
    hideNotice();
    void loadAll();
    reloadPlan();
    reloadAds();
    reloadCalendar();
    reloadInbox();
    reloadListening();
    reloadFleet();
    stream.start();
  };
  setInterval(tick, 5000);
  // Sparklines move on even when nothing is announced.
  setInterval(() => void refreshAllHistories(), 120_000);
  void loadAll();
  stream.start();
  registerServiceWorker();
}

// The service worker (sw.js, built by vite.config.ts) keeps the dashboard's files, never the API's
// answers, so the device check still opens on a device that cannot reach Lifeline. Browsers allow
// it on https and on localhost only; elsewhere the page simply works online.
function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // A server without the built file (an old build): the page works online.
  });
}

start();
