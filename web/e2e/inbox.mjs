// Browser tests of the inbox page (#/inbox), against the mock (e2e/mock-inbox.mjs) only for now:
// `lifeline demo` has no customers yet (the real-demo tests come with the demo's inbox). What a
// user sees: customers waiting first with a live waiting time; a conversation the failover moved
// from WhatsApp to Telegram shows the switch in its thread; a reply appears in the thread and the
// list's waiting clears (a double-click sends once); a reply outside WhatsApp's 24-hour window
// shows the server's 409 in its words; a customer's message arrives live; assign, snooze, reopen,
// resolve and the filters; the sweep after the incident lists who waits, the late backlog and
// the moves.

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

async function call(server, method, path, body) {
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
    // the raw text is in the error below
  }
  return { status: r.status, json, text };
}

async function api(server, method, path, body) {
  const r = await call(server, method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

async function conversationNamed(server, name) {
  const c = (await api(server, "GET", "/v1/conversations?limit=1000")).conversations.find((x) => x.name === name);
  assert(c, `the server has no conversation with ${name}`);
  return c;
}

export function registerInboxTests(t, { outageAfter, outageFor, interval }) {
  const opts = { only: "mock" }; // the demo has no customers yet

  async function gotoInbox(page, server, hash = "#/inbox") {
    if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    await page.getByTestId("inbox-page").waitFor({ state: "visible", timeout: 10_000 });
    await waitIn(page, () => !!document.querySelector('[data-testid="conversation-list"] li.conv'), null, 10_000, "the conversations are listed");
  }

  t.test(
    "inbox: customers waiting first with a live waiting time; the conversation the failover moved shows the switch from WhatsApp to Telegram",
    async ({ page, server }) => {
      // The plan's move runs when the WhatsApp incident opens; Sheena then answers on Telegram.
      const budget = server.startedAt + (outageAfter + interval * 3 + 20) * 1000 - Date.now();
      let sheena = null;
      for (const end = Date.now() + Math.max(1000, budget); ; ) {
        sheena = await conversationNamed(server, "Sheena Patel");
        if (sheena.moved_from) break;
        assert(Date.now() < end, `Sheena's conversation was not moved: ${JSON.stringify(sheena)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await page.goto(`${server.base}/`);
      await page.getByTestId("nav-inbox").click();
      await page.getByTestId("inbox-page").waitFor({ state: "visible", timeout: 10_000 });
      assert((await page.getByTestId("nav-inbox").getAttribute("aria-current")) === "page", "the header does not mark Inbox as the current page");
      assert(await page.locator("main.layout").isHidden(), "the board still shows under the inbox page");
      await waitIn(page, () => !!document.querySelector('[data-testid="conversation-list"] li.conv'), null, 10_000, "the conversations are listed");

      // Waiting customers first, longest waiting first, each saying so in words.
      const rows = await page.locator('[data-testid="conversation-list"] li.conv').evaluateAll((els) =>
        els.map((e) => ({ id: e.dataset.id, waiting: e.dataset.waiting === "true", since: e.querySelector("time.inbox-waiting")?.getAttribute("datetime") ?? "", text: e.querySelector("time.inbox-waiting")?.textContent ?? "" })));
      const firstAnswered = rows.findIndex((r) => !r.waiting);
      assert(rows.length >= 4 && rows[0].waiting, `rows: ${JSON.stringify(rows)}`);
      assert(firstAnswered < 0 || rows.slice(firstAnswered).every((r) => !r.waiting), `a waiting customer is listed after an answered one: ${JSON.stringify(rows)}`);
      const waits = rows.filter((r) => r.waiting);
      for (let i = 1; i < waits.length; i++) assert(Date.parse(waits[i - 1].since) <= Date.parse(waits[i].since), `not longest waiting first: ${JSON.stringify(waits)}`);
      assert(waits.every((r) => /waiting \d+ (s|min|h|d)/.test(r.text)), `waiting times in words: ${waits.map((r) => r.text)}`);
      // The waiting time is live: the page's clock moves it on without a reload.
      const ana = await conversationNamed(server, "Ana Souza");
      await page.evaluate((id) => {
        const t = document.querySelector(`[data-testid="conv-waiting-${id}"]`);
        t.textContent = "stale";
      }, ana.id);
      await waitIn(page, (id) => /^◷|^⚠|^‼/.test(document.querySelector(`[data-testid="conv-waiting-${id}"]`)?.textContent ?? "") && /waiting \d+ min/.test(document.querySelector(`[data-testid="conv-waiting-${id}"]`)?.textContent ?? ""), ana.id, 10_000, "the waiting time is rewritten by the page's clock");

      // The moved conversation stands out in the list: ⇄ and its old channel, in words.
      const row = page.getByTestId(`conv-${sheena.id}`);
      assert((await row.getAttribute("data-moved-from")) === "brand-whatsapp", "the moved row does not say where it moved from");
      assert((await row.getAttribute("data-channel")) === "brand-telegram", "the moved row is not on brand-telegram");
      const badge = page.getByTestId(`conv-moved-${sheena.id}`);
      assert(/⇄\s*moved from brand-whatsapp/.test(await badge.innerText()), `the badge says: ${await badge.innerText()}`);
      const border = await badge.evaluate((el) => parseFloat(getComputedStyle(el).borderTopWidth));
      assert(border >= 2, `the moved badge does not stand out (border ${border})`);
      await shot(page, "70-inbox");

      // The keyboard opens it: the thread has its own link and focus moves into it.
      await page.getByTestId(`conv-open-${sheena.id}`).focus();
      await page.keyboard.press("Enter");
      await page.waitForURL((u) => u.hash.startsWith(`#/inbox/${sheena.id}`), { timeout: 5000 });
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      await waitIn(page, () => document.activeElement?.id === "thread-title", null, 5000, "focus moves to the thread");
      // The customer's answer on Telegram is in the same thread (it may still be on its way).
      await waitIn(page, () => [...document.querySelectorAll('[data-testid="thread-messages"] .tmsg-text')].some((e) => /charged twice/.test(e.textContent)), null, 15_000, "Sheena's Telegram answer shows in the thread");
      const items = await page.locator('[data-testid="thread-messages"] > li').evaluateAll((els) =>
        els.map((e) => ({ kind: e.classList.contains("tswitch") ? "switch" : "msg", dir: e.dataset.direction ?? "", channel: e.dataset.channel ?? "", from: e.dataset.from ?? "", to: e.dataset.to ?? "", text: e.textContent })));
      const sw = items.findIndex((i) => i.kind === "switch");
      assert(sw > 0, `no channel switch in the thread: ${JSON.stringify(items)}`);
      assert(items[sw].from === "brand-whatsapp" && items[sw].to === "brand-telegram" && /from brand-whatsapp to brand-telegram/.test(items[sw].text), `the switch says: ${items[sw].text}`);
      assert(items.slice(0, sw).every((i) => i.channel === "brand-whatsapp") && items.slice(sw + 1).every((i) => i.kind === "msg" && i.channel === "brand-telegram"), `channels around the switch: ${JSON.stringify(items)}`);
      assert(/Lifeline's failover notice/.test(items[sw + 1].text) && items[sw + 1].dir === "out", `the message after the switch is not the failover notice: ${items[sw + 1].text}`);
      assert(/moved from brand-whatsapp/.test(await page.getByTestId("thread-moved").innerText()), "the thread's head does not say it moved");
      // On Telegram now: no WhatsApp window to show.
      assert(await page.getByTestId("wa-window").isHidden(), "a WhatsApp window shows for a Telegram conversation");
      await page.getByTestId("thread").scrollIntoViewIfNeeded();
      await shot(page, "71-inbox-moved-thread", { fullPage: false });
    },
    opts,
  );

  t.test(
    "inbox: a reply appears in the thread and the list's waiting clears (asking who acts once); a double-click sends it once",
    async ({ page, server }) => {
      const ana = await conversationNamed(server, "Ana Souza");
      assert(ana.waiting_since, "Ana is not waiting before the reply");
      await page.goto(`${server.base}/`);
      await page.evaluate(() => localStorage.removeItem("lifeline.by"));
      await gotoInbox(page, server, `#/inbox/${ana.id}`);
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      assert((await page.getByTestId(`conv-${ana.id}`).getAttribute("data-waiting")) === "true", "Ana's row does not show her waiting");
      const text = `On it: checking with the courier (${Date.now()})`;
      await page.getByTestId("reply-text").fill(text);
      await page.getByTestId("reply-send").click();
      await page.getByTestId("whoami-dialog").waitFor({ state: "visible", timeout: 5000 });
      await page.getByTestId("whoami-input").fill("sam");
      await page.getByTestId("whoami-save").click();
      await waitIn(page, (t) => [...document.querySelectorAll('[data-testid="thread-messages"] li.tmsg-out')].some((e) => e.textContent.includes(t)), text, 10_000, "the reply shows in the thread");
      await waitIn(page, (id) => document.querySelector(`[data-testid="conv-${id}"]`)?.dataset.waiting === "false", ana.id, 10_000, "the list's row no longer shows Ana waiting");
      assert(/answered/.test(await page.getByTestId(`conv-waiting-${ana.id}`).innerText()), "the row does not say answered");
      assert((await page.getByTestId("thread-waiting").getAttribute("data-waiting")) === "false", "the thread still shows her waiting");
      assert((await page.getByTestId("reply-text").inputValue()) === "", "the reply box was not cleared");
      const after = await api(server, "GET", `/v1/conversations/${ana.id}`);
      const sent = after.messages.filter((m) => m.text === text);
      assert(after.waiting_since === null && sent.length === 1 && sent[0].author === "sam", `stored: waiting ${after.waiting_since}, ${JSON.stringify(sent)}`);
      // The relay's outcome arrives live: delivered.
      await waitIn(page, (id) => document.querySelector(`[data-testid="tmsg-${id}"]`)?.dataset.status === "delivered", sent[0].id, 10_000, "the reply shows delivered");
      assert(/Delivered/.test(await page.getByTestId(`tmsg-status-${sent[0].id}`).innerText()), "the status is not said in words");

      // A double-click sends once, and the name is not asked again.
      const twice = `Second line (${Date.now()})`;
      await page.getByTestId("reply-text").fill(twice);
      await page.getByTestId("reply-send").dblclick();
      await waitIn(page, (t) => [...document.querySelectorAll('[data-testid="thread-messages"] li.tmsg-out')].some((e) => e.textContent.includes(t)), twice, 10_000, "the second reply shows");
      assert(await page.getByTestId("whoami-dialog").isHidden(), "the name was asked again");
      await waitIn(page, () => document.querySelector('[data-testid="reply-outcome"]')?.dataset.tone === "ok", null, 10_000, "the reply is answered");
      const stored = (await api(server, "GET", `/v1/conversations/${ana.id}`)).messages.filter((m) => m.text === twice);
      assert(stored.length === 1, `a double-click stored ${stored.length} replies`);
      assert((await page.locator('[data-testid="thread-messages"] li.tmsg-out').filter({ hasText: twice }).count()) === 1, "the thread shows the reply twice");
      await shot(page, "72-inbox-replied", { fullPage: false });
    },
    opts,
  );

  t.test(
    "inbox: a reply outside WhatsApp's 24-hour window shows the server's 409 in its words",
    async ({ page, server }) => {
      const luis = await conversationNamed(server, "Luis Ortega");
      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.evaluate(() => localStorage.setItem("lifeline.by", "sam"));
      await gotoInbox(page, server, `#/inbox/${luis.id}`);
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      const win = page.getByTestId("wa-window");
      await win.waitFor({ state: "visible", timeout: 10_000 });
      assert((await win.getAttribute("data-open")) === "false", "the window is not shown closed");
      assert(/24-hour window closed at .*refused until the customer writes again/.test(await win.innerText()), `the window says: ${await win.innerText()}`);
      const text = "The price for 2 kg is 14 €.";
      await page.getByTestId("reply-text").fill(text);
      await page.getByTestId("reply-send").click();
      await waitIn(page, () => document.querySelector('[data-testid="reply-outcome"]')?.dataset.tone === "bad", null, 10_000, "the refusal shows");
      const said = await page.getByTestId("reply-outcome").innerText();
      const direct = await call(server, "POST", `/v1/conversations/${luis.id}/reply`, { text, idempotency_key: "e2e-direct", by: "sam" });
      assert(direct.status === 409 && /24-hour customer-service window/.test(direct.json.error.message), `the server answered ${direct.status}: ${direct.text}`);
      assert(said.trim() === `Refused: ${direct.json.error.message}`, `the page says “${said}”, the server “${direct.json.error.message}”`);
      assert((await page.getByTestId("reply-outcome").getAttribute("role")) === "alert", "the refusal is not announced");
      assert((await page.getByTestId("reply-text").inputValue()) === text, "the refused text was lost");
      const stored = (await api(server, "GET", `/v1/conversations/${luis.id}`)).messages.filter((m) => m.text === text);
      assert(stored.length === 0, "a refused reply was stored");
      await shot(page, "73-inbox-window-closed", { fullPage: false });
    },
    opts,
  );

  t.test(
    "inbox: a customer's message arrives live in the open thread and the list, without a reload",
    async ({ page, server }) => {
      const ana = await conversationNamed(server, "Ana Souza");
      await gotoInbox(page, server, `#/inbox/${ana.id}`);
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 10_000, "the page is live");
      await page.evaluate(() => {
        window.__e2eInboxDoc = true;
      });
      const text = `Any news on #4411? (${Date.now()})`;
      await api(server, "POST", "/__mock/inbox/incoming", { conversation: ana.id, text });
      await waitIn(page, (t) => [...document.querySelectorAll('[data-testid="thread-messages"] li.tmsg-in')].some((e) => e.textContent.includes(t)), text, 10_000, "the new message shows in the open thread");
      await waitIn(page, (id) => document.querySelector(`[data-testid="conv-${id}"]`)?.dataset.waiting === "true", ana.id, 10_000, "the list shows Ana waiting again");
      assert(await page.evaluate(() => window.__e2eInboxDoc === true), "the page reloaded");
      // The newest message is last: the customer's order.
      const last = await page.locator('[data-testid="thread-messages"] > li').last().innerText();
      assert(last.includes(text), `the last message is: ${last}`);
    },
    opts,
  );

  t.test(
    "inbox: assign, snooze, reopen and resolve; the filters; the sweep after the incident lists who waits, the late backlog and the moves",
    async ({ page, server }) => {
      const mia = await conversationNamed(server, "Mia Chen");
      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.evaluate(() => localStorage.setItem("lifeline.by", "sam"));
      await gotoInbox(page, server, `#/inbox/${mia.id}`);
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      await page.getByTestId("assign-to").fill("lee");
      await page.getByTestId("assign-save").click();
      await waitIn(page, () => /assigned to lee/.test(document.querySelector('[data-testid="thread-assignee"]')?.textContent ?? ""), null, 10_000, "the thread says assigned to lee");
      await waitIn(page, (id) => /assigned to lee/.test(document.querySelector(`[data-testid="conv-assignee-${id}"]`)?.textContent ?? ""), mia.id, 10_000, "the list says assigned to lee");
      await page.getByTestId("snooze-for").selectOption("1h");
      await page.getByTestId("conv-snooze").click();
      await waitIn(page, () => /Snoozed until/.test(document.querySelector('[data-testid="thread-state"]')?.textContent ?? ""), null, 10_000, "the thread says snoozed");
      const snoozed = await api(server, "GET", `/v1/conversations/${mia.id}`);
      assert(snoozed.state === "snoozed" && Math.abs(Date.parse(snoozed.snoozed_until) - Date.now() - 3600_000) < 120_000, `stored: ${snoozed.state} until ${snoozed.snoozed_until}`);
      await page.getByTestId("conv-reopen").click();
      await waitIn(page, () => /^\W*Open/.test(document.querySelector('[data-testid="thread-state"]')?.textContent ?? ""), null, 10_000, "the thread says open");
      await page.getByTestId("conv-resolve").click();
      await waitIn(page, () => /Resolved/.test(document.querySelector('[data-testid="thread-state"]')?.textContent ?? ""), null, 10_000, "the thread says resolved");
      await waitIn(page, (id) => !document.querySelector(`[data-testid="conv-${id}"]`), mia.id, 10_000, "a resolved conversation leaves the default list");
      assert((await api(server, "GET", `/v1/conversations/${mia.id}`)).state === "resolved", "not resolved on the server");

      // Filters: resolved ones on asking; waiting only.
      await page.getByTestId("inbox-filter-state").selectOption("resolved");
      await page.getByTestId(`conv-${mia.id}`).waitFor({ timeout: 10_000 });
      assert(/state=resolved/.test(page.url()), `the filter is not in the address: ${page.url()}`);
      assert((await page.locator('[data-testid="conversation-list"] li.conv').evaluateAll((els) => els.every((e) => e.dataset.state === "resolved"))), "the resolved filter shows other states");
      await page.getByTestId("inbox-filter-state").selectOption("");
      await page.getByTestId("inbox-filter-waiting").check();
      await waitIn(page, () => { const r = [...document.querySelectorAll('[data-testid="conversation-list"] li.conv')]; return r.length > 0 && r.every((e) => e.dataset.waiting === "true"); }, null, 10_000, "only waiting conversations are listed");
      await page.getByTestId("inbox-filter-waiting").uncheck();
      await shot(page, "74-inbox-filters", { fullPage: false });

      // The sweep, once the WhatsApp incident is closed (the backlog arrives then).
      const budget = server.startedAt + (outageAfter + outageFor + interval * 4 + 30) * 1000 - Date.now();
      let inc = null;
      for (const end = Date.now() + Math.max(1000, budget); ; ) {
        inc = (await api(server, "GET", "/v1/incidents?state=all")).incidents.find((i) => i.platforms.includes("whatsapp") && i.state === "closed");
        if (inc) break;
        assert(Date.now() < end, "the WhatsApp incident did not close");
        await new Promise((r) => setTimeout(r, 1000));
      }
      await gotoInbox(page, server, "#/inbox");
      await page.getByTestId("sweep-incident").selectOption(inc.id);
      await page.getByTestId("sweep-run").click();
      await waitIn(page, (id) => document.querySelector('[data-testid="sweep-result"]')?.dataset.incident === id && !!document.querySelector('[data-testid="sweep-period"]'), inc.id, 10_000, "the sweep of the incident shows");
      const sweep = await api(server, "GET", `/v1/inbox/sweep?incident=${inc.id}`);
      const luis = await conversationNamed(server, "Luis Ortega");
      assert(sweep.waiting.some((c) => c.id === luis.id), "the server's sweep does not list Luis");
      assert(await page.getByTestId(`sweep-waiting-${luis.id}`).isVisible(), "the sweep does not list Luis (no other channel: he waits)");
      const omar = await conversationNamed(server, "Omar Haddad");
      const backlog = sweep.messages.filter((m) => m.conversation.id === omar.id);
      assert(backlog.length === 2 && backlog.every((m) => !m.answered), `the server's sweep of Omar's backlog: ${JSON.stringify(backlog)}`);
      for (const m of backlog) {
        const li = page.getByTestId(`sweep-msg-${m.id}`);
        assert((await li.getAttribute("data-answered")) === "false", `Omar's message ${m.id} is not shown unanswered`);
        assert(/unanswered, waiting/.test(await li.innerText()) && /after it was written/.test(await li.innerText()), `the backlog message says: ${await li.innerText()}`);
      }
      const sheena = await conversationNamed(server, "Sheena Patel");
      assert(/from brand-whatsapp to brand-telegram/.test(await page.getByTestId(`sweep-move-${sheena.id}`).innerText()), "the sweep does not show Sheena's move");
      await page.getByTestId("sweep-section").scrollIntoViewIfNeeded();
      await shot(page, "75-inbox-sweep", { fullPage: false });

      // Omar's backlog in his thread: in the order he wrote it, marked as late.
      await page.getByTestId(`conv-open-${omar.id}`).click();
      await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
      await waitIn(page, () => document.querySelectorAll('[data-testid="thread-messages"] .tmsg .late').length >= 2, null, 10_000, "the late arrivals are marked");
      const texts = await page.locator('[data-testid="thread-messages"] li.tmsg-in .tmsg-text').allInnerTexts();
      const i1 = texts.findIndex((x) => /shows as cancelled/.test(x));
      const i2 = texts.findIndex((x) => /call me back/.test(x));
      assert(i1 >= 0 && i2 > i1, `the backlog is not in the order it was written: ${JSON.stringify(texts)}`);
    },
    opts,
  );
}
