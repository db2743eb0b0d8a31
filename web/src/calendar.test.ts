import { describe, expect, it } from "vitest";
import {
  addBody,
  calendarEventIncident,
  channelChoices,
  csvError,
  dayLabel,
  dayOf,
  editBody,
  formFromPost,
  groupByDay,
  holdText,
  isoToLocal,
  livePost,
  localToIso,
  parseMedia,
  partClass,
  partLook,
  postActions,
  postLook,
  verifyLook,
  withPost,
  type CalendarPart,
  type CalendarPost,
} from "./calendar";
import { pageFor } from "./pages";

function part(over: Partial<CalendarPart> = {}): CalendarPart {
  return {
    channel: "brand-whatsapp", platform: "whatsapp", state: "scheduled", due: "2026-11-27T10:00:00Z", held_by: null, held_by_hand: null,
    incident_id: null, message_id: null, remote_id: null, note: "", published_at: null, updated_at: "2026-11-27T09:00:00Z", ...over,
  };
}

// A post whose parts are due at its time unless said otherwise.
function post(over: Partial<CalendarPost> = {}): CalendarPost {
  const at = over.at ?? "2026-11-27T10:00:00Z";
  return {
    id: "bf", text: "Black Friday", media: [], at, expires: null, state: "scheduled", source: "api", by: "ana",
    created_at: "2026-11-27T09:00:00Z", updated_at: "2026-11-27T09:00:00Z", ...over,
    parts: (over.parts ?? [part()]).map((x) => (x.due === part().due ? { ...x, due: at } : x)),
  };
}

const NOW = Date.parse("2026-11-27T12:00:00Z");

describe("looks", () => {
  it("makes a held part stand out and finished ones recede", () => {
    expect(partLook("held")).toMatchObject({ label: "Held", tone: "warn" });
    expect(partClass("held")).toBe("part part-held tone-warn");
    expect(partLook("failed").tone).toBe("bad");
    expect(partLook("dropped").tone).toBe("muted");
    expect(partLook("cancelled").label).toBe("Cancelled");
    expect(partLook("published").tone).toBe("ok");
    expect(postLook("publishing").label).toBe("Publishing");
    expect(partLook("new_state")).toMatchObject({ label: "New state", tone: "unknown" });
  });

  it("says what holds a part: the incident's reason or the person", () => {
    expect(holdText(part({ state: "held", held_by: "inc_1", note: "held: WhatsApp outage since 10:02 UTC (incident inc_1)" }))).toBe("held: WhatsApp outage since 10:02 UTC (incident inc_1)");
    expect(holdText(part({ state: "held", held_by_hand: "ana" }))).toBe("held by ana, until someone releases it");
    expect(holdText(part({ state: "scheduled" }))).toBe("");
  });
});

describe("verifyLook", () => {
  it("flags a published post the platform does not show, and links one it found", () => {
    expect(verifyLook(part({ state: "queued", verified: "missing" }))).toBeNull();
    expect(verifyLook(part({ state: "published" }))).toBeNull();
    const missing = verifyLook(part({ state: "published", verified: "missing", verify_note: "not on the platform: 404 Record not found" }));
    expect(missing?.tone).toBe("bad");
    expect(missing?.text).toContain("missing on the platform — 404 Record not found");
    const present = verifyLook(part({ state: "published", verified: "present", verify_note: "https://m.example/@brand/109" }));
    expect(present).toEqual({ text: "✓ on the platform", tone: "good", link: "https://m.example/@brand/109" });
    expect(verifyLook(part({ state: "published", verified: "present", verify_note: "found on the platform" }))?.link).toBe("");
    expect(verifyLook(part({ state: "published", verified: "unsupported" }))).toBeNull();
  });
});

describe("groupByDay", () => {
  it("puts what is still to happen first, soonest first, and the recent past below, newest first", () => {
    const posts = [
      post({ id: "tomorrow", at: "2026-11-28T09:00:00Z" }),
      post({ id: "later-today", at: "2026-11-27T18:00:00Z" }),
      post({ id: "held", at: "2026-11-27T08:00:00Z", parts: [part({ state: "held", held_by: "inc_1" })] }),
      post({ id: "done", at: "2026-11-27T07:00:00Z", parts: [part({ state: "published" })] }),
      post({ id: "yesterday", at: "2026-11-26T07:00:00Z", parts: [part({ state: "dropped" })] }),
      post({ id: "old", at: "2026-11-01T07:00:00Z", parts: [part({ state: "published" })] }),
      post({ id: "cancelled", at: "2026-11-27T20:00:00Z", cancelled_at: "2026-11-27T11:00:00Z", cancelled_by: "bo", parts: [part({ state: "cancelled" })] }),
    ];
    const g = groupByDay(posts, NOW);
    expect(g.upcoming.map((d) => [d.label, d.posts.map((p) => p.id)])).toEqual([
      ["Today", ["held", "later-today"]],
      ["Tomorrow", ["tomorrow"]],
    ]);
    expect(g.past.map((d) => [d.label, d.posts.map((p) => p.id)])).toEqual([
      ["Today", ["cancelled", "done"]],
      ["Yesterday", ["yesterday"]],
    ]);
  });

  it("files a post released to a later slot under that slot's day", () => {
    const moved = post({ id: "moved", at: "2026-11-27T08:00:00Z", parts: [part({ state: "scheduled", due: "2026-11-28T09:00:00Z" })] });
    expect(groupByDay([moved], NOW).upcoming[0]!.label).toBe("Tomorrow");
  });

  it("labels other days by weekday and date", () => {
    expect(dayOf("2026-11-27T10:00:00")).toBe("2026-11-27");
    expect(dayLabel("2026-11-30", NOW)).toMatch(/Mon.*30.*Nov/);
    expect(dayLabel("2027-01-04", NOW)).toMatch(/2027/);
  });
});

describe("postActions", () => {
  it("offers edit only while nothing went to the relay, and never cancel once published", () => {
    expect(postActions(post())).toEqual(["edit", "cancel", "hold"]);
    expect(postActions(post({ parts: [part({ state: "held" }), part({ channel: "t" })] }))).toEqual(["edit", "cancel", "hold", "release"]);
    expect(postActions(post({ parts: [part({ state: "queued" })] }))).toEqual(["cancel", "hold"]);
    expect(postActions(post({ parts: [part({ state: "published" }), part({ channel: "t", state: "held" })] }))).toEqual(["release"]);
    expect(postActions(post({ parts: [part({ state: "failed" })] }))).toEqual([]);
    expect(postActions(post({ cancelled_at: "2026-11-27T11:00:00Z", parts: [part({ state: "cancelled" })] }))).toEqual([]);
  });
});

describe("forms", () => {
  it("reads media links and refuses what is not a link", () => {
    expect(parseMedia("https://a.example/x\n http://b.example/y, ")).toEqual({ links: ["https://a.example/x", "http://b.example/y"], error: "" });
    expect(parseMedia("ftp://x").error).toMatch(/start with http/);
    expect(parseMedia("").links).toEqual([]);
  });

  it("converts between the viewer's time and RFC 3339", () => {
    const local = isoToLocal("2026-11-27T10:00:05Z");
    expect(localToIso(local)).toBe("2026-11-27T10:00:05Z");
    expect(localToIso("")).toBe("");
    expect(localToIso("not a time")).toBe("");
  });

  it("builds an add body, or says what is missing", () => {
    const f = { text: "Hi", media: "https://a.example/x", channels: ["m"], at: isoToLocal("2026-11-27T13:00:00Z"), expires: "" };
    expect(addBody(f, "ana")).toEqual({ body: { text: "Hi", channels: ["m"], media: ["https://a.example/x"], at: "2026-11-27T13:00:00Z", by: "ana" }, error: "" });
    expect(addBody({ ...f, channels: [] }, "ana").error).toBe("Choose at least one channel.");
    expect(addBody({ ...f, text: " " }, "ana").error).toBe("Write what the post says.");
    expect(addBody({ ...f, at: "" }, "ana").error).toBe("Give the time it goes out.");
    expect(addBody({ ...f, expires: isoToLocal("2026-11-27T15:00:00Z") }, "ana").body?.expires).toBe("2026-11-27T15:00:00Z");
  });

  it("sends only what an edit changed, null expiry to clear it", () => {
    const p = post({ media: ["https://a.example/x"], expires: "2026-11-27T18:00:00Z" });
    const f = formFromPost(p);
    expect(editBody(p, f, "bo")).toEqual({ body: null, error: "Nothing changed." });
    expect(editBody(p, { ...f, text: "Black Friday!" }, "bo").body).toEqual({ by: "bo", text: "Black Friday!" });
    expect(editBody(p, { ...f, expires: "" }, "bo").body).toEqual({ by: "bo", expires: null });
    expect(editBody(p, { ...f, at: isoToLocal("2026-11-27T11:00:00Z"), channels: ["brand-whatsapp", "t"] }, "bo").body).toEqual({ by: "bo", at: "2026-11-27T11:00:00Z", channels: ["brand-whatsapp", "t"] });
    expect(editBody(p, { ...f, media: "" }, "bo").body).toEqual({ by: "bo", media: [] });
    // The checkboxes' order is the relay's: the post's channels keep theirs, new ones follow.
    const two = post({ parts: [part({ channel: "t" }), part({ channel: "m" })] });
    expect(editBody(two, { ...formFromPost(two), channels: ["a", "m", "t"] }, "bo").body).toEqual({ by: "bo", channels: ["t", "m", "a"] });
    expect(editBody(two, { ...formFromPost(two), channels: ["m", "t"] }, "bo")).toEqual({ body: null, error: "Nothing changed." });
    expect(editBody(p, { ...f, channels: [] }, "bo").error).toBe("Choose at least one channel.");
  });

  it("offers the relay's channels and keeps a post's channel the relay no longer has", () => {
    const ch = (name: string) => ({ name, platform: null, release: { policy: "publish_now", slots: [], spacing_ms: 0, drop_expired: true }, held_by: null });
    expect(channelChoices([ch("a"), ch("b")], post({ parts: [part({ channel: "gone" })] }))).toEqual(["a", "b", "gone"]);
  });
});

describe("the server's words and live events", () => {
  it("splits an import's refusal into file, line and column", () => {
    expect(csvError("week.csv:4: column 4 (channels): unknown channel 'brand-telegarm' (did you mean 'brand-telegram'?)")).toEqual({
      file: "week.csv", line: 4, column: "column 4 (channels)", what: "unknown channel 'brand-telegarm' (did you mean 'brand-telegram'?)",
    });
    expect(csvError("csv: required (the file)")).toBeNull();
  });

  it("reads calendar events and the calendar's timeline entries", () => {
    const p = post();
    expect(livePost({ id: "", event: "calendar", data: JSON.stringify({ change: "added", post: p }) })?.id).toBe("bf");
    expect(livePost({ id: "", event: "calendar", data: "{" })).toBeNull();
    expect(livePost({ id: "", event: "platform", data: JSON.stringify({ post: p }) })).toBeNull();
    expect(calendarEventIncident({ id: "", event: "incident_event", data: JSON.stringify({ incident_id: "inc_1", event: { type: "calendar_held" } }) })).toBe("inc_1");
    expect(calendarEventIncident({ id: "", event: "incident_event", data: JSON.stringify({ incident_id: "inc_1", event: { type: "ads_paused" } }) })).toBe("");
  });

  it("replaces a post by id and keeps the fresher copy", () => {
    const a = post({ updated_at: "2026-11-27T10:00:00Z" });
    expect(withPost([a], post({ id: "new" })).map((p) => p.id)).toEqual(["bf", "new"]);
    expect(withPost([a], post({ text: "x", updated_at: "2026-11-27T10:00:01Z" }))[0]!.text).toBe("x");
    expect(withPost([a], post({ text: "stale", updated_at: "2026-11-27T09:59:00Z" }))[0]!.text).toBe("Black Friday");
  });

  it("routes #/calendar to the calendar page", () => {
    expect(pageFor({ hash: "#/calendar", pathname: "/" })).toBe("calendar");
    expect(pageFor({ hash: "#/calendarx", pathname: "/" })).toBe("board");
  });
});
