// The board's data and how live events change it. Pure functions over plain data: the views
// render from this, and state.test.ts checks each server event's effect.

import { verdictLook } from "./format";
import type { Incident, IncidentEvent, Observer, PlatformView, PlatformsBody } from "./types";

export interface BoardState {
  platforms: Map<string, PlatformView>;
  // Catalogue order as the server sent it: the stable fallback order.
  order: string[];
  observer: Observer | null;
  updatedAt: string | null;
  incidents: Incident[];
  timelines: Map<string, IncidentEvent[]>;
}

export function emptyState(): BoardState {
  return {
    platforms: new Map(),
    order: [],
    observer: null,
    updatedAt: null,
    incidents: [],
    timelines: new Map(),
  };
}

export function loadPlatforms(state: BoardState, body: PlatformsBody): BoardState {
  const platforms = new Map<string, PlatformView>();
  for (const p of body.platforms ?? []) platforms.set(p.platform, p);
  return {
    ...state,
    platforms,
    order: (body.platforms ?? []).map((p) => p.platform),
    observer: body.observer ?? null,
    updatedAt: body.updated_at ?? null,
  };
}

// What an event changed, so the page redraws only that part (a tile is updated in place).
export interface Change {
  platform?: string;
  observer?: boolean;
  incidents?: boolean;
  timeline?: string;
}

export interface LiveMessage {
  event: string;
  data: string;
}

export function applyMessage(state: BoardState, msg: LiveMessage): { state: BoardState; change: Change } {
  let payload: unknown;
  try {
    payload = JSON.parse(msg.data);
  } catch {
    return { state, change: {} };
  }
  if (!payload || typeof payload !== "object") return { state, change: {} };
  switch (msg.event) {
    case "platform":
      return applyPlatform(state, payload as PlatformView);
    case "observer":
      return { state: { ...state, observer: payload as Observer }, change: { observer: true } };
    case "incident":
      return { state: { ...state, incidents: upsertIncident(state.incidents, payload as Incident) }, change: { incidents: true } };
    case "incident_event": {
      const { incident_id, event } = payload as { incident_id: string; event: IncidentEvent };
      if (!incident_id || !event) return { state, change: {} };
      const timelines = new Map(state.timelines);
      // Only timelines already loaded are kept live; others are fetched when opened.
      const have = timelines.get(incident_id);
      if (!have) return { state, change: {} };
      timelines.set(incident_id, mergeEvents(have, [event]));
      return { state: { ...state, timelines }, change: { timeline: incident_id } };
    }
    default:
      return { state, change: {} };
  }
}

function applyPlatform(state: BoardState, view: PlatformView): { state: BoardState; change: Change } {
  if (!view.platform) return { state, change: {} };
  const platforms = new Map(state.platforms);
  const old = platforms.get(view.platform);
  // A live view has no probes; keep the last ones the details panel loaded.
  platforms.set(view.platform, old?.probes && !view.probes ? { ...view, probes: old.probes } : view);
  const order = state.order.includes(view.platform) ? state.order : [...state.order, view.platform];
  return { state: { ...state, platforms, order }, change: { platform: view.platform } };
}

export function upsertIncident(list: Incident[], inc: Incident): Incident[] {
  if (!inc.id) return list;
  const next = list.filter((i) => i.id !== inc.id);
  next.push(inc);
  return sortIncidents(next);
}

// Open first, then newest first (as GET /v1/incidents answers).
export function sortIncidents(list: Incident[]): Incident[] {
  return [...list].sort((a, b) => {
    const ao = a.state === "open" ? 0 : 1;
    const bo = b.state === "open" ? 0 : 1;
    if (ao !== bo) return ao - bo;
    return (Date.parse(b.opened_at) || 0) - (Date.parse(a.opened_at) || 0);
  });
}

// Events are append-only with increasing seq; a live event may repeat one already fetched.
export function mergeEvents(have: IncidentEvent[], more: IncidentEvent[]): IncidentEvent[] {
  const bySeq = new Map<number, IncidentEvent>();
  for (const e of have) bySeq.set(e.seq, e);
  for (const e of more) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

// Where to ask for more of a timeline (GET .../events?after=N): the last entry before the first
// gap. Entries stored without a live event (the ads guard's, the calendar's) can sit between
// entries that were pushed, and asking after the newest one shown would skip them for good.
export function timelineAfter(events: IncidentEvent[]): number {
  const seqs = new Set(events.map((e) => e.seq));
  let n = 0;
  while (seqs.has(n + 1)) n++;
  return n;
}

export type Arrangement = "domain" | "severity" | "name";

export interface Group {
  key: string;
  title: string;
  ids: string[];
}

function rankOf(p: PlatformView): number {
  return verdictLook(p.verdict, p.checked_at).rank;
}

// Tiles in groups: by failure domain (worst domain first), or one group sorted by severity or name.
export function arrange(state: BoardState, how: Arrangement): Group[] {
  const views = state.order.map((id) => state.platforms.get(id)).filter((p): p is PlatformView => !!p);
  const byName = (a: PlatformView, b: PlatformView) => a.name.localeCompare(b.name);
  if (how === "name") return [{ key: "all", title: "", ids: [...views].sort(byName).map((p) => p.platform) }];
  if (how === "severity") {
    const sorted = [...views].sort((a, b) => rankOf(a) - rankOf(b) || byName(a, b));
    return [{ key: "all", title: "", ids: sorted.map((p) => p.platform) }];
  }
  const groups = new Map<string, PlatformView[]>();
  for (const p of views) {
    const g = groups.get(p.domain) ?? [];
    g.push(p);
    groups.set(p.domain, g);
  }
  const worst = (ps: PlatformView[]) => Math.min(...ps.map(rankOf));
  return [...groups.entries()]
    .sort(([da, a], [db, b]) => worst(a) - worst(b) || b.length - a.length || da.localeCompare(db))
    .map(([domain, ps]) => ({ key: domain, title: domain, ids: ps.map((p) => p.platform) }));
}

export interface Summary {
  total: number;
  counts: { tone: string; label: string; n: number }[];
}

// "17 up · 1 outage · 2 unknown" for the header, worst first.
export function summarize(state: BoardState): Summary {
  const counts = new Map<string, { tone: string; label: string; n: number; rank: number }>();
  for (const p of state.platforms.values()) {
    const look = verdictLook(p.verdict, p.checked_at);
    const c = counts.get(look.label) ?? { tone: look.tone, label: look.label, n: 0, rank: look.rank };
    c.n++;
    counts.set(look.label, c);
  }
  const list = [...counts.values()].sort((a, b) => a.rank - b.rank);
  return { total: state.platforms.size, counts: list.map(({ tone, label, n }) => ({ tone, label, n })) };
}
