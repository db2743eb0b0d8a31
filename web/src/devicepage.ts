// The device check's page (#/device), made first for a phone: one button times, from this
// browser, no-cors fetches of each platform's `device_probes`, the control sites' and Lifeline's
// own server, puts the results beside the server's verdicts (rules in device.ts) and may send
// them as measured crowd reports. A service worker (sw.js) keeps the page openable when this
// device cannot reach Lifeline at all.

import "./device.css";
import QRCode from "qrcode";
import { ApiError, api } from "./api";
import { h, fill } from "./dom";
import {
  assess,
  measuredReports,
  newDeviceId,
  sendOutcome,
  serverViewFrom,
  shareLink,
  type Assessment,
  type Connection,
  type DeviceProbeList,
  type DeviceResults,
  type FetchResult,
  type MeasuredReportBody,
  type SendResult,
  type ServerView,
} from "./device";
import { verdictLook } from "./format";

const PROBES_KEY = "lifeline.device.probes"; // the last list, for a check without Lifeline
const DEVICE_KEY = "lifeline.device";

const page = {
  visible: false,
  running: false,
  list: null as DeviceProbeList | null,
  results: null as DeviceResults | null,
  assessment: null as Assessment | null,
  sent: false,
};

function store(key: string, value?: string): string | null {
  try {
    if (value !== undefined) localStorage.setItem(key, value);
    return localStorage.getItem(key);
  } catch {
    return null; // private mode without storage
  }
}

export function deviceId(): string {
  const saved = store(DEVICE_KEY);
  if (saved && /^[A-Za-z0-9_-]{16,64}$/.test(saved)) return saved;
  const id = newDeviceId((n) => crypto.getRandomValues(new Uint8Array(n)));
  store(DEVICE_KEY, id);
  return id;
}

// ---- the page ---------------------------------------------------------------------------------

export function initDevice(): void {
  const main = h("main", { id: "device-page", class: "device-page", "data-testid": "device-page", "aria-labelledby": "device-title", hidden: true },
    h("section", { class: "device-hero" },
      h("h2", { id: "device-title", tabindex: "-1" }, "Is it my phone?"),
      h("p", { class: "hint" }, "Checks, from this device, whether it reaches each platform and a few independent sites, and puts that beside what Lifeline sees from its server and vantage points."),
      h("button", { type: "button", id: "device-check", class: "device-check", "data-testid": "device-check", onclick: () => void runCheck() }, "Check from this device"),
      h("p", { id: "device-status", class: "muted device-status", "data-testid": "device-status", role: "status", "aria-live": "polite" })),
    h("section", { id: "device-result", class: "device-result", "data-testid": "device-result", hidden: true, "aria-live": "polite" }),
    h("section", { id: "device-send-section", class: "panel device-send", hidden: true, "aria-labelledby": "device-send-title" },
      h("h3", { id: "device-send-title" }, "Share the result with Lifeline"),
      h("p", { class: "hint" }, "Sends what this device measured (which sites answered, how fast, and the connection type when the browser tells it) as a measured report: one per platform per hour counts. Nothing else about you or this device is sent."),
      h("button", { type: "button", id: "device-send", "data-testid": "device-send", onclick: () => void sendReports() }, "Send this result"),
      h("p", { id: "device-send-outcome", class: "outcome", "data-testid": "device-send-outcome", role: "status", "aria-live": "polite" })),
    h("section", { class: "panel device-share", "aria-labelledby": "device-share-title" },
      h("h3", { id: "device-share-title" }, "Check from a phone"),
      h("p", { class: "hint" }, "Open this page on the phone that has trouble: scan the code or send the link."),
      h("div", { class: "device-share-row" },
        h("div", { id: "device-qr", class: "device-qr", "data-testid": "device-qr", role: "img", "aria-label": "QR code of the link to this page" }),
        h("div", { class: "device-link-box" },
          h("input", { id: "device-link", class: "device-link", "data-testid": "device-link", readonly: true, "aria-label": "Link to this page" }),
          h("div", { class: "buttons" },
            h("button", { type: "button", class: "quiet", "data-testid": "device-copy", onclick: () => void copyLink() }, "Copy link"),
            h("button", { type: "button", class: "quiet", id: "device-share-button", "data-testid": "device-share", hidden: true, onclick: () => void shareNative() }, "Share…")),
          h("p", { id: "device-copy-outcome", class: "muted small", role: "status" })))));
  const anchor = document.getElementById("plan-page") ?? document.getElementById("outbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
}

// Shown or hidden by main.ts's routing.
export function showDevice(show: boolean): void {
  const el = document.getElementById("device-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (!show || was) return;
  document.title = "Is it my phone? — Lifeline";
  document.getElementById("device-title")?.focus();
  renderShare();
  void onOpen();
}

// On opening: fetch the list (and the public address) and, when Lifeline itself does not answer,
// check at once, so a device with no connection is told so without pressing anything.
async function onOpen(): Promise<void> {
  const list = await loadList();
  renderShare();
  if (!list.fromServer && !page.running && !page.results) void runCheck();
}

async function loadList(): Promise<{ list: DeviceProbeList | null; fromServer: boolean }> {
  try {
    const res = await fetch("/v1/device/probes", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (res.ok) {
      const list = (await res.json()) as DeviceProbeList;
      page.list = list;
      store(PROBES_KEY, JSON.stringify(list));
      return { list, fromServer: true };
    }
  } catch {
    // Lifeline is not answering: the last list this device saw, if any.
  }
  const saved = store(PROBES_KEY);
  if (saved) {
    try {
      page.list = JSON.parse(saved) as DeviceProbeList;
    } catch {
      page.list = null;
    }
  }
  return { list: page.list, fromServer: false };
}

// ---- measuring ----------------------------------------------------------------------------------

// One fetch, timed. no-cors: the platform need not cooperate, and the answer stays opaque (only
// "the request completed" is known). no-store: never an answer from this browser's cache. No
// cookies and no referrer go to the platform.
async function timeFetch(url: string, timeoutMs: number): Promise<FetchResult> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const t0 = performance.now();
  let ok = false;
  try {
    await fetch(url, { mode: "no-cors", cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer", signal: ctrl.signal });
    ok = true;
  } catch {
    ok = false;
  } finally {
    clearTimeout(timer);
  }
  const ms = Math.round(performance.now() - t0);
  return { url, ok, ms: Math.min(ms, timeoutMs) };
}

// Lifeline's own server: any answer counts (a 503 from /healthz still came from it).
async function timeLifeline(timeoutMs: number): Promise<FetchResult> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const t0 = performance.now();
  let ok = false;
  try {
    await fetch("/healthz", { cache: "no-store", signal: ctrl.signal });
    ok = true;
  } catch {
    ok = false;
  } finally {
    clearTimeout(timer);
  }
  return { url: "/healthz", ok, ms: Math.min(Math.round(performance.now() - t0), timeoutMs) };
}

function connection(): Connection | undefined {
  const c = (navigator as Navigator & { connection?: { type?: string; effectiveType?: string } }).connection;
  if (!c) return undefined;
  const out: Connection = {};
  if (c.type) out.type = c.type;
  if (c.effectiveType) out.effective_type = c.effectiveType;
  return out.type || out.effective_type ? out : undefined;
}

async function serverView(): Promise<{ view: ServerView | null; why: string }> {
  try {
    return { view: serverViewFrom(await api.platforms()), why: "" };
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    if (err.status === 0) return { view: null, why: "this device cannot reach Lifeline" };
    if (err.needsToken) return { view: null, why: "Lifeline needs an API token to show its verdicts (the board's API token button)" };
    return { view: null, why: `Lifeline did not give its verdicts: ${err.message}` };
  }
}

async function runCheck(): Promise<void> {
  if (page.running) return;
  page.running = true;
  const button = document.getElementById("device-check") as HTMLButtonElement | null;
  const status = document.getElementById("device-status");
  if (button) button.disabled = true;
  if (status) {
    status.dataset.state = "running";
    status.textContent = "Checking from this device…";
  }
  try {
    const { list, fromServer } = await loadList();
    const timeout = list?.timeout_ms ?? 5000;
    const lifelineP = timeLifeline(timeout);
    const controlsP = Promise.all((list?.controls ?? []).flatMap((c) => c.device_probes.map((u) => timeFetch(u, timeout))));
    const platformsP = Promise.all((list?.platforms ?? []).map(async (p) => ({ platform: p.platform, name: p.name, probes: await Promise.all(p.device_probes.map((u) => timeFetch(u, timeout))) })));
    const serverP = fromServer ? serverView() : Promise.resolve({ view: null, why: "this device cannot reach Lifeline" });
    const [lifeline, controls, platforms, server] = await Promise.all([lifelineP, controlsP, platformsP, serverP]);
    const results: DeviceResults = { at: new Date().toISOString(), lifeline, controls, platforms };
    const conn = connection();
    if (conn) results.connection = conn;
    page.results = results;
    page.sent = false;
    page.assessment = assess(results, server.view, server.why ? `${server.why[0]!.toUpperCase()}${server.why.slice(1)}.` : "", list?.slow_ms ?? 2000);
    if (!list) {
      page.assessment.serverNote = "This device has not fetched the list of platforms from Lifeline yet, so only Lifeline itself was tried.";
    }
    render();
    if (status) {
      status.dataset.state = "done";
      status.textContent = `Checked at ${new Date(results.at).toLocaleTimeString()}.`;
    }
  } finally {
    page.running = false;
    if (button) {
      button.disabled = false;
      button.textContent = "Check again";
    }
  }
}

// ---- rendering ------------------------------------------------------------------------------

const TONE: Record<string, string> = {
  "offline-all": "local",
  offline: "local",
  everyone: "bad",
  "this-device": "local",
  "server-side": "warn",
  unclear: "unknown",
  fine: "ok",
};
const OUTCOME_TONE: Record<string, string> = {
  "this-device": "local",
  everyone: "bad",
  regional: "warn",
  "server-side": "warn",
  works: "ok",
  degraded: "warn",
  unclear: "unknown",
  "device-only": "unknown",
  offline: "local",
};

function ms(r: FetchResult | number | null): string {
  const v = typeof r === "number" || r === null ? r : r.ms;
  return v === null ? "" : `${v} ms`;
}

function connectionText(c: Connection | undefined): string {
  if (!c) return "not told by this browser";
  const type = c.type === "wifi" ? "Wi-Fi" : c.type === "cellular" ? "mobile data" : c.type ?? "";
  return [type, c.effective_type ? `like ${c.effective_type}` : ""].filter(Boolean).join(", ") || "not told by this browser";
}

function render(): void {
  const a = page.assessment;
  const r = page.results;
  const box = document.getElementById("device-result");
  if (!a || !r || !box) return;
  const incident = a.platforms.find((p) => p.outcome === "everyone" && p.incidentId)?.incidentId ?? null;
  fill(box,
    h("div", { class: `device-verdict tone-${TONE[a.headline] ?? "unknown"}`, "data-testid": "device-verdict", "data-case": a.headline },
      h("p", { class: "device-title", "data-testid": "device-headline" }, a.title),
      h("p", { class: "device-advice", "data-testid": "device-advice" }, a.advice),
      incident ? h("p", {}, h("a", { href: `#/incident/${encodeURIComponent(incident)}`, "data-testid": "device-incident" }, "Open the incident")) : null,
      a.serverNote ? h("p", { class: "muted small", "data-testid": "device-server-note" }, a.serverNote) : null),
    h("div", { class: "panel device-self", "data-testid": "device-self" },
      h("h3", {}, "This device"),
      h("ul", { class: "device-facts" },
        h("li", { "data-testid": "device-lifeline", "data-ok": String(a.lifeline) }, a.lifeline ? `Reaches Lifeline (${ms(r.lifeline)})` : "Does not reach Lifeline"),
        h("li", { "data-testid": "device-controls", "data-ok": String(a.controlsOk) }, `Reaches ${a.controlsOk} of ${a.controlsTotal} independent sites`),
        h("li", {}, `Connection: ${connectionText(r.connection)}`))),
    a.platforms.length ? rows(a) : null);
  box.hidden = false;
  const sendSection = document.getElementById("device-send-section");
  const bodies = measuredReports(deviceId(), r);
  if (sendSection) sendSection.hidden = !a.lifeline || !bodies.length;
  const out = document.getElementById("device-send-outcome");
  if (out && !page.sent) {
    out.textContent = "";
    delete out.dataset.outcome;
  }
}

// The platforms, those with something to say first. While the device is offline every row says
// the same: they stay folded.
function rows(a: Assessment): HTMLElement {
  const quiet = (o: string) => (o === "works" ? 1 : 0);
  const sorted = [...a.platforms].sort((x, y) => quiet(x.outcome) - quiet(y.outcome));
  const list = h("ul", { class: "device-rows", "data-testid": "device-rows" },
          sorted.map((p) => {
            const look = p.verdict ? verdictLook(p.verdict) : null;
            return h("li", { class: `device-row tone-${OUTCOME_TONE[p.outcome] ?? "unknown"}`, "data-testid": `device-row-${p.platform}`, "data-outcome": p.outcome, "data-reached": String(p.reached) },
              h("div", { class: "device-row-head" },
                h("span", { class: "device-row-name" }, p.name),
                h("span", { class: "device-row-here" }, p.reached ? `✓ here ${ms(p.bestMs)}${p.slow ? " (slow)" : ""}` : "✗ not from here"),
                h("span", { class: "device-row-server muted" }, look ? `Lifeline: ${look.label.toLowerCase()}` : "Lifeline: —")),
              h("p", { class: "device-row-text" }, p.text));
          }));
  if (a.headline !== "offline" && a.headline !== "offline-all") return list;
  return h("details", { class: "device-fold" }, h("summary", {}, `Each platform (${a.platforms.length})`), list);
}

// ---- sending ----------------------------------------------------------------------------------

async function sendOne(body: MeasuredReportBody): Promise<SendResult> {
  try {
    const res = await fetch("/v1/device/reports", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    type Answer = { error?: { message?: string }; retry_after?: string };
    let json: Answer | null = null;
    try {
      json = (await res.json()) as Answer;
    } catch {
      json = null;
    }
    const out: SendResult = { platform: body.platform, status: res.status, message: json?.error?.message ?? `HTTP ${res.status}` };
    if (json?.retry_after) out.retryAfter = json.retry_after;
    return out;
  } catch {
    return { platform: body.platform, status: 0, message: "" };
  }
}

async function sendReports(): Promise<void> {
  const r = page.results;
  const button = document.getElementById("device-send") as HTMLButtonElement | null;
  const out = document.getElementById("device-send-outcome");
  if (!r || !out) return;
  if (button) button.disabled = true;
  out.dataset.outcome = "sending";
  out.textContent = "Sending…";
  const answers = await Promise.all(measuredReports(deviceId(), r).map(sendOne));
  const o = sendOutcome(answers);
  page.sent = true;
  out.dataset.outcome = o.kind;
  out.textContent = o.text;
  if (button) button.disabled = false;
}

// ---- sharing ----------------------------------------------------------------------------------

function link(): string {
  return shareLink(location.origin, page.list?.public_url);
}

let qrFor = "";
function renderShare(): void {
  const input = document.getElementById("device-link") as HTMLInputElement | null;
  const url = link();
  if (input) input.value = url;
  const share = document.getElementById("device-share-button");
  if (share) share.hidden = typeof navigator.share !== "function";
  const qr = document.getElementById("device-qr");
  if (!qr || qrFor === url) return;
  qrFor = url;
  // Drawn here, in the browser: the link never goes to a QR service.
  QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 2 })
    .then((svg) => {
      if (qrFor !== url) return;
      const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      const el = doc.documentElement;
      el.setAttribute("aria-hidden", "true");
      el.setAttribute("data-link", url);
      qr.replaceChildren(document.importNode(el, true));
      qr.dataset.link = url;
    })
    .catch(() => {
      qr.textContent = "The QR code could not be drawn; use the link.";
    });
}

async function copyLink(): Promise<void> {
  const out = document.getElementById("device-copy-outcome");
  try {
    await navigator.clipboard.writeText(link());
    if (out) out.textContent = "Link copied.";
  } catch {
    (document.getElementById("device-link") as HTMLInputElement | null)?.select();
    if (out) out.textContent = "Select the link and copy it.";
  }
}

async function shareNative(): Promise<void> {
  try {
    await navigator.share({ title: "Is it my phone? — Lifeline", url: link() });
  } catch {
    // Cancelled by the person: nothing to say.
  }
}
