// The calendar page's rules, pure (no DOM): the shapes of /v1/calendar's answers, how each part's
// and post's state looks, posts grouped by day (what is coming first, then the last days), what a
// person may do with a post, the add and edit forms' checks and bodies, and which live events
// concern the calendar. Drawn by src/calendarpage.ts.

import { humanize, type Tone } from "./format";
import type { SseMessage } from "./sse";

export interface CalendarPart {
  channel: string;
  platform: string | null;
  state: string; // scheduled | held | queued | published | failed | dropped | cancelled
  due: string;
  held_by: string | null; // the incident holding it
  held_by_hand: string | null; // the person holding it
  incident_id: string | null;
  message_id: string | null;
  remote_id: string | null;
  note: string;
  published_at: string | null;
  updated_at: string;
  // After publication, what the platform said when the post was looked up.
  verified?: string | null; // present | missing | unknown | unsupported
  verify_note?: string | null;
  verified_at?: string | null;
}

export interface CalendarPost {
  id: string;
  text: string;
  media: string[];
  at: string;
  expires: string | null;
  state: string; // scheduled | held | publishing | published | failed | dropped | cancelled
  source: string;
  by: string;
  parts: CalendarPart[];
  created_at: string;
  updated_at: string;
  edited_by?: string | null;
  edited_at?: string | null;
  cancelled_by?: string | null;
  cancelled_at?: string | null;
}

export interface CalendarRelease {
  policy: string;
  slots: string[];
  spacing_ms: number;
  drop_expired: boolean;
}

export interface CalendarChannel {
  name: string;
  platform: string | null;
  release: CalendarRelease;
  held_by: { incident_id: string; reason: string } | null;
}

export interface CalendarOverview {
  configured: boolean;
  release: CalendarRelease;
  platforms: Record<string, CalendarRelease>;
  channels: CalendarChannel[];
  counts: Record<string, number>;
}

export interface Look {
  label: string;
  tone: Tone | "muted";
  icon: string;
}

const PART_LOOKS: Record<string, Look> = {
  scheduled: { label: "Scheduled", tone: "pending", icon: "◷" },
  held: { label: "Held", tone: "warn", icon: "‖" },
  queued: { label: "With the relay", tone: "pending", icon: "↻" },
  published: { label: "Published", tone: "ok", icon: "✓" },
  failed: { label: "Failed", tone: "bad", icon: "✕" },
  dropped: { label: "Dropped", tone: "muted", icon: "⊘" },
  cancelled: { label: "Cancelled", tone: "muted", icon: "⊘" },
};

const POST_LOOKS: Record<string, Look> = {
  ...PART_LOOKS,
  publishing: { label: "Publishing", tone: "pending", icon: "↻" },
};

export function partLook(state: string): Look {
  return PART_LOOKS[state] ?? { label: humanize(state), tone: "unknown", icon: "•" };
}

export function postLook(state: string): Look {
  return POST_LOOKS[state] ?? { label: humanize(state), tone: "unknown", icon: "•" };
}

// The CSS class of a part's row: held parts stand out, finished ones recede.
export function partClass(state: string): string {
  const look = partLook(state);
  return `part part-${state} tone-${look.tone}`;
}

// What the lookup after publication found, for a published part: a missing post must stand out
// (the platform accepted it and does not show it); null when there is nothing to say yet.
export function verifyLook(p: Pick<CalendarPart, "state" | "verified" | "verify_note">): { text: string; tone: string; link: string } | null {
  if (p.state !== "published" || !p.verified) return null;
  const note = p.verify_note ?? "";
  switch (p.verified) {
    case "present":
      return { text: "✓ on the platform", tone: "good", link: /^https?:\/\//.test(note) ? note : "" };
    case "missing":
      return { text: `✗ missing on the platform — ${note.replace(/^not on the platform: /, "")}`, tone: "bad", link: "" };
    case "unknown":
      return { text: "? could not check", tone: "unknown", link: "" };
    default:
      return null; // the channel cannot look posts up: nothing to say
  }
}

// Still to happen: a part waits, is held, or is with the relay.
export function isPending(p: Pick<CalendarPart, "state">): boolean {
  return p.state === "scheduled" || p.state === "held" || p.state === "queued";
}

// What a held part says about its hold: the incident (linked by the page) or the person.
export function holdText(p: CalendarPart): string {
  if (p.state !== "held") return "";
  if (p.held_by) return p.note || `held by incident ${p.held_by}`;
  if (p.held_by_hand) return `held by ${p.held_by_hand}, until someone releases it`;
  return p.note || "held until someone releases it";
}

// ---- by day ---------------------------------------------------------------------------------

export interface DayGroup {
  day: string; // YYYY-MM-DD in the viewer's time zone
  label: string; // "Today", "Tomorrow", "Yesterday", "Fri 27 Nov"
  posts: CalendarPost[];
}

const pad = (n: number) => String(n).padStart(2, "0");

// The local day of a time, as YYYY-MM-DD.
export function dayOf(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function dayLabel(day: string, now: number): string {
  const today = dayOf(new Date(now).toISOString());
  const shift = (n: number) => dayOf(new Date(now + n * 86_400_000).toISOString());
  if (day === today) return "Today";
  if (day === shift(1)) return "Tomorrow";
  if (day === shift(-1)) return "Yesterday";
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(y!, m! - 1, d!);
  return date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", ...(y !== new Date(now).getFullYear() ? { year: "numeric" } : {}) });
}

// When a post matters on the page: its earliest part still to happen, else its time.
export function postWhen(p: CalendarPost): string {
  const pending = p.parts.filter((x) => x.state === "scheduled").map((x) => x.due).sort();
  return pending[0] ?? p.at;
}

// Upcoming: a post with a part still to happen (held ones too, whatever their time), or whose time
// is still ahead; by time, soonest first. Past: the rest within `pastDays`, newest first.
export function groupByDay(posts: CalendarPost[], now: number, pastDays = 7): { upcoming: DayGroup[]; past: DayGroup[] } {
  const upcoming: CalendarPost[] = [];
  const past: CalendarPost[] = [];
  for (const p of posts) {
    const open = !p.cancelled_at && p.parts.some(isPending);
    if (open || (!p.cancelled_at && Date.parse(p.at) > now)) upcoming.push(p);
    else if (Date.parse(p.at) >= now - pastDays * 86_400_000) past.push(p);
  }
  const t = (p: CalendarPost) => Date.parse(postWhen(p));
  upcoming.sort((a, b) => t(a) - t(b) || a.id.localeCompare(b.id));
  past.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.id.localeCompare(b.id));
  const group = (list: CalendarPost[], when: (p: CalendarPost) => string): DayGroup[] => {
    const out: DayGroup[] = [];
    for (const p of list) {
      const day = dayOf(when(p));
      let g = out.find((x) => x.day === day);
      if (!g) {
        g = { day, label: dayLabel(day, now), posts: [] };
        out.push(g);
      }
      g.posts.push(p);
    }
    return out;
  };
  return { upcoming: group(upcoming, postWhen), past: group(past, (p) => p.at) };
}

// ---- what a person may do -------------------------------------------------------------------

export type PostAction = "edit" | "cancel" | "hold" | "release";

// Edit while none of it has gone to the relay; cancel while nothing was published and something
// has not gone out; hold what waits or is with the relay; release what is held.
export function postActions(p: CalendarPost): PostAction[] {
  if (p.cancelled_at) return [];
  const out: PostAction[] = [];
  const states = p.parts.map((x) => x.state);
  if (states.every((s) => s === "scheduled" || s === "held")) out.push("edit");
  if (!states.includes("published") && states.some((s) => s === "scheduled" || s === "held" || s === "queued")) out.push("cancel");
  if (states.some((s) => s === "scheduled" || s === "queued")) out.push("hold");
  if (states.includes("held")) out.push("release");
  return out;
}

// ---- the forms ------------------------------------------------------------------------------

export interface PostForm {
  text: string;
  media: string; // links separated by spaces, commas or line breaks
  channels: string[];
  at: string; // <input type="datetime-local"> value, the viewer's time
  expires: string; // "" = none
}

// Links typed in a box: one per line (or separated by spaces or commas).
export function parseMedia(text: string): { links: string[]; error: string } {
  const links = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  const bad = links.find((l) => !/^https?:\/\/[^\s/]+/i.test(l));
  if (bad) return { links: [], error: `Media links start with http:// or https://: ${bad.slice(0, 60)} does not.` };
  return { links, error: "" };
}

// A datetime-local value (the viewer's time) as RFC 3339 UTC; "" when empty or not a time.
export function localToIso(value: string): string {
  if (!value) return "";
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? "" : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// An RFC 3339 time as a datetime-local value in the viewer's time zone (seconds kept).
export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formFromPost(p: CalendarPost): PostForm {
  return { text: p.text, media: p.media.join("\n"), channels: p.parts.map((x) => x.channel), at: isoToLocal(p.at), expires: isoToLocal(p.expires) };
}

export interface NewPostBody {
  text: string;
  channels: string[];
  media: string[];
  at: string;
  expires?: string;
  by: string;
}

// The body of POST /v1/calendar/posts, or what is missing in words (checked before asking).
export function addBody(f: PostForm, by: string): { body: NewPostBody | null; error: string } {
  if (!f.text.trim()) return { body: null, error: "Write what the post says." };
  if (!f.channels.length) return { body: null, error: "Choose at least one channel." };
  const at = localToIso(f.at);
  if (!at) return { body: null, error: "Give the time it goes out." };
  const media = parseMedia(f.media);
  if (media.error) return { body: null, error: media.error };
  const body: NewPostBody = { text: f.text, channels: f.channels, media: media.links, at, by };
  if (f.expires) {
    const expires = localToIso(f.expires);
    if (!expires) return { body: null, error: "The expiry is not a time." };
    body.expires = expires;
  }
  return { body, error: "" };
}

export type EditBody = { by: string; text?: string; media?: string[]; channels?: string[]; at?: string; expires?: string | null };

// The body of PATCH /v1/calendar/posts/{id}: only what changed; null with a reason when nothing did
// or something is missing.
export function editBody(p: CalendarPost, f: PostForm, by: string): { body: EditBody | null; error: string } {
  if (!f.text.trim()) return { body: null, error: "Write what the post says." };
  if (!f.channels.length) return { body: null, error: "Choose at least one channel." };
  const media = parseMedia(f.media);
  if (media.error) return { body: null, error: media.error };
  const body: EditBody = { by };
  if (f.text !== p.text) body.text = f.text;
  if (media.links.join("\n") !== p.media.join("\n")) body.media = media.links;
  // The post's channels keep their order; new ones follow in the form's.
  const was = p.parts.map((x) => x.channel);
  const channels = [...was.filter((c) => f.channels.includes(c)), ...f.channels.filter((c) => !was.includes(c))];
  if (channels.join("\n") !== was.join("\n")) body.channels = channels;
  const at = localToIso(f.at);
  if (!at) return { body: null, error: "Give the time it goes out." };
  if (Date.parse(at) !== Date.parse(p.at)) body.at = at;
  const expires = f.expires ? localToIso(f.expires) : null;
  if (f.expires && !expires) return { body: null, error: "The expiry is not a time." };
  if ((expires ? Date.parse(expires) : null) !== (p.expires ? Date.parse(p.expires) : null)) body.expires = expires;
  if (Object.keys(body).length === 1) return { body: null, error: "Nothing changed." };
  return { body, error: "" };
}

// The channels offered as checkboxes: the relay's, in its order, then any of the post's that the
// relay no longer has (so an edit does not silently drop them).
export function channelChoices(channels: CalendarChannel[], post?: CalendarPost): string[] {
  const out = channels.map((c) => c.name);
  for (const p of post?.parts ?? []) if (!out.includes(p.channel)) out.push(p.channel);
  return out;
}

// ---- the server's words -----------------------------------------------------------------------

// An import's refusal "FILE:LINE: column N (NAME): what", split for the page; null otherwise.
export function csvError(message: string): { file: string; line: number; column: string; what: string } | null {
  const m = /^(?:serve at \S+: )?(.+?):(\d+): (column \d+ \([^)]*\)|[a-z_]+): (.+)$/s.exec(message);
  if (!m) return null;
  return { file: m[1]!, line: Number(m[2]), column: m[3]!, what: m[4]! };
}

// ---- live events ----------------------------------------------------------------------------

// A `calendar` live event's post, or null.
export function livePost(m: SseMessage): CalendarPost | null {
  if (m.event !== "calendar") return null;
  try {
    const d = JSON.parse(m.data) as { post?: CalendarPost };
    return d.post && typeof d.post.id === "string" && Array.isArray(d.post.parts) ? d.post : null;
  } catch {
    return null;
  }
}

// The incident of a calendar_* timeline entry (a live incident_event), or "".
export function calendarEventIncident(m: SseMessage): string {
  if (m.event !== "incident_event") return "";
  try {
    const d = JSON.parse(m.data) as { incident_id?: string; event?: { type?: string } };
    return d.event?.type?.startsWith("calendar_") ? (d.incident_id ?? "") : "";
  } catch {
    return "";
  }
}

// The list with `post` in it (replaced by id, or added).
export function withPost(posts: CalendarPost[], post: CalendarPost): CalendarPost[] {
  const i = posts.findIndex((p) => p.id === post.id);
  if (i < 0) return [...posts, post];
  // A live event may arrive after a fresher answer: keep the newer one.
  if (Date.parse(posts[i]!.updated_at) > Date.parse(post.updated_at)) return posts;
  const out = [...posts];
  out[i] = post;
  return out;
}
