// A stand-in for `lifeline demo` for front-end work: serves web/dist and a fake /v1 API (same
// shapes as /work/notes/api.md) with a scripted WhatsApp outage, live over SSE. The e2e suite
// uses it only when LIFELINE_BIN is not set; it never replaces the real binary in CI.
//
//   node e2e/mock-server.mjs --listen 127.0.0.1:8090 --outage-after 5s --outage-for 20s --interval 5s
//        [--anonymous-role viewer|operator|none] [--token SECRET] [--dist DIR]
// Mock-only controls (for tests of what the real demo cannot script):
//   POST /__mock/observer {"connectivity": "local_network"}   POST /__mock/drop-streams
//   POST /__mock/anonymous-role {"role": "viewer"}   POST /__mock/plan {"loaded": false}
// The device check (e2e/mock-device.mjs) answers its device probes at /__mock/device/....
// The contingency plan (e2e/mock-playbook.mjs) runs its response on the WhatsApp incident;
// --monitor-window SECONDS (default 10) is its monitoring window after the restoration.
// The ads guard and the recovery checklist (e2e/mock-ads.mjs) pause the simulated Meta campaigns
// on the WhatsApp incident (--ads-min-duration, default 3 s) and resume them --ads-settle seconds
// (default 12) after it closes.
// The content calendar (e2e/mock-calendar.mjs) holds its two posts' WhatsApp parts during the
// outage and releases them when it closes.
// The inbox (e2e/mock-inbox.mjs) moves a waiting WhatsApp customer to Telegram when the WhatsApp
// incident opens and replays a WhatsApp backlog when it closes; listening (e2e/mock-listening.mjs)
// has a chatter spike in the two hours before the start and sources in trouble.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createMockAds } from "./mock-ads.mjs";
import { createMockCalendar } from "./mock-calendar.mjs";
import { createMockDevice } from "./mock-device.mjs";
import { createMockInbox } from "./mock-inbox.mjs";
import { createMockListening } from "./mock-listening.mjs";
import { createMockFleet } from "./mock-fleet.mjs";
import { createMockPlaybook } from "./mock-playbook.mjs";
import { createMockRelay } from "./mock-relay.mjs";

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { listen: "127.0.0.1:8090", outageAfter: 5, outageFor: 20, interval: 5, anonymousRole: "operator", token: "", dist: resolve(here, "../dist"), ping: 15, monitorWindow: 10, adsSettle: 12, adsMinDuration: 3 };
  const secs = (v) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
    if (!m) throw new Error(`bad duration ${v}`);
    const n = Number(m[1]);
    return m[2] === "ms" ? n / 1000 : m[2] === "m" ? n * 60 : n;
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--listen") o.listen = v();
    else if (a === "--outage-after") o.outageAfter = secs(v());
    else if (a === "--outage-for") o.outageFor = secs(v());
    else if (a === "--interval") o.interval = secs(v());
    else if (a === "--anonymous-role") o.anonymousRole = v();
    else if (a === "--token") o.token = v();
    else if (a === "--dist") o.dist = resolve(v());
    else if (a === "--ping") o.ping = secs(v());
    else if (a === "--monitor-window") o.monitorWindow = secs(v());
    else if (a === "--ads-settle") o.adsSettle = secs(v());
    else if (a === "--ads-min-duration") o.adsMinDuration = secs(v());
    else throw new Error(`unknown flag ${a}`);
  }
  return o;
}

const opt = parseArgs(process.argv);

const CATALOG = [
  ["facebook", "Facebook", "meta"], ["instagram", "Instagram", "meta"], ["whatsapp", "WhatsApp", "meta"],
  ["messenger", "Messenger", "meta"], ["threads", "Threads", "meta"], ["x", "X (Twitter)", "x"],
  ["tiktok", "TikTok", "bytedance"], ["youtube", "YouTube", "google"], ["google_business_profile", "Google Business Profile", "google"],
  ["linkedin", "LinkedIn", "microsoft"], ["telegram", "Telegram", "telegram"], ["snapchat", "Snapchat", "snap"],
  ["pinterest", "Pinterest", "pinterest"], ["reddit", "Reddit", "reddit"], ["discord", "Discord", "discord"],
  ["signal", "Signal", "signal"], ["bluesky", "Bluesky", "bluesky"], ["mastodon", "Mastodon (mastodon.social)", "mastodon.social"],
  ["twitch", "Twitch", "amazon"], ["tumblr", "Tumblr", "automattic"],
];
const OUTAGE = "whatsapp";
const started = Date.now();
const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

// Deterministic pseudo-random latency per platform and time.
function baseLatency(id) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 40 + (h % 160);
}
function jitter(id, t) {
  const x = Math.sin(t / 60_000 + baseLatency(id)) * 0.25 + Math.sin(t / 7_000 + id.length) * 0.1;
  return Math.round(baseLatency(id) * (1 + x));
}

let observer = { connectivity: "ok", evidence: ["5 of 5 control sites load", "this machine's resolver answers"] };
const views = new Map();
const history = new Map(); // id -> Map(minuteStart -> {count, ok, lats[]})
const incidents = new Map();
const events = new Map(); // incident id -> [events]
let incSeq = 0;
const reports = new Map(); // `${client}|${platform}` -> time
const reportCounts = new Map();

function outageNow(t) {
  const s = (t - started) / 1000;
  return s >= opt.outageAfter && s < opt.outageAfter + opt.outageFor;
}

function probesFor(id, t, failing) {
  const name = id.replace(/_/g, "");
  const target = `https://www.${name}.example/`;
  const lat = jitter(id, t);
  const ok = (from) => ({ id: "web", kind: "http", target, from, ok: true, layer: "", detail: "", message: "HTTP 200 in time", timings_ms: { dns: 3, connect: 11, tls: 24, first_byte: lat - 10, total: lat }, http_status: 200 });
  const bad = (from) => ({ id: "web", kind: "http", target, from, ok: false, layer: "tcp", detail: "refused", message: "connect to 127.0.0.1:8443 refused", timings_ms: { dns: 3, connect: 1, total: 4 } });
  const dns = { id: "dns", kind: "dns", target: `www.${name}.example`, from: "here", ok: true, layer: "", detail: "", message: "1 address", timings_ms: { dns: 3, total: 3 }, resolver: "127.0.0.53:53", addresses: ["127.0.0.1"] };
  return failing ? [dns, bad("here"), bad("eu-west"), bad("us-east")] : [dns, ok("here"), ok("eu-west"), ok("us-east")];
}

function makeView(id, name, domain, t, prev) {
  const failing = id === OUTAGE && outageNow(t);
  const lat = failing ? null : jitter(id, t);
  let state = "ok";
  if (failing) state = prev?.verdict === "outage" || prev?.state === "failing" ? "failing" : "failing";
  else if (prev && prev.verdict === "outage") state = "recovering";
  const v = {
    platform: id, name, domain,
    verdict: failing ? "outage" : "up",
    layer: failing ? "tcp" : "", detail: failing ? "refused" : "",
    confidence: failing ? 0.93 : 0.97,
    reason: failing ? "TCP connection refused here and from 2 of 2 vantage points" : `loads in ${lat} ms here and from 2 of 2 vantage points`,
    evidence: failing
      ? ["2 of 2 vantage points fail with TCP refused", "here: connect to 127.0.0.1:8443 refused", "5 of 5 control sites load: this machine's connection is fine"]
      : [`here: HTTP 200 in ${lat} ms`, "2 of 2 vantage points load it", "5 of 5 control sites load"],
    latency_ms: lat, checked_at: iso(t), state,
    incident_id: null,
    suppressed: id === "tumblr" ? { name: "weekly db upgrade", kind: "maintenance", until: iso(started + 3600_000) } : null,
    status_page: id === "discord" ? { indicator: "minor", description: "Degraded voice connectivity in EU", fetched_at: iso(t) } : { indicator: "none", description: "All Systems Operational", fetched_at: iso(t) },
    crowd: { reports_last_hour: (reportCounts.get(id) ?? 0) + device.unreachable(id), baseline: 2, flagged: (reportCounts.get(id) ?? 0) >= 10 },
  };
  const measured = device.evidence(id, name);
  if (measured) v.evidence.push(measured);
  return v;
}

function record(id, t, ok, lat) {
  const m = Math.floor(t / 60_000) * 60_000;
  let h = history.get(id);
  if (!h) history.set(id, (h = new Map()));
  const b = h.get(m) ?? { count: 0, ok: 0, lats: [] };
  b.count++;
  if (ok) {
    b.ok++;
    b.lats.push(lat);
  }
  h.set(m, b);
}

// Six hours of past minutes so the charts have something to show from the start.
for (const [id] of CATALOG) {
  for (let m = 360; m >= 1; m--) {
    const t = started - m * 60_000;
    const dip = id === "discord" && m > 100 && m < 112;
    for (let k = 0; k < 2; k++) record(id, t + k * 30_000, !(dip && k === 0), jitter(id, t + k * 30_000));
  }
}

function pct(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function historyBody(id, from, to) {
  const h = history.get(id) ?? new Map();
  const points = [...h.entries()]
    .filter(([m]) => m >= from && m <= to)
    .sort(([a], [b]) => a - b)
    .map(([m, b]) => {
      const l = [...b.lats].sort((x, y) => x - y);
      return { t: iso(m), count: b.count, availability: b.count ? b.ok / b.count : null, p50_ms: pct(l, 0.5), p95_ms: pct(l, 0.95), p99_ms: pct(l, 0.99) };
    });
  return { platform: id, points };
}

// ---- SSE ----
const streams = new Set();
function broadcast(type, data) {
  const msg = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const s of streams) s.write(msg);
}
setInterval(() => {
  for (const s of streams) s.write(": ping\n\n");
}, opt.ping * 1000).unref();

const relay = createMockRelay({ broadcast, iso, whatsappFailing: () => outageNow(Date.now()) });
// The device check: defined before the first round, whose views carry its evidence line.
let baseUrl = `http://${opt.listen}`;
const device = createMockDevice({ catalog: CATALOG, base: () => baseUrl, failing: (id) => id === OUTAGE && outageNow(Date.now()) });

function addEvent(incId, type, message, data = {}, { live = true } = {}) {
  const list = events.get(incId) ?? [];
  const ev = { seq: list.length + 1, at: iso(Date.now()), type, message, data };
  list.push(ev);
  events.set(incId, list);
  if (live) broadcast("incident_event", { incident_id: incId, event: ev });
}

const playbook = createMockPlaybook({
  iso,
  // As the real engine: the plan's entries are stored, not pushed live.
  timeline: (incId, type, message, data) => addEvent(incId, type, message, data, { live: false }),
  sendToContact: (contact, fields) => relay.sendToContact(contact, fields),
  base: () => baseUrl,
  incident: (id) => incidents.get(id),
  events: (id) => events.get(id) ?? [],
  monitorWindowS: opt.monitorWindow,
});

// The ads guard: its ads_* timeline entries go out live as incident_event messages.
const ads = createMockAds({
  iso,
  timeline: (incId, type, message, data) => addEvent(incId, type, message, data),
  incident: (id) => incidents.get(id),
  minDurationS: opt.adsMinDuration,
  settleS: opt.adsSettle,
});

// The content calendar: two posts due during the outage, their WhatsApp parts held by it.
const calendar = createMockCalendar({
  iso,
  timeline: (incId, type, message, data) => addEvent(incId, type, message, data),
  broadcast,
  incidents: () => incidents,
  outageStartsAt: started + opt.outageAfter * 1000,
});

// The inbox and listening: their own worlds (see the files).
const inbox = createMockInbox({ iso, broadcast, incidents: () => incidents });
const listening = createMockListening({ iso, broadcast });
const fleet = createMockFleet({ iso, broadcast });

let openIncident = null;
function round() {
  const t = Date.now();
  for (const [id, name, domain] of CATALOG) {
    const prev = views.get(id);
    const v = makeView(id, name, domain, t, prev);
    record(id, t, v.verdict === "up", v.latency_ms);
    if (id === OUTAGE) {
      if (v.verdict === "outage" && !openIncident) {
        const incId = `inc_${String(++incSeq).padStart(4, "0")}`;
        openIncident = { id: incId, kind: "platform", domain, platforms: [id], verdict: "outage", state: "open", title: "meta: outage of WhatsApp", opened_at: iso(t), updated_at: iso(t), closed_at: null, duration_s: null };
        incidents.set(incId, openIncident);
        broadcast("incident", openIncident);
        relay.onIncident(openIncident);
        playbook.onIncident(openIncident);
        ads.onIncident(openIncident);
        inbox.onIncident(openIncident);
        addEvent(incId, "opened", "WhatsApp: outage (tcp/refused) confirmed by 2 of 2 vantage points");
        addEvent(incId, "evidence", "here: connect to 127.0.0.1:8443 refused");
      } else if (v.verdict === "outage" && openIncident) {
        openIncident.updated_at = iso(t);
        addEvent(openIncident.id, "evidence", `still failing: ${v.reason}`);
      } else if (v.verdict === "up" && openIncident) {
        const inc = openIncident;
        inc.state = "closed";
        inc.closed_at = iso(t);
        inc.updated_at = iso(t);
        inc.duration_s = Math.round((t - Date.parse(inc.opened_at)) / 1000);
        addEvent(inc.id, "closed", `WhatsApp recovered: ${v.reason}`);
        broadcast("incident", inc);
        relay.onIncident(inc);
        playbook.onIncident(inc);
        ads.onIncident(inc);
        calendar.onIncident(inc);
        inbox.onIncident(inc);
        openIncident = null;
      }
      v.incident_id = openIncident?.id ?? null;
    }
    if (prev?.state === "recovering" && v.verdict === "up") v.state = "ok";
    views.set(id, v);
    broadcast("platform", v);
  }
}
round();
setInterval(round, opt.interval * 1000).unref();

// ---- HTTP ----
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon" };

function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(text);
}
const err = (res, status, code, message) => send(res, status, { error: { code, message } });

const ROLES = { none: 0, viewer: 1, operator: 2, admin: 3 };
function role(req) {
  const a = req.headers.authorization;
  if (a) {
    const tok = a.replace(/^Bearer\s+/i, "");
    if (opt.token && tok === opt.token) return 2;
    return -1;
  }
  return ROLES[opt.anonymousRole] ?? 1;
}
function need(req, res, min) {
  const r = role(req);
  if (r < 0) return err(res, 401, "unauthenticated", "unknown or revoked API token"), false;
  if (r < min) {
    // As the real server: an anonymous caller below the role gets 401, a token below it 403.
    if (!req.headers.authorization) return err(res, 401, "unauthenticated", `this endpoint needs a token with role ${Object.keys(ROLES)[min]} or higher (Authorization: Bearer <token>)`), false;
    return err(res, 403, "permission_denied", `needs role ${Object.keys(ROLES)[min]}`), false;
  }
  return true;
}

async function body(req) {
  let s = "";
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : null;
}

function platformsBody() {
  return { platforms: CATALOG.map(([id]) => views.get(id)), observer, updated_at: iso(Math.max(...[...views.values()].map((v) => Date.parse(v.checked_at)))) };
}

async function serveStatic(req, res, path) {
  const file = normalize(join(opt.dist, decodeURIComponent(path)));
  if (!file.startsWith(opt.dist)) return err(res, 404, "not_found", "no such file");
  try {
    const st = await stat(file);
    if (st.isFile()) {
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      return res.end(await readFile(file));
    }
  } catch {}
  try {
    res.writeHead(200, { "Content-Type": TYPES[".html"] });
    res.end(await readFile(join(opt.dist, "index.html")));
  } catch {
    err(res, 404, "not_found", `no dashboard build in ${opt.dist} (run npm run build)`);
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const p = url.pathname;
  try {
    if (p === "/healthz") return send(res, 200, { status: "ok", store: "ok" });
    if (p === "/__mock/observer" && req.method === "POST") {
      const b = await body(req);
      observer = b.connectivity === "ok" ? { connectivity: "ok", evidence: ["5 of 5 control sites load"] } : { connectivity: b.connectivity, evidence: ["0 of 5 control sites load", "no default route"] };
      broadcast("observer", observer);
      return send(res, 200, observer);
    }
    if (p === "/__mock/anonymous-role" && req.method === "POST") {
      opt.anonymousRole = (await body(req)).role;
      return send(res, 200, { anonymous_role: opt.anonymousRole });
    }
    if (p === "/__mock/plan" && req.method === "POST") {
      const b = (await body(req)) ?? {};
      playbook.setLoaded(b.loaded !== false);
      return send(res, 200, { loaded: b.loaded !== false });
    }
    if (p === "/__mock/drop-streams" && req.method === "POST") {
      const n = streams.size;
      for (const s of streams) s.destroy();
      streams.clear();
      return send(res, 200, { dropped: n });
    }
    if (device.handles(p)) return device.handle(req, res, url, { send, err });
    if (inbox.handles(p)) return inbox.handle(req, res, url, { need, send, err, body });
    if (listening.handles(p)) return listening.handle(req, res, url, { need, send, err, body });
    if (fleet.handles(p)) return fleet.handle(req, res, url, { need, send, err, body });
    if (!p.startsWith("/v1/")) return serveStatic(req, res, p);
    if (p === "/v1/reports" && req.method === "POST") {
      const b = await body(req);
      const known = CATALOG.some(([id]) => id === b?.platform);
      if (!known) return err(res, 400, "invalid_argument", `field 'platform': unknown platform '${b?.platform}'`);
      const key = `${req.socket.remoteAddress}|${b.platform}`;
      if (reports.has(key) && Date.now() - reports.get(key) < 3600_000) return err(res, 429, "resource_exhausted", "one report per platform per hour from this client");
      reports.set(key, Date.now());
      const n = (reportCounts.get(b.platform) ?? 0) + 1;
      reportCounts.set(b.platform, n);
      return send(res, 201, { accepted: true, platform: b.platform, reports_last_hour: n, flagged: n >= 10 });
    }
    if (p === "/v1/check" && req.method === "POST") {
      if (!need(req, res, 2)) return;
      const b = (await body(req)) ?? {};
      const ids = b.platforms?.length ? b.platforms : CATALOG.map(([id]) => id);
      const t = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const platforms = ids.map((id) => {
        const c = CATALOG.find(([x]) => x === id);
        const v = makeView(id, c[1], c[2], t, views.get(id));
        return { ...v, status: { fetched: true, indicator: "none", description: "All Systems Operational" }, probes: probesFor(id, t, v.verdict === "outage") };
      });
      return send(res, 200, { checked_at: iso(t), exit_code: platforms.some((x) => x.verdict !== "up") ? 1 : 0, observer, platforms, domains: [], vantage_points: [], notes: [] });
    }
    if (relay.handles(p)) return relay.handle(req, res, url, { need, send, err, body });
    if (playbook.handles(p)) return playbook.handle(req, res, url, { need, send, err, body });
    if (ads.handles(p)) return ads.handle(req, res, url, { need, send, err, body });
    if (calendar.handles(p)) return calendar.handle(req, res, url, { need, send, err, body });
    if (req.method !== "GET") return err(res, 405, "invalid_argument", "method not allowed");
    if (!need(req, res, 1)) return;
    if (p === "/v1/events") {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
      res.write(": hello\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (p === "/v1/platforms") return send(res, 200, platformsBody());
    let m = /^\/v1\/platforms\/([^/]+)(\/history)?$/.exec(p);
    if (m) {
      const v = views.get(m[1]);
      if (!v) return err(res, 404, "not_found", `unknown platform '${m[1]}'`);
      if (m[2]) {
        const to = url.searchParams.get("to") ? Date.parse(url.searchParams.get("to")) : Date.now();
        const from = url.searchParams.get("from") ? Date.parse(url.searchParams.get("from")) : to - 6 * 3600_000;
        return send(res, 200, historyBody(m[1], from, to));
      }
      return send(res, 200, { ...v, probes: probesFor(m[1], Date.parse(v.checked_at), v.verdict === "outage") });
    }
    if (p === "/v1/incidents") {
      const state = url.searchParams.get("state") ?? "all";
      const list = [...incidents.values()].filter((i) => state === "all" || i.state === state);
      list.sort((a, b) => (a.state === "open" ? 0 : 1) - (b.state === "open" ? 0 : 1) || Date.parse(b.opened_at) - Date.parse(a.opened_at));
      return send(res, 200, { incidents: list, next_cursor: null });
    }
    m = /^\/v1\/incidents\/([^/]+)(\/events)?$/.exec(p);
    if (m) {
      const inc = incidents.get(m[1]);
      if (!inc) return err(res, 404, "not_found", `unknown incident '${m[1]}'`);
      if (m[2]) {
        const after = Number(url.searchParams.get("after") ?? 0);
        return send(res, 200, { events: (events.get(m[1]) ?? []).filter((e) => e.seq > after) });
      }
      return send(res, 200, inc);
    }
    if (p === "/v1/status-pages") {
      return send(res, 200, { status_pages: CATALOG.map(([id]) => ({ platform: id, url: `https://status.${id}.example/`, fetched: true, indicator: views.get(id).status_page.indicator, description: views.get(id).status_page.description, components: [{ name: "API", status: "operational" }, { name: "Web", status: id === "discord" ? "degraded_performance" : "operational" }], fetched_at: iso(Date.now()), error: "" })) });
    }
    return err(res, 404, "not_found", `no route ${p}`);
  } catch (e) {
    err(res, 500, "internal", String(e));
  }
});

const [host, port] = opt.listen.split(/:(?=\d+$)/);
server.listen(Number(port), host, () => {
  const a = server.address();
  baseUrl = `http://${a.address}:${a.port}`;
  console.log(`mock lifeline listening on http://${a.address}:${a.port} (outage of ${OUTAGE} after ${opt.outageAfter}s for ${opt.outageFor}s, interval ${opt.interval}s)`);
});
for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => process.exit(0));
