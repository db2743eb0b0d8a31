// The mock server's device check (GET /v1/device/probes, POST /v1/device/reports), mirroring
// src/api/device_routes.cc closely enough for the browser tests: device probes on the mock's own
// origin (/__mock/device/...: nothing leaves the machine), one measured report per device per
// platform per hour, strict checks with 400 naming the field, 413 over 4096 bytes, and the evidence
// line the real engine adds ("N measured reports from devices in the last hour: ...").

const MAX_BODY = 4096;

export function createMockDevice({ catalog, base, failing }) {
  const probesOf = (id) => [`${base()}/__mock/device/${id}.ico`];
  const controls = () => ["one", "two", "three"].map((id) => ({ id, device_probes: [`${base()}/__mock/device/control-${id}.txt`] }));
  const sent = new Map(); // `${device}|${platform}|${hour}` -> true
  const reports = []; // { platform, reached, connection, at }

  function list() {
    return {
      platforms: catalog.map(([platform, name, domain]) => ({ platform, name, domain, device_probes: probesOf(platform) })),
      controls: controls(),
      timeout_ms: 5000,
      slow_ms: 2000,
      max_body_bytes: MAX_BODY,
      public_url: "",
    };
  }

  function check(b) {
    if (!b || typeof b !== "object" || Array.isArray(b)) return "the body must be a JSON object";
    for (const k of Object.keys(b)) if (!["device", "platform", "reached", "probes", "controls", "connection"].includes(k)) return `unknown field "${k}"`;
    if (typeof b.device !== "string" || !/^[A-Za-z0-9_-]{16,64}$/.test(b.device)) return "field 'device' must be the page's device id";
    const p = catalog.find(([id]) => id === b.platform);
    if (!p) return `field 'platform' "${b.platform}" is not a watched platform with device probes`;
    if (typeof b.reached !== "boolean") return "field 'reached' must be true or false";
    const fetches = (name, urls) => {
      const l = b[name];
      if (!Array.isArray(l) || l.length !== urls.length) return `field '${name}' must give a result for each of the ${urls.length} URLs`;
      for (const [i, f] of l.entries()) {
        if (!urls.includes(f?.url)) return `field '${name}[${i}].url' is not one of the device probes`;
        if (typeof f.ok !== "boolean") return `field '${name}[${i}].ok' must be true or false`;
        if (typeof f.ms !== "number" || f.ms < 0 || f.ms > 60000) return `field '${name}[${i}].ms' must be between 0 and 60000`;
      }
      return "";
    };
    const bad = fetches("probes", probesOf(b.platform)) || fetches("controls", controls().flatMap((c) => c.device_probes));
    if (bad) return bad;
    if (b.probes.some((f) => f.ok) !== b.reached) return `field 'reached' contradicts the probes`;
    if (!b.reached && !b.controls.some((f) => f.ok)) return "field 'controls' shows that this device reached no control site either";
    return "";
  }

  function handles(p) {
    return p === "/v1/device/probes" || p === "/v1/device/reports" || p.startsWith("/__mock/device/");
  }

  async function handle(req, res, url, { send, err }) {
    const p = url.pathname;
    if (p.startsWith("/__mock/device/")) {
      // A platform's favicon: 503 while it is in its scripted outage (no-cors cannot see that).
      const id = p.slice("/__mock/device/".length).replace(/\.\w+$/, "");
      res.writeHead(failing(id) ? 503 : 200, { "Content-Type": "text/plain", "Cache-Control": "no-store" });
      return res.end("ok");
    }
    if (p === "/v1/device/probes" && req.method === "GET") return send(res, 200, list());
    if (p === "/v1/device/reports" && req.method === "POST") {
      let text = "";
      for await (const c of req) text += c;
      if (text.length > MAX_BODY) return err(res, 413, "resource_exhausted", `the report is ${text.length} bytes, over the limit of ${MAX_BODY} bytes`);
      let b = null;
      try {
        b = JSON.parse(text);
      } catch {
        return err(res, 400, "invalid_argument", "the body is not valid JSON");
      }
      const bad = check(b);
      if (bad) return err(res, 400, "invalid_argument", bad);
      const hour = Math.floor(Date.now() / 3600_000);
      const key = `${b.device}|${b.platform}|${hour}`;
      const next = new Date((hour + 1) * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      if (sent.has(key)) {
        return send(res, 429, { error: { code: "resource_exhausted", message: `This device already sent its result for ${b.platform} this hour: one measured report per device per platform per hour counts.` }, retry_after: next });
      }
      sent.set(key, true);
      reports.push({ platform: b.platform, reached: b.reached, connection: b.connection?.type ?? "", at: Date.now() });
      const mine = reports.filter((r) => r.platform === b.platform);
      return send(res, 201, { accepted: true, platform: b.platform, reached: b.reached, counted: !b.reached, reports_last_hour: mine.filter((r) => !r.reached).length, measured_last_hour: { reports: mine.length, unreachable: mine.filter((r) => !r.reached).length, reachable: mine.filter((r) => r.reached).length }, next_report_after: next });
    }
    return err(res, 405, "invalid_argument", "method not allowed");
  }

  // The platform's evidence line, as the engine words it ("" without measured reports).
  function evidence(id, name) {
    const mine = reports.filter((r) => r.platform === id && Date.now() - r.at < 3600_000);
    if (!mine.length) return "";
    const down = mine.filter((r) => !r.reached).length;
    const up = mine.length - down;
    const parts = [];
    if (down) parts.push(`${down} could not reach ${name} while reaching other sites`);
    if (up) parts.push(down ? `${up} reached it` : `${up} reached ${name}`);
    return `${mine.length} measured report${mine.length === 1 ? "" : "s"} from devices in the last hour: ${parts.join(", ")}`;
  }

  return { handles, handle, evidence, unreachable: (id) => reports.filter((r) => r.platform === id && !r.reached).length };
}
