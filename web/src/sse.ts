// Server-sent events over fetch(): unlike EventSource, fetch can send the Bearer token that a
// server with anonymous access turned off requires. The parser follows the HTML SSE rules.

export interface SseMessage {
  event: string;
  data: string;
  id: string;
}

// Incremental parser: feed it text chunks as they arrive, get whole messages back.
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id = "";
  // Set by a `retry:` field: the server's preferred reconnection delay in ms.
  retry: number | null = null;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (m[0] === "\r" && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.data.length) out.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return; // comment: the server's keep-alive ping
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }
}

// Reconnection delay after `attempt` consecutive failures: 1 s doubling to 30 s, with jitter so a
// restarted server is not hit by every open dashboard at the same instant.
export function backoffMs(attempt: number, random: number = Math.random()): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + 0.5 * random));
}
