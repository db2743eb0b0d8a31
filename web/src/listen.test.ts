import { describe, expect, it } from "vitest";
import {
  bandText,
  chartGeometry,
  chartMax,
  defaultHour,
  hourLabel,
  hourMark,
  liveListening,
  niceMax,
  parseListeningHash,
  pickQuery,
  polarityOf,
  queryLabel,
  safeUrl,
  sentimentText,
  sortSources,
  sourceProblems,
  topPostsOf,
  untilText,
  volumeSummary,
  type ListenHour,
  type ListenSource,
  type TopPost,
} from "./listen";
import { pageFor } from "./pages";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function hour(i: number, over: Partial<ListenHour> = {}): ListenHour {
  return {
    hour: iso(T0 + i * 3600_000), complete: true, posts: 5, usual: 5, expected: 5, band: { low: 3, high: 7 }, weeks: [5, 3, 7, 5], p_value: 0.5,
    unusual: false, reason: "not_significant", spike: null,
    sentiment: { positive: 1, neutral: 3, negative: 1, positive_share: 0.2, neutral_share: 0.6, negative_share: 0.2, mean_compound: 0 },
    top_terms: [], top_posts: [], ...over,
  };
}

function source(name: string, health: string, over: Partial<ListenSource> = {}): ListenSource {
  return { name, kind: name, interval_ms: 120_000, health, terms: [], ...over };
}

const spikeRow = (h: string) => ({ query: "chatter:whatsapp", platform: "whatsapp", hour: h, judged_at: h, fraction: 1, observed: 57, expected: 5, usual: 5, weeks: [5], p_value: 1e-20, run: 2, spiking: true, fired: true, reason: "spike", evidence: "57 posts ..." });

describe("hours and the band", () => {
  it("marks a spike, an unusual hour, one above the band, and an hour without data", () => {
    expect(hourMark(hour(0, { posts: 57, unusual: true, spike: spikeRow(iso(T0)) }))).toBe("spike");
    expect(hourMark(hour(0, { posts: 40, unusual: true }))).toBe("unusual");
    expect(hourMark(hour(0, { posts: 9 }))).toBe("above");
    expect(hourMark(hour(0, { posts: 7 }))).toBe("usual");
    expect(hourMark(hour(0, { posts: null }))).toBe("no_data");
    expect(hourMark(hour(0, { band: null }))).toBe("no_history");
  });

  it("scales the chart to the highest count, band edge or expectation, rounded up", () => {
    expect(niceMax(57)).toBe(100);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(0)).toBe(1);
    expect(chartMax([hour(0, { posts: 57 }), hour(1)])).toBe(100);
    expect(chartMax([hour(0, { posts: 1, band: { low: 0, high: 12 } })])).toBe(20);
    expect(chartMax([hour(0, { posts: 0, band: null, expected: null })])).toBe(5); // never flat
    const g = chartGeometry([hour(0, { posts: 50 }), hour(1)], 200, 100, 0, 0, 0, 0);
    expect(g.max).toBe(50);
    expect(g.y(50)).toBe(0);
    expect(g.y(0)).toBe(100);
    expect(g.x(1)).toBe(100);
    // A spike's bar rises above its band's top.
    expect(g.y(50)).toBeLessThan(g.y(7));
  });

  it("sums the window up in words", () => {
    const hours = [hour(0), hour(1, { posts: null }), hour(2, { posts: 57, unusual: true, spike: spikeRow(iso(T0 + 2 * 3600_000)) })];
    const s = volumeSummary(hours);
    expect(s).toMatch(/^Last 3 hours: 62 posts; 1 without data; 1 hour above the usual band; spike at \d\d:00–\d\d:00: 57 posts against 5 expected\.$/);
    expect(volumeSummary([])).toBe("No hours to show.");
    expect(bandText(hour(0))).toBe("usually 3–7 (median 5)");
    expect(bandText(hour(0, { band: null }))).toBe("");
    expect(hourLabel("2026-11-27T10:00:00Z")).toMatch(/^\d\d:00–\d\d:00$/);
  });

  it("shows the latest spike's hour by default, else the latest with posts", () => {
    const hours = [hour(0, { posts: 57, spike: spikeRow(iso(T0)) }), hour(1, { posts: 3 }), hour(2, { posts: 0 })];
    expect(defaultHour(hours)).toBe(iso(T0));
    expect(defaultHour(hours.slice(1))).toBe(iso(T0 + 3600_000));
    expect(defaultHour([])).toBe("");
  });
});

describe("sentiment and posts", () => {
  it("reads shares in words", () => {
    expect(sentimentText(hour(0).sentiment)).toBe("20 % positive, 60 % neutral, 20 % negative (5 posts)");
    expect(sentimentText({ positive: 0, neutral: 0, negative: 0, positive_share: 0, neutral_share: 0, negative_share: 0, mean_compound: 0 })).toBe("no posts");
    expect(polarityOf(0.05)).toBe("positive");
    expect(polarityOf(-0.05)).toBe("negative");
    expect(polarityOf(0)).toBe("neutral");
  });

  it("lists the window's most-shared posts once each, highest first", () => {
    const p = (key: string, shares: number, min = 0): TopPost => ({ key, source: "mastodon", url: null, author: "a", text: key, posted_at: iso(T0 + min * 60_000), shares, compound: 0 });
    const hours = [hour(0, { top_posts: [p("a", 3), p("b", 40)] }), hour(1, { top_posts: [p("c", 40, 90), p("a", 3)] })];
    expect(topPostsOf(hours, 2).map((x) => x.key)).toEqual(["b", "c"]);
    expect(topPostsOf(hours).map((x) => x.key)).toEqual(["b", "c", "a"]);
    expect(safeUrl("javascript:alert(1)")).toBe("");
    expect(safeUrl("https://mastodon.social/@a/1")).toBe("https://mastodon.social/@a/1");
  });
});

describe("sources", () => {
  it("puts the sources in trouble first and says what is wrong, in words", () => {
    const sources = [
      source("mastodon", "ok", { terms: [{ term: "#acme", outcome: "ok", last_ok: iso(T0 - 60_000), polls: 4, posts: 9 }] }),
      source("bluesky", "rate_limited", { terms: [{ term: "acme", outcome: "rate_limited", last_ok: iso(T0 - 3600_000), retry_at: iso(T0 + 12 * 60_000), error: "bluesky searchPosts: rate limited (HTTP 429) until 2026-11-27T10:12:00Z", polls: 3, posts: 1 }] }),
      source("x", "auth", { terms: [{ term: "acme", outcome: "auth", error: "x recent search: HTTP 401: the credentials are refused (Unauthorized)", polls: 2, posts: 0 }, { term: "#acme", outcome: "auth", polls: 2, posts: 0 }] }),
      source("rss", "not_polled"),
    ];
    expect(sortSources(sources).map((s) => s.name)).toEqual(["x", "bluesky", "rss", "mastodon"]);
    const problems = sourceProblems(sources, T0);
    expect(problems.map((p) => [p.source, p.tone])).toEqual([["x", "bad"], ["bluesky", "warn"]]);
    expect(problems[0]!.text).toBe("x: credentials refused — x recent search: HTTP 401: the credentials are refused (Unauthorized) — no success yet — 2 of 2 terms affected");
    expect(problems[1]!.text).toMatch(/^bluesky: rate limited until \d\d:12:00 \(in 12 min\) — bluesky searchPosts: .* — last success \d\d:00:00$/);
    expect(untilText(iso(T0 - 1000), T0)).toMatch(/^until \d\d:\d\d:59$/);
    expect(untilText(null, T0)).toBe("");
  });
});

describe("queries, the address and live events", () => {
  it("names queries and picks the one to show", () => {
    expect(queryLabel({ id: "brand:acme:mentions", kind: "mentions", brand: "acme", platform: null })).toBe("Mentions of acme");
    expect(queryLabel({ id: "chatter:whatsapp", kind: "chatter", brand: null, platform: "whatsapp" }, () => "WhatsApp")).toBe("Outage chatter about WhatsApp");
    const queries = [
      { id: "brand:acme:mentions", kind: "mentions", brand: "acme", platform: null, terms: [] },
      { id: "chatter:whatsapp", kind: "chatter", brand: null, platform: "whatsapp", terms: [] },
    ];
    expect(pickQuery({ queries, spiking: [] }, "")).toBe("brand:acme:mentions");
    expect(pickQuery({ queries, spiking: [spikeRow(iso(T0))] }, "")).toBe("chatter:whatsapp");
    expect(pickQuery({ queries, spiking: [spikeRow(iso(T0))] }, "brand:acme:mentions")).toBe("brand:acme:mentions");
    expect(pickQuery({ queries: [], spiking: [] }, "x")).toBe("");
  });

  it("routes #/listening with a query", () => {
    expect(pageFor({ hash: "#/listening?query=chatter%3Awhatsapp", pathname: "/" })).toBe("listening");
    expect(parseListeningHash("#/listening?query=chatter%3Awhatsapp")).toEqual({ query: "chatter:whatsapp" });
    expect(parseListeningHash("#/listening")).toEqual({ query: "" });
    expect(parseListeningHash("#/inbox")).toBeNull();
  });

  it("reads listening events", () => {
    expect(liveListening({ event: "listening", data: JSON.stringify({ kind: "spike", query: "chatter:whatsapp" }), id: "" })).toEqual({ kind: "spike", query: "chatter:whatsapp", source: "" });
    expect(liveListening({ event: "listening", data: "{", id: "" })).toBeNull();
    expect(liveListening({ event: "platform", data: "{}", id: "" })).toBeNull();
  });
});
