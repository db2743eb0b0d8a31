import { describe, expect, it } from "vitest";
import { SseParser, backoffMs } from "./sse";

describe("SseParser", () => {
  it("parses named events and skips comments (pings)", () => {
    const p = new SseParser();
    const out = p.push(': ping\n\nevent: platform\ndata: {"platform":"x"}\n\n');
    expect(out).toEqual([{ event: "platform", data: '{"platform":"x"}', id: "" }]);
  });

  it("joins events split across chunks at any byte", () => {
    const text = 'event: incident\ndata: {"id":"inc_1"}\n\nevent: platform\ndata: {"a":1}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(out.map((m) => m.event)).toEqual(["incident", "platform"]);
    }
  });

  it("accepts CRLF and CR line ends, multi-line data, id and retry", () => {
    const p = new SseParser();
    // The last lone CR could be half of a CRLF: it completes with the next chunk.
    const out = [...p.push("id: 7\r\nretry: 3000\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\ndata:c\r\r"), ...p.push("\n")];
    expect(out).toEqual([
      { event: "x", data: "a\nb", id: "7" },
      { event: "message", data: "c", id: "7" },
    ]);
    expect(p.retry).toBe(3000);
  });

  it("waits when a chunk ends between CR and LF", () => {
    const p = new SseParser();
    expect(p.push("data: x\r")).toEqual([]);
    expect(p.push("\n\r\n")).toEqual([{ event: "message", data: "x", id: "" }]);
  });

  it("dispatches nothing for an event without data", () => {
    expect(new SseParser().push("event: platform\n\n")).toEqual([]);
  });
});

describe("backoffMs", () => {
  it("doubles from about a second up to thirty, with jitter", () => {
    expect(backoffMs(0, 0.5)).toBe(1000);
    expect(backoffMs(1, 0.5)).toBe(2000);
    expect(backoffMs(3, 0.5)).toBe(8000);
    expect(backoffMs(20, 0.5)).toBe(30000);
    expect(backoffMs(0, 0)).toBe(750);
    expect(backoffMs(0, 1)).toBe(1250);
  });
});
