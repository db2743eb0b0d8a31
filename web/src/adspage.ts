// The ads page (#/ads): what the ads guard holds paused now — campaign, account, since when, by
// whom, for which incident, its state before and when it will resume —, the budget transfers
// (proposed ones stand out, with Approve and Refuse), the accounts with their
// campaigns (pause and resume by hand, asking who acts once), the recent changes, the policies and,
// on demand, the calls made to the ad platforms for an incident. Kept fresh by the ads_* entries
// of /v1/events and a slow poll (a server that does not push them is still followed). Rules in
// src/ads.ts.

import "./ads.css";
import { ApiError, adsApi, api } from "./api";
import { app, openTokenDialog, platformName, tokenProblem } from "./app";
import {
  adsEventIncident,
  budgetText,
  callIncidents,
  campaignActions,
  campaignKey,
  changeLook,
  handResultText,
  handResultsTone,
  heldChanges,
  parseCampaignIds,
  policyText,
  priorText,
  recentChanges,
  resumeDueFromEvents,
  resumeInfo,
  sortTransfers,
  transferAmountText,
  transferBudgetText,
  transferDecidable,
  transferDecidedText,
  transferEventType,
  transferLook,
  transferReturnText,
  whoPaused,
  type HandAction,
} from "./ads";
import { fill, h, redraw, relTime } from "./dom";
import { formatClock, formatDuration, formatLatency, formatRelative, humanize } from "./format";
import type { SseMessage } from "./sse";
import type { AdAccountCampaigns, AdCall, AdCampaign, AdChange, AdTransfer, AdsOverview, Incident } from "./types";
import { askName, currentName, onNameChanged } from "./whoami";

const POLL_MS = 15_000; // while the page is shown (live ads_* events do the rest)
const MIN_GAP_MS = 800;
const RECENT = 30;

const page = {
  visible: false,
  overview: null as AdsOverview | null,
  changes: [] as AdChange[],
  error: "",
  needsToken: false,
  loadedAt: 0,
  gen: 0,
  timer: null as ReturnType<typeof setTimeout> | null,
  lastFetch: 0,
  inflight: false,
  again: false,
};
// What the platforms said last (GET /v1/ads/campaigns calls them: on opening and on demand only).
const camps = { list: null as AdAccountCampaigns[] | null, error: "", loading: false, at: 0, gen: 0, wanted: false };
const calls = { incident: "", list: null as AdCall[] | null, error: "", loading: false };
// The budget transfers (GET /v1/ads/transfers, newest first): loaded with the page; a server
// without them (an older one) leaves the section saying so. `refusing`: the transfer whose
// refusal form is open.
const transfers = { list: null as AdTransfer[] | null, error: "", refusing: 0, reason: "" };
// What the guard held at the last load: when it changes (it paused or resumed campaigns), the
// campaigns' statuses shown are stale, and the platforms are asked again (once, shortly after).
let heldSig: string | null = null;
let campaignsSoon: ReturnType<typeof setTimeout> | null = null;
// Per incident: its resume's due time from the timeline (null: none scheduled yet), and when the
// timeline was read for it (read again after a while when none was found: a server that does not
// push the guard's entries live).
const dues = new Map<string, string | null>();
const duesAt = new Map<string, number>();
const fetchedIncidents = new Map<string, Incident>();
// What a person did on the page, per row key, until the next action there.
const busy = new Set<string>();
const results = new Map<string, { text: string; tone: string; needsToken: boolean }>();

// ---- wiring (main.ts) ------------------------------------------------------------------------

export function initAds(): void {
  const accountSel = h("select", { id: "hand-account", "data-testid": "hand-account" });
  const ids = h("input", { id: "hand-ids", type: "text", "data-testid": "hand-ids", autocomplete: "off", spellcheck: "false", placeholder: "e.g. 120210000000001, 120210000000002" });
  const dry = h("input", { id: "hand-dry-run", type: "checkbox", "data-testid": "hand-dry-run" });
  const byId = (action: HandAction) => {
    const parsed = parseCampaignIds(ids.value);
    if (parsed.error) {
      results.set("hand", { text: parsed.error, tone: "bad", needsToken: false });
      renderHandOutcome();
      ids.focus();
      return;
    }
    void act(action, accountSel.value, parsed.ids, "hand", dry.checked);
  };
  const main = h("main", { id: "ads-page", class: "ads-page", "data-testid": "ads-page", "aria-labelledby": "ads-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "ads-title", tabindex: "-1" }, "Ads"),
      h("p", { class: "hint" }, "When a platform fails, Lifeline pauses the active campaigns on it so the budget does not burn, records each campaign's state first, and resumes only what it paused once the platform has been healthy for a while. Every call to an ad platform is kept."),
      h("div", { id: "ads-status", "data-testid": "ads-status" })),
    h("section", { class: "panel", "aria-labelledby": "held-title", "data-testid": "ads-held-section" },
      h("h3", { id: "held-title" }, "Held paused now"),
      h("ul", { id: "ads-held", class: "msgs", "data-testid": "ads-held" }, h("li", { class: "muted" }, "Loading…"))),
    h("section", { id: "ads-transfers-section", class: "panel", "aria-labelledby": "transfers-title", "data-testid": "ads-transfers-section" },
      h("h3", { id: "transfers-title" }, "Budget transfers"),
      h("p", { class: "hint" }, "While urgent campaigns are paused for an outage, their daily budget can go to a campaign on another platform (ads.transfers), and back after. A proposed transfer waits for someone to approve it."),
      h("ul", { id: "ads-transfers", class: "msgs", "data-testid": "ads-transfers" }, h("li", { class: "muted" }, "Loading…"))),
    h("section", { id: "ads-campaigns-section", class: "panel", "aria-labelledby": "campaigns-title", "data-testid": "ads-campaigns" },
      h("div", { class: "section-head" },
        h("h3", { id: "campaigns-title" }, "Accounts and campaigns"),
        h("p", { id: "ads-whoami", class: "whoami small" }),
        h("button", { type: "button", class: "quiet", id: "campaigns-refresh", "data-testid": "campaigns-refresh", onclick: () => void loadCampaigns() }, "Ask the platforms again")),
      h("p", { class: "hint" }, "As the platforms answer now. Pausing by hand a campaign Lifeline paused for an incident keeps it paused after the outage; Lifeline never resumes what a person paused."),
      h("p", { id: "campaigns-status", class: "muted small", role: "status", "data-testid": "campaigns-status" }),
      h("div", { id: "ads-accounts", class: "ads-accounts" }),
      h("form", { class: "hand-form", "data-testid": "hand-form", onsubmit: (e: Event) => { e.preventDefault(); byId("pause"); } },
        h("h4", {}, "By campaign id"),
        h("div", { class: "hand-fields" },
          h("label", {}, "Account ", accountSel),
          h("label", { class: "hand-ids" }, "Campaign ids ", ids),
          h("label", { class: "hand-dry" }, dry, " only show what would be done (dry run)")),
        h("div", { class: "buttons" },
          h("button", { type: "submit", "data-testid": "hand-pause" }, "Pause"),
          h("button", { type: "button", "data-testid": "hand-resume", onclick: () => byId("resume") }, "Resume")),
        h("p", { id: "hand-outcome", class: "hand-outcome", role: "status", "aria-live": "polite", "data-testid": "hand-outcome" }))),
    h("section", { class: "panel", "aria-labelledby": "changes-title" },
      h("h3", { id: "changes-title" }, "Recent changes"),
      h("ul", { id: "ads-changes", class: "msgs", "data-testid": "ads-changes" })),
    h("section", { class: "panel", "aria-labelledby": "policies-title", "data-testid": "ads-policies-section" },
      h("h3", { id: "policies-title" }, "Policies"),
      h("dl", { id: "ads-policies", class: "facts-grid", "data-testid": "ads-policies" })),
    h("section", { class: "panel", "aria-labelledby": "calls-title", "data-testid": "ads-calls-section" },
      h("h3", { id: "calls-title" }, "Calls to the ad platforms"),
      h("div", { class: "section-head" },
        h("label", {}, "Incident ", h("select", { id: "calls-incident", "data-testid": "calls-incident" })),
        h("button", { type: "button", "data-testid": "calls-show", onclick: () => void loadCalls() }, "Show the calls")),
      h("p", { id: "calls-status", class: "muted small", role: "status", "data-testid": "calls-status" }),
      h("ol", { id: "ads-calls", class: "ads-calls", "data-testid": "ads-calls" })));
  const anchor = document.getElementById("outbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
}

// Shown or hidden by main.ts's routing.
export function showAds(show: boolean): void {
  const el = document.getElementById("ads-page");
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
  document.title = "Ads — Lifeline";
  document.getElementById("ads-title")?.focus();
  render();
  // The campaigns are asked for once the overview says there are accounts (load below).
  camps.wanted = !camps.list || Date.now() - camps.at > 60_000;
  schedule(0);
}

// Every message of /v1/events: the guard's timeline entries refresh the page; an incident that
// opens or closes changes what "resumes when" says (and the guard acts on it a moment later).
export function onAdsLive(m: SseMessage): void {
  const inc = adsEventIncident(m);
  if (inc) {
    // A transfer proposed, decided, moved or moved back: the section follows at once.
    if (transferEventType(m) && page.visible) {
      schedule(0);
      return;
    }
    try {
      const ev = (JSON.parse(m.data) as { event?: { type?: string; data?: { due?: string } } }).event;
      if (ev?.type === "ads_resume_scheduled" && typeof ev.data?.due === "string") dues.set(inc, ev.data.due);
      else if (ev?.type === "ads_resume_scheduled") duesAt.delete(inc);
    } catch {
      // adsEventIncident parsed it already
    }
    if (page.visible) schedule(300);
    else page.loadedAt = 0;
    return;
  }
  if (m.event === "incident" && page.visible) {
    render();
    schedule(1500);
  }
}

// After a (re)connection of the live stream or a new token: events may have been missed.
export function reloadAds(): void {
  if (page.visible) schedule(0);
  else page.loadedAt = 0;
}

onNameChanged(() => renderWhoami());

// ---- loading ---------------------------------------------------------------------------------

function schedule(ms: number): void {
  if (!page.visible) return;
  if (page.timer) clearTimeout(page.timer);
  const wait = Math.max(ms, page.lastFetch + MIN_GAP_MS - Date.now());
  page.timer = setTimeout(() => {
    page.timer = null;
    void load();
  }, Math.max(0, wait));
}

async function load(): Promise<void> {
  if (page.inflight) {
    page.again = true;
    return;
  }
  page.inflight = true;
  page.lastFetch = Date.now();
  const gen = ++page.gen;
  try {
    const [overview, changes, moves] = await Promise.all([
      adsApi.overview(),
      adsApi.changes({ limit: 2000 }),
      adsApi.transfers(100).catch((e: unknown) => (e instanceof ApiError ? e : new ApiError(0, "unknown", String(e)))),
    ]);
    if (gen !== page.gen) return;
    if (moves instanceof ApiError) {
      transfers.error = moves.needsToken ? tokenProblem(moves, "The budget transfers") : moves.message;
    } else {
      transfers.list = moves.transfers ?? [];
      transfers.error = "";
    }
    page.overview = overview;
    page.changes = changes.changes ?? [];
    page.error = "";
    page.needsToken = false;
    page.loadedAt = Date.now();
    const sig = overview.open.map((c) => `${c.account}/${c.campaign_id}/${c.state}`).sort().join(",");
    if (heldSig !== null && sig !== heldSig && camps.list && !campaignsSoon) {
      campaignsSoon = setTimeout(() => {
        campaignsSoon = null;
        if (page.visible) void loadCampaigns();
        else camps.at = 0;
      }, 2000);
    }
    heldSig = sig;
    if (camps.wanted && overview.configured && page.visible) {
      camps.wanted = false;
      void loadCampaigns();
    }
    await loadIncidentFacts();
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    page.needsToken = err.needsToken;
    page.error = err.needsToken ? tokenProblem(err, "The ads page") : err.message;
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

function incidentOf(id: string | null): Incident | null {
  if (!id) return null;
  return app.state.incidents.find((i) => i.id === id) ?? fetchedIncidents.get(id) ?? null;
}

// For each held campaign: its incident (open or closed) and, once closed, the resume's due time
// from the incident's timeline.
async function loadIncidentFacts(): Promise<void> {
  const held = heldChanges(page.overview?.open ?? [], page.changes.filter((c) => c.state === "kept"));
  const ids = [...new Set(held.filter((c) => c.state !== "kept" && c.incident_id).map((c) => c.incident_id!))];
  await Promise.all(ids.map(async (id) => {
    try {
      let inc = incidentOf(id);
      if (!inc || inc.state === "open") {
        inc = await api.incident(id);
        fetchedIncidents.set(id, inc);
      }
      if (inc.state !== "open" && !dues.get(id) && Date.now() - (duesAt.get(id) ?? 0) > 30_000) {
        const body = await api.incidentEvents(id);
        dues.set(id, resumeDueFromEvents(body.events ?? []));
        duesAt.set(id, Date.now());
      }
    } catch {
      // Without it the row says what it can ("after the platform has been healthy for ...").
    }
  }));
}

async function loadCampaigns(account = ""): Promise<void> {
  if (!page.overview?.configured) return;
  const gen = ++camps.gen;
  camps.loading = true;
  renderCampaignsStatus();
  try {
    const body = await adsApi.campaigns(account);
    if (gen !== camps.gen) return;
    const got = body.accounts ?? [];
    camps.list = account && camps.list ? camps.list.map((a) => got.find((g) => g.account === a.account) ?? a) : got;
    camps.error = "";
    camps.at = Date.now();
  } catch (e) {
    if (gen !== camps.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    camps.error = err.needsToken ? tokenProblem(err, "Listing the campaigns") : err.message;
  } finally {
    if (gen === camps.gen) camps.loading = false;
  }
  render();
}

async function loadCalls(): Promise<void> {
  const sel = document.getElementById("calls-incident") as HTMLSelectElement | null;
  calls.incident = sel?.value ?? "";
  calls.loading = true;
  renderCalls();
  try {
    const body = await adsApi.calls(calls.incident);
    calls.list = body.calls ?? [];
    calls.error = "";
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    calls.error = err.needsToken ? tokenProblem(err, "The calls log") : err.message;
  }
  calls.loading = false;
  renderCalls();
}

// ---- actions ---------------------------------------------------------------------------------

async function act(action: HandAction, account: string, ids: string[], key: string, dry = false): Promise<void> {
  if (busy.has(key)) return;
  if (!account) {
    results.set(key, { text: "Choose the account first.", tone: "bad", needsToken: false });
    render();
    return;
  }
  const by = currentName() || (await askName());
  if (!by) return;
  busy.add(key);
  results.delete(key);
  render();
  try {
    const body = await adsApi.act(action, { account, campaigns: ids, by, dry_run: dry });
    const list = body.results ?? [];
    results.set(key, { text: `${body.dry_run ? "Dry run, nothing changed: " : ""}${list.map(handResultText).join("; ") || "nothing to do"}`, tone: handResultsTone(list), needsToken: false });
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    const what = action === "pause" ? "Pausing a campaign" : "Resuming a campaign";
    results.set(key, { text: err.needsToken ? tokenProblem(err, what) : `Refused: ${err.message}`, tone: "bad", needsToken: err.needsToken });
  }
  busy.delete(key);
  render();
  schedule(0);
  void loadCampaigns(account);
}

async function decide(t: AdTransfer, decision: "approve" | "refuse", reason = ""): Promise<void> {
  const key = `t-${t.id}`;
  if (busy.has(key)) return;
  const by = currentName() || (await askName());
  if (!by) return;
  busy.add(key);
  results.delete(key);
  render();
  try {
    const got = await adsApi.decideTransfer(t.id, decision, reason ? { by, reason } : { by });
    if (transfers.list) transfers.list = transfers.list.map((x) => (x.id === got.id ? got : x));
    if (decision === "refuse") {
      transfers.refusing = 0;
      transfers.reason = "";
    }
    results.set(key, { text: decision === "approve" ? "Approved: the budget moves now." : "Refused: nothing moves.", tone: "ok", needsToken: false });
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    const what = decision === "approve" ? "Approving a transfer" : "Refusing a transfer";
    results.set(key, { text: err.needsToken ? tokenProblem(err, what) : `The server refused: ${err.message}`, tone: "bad", needsToken: err.needsToken });
  }
  busy.delete(key);
  render();
  schedule(0);
}

// ---- rendering -------------------------------------------------------------------------------

function render(): void {
  if (!document.getElementById("ads-page")) return;
  renderStatus();
  renderWhoami();
  renderHeld();
  renderTransfers();
  renderAccounts();
  renderCampaignsStatus();
  renderHandAccounts();
  renderHandOutcome();
  renderChanges();
  renderPolicies();
  renderCallIncidents();
}

function renderStatus(): void {
  const o = page.overview;
  redraw(document.getElementById("ads-status"), JSON.stringify([page.error, o?.configured, o?.dry_run, !!o]), (el) => {
    if (page.error) {
      fill(el, h("p", { class: "msg-error", "data-testid": "ads-error" }, `Could not load the ads guard: ${page.error} `,
        page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
          : h("button", { type: "button", class: "linkish", onclick: () => schedule(0) }, "Retry")));
    } else if (o && !o.configured) {
      fill(el, h("p", { class: "notice-inline", "data-testid": "ads-none" }, "No ad accounts are configured, so Lifeline pauses no campaign. Add an ads: section to the configuration (docs/ads.md)."));
    } else if (o?.dry_run) {
      fill(el, h("p", { class: "notice-inline", "data-testid": "ads-dry-run" }, "Dry run (ads.dry_run): Lifeline records what it would pause and changes nothing on any platform."));
    } else {
      fill(el);
    }
  });
  const none = !!o && !o.configured;
  for (const id of ["ads-campaigns-section", "ads-transfers-section"]) {
    const s = document.getElementById(id);
    if (s) s.hidden = none;
  }
}

function renderWhoami(): void {
  const el = document.getElementById("ads-whoami");
  if (!el) return;
  const name = currentName();
  redraw(el, name, () => fill(el,
    name ? ["You are ", h("strong", { "data-testid": "ads-whoami-name" }, name), " "] : "Changes are recorded with your name. ",
    h("button", { type: "button", class: "linkish", "data-testid": "ads-whoami-change", "data-fkey": "whoami", onclick: () => void askName() }, name ? "Change" : "Set your name")));
}

function currentCampaigns(): Map<string, AdCampaign> | undefined {
  if (!camps.list) return undefined;
  const m = new Map<string, AdCampaign>();
  for (const a of camps.list) for (const c of a.campaigns) m.set(campaignKey(a.account, c.id), c);
  return m;
}

function failedPlatforms(inc: Incident | null, c: AdChange): string {
  if (inc?.platforms.length) return inc.platforms.map(platformName).join(", ");
  const acc = page.overview?.accounts.find((a) => a.name === c.account);
  return acc?.delivers_on.length ? acc.delivers_on.map(platformName).join(", ") : "";
}

function resultLine(key: string, testid: string): HTMLElement | null {
  const r = results.get(key);
  if (busy.has(key)) return h("p", { class: "small muted", "data-testid": testid, "data-tone": "busy" }, "Asking the platform…");
  if (!r) return null;
  return h("p", { class: `hand-outcome tone-${r.tone}`, role: r.tone === "bad" ? "alert" : "status", "data-testid": testid, "data-tone": r.tone }, r.text,
    r.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null);
}

function renderHeld(): void {
  const ul = document.getElementById("ads-held");
  if (!ul) return;
  const now = Date.now();
  const held = page.overview ? heldChanges(page.overview.open, page.changes.filter((c) => c.state === "kept"), currentCampaigns()) : null;
  const rows = (held ?? []).map((c) => {
    const inc = incidentOf(c.incident_id);
    const policy = page.overview?.policies.find((p) => p.name === c.policy) ?? null;
    const r = resumeInfo(c, { incident: inc, policy, due: c.incident_id ? dues.get(c.incident_id) ?? null : null, platforms: failedPlatforms(inc, c), now });
    return { c, inc, r };
  });
  const key = JSON.stringify([page.overview ? 1 : 0, page.error, rows.map(({ c, inc, r }) => [c.id, c.state, c.note, c.updated_at, inc?.state, inc?.title, r.text, busy.has(`held-${c.id}`), results.get(`held-${c.id}`)?.text])]);
  redraw(ul, key, () => {
    if (!page.overview) {
      fill(ul, h("li", { class: "muted" }, page.error ? "Unknown: the ads guard did not answer." : "Loading…"));
      return;
    }
    if (!rows.length) {
      fill(ul, h("li", { class: "empty muted", "data-testid": "held-empty" }, "Nothing is held paused: every campaign runs as its owners set it."));
      return;
    }
    fill(ul, rows.map(({ c, inc, r }) => {
      const look = changeLook(c.state);
      const k = `held-${c.id}`;
      return h("li", { class: `msg held tone-${look.tone}`, "data-testid": `held-${c.id}`, "data-state": c.state, "data-resume": r.kind, "data-incident": c.incident_id ?? "", "data-campaign": c.campaign_id, "data-account": c.account },
        h("div", { class: "msg-top" },
          h("span", { class: `pill tone-${look.tone}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
          h("span", { class: "msg-dest" }, c.campaign_name || c.campaign_id),
          h("span", { class: "small muted" }, `${c.campaign_id} · ${c.account} (${c.platform})`)),
        h("dl", { class: "held-facts" },
          h("dt", {}, "Since"),
          h("dd", { "data-testid": `held-since-${c.id}` }, c.paused_at ? [formatClock(c.paused_at, now), " (", relTime(c.paused_at, formatRelative(c.paused_at, now)), ")"] : "not paused yet"),
          h("dt", {}, "By"),
          h("dd", { "data-testid": `held-by-${c.id}` }, whoPaused(c)),
          h("dt", {}, "Incident"),
          h("dd", {}, c.incident_id
            ? h("a", { href: `#/incident/${encodeURIComponent(c.incident_id)}`, "data-testid": `held-incident-${c.id}` }, inc?.title || c.incident_id, inc ? h("span", { class: "muted" }, inc.state === "open" ? " (open)" : " (closed)") : null)
            : h("span", { class: "muted" }, "none: paused by hand")),
          h("dt", {}, "Before"),
          h("dd", { "data-testid": `held-prior-${c.id}` }, priorText(c)),
          h("dt", {}, "Resumes"),
          h("dd", { class: `held-resume resume-${r.kind}`, "data-testid": `held-resume-${c.id}`, "data-at": r.at ?? "" }, r.text)),
        h("div", { class: "msg-actions" },
          h("button", { type: "button", "data-testid": `held-resume-now-${c.id}`, "data-fkey": `resume-${c.id}`, "aria-disabled": busy.has(k) ? "true" : null, onclick: () => void act("resume", c.account, [c.campaign_id], k) }, "Resume now")),
        resultLine(k, `held-result-${c.id}`));
    }));
  });
}

// The settle time that applies to a transfer's return: its urgent campaigns' change's policy.
function transferSettle(t: AdTransfer): string {
  const change = page.changes.find((c) => c.incident_id === t.incident_id && c.account === t.from_account && t.campaigns.includes(c.campaign_id));
  const policy = change ? page.overview?.policies.find((p) => p.name === change.policy) : undefined;
  return policy ? formatDuration(policy.settle_ms / 1000) : "";
}

function renderTransfers(): void {
  const ul = document.getElementById("ads-transfers");
  if (!ul) return;
  const now = Date.now();
  const list = transfers.list ? sortTransfers(transfers.list) : null;
  const known = currentCampaigns();
  const rows = (list ?? []).map((t) => ({ t, back: transferReturnText(t, now, transferSettle(t)), inc: incidentOf(t.incident_id) }));
  const key = JSON.stringify([transfers.error, !!list, transfers.refusing, camps.at, rows.map(({ t, back, inc }) => [t.id, t.state, t.note, t.updated_at, t.decided_by, back, inc?.title, inc?.state, busy.has(`t-${t.id}`), results.get(`t-${t.id}`)?.text])]);
  redraw(ul, key, () => {
    if (!list) {
      fill(ul, h("li", { class: "muted", "data-testid": "transfers-error" }, transfers.error ? `Could not load the budget transfers: ${transfers.error}` : "Loading…"));
      return;
    }
    if (!rows.length) {
      fill(ul, h("li", { class: "empty muted", "data-testid": "transfers-empty" }, "No budget transfer yet: one is proposed when the guard pauses an urgent campaign of a transfer in ads.transfers."));
      return;
    }
    fill(ul, rows.map(({ t, back, inc }) => {
      const look = transferLook(t.state);
      const k = `t-${t.id}`;
      const decidable = transferDecidable(t);
      // Names as the server or the platforms said them, when known.
      const named = (account: string, id: string, name = "") => {
        const n = name || known?.get(campaignKey(account, id))?.name || "";
        return n ? `${n} (${id})` : id;
      };
      const to = named(t.to_account, t.to_campaign, t.to_campaign_name);
      return h("li", { class: `msg transfer tone-${look.tone}${decidable ? " needs-decision" : ""}`, "data-testid": `transfer-${t.id}`, "data-state": t.state, "data-tone": look.tone, "data-incident": t.incident_id },
        h("div", { class: "msg-top" },
          h("span", { class: `pill tone-${look.tone}`, "data-testid": `transfer-state-${t.id}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
          h("span", { class: "msg-dest" }, t.name),
          h("span", { class: "small muted" }, `#${t.id}`)),
        h("dl", { class: "held-facts" },
          h("dt", {}, "From"),
          h("dd", { "data-testid": `transfer-from-${t.id}` }, t.campaigns.length ? `${t.campaigns.map((id) => named(t.from_account, id)).join(", ")} on ${t.from_account} (paused)` : `${t.from_account}: no daily budget paused`),
          h("dt", {}, "To"),
          h("dd", { "data-testid": `transfer-to-${t.id}` }, `${to} on ${t.to_account}`),
          h("dt", {}, "Amount"),
          h("dd", { "data-testid": `transfer-amount-${t.id}` }, transferAmountText(t)),
          h("dt", {}, "Budget"),
          h("dd", { "data-testid": `transfer-budget-${t.id}` }, transferBudgetText(t)),
          h("dt", {}, "Decided"),
          h("dd", { "data-testid": `transfer-decided-${t.id}` }, transferDecidedText(t)),
          h("dt", {}, "Moves back"),
          h("dd", { class: t.state === "moved" ? "held-resume" : null, "data-testid": `transfer-return-${t.id}`, "data-at": t.return_due ?? "" }, back),
          h("dt", {}, "Incident"),
          h("dd", {}, h("a", { href: `#/incident/${encodeURIComponent(t.incident_id)}` }, inc?.title || t.incident_id, inc ? h("span", { class: "muted" }, inc.state === "open" ? " (open)" : " (closed)") : null)),
          t.note ? [h("dt", {}, "Note"), h("dd", { "data-testid": `transfer-note-${t.id}` }, t.note)] : null),
        decidable ? h("div", { class: "msg-actions" },
          h("button", { type: "button", class: "primary", "data-testid": `transfer-approve-${t.id}`, "data-fkey": `approve-${t.id}`, "aria-disabled": busy.has(k) ? "true" : null, onclick: () => void decide(t, "approve") }, "Approve"),
          transfers.refusing === t.id ? null : h("button", { type: "button", "data-testid": `transfer-refuse-${t.id}`, "data-fkey": `refuse-${t.id}`, "aria-disabled": busy.has(k) ? "true" : null, onclick: () => { transfers.refusing = t.id; transfers.reason = ""; render(); document.getElementById(`transfer-reason-${t.id}`)?.focus(); } }, "Refuse…")) : null,
        decidable && transfers.refusing === t.id ? refuseForm(t) : null,
        resultLine(k, `transfer-result-${t.id}`));
    }));
  });
}

function refuseForm(t: AdTransfer): HTMLElement {
  // Kept in `transfers.reason`: a live redraw of the list must not lose what is being typed.
  const reason = h("input", { id: `transfer-reason-${t.id}`, type: "text", maxlength: 300, value: transfers.reason, "data-testid": `transfer-reason-${t.id}`, "data-fkey": `reason-${t.id}`, placeholder: "e.g. TikTok's budget is spent on the launch", oninput: () => { transfers.reason = reason.value; } });
  return h("form", { class: "refuse-form", "data-testid": `transfer-refuse-form-${t.id}`, onsubmit: (e: Event) => { e.preventDefault(); void decide(t, "refuse", reason.value.trim()); } },
    h("label", {}, "Why (optional, for the timeline) ", reason),
    h("div", { class: "buttons" },
      h("button", { type: "submit", "data-testid": `transfer-refuse-confirm-${t.id}`, "data-fkey": `refuse-confirm-${t.id}` }, "Refuse the transfer"),
      h("button", { type: "button", class: "quiet", onclick: () => { transfers.refusing = 0; render(); } }, "Cancel")));
}

function renderAccounts(): void {
  const box = document.getElementById("ads-accounts");
  if (!box) return;
  const o = page.overview;
  const key = JSON.stringify([o?.accounts, camps.list, [...busy].filter((k) => k.startsWith("c:")), [...results.entries()].filter(([k]) => k.startsWith("c:"))]);
  redraw(box, key, () => {
    if (!o) return fill(box);
    fill(box, o.accounts.map((a) => {
      const listed = camps.list?.find((l) => l.account === a.name);
      return h("article", { class: "ads-account", "data-testid": `ads-account-${a.name}` },
        h("h4", {}, a.name, " ", h("span", { class: "muted small" }, `${humanize(a.platform)} · ${a.account} · ${a.currency}`)),
        h("p", { class: "small muted" }, `Delivers on ${a.delivers_on.map(platformName).join(", ") || "—"}`),
        listed?.error ? h("p", { class: "msg-error", "data-testid": `ads-account-error-${a.name}` }, `The platform answered: ${listed.error.message}${listed.error.code ? ` (${listed.error.kind} ${listed.error.code})` : ""}`) : null,
        listed ? h("ul", { class: "msgs" },
          listed.campaigns.length ? listed.campaigns.map((c) => campaignRow(a.name, c)) : h("li", { class: "muted" }, "No campaigns.")) : null);
    }));
  });
}

function campaignRow(account: string, c: AdCampaign): HTMLElement {
  const k = `c:${account}:${c.id}`;
  const tid = `${account}-${c.id}`;
  const tone = c.status === "active" ? "ok" : c.status === "paused" ? "warn" : "unknown";
  const budget = budgetText(c.budget, c.budget_kind, c.currency);
  return h("li", { class: `msg campaign tone-${tone}`, "data-testid": `campaign-${tid}`, "data-status": c.status },
    h("div", { class: "msg-top" },
      h("span", { class: `pill tone-${tone}`, "data-testid": `campaign-status-${tid}` }, humanize(c.status === "other" ? c.platform_status.toLowerCase() || "other" : c.status)),
      h("span", { class: "msg-dest" }, c.name || c.id),
      h("span", { class: "small muted" }, c.id)),
    h("p", { class: "small muted" }, [c.effective_status && c.effective_status !== c.platform_status ? `delivering: ${c.effective_status}` : "", budget].filter(Boolean).join(" · ") || null),
    c.issues.length ? h("p", { class: "small bad-text" }, `Issues: ${c.issues.join("; ")}`) : null,
    h("div", { class: "msg-actions" },
      campaignActions(c).map((action) => h("button", { type: "button", "data-testid": `campaign-${action}-${tid}`, "data-fkey": `${action}-${tid}`, "aria-disabled": busy.has(k) ? "true" : null, onclick: () => void act(action, account, [c.id], k) }, action === "pause" ? "Pause" : "Resume"))),
    resultLine(k, `campaign-result-${tid}`));
}

function renderCampaignsStatus(): void {
  const el = document.getElementById("campaigns-status");
  if (!el) return;
  el.textContent = camps.loading ? "Asking the platforms…" : camps.error ? `Could not list the campaigns: ${camps.error}` : camps.at ? `As the platforms answered ${formatClock(new Date(camps.at).toISOString())}.` : "";
  el.dataset.tone = camps.error ? "bad" : "";
}

function renderHandAccounts(): void {
  const sel = document.getElementById("hand-account") as HTMLSelectElement | null;
  if (!sel) return;
  const names = page.overview?.accounts.map((a) => a.name) ?? [];
  redraw(sel, names.join("\n"), () => {
    const was = sel.value;
    sel.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    if (names.includes(was)) sel.value = was;
  });
}

function renderHandOutcome(): void {
  const el = document.getElementById("hand-outcome");
  if (!el) return;
  const r = results.get("hand");
  el.dataset.tone = busy.has("hand") ? "busy" : r?.tone ?? "";
  fill(el, busy.has("hand") ? "Asking the platform…" : r ? r.text : "",
    r?.needsToken ? [" ", h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(r.text) }, "Enter an API token")] : null);
}

function renderChanges(): void {
  const ul = document.getElementById("ads-changes");
  if (!ul) return;
  const list = recentChanges(page.changes, RECENT);
  const now_ = currentCampaigns();
  // A kept campaign someone resumed since (the record stays "kept"): say what the platform says.
  const againActive = (c: AdChange) => c.state === "kept" && now_?.get(campaignKey(c.account, c.campaign_id))?.status === "active";
  redraw(ul, JSON.stringify(list.map((c) => [c.id, c.state, c.updated_at, c.note, incidentOf(c.incident_id)?.title, againActive(c)])), () => {
    if (!list.length) {
      fill(ul, h("li", { class: "empty muted", "data-testid": "changes-empty" }, "Lifeline has not changed any campaign yet."));
      return;
    }
    const now = Date.now();
    fill(ul, list.map((c) => {
      const look = changeLook(c.state);
      const inc = incidentOf(c.incident_id);
      return h("li", { class: `msg tone-${look.tone}`, "data-testid": `change-${c.id}`, "data-state": c.state },
        h("div", { class: "msg-top" },
          h("span", { class: `pill tone-${look.tone}` }, h("span", { "aria-hidden": "true" }, `${look.icon} `), look.label),
          h("span", { class: "msg-dest" }, c.campaign_name || c.campaign_id),
          h("span", { class: "small muted" }, `${c.account} · ${whoPaused(c)}`),
          h("span", { class: "msg-when small muted" }, relTime(c.updated_at, formatRelative(c.updated_at, now)))),
        h("p", { class: "small" },
          c.incident_id ? h("a", { href: `#/incident/${encodeURIComponent(c.incident_id)}` }, inc?.title || c.incident_id) : h("span", { class: "muted" }, "by hand, outside incidents"),
          c.note ? ` · ${c.note}` : "",
          c.resumed_at ? ` · resumed ${formatClock(c.resumed_at, now)}` : "",
          againActive(c) ? h("strong", {}, " · active again now") : ""));
    }));
  });
}

function renderPolicies(): void {
  const dl = document.getElementById("ads-policies");
  const o = page.overview;
  if (!dl || !o) return;
  redraw(dl, JSON.stringify([o.policies, o.configured]), () => {
    if (!o.policies.length) {
      fill(dl, h("dd", { class: "muted" }, o.configured ? "No policies: only the plan's pause steps and people pause campaigns." : "No ads guard."));
      return;
    }
    fill(dl, o.policies.flatMap((p) => [h("dt", {}, p.name), h("dd", { "data-testid": `ads-policy-${p.name}` }, policyText(p))]));
  });
}

function renderCallIncidents(): void {
  const sel = document.getElementById("calls-incident") as HTMLSelectElement | null;
  if (!sel) return;
  const ids = callIncidents(page.changes, app.state.incidents);
  redraw(sel, JSON.stringify(ids.map((id) => [id, incidentOf(id)?.title])), () => {
    const was = sel.value;
    sel.replaceChildren(h("option", { value: "" }, "every call"), ...ids.map((id) => h("option", { value: id }, incidentOf(id)?.title ? `${incidentOf(id)!.title} (${id})` : id)));
    sel.value = ids.includes(was) || was === "" ? was : "";
    if (!was && !calls.list && ids[0]) sel.value = ids[0];
  });
}

function renderCalls(): void {
  const ol = document.getElementById("ads-calls");
  const status = document.getElementById("calls-status");
  if (!ol || !status) return;
  status.textContent = calls.loading ? "Loading the calls…" : calls.error ? `Could not load the calls: ${calls.error}` : calls.list ? `${calls.list.length} call${calls.list.length === 1 ? "" : "s"}${calls.list.length >= 1000 ? " (the first 1,000)" : ""}${calls.incident ? ` for ${calls.incident}` : ""}, newest first.` : "";
  const list = [...(calls.list ?? [])].sort((a, b) => b.id - a.id);
  const now = Date.now();
  fill(ol, list.map((c) => {
    const bad = !!c.failure || c.status >= 400 || c.status === 0;
    return h("li", { class: `ads-call${bad ? " bad" : ""}`, "data-testid": `call-${c.id}`, "data-status": c.status },
      h("p", { class: "call-line" },
        h("time", { datetime: c.at, class: "muted small" }, formatClock(c.at, now)), " ",
        h("strong", {}, c.account), ` ${c.op} `,
        h("span", { class: "mono" }, `${c.method} ${c.path}`),
        ` → ${c.status || "no answer"} in ${formatLatency(c.took_ms)}`),
      c.failure ? h("p", { class: "small bad-text" }, c.failure) : null,
      c.answer ? h("details", {}, h("summary", { class: "small" }, "Answer"), h("pre", { class: "mono call-answer" }, c.answer)) : null);
  }));
}
