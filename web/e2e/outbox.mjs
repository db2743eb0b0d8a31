// Browser tests of the relay's views: the board's channel strip and the outbox page (a refused
// message and its retry, an unconfirmed message and the decision, the team alert failing over
// during the scripted WhatsApp outage). Registered by run.mjs after its own tests, so they run on
// the server the reconnect test restarted: its outage script starts again with that restart.
//
// The demo's messaging world (src/serve/demo_relay.cc, mirrored by e2e/mock-relay.mjs): Telegram
// chat "@nowhere" refuses messages (failed), WhatsApp number +15550100099 never answers
// (unconfirmed after the channel's 3 s timeout).

import { join } from "node:path";
import { ARTIFACTS, assert } from "./harness.mjs";

const shot = (page, name, opts = {}) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts });

async function waitIn(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: Math.max(1, ms), polling: 100 });
  } catch {
    throw new Error(`timed out after ${(ms / 1000).toFixed(1)} s waiting until ${what}`);
  }
}

async function waitForHash(page, test, what, ms = 5000) {
  try {
    await page.waitForURL((u) => test(u.hash), { timeout: ms });
  } catch {
    throw new Error(`${what}: ${page.url()}`);
  }
}

async function api(server, method, path, body) {
  const r = await fetch(`${server.base}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // reported below with the raw text
  }
  if (!r.ok) throw new Error(`${method} ${path} answered ${r.status}: ${text.slice(0, 300)}`);
  return json;
}

// A row's state and attempts, and the states it showed since its recorder was installed.
const rowInfo = (page, id) =>
  page.evaluate((id) => {
    const row = document.querySelector(`[data-testid="outbox-row-${id}"]`);
    return row ? { state: row.dataset.state, attempts: Number(row.dataset.attempts), seen: window.__e2eSeen?.[id] ?? [], text: row.innerText } : null;
  }, id);

// Records every state a row shows from now on, however briefly: each change's old value (live
// events may change it twice in one task), so `seen` ends with the state before the current one.
const recordStates = (page, id) =>
  page.evaluate((id) => {
    const row = document.querySelector(`[data-testid="outbox-row-${id}"]`);
    window.__e2eSeen = { ...(window.__e2eSeen ?? {}), [id]: [] };
    new MutationObserver((records) => {
      for (const r of records) window.__e2eSeen[id].push(r.oldValue);
    }).observe(row, { attributes: true, attributeFilter: ["data-state"], attributeOldValue: true });
  }, id);

// The message's attempts in all (a retry starts the record's count again; its events keep all).
const attemptsInAll = async (server, id) =>
  (await api(server, "GET", `/v1/outbox/${id}`)).events.filter((e) => ["failed", "delivered", "retry_scheduled", "unconfirmed", "dead_lettered"].includes(e.type)).length;

async function waitRowState(page, id, state, ms, what) {
  await waitIn(page, ([id, state]) => document.querySelector(`[data-testid="outbox-row-${id}"]`)?.dataset.state === state, [id, state], ms, what);
}

async function openOutbox(page) {
  await page.getByTestId("nav-outbox").click();
  await page.getByTestId("outbox-page").waitFor({ state: "visible", timeout: 5000 });
  await waitForHash(page, (hash) => hash.startsWith("#/outbox"), "the outbox page has no link of its own");
  assert(await page.locator("main.layout").isHidden(), "the board still shows under the outbox page");
}

export function registerOutboxTests(t, { outageAfter, outageFor, interval }) {
  let channels = [];

  t.test("the board shows each channel's health, and the header links to the outbox", async ({ page, server }) => {
    channels = (await api(server, "GET", "/v1/channels")).channels;
    assert(channels.length >= 3, `GET /v1/channels lists ${channels.length} channels; the demo configures team-whatsapp, team-telegram and team-email`);
    await page.getByTestId("channel-strip").waitFor({ state: "visible", timeout: 15_000 });
    for (const c of channels) {
      const chip = page.getByTestId(`channel-${c.name}`);
      await chip.waitFor({ timeout: 5000 });
      assert((await chip.innerText()).includes(c.name), `the chip of ${c.name} does not name it`);
    }
    await shot(page, "16-channel-strip", { fullPage: false });
    await openOutbox(page);
    await page.getByTestId("outbox-list").locator("li").first().waitFor({ timeout: 10_000 });
    await shot(page, "17-outbox");
  });

  t.test("unconfirmed WhatsApp messages wait for a person: 'It arrived' settles one, a late decision says why it was refused", async ({ page, server }) => {
    // The black-hole number is held by the demo's WhatsApp API even during its outage; what must
    // not be open is the channel's circuit, or the messages would only wait for it.
    const wa = (await api(server, "GET", "/v1/channels")).channels.find((c) => c.name === "team-whatsapp");
    assert(wa, "no team-whatsapp channel");
    if (wa.circuit === "open") {
      const budget = server.startedAt + (outageAfter + outageFor + interval * 8 + 60) * 1000 - Date.now();
      console.log(`     team-whatsapp's circuit is open (${wa.circuit_reason}): waiting for it to close first`);
      await waitIn(page, () => ["closed", "half_open"].includes(document.querySelector('[data-testid="channel-team-whatsapp"]')?.dataset.circuit ?? ""), null, budget, "team-whatsapp's circuit is no longer open");
    }
    const post = (n) => api(server, "POST", "/v1/outbox", { channel: "team-whatsapp", to: "+15550100099", text: `e2e: does this arrive? (${n}) ${Date.now()}` });
    const [id, late] = (await Promise.all([post(1), post(2)])).map((r) => r.message.id);
    // The channel's timeout is 3 s; the rows change live, without a reload.
    await waitRowState(page, id, "unconfirmed", 20_000, `message ${id} shows unconfirmed`);
    await waitRowState(page, late, "unconfirmed", 20_000, `message ${late} shows unconfirmed`);
    const reason = await page.getByTestId(`outbox-reason-${id}`).innerText();
    assert(reason.trim().length > 10, `the unconfirmed message gives no reason: ${reason}`);
    await page.getByTestId(`attention-row-${id}`).waitFor({ timeout: 5000 });
    const state = await page.getByTestId(`outbox-state-${id}`).innerText();
    assert(/unconfirmed/i.test(state), `the state says ${state}`);
    await page.getByTestId(`outbox-row-${id}`).scrollIntoViewIfNeeded();
    await shot(page, "18-outbox-unconfirmed", { fullPage: false });

    await page.getByTestId(`outbox-arrived-${id}`).click();
    await waitRowState(page, id, "delivered", 10_000, `message ${id} shows delivered after "It arrived"`);
    const stored = (await api(server, "GET", `/v1/outbox/${id}`)).message;
    assert(stored.state === "delivered", `the server has the message as ${stored.state}`);
    assert((await page.getByTestId(`outbox-arrived-${id}`).count()) === 0, "the decide buttons are still there after the decision");

    // Someone else decides the other one just before this person's "Send again" reaches the
    // server: the server refuses it (409), and the page says so in the server's words.
    await page.route(
      `**/v1/outbox/${late}/decide`,
      async (route) => {
        await api(server, "POST", `/v1/outbox/${late}/decide`, { delivered: true });
        await route.continue();
      },
      { times: 1 },
    );
    await page.getByTestId(`outbox-send-again-${late}`).click();
    await waitIn(page, (id) => /^Could not send it again: .{10,}/.test(document.querySelector(`[data-testid="outbox-error-${id}"]`)?.textContent ?? ""), late, 10_000, "the refused decision is explained on the row");
    await waitRowState(page, late, "delivered", 10_000, `message ${late} shows the state someone else chose`);
    console.log(`     ${await page.getByTestId(`outbox-error-${late}`).innerText()}`);
    await page.unroute(`**/v1/outbox/${late}/decide`);
    await shot(page, "19-outbox-decided", { fullPage: false });
  });

  t.test("a refused Telegram message shows why; Retry queues it again and it fails again", async ({ page, server }) => {
    const { message } = await api(server, "POST", "/v1/outbox", { channel: "team-telegram", to: "@nowhere", text: `e2e: to a chat that does not exist ${Date.now()}` });
    const id = message.id;
    await waitRowState(page, id, "failed", 20_000, `message ${id} shows failed`);
    await waitIn(page, (id) => /chat not found/i.test(document.querySelector(`[data-testid="outbox-reason-${id}"]`)?.textContent ?? ""), id, 5000, "the failed message says the chat was not found");
    const before = await rowInfo(page, id);
    const triedBefore = await attemptsInAll(server, id);
    await page.getByTestId(`attention-row-${id}`).waitFor({ timeout: 5000 });
    await page.getByTestId(`outbox-row-${id}`).scrollIntoViewIfNeeded();
    await shot(page, "20-outbox-failed", { fullPage: false });
    await recordStates(page, id);
    await page.getByTestId(`outbox-retry-${id}`).click();
    await waitIn(
      page,
      (id) => document.querySelector(`[data-testid="outbox-row-${id}"]`)?.dataset.state === "failed" && (window.__e2eSeen?.[id] ?? []).includes("queued"),
      id,
      20_000,
      `message ${id} went back to queued and then failed again`,
    );
    const after = await rowInfo(page, id);
    const states = [...after.seen, after.state];
    console.log(`     the retried message showed ${states.join(" → ")}; attempts on the record ${before.attempts} → ${after.attempts}`);
    assert(states[0] === "failed" && states.indexOf("queued") < states.lastIndexOf("failed"), `states after Retry: ${states.join(", ")}`);
    const triedAfter = await attemptsInAll(server, id);
    assert(triedAfter > triedBefore, `attempts in all did not grow: ${triedBefore} → ${triedAfter}`);
    // Its own page: the message's whole story.
    await page.getByTestId(`outbox-open-${id}`).click();
    await page.getByTestId("outbox-detail").waitFor({ state: "visible", timeout: 5000 });
    await waitForHash(page, (hash) => hash === `#/outbox/${id}`, "the message's detail has another URL");
    await waitIn(page, () => document.querySelectorAll('[data-testid="outbox-events"] li[data-type="failed"]').length >= 2 && !!document.querySelector('[data-testid="outbox-events"] li[data-type="retried"]'), null, 10_000, "the message's events show both failures and the retry");
    const detailState = await page.getByTestId("outbox-detail-state").getAttribute("data-state");
    assert(detailState === "failed", `the detail says ${detailState}`);
    await shot(page, "21-outbox-message", { fullPage: false });
    await page.keyboard.press("Escape");
    await page.getByTestId("outbox-detail").waitFor({ state: "hidden", timeout: 5000 });
    await waitForHash(page, (hash) => hash.startsWith("#/outbox") && !hash.startsWith("#/outbox/"), "closing the message left its URL");
    assert(await page.getByTestId("outbox-page").isVisible(), "closing the message left the outbox page");
  });

  t.test("during the WhatsApp outage the strip shows its circuit open and the team alert fails over", async ({ page, server }) => {
    await page.getByTestId("nav-board").click();
    await page.getByTestId("board").waitFor({ state: "visible", timeout: 5000 });
    // The circuit is open from the incident's opening until its closing. Should this server's
    // outage be (nearly) over already (a slow machine), start the server again for a fresh one.
    const circuit = (await api(server, "GET", "/v1/channels")).channels.find((c) => c.name === "team-whatsapp").circuit;
    if (circuit !== "open" && Date.now() > server.startedAt + (outageAfter + outageFor - 5) * 1000) {
      console.log("     this server's WhatsApp outage is over: restarting it for a fresh one");
      await server.stop();
      await server.restart();
      await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 40_000, "the page is live again");
    }
    const openBy = server.startedAt + (outageAfter + interval * 4 + 25) * 1000;
    await waitIn(page, () => document.querySelector('[data-testid="channel-team-whatsapp"]')?.dataset.circuit === "open", null, openBy - Date.now(), "the board shows team-whatsapp's circuit open");
    const chip = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="channel-team-whatsapp"]');
      return { text: el.innerText, cls: el.className, bg: getComputedStyle(el).backgroundColor };
    });
    assert(/circuit open/i.test(chip.text) && chip.cls.includes("tone-bad"), `team-whatsapp's chip: ${chip.cls}: ${chip.text}`);
    const reason = (await api(server, "GET", "/v1/channels")).channels.find((c) => c.name === "team-whatsapp").circuit_reason;
    console.log(`     team-whatsapp: circuit open, ${reason}`);
    await shot(page, "22-board-circuit-open", { fullPage: false });
    await openOutbox(page);
    // The alert to each contact was routed past WhatsApp's open circuit and delivered elsewhere.
    await waitIn(
      page,
      () =>
        [...document.querySelectorAll('#outbox-list li.msg[data-state="delivered"]')].some((row) => {
          const route = row.querySelector('[data-testid^="outbox-route-"]')?.textContent ?? "";
          return ["team-telegram", "team-email"].includes(row.dataset.channel) && /team-whatsapp: circuit open/.test(route);
        }),
      null,
      30_000,
      "the outbox shows the incident alert delivered on team-telegram or team-email, routed past team-whatsapp's open circuit",
    );
    const routes = await page.evaluate(() =>
      [...document.querySelectorAll('#outbox-list li.msg[data-state="delivered"] [data-testid^="outbox-route-"]')].map((e) => e.textContent),
    );
    console.log(`     ${routes[0]}`);
    await page.locator('#outbox-list li.msg[data-state="delivered"] [data-testid^="outbox-route-"]').first().scrollIntoViewIfNeeded();
    await shot(page, "23-outbox-failover", { fullPage: false });
  });

  t.test("the outbox page fits a phone, and no script error happened", async (ctx) => {
    const { page } = ctx;
    await page.setViewportSize({ width: 390, height: 844 });
    await waitIn(page, () => window.innerWidth === 390, null, 5000, "the window is phone-sized");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `the outbox page is ${overflow} px wider than the screen`);
    await shot(page, "24-outbox-phone", { fullPage: false });
    await page.setViewportSize({ width: 1360, height: 900 });
    await page.getByTestId("nav-board").click();
    await page.getByTestId("outbox-page").waitFor({ state: "hidden", timeout: 5000 });
    assert(ctx.external.length === 0, `requests outside the server's origin: ${ctx.external.slice(0, 5).join(", ")}`);
    assert(ctx.pageErrors.length === 0, `uncaught errors in the page: ${ctx.pageErrors.slice(0, 3).join(" | ")}`);
  });
}
