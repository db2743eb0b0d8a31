// The mock server's listening: GET /v1/listening, /v1/listening/hours, /v1/listening/spikes and
// /v1/listening/posts in the shapes of src/listen/routes.cc (Status, Hours, SpikeRowJson, PostJson),
// with the detector's rules of docs/listening.md (the band: lowest to highest of the same hour over
// the past weeks; usual: their median; expected: max(usual, floor) x the share of the hour elapsed;
// the Poisson tail; two unusual hours in a row make a spike). Its world:
//   - queries brand:acme:mentions, brand:acme:hashtags, chatter:whatsapp, chatter:instagram;
//   - chatter:whatsapp spiked in the two hours before the mock started (40 then 57 posts against
//     about 5): unusual, then a spike raised; the other hours stay within their band;
//   - sources: x (credentials refused: HTTP 401), bluesky (rate limited for 12 more minutes),
//     mastodon and alerts (rss) working.
// Mock-only control: POST /__mock/listening/source {"source", "outcome", "error"?} changes a
// source's terms and announces it as the listener does (a `listening` event, kind `source`).

const HOUR = 3600_000;
const WEEK = 7 * 24 * HOUR;
const SPIKE = { min_weeks: 4, max_weeks: 8, alpha: 1e-4, min_count: 10, min_ratio: 1.5, floor: 2, consecutive: 2, cooldown_ms: 2 * HOUR, judge_partial_hour: false };

const QUERIES = [
  { id: "brand:acme:mentions", kind: "mentions", brand: "acme", platform: null, terms: ["@acme", "acme support"], base: 6 },
  { id: "brand:acme:hashtags", kind: "hashtags", brand: "acme", platform: null, terms: ["#acme"], base: 3 },
  { id: "chatter:whatsapp", kind: "chatter", brand: null, platform: "whatsapp", terms: ["whatsapp down", "#whatsappdown", "whatsapp not working"], base: 4 },
  { id: "chatter:instagram", kind: "chatter", brand: null, platform: "instagram", terms: ["instagram down", "#instagramdown", "is instagram down"], base: 2 },
];

function hash(s) {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

// P(X >= k) for X ~ Poisson(lambda), summed in log space.
function poissonUpper(lambda, k) {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  let logp = -lambda + k * Math.log(lambda) - lgamma(k + 1);
  let sum = 0;
  for (let i = k; i < k + 400; i++) {
    sum += Math.exp(logp);
    logp += Math.log(lambda) - Math.log(i + 1);
  }
  return Math.min(1, sum);
}
function lgamma(n) {
  let s = 0;
  for (let i = 2; i < n; i++) s += Math.log(i);
  return s;
}
function median(xs) {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function createMockListening({ iso, broadcast }) {
  const started = Date.now();
  const hourOf = (t) => Math.floor(t / HOUR) * HOUR;
  const spikeHours = [hourOf(started) - 2 * HOUR, hourOf(started) - HOUR]; // chatter:whatsapp
  const SPIKE_COUNTS = [40, 57];
  const spikeAt = (q, h) => (q.id === "chatter:whatsapp" ? spikeHours.indexOf(h) : -1);

  // The usual count of a query's hour (a daily rhythm with a little noise), the same every week.
  const usualCount = (q, h, salt = "") => {
    const hod = new Date(h).getUTCHours();
    const rhythm = 0.5 + 0.5 * Math.sin(((hod - 6) / 24) * 2 * Math.PI) + 0.3;
    return Math.max(0, Math.round(q.base * rhythm + ((hash(`${q.id}|${h}|${salt}`) % 5) - 2)));
  };
  const countAt = (q, h) => {
    const i = spikeAt(q, h);
    if (i >= 0) return SPIKE_COUNTS[i];
    return usualCount(q, h, "now");
  };

  function check(q, h, now) {
    const current = h === hourOf(now);
    const fraction = current ? Math.max(1e-3, (now - h) / HOUR) : 1;
    const observed = current ? Math.round(countAt(q, h) * fraction) : countAt(q, h);
    const weeks = [];
    for (let k = 1; k <= SPIKE.max_weeks; k++) weeks.push(usualCount(q, h - k * WEEK, `w${k}`));
    const usual = median(weeks);
    const expected = Math.max(usual, SPIKE.floor) * fraction;
    const p = poissonUpper(expected, observed);
    let reason = "spike";
    if (observed < SPIKE.min_count) reason = "below_min_count";
    else if (!(p < SPIKE.alpha)) reason = "not_significant";
    else if (observed < SPIKE.min_ratio * expected) reason = "below_ratio";
    return { h, current, fraction, observed, weeks, usual, expected, p, reason };
  }

  const utc = (t) => new Date(t).toISOString().slice(11, 16);
  function evidence(c, tail) {
    return `${c.observed} posts in ${utc(c.h)}-${utc(c.h + HOUR)} UTC against ${+c.expected.toFixed(1)} expected (median of the same hour over ${c.weeks.length} weeks: ${c.weeks.join(" ")}); P(X >= ${c.observed}) = ${c.p.toExponential(1)}${tail}`;
  }

  // The stored decisions: the two hours of the spike.
  function decisions(q) {
    if (q.id !== "chatter:whatsapp") return [];
    return spikeHours.map((h, i) => {
      const c = check(q, h, started);
      return {
        query: q.id, platform: q.platform, hour: iso(h), judged_at: iso(h + HOUR + 60_000), fraction: 1, observed: c.observed, expected: c.expected, usual: c.usual,
        weeks: c.weeks, p_value: c.p, run: i + 1, spiking: i === 1, fired: i === 1, reason: i === 1 ? "spike" : "not_consecutive",
        evidence: evidence(c, i === 1 ? "; 2 hours in a row: spike" : `; unusual, 1 hour in a row of ${SPIKE.consecutive} needed`),
      };
    });
  }

  const AUTHORS = ["@maria_g", "@tom.k", "@lee", "@nadia", "@pat_r", "@sam.i.am"];
  const TEXTS = {
    "chatter:whatsapp": [["is whatsapp down? can't send anything #whatsappdown", -0.4], ["WhatsApp not working here either, awful timing", -0.6], ["whatsapp down again lol", 0.3], ["Messages stuck on one tick. whatsapp down?", -0.2]],
    "chatter:instagram": [["instagram down or just me?", 0], ["feed won't refresh #instagramdown", -0.3]],
    "brand:acme:mentions": [["Great service from @acme support today!", 0.8], ["@acme my parcel is late again", -0.5], ["anyone tried the new @acme app?", 0]],
    "brand:acme:hashtags": [["Loving my new boots #acme", 0.7], ["#acme sale starts Friday", 0.1]],
  };
  const TERMS = {
    "chatter:whatsapp": ["down", "messages", "send", "again", "working"],
    "chatter:instagram": ["down", "feed", "refresh"],
    "brand:acme:mentions": ["parcel", "service", "app", "late"],
    "brand:acme:hashtags": ["sale", "boots", "friday"],
  };

  // The posts of an hour (a few of them carry shares; spike hours many).
  function postsOf(q, h, n) {
    const texts = TEXTS[q.id];
    const out = [];
    const shown = Math.min(n, 6);
    for (let i = 0; i < shown; i++) {
      const [text, compound] = texts[(hash(`${q.id}|${h}|${i}`) >>> 3) % texts.length];
      const shares = spikeAt(q, h) >= 0 ? [312, 120, 48, 9, 0, 0][i] : (hash(`${h}|${i}`) % 7 === 0 ? 3 : 0);
      const id = `${(h / 1000).toString(36)}${i}`;
      out.push({
        key: `https://mastodon.social/@${AUTHORS[i % AUTHORS.length].slice(1)}/${id}`, source: i % 2 ? "bluesky" : "mastodon", source_id: id,
        url: `https://mastodon.social/@${AUTHORS[i % AUTHORS.length].slice(1)}/${id}`, author: AUTHORS[i % AUTHORS.length], text, posted_at: iso(h + (i + 1) * 7 * 60_000),
        fetched_at: iso(h + (i + 1) * 7 * 60_000 + 30_000), shares, compound, sentiment: compound >= 0.05 ? "positive" : compound <= -0.05 ? "negative" : "neutral", queries: [q.id],
      });
    }
    return out;
  }

  function hourJson(q, h, now, stored) {
    const c = check(q, h, now);
    const band = { low: Math.min(...c.weeks), high: Math.max(...c.weeks) };
    const n = c.observed;
    const negShare = spikeAt(q, h) >= 0 ? 0.55 : 0.2;
    const negative = Math.round(n * negShare);
    const positive = Math.round((n - negative) * 0.35);
    const neutral = n - negative - positive;
    const share = (x) => (n ? x / n : 0);
    const posts = postsOf(q, h, n).filter((p) => Date.parse(p.posted_at) <= now);
    const terms = TERMS[q.id].map((t, i) => ({ term: t, posts: Math.max(1, Math.round(n * (0.6 - i * 0.1))) })).filter(() => n > 0);
    return {
      hour: iso(h), complete: !c.current, posts: n, usual: c.usual, expected: c.expected, band, weeks: c.weeks, p_value: c.p, unusual: c.reason === "spike",
      reason: c.reason, spike: stored.find((s) => s.hour === iso(h)) ?? null,
      sentiment: { positive, neutral, negative, positive_share: share(positive), neutral_share: share(neutral), negative_share: share(negative), mean_compound: n ? (positive * 0.5 - negative * 0.5) / n : 0 },
      top_terms: terms,
      top_posts: posts.filter((p) => p.shares > 0).sort((a, b) => b.shares - a.shares).slice(0, 5).map(({ source_id: _s, fetched_at: _f, sentiment: _x, queries: _q, ...p }) => p),
    };
  }

  // Each source's state per term (store::ListenSourceState), as GET /v1/listening shows it.
  const sources = [
    { name: "x", kind: "x", interval_ms: 15 * 60_000, terms: ["@acme", "acme support", "whatsapp down", "whatsapp not working", "instagram down", "is instagram down"] },
    { name: "mastodon", kind: "mastodon", interval_ms: 2 * 60_000, terms: ["#acme", "#whatsappdown", "#instagramdown"] },
    { name: "bluesky", kind: "bluesky", interval_ms: 5 * 60_000, terms: ["@acme", "acme support", "whatsapp down"] },
    { name: "alerts", kind: "rss", interval_ms: 10 * 60_000, terms: ["@acme", "acme support"] },
  ];
  const states = new Map(); // `${source}|${term}` -> state
  for (const s of sources) {
    for (const term of s.terms) {
      const st = { outcome: "ok", last_poll: iso(started - 60_000), last_ok: iso(started - 60_000), error: null, rate_limit: null, retry_at: null, polls: 40 + (hash(term) % 20), posts: hash(`${s.name}${term}`) % 90 };
      if (s.name === "x") Object.assign(st, { outcome: "auth", last_ok: null, error: 'x recent search: HTTP 401: the credentials are refused ({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})', retry_at: iso(started + 30 * 60_000), posts: 0 });
      if (s.name === "bluesky" && term === "@acme") Object.assign(st, { outcome: "rate_limited", last_ok: iso(started - 25 * 60_000), error: `bluesky searchPosts: rate limited (HTTP 429) until ${iso(started + 12 * 60_000)}`, rate_limit: `0 of 3000 left, resets ${Math.round((started + 12 * 60_000) / 1000)}`, retry_at: iso(started + 12 * 60_000) });
      states.set(`${s.name}|${term}`, st);
    }
  }
  const health = (s) => {
    let worst = "ok";
    for (const term of s.terms) {
      const o = states.get(`${s.name}|${term}`).outcome;
      if (o === "auth") return "auth";
      if (o === "error") worst = "failing";
      if (o === "rate_limited" && worst === "ok") worst = "rate_limited";
    }
    return worst;
  };

  function status() {
    const now = Date.now();
    // The server takes the decisions of the last two hours (now - 2 h); from the hour's start here,
    // so that the spike of the hour before the start stays "on" for the whole of a suite's run.
    const spiking = QUERIES.flatMap(decisions).filter((d) => d.spiking && Date.parse(d.hour) >= hourOf(now) - 2 * HOUR);
    return {
      configured: true,
      queries: QUERIES.map(({ base: _b, ...q }) => q),
      sources: sources.map((s) => ({
        name: s.name, kind: s.kind, interval_ms: s.interval_ms, health: health(s),
        terms: s.terms.map((term) => ({ term, ...states.get(`${s.name}|${term}`) })),
      })),
      spike: SPIKE,
      spiking,
    };
  }

  class Refusal extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
  const findQuery = (id, required) => {
    if (!id) {
      if (required) throw new Refusal(400, "invalid_argument", "query: required");
      return null;
    }
    const q = QUERIES.find((x) => x.id === id);
    if (!q) throw new Refusal(404, "not_found", `no query '${id}'`);
    return q;
  };
  const timeParam = (u, name) => {
    const v = u.searchParams.get(name);
    if (v === null) return null;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new Refusal(400, "invalid_argument", `${name}: '${v}' is not an RFC 3339 time`);
    return t;
  };

  const handles = (p) => p === "/v1/listening" || p.startsWith("/v1/listening/") || p.startsWith("/__mock/listening/");

  async function handle(req, res, url, { need, send, err, body }) {
    const p = url.pathname;
    try {
      if (p === "/__mock/listening/source" && req.method === "POST") {
        const b = (await body(req)) ?? {};
        const s = sources.find((x) => x.name === b.source);
        if (!s) return err(res, 404, "not_found", `no source '${b.source}'`);
        const now = Date.now();
        for (const term of s.terms) {
          const st = states.get(`${s.name}|${term}`);
          st.outcome = b.outcome;
          st.last_poll = iso(now);
          if (b.outcome === "ok") Object.assign(st, { last_ok: iso(now), error: null, retry_at: null });
          else Object.assign(st, { error: b.error ?? `${s.kind}: HTTP 503 (unavailable)`, retry_at: iso(now + 10 * 60_000) });
          broadcast("listening", { kind: "source", source: s.name, term, outcome: st.outcome, ...(b.outcome === "ok" ? {} : { error: st.error, retry_at: st.retry_at }) });
        }
        return send(res, 200, { source: s.name, health: health(s) });
      }
      if (req.method !== "GET") return err(res, 405, "invalid_argument", "method not allowed");
      if (!need(req, res, 1)) return;
      const now = Date.now();
      if (p === "/v1/listening") return send(res, 200, status());
      if (p === "/v1/listening/hours") {
        const q = findQuery(url.searchParams.get("query"), true);
        const toT = timeParam(url, "to");
        const fromT = timeParam(url, "from");
        const to = toT !== null ? hourOf(toT - 1) + HOUR : hourOf(now) + HOUR;
        const from = fromT !== null ? hourOf(fromT) : to - 24 * HOUR;
        if (from >= to || to - from > 31 * 24 * HOUR) throw new Refusal(400, "invalid_argument", "from/to: expected up to 31 days, from before to");
        const stored = decisions(q);
        const hours = [];
        for (let h = from; h < to; h += HOUR) hours.push(hourJson(q, h, now, stored));
        return send(res, 200, { query: q.id, hours });
      }
      if (p === "/v1/listening/spikes") {
        const q = findQuery(url.searchParams.get("query"), false);
        const from = timeParam(url, "from");
        const spikingOnly = url.searchParams.get("spiking") === "true";
        const rows = (q ? decisions(q) : QUERIES.flatMap(decisions))
          .filter((d) => (from === null || Date.parse(d.hour) >= from) && (!spikingOnly || d.spiking))
          .sort((a, b) => Date.parse(b.hour) - Date.parse(a.hour));
        return send(res, 200, { spikes: rows });
      }
      if (p === "/v1/listening/posts") {
        const q = findQuery(url.searchParams.get("query"), false);
        const limit = url.searchParams.has("limit") ? Number(url.searchParams.get("limit")) : 100;
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Refusal(400, "invalid_argument", "limit: expected 1 to 1000");
        const posts = [];
        for (const qq of q ? [q] : QUERIES) for (let h = hourOf(now) - 23 * HOUR; h <= hourOf(now); h += HOUR) posts.push(...postsOf(qq, h, countAt(qq, h)));
        return send(res, 200, { posts: posts.filter((x) => Date.parse(x.posted_at) <= now).sort((a, b) => Date.parse(b.posted_at) - Date.parse(a.posted_at)).slice(0, limit) });
      }
      return err(res, 404, "not_found", `no route ${p}`);
    } catch (e) {
      if (e instanceof Refusal) return err(res, e.status, e.code, e.message);
      throw e;
    }
  }

  return { handles, handle };
}
