// The mock server's inbox: GET /v1/conversations, GET /v1/conversations/{id}, POST .../reply,
// /assign, /resolve, /snooze, /reopen and GET /v1/inbox/sweep, in the shapes of src/inbox/inbox.cc
// (ConversationJson, MessageJson, Sweep) and routes.cc, with the store's rules (src/store/inbox.h):
// one conversation per contact across channels, messages in platform time, waiting_since the
// oldest unanswered customer message, WhatsApp's 24-hour window refused with 409 in the server's
// words, a reply's idempotency key sent once. Its story, on the scripted WhatsApp outage:
//   - Ana (Telegram) waits 14 min; Luis (WhatsApp) last wrote 26 h ago: his window is closed;
//     Sheena (WhatsApp, with a Telegram address) waits 6 min; Mia (Messenger) was answered; Omar
//     (WhatsApp) and Kenji (Telegram) are resolved;
//   - the incident opens -> the plan's move: Sheena's conversation moves to brand-telegram (the move
//     message there), she opens the link and answers on Telegram in the same thread; Luis has no
//     other address (unreachable, waits for the sweep);
//   - the incident closes -> Omar's two WhatsApp messages written minutes earlier (as it began to
//     fail) arrive late, in reverse order: his conversation opens again, waiting; Sheena is told on
//     Telegram that WhatsApp works again (the plan's on_restoration: stay); the sweep's catch_up
//     says what each source could look up (WhatsApp cannot).
// Every change goes out as a live `conversation` event; a reply's relay outcome as an `outbox`
// event (its idempotency key starts with "inbox/"), as the relay announces it; a message sent on
// WhatsApp then gets WhatsApp's statuses (sent, delivered, read) as a `status` event, as the
// statuses webhook brings them.
// Mock-only control: POST /__mock/inbox/incoming {"conversation": ID, "text": T[, "channel": C]}
// stores a customer message (as a webhook would).

import { createHash } from "node:crypto";

const WHATSAPP = "brand-whatsapp";
const WINDOW_MS = 24 * 3600_000;
const SWEEP_AFTER_MS = 3600_000;
const SOURCES = { "brand-whatsapp": "wa-main", "brand-telegram": "tg-bot", "brand-messenger": "fb-page" };
const MOVE_TEXT = "{platform} is down; we continue here on {to}. {link}(reference {token})";
const STAY_TEXT = "{platform} works again. We continue here on {to}; you can also write to us on {platform} again.";
const WA_CATCH_UP = "WhatsApp's Cloud API has no endpoint that lists received messages; Meta retries an undelivered webhook for up to 7 days, so missed messages arrive by themselves and are stored once";

class Refusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const bad = (m) => new Refusal(400, "invalid_argument", m);

const hex16 = (s) => createHash("sha256").update(s).digest("hex").slice(0, 16);

export function createMockInbox({ iso, broadcast, incidents }) {
  const t0 = Date.now();
  const convs = new Map(); // id -> conversation (ConversationJson + link_token)
  const msgs = []; // every message (MessageJson + seq)
  const addresses = new Map(); // `${channel}|${address}` -> contact
  const moves = []; // {key, conversation_id, incident_id, from, to, to_address, at, relay_id, on_restoration, restored_at, restored_note}
  const catchUps = new Map(); // incident id -> the sweep's catch_up (once it closed)
  let seq = 0;
  let relaySeq = 0;

  const publish = (change, c) => broadcast("conversation", { change, conversation: view(c) });
  const view = (c) => {
    const { link_token, ...rest } = c;
    return { ...rest };
  };
  const msgView = (m) => {
    const { seq: _s, platform: _p, ...rest } = m;
    return rest;
  };
  const byTime = (a, b) => Date.parse(a.sent_at) - Date.parse(b.sent_at) || Date.parse(a.received_at) - Date.parse(b.received_at) || a.seq - b.seq;
  const messagesOf = (id) => msgs.filter((m) => m.conversation_id === id).sort(byTime);
  const later = (a, b) => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);
  const earlier = (a, b) => (!a ? b : !b ? a : Date.parse(a) <= Date.parse(b) ? a : b);

  function conversationFor(contact, name, t) {
    const id = `conv_${hex16(contact)}`;
    let c = convs.get(id);
    if (!c) {
      c = {
        id, contact, name: null, channel: "", address: "", state: "open", priority: 0, assignee: null, waiting_since: null, first_reply_at: null,
        last_inbound_at: null, last_message_at: null, snoozed_until: null, moved_from: null, moved_at: null, created_at: iso(t), updated_at: iso(t),
        link_token: `ll${hex16(`token:${contact}`).replace(/[^a-z2-7]/g, "x").slice(0, 10)}`,
      };
      convs.set(id, c);
    }
    if (name) c.name = name;
    return c;
  }

  // A customer message, as Ingest: the contact by address (or the one given), the conversation moves
  // to where they last wrote (by platform time), waits unless a reply was sent after it.
  function ingest({ contact, channel, address, name, text, sentAt, receivedAt = Date.now(), platformId }) {
    const key = `${channel}|${address}`;
    const who = addresses.get(key) ?? contact ?? `ct_${hex16(key)}`;
    addresses.set(key, who);
    const c = conversationFor(who, name, receivedAt);
    const sent = iso(sentAt);
    if (!c.last_inbound_at || Date.parse(sent) >= Date.parse(c.last_inbound_at) || !c.channel) {
      c.channel = channel;
      c.address = address;
    }
    const answered = msgs.some((m) => m.conversation_id === c.id && m.direction === "out" && m.author && Date.parse(m.sent_at) > Date.parse(sent));
    if (!answered) c.waiting_since = earlier(c.waiting_since, sent);
    c.last_inbound_at = later(c.last_inbound_at, sent);
    c.last_message_at = later(c.last_message_at, sent);
    if (c.state !== "open" && !answered) {
      c.state = "open";
      c.snoozed_until = null;
    }
    c.updated_at = iso(receivedAt);
    const source = SOURCES[channel] ?? "webhook";
    const pid = platformId ?? `${source}.${++seq}`;
    const m = {
      seq: ++seq, id: `msg_${hex16(`${source}|${pid}`)}`, conversation_id: c.id, direction: "in", channel, address, source, platform_id: pid,
      sent_at: sent, received_at: iso(receivedAt), text, kind: "text", author: null, relay_id: null, status: null,
      platform_status: null, platform_status_at: null, platform_error: null,
    };
    msgs.push(m);
    return { message: m, conversation: c };
  }

  // A message sent through the relay (a reply, or a move message that does not answer).
  function outbound(c, { channel = c.channel, address = c.address, text, author, answers = true, at = Date.now(), key }) {
    const pid = `relay:${key}`;
    const have = msgs.find((m) => m.platform_id === pid);
    if (have) return have;
    const relayId = `msg_9${String(++relaySeq).padStart(25, "0")}`;
    const m = {
      seq: ++seq, id: `msg_${hex16(`lifeline|${pid}`)}`, conversation_id: c.id, direction: "out", channel, address, source: "relay", platform_id: pid,
      sent_at: iso(at), received_at: iso(at), text, kind: "text", author: answers ? author || "lifeline" : null, relay_id: relayId, status: "queued",
      platform_status: null, platform_status_at: null, platform_error: null,
    };
    msgs.push(m);
    if (answers) {
      c.waiting_since = null;
      if (!c.first_reply_at) c.first_reply_at = iso(at);
    }
    c.last_message_at = later(c.last_message_at, iso(at));
    c.updated_at = iso(at);
    return m;
  }

  // The relay's outcome a moment later, announced as the relay does (the inbox copies it); on
  // WhatsApp, the customer's phone then reports it sent, delivered and read.
  function deliverSoon(m, key) {
    setTimeout(() => {
      m.status = "delivered";
      if (m.channel === WHATSAPP) {
        [["sent", 200], ["delivered", 1200], ["read", 3200]].forEach(([st, ms]) => setTimeout(() => {
          m.platform_status = st;
          m.platform_status_at = iso(Date.now());
          const c = convs.get(m.conversation_id);
          if (c) publish("status", c);
        }, ms).unref?.());
      }
      const t = iso(Date.now());
      broadcast("outbox", {
        type: "delivered",
        message: {
          id: m.relay_id, idempotency_key: key, channel: m.channel, contact: "", recipient: m.address, text: m.text, incident_id: "", state: "delivered",
          attempts: 1, next_attempt_at: null, created_at: m.sent_at, updated_at: t, remote_id: `remote-${m.relay_id.slice(-4)}`, last_reason: "accepted", route: "",
        },
      });
    }, 400).unref?.();
  }

  // ---- the seeded world -----------------------------------------------------------------------

  const min = (n) => t0 + n * 60_000;
  addresses.set(`${WHATSAPP}|+16505551234`, "sheena");
  addresses.set("brand-telegram|4242", "sheena");
  ingest({ channel: "brand-telegram", address: "4242001", name: "Ana Souza", text: "Hi, my order #4411 hasn't arrived. Can you check?", sentAt: min(-14), receivedAt: min(-14) });
  ingest({ channel: "brand-telegram", address: "4242001", name: "Ana Souza", text: "It was due yesterday.", sentAt: min(-12), receivedAt: min(-12) }).conversation.priority = 3;
  {
    const luis = ingest({ channel: WHATSAPP, address: "+34600111222", name: "Luis Ortega", text: "Do you ship to the Canary Islands?", sentAt: min(-30 * 60), receivedAt: min(-30 * 60) }).conversation;
    const r = outbound(luis, { text: "Yes, in 3 to 5 days.", author: "sam", at: min(-29.5 * 60), key: `inbox/${luis.id}/reply/seed` });
    r.status = "delivered";
    ingest({ channel: WHATSAPP, address: "+34600111222", name: "Luis Ortega", text: "And the price for 2 kg?", sentAt: min(-26 * 60), receivedAt: min(-26 * 60) });
  }
  ingest({ channel: WHATSAPP, address: "+16505551234", name: "Sheena Patel", text: "My payment went through twice!", sentAt: min(-6), receivedAt: min(-6) }).conversation.priority = 4;
  {
    const mia = ingest({ channel: "brand-messenger", address: "psid-77123", name: "Mia Chen", text: "Is the store open on Sunday?", sentAt: min(-50), receivedAt: min(-50) }).conversation;
    outbound(mia, { text: "Yes, from 10:00 to 18:00.", author: "ana", at: min(-45), key: `inbox/${mia.id}/reply/seed` }).status = "delivered";
    mia.assignee = "ana";
  }
  {
    const omar = ingest({ channel: WHATSAPP, address: "+447700900123", name: "Omar Haddad", text: "Thanks, it arrived!", sentAt: min(-20 * 60), receivedAt: min(-20 * 60) }).conversation;
    outbound(omar, { text: "Glad to hear it.", author: "ana", at: min(-19.9 * 60), key: `inbox/${omar.id}/reply/seed` }).status = "delivered";
    omar.state = "resolved";
  }
  {
    const kenji = ingest({ channel: "brand-telegram", address: "5550777", name: "Kenji Sato", text: "All good now, thank you.", sentAt: min(-200), receivedAt: min(-200) }).conversation;
    outbound(kenji, { text: "You're welcome!", author: "sam", at: min(-190), key: `inbox/${kenji.id}/reply/seed` }).status = "delivered";
    kenji.state = "resolved";
  }

  // ---- the outage -----------------------------------------------------------------------------

  // The plan's move_conversations step: WhatsApp's waiting customers to their Telegram address.
  function moveOnIncident(inc) {
    for (const c of convs.values()) {
      if (c.channel !== WHATSAPP || !c.waiting_since || c.state === "resolved") continue;
      const key = `plan/${inc.id}/move/${c.id}`;
      if (moves.some((m) => m.key === key)) continue;
      const tg = [...addresses.entries()].find(([k, who]) => who === c.contact && k.startsWith("brand-telegram|"));
      if (!tg) continue; // no other address: unreachable, waits for the sweep
      const to = tg[0].split("|")[1];
      const text = MOVE_TEXT.replace("{platform}", "WhatsApp").replace("{to}", "Telegram").replace("{link}", `https://t.me/brand_bot?start=${c.link_token} `).replace("{token}", c.link_token);
      const now = Date.now();
      const m = outbound(c, { channel: "brand-telegram", address: to, text, answers: false, at: now, key: `inbox/move/${key}` });
      deliverSoon(m, `inbox/move/${key}`);
      moves.push({ key, conversation_id: c.id, incident_id: inc.id, from: WHATSAPP, to: "brand-telegram", to_address: to, at: iso(now), relay_id: m.relay_id, on_restoration: "stay", restored_at: null, restored_note: null });
      c.moved_from = WHATSAPP;
      c.moved_at = iso(now);
      c.channel = "brand-telegram";
      c.address = to;
      c.updated_at = iso(now);
      publish("moved", c);
      // The customer opens the link and answers there: the same thread.
      setTimeout(() => {
        publish("message", ingest({ channel: "brand-telegram", address: to, name: c.name, text: `/start ${c.link_token}`, sentAt: Date.now() }).conversation);
        setTimeout(() => {
          publish("message", ingest({ channel: "brand-telegram", address: to, name: c.name, text: "Thanks. As I said: charged twice for order 5120.", sentAt: Date.now() }).conversation);
        }, 700).unref?.();
      }, 1500).unref?.();
    }
  }

  // Back after the outage: messages WhatsApp could not deliver while it failed (the first minutes
  // before the incident was confirmed, then during it) arrive late, in reverse order.
  function replayBacklog(inc) {
    const opened = Date.parse(inc.opened_at);
    const now = Date.now();
    for (const [k, offset] of [["b2", -150_000], ["b1", -240_000]]) {
      const r = ingest({ channel: WHATSAPP, address: "+447700900123", name: "Omar Haddad", platformId: `wamid.backlog.${inc.id}.${k}`, text: k === "b1" ? "Hello? My new order shows as cancelled." : "Please call me back, it's urgent.", sentAt: opened + offset, receivedAt: now });
      publish("message", r.conversation);
    }
  }

  // Once WhatsApp is back: each customer the move told to continue on Telegram is told it works
  // again (on_restoration: stay — the conversation stays on Telegram), as the inbox's RestoreDue.
  function restore(inc) {
    for (const mv of moves.filter((x) => x.incident_id === inc.id && x.on_restoration && !x.restored_at)) {
      const c = convs.get(mv.conversation_id);
      const now = Date.now();
      if (c.state === "resolved") mv.restored_note = "resolved meanwhile: not told";
      else if (c.channel !== mv.to || c.address !== mv.to_address) mv.restored_note = `the customer wrote on ${c.channel} since: not told`;
      else {
        const text = STAY_TEXT.replaceAll("{platform}", "WhatsApp").replace("{to}", "Telegram");
        const key = `inbox/restored/${mv.key}`;
        deliverSoon(outbound(c, { channel: mv.to, address: mv.to_address, text, answers: false, at: now, key }), key);
        mv.restored_note = `told on ${mv.to}; the conversation stays there`;
      }
      mv.restored_at = iso(now);
      publish("message", c);
    }
  }

  function onIncident(inc) {
    if (!(inc.platforms ?? []).includes("whatsapp")) return;
    if (inc.state === "open") return moveOnIncident(inc);
    replayBacklog(inc);
    restore(inc);
    const at = iso(Date.now());
    const since = iso(Date.parse(inc.opened_at) - 10 * 60_000);
    catchUps.set(inc.id, [
      { at, found: null, incident_id: inc.id, line: `wa-main (whatsapp): cannot look: ${WA_CATCH_UP}`, looked: false, new: null, pending: null, reason: WA_CATCH_UP, since, source: "wa-main", type: "whatsapp", until: at },
    ]);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  function windowCloses(c) {
    if (c.channel !== WHATSAPP) return null;
    const last = msgs.filter((m) => m.conversation_id === c.id && m.direction === "in" && m.channel === c.channel).map((m) => Date.parse(m.sent_at)).sort((a, b) => a - b).at(-1);
    return last === undefined ? null : last + WINDOW_MS;
  }

  function list(q) {
    const state = q.get("state");
    if (state !== null && !["open", "pending", "snoozed", "resolved"].includes(state)) throw bad(`state: '${state.slice(0, 32)}' is not open, pending, snoozed or resolved`);
    const waiting = q.get("waiting");
    if (waiting !== null && waiting !== "true" && waiting !== "false") throw bad("waiting: expected true or false");
    const limit = q.has("limit") ? Number(q.get("limit")) : 500;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw bad("limit: expected 1 to 1000");
    const t = (s) => (s ? Date.parse(s) : null);
    return [...convs.values()]
      .filter((c) => (!state || c.state === state) && (!q.get("channel") || c.channel === q.get("channel")) && (!q.get("assignee") || c.assignee === q.get("assignee")) && (waiting !== "true" || c.waiting_since))
      .sort((a, b) => {
        const wa = t(a.waiting_since);
        const wb = t(b.waiting_since);
        if ((wa === null) !== (wb === null)) return wa === null ? 1 : -1;
        if (wa !== wb) return wa - wb;
        return (t(b.last_message_at) ?? 0) - (t(a.last_message_at) ?? 0) || (a.id < b.id ? -1 : 1);
      })
      .slice(0, limit)
      .map(view);
  }

  function get(id) {
    const c = convs.get(id);
    if (!c) throw new Refusal(404, "not_found", `no conversation '${id}'`);
    return c;
  }

  function sweepOf(incidentId) {
    const inc = incidents().get(incidentId);
    if (!inc) throw new Refusal(404, "not_found", `no incident '${incidentId}'`);
    const now = Date.now();
    const from = Date.parse(inc.opened_at);
    const to = (inc.closed_at ? Date.parse(inc.closed_at) : now) + SWEEP_AFTER_MS;
    const waiting = list(new URLSearchParams("waiting=true&limit=1000"))
      .filter((c) => c.state !== "resolved")
      .map((c) => ({ ...c, waiting_ms: now - Date.parse(c.waiting_since) }));
    const rows = msgs
      .filter((m) => m.direction === "in" && Date.parse(m.received_at) >= from && Date.parse(m.received_at) < to)
      .map((m) => {
        const c = convs.get(m.conversation_id);
        const unanswered = !!c.waiting_since && Date.parse(m.sent_at) >= Date.parse(c.waiting_since);
        return { m, c, unanswered };
      })
      .sort((a, b) => (a.unanswered !== b.unanswered ? (a.unanswered ? -1 : 1) : Date.parse(a.m.sent_at) - Date.parse(b.m.sent_at)));
    return {
      incident_id: inc.id,
      from: iso(from),
      to: iso(to),
      open: !inc.closed_at,
      waiting,
      messages: rows.map(({ m, c, unanswered }) => ({
        ...msgView(m), answered: !unanswered, waiting_ms: unanswered ? now - Date.parse(m.sent_at) : null,
        conversation: { id: c.id, name: c.name, channel: c.channel, assignee: c.assignee, state: c.state },
      })),
      moves: moves.filter((m) => m.incident_id === inc.id).map(({ key: _k, incident_id: _i, to_address: _a, ...rest }) => rest),
      catch_up: catchUps.get(inc.id) ?? [],
    };
  }

  // The body's fields as api::ParseObjectBody checks them.
  function fields(b, allowed, required) {
    if (b === undefined || b === null) {
      if (required) throw bad("a JSON object body is required");
      return {};
    }
    if (typeof b !== "object" || Array.isArray(b)) throw bad("the body must be a JSON object");
    for (const k of Object.keys(b)) if (!allowed.includes(k)) throw bad(`unknown field '${k}' (expected ${allowed.join(", ")})`);
    for (const k of Object.keys(b)) if (typeof b[k] !== "string") throw bad(`${k}: expected a string`);
    return b;
  }

  function reply(id, b) {
    const c = get(id);
    if (!b.text) throw bad("text: required");
    const now = Date.now();
    const closes = windowCloses(c);
    if (closes !== null && now >= closes) {
      throw new Refusal(409, "failed_precondition",
        `WhatsApp's 24-hour customer-service window for this conversation closed at ${iso(closes)} (the customer last wrote on ${c.channel} at ${iso(closes - WINDOW_MS)}): outside it only an approved template reaches them. Set inbox.sources.wa-main.outside_window: template (the channel's template: is sent with your text), or wait until the customer writes again`);
    }
    const key = b.idempotency_key ? `inbox/${c.id}/reply/${b.idempotency_key}` : `inbox/${c.id}/reply/${now}`;
    const fresh = !msgs.some((m) => m.platform_id === `relay:${key}`);
    const m = outbound(c, { text: b.text, author: b.by || "operator", at: now, key });
    if (fresh) {
      deliverSoon(m, key);
      publish("reply", c);
    }
    return { message: msgView(m), conversation: view(c) };
  }

  function setState(id, action, b) {
    const c = get(id);
    let until = null;
    if (action === "snooze") {
      if (!b.until) throw bad("until: required (RFC 3339)");
      const t = Date.parse(b.until);
      if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(b.until)) throw bad(`until: '${b.until}' is not an RFC 3339 time`);
      until = iso(t);
    }
    c.state = action === "resolve" ? "resolved" : action === "snooze" ? "snoozed" : "open";
    c.snoozed_until = c.state === "snoozed" ? until : null;
    c.updated_at = iso(Date.now());
    publish(c.state, c);
    return view(c);
  }

  const handles = (p) => p === "/v1/conversations" || p.startsWith("/v1/conversations/") || p.startsWith("/v1/inbox/") || p.startsWith("/__mock/inbox/");

  async function handle(req, res, url, { need, send, err, body }) {
    const p = url.pathname;
    try {
      if (p === "/__mock/inbox/incoming" && req.method === "POST") {
        const b = (await body(req)) ?? {};
        const c = get(b.conversation);
        const r = ingest({ channel: b.channel ?? c.channel, address: b.address ?? c.address, name: c.name, text: b.text ?? "hello", sentAt: b.sent_at ? Date.parse(b.sent_at) : Date.now() });
        publish("message", r.conversation);
        return send(res, 200, { message: msgView(r.message), conversation: view(r.conversation) });
      }
      if (req.method === "GET") {
        if (!need(req, res, 1)) return;
        if (p === "/v1/conversations") return send(res, 200, { conversations: list(url.searchParams) });
        if (p === "/v1/inbox/sweep") {
          const inc = url.searchParams.get("incident");
          if (!inc) throw bad("incident: required (an incident id)");
          return send(res, 200, sweepOf(inc));
        }
        const m = /^\/v1\/conversations\/([^/]+)$/.exec(p);
        if (!m) return err(res, 404, "not_found", `no route ${p}`);
        const c = get(decodeURIComponent(m[1]));
        const closes = windowCloses(c);
        return send(res, 200, { ...view(c), messages: messagesOf(c.id).map(msgView), whatsapp_window_closes: closes === null ? null : iso(closes) });
      }
      if (req.method !== "POST") return err(res, 405, "invalid_argument", "method not allowed");
      const m = /^\/v1\/conversations\/([^/]+)\/(reply|assign|resolve|snooze|reopen)$/.exec(p);
      if (!m) return err(res, 404, "not_found", `no route ${p}`);
      if (!need(req, res, 2)) return;
      let raw;
      try {
        raw = await body(req);
      } catch {
        throw bad("the body is not valid JSON");
      }
      const id = decodeURIComponent(m[1]);
      const action = m[2];
      if (action === "reply") return send(res, 201, reply(id, fields(raw, ["text", "idempotency_key", "by"], true)));
      if (action === "assign") {
        const b = fields(raw, ["assignee", "by"], true);
        if (!("assignee" in b)) throw bad('assignee: required ("" unassigns)');
        const c = get(id);
        c.assignee = b.assignee ? b.assignee.slice(0, 128) : null;
        c.updated_at = iso(Date.now());
        publish("assigned", c);
        return send(res, 200, view(c));
      }
      return send(res, 200, setState(id, action, fields(raw, ["until", "by"], action === "snooze")));
    } catch (e) {
      if (e instanceof Refusal) return err(res, e.status, e.code, e.message);
      throw e;
    }
  }

  return { handles, handle, onIncident };
}
