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

// ---- the relay (/v1/outbox, /v1/channels, /v1/contacts; src/channels/routes.cc) ----

export type MessageState =
  | "queued"
  | "sending"
  | "delivered"
  | "retry_scheduled"
  | "unconfirmed"
  | "failed"
  | "dead_lettered"
  | "cancelled";

export interface OutboxMessage {
  id: string;
  idempotency_key: string;
  channel: string;
  contact: string;
  recipient: string;
  subject?: string; // lists may leave the body out
  text?: string;
  incident_id: string;
  state: MessageState | string;
  attempts: number;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  remote_id: string;
  last_reason: string;
  // How the message got to its channel ("team-whatsapp: circuit open, Meta outage since 10:02
  // UTC"); "" when it was addressed to its channel directly.
  route: string;
  last_seq?: number; // the newest event's seq, when the server sends it
}

export interface OutboxPage {
  messages: OutboxMessage[];
  next_cursor: string | null;
}

export interface MessageEvent {
  seq: number;
  at: string;
  type: string; // usually the new state; also "rerouted", "retried", "decided", "released", ...
  state: MessageState | string;
  detail: string;
  answer: unknown;
}

export interface MessageDetail {
  message: OutboxMessage;
  events: MessageEvent[];
}

// What /v1/events carries with type "outbox".
export interface OutboxLiveEvent {
  type: string;
  message: OutboxMessage;
}

export type CircuitState = "closed" | "open" | "half_open";

export interface ChannelHealth {
  name: string;
  kind: string;
  platform: string;
  domain: string;
  circuit: CircuitState | string;
  circuit_reason: string;
  open_since: string | null;
  probe_at: string | null;
  incident_id: string;
  consecutive_failures: number;
  rate_per_second: number;
  current_rate: number;
  tokens: number;
  paused_until: string | null;
}

export interface ContactPointView {
  channel: string;
  to: string;
  circuit: CircuitState | string | null;
}

export interface ContactView {
  id: string;
  name: string;
  role: string;
  points: ContactPointView[];
}

export interface OutboxQuery {
  state?: string;
  channel?: string;
  incident?: string;
  contact?: string;
  limit?: number;
  cursor?: string;
}

export interface SendMessage {
  channel?: string;
  contact?: string;
  to?: string;
  subject?: string;
  text: string;
  idempotency_key?: string;
  incident_id?: string;
  dry_run?: boolean;
}

// ---- the contingency plan (/v1/plan, /v1/incidents/{id}/response, /v1/assignments, /v1/ack;
// src/playbook/routes.cc) ----

export type LifecycleState = "detected" | "acknowledged" | "mitigating" | "monitoring" | "resolved" | "reviewed";

export interface LifecycleTransition {
  seq: number;
  from: LifecycleState | string | null; // null for the first
  to: LifecycleState | string;
  by: string; // "ana (through the API)", "lifeline" for the engine's own moves
  note: string;
  at: string;
}

export interface ResponseRun {
  response: string;
  state: "running" | "stopped" | "finished" | string;
  reason: string;
  started_at: string;
  ended_at: string | null;
}

export type StepState = "pending" | "running" | "done" | "failed" | "skipped" | "waiting";

export interface StepRecord {
  response: string;
  step_id: string;
  state: StepState | string;
  attempts: number;
  last_error: string;
  note: string;
  started_at: string | null;
  ended_at: string | null;
}

export type AssignmentKind = "task" | "approval" | "notification";
export type AssignmentState = "open" | "acknowledged" | "done" | "approved" | "refused" | "expired";

export interface Assignment {
  id: string;
  incident_id: string;
  response: string;
  step_id: string;
  kind: AssignmentKind | string;
  title: string;
  role: string;
  assignee: string;
  notified: string[];
  escalation: string;
  escalation_level: number; // -1 = nobody asked beyond the first
  state: AssignmentState | string;
  acknowledged_by: string;
  acknowledged_at: string | null;
  ended_by: string;
  ended_at: string | null;
  note: string;
  created_at: string;
  updated_at: string;
}

export interface IncidentResponse {
  incident_id: string;
  lifecycle: {
    state: LifecycleState | string;
    platforms: string[];
    monitor_round: number;
    transitions: LifecycleTransition[];
  };
  runs: ResponseRun[];
  steps: StepRecord[]; // a plan step absent here has not started
  assignments: Assignment[];
}

export interface PlanTarget {
  kind: "role" | "person" | string;
  name: string;
}

export interface PlanMessage {
  template?: string;
  text?: string;
  subject?: string;
}

// One step of a response; which fields are set depends on `kind`.
export interface PlanStep {
  id: string;
  kind: "notify" | "post" | "move_conversations" | "pause" | "wait" | "approve" | "task" | "parallel" | string;
  on_error: string;
  to?: PlanTarget[] | string; // notify: targets; move_conversations: the channel ("" = each backup)
  message?: PlanMessage;
  escalation?: string;
  on?: string[]; // post: "" = the surviving inventory channels
  ads?: boolean;
  scheduled_posts?: boolean;
  duration_s?: number;
  role?: string;
  what?: string;
  timeout_s?: number;
  on_timeout?: string;
  title?: string;
  steps?: PlanStep[];
}

export interface PlanRole {
  name: string;
  description: string;
  holders: string[]; // team ids
}

export interface HoursWindow {
  days: number[]; // 0 = Sunday
  from: string; // "09:00"
  to: string;
}

export interface PlanPerson {
  id: string;
  name: string;
  contact: string;
  roles: string[];
  hours: { zone: string; windows: HoursWindow[] } | null; // null: always reachable
}

export interface InventoryChannel {
  id: string;
  name: string;
  platform: string;
  domain: string;
  channel: string; // the relay channel Lifeline posts through; "" = counted only
  audience: number;
  primary: boolean;
  backup: string; // another inventory id
  link: string;
}

export interface EscalationPolicy {
  name: string;
  after_s: number;
  to: PlanTarget[];
  repeat: number;
}

export interface PlanResponse {
  name: string;
  description: string;
  trigger: { platforms: string[]; domains: string[]; verdicts: string[]; for_s: number; severity: string };
  escalation: string;
  steps: PlanStep[];
  after_restoration: {
    checklist: { id: string; title: string; role: string }[];
    monitor_window_s: number;
    probe_interval_s: number;
  };
}

// What one failure domain (or platform) failing leaves reachable (`lifeline plan advise`).
export interface Exposure {
  kind: "domain" | "platform" | string;
  id: string;
  name: string;
  reachable: number;
  total: number;
  share: number; // 0..1
  cut_off: string[];
  surviving: string[];
  suggestions: string[];
  advice: string;
}

export interface Plan {
  name: string;
  on_call: string;
  roles: PlanRole[];
  team: PlanPerson[];
  inventory: InventoryChannel[];
  escalation: EscalationPolicy[];
  responses: PlanResponse[];
  advice: { total: number; domains: Exposure[]; platforms: Exposure[]; notes: string[] };
}

export type LinkAction = "acknowledge" | "done" | "approve" | "refuse";

// GET /v1/ack/{token}: what the link would do; never acts.
export interface LinkInfo {
  action: LinkAction | string;
  person: string;
  expires_at: string;
  used_at: string | null;
  usable: boolean;
  problem: string; // why it is not usable ("this link was already used at ...")
  assignment: { id: string; kind: string; title: string; state: string; incident_id: string };
}

export interface LinkRedeemed {
  action: LinkAction | string;
  by: string;
  assignment: Assignment;
}

// ---- the ads guard (src/ads/routes.cc; docs/ads.md "The API") ---------------------------------

export interface AdAccount {
  name: string;
  platform: "meta" | "google" | "tiktok" | string; // the ad platform's kind
  account: string;
  currency: string;
  delivers_on: string[]; // catalog platforms
}

export interface AdPolicy {
  name: string;
  platforms: string[];
  domains: string[];
  verdicts: string[];
  min_duration_ms: number;
  action: "pause" | "ask" | "none" | string;
  settle_ms: number;
  stagger_ms: number;
  resume: "auto" | "manual" | string;
  accounts: string[];
}

export type AdChangeState = "pausing" | "paused" | "resuming" | "resumed" | "kept" | "failed" | "dry_run";

// One campaign Lifeline set out to pause, with its state before.
export interface AdChange {
  id: number;
  incident_id: string | null; // null: paused by hand outside any incident
  account: string;
  platform: string;
  campaign_id: string;
  campaign_name: string;
  policy: string; // a guard policy, "plan:<response>", or "hand"
  by: string; // "lifeline", "plan", "api:ana", "cli:ana", or a name
  state: AdChangeState | string;
  prior: { status: string; effective_status: string; budget: string | null; budget_kind: string; currency: string };
  note: string;
  paused_at: string | null;
  resume_due: string | null;
  resumed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AdsOverview {
  configured: boolean;
  dry_run: boolean;
  accounts: AdAccount[];
  policies: AdPolicy[];
  open: AdChange[]; // pausing, paused, resuming
}

export interface AdCampaign {
  id: string;
  name: string;
  status: "active" | "paused" | "other" | string;
  platform_status: string;
  effective_status: string;
  issues: string[];
  budget: string | null; // decimal, in `currency`
  currency?: string;
  budget_kind: string;
  updated: string;
}

export interface AdFailure {
  kind: string;
  code: string;
  message: string;
  retry_after_ms?: number;
}

export interface AdAccountCampaigns {
  account: string;
  platform: string;
  delivers_on: string[];
  campaigns: AdCampaign[];
  error: AdFailure | null;
}

export interface AdCall {
  id: number;
  incident_id: string | null;
  account: string;
  op: string;
  method: string;
  path: string;
  request: string;
  status: number;
  answer: string;
  usage: string;
  took_ms: number;
  failure: string | null;
  at: string;
}

export interface AdHandResult {
  account: string;
  campaign_id: string;
  outcome: string; // "paused", "resumed", "already paused", "kept paused", "would pause", "failed", ...
  detail: string;
}

export type AdTransferState = "proposed" | "approved" | "moved" | "returned" | "refused" | "expired" | "skipped" | "failed" | "dry_run";

// A budget transfer (ads.transfers; src/ads/routes.cc TransferJson): while urgent campaigns are
// paused for an incident, their daily budget goes to a campaign on another platform, and back.
// Amounts are decimals in `currency`.
export interface AdTransfer {
  id: number;
  incident_id: string;
  name: string; // ads.transfers NAME
  from_account: string;
  campaigns: string[]; // the paused urgent campaigns whose daily budget moves
  to_account: string;
  to_campaign: string;
  to_campaign_name?: string;
  currency: string;
  amount: string; // per day
  state: AdTransferState | string;
  by?: string;
  decided_by?: string | null; // who approved or refused it; "config" for approval: none
  prior_budget?: string | null; // the receiving campaign's daily budget before the move
  set_budget?: string | null; // what Lifeline set it to
  returned_budget?: string | null; // what Lifeline set it back to
  note: string;
  moved_at?: string | null;
  return_due?: string | null;
  returned_at?: string | null;
  created_at?: string;
  updated_at?: string;
}

// ---- the recovery checklist (src/recovery/service.cc ChecklistJson; docs/recovery.md) ----------

export interface RecoveryHour {
  hour: string; // "2026-11-27T10:00" in the account's local time
  expected: number;
  low: number;
  high: number;
  actual: number | null;
  z: number | null;
  flag: "high" | "low" | null;
  p?: number;
}

export interface RecoveryMetric {
  expected: number;
  actual: number;
  high_hours: number;
  low_hours: number;
  hours: RecoveryHour[];
}

export type RecoveryVerdict = "ok" | "attention" | "pending" | "not_judged";

export interface RecoveryCampaign {
  account: string;
  platform: string;
  campaign_id: string;
  name: string;
  source: "paused_by_lifeline" | "active_on_failed_platform" | string;
  change_state: string | null;
  status: string;
  effective_status: string;
  resumed_at: string | null;
  time_zone: string;
  currency: string;
  budget: { daily: number | null; overdelivery_allowance: number | null; days: { day: string; spent: number; cap: number; projected: number }[] };
  verdict: RecoveryVerdict | string;
  flags: { kind: string; message: string }[];
  sentence: string;
  history_weeks: number;
  judged_hours: number;
  pending_hours: number;
  metrics: Partial<Record<"spend" | "impressions" | "clicks" | "cpm", RecoveryMetric>>;
  conversions: { judged: boolean; note: string };
  error: string | null;
}

export interface RecoveryChecklist {
  incident_id: string;
  title: string;
  checked_at: string;
  status: "ok" | "attention" | "pending" | "open" | "no_campaigns" | string;
  summary: string;
  window: { from: string | null; until: string | null; hours: number; source: string };
  campaigns: RecoveryCampaign[];
  conversions: { judged: boolean; note: string };
  posts: { judged: boolean; attention: boolean; note?: string; [k: string]: unknown };
  errors: string[];
}
