// The mock server's fleet view: GET /v1/vantage-points and /v1/vantage-points/{name} in the shapes
// of src/serve/fleet.cc (VantageJson), a `vantage_point` event on each change. Its world:
//   - eu-west (region eu): answering every 5 s, version 0.1.0, ~12 ms away, its own connection ok;
//   - us-east (region us): unreachable, connection refused, never answered.
// Mock-only control: POST /__mock/fleet {"name", "state": "ok"|"unreachable", "kind"?, "message"?}
// makes the next exchange with that vantage point succeed or fail, and announces it.

export function createMockFleet({ iso, broadcast }) {
  const STALE_AFTER_MS = 3 * 5000 + 2000 + 1500;
  const started = Date.now();
  const points = [
    { name: "eu-west", region: "eu", url: "https://127.0.0.1:18443", ok: true, latencies: [] },
    { name: "us-east", region: "us", url: "https://127.0.0.1:18444", ok: false, kind: "refused", message: "https://127.0.0.1:18444/v1/probe: connection refused (TCP connection to 127.0.0.1:18444 refused)", latencies: [] },
  ];
  for (const p of points) {
    Object.assign(p, { state: "unknown", since: null, seen: null, attempt: null, latency: null, error: null, errorAt: null, run: 0, answers: 0, failures: 0, errorKind: null });
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  };

  function json(p) {
    return {
      name: p.name,
      region: p.region,
      url: p.url,
      state: p.state,
      state_since: p.since ? iso(p.since) : null,
      last_seen: p.seen ? iso(p.seen) : null,
      last_attempt: p.attempt ? iso(p.attempt) : null,
      latency_ms: p.seen ? p.latency : null,
      latency_median_ms: median(p.latencies),
      exchange_ms: p.seen ? 310 : null,
      version: p.answers ? "0.1.0" : null,
      connectivity: p.answers ? "ok" : null,
      connectivity_evidence: p.answers ? ["3 of 3 control sites load"] : [],
      last_error: p.error ? { kind: p.errorKind, message: p.error, at: iso(p.errorAt) } : null,
      consecutive_failures: p.run,
      answers: p.answers,
      failures: p.failures,
    };
  }

  function exchange(p, t) {
    const before = p.state;
    p.attempt = t;
    if (p.ok) {
      p.state = "ok";
      p.seen = t;
      p.latency = 11 + (p.answers % 3);
      p.latencies = [...p.latencies, p.latency].slice(-10);
      p.answers++;
      p.run = 0;
    } else {
      p.state = "unreachable";
      p.error = p.message;
      p.errorKind = p.kind;
      p.errorAt = t;
      p.run++;
      p.failures++;
    }
    if (before !== p.state) p.since = t;
    broadcast("vantage_point", { ...json(p), previous_state: before, state_changed: before !== p.state });
  }

  const round = () => {
    const t = Date.now();
    for (const p of points) exchange(p, t);
  };
  round();
  setInterval(round, 5000).unref();

  const handles = (p) => p === "/v1/vantage-points" || p.startsWith("/v1/vantage-points/") || p === "/__mock/fleet";

  async function handle(req, res, url, { need, send, err, body }) {
    const path = url.pathname;
    if (path === "/__mock/fleet" && req.method === "POST") {
      const b = (await body(req)) ?? {};
      const p = points.find((x) => x.name === b.name);
      if (!p) return err(res, 404, "not_found", `no vantage point '${b.name}'`);
      p.ok = b.state === "ok";
      if (!p.ok) Object.assign(p, { kind: b.kind ?? "timeout", message: b.message ?? `${p.url}/v1/probe: timeout` });
      exchange(p, Date.now());
      return send(res, 200, json(p));
    }
    if (req.method !== "GET") return err(res, 405, "invalid_argument", "method not allowed");
    if (!need(req, res, 1)) return;
    if (path === "/v1/vantage-points") {
      return send(res, 200, { checked_at: iso(Date.now()), stale_after_ms: STALE_AFTER_MS, vantage_points: points.map(json) });
    }
    const name = decodeURIComponent(path.slice("/v1/vantage-points/".length));
    const p = points.find((x) => x.name === name);
    if (!p) return err(res, 404, "not_found", `no vantage point '${name}' (GET /v1/vantage-points lists them; they are configured under vantage_points:)`);
    return send(res, 200, json(p));
  }

  void started;
  return { handles, handle };
}
