// Browser tests of the contingency plan's views: the incident console (approve a pending
// approval, acknowledge a task, the report), the plan page with the advisor's chart, and an
// acknowledgement link's page (confirm, then used and forged links). Registered by run.mjs after
// the outbox's tests: they need the WhatsApp incident with its plan response, and end on pages of
// their own. Against a server without the plan's routes they are skipped, saying so.
//
// The mock's plan (e2e/mock-playbook.mjs) mirrors src/playbook: on the WhatsApp outage, an alert
// to acknowledge, two tasks for the community manager, an approval by the superior; team messages
// carry acknowledgement links ("Acknowledge: <base>/ack/<token>").

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS, Skip, api, assert, call, shot, sleep, waitForHash, waitIn } from "./harness.mjs";

// The API as a script sees it: { status, json } without throwing on an error status.
const rowState = (page, id) => page.evaluate((id) => document.querySelector(`[data-testid="assignment-${id}"]`)?.dataset.state ?? null, id);

async function waitRowState(page, id, state, ms, what) {
  await waitIn(page, ([id, state]) => document.querySelector(`[data-testid="assignment-${id}"]`)?.dataset.state === state, [id, state], ms, what);
}

async function phoneFits(page, width, what) {
  await page.setViewportSize({ width, height: 800 });
  await waitIn(page, (w) => window.innerWidth === w, width, 5000, "the window is phone-sized");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `${what} is ${overflow} px wider than a ${width} px screen`);
}

export function registerConsoleTests(t, { outageAfter, outageFor, interval }) {
  let available = null; // whether this server has the plan's routes
  let incident = ""; // the incident whose response the tests act on
  let acknowledged = ""; // the task acknowledged on the console

  async function needPlaybook(server) {
    if (available === null) {
      const r = await call(server, "GET", "/v1/assignments?limit=1");
      available = r.status !== 404;
      if (!available) console.log(`     GET /v1/assignments answered 404 (${r.json?.error?.message ?? r.text.slice(0, 80)}): this server has no contingency plan`);
    }
    if (!available) throw new Skip("the server has no contingency plan routes");
  }

  // The newest open incident whose response waits on an approval, or null.
  async function waitingForApproval(server) {
    const { incidents } = await api(server, "GET", "/v1/incidents?state=open&limit=20");
    for (const inc of incidents ?? []) {
      const r = await call(server, "GET", `/v1/incidents/${inc.id}/response`);
      if (r.status !== 200) continue;
      const approval = r.json.assignments.find((a) => a.kind === "approval" && a.state === "open");
      if (approval) return { inc, resp: r.json, approval };
    }
    return null;
  }

  async function openIncident(page, id) {
    if (await page.getByTestId("incident-view").isVisible()) {
      await page.keyboard.press("Escape");
      await page.getByTestId("incident-view").waitFor({ state: "hidden", timeout: 5000 });
    }
    await page.getByTestId("nav-board").click();
    await page.getByTestId(`incident-${id}`).locator("button").click({ timeout: 10_000 });
    await page.getByTestId("incident-view").waitFor({ state: "visible", timeout: 5000 });
    await page.getByTestId("lifecycle").waitFor({ timeout: 10_000 });
  }

  t.test("the console shows the plan's response; a pending approval stands out and Approve (asking who you are once) lets the plan go on", async ({ page, server }) => {
    await needPlaybook(server);
    if (!page.url().startsWith(server.base)) {
      // Run on its own (E2E_GREP): the board first.
      await page.goto(`${server.base}/`);
      await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 20_000, "the board is live");
    }
    // An open incident with some of its outage left: the approval expires when it closes.
    const left = () => server.startedAt + (outageAfter + outageFor) * 1000 - Date.now();
    let found = await waitingForApproval(server);
    if (!found && left() > 12_000) {
      // The outage is on but its response may not have reached the approval yet.
      const until = Date.now() + Math.min(left() - 8000, (interval * 4 + 15) * 1000);
      while (!found && Date.now() < until) {
        await sleep(500);
        found = await waitingForApproval(server);
      }
    }
    if (!found || left() < 6000) {
      console.log("     no open incident waits on an approval with time to spare: restarting the server for a fresh outage");
      await page.getByTestId("nav-board").click();
      await server.stop();
      await server.restart();
      await waitIn(page, () => document.querySelector('[data-testid="live-indicator"]')?.dataset.state === "live", null, 40_000, "the page is live again");
      const until = server.startedAt + (outageAfter + interval * 4 + 25) * 1000;
      while (!(found = await waitingForApproval(server))) {
        assert(Date.now() < until, "no incident with a response waiting on an approval appeared after the restart");
        await sleep(500);
      }
    }
    incident = found.inc.id;
    const approval = found.approval;
    await page.evaluate(() => localStorage.removeItem("lifeline.by"));
    await openIncident(page, incident);
    await waitForHash(page, (hash) => hash === `#/incident/${incident}`, "the incident view has another URL");

    // The lifecycle: detected is behind, one stage is the current one.
    await waitIn(page, () => !!document.querySelector('[data-testid="lifecycle"] [aria-current="step"]'), null, 5000, "the stepper marks the current stage");
    const stages = await page.evaluate(() => [...document.querySelectorAll('[data-testid="lifecycle"] li')].map((li) => [li.dataset.testid, li.dataset.stageState]));
    assert(stages.length === 6, `the stepper has ${stages.length} stages`);
    assert(stages[0][1] === "done", `detected is ${stages[0][1]}`);
    const serverState = (await api(server, "GET", `/v1/incidents/${incident}/response`)).lifecycle.state;
    const current = await page.getByTestId("lifecycle").getAttribute("data-state");
    assert(current === serverState, `the stepper says ${current}, the server ${serverState}`);
    // The steps, with the approval's step as the current one.
    await waitIn(page, (step) => document.querySelector(`[data-testid="step-${step}"]`)?.getAttribute("aria-current") === "step", approval.step_id, 10_000, `the approval's step ${approval.step_id} is marked current`);
    const now = await page.getByTestId("current-step").innerText();
    assert(/waiting/i.test(now), `the current step line: ${now}`);

    // The pending approval: highlighted, first in the list.
    const row = page.getByTestId(`assignment-${approval.id}`);
    await row.waitFor({ timeout: 5000 });
    const look = await page.evaluate((id) => {
      const el = document.querySelector(`[data-testid="assignment-${id}"]`);
      return { cls: el.className, border: getComputedStyle(el).borderTopColor, first: el.parentElement.firstElementChild === el };
    }, approval.id);
    const [r, g, b] = (look.border.match(/\d+/g) ?? []).map(Number);
    assert(look.cls.includes("pending-approval") && r >= 150 && g < 90 && b < 90, `the approval does not stand out: ${look.cls}, border ${look.border}`);
    assert(look.first, "the pending approval is not first among the assignments");
    await shot(page, "30-console", { fullPage: false });

    // Approve: asked who acts (once), then it goes through.
    await page.getByTestId(`assignment-approve-${approval.id}`).click();
    await page.getByTestId("whoami-dialog").waitFor({ state: "visible", timeout: 5000 });
    await shot(page, "31-console-whoami", { fullPage: false });
    await page.getByTestId("whoami-input").fill("sam");
    await page.getByTestId("whoami-save").click();
    await waitRowState(page, approval.id, "approved", 10_000, `the approval ${approval.id} shows approved`);
    const pill = await page.getByTestId(`assignment-state-${approval.id}`).innerText();
    assert(/approved/i.test(pill), `the approval's state says ${pill}`);
    assert((await page.getByTestId(`assignment-approve-${approval.id}`).count()) === 0, "the approve button is still there");
    const stored = (await api(server, "GET", `/v1/assignments?incident=${incident}`)).assignments.find((a) => a.id === approval.id);
    assert(stored.state === "approved" && stored.ended_by.startsWith("sam"), `the server has the approval ${stored.state} by ${stored.ended_by}`);
    assert((await page.getByTestId("whoami-name").innerText()) === "sam", "the console does not say who you are");
    // The plan went on: the step is done, shown after the console's refresh.
    await waitIn(page, (step) => document.querySelector(`[data-testid="step-${step}"]`)?.dataset.state === "done", approval.step_id, 15_000, "the approval's step shows done");
    await page.getByTestId("console-status").filter({ hasText: "Approved" }).waitFor({ timeout: 5000 });
    await shot(page, "32-console-approved", { fullPage: false });
  });

  t.test("Acknowledge on a task shows it acknowledged, on the server and on the timeline, without asking the name again", async ({ page, server }) => {
    await needPlaybook(server);
    assert(incident, "no incident from the test before");
    const resp = await api(server, "GET", `/v1/incidents/${incident}/response`);
    const task = resp.assignments.find((a) => a.kind === "task" && a.state === "open");
    assert(task, `no open task in the response of ${incident}`);
    const row = page.getByTestId(`assignment-${task.id}`);
    await row.scrollIntoViewIfNeeded();
    await page.getByTestId(`assignment-acknowledge-${task.id}`).click();
    await waitRowState(page, task.id, "acknowledged", 10_000, `the task ${task.id} shows acknowledged`);
    assert(await page.getByTestId("whoami-dialog").isHidden(), "the name was asked again");
    const pill = await page.getByTestId(`assignment-state-${task.id}`).innerText();
    assert(/acknowledged/i.test(pill), `the task's state says ${pill}`);
    // What is left to do with it: Done, and no second Acknowledge.
    assert((await page.getByTestId(`assignment-done-${task.id}`).count()) === 1, "an acknowledged task offers no Done");
    assert((await page.getByTestId(`assignment-acknowledge-${task.id}`).count()) === 0, "an acknowledged task still offers Acknowledge");
    const stored = (await api(server, "GET", `/v1/assignments?incident=${incident}`)).assignments.find((a) => a.id === task.id);
    assert(stored.state === "acknowledged" && stored.acknowledged_by.startsWith("sam"), `the server has the task ${stored.state} by ${stored.acknowledged_by}`);
    acknowledged = task.id;
    // The plan's timeline entries are not pushed live: the console's refresh brings them.
    await waitIn(page, () => !!document.querySelector('[data-testid="timeline"] li[data-type="playbook_acknowledged"]'), null, 15_000, "the timeline shows the acknowledgement");
    await row.scrollIntoViewIfNeeded();
    await shot(page, "33-console-acknowledged", { fullPage: false });
  });

  t.test("the Report button opens the incident report in a new tab; Markdown downloads", async ({ page, server }) => {
    await needPlaybook(server);
    const [tab] = await Promise.all([page.context().waitForEvent("page", { timeout: 10_000 }), page.getByTestId("report-open").click()]);
    try {
      await tab.waitForURL((u) => u.protocol === "blob:", { timeout: 10_000 });
      await tab.waitForLoadState("load");
      const title = await tab.locator("h1").first().innerText({ timeout: 5000 });
      assert(/report/i.test(title), `the new tab shows ${title}`);
      const text = await tab.locator("body").innerText();
      assert(text.includes(incident), "the report does not name the incident");
      await tab.screenshot({ path: join(ARTIFACTS, "34-report.png") });
    } finally {
      await tab.close();
    }
    await page.getByTestId("console-status").filter({ hasText: "new tab" }).waitFor({ timeout: 5000 });
    const [d] = await Promise.all([page.waitForEvent("download", { timeout: 10_000 }), page.getByTestId("report-markdown").click()]);
    assert(/\.md$/.test(d.suggestedFilename()), `the download is named ${d.suggestedFilename()}`);
    const md = await readFile(await d.path(), "utf8");
    // Markdown escapes the id's underscore ("inc\_01..."); a reader sees the id itself.
    const plain = md.replace(/\\([\\`*_{}\[\]()#+\-.!|<>])/g, "$1");
    assert(/^# /.test(md) && plain.includes(incident), `the Markdown report starts: ${md.slice(0, 80)}`);
    // The same document the API serves.
    const served = await fetch(`${server.base}/v1/incidents/${incident}/report?format=md`).then((r) => r.text());
    assert(served.split("\n")[0] === md.split("\n")[0], "the downloaded report is not the server's");
  });

  t.test("the plan page shows roles, team, channels and the advisor's chart, worst first, also on a phone", async ({ page, server }) => {
    await needPlaybook(server);
    const plan = await api(server, "GET", "/v1/plan");
    await page.keyboard.press("Escape");
    await page.getByTestId("incident-view").waitFor({ state: "hidden", timeout: 5000 });
    await page.getByTestId("nav-plan").click();
    await page.getByTestId("plan-page").waitFor({ state: "visible", timeout: 5000 });
    await waitForHash(page, (hash) => hash === "#/plan", "the plan page has no link of its own");
    assert((await page.getByTestId("nav-plan").getAttribute("aria-current")) === "page", "the header does not mark Plan as the current page");
    assert(await page.locator("main.layout").isHidden(), "the board still shows under the plan page");
    await page.locator('[data-testid="advice-chart"] g.bar').first().waitFor({ timeout: 10_000 });
    const shares = await page.evaluate(() => [...document.querySelectorAll('[data-testid="advice-chart"] g.bar')].map((g) => Number(g.dataset.share)));
    assert(shares.length === plan.advice.domains.length, `${shares.length} bars for ${plan.advice.domains.length} failure domains`);
    assert(shares.every((s, i) => i === 0 || shares[i - 1] <= s), `the bars are not worst first: ${shares.join(", ")}`);
    const widths = await page.evaluate(() => [...document.querySelectorAll('[data-testid="advice-chart"] g.bar rect.bar-fill')].map((r) => r.getBoundingClientRect().width));
    assert(widths.length >= 1 && widths.every((w, i) => i === 0 || widths[i - 1] <= w + 0.5), `bar widths do not follow the shares: ${widths.join(", ")}`);
    const worst = [...plan.advice.domains].sort((a, b) => a.share - b.share)[0];
    const headline = await page.getByTestId("advice-headline").innerText();
    assert(headline.startsWith(worst.advice), `the headline says “${headline}”, the advisor “${worst.advice}”`);
    for (const r of plan.roles) {
      const text = await page.getByTestId(`role-${r.name}`).innerText();
      for (const id of r.holders) {
        const name = plan.team.find((p) => p.id === id)?.name ?? id;
        assert(text.includes(name), `role ${r.name} does not name ${name}: ${text}`);
      }
    }
    for (const c of plan.inventory) {
      const text = await page.getByTestId(`inventory-${c.id}`).innerText();
      assert(text.includes(c.name) && (!c.primary || /primary/.test(text)), `the channel row of ${c.id}: ${text}`);
    }
    for (const r of plan.responses) await page.getByTestId(`plan-response-${r.name}`).waitFor({ timeout: 2000 });
    await shot(page, "35-plan");
    await phoneFits(page, 375, "the plan page");
    await shot(page, "36-plan-phone", { fullPage: false });
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  t.test("an acknowledgement link asks to confirm, acknowledges, and a used or forged link says why without a button", async ({ page, server }) => {
    await needPlaybook(server);
    // The links the plan sent to the team for this incident.
    const { messages } = await api(server, "GET", `/v1/outbox?incident=${incident}&limit=200`);
    const links = [];
    for (const m of messages) {
      const text = m.text ?? (await api(server, "GET", `/v1/outbox/${m.id}`)).message.text ?? "";
      for (const match of text.matchAll(/Acknowledge: (\S+\/ack\/(\S+))/g)) links.push({ url: match[1], token: match[2] });
    }
    assert(links.length, `no acknowledgement link in the ${messages.length} messages of ${incident}`);
    let chosen = null;
    for (const l of links) {
      const info = await api(server, "GET", `/v1/ack/${l.token}`);
      if (info.usable && info.assignment.kind === "task" && info.assignment.id !== acknowledged && info.assignment.state === "open") {
        chosen = { ...l, info };
        break;
      }
    }
    assert(chosen, `none of the ${links.length} links is a usable one for another open task`);
    // The person taps the link on a phone.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(chosen.url);
    await page.getByTestId("ack-confirm").waitFor({ timeout: 10_000 });
    assert((await page.getByTestId("ack-task").innerText()) === chosen.info.assignment.title, "the link's page does not name the task");
    assert(/acknowledge/i.test(await page.getByTestId("ack-question").innerText()), "the page does not ask to acknowledge");
    assert(await page.locator("main.layout").isHidden(), "the board shows under the link's page");
    assert(await page.getByTestId("notice").isHidden(), "the link's page shows a notice (a token asked for?)");
    await phoneFits(page, 375, "the link's page");
    await shot(page, "37-ack-confirm", { fullPage: false });
    // Opening the page did nothing yet.
    assert((await api(server, "GET", `/v1/ack/${chosen.token}`)).usable, "opening the link's page used it");
    await page.getByTestId("ack-confirm").click();
    await page.getByTestId("ack-done").waitFor({ timeout: 10_000 });
    assert((await page.getByTestId("ack-done").getAttribute("data-state")) === "acknowledged", "the page does not say acknowledged");
    const stored = (await api(server, "GET", `/v1/assignments?incident=${incident}`)).assignments.find((a) => a.id === chosen.info.assignment.id);
    assert(stored.state === "acknowledged", `the server has the task ${stored.state}`);
    await shot(page, "38-ack-done", { fullPage: false });

    // The same link again: used.
    await page.reload();
    await page.getByTestId("ack-problem").waitFor({ timeout: 10_000 });
    const used = await page.getByTestId("ack-message").innerText();
    assert(/already used/i.test(used), `a used link says: ${used}`);
    assert((await page.getByTestId("ack-confirm").count()) === 0, "a used link still offers the button");
    await shot(page, "39-ack-used", { fullPage: false });

    // A forged one, inside the dashboard's address.
    await page.goto(`${server.base}/#/ack/forged-${Date.now()}.not-a-mac`);
    await page.getByTestId("ack-problem").waitFor({ timeout: 10_000 });
    const forged = await page.getByTestId("ack-message").innerText();
    assert(/not one Lifeline issued|not valid/i.test(forged), `a forged link says: ${forged}`);
    assert((await page.getByTestId("ack-confirm").count()) === 0, "a forged link offers the button");
    await shot(page, "40-ack-forged", { fullPage: false });
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  t.test(
    "without a loaded plan the plan page says so",
    async ({ page, server }) => {
      await needPlaybook(server);
      await api(server, "POST", "/__mock/plan", { loaded: false });
      try {
        await page.goto(`${server.base}/#/plan`);
        await page.getByTestId("plan-none").waitFor({ timeout: 10_000 });
        const text = await page.getByTestId("plan-none").innerText();
        assert(/No contingency plan is loaded \(see docs\/playbook\.md\)/.test(text), `the page says: ${text}`);
      } finally {
        await api(server, "POST", "/__mock/plan", { loaded: true });
      }
    },
    { only: "mock" },
  );

  t.test("after the restoration the lifecycle reaches resolved, and Mark reviewed completes it", async ({ page, server }) => {
    await needPlaybook(server);
    const plan = await api(server, "GET", "/v1/plan");
    const window = Math.max(0, ...plan.responses.map((r) => r.after_restoration.monitor_window_s));
    if (window > 60) throw new Skip(`the plan monitors for ${window} s after the restoration: too long to wait for`);
    await page.goto(`${server.base}/#/incident/${incident}`);
    await page.getByTestId("incident-view").waitFor({ state: "visible", timeout: 15_000 });
    await page.getByTestId("lifecycle").waitFor({ timeout: 10_000 });
    const by = server.startedAt + (outageAfter + outageFor + interval * 6 + window + 30) * 1000;
    await waitIn(page, () => document.querySelector('[data-testid="lifecycle"]')?.dataset.state === "resolved", null, by - Date.now(), "the stepper shows resolved");
    const stages = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid="lifecycle"] li')].map((li) => [li.dataset.testid, li.dataset.stageState])));
    assert(stages["stage-monitoring"] === "done" && stages["stage-resolved"] === "current", `stages: ${JSON.stringify(stages)}`);
    const when = await page.getByTestId("stage-monitoring").innerText();
    assert(/\d\d:\d\d:\d\d/.test(when), `the monitoring stage says no time: ${when}`);
    await page.getByTestId("mark-reviewed").click();
    await waitIn(page, () => document.querySelector('[data-testid="lifecycle"]')?.dataset.state === "reviewed", null, 10_000, "the stepper shows reviewed");
    assert((await page.getByTestId("stage-reviewed").getAttribute("aria-current")) === "step", "reviewed is not the current stage");
    assert((await page.getByTestId("mark-reviewed").count()) === 0, "Mark reviewed is still offered");
    const lc = (await api(server, "GET", `/v1/incidents/${incident}/response`)).lifecycle;
    assert(lc.state === "reviewed" && lc.transitions.at(-1).by.startsWith("sam"), `the server has ${lc.state} by ${lc.transitions.at(-1).by}`);
    await shot(page, "41-console-reviewed", { fullPage: false });
    await phoneFits(page, 375, "the incident console");
    await shot(page, "42-console-phone", { fullPage: false });
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  t.test("the plan's pages raised no script error and asked nothing outside", async (ctx) => {
    assert(ctx.external.length === 0, `requests outside the server's origin: ${ctx.external.slice(0, 5).join(", ")}`);
    assert(ctx.pageErrors.length === 0, `uncaught errors in the page: ${ctx.pageErrors.slice(0, 3).join(" | ")}`);
  });
}
