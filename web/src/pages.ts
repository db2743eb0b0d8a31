// Which page an address shows, and the header's page links. The board is home; the outbox, the
// ads, the calendar, the inbox, listening, the fleet of vantage points, the plan, the device check
// and an acknowledgement link each replace it (the header stays).

import { ackTokenFrom } from "./playbook";

export type Page = "board" | "outbox" | "ads" | "calendar" | "inbox" | "listening" | "fleet" | "plan" | "device" | "ack";

export function pageFor(loc: { hash: string; pathname: string }): Page {
  if (ackTokenFrom(loc)) return "ack";
  if (/^#\/outbox(?:[/?]|$)/.test(loc.hash)) return "outbox";
  if (/^#\/ads(?:[/?]|$)/.test(loc.hash)) return "ads";
  if (/^#\/calendar(?:[/?]|$)/.test(loc.hash)) return "calendar";
  if (/^#\/inbox(?:[/?]|$)/.test(loc.hash)) return "inbox";
  if (/^#\/listening(?:[/?]|$)/.test(loc.hash)) return "listening";
  if (/^#\/fleet(?:[/?]|$)/.test(loc.hash)) return "fleet";
  if (/^#\/plan(?:[/?]|$)/.test(loc.hash)) return "plan";
  if (/^#\/device(?:[/?]|$)/.test(loc.hash)) return "device";
  return "board";
}

// Marks the header link of `page` as the current one.
export function markNav(page: Page): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    if (a.dataset.nav === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}
