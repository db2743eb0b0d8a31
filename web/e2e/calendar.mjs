// Browser tests of the calendar page (#/calendar), against the mock (e2e/mock-calendar.mjs) and the
// real `lifeline demo` alike: the posts by day with each channel's part; adding a post (asking who
// acts once; a refusal shown in the server's words), editing, holding, releasing and cancelling it;
// a CSV import whose bad row is named by line and column; and, on a fresh outage, the demo's post
// due during it shown held — standing out, with its incident linked — then released and sent once
// WhatsApp is back.

import { join } from "node:path";
import { ARTIFACTS, api, assert, call, shot, waitIn } from "./harness.mjs";

// A datetime-local value `ms` from now, in the page's time zone.
const localIn = (page, ms) =>
  page.evaluate((ms) => {
    const d = new Date(Date.now() + ms);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, ms);

const partState = (id, channel) => `[data-testid="part-${id}-${channel}"]`;

export function registerCalendarTests(t, { outageAfter, outageFor, interval }) {
  let channels = []; // the relay's channel names
  let mine = ""; // the post this session added

  async function gotoCalendar(page, server) {
    if (await page.getByTestId("incident-view").isVisible().catch(() => false)) {
      await page.keyboard.press("Escape");
      await page.getByTestId("incident-view").waitFor({ state: "hidden", timeout: 5000 });
    }
    if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
    await page.getByTestId("nav-calendar").click();
    await page.getByTestId("calendar-page").waitFor({ state: "visible", timeout: 10_000 });
  }

  t.test(
    "calendar: the page lists posts by day with each channel's part; a post added (asking who acts once, a refusal in the server's words), edited, held, released and cancelled",
    async ({ page, server }) => {
      const ov = await api(server, "GET", "/v1/calendar");
      channels = ov.channels.map((c) => c.name);
      assert(channels.includes("brand-whatsapp") && channels.includes("brand-telegram"), `the relay's channels: ${channels.join(", ")}`);
      await page.goto(`${server.base}/`);
      await page.evaluate(() => localStorage.removeItem("lifeline.by"));
      await page.goto(`${server.base}/#/calendar`);
      await page.getByTestId("calendar-page").waitFor({ state: "visible", timeout: 10_000 });
      assert((await page.getByTestId("nav-calendar").getAttribute("aria-current")) === "page", "the header does not mark Calendar as the current page");
      assert(await page.locator("main.layout").isHidden(), "the board still shows under the calendar page");
      // The demo's posts, each with its part per channel.
      for (const id of ["winter-sale", "store-hours"]) {
        await page.getByTestId(`post-${id}`).waitFor({ timeout: 10_000 });
        for (const c of ["brand-whatsapp", "brand-telegram"]) assert((await page.locator(partState(id, c)).count()) === 1, `post ${id} shows no part on ${c}`);
      }

      // Add: a time in the past is refused by the server, in its words (after asking who acts).
      const text = `E2E launch ${Date.now()}`;
      await page.getByTestId("add-text").fill(text);
      await page.getByTestId("add-media").fill("https://brand.example/launch.jpg");
      await page.getByTestId("add-channel-brand-telegram").check();
      await page.getByTestId("add-at").fill(await localIn(page, -2 * 3600_000));
      await page.getByTestId("add-submit").click();
      await page.getByTestId("whoami-dialog").waitFor({ state: "visible", timeout: 5000 });
      await page.getByTestId("whoami-input").fill("sam");
      await page.getByTestId("whoami-save").click();
      await waitIn(page, () => document.querySelector('[data-testid="add-outcome"]')?.dataset.tone === "bad", null, 10_000, "the refusal shows");
      const refusal = await page.getByTestId("add-outcome").innerText();
      const direct = await call(server, "POST", "/v1/calendar/posts", { text, channels: ["brand-telegram"], at: new Date(Date.now() - 2 * 3600_000).toISOString(), by: "sam" });
      assert(direct.status === 400 && /^at: .* is in the past/.test(direct.json.error.message), `the server answered ${direct.status}: ${direct.text}`);
      assert(/^Refused: at: .* is in the past \(now /.test(refusal), `the page says “${refusal}”, the server “${direct.json.error.message}”`);

      // Then an hour from now: scheduled, shown at once.
      await page.getByTestId("add-at").fill(await localIn(page, 3600_000));
      await page.getByTestId("add-submit").click();
      await waitIn(page, () => document.querySelector('[data-testid="add-outcome"]')?.dataset.tone === "ok", null, 10_000, "the post is scheduled");
      assert(await page.getByTestId("whoami-dialog").isHidden(), "the name was asked again");
      const row = page.locator('[data-testid="calendar-upcoming"] li.cal-post').filter({ hasText: text });
      await row.waitFor({ timeout: 10_000 });
      mine = (await row.getAttribute("data-testid")).replace(/^post-/, "");
      // Whatever the demo's posts did by now (the suite's earlier tests take minutes), the new
      // post is upcoming, under a day label.
      const day = await page.locator('[data-testid="calendar-upcoming"] .cal-day h4').first().innerText();
      assert(/^(Today|Tomorrow)/.test(day), `the first day is labelled: ${day}`);
      const stored = (await api(server, "GET", `/v1/calendar/posts/${mine}`)).post;
      assert(stored.by === "sam" && stored.media[0] === "https://brand.example/launch.jpg", `stored: by ${stored.by}, media ${stored.media}`);
      assert((await page.locator(partState(mine, "brand-telegram")).getAttribute("data-state")) === "scheduled", "the new part is not shown scheduled");
      await shot(page, "60-calendar");

      // Edit: new text, a second channel, a later time.
      await page.getByTestId(`post-edit-${mine}`).click();
      const edited = `${text} (edited)`;
      await page.getByTestId(`edit-${mine}-text`).fill(edited);
      await page.getByTestId(`edit-${mine}-channel-brand-whatsapp`).check();
      await page.getByTestId(`edit-${mine}-at`).fill(await localIn(page, 2 * 3600_000));
      await page.getByTestId(`post-save-${mine}`).click();
      await waitIn(page, (id) => document.querySelector(`[data-testid="post-text-${id}"]`)?.textContent?.endsWith("(edited)"), mine, 10_000, "the edited text shows");
      await page.locator(partState(mine, "brand-whatsapp")).waitFor({ timeout: 5000 });
      const after = (await api(server, "GET", `/v1/calendar/posts/${mine}`)).post;
      assert(after.text === edited && after.edited_by === "sam", `after the edit: ${after.text} by ${after.edited_by}`);
      assert(after.parts.map((p) => p.channel).join(",") === "brand-telegram,brand-whatsapp", `channels after the edit: ${after.parts.map((p) => p.channel)}`);
      assert(Math.abs(Date.parse(after.at) - (Date.now() + 2 * 3600_000)) < 120_000, `the time did not move: ${after.at}`);

      // Hold by hand: the post stands out as held.
      await page.getByTestId(`post-hold-${mine}`).click();
      await waitIn(page, (sel) => document.querySelector(sel)?.dataset.state === "held", partState(mine, "brand-telegram"), 10_000, "the part shows held");
      const hold = await page.getByTestId(`part-${mine}-brand-telegram-hold`).innerText();
      assert(/held by sam/.test(hold), `the held part says: ${hold}`);
      assert(await page.getByTestId(`post-${mine}`).evaluate((el) => el.classList.contains("cal-held")), "a held post does not stand out");

      // Cancel (the held post): asked to confirm, then kept as cancelled with who.
      await page.getByTestId(`post-cancel-${mine}`).click();
      assert((await page.getByTestId(`post-cancel-${mine}`).innerText()) === "Yes, cancel this post", "cancelling did not ask to confirm");
      assert((await api(server, "GET", `/v1/calendar/posts/${mine}`)).post.state !== "cancelled", "cancelled before confirming");
      await page.getByTestId(`post-cancel-${mine}`).click();
      await waitIn(page, (id) => document.querySelector(`[data-testid="post-${id}"]`)?.dataset.state === "cancelled", mine, 10_000, "the post shows cancelled");
      const note = await page.getByTestId(`post-cancelled-${mine}`).innerText();
      assert(/Cancelled by sam/.test(note), `the cancelled post says: ${note}`);
      assert((await page.locator(`[data-testid="calendar-past"] [data-testid="post-${mine}"]`).count()) === 1, "a cancelled post is not listed with the past ones");
      assert((await page.getByTestId(`post-edit-${mine}`).count()) === 0, "a cancelled post can still be edited");
      const gone = (await api(server, "GET", `/v1/calendar/posts/${mine}`)).post;
      assert(gone.state === "cancelled" && gone.cancelled_by === "sam" && gone.parts.every((p) => p.state === "cancelled"), `stored after cancelling: ${JSON.stringify(gone).slice(0, 300)}`);
      // Once cancelled, the server refuses another cancel with a reason.
      const again = await call(server, "POST", `/v1/calendar/posts/${mine}/cancel`, { by: "sam" });
      assert(again.status === 409 && /cancelled already/.test(again.json.error.message), `a second cancel answered ${again.status}: ${again.text}`);
      await shot(page, "61-calendar-cancelled");

      // Release by hand: a post someone held (here through the API) goes out now.
      const other = (await api(server, "POST", "/v1/calendar/posts", { text: `${text} (second)`, channels: ["brand-telegram"], at: new Date(Date.now() + 3600_000).toISOString(), by: "sam" })).post;
      await api(server, "POST", `/v1/calendar/posts/${other.id}/hold`, { by: "sam" });
      await waitIn(page, (sel) => document.querySelector(sel)?.dataset.state === "held", partState(other.id, "brand-telegram"), 10_000, "the post held through the API shows held (live)");
      await page.getByTestId(`post-release-${other.id}`).click();
      await waitIn(page, (sel) => ["scheduled", "queued", "published"].includes(document.querySelector(sel)?.dataset.state), partState(other.id, "brand-telegram"), 10_000, "the released part is no longer held");
      const released = (await api(server, "GET", `/v1/calendar/posts/${other.id}`)).post.parts[0];
      assert(["scheduled", "queued", "published"].includes(released.state), `after the release: ${released.state} (${released.note})`);
    },
  );

  t.test("calendar: a CSV import names the bad row's line and column and imports nothing, then imports every row", async ({ page, server }) => {
    // Who acts is known already (asked once in the test above; set here so this test stands alone).
    if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
    await page.evaluate(() => localStorage.setItem("lifeline.by", "sam"));
    await gotoCalendar(page, server);
    const day = new Date(Date.now() + 26 * 3600_000).toISOString().slice(0, 10);
    const bad = `date,message,link,channels\n${day} 09:00,First,https://brand.example/a,brand-telegram\n${day} 10:00,Second,,brand-telegarm\n`;
    await page.getByTestId("calendar-import-file").setInputFiles({ name: "week.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
    await page.getByTestId("calendar-import-submit").click();
    await waitIn(page, () => document.querySelector('[data-testid="calendar-import-outcome"]')?.dataset.tone === "bad", null, 10_000, "the import's refusal shows");
    const out = page.getByTestId("calendar-import-outcome");
    const said = await out.innerText();
    assert((await out.getAttribute("data-line")) === "3" && /column 4 \(channels\)/.test(await out.getAttribute("data-column")), `line/column: ${await out.getAttribute("data-line")} / ${await out.getAttribute("data-column")}`);
    assert(/Nothing was imported: week\.csv, line 3, column 4 \(channels\): unknown channel 'brand-telegarm'/.test(said), `the page says: ${said}`);
    const listed = (await api(server, "GET", "/v1/calendar/posts")).posts;
    assert(!listed.some((p) => p.text === "First"), "a row was imported from a file with a bad row");

    const good = `date,message,link\n${day} 09:00,"First, with a comma",https://brand.example/a\n${day} 10:00,Second,\n`;
    await page.getByTestId("import-channel-brand-telegram").check();
    await page.getByTestId("calendar-import-file").setInputFiles({ name: "week.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
    await page.getByTestId("calendar-import-submit").click();
    await waitIn(page, () => document.querySelector('[data-testid="calendar-import-outcome"]')?.dataset.tone === "ok", null, 10_000, "the import succeeds");
    assert(/Imported 2 posts from week\.csv/.test(await out.innerText()), `the page says: ${await out.innerText()}`);
    await page.locator('[data-testid="calendar-upcoming"] li.cal-post').filter({ hasText: "First, with a comma" }).waitFor({ timeout: 10_000 });
    // Tidy up for the tests after: the imported posts are cancelled.
    for (const p of (await api(server, "GET", "/v1/calendar/posts")).posts) {
      if (p.source === "csv:week.csv" && p.state === "scheduled") await api(server, "POST", `/v1/calendar/posts/${p.id}/cancel`, { by: "e2e" });
    }
  });

  t.test(
    "calendar: during the WhatsApp outage the demo's post due then is held — standing out, its incident linked — and goes out once WhatsApp is back",
    async ({ page, server }) => {
      // A fresh outage script: the demo's posts are due 10 s and 25 s into it.
      await server.stop();
      await server.restart();
      // A new document: the page must not show what the last server held.
      await page.goto("about:blank");
      await page.goto(`${server.base}/#/calendar`);
      await page.getByTestId("calendar-page").waitFor({ state: "visible", timeout: 10_000 });
      await page.getByTestId("post-winter-sale").waitFor({ timeout: 10_000 });
      const held = partState("winter-sale", "brand-whatsapp");
      const budget = server.startedAt + (outageAfter + 10 + interval * 3 + 20) * 1000 - Date.now();
      await waitIn(page, (sel) => document.querySelector(sel)?.dataset.state === "held", held, budget, "the winter sale's WhatsApp part shows held (live, without a reload)");
      // It stands out: amber band with a border, the words "Held", and the incident that holds it.
      // Read in one go in the page: live events (the demo's customers and chatter too) re-render
      // the list, and an element found a moment earlier may already be replaced.
      const readLook = (sel) => {
        const el = document.querySelector(sel);
        if (!el || !el.isConnected) return null;
        const s = getComputedStyle(el);
        const post = el.closest("li.cal-post");
        return { bg: s.backgroundColor, border: s.borderTopWidth, borderColor: s.borderTopColor, post: post?.className ?? "" };
      };
      await waitIn(page, (sel) => document.querySelector(sel)?.isConnected && getComputedStyle(document.querySelector(sel)).backgroundColor !== "", held, 5000, "the held part is drawn");
      const look = await page.evaluate(readLook, held);
      assert(look, "the held part disappeared");
      const [r, g, b] = (look.bg.match(/\d+/g) ?? []).map(Number);
      assert(r > 200 && g > 200 && b < 230 && r > b + 20, `a held part's background is not amber: ${look.bg}`);
      assert(parseFloat(look.border) >= 2, `a held part has no border: ${look.border} ${look.borderColor}`);
      assert(look.post.includes("cal-held"), `the held post does not stand out: ${look.post}`);
      assert(/Held/.test(await page.getByTestId("part-winter-sale-brand-whatsapp-state").innerText()), "the held part does not say Held in words");
      const incident = await page.locator(held).getAttribute("data-incident");
      const stored = (await api(server, "GET", "/v1/calendar/posts/winter-sale")).post;
      const whatsapp = stored.parts.find((p) => p.channel === "brand-whatsapp");
      assert(whatsapp.state === "held" && whatsapp.held_by === incident && incident, `the server holds it by ${whatsapp.held_by}, the page shows ${incident}`);
      const link = page.getByTestId("part-winter-sale-brand-whatsapp-incident");
      assert((await link.getAttribute("href")) === `#/incident/${encodeURIComponent(incident)}`, `the incident link is ${await link.getAttribute("href")}`);
      const reason = await page.getByTestId("part-winter-sale-brand-whatsapp-hold").innerText();
      assert(/outage/i.test(reason), `the held part does not say why: ${reason}`);
      // The other channel went out as planned.
      await waitIn(page, (sel) => ["queued", "published"].includes(document.querySelector(sel)?.dataset.state), partState("winter-sale", "brand-telegram"), 15_000, "the Telegram part goes out as planned");
      assert(await page.getByTestId("calendar-stopped-brand-whatsapp").isVisible(), "the page does not say brand-whatsapp is stopped");
      await page.locator(held).scrollIntoViewIfNeeded();
      await shot(page, "62-calendar-held", { fullPage: false });

      // WhatsApp back: released (publish_now) and handed to the relay, live.
      const back = server.startedAt + (outageAfter + outageFor + interval * 4 + 30) * 1000 - Date.now();
      await waitIn(page, (sel) => ["queued", "published"].includes(document.querySelector(sel)?.dataset.state), held, back, "the held part is released and goes out after the outage");
      assert(await page.getByTestId("post-winter-sale").evaluate((el) => !el.classList.contains("cal-held")), "the released post still stands out as held");
      await shot(page, "63-calendar-released");
    },
  );
}
