// The live connection to GET /v1/events: reads the stream, reconnects with backoff, and tells the
// page whether it is live so the indicator never claims "live" over a dead connection.

import { authHeaders } from "./api";
import { SseParser, backoffMs, type SseMessage } from "./sse";

export type LiveState = "connecting" | "live" | "reconnecting" | "unauthorized";

export interface LiveHandlers {
  onMessage(m: SseMessage): void;
  onState(state: LiveState, detail: { retryInMs?: number; status?: number }): void;
  // Called on every (re)connection: events may have been missed, the page reloads its data.
  onResync(): void;
}

// The server pings every 15 s; three missed pings mean the connection is dead even if TCP has
// not noticed yet.
const IDLE_LIMIT_MS = 45_000;

export class LiveStream {
  private controller: AbortController | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private everConnected = false;
  private stopped = true;

  constructor(
    private readonly url: string,
    private readonly h: LiveHandlers,
  ) {}

  start(): void {
    this.stop();
    this.stopped = false;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.timer = this.idleTimer = null;
    this.controller?.abort();
    this.controller = null;
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.controller?.abort(), IDLE_LIMIT_MS);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    this.controller = controller;
    this.h.onState(this.everConnected ? "reconnecting" : "connecting", {});
    let status = 0;
    try {
      const res = await fetch(this.url, {
        headers: { Accept: "text/event-stream", ...authHeaders() },
        cache: "no-store",
        signal: controller.signal,
      });
      status = res.status;
      if (res.status === 401 || res.status === 403) {
        this.h.onState("unauthorized", { status });
        this.controller = null;
        return; // waits for a token; the page calls start() again
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.everConnected = true;
      this.attempt = 0;
      this.h.onState("live", { status });
      // Whatever happened before this connection (or while it was down) was not seen live.
      this.h.onResync();
      const parser = new SseParser();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      this.armIdle();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.armIdle();
        for (const m of parser.push(decoder.decode(value, { stream: true }))) this.h.onMessage(m);
      }
    } catch {
      // Refused, reset or aborted by the idle watchdog: all mean "reconnect".
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.stopped || controller !== this.controller) return;
    const delay = backoffMs(this.attempt++);
    this.h.onState("reconnecting", { retryInMs: delay, status });
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
