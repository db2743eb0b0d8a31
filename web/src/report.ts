// The public crowd-report form: "Having trouble with X?". Anyone may send one report per platform
// per hour; the outcome is said in plain words.

import { app, platformName } from "./app";
import { api, ApiError } from "./api";
import { byId, h } from "./dom";
import { REPORT_KINDS } from "./format";
import type { ReportAccepted } from "./types";

export type ReportOutcome = { kind: "accepted" | "duplicate" | "error"; text: string };

// Pure: what to tell the person after the server answered (201, 429 or an error).
export function reportOutcome(name: string, result: ReportAccepted | ApiError): ReportOutcome {
  if (!(result instanceof ApiError)) {
    const n = result.reports_last_hour;
    const count = `${n} report${n === 1 ? "" : "s"} about ${name} in the last hour`;
    const flag = result.flagged ? ` — far more than usual, so ${name} is flagged as a likely outage` : "";
    return { kind: "accepted", text: `Thank you — your report is recorded. ${count}${flag}.` };
  }
  if (result.status === 429) {
    return { kind: "duplicate", text: `You already reported ${name} in the last hour, and that report still counts. You can report it again after an hour.` };
  }
  if (result.status === 0) return { kind: "error", text: "Lifeline is not answering right now; please try again in a moment." };
  return { kind: "error", text: `The report was not accepted: ${result.message}` };
}

export function initReportForm(): void {
  const kind = byId<HTMLSelectElement>("report-kind");
  for (const k of REPORT_KINDS) kind.appendChild(h("option", { value: k.id }, k.label));
  const sel = byId<HTMLSelectElement>("report-platform");
  sel.addEventListener("change", updateTitle);
  byId<HTMLFormElement>("report-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });
}

function updateTitle(): void {
  const sel = byId<HTMLSelectElement>("report-platform");
  byId("report-title").textContent = sel.value ? `Having trouble with ${platformName(sel.value)}?` : "Having trouble with a platform?";
}

// Keeps the choice when the platform list is reloaded.
export function fillReportPlatforms(): void {
  const sel = byId<HTMLSelectElement>("report-platform");
  const chosen = sel.value;
  const views = [...app.state.platforms.values()].sort((a, b) => a.name.localeCompare(b.name));
  sel.replaceChildren(h("option", { value: "" }, "Choose a platform…"), ...views.map((p) => h("option", { value: p.platform }, p.name)));
  if (chosen && app.state.platforms.has(chosen)) sel.value = chosen;
  updateTitle();
}

async function submit(): Promise<void> {
  const sel = byId<HTMLSelectElement>("report-platform");
  const kind = byId<HTMLSelectElement>("report-kind").value;
  const out = byId("report-outcome");
  const button = byId<HTMLButtonElement>("report-form").querySelector("button[type=submit]") as HTMLButtonElement;
  if (!sel.value) {
    out.dataset.outcome = "error";
    out.textContent = "Choose the platform that gives you trouble first.";
    sel.focus();
    return;
  }
  const name = platformName(sel.value);
  button.disabled = true;
  out.dataset.outcome = "sending";
  out.textContent = "Sending…";
  let o: ReportOutcome;
  try {
    o = reportOutcome(name, await api.report(sel.value, kind));
  } catch (e) {
    o = reportOutcome(name, e instanceof ApiError ? e : new ApiError(0, "unknown", String(e)));
  }
  out.dataset.outcome = o.kind;
  out.textContent = o.text;
  button.disabled = false;
}
