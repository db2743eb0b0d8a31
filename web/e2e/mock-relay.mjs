// The mock server's relay (/v1/outbox, /v1/channels, /v1/contacts and "outbox" live events): the
// same shapes as src/channels/routes.cc and the same demo world as src/serve/demo_relay.cc —
// channels team-whatsapp, team-telegram, team-email; contacts community-manager and comms-lead;
// Telegram chat "@nowhere" refuses (failed), WhatsApp number +15550100099 never answers
// (unconfirmed after the channel's 3 s timeout); during the scripted WhatsApp outage the WhatsApp
// API answers 503 and its circuit opens with the incident, so the team alert fails over.

const STATES = ["queued", "sending", "delivered", "retry_scheduled", "unconfirmed", "failed", "dead_lettered", "cancelled"];
const WHATSAPP_TIMEOUT_MS = 3000;
const MAX_ATTEMPTS = 5;

// `broadcast(type, data)`: the SSE fan-out; `iso(ms)`: the server's time format;
// `whatsappFailing()`: whether the scripted outage is on now.
export function createMockRelay({ broadcast, iso, whatsappFailing }) {
  const channels = [
    { name: "team-whatsapp", kind: "whatsapp", platform: "whatsapp", domain: "meta", to: "+15550100001", rate: 20 },
    { name: "team-telegram", kind: "telegram", platform: "telegram", domain: "telegram", to: "-1001000000001", rate: 30 },
    { name: "team-email", kind: "email", platform: "", domain: "", to: "comms@demo.lifeline.test", rate: 10 },
  ].map((c) => ({ ...c, circuit: "closed", reason: "", openSince: null, incident: "", failures: 0 }));
  const contacts = [
    { id: "community-manager", name: "Alex (community manager)", role: "community_manager", points: ["team-whatsapp", "team-telegram"] },
    { id: "comms-lead", name: "Sam (comms lead)", role: "comms_lead", points: ["team-whatsapp", "team-email"] },
  ];
  const messages = new Map(); // id -> message (newest first = highest id)
  const events = new Map(); // id -> [event]
  const keys = new Map(); // idempotency key -> id
  const timers = new Map(); // id -> timeout
  let seq = 0;
  let remote = 0;

  const channel = (name) => channels.find((c) => c.name === name);
  const now = () => iso(Date.now());

  function publish(type, m) {
    broadcast("outbox", { type, message: view(m) });
  }

  // The message's JSON as routes.cc's MessageJson writes it (no html).
  function view(m) {
    const { html, ...rest } = m;
    return { ...rest };
  }

  function record(m, type, detail, answer = {}) {
    const list = events.get(m.id) ?? [];
    list.push({ seq: list.length + 1, at: now(), type, state: m.state, detail, answer });
    events.set(m.id, list);
    m.last_seq = list.length;
  }

  // A state change: stored, then told (the claim, `sending`, is not told, as in the relay).
  function change(m, state, type, detail, { reason, answer, next } = {}) {
    m.state = state;
    m.updated_at = now();
    if (reason !== undefined) m.last_reason = reason;
    m.next_attempt_at = state === "queued" || state === "retry_scheduled" ? next ?? now() : null;
    record(m, type ?? state, detail ?? reason ?? "", answer);
    if (state !== "sending") publish(type ?? state, m);
  }

  function schedule(m, ms) {
    clearTimeout(timers.get(m.id));
    timers.set(m.id, setTimeout(() => attempt(m), ms));
  }

  function openCircuit(c, reason, incident) {
    if (c.circuit !== "open") c.openSince = now();
    c.circuit = "open";
    c.reason = reason;
    c.incident = incident;
  }

  // Where a contact's message goes: the first point whose circuit is not open.
  function plan(contact) {
    const skipped = [];
    for (const name of contact.points) {
      const c = channel(name);
      if (c.circuit === "open") {
        skipped.push(`${name}: circuit open, ${c.reason}`);
        continue;
      }
      return { channel: name, route: skipped.join("; ") };
    }
    return { channel: contact.points[0], route: [...skipped, `every contact point's circuit is open: waiting on ${contact.points[0]}`].join("; ") };
  }

  // A contact's message that cannot go on its channel moves to the next healthy point.
  function failover(m, why) {
    const contact = contacts.find((c) => c.id === m.contact);
    if (!contact) return false;
    const at = contact.points.indexOf(m.channel);
    const parts = m.route ? [m.route] : [];
    parts.push(`${m.channel}: ${why}`);
    for (const name of contact.points.slice(at + 1)) {
      const c = channel(name);
      if (c.circuit === "open") {
        parts.push(`${name}: circuit open, ${c.reason}`);
        continue;
      }
      m.channel = name;
      m.recipient = "";
      m.attempts = 0;
      m.route = parts.join("; ");
      change(m, "queued", "rerouted", `moved to ${name}: ${why}`);
      schedule(m, 100);
      return true;
    }
    return false;
  }

  function attempt(m) {
    timers.delete(m.id);
    if (m.state !== "queued" && m.state !== "retry_scheduled") return;
    const c = channel(m.channel);
    if (c.circuit === "open") {
      if (m.contact && failover(m, `circuit open, ${c.reason}`)) return;
      schedule(m, 1000); // waits for the circuit
      return;
    }
    m.attempts++;
    change(m, "sending", "sending", `attempt ${m.attempts}`);
    const to = m.recipient || c.to;
    if (c.kind === "whatsapp" && to.replace(/\D/g, "") === "15550100099") {
      setTimeout(() => {
        c.failures++;
        change(m, "unconfirmed", undefined, undefined, { reason: `no answer within ${WHATSAPP_TIMEOUT_MS / 1000} s after the request was sent: it may have arrived (WhatsApp cannot deduplicate)` });
      }, WHATSAPP_TIMEOUT_MS);
      return;
    }
    setTimeout(() => {
      if (c.kind === "telegram" && to === "@nowhere") {
        change(m, "failed", undefined, undefined, { reason: "HTTP 400: Bad Request: chat not found", answer: { status: 400, description: "Bad Request: chat not found" } });
        return;
      }
      if (c.kind === "whatsapp" && whatsappFailing()) {
        c.failures++;
        if (c.failures >= 3 && c.circuit === "closed") openCircuit(c, `${c.failures} failures in a row: HTTP 503`, "");
        if (m.contact && failover(m, "retry later: HTTP 503 Service temporarily unavailable")) return;
        if (m.attempts >= MAX_ATTEMPTS) {
          change(m, "dead_lettered", undefined, undefined, { reason: `out of attempts (${MAX_ATTEMPTS}): HTTP 503` });
          return;
        }
        const wait = 1000 * 2 ** m.attempts;
        change(m, "retry_scheduled", undefined, undefined, { reason: "HTTP 503: Service temporarily unavailable", next: iso(Date.now() + wait) });
        schedule(m, wait);
        return;
      }
      c.failures = 0;
      if (c.circuit === "half_open") {
        c.circuit = "closed";
        c.reason = "";
        c.openSince = null;
      }
      m.remote_id = c.kind === "telegram" ? String(++remote) : c.kind === "whatsapp" ? `wamid.mock${++remote}` : `<mock${++remote}@demo.lifeline.test>`;
      change(m, "delivered", undefined, undefined, { reason: `accepted (id ${m.remote_id})`, answer: { id: m.remote_id } });
    }, 150);
  }

  function enqueue({ channel: name, contact, to = "", subject = "", text, key = "", incident = "", route = "" }) {
    if (key && keys.has(key)) return { message: messages.get(keys.get(key)), created: false };
    const id = `msg_${String(++seq).padStart(26, "0")}`;
    const t = now();
    const m = {
      id, idempotency_key: key || `auto-${id}`, channel: name, contact: contact ?? "", recipient: to, subject, text,
      incident_id: incident, state: "queued", attempts: 0, next_attempt_at: t, created_at: t, updated_at: t,
      remote_id: "", last_reason: "", route, last_seq: 0,
    };
    messages.set(id, m);
    keys.set(m.idempotency_key, id);
    record(m, "queued", route ? `accepted: ${route}` : "accepted");
    publish("queued", m);
    schedule(m, 100);
    return { message: m, created: true };
  }

  function sendToContact(contactId, fields) {
    const contact = contacts.find((c) => c.id === contactId);
    const p = plan(contact);
    return enqueue({ ...fields, contact: contactId, channel: p.channel, route: p.route });
  }

  // The engine's incidents drive the circuits (as Relay::OnIncident) and the team alerts.
  function onIncident(inc) {
    const hhmm = inc.opened_at.slice(11, 16);
    for (const c of channels) {
      if (!c.platform || !(inc.platforms ?? []).includes(c.platform)) continue;
      if (inc.state === "open") openCircuit(c, `${c.domain === "meta" ? "Meta" : c.domain} outage since ${hhmm} UTC (incident ${inc.id})`, inc.id);
      else if (c.circuit === "open" && c.incident === inc.id) {
        c.circuit = "half_open";
        c.reason = `incident ${inc.id} closed: the next message tests it`;
        c.incident = "";
      }
    }
    const names = (inc.platforms ?? []).join(", ");
    for (const contact of contacts) {
      const opened = inc.state === "open";
      sendToContact(contact.id, {
        subject: `[Lifeline] ${names} ${opened ? "is down" : "is back"}`,
        text: opened ? `${names} is down for everyone since ${hhmm} UTC: ${inc.title}. Lifeline incident ${inc.id}.` : `${names} works again (incident ${inc.id} is closed).`,
        key: `alert/${inc.id}/${inc.state}/${contact.id}`,
        incident: inc.id,
      });
    }
  }

  // ---- HTTP -------------------------------------------------------------------------------

  function healthView(c) {
    return {
      name: c.name, kind: c.kind, platform: c.platform, domain: c.domain, circuit: c.circuit, circuit_reason: c.reason,
      open_since: c.circuit === "closed" ? null : c.openSince, probe_at: null, incident_id: c.incident,
      consecutive_failures: c.failures, rate_per_second: c.rate, current_rate: c.rate, tokens: c.rate, paused_until: null,
    };
  }

  const handles = (p) => p === "/v1/outbox" || p.startsWith("/v1/outbox/") || p === "/v1/channels" || p === "/v1/contacts";

  // `need(req, res, role)`, `send(res, status, body)`, `err(res, status, code, message)`,
  // `body(req)`: the mock server's helpers.
  async function handle(req, res, url, { need, send, err, body }) {
    const p = url.pathname;
    if (req.method === "GET") {
      if (!need(req, res, 1)) return;
      if (p === "/v1/channels") return send(res, 200, { channels: channels.map(healthView) });
      if (p === "/v1/contacts") {
        return send(res, 200, { contacts: contacts.map((c) => ({ id: c.id, name: c.name, role: c.role, points: c.points.map((n) => ({ channel: n, to: "", circuit: channel(n).circuit })) })) });
      }
      if (p === "/v1/outbox") {
        const q = url.searchParams;
        const state = q.get("state");
        if (state && !STATES.includes(state)) return err(res, 400, "invalid_argument", `state must be one of ${STATES.join(", ")}`);
        const limit = q.has("limit") ? Number(q.get("limit")) : 50;
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return err(res, 400, "invalid_argument", "limit must be a whole number from 1 to 1000");
        const all = [...messages.values()]
          .filter((m) => (!state || m.state === state) && (!q.get("channel") || m.channel === q.get("channel")) && (!q.get("incident") || m.incident_id === q.get("incident")) && (!q.get("contact") || m.contact === q.get("contact")))
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        const cursor = q.get("cursor");
        const from = cursor ? all.findIndex((m) => m.id < cursor) : 0;
        const page = from < 0 ? [] : all.slice(from, from + limit);
        const more = from >= 0 && from + limit < all.length;
        return send(res, 200, { messages: page.map(view), next_cursor: more ? page.at(-1).id : null });
      }
      const m = messages.get(decodeURIComponent(p.slice("/v1/outbox/".length)));
      if (!m) return err(res, 404, "not_found", `no message '${p.slice("/v1/outbox/".length)}'`);
      return send(res, 200, { message: view(m), events: events.get(m.id) ?? [] });
    }
    if (req.method !== "POST") return err(res, 405, "invalid_argument", "method not allowed");
    if (!need(req, res, 2)) return;
    let b;
    try {
      b = (await body(req)) ?? {};
    } catch {
      return err(res, 400, "invalid_argument", "the body is not valid JSON");
    }
    if (p === "/v1/outbox") {
      if (!b.text) return err(res, 400, "invalid_argument", "text is required");
      if (!b.channel === !b.contact) return err(res, 400, "invalid_argument", "give exactly one of channel (a configured channel's name) or contact (a configured contact's id)");
      const fields = { to: b.to ?? "", subject: b.subject ?? "", text: b.text, key: b.idempotency_key ?? "", incident: b.incident_id ?? "" };
      let out;
      if (b.contact) {
        if (!contacts.some((c) => c.id === b.contact)) return err(res, 404, "not_found", `no contact '${b.contact}' is configured`);
        out = sendToContact(b.contact, fields);
      } else {
        if (!channel(b.channel)) return err(res, 404, "not_found", `unknown channel '${b.channel}' (channels: ${channels.map((c) => c.name).join(", ")})`);
        out = enqueue({ ...fields, channel: b.channel });
      }
      return send(res, out.created ? 202 : 200, { message: view(out.message), created: out.created });
    }
    const act = /^\/v1\/outbox\/([^/]+)\/(retry|cancel|decide)$/.exec(p);
    if (!act) return err(res, 404, "not_found", `no route ${p}`);
    const m = messages.get(decodeURIComponent(act[1]));
    if (!m) return err(res, 404, "not_found", `no message '${act[1]}'`);
    const action = act[2];
    if (action === "retry") {
      if (!["failed", "dead_lettered", "unconfirmed", "cancelled"].includes(m.state)) return err(res, 409, "failed_precondition", `message ${m.id} is ${m.state}: only failed, dead-lettered, unconfirmed or cancelled messages can be retried`);
      m.attempts = 0; // as the store: a retried message gets its attempts afresh
      change(m, "queued", "retried", "retried through the API (operator)");
      schedule(m, 300);
    } else if (action === "cancel") {
      if (!["queued", "retry_scheduled", "unconfirmed"].includes(m.state)) return err(res, 409, "failed_precondition", `message ${m.id} is ${m.state}: only queued, retry-scheduled or unconfirmed messages can be cancelled`);
      clearTimeout(timers.get(m.id));
      change(m, "cancelled", undefined, "cancelled through the API (operator)", { reason: "cancelled through the API (operator)" });
    } else {
      if (typeof b.delivered !== "boolean") return err(res, 400, "invalid_argument", "delivered is required: true (it did arrive) or false (send it again)");
      if (m.state !== "unconfirmed") return err(res, 409, "failed_precondition", `message ${m.id} is ${m.state}: only an unconfirmed message can be decided`);
      if (b.delivered) {
        change(m, "delivered", "decided", "marked delivered through the API (operator)", { reason: "marked delivered through the API (operator)" });
      } else {
        m.attempts = 0;
        change(m, "queued", "decided", "decided to send again through the API (operator)", { reason: "decided to send again through the API (operator)" });
        schedule(m, 300);
      }
    }
    return send(res, 200, { message: view(m) });
  }

  return { handles, handle, onIncident, sendToContact, channels, messages };
}
