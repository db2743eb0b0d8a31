// Browser tests of the device check (#/device, "Is it my phone?"), on a phone-sized page of its
// own. The page's requests to the platforms' and control sites' device probes are answered by
// Chromium's request interception (fulfilled, or failed for the hosts a test takes away), so they
// fail "for the page only" while Lifeline's server still reaches everything, and nothing leaves
// the machine. Registered last by run.mjs: the first test restarts the server with a WhatsApp
// outage that starts a little later and lasts, and the last one stops it to open the page from
// the service worker alone.

import { join } from "node:path";
import { ARTIFACTS, Skip, assert, shot, sleep, waitIn } from "./harness.mjs";

const PHONE = { width: 390, height: 844 };
// The restarted server's script: WhatsApp fails from OUTAGE_AFTER s on, for long enough.
const OUTAGE_AFTER = 20;
const OUTAGE_FOR = 900;

async function getJson(server, path) {
  const r = await fetch(`${server.base}${path}`);
  assert(r.ok, `GET ${path}: HTTP ${r.status}`);
  return r.json();
}

// Polls the API until `test(body)` holds; the message says what did not happen.
async function waitApi(server, path, test, ms, what) {
  const end = Date.now() + ms;
  let last = null;
  for (;;) {
    try {
      last = await getJson(server, path);
      if (test(last)) return last;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > end) throw new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting until ${what} (last: ${JSON.stringify(last).slice(0, 300)})`);
    await sleep(250);
  }
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `${what}: the page is ${overflow} px wider than the phone's screen`);
}

export function registerDeviceTests(t, { interval }) {
  const s = { page: null, probes: null, failing: new Set(), errors: [] };

  // Every request of the page that is not to Lifeline's server: failed when its URL is in
  // s.failing, else answered at once (a favicon's worth of nothing). Lifeline's own go through.
  async function intercept(server) {
    await s.page.route("**/*", (route) => {
      const url = route.request().url();
      if (s.failing.has(url)) return route.abort("addressunreachable");
      if (url.startsWith(server.base)) return route.continue();
      return route.fulfill({ status: 200, contentType: "image/x-icon", body: "" });
    });
  }

  async function check(what) {
    const page = s.page;
    const before = await page.getByTestId("device-status").innerText();
    await page.getByTestId("device-check").click();
    await waitIn(
      page,
      (prev) => {
        const st = document.querySelector('[data-testid="device-status"]');
        return st?.dataset.state === "done" && st.textContent !== prev && !!document.querySelector('[data-testid="device-verdict"]');
      },
      before,
      20_000,
      `the device check finished (${what})`,
    );
    return {
      case: await page.getByTestId("device-verdict").getAttribute("data-case"),
      headline: await page.getByTestId("device-headline").innerText(),
      advice: await page.getByTestId("device-advice").innerText(),
    };
  }

  const urlsOf = (id) => s.probes.platforms.find((p) => p.platform === id)?.device_probes ?? [];

  t.test("device check: a server whose WhatsApp outage starts in a moment", async ({ server, page }) => {
    // The suite's scripted outage is over by now: start again with one that lasts.
    await server.stop();
    server.opts.outageAfter = OUTAGE_AFTER;
    server.opts.outageFor = OUTAGE_FOR;
    await server.start();
    s.page = await page.context().newPage();
    await s.page.setViewportSize(PHONE);
    s.page.on("pageerror", (e) => s.errors.push(String(e)));
    await intercept(server);
    s.probes = await getJson(server, "/v1/device/probes");
    assert(s.probes.platforms.length > 0 && s.probes.controls.length > 0, `GET /v1/device/probes lists nothing to fetch: ${JSON.stringify(s.probes)}`);
    for (const id of ["whatsapp", "telegram"]) assert(urlsOf(id).length > 0, `no device probes for ${id}`);
  });

  t.test("device check: the page on a phone, linked from the board, with a QR code", async ({ server }) => {
    const page = s.page;
    await page.goto(`${server.base}/`);
    const nav = page.getByTestId("nav-device");
    await nav.waitFor({ timeout: 20_000 });
    await nav.click();
    await page.getByTestId("device-page").waitFor({ timeout: 10_000 });
    const button = page.getByTestId("device-check");
    assert((await button.innerText()).trim() === "Check from this device", `the button says: ${await button.innerText()}`);
    await waitIn(page, () => !!document.querySelector('[data-testid="device-qr"] svg'), null, 10_000, "the QR code is drawn");
    const link = await page.getByTestId("device-link").inputValue();
    assert(link === `${server.base}/#/device`, `the link to share is ${link}`);
    assert((await page.getByTestId("device-qr").getAttribute("data-link")) === link, "the QR code is not of the link");
    await noSidewaysScroll(page, "the device page");
    const box = await button.boundingBox();
    assert(box && box.height >= 44 && box.width >= 200, `the button is too small to tap: ${JSON.stringify(box)}`);
    await shot(page, "30-device-phone");
  });

  t.test("device check: one platform failing for the page only → it is this device", async ({ server }) => {
    // Lifeline has judged Telegram up (it never fails in the script).
    await waitApi(server, "/v1/platforms", (b) => b.platforms?.find((p) => p.platform === "telegram")?.verdict === "up", 30_000, "Telegram is up on the server");
    s.failing = new Set(urlsOf("telegram"));
    const r = await check("Telegram failing");
    assert(r.case === "this-device", `expected "it is this device", got ${r.case}: ${r.headline}`);
    assert(/^It is this device or its connection: Telegram answers Lifeline/.test(r.headline), `headline: ${r.headline}`);
    assert(/switch between Wi-Fi and mobile data, then check again/i.test(r.advice), `advice: ${r.advice}`);
    const row = s.page.getByTestId("device-row-telegram");
    assert((await row.getAttribute("data-outcome")) === "this-device", `Telegram's row: ${await row.getAttribute("data-outcome")}`);
    assert((await s.page.getByTestId("device-lifeline").getAttribute("data-ok")) === "true", "the page says it does not reach Lifeline");
    await noSidewaysScroll(s.page, "the result");
    await shot(s.page, "31-device-this-device");
  });

  t.test("device check: the measured report is accepted once, a second is refused and said so", async ({ server }) => {
    const page = s.page;
    const send = page.getByTestId("device-send");
    await send.waitFor({ timeout: 5000 });
    await send.click();
    await waitIn(page, () => ["accepted", "partly", "duplicate", "error"].includes(document.querySelector('[data-testid="device-send-outcome"]')?.dataset.outcome), null, 15_000, "the report was answered");
    let outcome = page.getByTestId("device-send-outcome");
    assert((await outcome.getAttribute("data-outcome")) === "accepted", `first send: ${await outcome.innerText()}`);
    assert(/measured reports? recorded/.test(await outcome.innerText()), `first send says: ${await outcome.innerText()}`);
    await send.click();
    await waitIn(page, () => document.querySelector('[data-testid="device-send-outcome"]')?.dataset.outcome === "duplicate", null, 15_000, "the second send is refused");
    outcome = page.getByTestId("device-send-outcome");
    const text = await outcome.innerText();
    assert(/^Already sent: this device sent its result within this hour, and that one still counts/.test(text), `second send says: ${text}`);
    assert(/You can send again after/.test(text), `no time to send again: ${text}`);
    await shot(page, "32-device-sent-twice");
    // The server counts it with the crowd and shows it as its own evidence line.
    const v = await waitApi(
      server,
      "/v1/platforms/telegram",
      (b) => (b.evidence ?? []).some((e) => /^1 measured report from devices in the last hour: 1 could not reach Telegram while reaching other sites/.test(e)),
      (interval * 3 + 20) * 1000,
      "Telegram's evidence has the measured report",
    );
    assert(v.crowd.reports_last_hour >= 1, `the crowd count did not include the measured report: ${JSON.stringify(v.crowd)}`);
  });

  t.test("device check: every host failing for the page → this device is offline", async () => {
    s.failing = new Set([...s.probes.platforms.flatMap((p) => p.device_probes), ...s.probes.controls.flatMap((c) => c.device_probes)]);
    const r = await check("everything failing");
    assert(r.case === "offline", `expected offline, got ${r.case}: ${r.headline}`);
    assert(/^This device is offline/.test(r.headline), `headline: ${r.headline}`);
    assert(await s.page.locator("#device-send-section").isHidden(), "an offline result is offered for sending");
    await shot(s.page, "33-device-offline");
  });

  t.test("device check: the server's verdict outage → down for everyone, with the incident", async ({ server }) => {
    const budget = server.startedAt + (OUTAGE_AFTER + interval * 4 + 40) * 1000 - Date.now();
    await waitApi(server, "/v1/platforms", (b) => b.platforms?.find((p) => p.platform === "whatsapp")?.verdict === "outage", Math.max(5000, budget), "the server's verdict for WhatsApp is outage");
    s.failing = new Set(urlsOf("whatsapp"));
    const r = await check("WhatsApp down");
    assert(r.case === "everyone", `expected down for everyone, got ${r.case}: ${r.headline}`);
    assert(r.headline === "WhatsApp is down for everyone.", `headline: ${r.headline}`);
    assert(/It is not this device/.test(r.advice), `advice: ${r.advice}`);
    // The incident opens right after the verdict: the next check links it.
    const deadline = Date.now() + (interval * 3 + 15) * 1000;
    while ((await s.page.getByTestId("device-incident").count()) === 0) {
      assert(Date.now() < deadline, "the result does not link the WhatsApp incident");
      await sleep(1000);
      await check("WhatsApp down, incident open");
    }
    assert((await s.page.getByTestId("device-row-whatsapp").getAttribute("data-outcome")) === "everyone", "WhatsApp's row");
    await noSidewaysScroll(s.page, "the outage result");
    await shot(s.page, "34-device-everyone");
  });

  t.test("device check: with Lifeline unreachable the page opens from the service worker and says so", async ({ server }) => {
    const page = s.page;
    if (!(await page.evaluate(() => window.isSecureContext && "serviceWorker" in navigator))) throw new Skip("no service workers in this browser context");
    await waitIn(page, () => !!navigator.serviceWorker.controller, null, 20_000, "the service worker controls the page");
    const kept = await page.evaluate(async () => {
      const out = [];
      for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
      return out;
    });
    assert(kept.includes("/") && kept.some((p) => p.startsWith("/assets/")), `the service worker keeps: ${kept.join(", ")}`);
    assert(!kept.some((p) => p.startsWith("/v1") || p === "/healthz"), `the service worker kept API answers: ${kept.join(", ")}`);
    // No interception from here on (it would bypass the service worker): with the server (and
    // the demo's simulated platforms) stopped, nothing answers.
    await page.unroute("**/*");
    await server.stop();
    try {
      // A reload, not a goto to the same address: that would only move to the fragment.
      assert(page.url() === `${server.base}/#/device`, `the device page is at ${page.url()}`);
      await page.reload();
      await page.getByTestId("device-page").waitFor({ timeout: 10_000 });
      await waitIn(page, () => document.querySelector('[data-testid="device-verdict"]')?.dataset.case === "offline-all", null, 30_000, "the page says this device reaches nothing");
      const headline = await page.getByTestId("device-headline").innerText();
      assert(headline === "This device cannot reach Lifeline or the platforms: check the connection.", `headline: ${headline}`);
      await noSidewaysScroll(page, "the page from the service worker");
      await shot(page, "35-device-no-lifeline");
    } finally {
      await server.start();
    }
  });

  t.test("device check: no script error on the device page", async () => {
    await s.page?.close();
    // A failed fetch is data here, never an uncaught error.
    assert(s.errors.length === 0, `uncaught errors in the device page: ${s.errors.slice(0, 3).join(" | ")}`);
  });
}
