// Wire types of the `lifeline serve` REST API (/work/notes/api.md, docs/cli.md): what the
// dashboard reads. Names follow the JSON exactly; fields the server may add are ignored.

export type Verdict =
  | "up"
  | "degraded"
  | "outage"
  | "regional_outage"
  | "just_you"
  | "local_dns"
  | "local_network"
  | "no_network"
  | "unknown";

export type Connectivity = "ok" | "local_dns" | "local_network" | "no_network";

export interface Observer {
  connectivity: Connectivity | string;
  evidence: string[];
}

export interface Suppression {
  name: string;
  kind: "maintenance" | "silence" | string;
  until: string;
  message?: string;
}

// An open incident on a platform's official status page (Statuspage summary or incident feed).
export interface StatusPageIncident {
  name: string;
  impact: string;
  status: string; // the page's label, lowercase ("monitoring"); "" when it gives none
  url: string | null;
  updated_at: string | null;
}

export interface StatusPageState {
  // null when the page could not be read; then `description` holds the error.
  indicator: string | null;
  description: string;
  fetched?: boolean;
  fetched_at: string | null;
  incident?: StatusPageIncident | null; // the newest open incident
}

export interface Crowd {
  reports_last_hour: number;
  baseline: number;
  flagged: boolean;
  ratio?: number;
  evidence?: string | string[];
}

export interface Timings {
  dns?: number;
  connect?: number;
  tls?: number;
  first_byte?: number;
  total?: number;
}

export interface ProbeResult {
  id: string;
  kind: string;
  target: string;
  from: string;
  ok: boolean;
  layer: string;
  detail: string;
  message: string;
  timings_ms: Timings;
  http_status?: number;
  api?: boolean;
  slow?: boolean;
  resolver?: string;
  addresses?: string[];
}

export interface PlatformView {
  platform: string;
  name: string;
  domain: string;
  verdict: Verdict | string;
  layer: string;
  detail: string;
  confidence: number;
  reason: string;
  evidence: string[];
  latency_ms: number | null;
  checked_at: string | null;
  state: "ok" | "pending" | "failing" | "recovering" | "flapping" | string;
  incident_id: string | null;
  suppressed: Suppression | null;
  status_page: StatusPageState | null;
  crowd: Crowd | null;
  probes?: ProbeResult[];
}

export interface PlatformsBody {
  platforms: PlatformView[];
  observer: Observer;
  updated_at: string | null;
}

export interface HistoryPoint {
  t: string;
  count: number;
  availability: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface History {
  platform: string;
  points: HistoryPoint[];
}

export interface Incident {
  id: string;
  kind: "platform" | "domain" | "flapping" | string;
  domain: string;
  platforms: string[];
  verdict: Verdict | string;
  state: "open" | "closed" | string;
  title: string;
  opened_at: string;
  updated_at: string;
  closed_at: string | null;
  duration_s: number | null;
}

export interface IncidentEvent {
  seq: number;
  at: string;
  type: "opened" | "updated" | "evidence" | "closed" | "note" | "flapping" | "suppressed" | string;
  message: string;
  data?: unknown;
}

export interface IncidentsBody {
  incidents: Incident[];
  next_cursor: string | null;
}

export interface ReportAccepted {
  accepted: boolean;
  platform: string;
  reports_last_hour: number;
  flagged: boolean;
}

export interface StatusPageFull {
  platform: string;
  url: string;
  kind?: string; // statuspage | rss | atom | feed
  incidents?: StatusPageIncident[];
  fetched: boolean;
  indicator: string | null;
  description: string;
  components: { name: string; status: string }[];
  fetched_at: string | null;
  error: string | null;
}

// The `check --json` document, as far as the dashboard reads it.
export interface CheckReport {
  checked_at: string;
  observer: Observer;
  platforms: (PlatformView & { probes?: ProbeResult[] })[];
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
