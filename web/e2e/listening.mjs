// Browser tests of the listening page (#/listening), against the mock (e2e/mock-listening.mjs) and
// the real `lifeline demo` (its simulated Mastodon: #whatsappdown chatter bursting when WhatsApp
// fails, against five weeks of seeded usual hours). What a user sees: the query spiking now chosen
// first, its spike drawn above the usual band and marked in symbols and words, with its evidence,
// sentiment shares, top terms and most-shared posts with links; the sources in trouble
// (credentials refused, rate limited) standing out with their error and last success; a source's
// change arriving live; the keyboard choosing a query.

import { join } from "node:path";
import { ARTIFACTS, api, assert, shot, sleep, waitIn } from "./harness.mjs";

export function registerListeningTests(t) {
  const opts = { only: "mock" }; // the mock's own story (its control routes, its failing sources)

  t.test(
    "listening: the query spiking now is shown first, its spike drawn above the usual band with its evidence, sentiment, top terms and most-shared posts",
    async ({ page, server }) => {
      const status = await api(server, "GET", "/v1/listening");
      const spiking = status.spiking.find((s) => s.spiking)?.query;
      assert(spiking, `the server has no spike on: ${JSON.stringify(status.spiking)}`);
      const hours = (await api(server, "GET", `/v1/listening/hours?query=${encodeURIComponent(spiking)}`)).hours;
      const spikeHour = hours.find((x) => x.spike?.spiking);
      assert(spikeHour && spikeHour.posts > spikeHour.band.high, `the server's spike hour is not above its band: ${JSON.stringify(spikeHour)}`);

      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.getByTestId("nav-listening").click();
      await page.getByTestId("listening-page").waitFor({ state: "visible", timeout: 10_000 });
      assert((await page.getByTestId("nav-listening").getAttribute("aria-current")) === "page", "the header does not mark Listening as the current page");
      assert(await page.locator("main.layout").isHidden(), "the board still shows under the listening page");
      await waitIn(page, (q) => document.querySelector('[data-testid="listen-query-view"]')?.dataset.query === q && !!document.querySelector('[data-testid="volume-chart"]'), spiking, 10_000, `the spiking query ${spiking} is shown with its chart`);
      assert((await page.getByTestId(`listen-query-${spiking}`).getAttribute("data-spiking")) === "true", "the query list does not flag the spiking query");
      assert(/spike now/.test(await page.getByTestId(`listen-query-${spiking}`).innerText()), "the spiking query does not say so in words");

      // The spike's bar rises above its band (in the drawing), with ▲ over it.
      const drawn = await page.evaluate((hour) => {
        const g = document.querySelector(`[data-testid="volume-chart"] g.hour[data-hour="${hour}"]`);
        const band = document.querySelector(`[data-testid="volume-chart"] rect.band[data-hour="${hour}"]`);
        const bar = g?.querySelector("rect.bar");
        return {
          mark: g?.dataset.mark, barTop: Number(bar?.getAttribute("y")), bandTop: Number(band?.getAttribute("y")),
          sign: g?.querySelector("text.spike-mark")?.textContent ?? "", title: g?.querySelector("title")?.textContent ?? "", fill: bar ? getComputedStyle(bar).fill : "",
        };
      }, spikeHour.hour);
      assert(drawn.mark === "spike", `the spike hour is drawn as ${drawn.mark}`);
      assert(drawn.barTop < drawn.bandTop, `the spike's bar (top ${drawn.barTop}) is not above its band (top ${drawn.bandTop})`);
      assert(drawn.sign === "▲" && /spike/.test(drawn.title) && drawn.title.includes(`${spikeHour.posts} posts`), `mark ${drawn.sign}, title ${drawn.title}`);
      const others = await page.locator('[data-testid="volume-chart"] g.hour[data-mark="usual"]').count();
      assert(others > 10, `only ${others} hours are drawn as usual`);
      const summary = await page.getByTestId("volume-summary").innerText();
      assert(new RegExp(`spike at \\d\\d:00–\\d\\d:00: ${spikeHour.posts} posts against`).test(summary), `the summary says: ${summary}`);

      // The spike's hour in detail: its evidence, sentiment in words, top terms, most-shared posts.
      const detail = page.getByTestId("hour-detail");
      assert((await detail.getAttribute("data-hour")) === spikeHour.hour, `the detail shows ${await detail.getAttribute("data-hour")}, not the spike's hour`);
      assert((await page.getByTestId("hour-evidence").innerText()) === spikeHour.spike.evidence, "the evidence is not the server's");
      assert(/\d+ % positive, \d+ % neutral, \d+ % negative \(\d+ posts\)/.test(await page.getByTestId("sentiment-hour").innerText()), `sentiment: ${await page.getByTestId("sentiment-hour").innerText()}`);
      const terms = await page.locator('[data-testid="top-terms"] li').allInnerTexts();
      assert(terms.length === spikeHour.top_terms.length && terms[0].startsWith(spikeHour.top_terms[0].term), `top terms: ${terms}`);
      const links = await page.locator('[data-testid="hour-top-posts"] a').evaluateAll((els) => els.map((a) => a.href));
      assert(links.length === spikeHour.top_posts.length && links[0] === spikeHour.top_posts[0].url, `top posts' links: ${links}`);
      assert((await page.locator('[data-testid="top-posts"] li').count()) >= 1, "no most-shared post in the window");
      assert((await page.locator('[data-testid="spike-list"] li').count()) >= 1, "the recent spikes are not listed");
      assert((await page.locator('[data-testid="latest-posts"] li').count()) >= 1, "the latest posts are not listed");
      // Another hour, chosen from the list: the detail follows.
      const other = hours.find((x) => x.posts && !x.spike && x.complete);
      await page.getByTestId("hour-select").selectOption(other.hour);
      await waitIn(page, (h) => document.querySelector('[data-testid="hour-detail"]')?.dataset.hour === h, other.hour, 5000, "the chosen hour's detail shows");
      await page.getByTestId("listen-query-view").scrollIntoViewIfNeeded();
      await shot(page, "80-listening", { fullPage: false });
    },
    opts,
  );

  t.test(
    "listening: sources in trouble stand out with their error and last success, a source's change arrives live, and the keyboard chooses a query",
    async ({ page, server }) => {
      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.evaluate(() => {
        location.hash = "#/listening";
      });
      await page.getByTestId("listening-page").waitFor({ state: "visible", timeout: 10_000 });
      await page.getByTestId("listen-source-problems").waitFor({ timeout: 10_000 });
      const x = page.getByTestId("listen-problem-x");
      const xText = await x.innerText();
      assert(/x: credentials refused — x recent search: HTTP 401: the credentials are refused/.test(xText) && /no success yet/.test(xText), `the problem line of x: ${xText}`);
      const blue = await page.getByTestId("listen-problem-bluesky").innerText();
      assert(/bluesky: rate limited until \d\d:\d\d:\d\d \(in \d+ min\)/.test(blue) && /last success/.test(blue), `the problem line of bluesky: ${blue}`);
      // Worst first, and standing out: red band with a border, the words, the icon.
      const order = await page.locator('[data-testid="listen-source-problems"] li').evaluateAll((els) => els.map((e) => e.dataset.health));
      assert(order.join(",") === "auth,rate_limited", `problems in order: ${order}`);
      const look = await page.getByTestId("listen-source-x").evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, cls: el.className }));
      const [r, g, b] = (look.bg.match(/\d+/g) ?? []).map(Number);
      assert(look.cls.includes("tone-bad") && r > g && r > b, `the failing source does not stand out: ${look.bg} ${look.cls}`);
      assert(/Credentials refused/.test(await page.getByTestId("listen-source-health-x").innerText()), "x's health is not said in words");
      assert((await page.getByTestId("listen-source-mastodon").getAttribute("data-health")) === "ok", "mastodon is not shown working");
      assert((await page.getByTestId("listen-problem-mastodon").count()) === 0, "a working source is listed as a problem");
      await page.getByTestId("listen-sources").scrollIntoViewIfNeeded();
      await shot(page, "81-listening-sources", { fullPage: false });

      // Live: mastodon starts failing, then answers again, without a reload.
      await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 10_000, "the page is live");
      await page.evaluate(() => {
        window.__e2eListenDoc = true;
      });
      const error = "mastodon tag timeline: HTTP 503 (Service Unavailable)";
      await api(server, "POST", "/__mock/listening/source", { source: "mastodon", outcome: "error", error });
      await waitIn(page, () => document.querySelector('[data-testid="listen-source-mastodon"]')?.dataset.health === "failing", null, 10_000, "mastodon shows failing");
      const m = await page.getByTestId("listen-problem-mastodon").innerText();
      assert(m.includes("mastodon: failing") && m.includes(error) && /last success/.test(m), `the problem line of mastodon: ${m}`);
      await api(server, "POST", "/__mock/listening/source", { source: "mastodon", outcome: "ok" });
      await waitIn(page, () => !document.querySelector('[data-testid="listen-problem-mastodon"]') && document.querySelector('[data-testid="listen-source-mastodon"]')?.dataset.health === "ok", null, 10_000, "mastodon shows working again");
      assert(await page.evaluate(() => window.__e2eListenDoc === true), "the page reloaded");

      // The keyboard: another query's link, Enter; its own address.
      const q = "brand:acme:mentions";
      await page.getByTestId(`listen-query-${q}`).locator("a").focus();
      await page.keyboard.press("Enter");
      await page.waitForURL((u) => u.hash === `#/listening?query=${encodeURIComponent(q)}`, { timeout: 5000 });
      await waitIn(page, (id) => document.querySelector('[data-testid="listen-query-view"]')?.dataset.query === id && !!document.querySelector('[data-testid="volume-chart"]'), q, 10_000, `${q} is shown`);
      assert(/Mentions of acme/.test(await page.locator("#listen-query-title").innerText()), "the query is not named in words");
    },
    opts,
  );


  t.test(
    "listening (demo): the #whatsappdown chatter shows its spike marked on the chart above the usual band, with its evidence, the sentiment of the hour and its most-shared posts",
    async ({ page, server }) => {
      // The burst starts with WhatsApp's outage; the hour in progress is judged once a minute of it
      // has passed, so the spike is stored within seconds (a minute at an hour's start).
      const q = "chatter:whatsapp";
      const spikeHour = await (async () => {
        const end = Date.now() + 120_000;
        for (;;) {
          const hours = (await api(server, "GET", `/v1/listening/hours?query=${encodeURIComponent(q)}`)).hours;
          const hit = hours.findLast((x) => x.spike?.spiking && x.posts > (x.band?.high ?? Infinity));
          if (hit) return hit;
          assert(Date.now() < end, `no spiking hour of ${q}: ${JSON.stringify(hours.slice(-2)).slice(0, 600)}`);
          await sleep(1000);
        }
      })();
      const status = await api(server, "GET", "/v1/listening");
      const query = status.queries.find((x) => x.id === q);
      assert(query?.terms.includes("#whatsappdown"), `the demo's ${q} does not listen for #whatsappdown: ${JSON.stringify(query)}`);
      const spikingNow = status.spiking.some((x) => x.query === q && x.spiking);

      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.getByTestId("nav-listening").click();
      await page.getByTestId("listening-page").waitFor({ state: "visible", timeout: 10_000 });
      assert((await page.getByTestId("nav-listening").getAttribute("aria-current")) === "page", "the header does not mark Listening as the current page");
      await page.getByTestId(`listen-query-${q}`).waitFor({ timeout: 10_000 });
      if (spikingNow) {
        // Spiking now: chosen first, and the list says so in words.
        await waitIn(page, (q) => document.querySelector('[data-testid="listen-query-view"]')?.dataset.query === q, q, 10_000, `the spiking ${q} is shown first`);
        assert((await page.getByTestId(`listen-query-${q}`).getAttribute("data-spiking")) === "true", "the query list does not flag the spiking query");
        assert(/spike now/.test(await page.getByTestId(`listen-query-${q}`).innerText()), "the spiking query does not say so in words");
      } else {
        // The hour turned since: the spike is history; chosen from the list.
        await page.getByTestId(`listen-query-${q}`).locator("a").click();
        console.log("     the spike's hour is over: the query was chosen from the list");
      }
      await waitIn(page, (q) => document.querySelector('[data-testid="listen-query-view"]')?.dataset.query === q && !!document.querySelector('[data-testid="volume-chart"]'), q, 10_000, `${q} is shown with its chart`);
      assert(/Outage chatter about WhatsApp/.test(await page.locator("#listen-query-title").innerText()), "the query is not named in words");
      assert((await page.getByTestId("listen-query-view").innerText()).includes("#whatsappdown"), "the query's terms are not shown");

      // On the chart: the spike's bar rises above its band, with ▲ over it and the count in its title.
      await waitIn(page, (hour) => document.querySelector(`[data-testid="volume-chart"] g.hour[data-hour="${hour}"]`)?.dataset.mark === "spike", spikeHour.hour, 10_000, "the spike's hour is marked as a spike on the chart");
      const drawn = await page.evaluate((hour) => {
        const g = document.querySelector(`[data-testid="volume-chart"] g.hour[data-hour="${hour}"]`);
        const band = document.querySelector(`[data-testid="volume-chart"] rect.band[data-hour="${hour}"]`);
        const bar = g?.querySelector("rect.bar");
        return { posts: Number(bar?.dataset.posts), barTop: Number(bar?.getAttribute("y")), bandTop: Number(band?.getAttribute("y")), sign: g?.querySelector("text.spike-mark")?.textContent ?? "", title: g?.querySelector("title")?.textContent ?? "" };
      }, spikeHour.hour);
      assert(drawn.barTop < drawn.bandTop, `the spike's bar (top ${drawn.barTop}) is not above its band (top ${drawn.bandTop})`);
      assert(drawn.sign === "▲" && /spike/.test(drawn.title) && drawn.title.includes(`${drawn.posts} posts`) && drawn.posts >= spikeHour.posts, `mark ${drawn.sign}, title ${drawn.title}, ${drawn.posts} posts (the server had ${spikeHour.posts})`);
      // The five weeks of usual chatter are drawn as usual hours, within their band.
      const usual = await page.locator('[data-testid="volume-chart"] g.hour[data-mark="usual"]').count();
      assert(usual >= 12, `only ${usual} hours are drawn as usual`);
      const summary = await page.getByTestId("volume-summary").innerText();
      assert(/spike at \d\d:00–\d\d:00: \d+ posts against [\d.]+ expected/.test(summary), `the summary says: ${summary}`);

      // The spike's hour in detail (chosen by default): the evidence, the sentiment in words —
      // mostly annoyed, some pleased with the brand's Telegram link — top terms and shared posts.
      const detail = page.getByTestId("hour-detail");
      assert((await detail.getAttribute("data-hour")) === spikeHour.hour, `the detail shows ${await detail.getAttribute("data-hour")}, not the spike's hour`);
      const evidence = await page.getByTestId("hour-evidence").innerText();
      assert(/\d+ posts in .* against [\d.]+ expected .*weeks/.test(evidence), `the evidence says: ${evidence}`);
      const sentiment = await page.getByTestId("sentiment-hour").innerText();
      const m = /(\d+) % positive, (\d+) % neutral, (\d+) % negative \((\d+) posts\)/.exec(sentiment);
      assert(m && Number(m[3]) > Number(m[1]) && Number(m[1]) > 0, `the hour's sentiment: ${sentiment}`);
      await page.getByTestId("sentiment-chart").waitFor({ timeout: 5000 });
      const parts = await page.locator(`[data-testid="sentiment-chart"] g.sent-hour[data-hour="${spikeHour.hour}"] rect.sent`).evaluateAll((els) => els.map((e) => e.getAttribute("class")));
      assert(parts.includes("sent sent-negative") && parts.includes("sent sent-positive"), `the sentiment chart's spike hour: ${parts}`);
      const terms = await page.locator('[data-testid="top-terms"] li').allInnerTexts();
      assert(terms.length >= 3, `top terms: ${terms}`);
      const links = await page.locator('[data-testid="hour-top-posts"] a').evaluateAll((els) => els.map((a) => a.href));
      assert(links.length >= 1 && links.every((u) => u.startsWith("https://mastodon.example/@")), `the hour's most-shared posts' links: ${links}`);
      assert((await page.locator('[data-testid="top-posts"] li').count()) >= 1, "no most-shared post in the window");
      const spikes = await page.locator('[data-testid="spike-list"] li').evaluateAll((els) => els.map((e) => ({ hour: e.dataset.hour, text: e.textContent })));
      assert(spikes.some((x) => x.hour === spikeHour.hour && /raised/.test(x.text)), `the recent spikes: ${JSON.stringify(spikes)}`);
      assert((await page.locator('[data-testid="latest-posts"] li').count()) >= 1, "the latest posts are not listed");
      // The source that brings it: working.
      assert((await page.getByTestId("listen-source-mastodon").getAttribute("data-health")) === "ok", "the demo's Mastodon is not shown working");
      await page.getByTestId("listen-query-view").scrollIntoViewIfNeeded();
      await shot(page, "84-listening-demo", { fullPage: false });
      await page.getByTestId("sentiment-chart").scrollIntoViewIfNeeded();
      await shot(page, "85-listening-demo-sentiment", { fullPage: false });

      // The keyboard chooses another query: the brand's hashtag, its own address.
      const other = "brand:lifeline-demo:hashtags";
      await page.getByTestId(`listen-query-${other}`).locator("a").focus();
      await page.keyboard.press("Enter");
      await page.waitForURL((u) => u.hash === `#/listening?query=${encodeURIComponent(other)}`, { timeout: 5000 });
      await waitIn(page, (id) => document.querySelector('[data-testid="listen-query-view"]')?.dataset.query === id && !!document.querySelector('[data-testid="volume-chart"]'), other, 10_000, `${other} is shown`);
      assert(/Hashtags of lifeline-demo/.test(await page.locator("#listen-query-title").innerText()), "the query is not named in words");
    },
    { only: "real" },
  );

  t.test(
    "inbox and listening: a phone-sized screen shows both pages without sideways scrolling",
    async ({ page, server }) => {
      if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await waitIn(page, () => window.innerWidth === 390, null, 5000, "the window is phone-sized");
        for (const [hash, testid, name] of [["#/inbox", "inbox-page", "82-inbox-phone"], ["#/listening", "listening-page", "83-listening-phone"]]) {
          await page.evaluate((h) => {
            location.hash = h;
          }, hash);
          await page.getByTestId(testid).waitFor({ state: "visible", timeout: 10_000 });
          await waitIn(page, () => !!document.querySelector('[data-testid="conversation-list"] li.conv, [data-testid="volume-chart"]'), null, 10_000, `${hash} has drawn its content`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert(overflow <= 1, `${hash} is ${overflow} px wider than the screen`);
          await shot(page, name, { fullPage: false });
          if (hash === "#/inbox") {
            // A conversation open, its thread under the list.
            await page.locator('[data-testid="conversation-list"] li.conv a.conv-name').first().click();
            await page.getByTestId("thread-title").waitFor({ timeout: 10_000 });
            const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert(wide <= 1, `a conversation's thread is ${wide} px wider than the screen`);
            await page.getByTestId("thread").scrollIntoViewIfNeeded();
            await shot(page, "82b-inbox-thread-phone", { fullPage: false });
          }
        }
      } finally {
        await page.setViewportSize({ width: 1360, height: 900 });
      }
    },
  );
}
