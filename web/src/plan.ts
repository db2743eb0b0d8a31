// The plan page (#/plan): the contingency plan as loaded by the server (GET /v1/plan) — the
// advisor's figures as a chart (how much of the audience each failure domain leaves reachable,
// worst first), roles and who holds them, the team with working hours, the channel inventory,
// escalation policies and the responses with their triggers and steps.

import "./playbook.css";
import { ApiError, playbookApi } from "./api";
import { openTokenDialog, tokenProblem } from "./app";
import { fill, h } from "./dom";
import { formatDuration, humanize } from "./format";
import {
  advisorBars,
  advisorGeometry,
  advisorHeadline,
  COMFORTABLE_SHARE,
  describeStep,
  escalationText,
  formatAudience,
  hoursText,
  triggerText,
  type AdvisorBar,
} from "./playbook";
import type { Plan, PlanStep } from "./types";
import { suggestNames } from "./whoami";

const page = { visible: false, plan: null as Plan | null, missing: false, error: "", needsToken: false, loadedAt: 0, gen: 0 };

export function initPlan(): void {
  const main = h("main", { id: "plan-page", class: "plan-page", "data-testid": "plan-page", "aria-labelledby": "plan-title", hidden: true },
    h("div", { class: "outbox-head" },
      h("h2", { id: "plan-title", tabindex: "-1" }, "Contingency plan"),
      h("p", { class: "hint" }, "Who does what when a platform fails, written calmly in advance: Lifeline runs it when an incident matches a response's trigger.")),
    h("div", { id: "plan-body", "data-testid": "plan-body" }, h("p", { class: "muted" }, "Loading the plan…")));
  const anchor = document.getElementById("outbox-page") ?? document.querySelector("main.layout");
  anchor?.after(main);
}

// Shown or hidden by main.ts's routing.
export function showPlan(show: boolean): void {
  const el = document.getElementById("plan-page");
  if (!el) return;
  const was = page.visible;
  page.visible = show;
  el.hidden = !show;
  if (show && !was) {
    document.title = "Plan — Lifeline";
    document.getElementById("plan-title")?.focus();
    if (!page.plan || Date.now() - page.loadedAt > 30_000) void load();
    else render();
  }
}

export function reloadPlan(): void {
  if (page.visible) void load();
}

async function load(): Promise<void> {
  const gen = ++page.gen;
  try {
    const plan = await playbookApi.plan();
    if (gen !== page.gen) return;
    page.plan = plan;
    page.missing = false;
    page.error = "";
    page.loadedAt = Date.now();
    suggestNames(plan.team ?? []);
  } catch (e) {
    if (gen !== page.gen) return;
    const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
    page.plan = null;
    page.missing = err.status === 404;
    page.needsToken = err.needsToken;
    page.error = err.needsToken ? tokenProblem(err, "The plan") : err.message;
  }
  render();
}

function render(): void {
  const body = document.getElementById("plan-body");
  if (!body) return;
  const p = page.plan;
  if (!p) {
    if (page.missing) {
      fill(body, h("p", { class: "notice-inline", "data-testid": "plan-none" }, "No contingency plan is loaded (see docs/playbook.md)."));
    } else if (page.error) {
      fill(body, h("p", { class: "msg-error", "data-testid": "plan-error" }, `Could not load the plan: ${page.error}`, " ",
        page.needsToken ? h("button", { type: "button", class: "linkish", onclick: () => openTokenDialog(page.error) }, "Enter an API token")
          : h("button", { type: "button", class: "linkish", onclick: () => void load() }, "Retry")));
    } else {
      fill(body, h("p", { class: "muted" }, "Loading the plan…"));
    }
    return;
  }
  fill(body,
    p.name ? h("p", { class: "plan-name", "data-testid": "plan-name" }, p.name) : null,
    advisorSection(p),
    rolesSection(p),
    teamSection(p),
    inventorySection(p),
    escalationSection(p),
    responsesSection(p));
}

// ---- the advisor -----------------------------------------------------------------------------

function advisorSection(p: Plan): HTMLElement {
  const domains = advisorBars(p.advice?.domains ?? []);
  const platforms = advisorBars(p.advice?.platforms ?? []);
  const worst = domains[0];
  return h("section", { class: "panel", "aria-labelledby": "advice-title", "data-testid": "plan-advice" },
    h("h3", { id: "advice-title" }, "If a failure domain goes down"),
    h("p", { class: `advice-line tone-${worst?.tone ?? "ok"}`, "data-testid": "advice-headline" }, advisorHeadline(domains)),
    h("p", { class: "hint" }, `The share of the audience (${formatAudience(p.advice?.total ?? 0)} followers, summed per channel) still reachable when everything one owner runs fails at once. Below ${Math.round(COMFORTABLE_SHARE * 100)} % the advice names channels to add.`),
    domains.length ? advisorChart(domains, "advice-chart", "Audience reachable when each failure domain fails, worst first", true) : h("p", { class: "muted" }, "No inventory channel rides on a failure domain."),
    (p.advice?.notes ?? []).length ? h("ul", { class: "advice-notes" }, p.advice.notes.map((n) => h("li", {}, n))) : null,
    platforms.length ? h("details", { class: "advice-platforms" },
      h("summary", {}, "Per platform"),
      advisorChart(platforms, "advice-chart-platforms", "Audience reachable when each platform fails, worst first")) : null);
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Horizontal bars, one per failure domain: its name and share above a bar against a 100 % track,
// with the comfortable share marked. Widths in percent: crisp at 375 px and at 1300 px alike.
// `headlined`: the worst bar's advice is already the section's headline.
function advisorChart(bars: AdvisorBar[], testid: string, label: string, headlined = false): HTMLElement {
  const { rows, height } = advisorGeometry(bars);
  const chart = svg("svg", { class: "advice-chart", width: "100%", height, role: "img", "aria-label": label, "data-testid": testid });
  chart.appendChild(svg("title", {}, label));
  for (const r of rows) {
    const g = svg("g", { class: `bar tone-${r.bar.tone}`, "data-testid": `advice-bar-${r.bar.id}`, "data-share": r.bar.share.toFixed(4) });
    g.appendChild(svg("title", {}, r.bar.advice || `${r.bar.name}: ${r.bar.percent}% reachable`));
    g.appendChild(svg("text", { x: 0, y: r.labelY, class: "bar-name" }, r.bar.name));
    g.appendChild(svg("text", { x: "100%", y: r.labelY, "text-anchor": "end", class: "bar-value" }, `${r.bar.percent}% · ${formatAudience(r.bar.reachable)}`));
    g.appendChild(svg("rect", { x: 0, y: r.barY, width: "100%", height: r.barH, rx: 3, class: "bar-track" }));
    if (r.widthPct > 0) g.appendChild(svg("rect", { x: 0, y: r.barY, width: `${r.widthPct}%`, height: r.barH, rx: 3, class: "bar-fill" }));
    chart.appendChild(g);
  }
  const x = `${COMFORTABLE_SHARE * 100}%`;
  chart.appendChild(svg("line", { x1: x, x2: x, y1: 0, y2: height, class: "bar-mark" }));
  // The same figures as text, for screen readers and for copying.
  const table = h("div", { class: "sr-only" }, h("table", {},
    h("caption", {}, label),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Fails"), h("th", { scope: "col" }, "Reachable"), h("th", { scope: "col" }, "Advice"))),
    h("tbody", {}, bars.map((b) => h("tr", {}, h("th", { scope: "row" }, b.name), h("td", {}, `${b.percent}% (${formatAudience(b.reachable)} of ${formatAudience(b.total)})`), h("td", {}, b.advice))))));
  const advice = bars.filter((b, i) => b.tone !== "ok" && b.advice && !(headlined && i === 0));
  return h("figure", { class: "advice-figure" },
    chart,
    table,
    advice.length ? h("figcaption", {}, h("ul", { class: "advice-list" }, advice.map((b) => h("li", { class: `tone-${b.tone}` }, b.advice)))) : null);
}

// ---- the plan's parts ------------------------------------------------------------------------

function personName(p: Plan, id: string): string {
  return p.team.find((x) => x.id === id)?.name ?? id;
}

function rolesSection(p: Plan): HTMLElement {
  return h("section", { class: "panel", "aria-labelledby": "roles-title", "data-testid": "plan-roles" },
    h("h3", { id: "roles-title" }, "Roles"),
    p.roles.length ? h("dl", { class: "facts-grid" },
      p.roles.flatMap((r) => [
        h("dt", {}, humanize(r.name), r.name === p.on_call ? h("span", { class: "pill tone-local" }, "on call") : null),
        h("dd", { "data-testid": `role-${r.name}` },
          r.description ? h("span", { class: "muted" }, r.description) : null,
          h("span", { class: "holders" }, r.holders.length ? r.holders.map((id) => personName(p, id)).join(", ") : h("strong", { class: "bad-text" }, "nobody holds this role"))),
      ])) : h("p", { class: "muted" }, "No roles."));
}

function teamSection(p: Plan): HTMLElement {
  return h("section", { class: "panel", "aria-labelledby": "team-title", "data-testid": "plan-team" },
    h("h3", { id: "team-title" }, "Team"),
    h("ul", { class: "cards" },
      p.team.map((person) => h("li", { class: "card", "data-testid": `person-${person.id}` },
        h("p", { class: "card-title" }, person.name || person.id, person.name && person.name !== person.id ? h("span", { class: "muted small" }, ` (${person.id})`) : null),
        h("p", { class: "small" }, person.roles.map((r) => humanize(r).toLowerCase()).join(", ") || "no role"),
        h("p", { class: "small muted" }, h("span", { "aria-hidden": "true" }, "◷ "), hoursText(person)),
        person.contact && person.contact !== person.id ? h("p", { class: "small muted" }, `contact ${person.contact}`) : null))));
}

function inventorySection(p: Plan): HTMLElement {
  const name = (id: string) => p.inventory.find((c) => c.id === id)?.name ?? id;
  return h("section", { class: "panel", "aria-labelledby": "inventory-title", "data-testid": "plan-inventory" },
    h("h3", { id: "inventory-title" }, "Channels to the audience"),
    h("div", { class: "table-wrap" },
      h("table", { class: "probes plan-table" },
        h("thead", {}, h("tr", {}, ["Channel", "Audience", "Backup", "Link"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {},
          p.inventory.map((c) => h("tr", { "data-testid": `inventory-${c.id}` },
            h("td", {},
              h("strong", {}, c.name || c.id),
              c.primary ? [" ", h("span", { class: "pill tone-warn", title: "Customers write here most" }, "★ primary")] : null,
              h("span", { class: "small muted block" }, [c.platform ? `on ${c.platform}` : c.channel ? `through ${c.channel}` : "", c.domain ? `(${c.domain})` : ""].filter(Boolean).join(" "))),
            h("td", { class: "num" }, formatAudience(c.audience)),
            h("td", {}, c.backup ? name(c.backup) : h("span", { class: "muted" }, "—")),
            h("td", { class: "target" }, c.link ? h("a", { href: c.link, target: "_blank", rel: "noopener noreferrer" }, c.link.replace(/^https?:\/\//, "")) : h("span", { class: "muted" }, "—"))))))));
}

function escalationSection(p: Plan): HTMLElement {
  return h("section", { class: "panel", "aria-labelledby": "escalation-title", "data-testid": "plan-escalation" },
    h("h3", { id: "escalation-title" }, "Escalation"),
    p.escalation.length ? h("dl", { class: "facts-grid" },
      p.escalation.flatMap((e) => [h("dt", {}, e.name), h("dd", { "data-testid": `policy-${e.name}` }, escalationText(e.after_s, e.to, e.repeat))]))
      : h("p", { class: "muted" }, "No escalation policies: nobody is chased when an alert goes unanswered."));
}

function stepsList(steps: PlanStep[]): HTMLElement {
  return h("ol", { class: "plan-steps" },
    steps.map((s) => h("li", { "data-testid": `plan-step-${s.id}` },
      describeStep(s),
      s.on_error && s.on_error !== "continue" ? h("span", { class: "muted small" }, ` · on error: ${s.on_error}`) : null,
      s.kind === "parallel" && s.steps ? stepsList(s.steps) : null)));
}

function responsesSection(p: Plan): HTMLElement {
  return h("section", { class: "panel", "aria-labelledby": "responses-title", "data-testid": "plan-responses" },
    h("h3", { id: "responses-title" }, "Responses"),
    p.responses.map((r) => h("article", { class: "plan-response", "data-testid": `plan-response-${r.name}` },
      h("h4", {}, r.name),
      r.description ? h("p", { class: "muted" }, r.description) : null,
      h("p", {}, h("span", { class: "label" }, "When "), triggerText(r.trigger)),
      r.escalation ? h("p", { class: "small muted" }, `Escalation: ${r.escalation}`) : null,
      stepsList(r.steps),
      r.after_restoration.checklist.length || r.after_restoration.monitor_window_s
        ? h("div", { class: "after" },
          h("p", {}, h("span", { class: "label" }, "After restoration "),
            r.after_restoration.monitor_window_s ? `monitor for ${formatDuration(r.after_restoration.monitor_window_s)}${r.after_restoration.probe_interval_s ? `, probing every ${formatDuration(r.after_restoration.probe_interval_s)}` : ""}` : "no monitoring window"),
          r.after_restoration.checklist.length ? h("ul", {}, r.after_restoration.checklist.map((c) => h("li", {}, `${c.title} (${humanize(c.role).toLowerCase()})`))) : null)
        : null)));
}
