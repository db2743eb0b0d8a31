// The mock server's content calendar: GET /v1/calendar, GET/POST /v1/calendar/posts, GET/PATCH
// /v1/calendar/posts/{id}, POST .../cancel|hold|release and POST /v1/calendar/import, in the shapes
// of src/calendar/routes.cc (PostJson), with the calendar's rules of docs/calendar.md for three
// relay channels (brand-whatsapp, brand-telegram, brand-mastodon with Mastodon's 500 characters):
//   two posts due 10 s and 25 s into the scripted WhatsApp outage (as `lifeline demo` has) -> their
//   WhatsApp parts are held by the incident (calendar_held on its timeline) while Telegram's go out
//   -> the incident closes -> publish_now: released (calendar_released) and published
//   (calendar_published).
// Every post change goes out as a live `calendar` event, every timeline entry as an incident_event.

const CHANNELS = [
  { name: "brand-whatsapp", platform: "whatsapp", max: 4096 },
  { name: "brand-telegram", platform: "telegram", max: 4096 },
  { name: "brand-mastodon", platform: "mastodon", max: 500 },
];
const RELEASE = { policy: "publish_now", slots: [], spacing_ms: 0, drop_expired: true };
const EDIT_FIELDS = ["text", "media", "channels", "at", "expires", "by"];
const ADD_FIELDS = ["id", "text", "media", "channels", "at", "expires", "by"];

class Refusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const bad = (m) => new Refusal(400, "invalid_argument", m);
const conflict = (m) => new Refusal(409, "failed_precondition", m);

export function createMockCalendar({ iso, timeline, broadcast, incidents, outageStartsAt }) {
  const posts = new Map(); // id -> post (PostJson shape)
  let messages = 0;

  const channelOf = (name) => CHANNELS.find((c) => c.name === name);
  const openIncidentFor = (channel) => {
    const c = channelOf(channel);
    for (const inc of incidents().values()) if (inc.state === "open" && inc.platforms.includes(c?.platform)) return inc;
    return null;
  };
  const holdReason = (inc) => `WhatsApp outage since ${inc.opened_at.slice(11, 16)} UTC (incident ${inc.id})`;
  const summary = (p) => {
    const any = (s) => p.parts.some((x) => x.state === s);
    if (any("held")) return "held";
    if (any("scheduled")) return "scheduled";
    if (any("queued")) return "publishing";
    if (any("cancelled")) return "cancelled";
    if (any("failed")) return "failed";
    if (any("published")) return "published";
    return "dropped";
  };
  const excerpt = (t) => `“${t.length > 40 ? `${t.slice(0, 40)}…` : t}”`;

  function save(p, change) {
    p.state = summary(p);
    p.updated_at = iso(Date.now());
    posts.set(p.id, p);
    broadcast("calendar", { change, post: p });
    return p;
  }

  const part = (channel, due) => ({
    channel, platform: channelOf(channel)?.platform ?? null, state: "scheduled", due, held_by: null, held_by_hand: null, incident_id: null,
    message_id: null, remote_id: null, note: "", published_at: null, updated_at: iso(Date.now()),
  });

  function make({ id, text, media = [], channels, at, expires = null, by, source = "api" }) {
    const now = iso(Date.now());
    return {
      id, text, media, at, expires, state: "scheduled", source, by, parts: channels.map((c) => part(c, at)), created_at: now, updated_at: now,
      edited_by: null, edited_at: null, cancelled_by: null, cancelled_at: null,
    };
  }

  // The demo's two posts, due during the outage.
  const at = (s) => iso(outageStartsAt + s * 1000);
  for (const p of [
    { id: "winter-sale", text: "Our winter sale starts now: 30% off everything until Sunday.", media: ["https://brand.example/winter-sale"], at: at(10) },
    { id: "store-hours", text: "Reminder: our stores are open until 9 pm all week.", at: at(25) },
  ]) posts.set(p.id, make({ ...p, channels: ["brand-whatsapp", "brand-telegram"], by: "config", source: "config" }));

  // ---- the calendar's decisions, every half second ----
  function tick() {
    const now = Date.now();
    for (const p of posts.values()) {
      let changed = false;
      for (const x of p.parts) {
        if (x.state === "queued" && now - Date.parse(x.updated_at) >= 1000) {
          x.state = "published";
          x.remote_id = `${9000 + messages}`;
          x.published_at = x.updated_at = iso(now);
          x.note = `published (post id ${x.remote_id})`;
          changed = true;
          if (x.incident_id) timeline(x.incident_id, "calendar_published", `Calendar: ${excerpt(p.text)} (${p.id}) published on ${x.channel} as post ${x.remote_id}`, { post: p.id, channel: x.channel, remote_id: x.remote_id });
          continue;
        }
        if (x.state !== "scheduled" || Date.parse(x.due) > now + 500) continue;
        changed = true;
        x.updated_at = iso(now);
        if (p.expires && Date.parse(p.expires) <= now) {
          x.state = "dropped";
          x.note = `expired at ${p.expires} before it went out`;
          continue;
        }
        const inc = openIncidentFor(x.channel);
        if (inc) {
          x.state = "held";
          x.held_by = x.incident_id = inc.id;
          x.note = `held: ${holdReason(inc)}`;
          timeline(inc.id, "calendar_held", `Calendar: ${excerpt(p.text)} (${p.id}) held on ${x.channel}, due ${x.due}: ${holdReason(inc)}`, { post: p.id, channel: x.channel, due: x.due, by: "lifeline" });
          continue;
        }
        x.state = "queued";
        x.message_id = `msg_${++messages}`;
        x.note = "handed to the relay";
      }
      if (changed) save(p, "updated");
    }
  }
  setInterval(tick, 500).unref();

  // An incident closed: its held parts are released (publish_now).
  function onIncident(inc) {
    if (inc.state === "open") return;
    const now = iso(Date.now());
    for (const p of posts.values()) {
      let changed = false;
      for (const x of p.parts) {
        if (x.state !== "held" || x.held_by !== inc.id) continue;
        const was = x.due;
        Object.assign(x, { state: x.held_by_hand ? "held" : "scheduled", held_by: null, due: now, note: "released after the incident: publish now", updated_at: now });
        changed = true;
        timeline(inc.id, "calendar_released", `Calendar: ${excerpt(p.text)} (${p.id}) on ${x.channel} released: published now (it was due ${was})`, { post: p.id, channel: x.channel, decision: "publish_now", due: now, by: "lifeline" });
      }
      if (changed) save(p, "released");
    }
  }

  // ---- checks (the calendar's rules and words) ----
  function checkFields(b, allowed) {
    if (b === null || typeof b !== "object" || Array.isArray(b)) throw bad("the body must be a JSON object");
    const unknown = Object.keys(b).find((k) => !allowed.includes(k));
    if (unknown) throw bad(`unknown field ${JSON.stringify(unknown)} (fields: ${allowed.join(", ")})`);
    if (!b.by) throw bad("by: required (who acts)");
  }
  function strings(b, name) {
    const v = b[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw bad(`${name}: expected a list of strings`);
    if (v.some((s) => typeof s !== "string" || !s)) throw bad(`${name}: each must be a non-empty string`);
    return v;
  }
  function time(v, name) {
    if (typeof v !== "string" || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d\d-\d\dT/.test(v)) throw bad(`${name}: '${v}' is not an RFC 3339 time (2026-11-27T09:00:00Z)`);
    return iso(Date.parse(v));
  }
  function check({ text, media, channels, at, expires }, { pastOk = false } = {}, where = (f) => `${f}: `) {
    if (!text) throw bad(`${where("text")}required (what the post says)`);
    for (const m of media) if (!/^https?:\/\//.test(m)) throw bad(`${where("media")}'${m}' is not an http:// or https:// link`);
    if (!channels.length) throw bad(`${where("channels")}at least one relay channel (channels: ${CHANNELS.map((c) => c.name).join(", ")})`);
    const published = text + (media.length ? `\n${media.join("\n")}` : "");
    for (const c of channels) {
      const ch = channelOf(c);
      if (!ch) {
        const near = CHANNELS.find((x) => x.name.slice(0, 8) === c.slice(0, 8));
        throw bad(`${where("channels")}unknown channel '${c}' (${near ? `did you mean '${near.name}'?` : `channels: ${CHANNELS.map((x) => x.name).join(", ")}`})`);
      }
      if ([...published].length > ch.max) throw bad(`${where("text")}${c}: ${[...published].length} characters; ${ch.platform} allows ${ch.max}`);
    }
    if (!pastOk && Date.parse(at) + 60_000 < Date.now()) throw bad(`${where("at")}${at} is in the past (now ${iso(Date.now())})`);
    if (expires && Date.parse(expires) <= Date.parse(at)) throw bad(`${where("expires")}${expires} is not after the post's time ${at}`);
  }
  function get(id) {
    const p = posts.get(id);
    if (!p) throw new Refusal(404, "not_found", `no post '${id}'`);
    return p;
  }
  let made = 0;
  const newId = () => `post_${Date.now().toString(36)}${String(++made).padStart(3, "0")}`;

  function add(b) {
    checkFields(b, ADD_FIELDS);
    if (!b.at) throw bad("at: required (when it goes out, e.g. 2026-11-27T09:00:00Z)");
    const n = { id: b.id || newId(), text: b.text ?? "", media: strings(b, "media"), channels: strings(b, "channels"), at: time(b.at, "at"), expires: b.expires ? time(b.expires, "expires") : null, by: b.by };
    check(n);
    if (posts.has(n.id)) throw new Refusal(409, "already_exists", `a post with id '${n.id}' exists`);
    const p = make(n);
    posts.set(p.id, p);
    return save(p, "added");
  }

  function edit(id, b) {
    checkFields(b, EDIT_FIELDS);
    const p = get(id);
    if (p.cancelled_at) throw conflict(`post ${id} was cancelled by ${p.cancelled_by} at ${p.cancelled_at}: it cannot be edited`);
    const out = p.parts.filter((x) => x.state !== "scheduled" && x.state !== "held").map((x) => `${x.channel} is ${x.state}`);
    if (out.length) throw conflict(`post ${id} cannot be edited: ${out.join("; ")}; only a post none of whose parts has gone to the relay can be (add a new post instead)`);
    if (b.text !== undefined && typeof b.text !== "string") throw bad("text: expected a string");
    const n = {
      text: b.text ?? p.text,
      media: "media" in b ? strings(b, "media") : p.media,
      channels: "channels" in b ? strings(b, "channels") : p.parts.map((x) => x.channel),
      at: "at" in b ? time(b.at, "at") : p.at,
      expires: "expires" in b ? (b.expires === null ? null : time(b.expires, "expires")) : p.expires,
    };
    if (Object.keys(b).length === 1) throw bad("nothing to change: give text, media, channels, at or expires (null: none)");
    check(n, { pastOk: !("at" in b) || Date.parse(n.at) === Date.parse(p.at) });
    const held = p.parts.find((x) => x.state === "held" && !n.channels.includes(x.channel));
    if (held) throw conflict(`channels: post ${id} is held on ${held.channel} (${held.note}); a held part stays: release it, or cancel the post`);
    const now = iso(Date.now());
    const moved = Date.parse(n.at) !== Date.parse(p.at);
    p.parts = n.channels.map((c) => {
      const x = p.parts.find((y) => y.channel === c);
      if (!x) return { ...part(c, Date.parse(n.at) > Date.now() ? n.at : now), note: `added by ${b.by}` };
      if (moved && x.state === "scheduled") Object.assign(x, { due: n.at, updated_at: now });
      return x;
    });
    Object.assign(p, { text: n.text, media: n.media, at: n.at, expires: n.expires, edited_by: b.by, edited_at: now });
    return save(p, "edited");
  }

  function cancel(id, b) {
    checkFields(b ?? {}, ["by"]);
    const p = get(id);
    if (p.cancelled_at) throw conflict(`post ${id} was cancelled already, by ${p.cancelled_by} at ${p.cancelled_at}`);
    const published = p.parts.filter((x) => x.state === "published").map((x) => (x.remote_id ? `${x.channel} (post id ${x.remote_id})` : x.channel));
    if (published.length) throw conflict(`post ${id} was published on ${published.join(", ")}: a post that went out cannot be cancelled (hold its other channels instead)`);
    const now = iso(Date.now());
    let n = 0;
    for (const x of p.parts) {
      if (!["scheduled", "held", "queued"].includes(x.state)) continue;
      const was = x.state;
      Object.assign(x, { state: "cancelled", held_by: null, held_by_hand: null, updated_at: now, note: was === "queued" ? `cancelled by ${b.by} (its message was called back from the relay)` : `cancelled by ${b.by}` });
      n++;
      if (x.incident_id) timeline(x.incident_id, "calendar_dropped", `Calendar: ${excerpt(p.text)} (${p.id}) on ${x.channel} dropped: cancelled by ${b.by}`, { post: p.id, channel: x.channel, reason: "cancelled", by: b.by });
    }
    if (!n) throw conflict(`post ${id}: nothing left to cancel (${p.parts.map((x) => `${x.channel} is ${x.state}`).join("; ")})`);
    Object.assign(p, { cancelled_by: b.by, cancelled_at: now });
    return save(p, "cancelled");
  }

  function hold(id, b) {
    checkFields(b ?? {}, ["channels", "by"]);
    const p = get(id);
    const now = iso(Date.now());
    let n = 0;
    for (const x of p.parts) {
      if (!["scheduled", "queued", "held"].includes(x.state)) continue;
      Object.assign(x, { state: "held", held_by_hand: b.by, note: `held by ${b.by}`, updated_at: now });
      n++;
    }
    if (!n) throw conflict(`post ${id}: nothing to hold (${p.parts.map((x) => `${x.channel} is ${x.state}`).join("; ")})`);
    return save(p, "held");
  }

  function release(id, b) {
    checkFields(b ?? {}, ["channels", "at", "by"]);
    const p = get(id);
    const now = iso(Date.now());
    const held = p.parts.filter((x) => x.state === "held");
    const stopped = held.find((x) => x.held_by && openIncidentFor(x.channel));
    if (stopped) throw conflict(`post ${id} on ${stopped.channel}: ${holdReason(openIncidentFor(stopped.channel))}; it is released by policy when the incident closes`);
    if (!held.length) throw conflict(`post ${id}: nothing is held (${p.parts.map((x) => `${x.channel} is ${x.state}`).join("; ")})`);
    for (const x of held) Object.assign(x, { state: "scheduled", held_by: null, held_by_hand: null, due: now, note: `released by ${b.by} for ${now}`, updated_at: now });
    return save(p, "released");
  }

  // A small RFC 4180 reader: rows of fields with their line numbers.
  function rows(text) {
    const out = [];
    let row = [];
    let field = "";
    let q = false;
    let line = 1;
    let start = 1;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"' && text[i + 1] === '"') field += text[++i];
        else if (c === '"') q = false;
        else {
          if (c === "\n") line++;
          field += c;
        }
      } else if (c === '"') q = true;
      else if (c === ",") (row.push(field), (field = ""));
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(field);
        if (row.some((f) => f !== "")) out.push({ line: start, fields: row });
        row = [];
        field = "";
        start = ++line;
      } else field += c;
    }
    row.push(field);
    if (row.some((f) => f !== "")) out.push({ line: start, fields: row });
    return out;
  }

  function importCsv(b) {
    checkFields(b, ["csv", "file", "channels", "date_format", "by"]);
    if (!b.csv) throw bad("csv: required (the file)");
    const file = b.file || "import.csv";
    const all = rows(b.csv);
    const header = all[0] && /^(date|message|text)$/i.test(all[0].fields[0]?.trim() ?? "");
    const cols = header ? all[0].fields.map((f) => f.trim().toLowerCase()) : ["date", "message", "link"];
    const idx = (names) => cols.findIndex((c) => names.includes(c));
    const [iDate, iText, iLink, iCh, iExp, iId] = [idx(["date", "at", "time"]), idx(["message", "text"]), idx(["link", "url", "media"]), idx(["channels", "channel"]), idx(["expires"]), idx(["id"])];
    const col = (i, name) => `column ${i + 1} (${name})`;
    const made = [];
    for (const r of all.slice(header ? 1 : 0)) {
      const f = (i) => (i >= 0 ? (r.fields[i] ?? "").trim() : "");
      const where = (field) => `${file}:${r.line}: ${field === "channels" ? col(iCh >= 0 ? iCh : 3, "channels") : field === "text" ? col(iText, "message") : field === "at" ? col(iDate, "date") : field}: `;
      let raw = f(iDate);
      const dm = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d)$/.exec(raw);
      if (dm) {
        if (!b.date_format) throw bad(`${where("at")}'${raw}': a date with slashes needs --date-format dd/mm/yyyy or mm/dd/yyyy (is ${dm[1]}/${dm[2]} day/month or month/day?)`);
        const [d, m] = b.date_format === "dd/mm/yyyy" ? [dm[1], dm[2]] : [dm[2], dm[1]];
        raw = `${dm[3]}-${m}-${d} ${dm[4]}`;
      }
      const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(raw) ? raw : `${raw.replace(" ", "T")}Z`);
      if (Number.isNaN(t)) throw bad(`${where("at")}'${raw}' is not a date`);
      const channels = f(iCh) ? f(iCh).split(/[,;\s]+/).filter(Boolean) : (b.channels ?? []);
      const n = { id: f(iId) || newId(), text: f(iText), media: f(iLink) ? f(iLink).split(/[;\s]+/).filter(Boolean) : [], channels, at: iso(t), expires: f(iExp) ? iso(Date.parse(f(iExp))) : null, by: b.by, source: `csv:${file}` };
      check(n, {}, where);
      if (posts.has(n.id)) throw bad(`${where("id")}id: a post '${n.id}' exists already`);
      made.push(n);
    }
    const out = made.map((n) => {
      const p = make(n);
      posts.set(p.id, p);
      return save(p, "added");
    });
    return { imported: out.length, posts: out };
  }

  function overview() {
    const counts = {};
    for (const p of posts.values()) counts[p.state] = (counts[p.state] ?? 0) + 1;
    return {
      configured: true, release: RELEASE, platforms: {},
      channels: CHANNELS.map((c) => {
        const inc = openIncidentFor(c.name);
        return { name: c.name, platform: c.platform, release: RELEASE, held_by: inc ? { incident_id: inc.id, reason: holdReason(inc) } : null };
      }),
      counts,
    };
  }

  function list(url) {
    const from = url.searchParams.get("from");
    const state = url.searchParams.get("state");
    const channel = url.searchParams.get("channel");
    const limit = Number(url.searchParams.get("limit") ?? 1000);
    return [...posts.values()]
      .filter((p) => (!from || Date.parse(p.at) >= Date.parse(from)) && (!state || p.state === state) && (!channel || p.parts.some((x) => x.channel === channel)))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  return {
    onIncident,
    handles: (p) => p === "/v1/calendar" || p.startsWith("/v1/calendar/"),
    async handle(req, res, url, { need, send, err, body }) {
      const p = url.pathname;
      const m = req.method;
      try {
        if (m === "GET") {
          if (!need(req, res, 1)) return;
          if (p === "/v1/calendar") return send(res, 200, overview());
          if (p === "/v1/calendar/posts") return send(res, 200, { posts: list(url) });
          const one = /^\/v1\/calendar\/posts\/([^/]+)$/.exec(p);
          if (one) return send(res, 200, { post: get(decodeURIComponent(one[1])) });
          return err(res, 404, "not_found", `no API endpoint ${p}`);
        }
        if (!need(req, res, 2)) return;
        let b;
        try {
          b = await body(req);
        } catch {
          throw bad("the body is not JSON");
        }
        if (m === "POST" && p === "/v1/calendar/posts") return send(res, 201, { post: add(b) });
        if (m === "POST" && p === "/v1/calendar/import") return send(res, 201, importCsv(b));
        const one = /^\/v1\/calendar\/posts\/([^/]+)$/.exec(p);
        if (one && m === "PATCH") return send(res, 200, { post: edit(decodeURIComponent(one[1]), b) });
        const action = /^\/v1\/calendar\/posts\/([^/]+)\/(cancel|hold|release)$/.exec(p);
        if (action && m === "POST") {
          const id = decodeURIComponent(action[1]);
          const fn = { cancel, hold, release }[action[2]];
          return send(res, 200, { post: fn(id, b ?? {}) });
        }
        return err(res, 405, "invalid_argument", `${p} does not take ${m}`);
      } catch (e) {
        if (e instanceof Refusal) return err(res, e.status, e.code, e.message);
        throw e;
      }
    },
  };
}
