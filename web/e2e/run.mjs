// The dashboard's browser tests, in headless Debian Chromium via playwright-core, against the real
// `lifeline demo` ($LIFELINE_BIN) or, when that is unset, against e2e/mock-server.mjs.
// Screenshots of every state go to tests/e2e/artifacts/. Ends with "N passed, N failed".
//
//   LIFELINE_BIN=build/x/lifeline node e2e/run.mjs
// Env: E2E_OUTAGE_AFTER, E2E_OUTAGE_FOR, E2E_INTERVAL (seconds; defaults 15, 20, 5),
//      LIFELINE_DEMO_ARGS (extra demo flags), CHROMIUM (default /usr/bin/chromium).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, MOCK_OPERATOR_TOKEN, WEB, Runner, Server, assert, freePort, launchBrowser, prepareArtifacts, sleep } from "./harness.mjs";
import { registerOutboxTests } from "./outbox.mjs";
import { registerConsoleTests } from "./console.mjs";
import { registerDeviceTests } from "./device.mjs";
import { registerAdsTests } from "./ads.mjs";
import { registerCalendarTests } from "./calendar.mjs";
import { registerInboxTests } from "./inbox.mjs";
import { registerListeningTests } from "./listening.mjs";
import { registerFleetTests } from "./fleet.mjs";

const OBSERVER_DOWN_TITLE =
  "The problem is on this side: this machine's connection is down — platforms cannot be judged";

const num = (v, d) => (v === undefined || v === "" ? d : Number(v));
const outageAfter = num(process.env.E2E_OUTAGE_AFTER, 15);
const outageFor = num(process.env.E2E_OUTAGE_FOR, 20);
const interval = num(process.env.E2E_INTERVAL, 5);
const bin = process.env.LIFELINE_BIN ?? "";

const shot = (page, name, opts = {}) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts });
const attr = (page, testid, name) => page.getByTestId(testid).getAttribute(name);
const verdictOf = (page, id) => attr(page, `verdict-${id}`, "data-verdict");

// Waits until `fn` (run in the page) returns truthy; the message says what did not happen.
async function waitIn(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: Math.max(1, ms), polling: 100 });
  } catch {
    throw new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting until ${what}`);
  }
}

// Waits until the URL's hash passes `test`. The app changes the URL a moment after what the user
// sees: closing a panel goes back in history, which lands after the dialog is already gone.
async function waitForHash(page, test, what, ms = 5000) {
  try {
    await page.waitForURL((u) => test(u.hash), { timeout: ms });
  } catch {
    throw new Error(`${what}: ${page.url()}`);
  }
}

// Closes the open panel (`kind` "platform" or "incident") with Esc as a user would, and waits until
// it is gone and so is its URL, so the next step starts from the settled board.
async function closeWithEscape(page, kind, what) {
  await page.keyboard.press("Escape");
  await page.getByTestId(kind === "platform" ? "details" : "incident-view").waitFor({ state: "hidden", timeout: 5000 });
  await waitForHash(page, (hash) => !hash.startsWith(`#/${kind}/`), what);
}

const t = new Runner();
let platforms = [];

t.test("board loads with a tile per platform", async ({ page, server }) => {
  const body = await (await fetch(`${server.base}/v1/platforms`)).json();
  platforms = body.platforms;
  assert(platforms.length > 0, "GET /v1/platforms listed no platforms");
  await page.goto(`${server.base}/`);
  // Generous: this machine's two cores are often busy compiling.
  await page.getByTestId(`tile-${platforms.at(-1).platform}`).waitFor({ timeout: 20_000 });
  for (const p of platforms) {
    const tile = page.getByTestId(`tile-${p.platform}`);
    assert((await tile.count()) === 1, `no tile for ${p.platform}`);
    const text = (await page.getByTestId(`verdict-${p.platform}`).innerText()).trim();
    assert(text.length > 0, `tile ${p.platform} shows no verdict`);
    assert((await tile.innerText()).includes(p.name), `tile ${p.platform} does not name ${p.name}`);
  }
  const tiles = await page.locator("article.tile").count();
  assert(tiles === platforms.length, `${tiles} tiles for ${platforms.length} platforms`);
  await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 10_000, "the live indicator says live");
  assert(await page.getByTestId("observer-banner").isHidden(), "the observer banner shows although this machine is fine");
  const v = await verdictOf(page, "whatsapp");
  assert(v !== "outage", `WhatsApp is already in outage when the board loads: the scripted outage began too early (raise E2E_OUTAGE_AFTER, now ${outageAfter}s)`);
  // The sparklines arrive just after the tiles: each tile shows its last hour (or says it has none).
  await waitIn(page, () => !document.querySelector("article.tile .spark-placeholder"), null, 10_000, "every tile shows its sparkline");
  await shot(page, "01-board");
});

t.test("a scripted outage turns the WhatsApp tile red without a reload", async ({ page, server }) => {
  await page.evaluate(() => {
    window.__e2eSameDocument = true;
  });
  const navBefore = await page.evaluate(() => performance.getEntriesByType("navigation").length);
  let loads = 0;
  const onLoad = () => loads++;
  page.on("load", onLoad);
  const outageStart = server.startedAt + outageAfter * 1000;
  // Budget: the detection bound (interval + 5 s) plus the stream and some slack.
  const budget = outageStart + (interval + 5 + 10) * 1000 - Date.now();
  await waitIn(page, () => document.querySelector('[data-testid="verdict-whatsapp"]')?.dataset.verdict === "outage", null, budget, "the WhatsApp tile says outage");
  const detected = (Date.now() - outageStart) / 1000;
  page.off("load", onLoad);
  // Read in one step inside the page: every live update rebuilds the tile's verdict, and a
  // verdict found first and read afterwards may be a detached one without any style.
  const look = await page.evaluate(() => {
    const el = document.querySelector('[data-testid="verdict-whatsapp"]');
    return { bg: getComputedStyle(el).backgroundColor, text: el.textContent, tile: el.closest("article")?.className ?? "" };
  });
  const [r, g, b] = (look.bg.match(/\d+/g) ?? []).map(Number);
  assert(r >= 150 && g < 90 && b < 90, `the outage verdict is not red: background ${look.bg}`);
  assert(/outage/i.test(look.text), `the verdict does not say "Outage" in words: ${look.text}`);
  assert(look.tile.includes("tone-bad"), `the tile is not marked bad: ${look.tile}`);
  const reason = await page.getByTestId("reason-whatsapp").innerText();
  assert(reason.trim().length > 0, "the failing tile gives no reason");
  const same = await page.evaluate(() => window.__e2eSameDocument === true);
  const navAfter = await page.evaluate(() => performance.getEntriesByType("navigation").length);
  assert(same && loads === 0 && navAfter === navBefore, `the page reloaded (marker ${same}, load events ${loads})`);
  console.log(`     WhatsApp shown as outage ${detected.toFixed(1)} s after the scripted outage began (interval ${interval} s)`);
  await shot(page, "02-outage");
});

t.test("an incident appears live and shows its timeline", async ({ page, server }) => {
  const item = page.locator('li.incident[data-state="open"][data-platforms~="whatsapp"]');
  const budget = server.startedAt + (outageAfter + interval * 4 + 20) * 1000 - Date.now();
  try {
    await item.first().waitFor({ timeout: Math.max(1000, budget) });
  } catch {
    throw new Error("no open incident naming WhatsApp appeared in the list");
  }
  const same = await page.evaluate(() => window.__e2eSameDocument === true);
  assert(same, "the page reloaded while waiting for the incident");
  await item.first().locator("button").click();
  const view = page.getByTestId("incident-view");
  await view.waitFor({ state: "visible", timeout: 5000 });
  await page.locator('[data-testid="timeline"] li[data-type]').first().waitFor({ timeout: 5000 });
  const types = await page.locator('[data-testid="timeline"] li[data-type]').evaluateAll((els) => els.map((e) => e.dataset.type));
  assert(types.includes("opened"), `the timeline has no "opened" event: ${types.join(", ")}`);
  assert((await page.getByTestId("incident-state").getAttribute("data-state")) === "open", "the incident view does not say open");
  await waitForHash(page, (hash) => hash.startsWith("#/incident/"), "the incident view has no link of its own");
  await shot(page, "03-incident", { fullPage: false });
  await closeWithEscape(page, "incident", "closing the incident left its URL");
});

t.test("the details panel shows evidence, probes and the chart", async ({ page }) => {
  await page.getByTestId("tile-whatsapp").locator(".tile-name").click();
  const d = page.getByTestId("details");
  await d.waitFor({ state: "visible", timeout: 5000 });
  await waitForHash(page, (hash) => hash === "#/platform/whatsapp", "the details have another URL");
  const name = await page.locator("#details-name").innerText();
  assert(name.includes("WhatsApp"), `details are of ${name}`);
  const ev = await page.locator('[data-testid="evidence"] li').allInnerTexts();
  assert(ev.length >= 1 && ev[0].trim().length > 0, "no evidence lines in the details");
  await page.locator('[data-testid="probes"] tbody tr').first().waitFor({ timeout: 5000 });
  const rows = await page.locator('[data-testid="probes"] tbody tr').count();
  const cells = await page.locator('[data-testid="probes"] tbody tr').first().locator("td").allInnerTexts();
  assert(rows >= 1 && cells.length === 5, `probes table: ${rows} rows, ${cells.length} columns`);
  // A chart, or (in the demo's first minute) the words saying why there is none yet.
  await page.getByTestId("chart-summary").waitFor({ timeout: 5000 });
  const summary = await page.getByTestId("chart-summary").innerText();
  assert(/probes succeeded|No history/.test(summary), `the chart says neither what it shows nor why it is empty: ${summary}`);
  await shot(page, "04-details", { fullPage: false });
  await page.locator('[data-testid="probes"]').scrollIntoViewIfNeeded();
  await shot(page, "04b-details-probes", { fullPage: false });
});

t.test("check now runs a check and says what it found", async ({ page }) => {
  await page.getByTestId("check-now").click();
  await waitIn(page, () => ["done", "error", "needs-token"].includes(document.querySelector('[data-testid="check-outcome"]')?.dataset.outcome ?? ""), null, 30_000, "the check answered");
  const outcome = await attr(page, "check-outcome", "data-outcome");
  const text = await page.getByTestId("check-outcome").innerText();
  assert(outcome === "done", `check now did not succeed (${outcome}): ${text}`);
  assert(/Checked at \d\d:\d\d:\d\d/.test(text), `the outcome does not say when it checked: ${text}`);
  await page.locator('[data-testid="probes-note"]').filter({ hasText: "check you ran" }).waitFor({ timeout: 5000 });
  await shot(page, "05-check-now", { fullPage: false });
  await closeWithEscape(page, "platform", "closing the details left their URL");
});

t.test("the keyboard opens and closes a tile's details", async ({ page }) => {
  const first = platforms[0].platform;
  const btn = page.getByTestId(`tile-${first}`).locator(".tile-name");
  await btn.focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("details").waitFor({ state: "visible", timeout: 5000 });
  const focusedInDialog = await page.evaluate(() => !!document.activeElement?.closest("dialog"));
  assert(focusedInDialog, "focus did not move into the details panel");
  // Let a live update redraw the tile while the panel is open: focus must still come back to it.
  await page.evaluate((id) => {
    document.querySelector(`[data-testid="reason-${id}"]`).dataset.e2eOld = "1";
  }, first);
  await waitIn(page, (id) => !document.querySelector(`[data-testid="reason-${id}"]`)?.dataset.e2eOld, first, (interval * 2 + 10) * 1000, "a live update redrew the tile");
  await closeWithEscape(page, "platform", "closing the details left their URL");
  const back = await page.evaluate((id) => document.activeElement?.closest("article")?.dataset.platform === id, first);
  assert(back, "focus did not return to the tile after closing");
});

t.test("the crowd-report form submits and shows the outcome", async ({ page }) => {
  const outcome = () => attr(page, "report-outcome", "data-outcome");
  const submit = async (id, kind) => {
    await page.getByTestId("report-platform").selectOption(id);
    await page.getByTestId("report-kind").selectOption(kind);
    await page.evaluate(() => {
      delete document.querySelector('[data-testid="report-outcome"]').dataset.outcome;
    });
    await page.getByTestId("report-submit").click();
    await waitIn(page, () => ["accepted", "duplicate", "error"].includes(document.querySelector('[data-testid="report-outcome"]')?.dataset.outcome ?? ""), null, 10_000, "the report was answered");
    return { kind: await outcome(), text: await page.getByTestId("report-outcome").innerText() };
  };
  // WhatsApp first; a server that keeps its store between runs may remember this client's report
  // from a run less than an hour ago (429), then the next platform is used.
  const order = ["whatsapp", ...platforms.map((p) => p.platform).filter((id) => id !== "whatsapp")];
  let chosen = null;
  let first = null;
  for (const id of order.slice(0, 5)) {
    first = await submit(id, "messages");
    if (first.kind !== "duplicate") {
      chosen = id;
      break;
    }
  }
  assert(chosen, `every report was refused as a repeat: ${first?.text}`);
  const name = platforms.find((p) => p.platform === chosen).name;
  const title = await page.getByTestId("report-title").innerText();
  assert(title === `Having trouble with ${name}?`, `form title: ${title}`);
  assert(first.kind === "accepted", `the report was not accepted: ${first.text}`);
  assert(/recorded/.test(first.text) && first.text.includes(name), `accepted message unclear: ${first.text}`);
  await shot(page, "06-report-accepted");
  const again = await submit(chosen, "messages");
  assert(again.kind === "duplicate", `a second report within the hour was not refused as a repeat: ${again.text}`);
  assert(again.text.includes(`already reported ${name}`), `429 message unclear: ${again.text}`);
  await shot(page, "07-report-repeat");
});

t.test("recovery turns the tile back and closes the incident live", async ({ page, server }) => {
  const end = server.startedAt + (outageAfter + outageFor) * 1000;
  let budget = end + (interval * 4 + 20) * 1000 - Date.now();
  await waitIn(page, () => document.querySelector('[data-testid="verdict-whatsapp"]')?.dataset.verdict === "up", null, budget, "WhatsApp is up again");
  budget = end + (interval * 6 + 30) * 1000 - Date.now();
  const closed = page.locator('li.incident[data-state="closed"][data-platforms~="whatsapp"]');
  try {
    await closed.first().waitFor({ timeout: Math.max(1000, budget) });
  } catch {
    throw new Error("the WhatsApp incident was not shown as closed");
  }
  assert(await page.evaluate(() => window.__e2eSameDocument === true), "the page reloaded during the outage");
  assert((await page.locator('li.incident[data-state="open"]').count()) === 0, "an incident is still listed as open");
  await shot(page, "08-recovered");
  await closed.first().locator("button").click();
  await page.locator('[data-testid="timeline"] li[data-type="closed"]').waitFor({ timeout: 5000 });
  await shot(page, "09-incident-closed", { fullPage: false });
  await closeWithEscape(page, "incident", "closing the incident left its URL");
});

t.test("a refused API token gets a clear message, and forgetting it recovers", async ({ page }) => {
  await page.getByTestId("token-button").click();
  await page.getByTestId("token-input").fill("ll_not_a_real_token");
  await page.getByTestId("token-save").click();
  const notice = page.getByTestId("notice");
  await notice.waitFor({ state: "visible", timeout: 5000 });
  await waitIn(page, () => /refused/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ""), null, 5000, "the notice says the token was refused");
  await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "unauthorized", null, 5000, "the live indicator says a token is needed");
  const stored = await page.evaluate(() => localStorage.getItem("lifeline.token"));
  assert(stored === "ll_not_a_real_token", "the token was not kept in localStorage");
  await shot(page, "10-token-refused");
  await page.getByTestId("token-button").click();
  await page.getByTestId("token-forget").click();
  await notice.waitFor({ state: "hidden", timeout: 5000 });
  await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 10_000, "live again without the token");
});

t.test(
  "the observer banner says the problem is on this side",
  async ({ page, server }) => {
    await fetch(`${server.base}/__mock/observer`, { method: "POST", body: JSON.stringify({ connectivity: "local_network" }) });
    const banner = page.getByTestId("observer-banner");
    await banner.waitFor({ state: "visible", timeout: 5000 });
    const text = await banner.innerText();
    assert(text.includes(OBSERVER_DOWN_TITLE), `banner text: ${text}`);
    await shot(page, "11-observer-down");
    await fetch(`${server.base}/__mock/observer`, { method: "POST", body: JSON.stringify({ connectivity: "ok" }) });
    await banner.waitFor({ state: "hidden", timeout: 5000 });
  },
  { only: "mock" },
);

t.test(
  "check now without the operator role asks for a token, and works with one",
  async ({ page, server }) => {
    await fetch(`${server.base}/__mock/anonymous-role`, { method: "POST", body: JSON.stringify({ role: "viewer" }) });
    try {
      await page.getByTestId(`tile-${platforms[0].platform}`).locator(".tile-name").click();
      await page.getByTestId("check-now").click();
      await waitIn(page, () => document.querySelector('[data-testid="check-outcome"]')?.dataset.outcome === "needs-token", null, 10_000, "check now asks for a token");
      const text = await page.getByTestId("check-outcome").innerText();
      assert(/needs an API token/.test(text), `unclear message: ${text}`);
      await shot(page, "11b-check-needs-token", { fullPage: false });
      await page.getByTestId("enter-token").click();
      await page.getByTestId("token-input").fill(MOCK_OPERATOR_TOKEN);
      await page.getByTestId("token-save").click();
      await page.getByTestId("check-now").click();
      await waitIn(page, () => document.querySelector('[data-testid="check-outcome"]')?.dataset.outcome === "done", null, 10_000, "the check succeeds with the token");
      const sent = await page.evaluate(() => localStorage.getItem("lifeline.token"));
      assert(sent === MOCK_OPERATOR_TOKEN, "the token was not saved");
    } finally {
      await fetch(`${server.base}/__mock/anonymous-role`, { method: "POST", body: JSON.stringify({ role: "operator" }) });
    }
    await closeWithEscape(page, "platform", "closing the details left their URL");
    await page.getByTestId("token-button").click();
    await page.getByTestId("token-forget").click();
  },
  { only: "mock" },
);

t.test("the charts show the outage's minutes from the stored history", async ({ page, server }) => {
  // One point per minute appears once the minute is over: wait for a minute with failures.
  const deadline = Date.now() + 80_000;
  let points = [];
  for (;;) {
    const from = new Date(server.startedAt - 120_000).toISOString();
    points = (await (await fetch(`${server.base}/v1/platforms/whatsapp/history?from=${encodeURIComponent(from)}`)).json()).points ?? [];
    if (points.some((p) => p.count > 0 && p.availability < 1)) break;
    assert(Date.now() < deadline, `no minute with failed WhatsApp probes in the history: ${JSON.stringify(points)}`);
    await sleep(1000);
  }
  await page.getByTestId("tile-whatsapp").locator(".tile-name").click();
  await page.locator('[data-testid="details-chart"] svg.chart').waitFor({ timeout: 5000 });
  const bad = await page.locator('[data-testid="details-chart"] rect.av-warn, [data-testid="details-chart"] rect.av-bad').count();
  assert(bad >= 1, "the details chart marks no minute as failing");
  const summary = await page.getByTestId("chart-summary").innerText();
  assert(/probes succeeded/.test(summary) && !/^Last .*: 100 %/.test(summary), `chart summary: ${summary}`);
  await shot(page, "11c-details-chart", { fullPage: false });
  await closeWithEscape(page, "platform", "closing the details left their URL");
  // The tile's sparkline follows within a round or two (it refetches at most every 30 s).
  await waitIn(page, () => !!document.querySelector('[data-testid="tile-whatsapp"] svg.spark rect.av-warn, [data-testid="tile-whatsapp"] svg.spark rect.av-bad'), null, 45_000, "the WhatsApp sparkline marks the failing minute");
  await shot(page, "11d-board-sparklines");
});

t.test("the live indicator shows reconnecting, then live after a server restart", async ({ page, server }) => {
  await server.stop();
  await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "reconnecting", null, 50_000, "the indicator says reconnecting");
  const text = await page.getByTestId("live-indicator").innerText();
  assert(/Reconnecting/.test(text), `indicator text: ${text}`);
  await shot(page, "12-reconnecting", { fullPage: false });
  await server.restart();
  await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 40_000, "the indicator is live again");
  assert(await page.evaluate(() => window.__e2eSameDocument === true), "the page reloaded to reconnect");
  const tiles = await page.locator("article.tile").count();
  assert(tiles === platforms.length, `${tiles} tiles after reconnecting`);
});

t.test("a phone-sized screen shows the board without sideways scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  // Reading scrollWidth lays the page out afresh: it is exact once the window has its new size.
  await waitIn(page, () => window.innerWidth === 390, null, 5000, "the window is phone-sized");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `the page is ${overflow} px wider than the screen`);
  await shot(page, "13-phone", { fullPage: false });
  await page.getByTestId(`tile-${platforms[0].platform}`).locator(".tile-name").click();
  await page.locator('[data-testid="probes"] tbody tr').first().waitFor({ timeout: 5000 });
  await shot(page, "14-phone-details", { fullPage: false });
  await closeWithEscape(page, "platform", "closing the details left their URL");
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.emulateMedia({ colorScheme: "dark" });
  // The tiles fade to their dark colours. getAnimations() applies the new colour scheme first,
  // so the fades have started by the time it is asked, and the shot waits until they are over.
  await waitIn(
    page,
    () => matchMedia("(prefers-color-scheme: dark)").matches && !document.getAnimations().some((a) => a instanceof CSSTransition),
    null,
    5000,
    "the dark colours are in place",
  );
  await shot(page, "15-dark", { fullPage: false });
  await page.emulateMedia({ colorScheme: "light" });
});

t.test("nothing left this machine and no script error happened", async (ctx) => {
  assert(ctx.external.length === 0, `requests outside the server's origin: ${ctx.external.slice(0, 5).join(", ")}`);
  assert(ctx.pageErrors.length === 0, `uncaught errors in the page: ${ctx.pageErrors.slice(0, 3).join(" | ")}`);
});

// The relay's views (channel strip, outbox page): after the restart above, on its outage script.
registerOutboxTests(t, { outageAfter, outageFor, interval });

// The contingency plan's views (incident console, plan page, acknowledgement links): last, as
// they leave the dashboard for a link's own page.
registerConsoleTests(t, { outageAfter, outageFor, interval });

// The ads page and the recovery checklist: they restart the server for an outage of their own and
// follow the ad campaigns through it (a server without ad accounts: nothing to show).
registerAdsTests(t, { outageAfter, outageFor, interval });

// The calendar page: posts by hand and from a CSV file, then a fresh outage of its own that holds
// the demo's post due during it and releases it after.
registerCalendarTests(t, { outageAfter, outageFor, interval });

// The inbox and listening pages, against the mock's story and the real demo's customers and
// chatter; on the demo they follow the outage of the calendar's restart.
registerInboxTests(t, { outageAfter, outageFor, interval });
registerListeningTests(t);
registerFleetTests(t);

// The device check ("Is it my phone?"): last, as it restarts the server with an outage of its own
// and finally stops it to open the page from the service worker alone.
registerDeviceTests(t, { interval });

// ---- main ---------------------------------------------------------------------------------

async function main() {
  await prepareArtifacts();
  if (!existsSync(join(WEB, "dist", "index.html"))) {
    console.log("e2e: web/dist is missing; run `npm run build` first");
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  const target = bin ? "real" : "mock";
  console.log(
    bin
      ? `e2e: against the real binary: ${bin} demo (outage after ${outageAfter}s for ${outageFor}s, interval ${interval}s)`
      : `e2e: LIFELINE_BIN is not set: against the MOCK server web/e2e/mock-server.mjs (set LIFELINE_BIN to test the real binary)`,
  );
  console.log(`e2e: screenshots in ${ARTIFACTS}`);
  const browser = await launchBrowser();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const server = new Server({ bin, port: await freePort(), outageAfter, outageFor, interval });
  const ctx = { page, server, target, external: [], pageErrors: [] };
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(server.base) && !u.startsWith("data:") && !u.startsWith("blob:")) ctx.external.push(u);
  });
  page.on("pageerror", (e) => ctx.pageErrors.push(String(e)));
  let result = { passed: 0, failed: 1, skipped: 0 };
  try {
    // The browser is up before the server starts: the scripted outage's clock starts with it.
    await server.start();
    result = await t.run(ctx);
  } catch (e) {
    console.log(`e2e: could not run: ${e.message}`);
  } finally {
    await browser.close();
    await server.stop();
  }
  if (result.skipped) console.log(`${result.skipped} skipped`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed ? 1 : 0);
}

await main();
