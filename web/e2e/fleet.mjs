// Browser tests of the Fleet page (#/fleet), against the mock (e2e/mock-fleet.mjs: eu-west
// answering, us-east refusing connections) and the real `lifeline demo` (its two in-process agents,
// both answering). What a user sees: each vantage point with its state in words, "seen x s ago"
// moving on, its latency and version, its own connection; an unreachable one first, with its
// reason and the reminder that it says nothing about a platform; a change arriving live.

import { api, assert, shot, waitIn } from "./harness.mjs";

const stateOf = (page, name) => page.evaluate((n) => document.querySelector(`[data-testid="fleet-point"][data-name="${n}"]`)?.dataset.state ?? "", name);

export function registerFleetTests(t) {
  t.test("fleet: every vantage point with its state, last seen moving on, latency, version and own connection", async ({ page, server, target }) => {
    // The demo's agents answer from its first round on.
    let fleet;
    const deadline = Date.now() + 30_000;
    for (;;) {
      fleet = await api(server, "GET", "/v1/vantage-points");
      if (fleet.vantage_points.some((v) => v.state === "ok") || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const live = fleet.vantage_points.find((v) => v.state === "ok");
    assert(live, `no vantage point answers: ${JSON.stringify(fleet)}`);

    if (!page.url().startsWith(server.base)) await page.goto(`${server.base}/`);
    await page.getByTestId("nav-fleet").click();
    await page.getByTestId("fleet-page").waitFor({ state: "visible", timeout: 10_000 });
    assert((await page.getByTestId("nav-fleet").getAttribute("aria-current")) === "page", "the header does not mark Fleet as the current page");
    assert(await page.locator("main.layout").isHidden(), "the board still shows under the fleet page");
    const item = page.locator(`[data-testid="fleet-point"][data-name="${live.name}"]`);
    await item.waitFor({ timeout: 10_000 });
    assert((await stateOf(page, live.name)) === "ok", `${live.name} is not shown as answering`);
    const text = await item.innerText();
    assert(text.includes("Answering"), `the state is not in words: ${text}`);
    assert(text.includes(live.version), `no version ${live.version}: ${text}`);
    assert(/\d+(\.\d)? ms \(median/.test(text), `no latency with its median: ${text}`);
    assert(text.includes("Its own connection is fine"), `its own connection is not shown: ${text}`);
    if (live.region) assert(text.includes(`region ${live.region}`), `no region: ${text}`);
    // "seen x s ago" moves on between events.
    const seen = item.getByTestId("fleet-seen");
    const first = await seen.innerText();
    assert(/^seen /.test(first), `last seen reads "${first}"`);
    await waitIn(page, ([n, was]) => document.querySelector(`[data-testid="fleet-point"][data-name="${n}"] [data-testid="fleet-seen"]`)?.textContent !== was, [live.name, first], 8000, "the last-seen time moves on");
    const summary = await page.getByTestId("fleet-summary").innerText();
    assert(new RegExp(`of ${fleet.vantage_points.length} vantage points? answering`).test(summary), `summary: ${summary}`);
    await shot(page, `fleet-${target}`);
  });

  t.test(
    "fleet: an unreachable agent comes first with its reason, is said to be no evidence about a platform, and recovers live",
    async ({ page, server }) => {
      if (!page.url().includes("#/fleet")) {
        await page.goto(`${server.base}/#/fleet`);
      }
      await page.getByTestId("fleet-page").waitFor({ state: "visible", timeout: 10_000 });
      await page.locator('[data-testid="fleet-point"][data-name="us-east"]').waitFor({ timeout: 10_000 });
      const order = await page.$$eval('[data-testid="fleet-point"]', (els) => els.map((e) => e.dataset.name));
      assert(order[0] === "us-east", `the unreachable one is not first: ${order}`);
      const dead = page.locator('[data-testid="fleet-point"][data-name="us-east"]');
      assert((await stateOf(page, "us-east")) === "unreachable", "us-east is not shown unreachable");
      const err = await dead.getByTestId("fleet-last-error").innerText();
      assert(err.includes("Failing: connection refused") && err.includes("/v1/probe: connection refused"), `its reason: ${err}`);
      assert((await dead.getByTestId("fleet-seen").innerText()) === "never answered", "an agent that never answered has a last-seen time");
      const summary = page.getByTestId("fleet-summary");
      assert((await summary.innerText()).includes("1 unreachable (us-east)"), `summary: ${await summary.innerText()}`);
      assert((await summary.getAttribute("class")).includes("tone-bad"), "the summary does not stand out");
      const hint = await page.locator("#fleet-page .hint").innerText();
      assert(/never evidence about a platform/.test(hint), `the page does not say what an unreachable agent means: ${hint}`);
      await shot(page, "fleet-unreachable");

      // It comes back: the page follows the live event without a reload.
      await page.evaluate(() => {
        window.__fleetMarker = true;
      });
      await api(server, "POST", "/__mock/fleet", { name: "us-east", state: "ok" });
      await waitIn(page, () => document.querySelector('[data-testid="fleet-point"][data-name="us-east"]')?.dataset.state === "ok", null, 5000, "us-east shows as answering");
      assert(await page.evaluate(() => window.__fleetMarker === true), "the page reloaded instead of following the event");
      const back = await page.locator('[data-testid="fleet-point"][data-name="us-east"]').innerText();
      assert(back.includes("Last failure: connection refused"), `its earlier failure is not kept: ${back}`);
      // And fails again with a TLS verification error.
      await api(server, "POST", "/__mock/fleet", { name: "eu-west", state: "unreachable", kind: "tls_verify", message: "https://127.0.0.1:18443/v1/probe: TLS certificate failure; verified against the default CAs" });
      await waitIn(page, () => document.querySelector('[data-testid="fleet-point"][data-name="eu-west"]')?.dataset.state === "unreachable", null, 5000, "eu-west shows as unreachable");
      const tls = await page.locator('[data-testid="fleet-point"][data-name="eu-west"]').getByTestId("fleet-last-error").innerText();
      assert(tls.includes("TLS: certificate not trusted"), `the TLS reason: ${tls}`);
      await api(server, "POST", "/__mock/fleet", { name: "eu-west", state: "ok" });
      await api(server, "POST", "/__mock/fleet", { name: "us-east", state: "unreachable", kind: "refused", message: "https://127.0.0.1:18444/v1/probe: connection refused" });
    },
    { only: "mock" },
  );
}
