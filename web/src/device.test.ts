import { describe, expect, it } from "vitest";
import {
  assess,
  assessPlatform,
  measuredReports,
  newDeviceId,
  sendOutcome,
  serverViewFrom,
  shareLink,
  type DeviceResults,
  type FetchResult,
  type ServerView,
} from "./device";
import type { PlatformsBody } from "./types";

const ok = (url: string, ms = 80): FetchResult => ({ url, ok: true, ms });
const fail = (url: string, ms = 5000): FetchResult => ({ url, ok: false, ms });

function results(opts: { whatsapp?: boolean; telegram?: boolean; controls?: boolean[]; lifeline?: boolean } = {}): DeviceResults {
  const { whatsapp = true, telegram = true, controls = [true, true, true], lifeline = true } = opts;
  return {
    at: "2026-11-27T10:00:00Z",
    lifeline: lifeline ? ok("/healthz", 10) : fail("/healthz"),
    controls: controls.map((c, i) => (c ? ok(`https://c${i}.example/ok`) : fail(`https://c${i}.example/ok`))),
    platforms: [
      { platform: "whatsapp", name: "WhatsApp", probes: [whatsapp ? ok("https://wa/1") : fail("https://wa/1"), fail("https://wa/2", 4000)].slice(0, whatsapp ? 1 : 2) },
      { platform: "telegram", name: "Telegram", probes: [telegram ? ok("https://tg/1") : fail("https://tg/1")] },
    ],
    connection: { type: "wifi", effective_type: "4g" },
  };
}

function server(verdicts: Record<string, string | [string, string, string]>, connectivity = "ok"): ServerView {
  const body: PlatformsBody = {
    platforms: Object.entries(verdicts).map(([id, v]) => {
      const [verdict, layer, detail] = Array.isArray(v) ? v : [v, "", ""];
      return { platform: id, name: id, domain: "d", verdict, layer, detail, confidence: 1, reason: "", evidence: [], latency_ms: null, checked_at: null, state: "ok", incident_id: verdict === "outage" ? "inc_1" : null, suppressed: null, status_page: null, crowd: null };
    }),
    observer: { connectivity, evidence: [] },
    updated_at: null,
  };
  return serverViewFrom(body);
}

const UP = { whatsapp: "up", telegram: "up" };

describe("the device check's four cases", () => {
  it("the server reaches WhatsApp, this device does not: it is this device", () => {
    const a = assess(results({ whatsapp: false }), server(UP), "", 2000);
    expect(a.headline).toBe("this-device");
    expect(a.title).toMatch(/^It is this device or its connection: WhatsApp answers Lifeline/);
    expect(a.advice).toMatch(/Switch between Wi-Fi and mobile data, then check again/);
    expect(a.platforms[0]!.outcome).toBe("this-device");
    expect(a.platforms[1]!.outcome).toBe("works");
  });

  it("this device reaches no control site either: offline", () => {
    const a = assess(results({ whatsapp: false, telegram: false, controls: [false, false, false] }), server(UP), "", 2000);
    expect(a.headline).toBe("offline");
    expect(a.title).toMatch(/This device is offline/);
    expect(a.platforms.every((p) => p.outcome === "offline")).toBe(true);
  });

  it("nothing answers, Lifeline neither: cannot reach Lifeline or the platforms", () => {
    const a = assess(results({ whatsapp: false, telegram: false, controls: [false, false], lifeline: false }), null, "Lifeline is not answering.", 2000);
    expect(a.headline).toBe("offline-all");
    expect(a.title).toBe("This device cannot reach Lifeline or the platforms: check the connection.");
  });

  it("everyone fails: down for everyone, with the incident", () => {
    const a = assess(results({ whatsapp: false }), server({ whatsapp: ["outage", "dns", "servfail"], telegram: "up" }), "", 2000);
    expect(a.headline).toBe("everyone");
    expect(a.title).toBe("WhatsApp is down for everyone.");
    expect(a.advice).toMatch(/It is not this device/);
    expect(a.platforms[0]!.incidentId).toBe("inc_1");
  });

  it("this device reaches it, the server does not: between the server and WhatsApp", () => {
    const a = assess(results(), server({ whatsapp: ["just_you", "tcp", "timeout"], telegram: "up" }), "", 2000);
    expect(a.headline).toBe("server-side");
    expect(a.title).toBe("WhatsApp works from here; the problem is between Lifeline's server and WhatsApp.");
    const dns = assess(results(), server({ whatsapp: ["outage", "dns", "servfail"], telegram: "up" }), "", 2000);
    expect(dns.headline).toBe("server-side");
  });
});

describe("partial and unclear cases, said honestly", () => {
  it("an outage whose servers answer with errors is still down for everyone (no-cors hides the status)", () => {
    const a = assess(results(), server({ whatsapp: ["outage", "http", "503"], telegram: "up" }), "", 2000);
    expect(a.headline).toBe("everyone");
    expect(a.platforms[0]!.text).toMatch(/answer with errors \(http 503\)/);
  });

  it("a regional outage that this device shares is not settled", () => {
    const a = assess(results({ whatsapp: false }), server({ whatsapp: "regional_outage", telegram: "up" }), "", 2000);
    expect(a.headline).toBe("unclear");
    expect(a.platforms[0]!.outcome).toBe("regional");
  });

  it("degraded on the server and failing here may be either", () => {
    const a = assess(results({ whatsapp: false }), server({ whatsapp: "degraded", telegram: "up" }), "", 2000);
    expect(a.platforms[0]!.outcome).toBe("unclear");
    expect(a.platforms[0]!.text).toMatch(/it may be WhatsApp or this device/);
  });

  it("says when this device also misses other sites", () => {
    const a = assess(results({ whatsapp: false, controls: [true, false, false] }), server(UP), "", 2000);
    expect(a.platforms[0]!.text).toMatch(/also missed 2 of 3 other sites/);
  });

  it("without the server's view it speaks for the device alone", () => {
    const a = assess(results({ whatsapp: false }), null, "Lifeline needs an API token to show its verdicts.", 2000);
    expect(a.headline).toBe("unclear");
    expect(a.title).toBe("WhatsApp does not answer this device, while other sites do.");
    expect(a.advice).toMatch(/needs an API token/);
    expect(a.platforms[0]!.outcome).toBe("device-only");
  });

  it("ignores the server's verdicts while its own connection is down", () => {
    const a = assess(results({ whatsapp: false }), server({ whatsapp: "local_network", telegram: "local_network" }, "local_network"), "", 2000);
    expect(a.serverNote).toMatch(/Lifeline's own connection is down \(local network\)/);
    expect(a.platforms[0]!.outcome).toBe("device-only");
  });

  it("everything fine, and slow answers are marked", () => {
    const r = results();
    r.platforms[1]!.probes = [ok("https://tg/1", 2500)];
    const a = assess(r, server(UP), "", 2000);
    expect(a.headline).toBe("fine");
    expect(a.platforms[1]!.slow).toBe(true);
    expect(a.platforms[1]!.text).toMatch(/slowly/);
  });

  it("reaching a platform is any of its probes completing", () => {
    const p = assessPlatform({ platform: "x", name: "X", probes: [fail("a"), ok("b", 300), ok("c", 120)] }, { verdict: "up", layer: "", detail: "", incident_id: null }, { ok: 1, total: 1 }, 2000);
    expect(p.reached).toBe(true);
    expect(p.bestMs).toBe(120);
  });
});

describe("the measured report", () => {
  it("one body per platform, the connection when the browser told it", () => {
    const bodies = measuredReports("dev_abc", results({ whatsapp: false }));
    expect(bodies.map((b) => [b.platform, b.reached])).toEqual([
      ["whatsapp", false],
      ["telegram", true],
    ]);
    expect(bodies[0]!.connection).toEqual({ type: "wifi", effective_type: "4g" });
    expect(bodies[0]!.controls.length).toBe(3);
    const untold = results();
    delete untold.connection;
    expect(measuredReports("d", untold)[0]!.connection).toBeUndefined();
  });

  it("nothing to send while the device reaches nothing", () => {
    expect(measuredReports("d", results({ whatsapp: false, telegram: false, controls: [false] }))).toEqual([]);
    expect(sendOutcome([]).kind).toBe("nothing");
  });

  it("says accepted, already sent (with the time), or refused", () => {
    expect(sendOutcome([{ platform: "a", status: 201, message: "" }, { platform: "b", status: 201, message: "" }])).toEqual({
      kind: "accepted",
      text: "Thank you — 2 measured reports recorded. They count beside the reports people type, and show in each platform's evidence.",
    });
    const dup = sendOutcome([{ platform: "a", status: 429, message: "x", retryAfter: "2026-11-27T11:00:00Z" }]);
    expect(dup.kind).toBe("duplicate");
    expect(dup.text).toMatch(/^Already sent: this device sent its result within this hour, and that one still counts/);
    expect(dup.text).toMatch(/You can send again after /);
    expect(sendOutcome([{ platform: "a", status: 400, message: "field 'probes' ..." }])).toEqual({ kind: "error", text: "The result was not accepted: field 'probes' ..." });
    expect(sendOutcome([{ platform: "a", status: 0, message: "" }]).text).toMatch(/Lifeline is not answering/);
    expect(sendOutcome([{ platform: "a", status: 201, message: "" }, { platform: "b", status: 429, message: "" }]).kind).toBe("partly");
  });
});

describe("ids and links", () => {
  it("a device id the server accepts", () => {
    const id = newDeviceId((n) => new Uint8Array(n).map((_, i) => i * 37));
    expect(id).toMatch(/^dev_[A-Za-z0-9_-]{22}$/);
  });

  it("shares the public address when the server has one", () => {
    expect(shareLink("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080/#/device");
    expect(shareLink("http://127.0.0.1:8080", "https://lifeline.example.com/")).toBe("https://lifeline.example.com/#/device");
  });
});

describe("routing", () => {
  it("#/device is the device check's page", async () => {
    const { pageFor } = await import("./pages");
    expect(pageFor({ hash: "#/device", pathname: "/" })).toBe("device");
    expect(pageFor({ hash: "#/device?x=1", pathname: "/" })).toBe("device");
    expect(pageFor({ hash: "#/devices", pathname: "/" })).toBe("board");
  });
});
