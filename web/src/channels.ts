// Channel health on the board: one chip per relay channel (GET /v1/channels), red with its reason
// when the circuit is open. Refreshed on relay and incident events and every 10 s; hidden when the
// server has no channels (or no relay at all).

import { relayApi } from "./api";
import { h, relTime } from "./dom";
import { formatRelative } from "./format";
import { circuitLook, kindLabel, sortChannels } from "./relay";
import type { ChannelHealth } from "./types";

let channels: ChannelHealth[] = [];
const listeners: (() => void)[] = [];

export function knownChannels(): ChannelHealth[] {
  return channels;
}

// Called after every successful refresh (the outbox page's channel filter follows the list).
export function onChannelsChanged(fn: () => void): void {
  listeners.push(fn);
}

let inflight = false;
let again = false;
let timer: ReturnType<typeof setTimeout> | null = null;

export async function refreshChannels(): Promise<void> {
  if (inflight) {
    again = true; // one more round once this one is answered: it may predate the change
    return;
  }
  inflight = true;
  try {
    const body = await relayApi.channels();
    channels = body.channels ?? [];
    render();
    for (const fn of listeners) fn();
  } catch {
    // No relay on this server (404), no token yet (401), or down: the strip has nothing to say;
    // the board's own notice already reports a server that does not answer.
    channels = [];
    render();
  } finally {
    inflight = false;
    if (again) {
      again = false;
      void refreshChannels();
    }
  }
}

// Coalesces bursts of live events into one request.
export function scheduleChannelRefresh(delayMs = 300): void {
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    void refreshChannels();
  }, delayMs);
}

export function startChannelStrip(): void {
  void refreshChannels();
  setInterval(() => {
    if (!document.hidden) void refreshChannels();
  }, 10_000);
}

function render(): void {
  const section = document.getElementById("channels");
  const list = document.getElementById("channel-chips");
  if (!section || !list) return;
  section.hidden = channels.length === 0;
  if (!channels.length) {
    list.replaceChildren();
    delete list.dataset.key;
    return;
  }
  const now = Date.now();
  const key = JSON.stringify(channels.map((c) => [c.name, c.circuit, c.circuit_reason, c.consecutive_failures, c.paused_until, c.open_since]));
  // Unchanged channels keep their elements (and a keyboard user's focus).
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-channel]")?.dataset.channel;
  list.replaceChildren(
    ...sortChannels(channels).map((c) => {
      const look = circuitLook(c, now);
      const kind = [kindLabel(c.kind), c.domain && c.domain !== c.kind ? c.domain : ""].filter(Boolean).join(" · ");
      return h("li", { class: `chip tone-${look.tone}`, "data-testid": `channel-${c.name}`, "data-circuit": c.circuit },
        h("a", { href: `#/outbox?channel=${encodeURIComponent(c.name)}`, class: "chip-link", "data-channel": c.name, title: `${c.name}: ${look.text}. Open its messages in the outbox.` },
          h("span", { class: "chip-icon", "aria-hidden": "true" }, look.icon),
          h("span", { class: "chip-name" }, c.name),
          kind ? h("span", { class: "chip-kind" }, kind) : null),
        h("span", { class: "chip-state", "data-testid": `channel-state-${c.name}` }, look.text,
          c.circuit === "open" && c.open_since ? h("span", { class: "chip-since" }, " · ", relTime(c.open_since, formatRelative(c.open_since, now), "opened ")) : null));
    }),
  );
  if (focused) list.querySelector<HTMLElement>(`[data-channel="${CSS.escape(focused)}"]`)?.focus();
}
