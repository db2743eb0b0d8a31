// Calls to the REST API on the same origin. The API token (if the user gave one) lives in
// localStorage and goes out as a Bearer header on every call.

import type { FleetList } from "./fleet";
import type {
  AdAccountCampaigns,
  AdCall,
  AdChange,
  AdHandResult,
  AdTransfer,
  AdsOverview,
  Assignment,
  ChannelHealth,
  CheckReport,
  ContactView,
  History,
  Incident,
  IncidentEvent,
  IncidentResponse,
  IncidentsBody,
  LinkInfo,
  LinkRedeemed,
  MessageDetail,
  OutboxMessage,
  OutboxPage,
  OutboxQuery,
  Plan,
  PlatformView,
  PlatformsBody,
  RecoveryChecklist,
  ReportAccepted,
  SendMessage,
  StatusPageFull,
} from "./types";
import type { CalendarOverview, CalendarPost, EditBody, NewPostBody } from "./calendar";
import type { Conversation, ConversationDetail, InboxMessage, Sweep } from "./inbox";
import type { ListenHour, ListenPost, ListeningStatus, SpikeRow } from "./listen";

const TOKEN_KEY = "lifeline.token";

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function setToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the token lasts until the page closes.
  }
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  // 401: no or a bad token; 403: the token's role is too low.
  get needsToken(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

// `auth: false` sends no token: the acknowledgement links' routes need none, and a stale token
// saved in this browser must not make them fail.
async function call<T>(method: string, path: string, body?: unknown, { auth = true } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        Accept: "application/json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...(auth ? authHeaders() : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "unavailable", "Lifeline is not answering (is `lifeline serve` running?)");
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  platforms: () => call<PlatformsBody>("GET", "/v1/platforms"),
  platform: (id: string) => call<PlatformView>("GET", `/v1/platforms/${enc(id)}`),
  history: (id: string, fromIso?: string) =>
    call<History>("GET", `/v1/platforms/${enc(id)}/history${fromIso ? `?from=${enc(fromIso)}` : ""}`),
  check: (ids: string[]) => call<CheckReport>("POST", "/v1/check", { platforms: ids }),
  incidents: (state = "all", limit = 50) =>
    call<IncidentsBody>("GET", `/v1/incidents?state=${enc(state)}&limit=${limit}`),
  incident: (id: string) => call<Incident>("GET", `/v1/incidents/${enc(id)}`),
  incidentEvents: (id: string, after?: number) =>
    call<{ events: IncidentEvent[] }>("GET", `/v1/incidents/${enc(id)}/events${after ? `?after=${after}` : ""}`),
  report: (platform: string, kind: string) =>
    call<ReportAccepted>("POST", "/v1/reports", kind ? { platform, kind } : { platform }),
  statusPages: () => call<{ status_pages: StatusPageFull[] }>("GET", "/v1/status-pages"),
};

// The relay's routes (src/channels/routes.cc): the outbox, channel health and contacts.
// Actions (send, retry, cancel, decide) need the operator role.
export function outboxQueryString(q: OutboxQuery): string {
  const parts: string[] = [];
  for (const key of ["state", "channel", "incident", "contact", "limit", "cursor"] as const) {
    const v = q[key];
    if (v !== undefined && v !== "") parts.push(`${key}=${enc(String(v))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

export const relayApi = {
  outbox: (q: OutboxQuery = {}) => call<OutboxPage>("GET", `/v1/outbox${outboxQueryString(q)}`),
  message: (id: string) => call<MessageDetail>("GET", `/v1/outbox/${enc(id)}`),
  send: (m: SendMessage) => call<{ message: OutboxMessage; created: boolean }>("POST", "/v1/outbox", m),
  retry: (id: string) => call<{ message: OutboxMessage }>("POST", `/v1/outbox/${enc(id)}/retry`),
  cancel: (id: string) => call<{ message: OutboxMessage }>("POST", `/v1/outbox/${enc(id)}/cancel`),
  decide: (id: string, delivered: boolean) => call<{ message: OutboxMessage }>("POST", `/v1/outbox/${enc(id)}/decide`, { delivered }),
  channels: () => call<{ channels: ChannelHealth[] }>("GET", "/v1/channels"),
  contacts: () => call<{ contacts: ContactView[] }>("GET", "/v1/contacts"),
};

// The contingency plan's routes (src/playbook/routes.cc). Acting on an assignment or marking an
// incident reviewed needs the operator role and says who acts ("by").
export type AssignmentAction = "acknowledge" | "done" | "approve" | "refuse";

export const playbookApi = {
  plan: () => call<Plan>("GET", "/v1/plan"),
  response: (incident: string) => call<IncidentResponse>("GET", `/v1/incidents/${enc(incident)}/response`),
  act: (id: string, action: AssignmentAction, by: string, why?: string) =>
    call<Assignment>("POST", `/v1/assignments/${enc(id)}/${action}`, action === "refuse" && why ? { by, why } : { by }),
  reviewed: (incident: string, by: string) =>
    call<{ incident_id: string; state: string }>("POST", `/v1/incidents/${enc(incident)}/reviewed`, { by }),
  // An acknowledgement link: the token is the credential (no API token is sent).
  link: (token: string) => call<LinkInfo>("GET", `/v1/ack/${enc(token)}`, undefined, { auth: false }),
  redeem: (token: string) => call<LinkRedeemed>("POST", `/v1/ack/${enc(token)}`, {}, { auth: false }),
  // A bare incident for the link page, without a token (answers when anonymous viewers may read).
  incidentAnonymous: (id: string) => call<Incident>("GET", `/v1/incidents/${enc(id)}`, undefined, { auth: false }),
};

// The incident report as a document (GET /v1/incidents/{id}/report?format=html|md), fetched with
// the token so that a server without anonymous access serves it too.
export async function fetchReport(incident: string, format: "html" | "md"): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(`/v1/incidents/${enc(incident)}/report?format=${format}`, {
      headers: { Accept: format === "html" ? "text/html" : "text/markdown", ...authHeaders() },
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "unavailable", "Lifeline is not answering (is `lifeline serve` running?)");
  }
  if (!res.ok) {
    let err: { code?: string; message?: string } | undefined;
    try {
      err = ((await res.json()) as { error?: { code?: string; message?: string } } | null)?.error;
    } catch {
      err = undefined;
    }
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `HTTP ${res.status}`);
  }
  const type = format === "html" ? "text/html;charset=utf-8" : "text/markdown;charset=utf-8";
  return new Blob([await res.arrayBuffer()], { type });
}

// The ads guard's routes (src/ads/routes.cc). GET /v1/ads/campaigns and the actions call the ad
// platforms (seconds, and their rate limits); pause and resume need the operator role.
export interface AdChangesQuery {
  incident?: string;
  state?: string;
  open?: boolean;
  account?: string;
  limit?: number;
}

export const adsApi = {
  overview: () => call<AdsOverview>("GET", "/v1/ads"),
  campaigns: (platform = "") => call<{ accounts: AdAccountCampaigns[] }>("GET", `/v1/ads/campaigns${platform ? `?platform=${enc(platform)}` : ""}`),
  changes: (q: AdChangesQuery = {}) => {
    const parts = Object.entries(q).filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}=${enc(String(v))}`);
    return call<{ changes: AdChange[] }>("GET", `/v1/ads/changes${parts.length ? `?${parts.join("&")}` : ""}`);
  },
  calls: (incident: string, after = 0) => {
    const parts = [incident ? `incident=${enc(incident)}` : "", after ? `after=${after}` : ""].filter(Boolean);
    return call<{ calls: AdCall[] }>("GET", `/v1/ads/calls${parts.length ? `?${parts.join("&")}` : ""}`);
  },
  act: (action: "pause" | "resume", body: { account: string; campaigns: string[]; by: string; dry_run?: boolean }) =>
    call<{ results: AdHandResult[]; dry_run: boolean }>("POST", `/v1/ads/${action}`, body),
  transfers: (limit = 100) => call<{ transfers: AdTransfer[] }>("GET", `/v1/ads/transfers?limit=${limit}`),
  decideTransfer: (id: number, decision: "approve" | "refuse", body: { by: string; reason?: string }) =>
    call<AdTransfer>("POST", `/v1/ads/transfers/${id}/${decision}`, body),
};

// The content calendar (src/calendar/routes.cc): changes need the operator role.
export const calendarApi = {
  overview: () => call<CalendarOverview>("GET", "/v1/calendar"),
  posts: (fromIso = "") => call<{ posts: CalendarPost[] }>("GET", `/v1/calendar/posts?limit=1000${fromIso ? `&from=${enc(fromIso)}` : ""}`),
  add: (body: NewPostBody) => call<{ post: CalendarPost }>("POST", "/v1/calendar/posts", body),
  edit: (id: string, body: EditBody) => call<{ post: CalendarPost }>("PATCH", `/v1/calendar/posts/${enc(id)}`, body),
  cancel: (id: string, by: string) => call<{ post: CalendarPost }>("POST", `/v1/calendar/posts/${enc(id)}/cancel`, { by }),
  act: (id: string, action: "hold" | "release", by: string) => call<{ post: CalendarPost }>("POST", `/v1/calendar/posts/${enc(id)}/${action}`, { by }),
  importCsv: (body: { csv: string; file: string; channels: string[]; date_format?: string; by: string }) =>
    call<{ imported: number; posts: CalendarPost[] }>("POST", "/v1/calendar/import", body),
};

// The recovery checklist (src/recovery/routes.cc): answers are reused for 60 s unless `fresh`.
export const recoveryApi = {
  checklist: (incident: string, fresh = false) => call<RecoveryChecklist>("GET", `/v1/recovery/${enc(incident)}${fresh ? "?fresh=true" : ""}`),
};

// The inbox (src/inbox/routes.cc): replies and state changes need the operator role.
export const inboxApi = {
  list: (query: string) => call<{ conversations: Conversation[] }>("GET", `/v1/conversations?${query}`),
  show: (id: string) => call<ConversationDetail>("GET", `/v1/conversations/${enc(id)}`),
  reply: (id: string, body: { text: string; idempotency_key: string; by: string }) =>
    call<{ message: InboxMessage; conversation: Conversation }>("POST", `/v1/conversations/${enc(id)}/reply`, body),
  assign: (id: string, body: { assignee: string; by: string }) => call<Conversation>("POST", `/v1/conversations/${enc(id)}/assign`, body),
  setState: (id: string, action: "resolve" | "snooze" | "reopen", body: { by: string; until?: string }) =>
    call<Conversation>("POST", `/v1/conversations/${enc(id)}/${action}`, body),
  sweep: (incident: string) => call<Sweep>("GET", `/v1/inbox/sweep?incident=${enc(incident)}`),
};

// Listening (src/listen/routes.cc): read-only.
// The fleet view (src/serve/fleet_routes.cc): the vantage points as serve sees them.
export const fleetApi = {
  list: () => call<FleetList>("GET", "/v1/vantage-points"),
};

export const listenApi = {
  status: () => call<ListeningStatus>("GET", "/v1/listening"),
  hours: (query: string) => call<{ query: string; hours: ListenHour[] }>("GET", `/v1/listening/hours?query=${enc(query)}`),
  spikes: (query: string, fromIso: string) =>
    call<{ spikes: SpikeRow[] }>("GET", `/v1/listening/spikes?query=${enc(query)}&spiking=true&from=${enc(fromIso)}&limit=50`),
  posts: (query: string, limit = 10) => call<{ posts: ListenPost[] }>("GET", `/v1/listening/posts?query=${enc(query)}&limit=${limit}`),
};
