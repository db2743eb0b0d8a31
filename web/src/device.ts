// "Is it my phone?": the rules of the device check (#/device), kept pure so they are unit-tested.
// The page (devicepage.ts) times the fetches; this module says what the device's results, put
// beside the server's verdicts, mean in words a community manager understands.

import type { PlatformsBody } from "./types";

// GET /v1/device/probes: what the browser fetches.
export interface DeviceProbeList {
  platforms: { platform: string; name: string; domain: string; device_probes: string[] }[];
  controls: { id: string; device_probes: string[] }[];
  timeout_ms: number;
  slow_ms: number;
  public_url?: string;
}

// One timed fetch: `ok` when the request completed (no-cors: the status is never visible).
export interface FetchResult {
  url: string;
  ok: boolean;
  ms: number;
}

export interface Connection {
  type?: string; // navigator.connection.type: wifi, cellular, ...
  effective_type?: string; // navigator.connection.effectiveType: 4g, 3g, ...
}

export interface DeviceResults {
  at: string;
  lifeline: FetchResult; // Lifeline's own server (/healthz)
  controls: FetchResult[];
  platforms: { platform: string; name: string; probes: FetchResult[] }[];
  connection?: Connection;
}

// What Lifeline's server sees, as far as the check needs it. `null`: not available, and why.
export interface ServerPlatform {
  verdict: string;
  layer: string;
  detail: string;
  incident_id: string | null;
}
export interface ServerView {
  platforms: Map<string, ServerPlatform>;
  connectivity: string; // the server's own: ok, local_dns, local_network, no_network
}

export function serverViewFrom(body: PlatformsBody): ServerView {
  const platforms = new Map<string, ServerPlatform>();
  for (const p of body.platforms ?? []) {
    platforms.set(p.platform, { verdict: p.verdict, layer: p.layer ?? "", detail: p.detail ?? "", incident_id: p.incident_id ?? null });
  }
  return { platforms, connectivity: String(body.observer?.connectivity ?? "ok") };
}

// Per platform: how the device's result and the server's verdict combine.
export type Outcome =
  | "this-device" // the server and its vantage points reach it, this device does not
  | "everyone" // down for everyone (the device's result agrees, or cannot tell otherwise)
  | "regional" // down in some regions, this device among them
  | "server-side" // this device reaches it, the server does not: between the server and it
  | "works" // this device and the server both reach it
  | "degraded" // this device reaches it; the server sees it slow or partly failing
  | "unclear" // the results disagree in a way that does not settle it
  | "device-only" // no server view to compare with: the device's result alone
  | "offline"; // this device reaches nothing: its result says nothing about the platform

// Overall, the headline's case.
export type Headline = "offline-all" | "offline" | "everyone" | "this-device" | "server-side" | "unclear" | "fine";

export interface PlatformAssessment {
  platform: string;
  name: string;
  reached: boolean;
  bestMs: number | null; // the fastest completed fetch
  slow: boolean;
  verdict: string | null; // the server's, when known
  outcome: Outcome;
  text: string;
  incidentId: string | null;
}

export interface Assessment {
  headline: Headline;
  title: string;
  advice: string;
  lifeline: boolean;
  controlsOk: number;
  controlsTotal: number;
  serverNote: string; // why the server's view is missing or partial ("" when it is fine)
  platforms: PlatformAssessment[];
}

// The server's verdicts that mean its own probes fail (it cannot reach the platform).
const SERVER_FAILS = new Set(["outage", "regional_outage", "just_you", "local_dns", "local_network", "no_network"]);
// Failing layers where the platform's servers answered, but wrongly (HTTP status, content).
const ANSWERED_LAYERS = new Set(["http", "content"]);

function reachedAny(probes: FetchResult[]): boolean {
  return probes.some((p) => p.ok);
}

function fastest(probes: FetchResult[]): number | null {
  const ms = probes.filter((p) => p.ok).map((p) => p.ms);
  return ms.length ? Math.min(...ms) : null;
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

// One platform: the device's result beside the server's verdict.
export function assessPlatform(
  p: { platform: string; name: string; probes: FetchResult[] },
  server: ServerPlatform | null,
  controls: { ok: number; total: number },
  slowMs: number,
): PlatformAssessment {
  const reached = reachedAny(p.probes);
  const bestMs = fastest(p.probes);
  const slow = reached && bestMs !== null && bestMs > slowMs;
  const base = { platform: p.platform, name: p.name, reached, bestMs, slow, verdict: server?.verdict ?? null, incidentId: server?.incident_id ?? null };
  const n = p.name;
  const v = server?.verdict ?? "";
  const known = !!server && v !== "unknown" && v !== "";

  if (!reached && controls.ok === 0) {
    return { ...base, outcome: "offline", text: `${n} does not answer, but neither does any other site: this says nothing about ${n}.` };
  }
  if (!known) {
    return reached
      ? { ...base, outcome: "device-only", text: `${n} answers this device${slow ? ", slowly" : ""}. Lifeline's own view is not available to compare.` }
      : { ...base, outcome: "device-only", text: `${n} does not answer this device, while other sites do. Lifeline's own view is not available, so it cannot say whether others see the same.` };
  }
  if (!reached) {
    const patchy = controls.ok < controls.total;
    const also = patchy ? ` (this device also missed ${controls.total - controls.ok} of ${controls.total} other sites)` : "";
    switch (v) {
      case "up":
        return { ...base, outcome: "this-device", text: `${n} does not answer this device${also}, but answers Lifeline's server and its vantage points: it is this device or its connection.` };
      case "outage":
        return { ...base, outcome: "everyone", text: `${n} is down for everyone: it fails from this device, from Lifeline's server and from (nearly) all vantage points.` };
      case "regional_outage":
        return { ...base, outcome: "regional", text: `${n} is down in some regions, and for this device: it fails from some of Lifeline's vantage points and works from others.` };
      case "degraded":
        return { ...base, outcome: "unclear", text: `${n} does not answer this device${also}, and Lifeline sees it partly failing (degraded): it may be ${n} or this device. Check again in a minute, or switch between Wi-Fi and mobile data.` };
      default:
        // just_you, local_dns, local_network, no_network: the server has its own trouble.
        return { ...base, outcome: "unclear", text: `${n} does not answer this device, and Lifeline's server cannot reach it either (${v.replace(/_/g, " ")}), though its vantage points may: it may be a network this device and the server share. Try mobile data.` };
    }
  }
  // The device reached it.
  if (v === "up") {
    return { ...base, outcome: "works", text: `${n} answers this device${slow ? " (slowly)" : ""} and Lifeline.` };
  }
  if (v === "degraded") {
    return { ...base, outcome: "degraded", text: `${n} answers this device${slow ? " (slowly)" : ""}; Lifeline sees it slow or partly failing (degraded).` };
  }
  if (SERVER_FAILS.has(v)) {
    if ((v === "outage" || v === "regional_outage") && ANSWERED_LAYERS.has(server?.layer ?? "")) {
      // No-cors hides the status: "reached" means its servers answered, maybe with an error page.
      return v === "outage"
        ? { ...base, outcome: "everyone", text: `${n} is down for everyone: its servers answer this device, but Lifeline sees them answer with errors (${[server?.layer, server?.detail].filter(Boolean).join(" ")}) from everywhere.` }
        : { ...base, outcome: "regional", text: `${n} is failing in some regions: its servers answer this device, but with errors from some of Lifeline's vantage points.` };
    }
    return { ...base, outcome: "server-side", text: `${n} works from here; the problem is between Lifeline's server and ${n} (the server sees ${v.replace(/_/g, " ")}).` };
  }
  return { ...base, outcome: "device-only", text: `${n} answers this device.` };
}

// The whole check: the headline first, then each platform.
export function assess(results: DeviceResults, server: ServerView | null, serverWhy: string, slowMs: number): Assessment {
  const controlsOk = results.controls.filter((c) => c.ok).length;
  const controlsTotal = results.controls.length;
  const lifeline = results.lifeline.ok;
  // The server's verdicts are only worth comparing when its own connection works.
  let view = server;
  let serverNote = serverWhy;
  if (view && view.connectivity !== "ok") {
    serverNote = `Lifeline's own connection is down (${view.connectivity.replace(/_/g, " ")}), so its verdicts cannot be compared.`;
    view = null;
  }
  const controls = { ok: controlsOk, total: controlsTotal };
  const platforms = results.platforms.map((p) => assessPlatform(p, view?.platforms.get(p.platform) ?? null, controls, slowMs));
  const reachedSome = platforms.some((p) => p.reached);
  const names = (o: Outcome) => platforms.filter((p) => p.outcome === o).map((p) => p.name);
  const base = { lifeline, controlsOk, controlsTotal, serverNote, platforms };

  if (controlsOk === 0 && !reachedSome) {
    if (!lifeline) {
      return { ...base, headline: "offline-all", title: "This device cannot reach Lifeline or the platforms: check the connection.", advice: "Turn Wi-Fi or mobile data off and on again, move to where the signal is better, or open any website to see whether a sign-in page of the network appears. Then check again." };
    }
    return { ...base, headline: "offline", title: "This device is offline: it reaches Lifeline, but no site on the internet.", advice: "It is this device's connection, not the platforms. Switch between Wi-Fi and mobile data, or open any website to see whether the network wants you to sign in, then check again." };
  }
  const everyone = names("everyone");
  const mine = names("this-device");
  const between = names("server-side");
  const unclear = [...names("unclear"), ...names("regional")];
  if (everyone.length) {
    const verb = everyone.length === 1 ? "is" : "are";
    return {
      ...base,
      headline: "everyone",
      title: `${joinNames(everyone)} ${verb} down for everyone.`,
      advice: `It is not this device: Lifeline sees the same from its server and its vantage points. Switching connection will not help; follow the incident below and use your backup channel.${mine.length ? ` Separately, ${joinNames(mine)} ${mine.length === 1 ? "does" : "do"} not answer this device although it works elsewhere.` : ""}`,
    };
  }
  if (mine.length) {
    return {
      ...base,
      headline: "this-device",
      title: `It is this device or its connection: ${joinNames(mine)} ${mine.length === 1 ? "answers" : "answer"} Lifeline and its vantage points, but not this device.`,
      advice: "Switch between Wi-Fi and mobile data, then check again. If it still fails on both, restart the device or check its VPN, firewall or parental controls.",
    };
  }
  if (between.length) {
    return {
      ...base,
      headline: "server-side",
      title: `${joinNames(between)} ${between.length === 1 ? "works" : "work"} from here; the problem is between Lifeline's server and ${joinNames(between)}.`,
      advice: "This device is fine. Lifeline's own server cannot reach it: its network, firewall or region. Tell whoever runs Lifeline.",
    };
  }
  if (unclear.length) {
    return {
      ...base,
      headline: "unclear",
      title: `Not settled for ${joinNames(unclear)}: see below.`,
      advice: "The device's results and Lifeline's view do not point the same way. Check again in a minute, or from another connection.",
    };
  }
  if (!view) {
    const failing = names("device-only").filter((n) => platforms.find((p) => p.name === n && !p.reached));
    if (failing.length) {
      return {
        ...base,
        headline: "unclear",
        title: `${joinNames(failing)} ${failing.length === 1 ? "does" : "do"} not answer this device, while other sites do.`,
        advice: `Lifeline's own view is not available${serverNote ? ` (${serverNote.replace(/\.$/, "")})` : ""}, so it cannot say whether others see the same. Switch between Wi-Fi and mobile data and check again.`,
      };
    }
  }
  return {
    ...base,
    headline: "fine",
    title: "This device reaches every platform Lifeline watches.",
    advice: controlsOk < controlsTotal ? `It missed ${controlsTotal - controlsOk} of ${controlsTotal} independent sites, which may be a filter on this network.` : "If an app still fails, it is likely the app itself or your account: try logging out and in, or updating the app.",
  };
}

// ---- the measured report (POST /v1/device/reports) ------------------------------------------

export interface MeasuredReportBody {
  device: string;
  platform: string;
  reached: boolean;
  probes: FetchResult[];
  controls: FetchResult[];
  connection?: Connection;
}

// The reports the page may send: one per platform whose result says something (not while the
// device reaches nothing at all).
export function measuredReports(device: string, results: DeviceResults): MeasuredReportBody[] {
  const controlsOk = results.controls.some((c) => c.ok);
  const out: MeasuredReportBody[] = [];
  for (const p of results.platforms) {
    const reached = reachedAny(p.probes);
    if (!reached && !controlsOk) continue;
    const body: MeasuredReportBody = { device, platform: p.platform, reached, probes: p.probes, controls: results.controls };
    const c = results.connection;
    if (c && (c.type || c.effective_type)) body.connection = { ...(c.type ? { type: c.type } : {}), ...(c.effective_type ? { effective_type: c.effective_type } : {}) };
    out.push(body);
  }
  return out;
}

export interface SendResult {
  platform: string;
  status: number; // 201, 429, 400, ... 0 when Lifeline did not answer
  message: string; // the server's words for a refusal
  retryAfter?: string; // RFC 3339, on 429
}

export interface SendOutcome {
  kind: "accepted" | "partly" | "duplicate" | "error" | "nothing";
  text: string;
}

function localTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// What to tell the person once every report was answered.
export function sendOutcome(results: SendResult[]): SendOutcome {
  if (!results.length) return { kind: "nothing", text: "There is nothing to send: this device reached no site, so its result says nothing about the platforms." };
  const accepted = results.filter((r) => r.status === 201);
  const dup = results.filter((r) => r.status === 429);
  const other = results.filter((r) => r.status !== 201 && r.status !== 429);
  if (other.length && !accepted.length && !dup.length) {
    const first = other[0]!;
    return { kind: "error", text: first.status === 0 ? "Lifeline is not answering, so the result could not be sent; try again once this device reaches it." : `The result was not accepted: ${first.message}` };
  }
  if (!accepted.length && dup.length) {
    const when = localTime(dup[0]!.retryAfter);
    return {
      kind: "duplicate",
      text: `Already sent: this device sent its result within this hour, and that one still counts (one measured report per device per platform per hour).${when ? ` You can send again after ${when}.` : ""}`,
    };
  }
  const n = accepted.length;
  let text = `Thank you — ${n} measured report${n === 1 ? "" : "s"} recorded. They count beside the reports people type, and show in each platform's evidence.`;
  if (dup.length) text += ` ${dup.length} had already been sent this hour.`;
  if (other.length) text += ` ${other.length} ${other.length === 1 ? "was" : "were"} refused: ${other[0]!.message}`;
  return { kind: dup.length || other.length ? "partly" : "accepted", text };
}

// ---- the device id ---------------------------------------------------------------------------

// A random id for this browser ("dev_" + 22 base64url characters), kept in localStorage so the
// server can count one report per device per platform per hour. It identifies nothing else.
export function newDeviceId(random: (n: number) => Uint8Array): string {
  const bytes = random(16);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `dev_${b64}`;
}

// The address to share: the server's public URL when it has one, else this page's origin.
export function shareLink(origin: string, publicUrl?: string): string {
  const base = (publicUrl && /^https?:\/\//.test(publicUrl) ? publicUrl : origin).replace(/\/+$/, "");
  return `${base}/#/device`;
}
