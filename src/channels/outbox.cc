// The relay (outbox.h): the step loop (outcomes, group-committed enqueues and claims in one
// transaction per step, as circuits and token buckets allow), the delivery workers, incidents.
#include "channels/outbox.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/types.h"

namespace lifeline::channels {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using store::MessageState;
using store::MessageUpdate;
using store::OutboxMessage;

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// How often an idle step loop asks the store for claims of instances that died (RecoverOrphans).
constexpr std::chrono::seconds kOrphanCheck{5};

constexpr double kLatencyBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,
                                     2.5,   5,    10,    30,   60,  300,  1800, 3600};

// "10:02 UTC"
std::string ClockTime(TimePoint t) {
  auto s = std::chrono::floor<std::chrono::seconds>(t);
  return fmt::format("{:%H:%M} UTC", s);
}

std::string Duration(milliseconds d) {
  if (d < std::chrono::seconds(1)) return fmt::format("{} ms", d.count());
  if (d < std::chrono::minutes(2)) return fmt::format("{:.1f} s", d.count() / 1000.0);
  return fmt::format("{} min", d.count() / 60000);
}

// The far side's answer as stored with the event: no secret, no message text (DeliveryResult's
// contract).
std::string AnswerJson(const DeliveryResult& r) {
  nlohmann::json j = {{"outcome", OutcomeName(r.outcome)}};
  if (r.http_status != 0) j["status"] = r.http_status;
  if (!r.far_code.empty()) j["code"] = r.far_code;
  if (!r.remote_id.empty()) j["remote_id"] = r.remote_id;
  if (r.retry_after) j["retry_after_ms"] = r.retry_after->count();
  if (r.rate_limited) j["rate_limited"] = true;
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool OpensCircuit(core::Verdict v) {
  return v != core::Verdict::kUp && v != core::Verdict::kDegraded && v != core::Verdict::kUnknown;
}

std::string PromLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string_view CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

struct Relay::ChannelState {
  ChannelSetup setup;
  std::string domain;
  // The circuit as failures drive it; an open incident overrides it (incident_id).
  CircuitState circuit = CircuitState::kClosed;
  std::string failure_reason;
  TimePoint open_since{};
  TimePoint probe_at{};
  int consecutive_failures = 0;
  bool probe_in_flight = false;
  // Set while an open incident holds the circuit open.
  std::string incident_id;
  std::string incident_reason;
  TimePoint incident_since{};
  // Token bucket.
  double tokens = 0;
  double current_rate = 0;
  TimePoint refilled_at{};
  TimePoint paused_until{};
  // Counters for /metrics.
  std::map<std::string, std::uint64_t, std::less<>> attempts;  // by outcome name
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;

  CircuitState Effective() const { return incident_id.empty() ? circuit : CircuitState::kOpen; }
  std::string Reason() const {
    if (!incident_id.empty()) return incident_reason;
    return circuit == CircuitState::kClosed ? std::string() : failure_reason;
  }
};

struct Relay::Completion {
  OutboxMessage message;
  MessageUpdate update;
};

struct Relay::PendingEnqueue {
  std::vector<store::NewMessage> messages;
  std::optional<Result<std::vector<store::Enqueued>>> result;
};

Relay::Relay(store::OutboxStore* store, std::vector<ChannelSetup> channels, RelayOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : core::RealClock()),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()),
      latency_buckets_(std::size(kLatencyBounds), 0) {
  TimePoint now = clock_.Now();
  for (ChannelSetup& c : channels) {
    auto s = std::make_unique<ChannelState>();
    s->setup = std::move(c);
    auto d = options_.platform_domains.find(s->setup.platform);
    if (d != options_.platform_domains.end()) s->domain = d->second;
    s->setup.traits.rate_per_second = std::max(s->setup.traits.rate_per_second, 1e-6);
    s->setup.traits.burst = std::max(s->setup.traits.burst, 1.0);
    s->current_rate = s->setup.traits.rate_per_second;
    s->tokens = s->setup.traits.burst;
    s->refilled_at = now;
    channels_.push_back(std::move(s));
  }
}

Relay::~Relay() { Stop(); }

void Relay::SetRerouter(Rerouter* rerouter) { rerouter_ = rerouter; }

Relay::ChannelState* Relay::StateOf(std::string_view name) {
  for (auto& s : channels_) {
    if (s->setup.name == name) return s.get();
  }
  return nullptr;
}

const Relay::ChannelState* Relay::StateOf(std::string_view name) const {
  for (const auto& s : channels_) {
    if (s->setup.name == name) return s.get();
  }
  return nullptr;
}

const ChannelSetup* Relay::FindChannel(std::string_view name) const {
  const ChannelState* s = StateOf(name);
  return s ? &s->setup : nullptr;
}

std::vector<std::string> Relay::ChannelNames() const {
  std::vector<std::string> out;
  for (const auto& s : channels_) out.push_back(s->setup.name);
  return out;
}

// ---- start / stop ----

Status Relay::Start() {
  {
    std::lock_guard lock(state_mu_);
    if (started_) return MakeError(ErrorCode::kFailedPrecondition, "the relay is already started");
  }
  auto recovered =
      store_->RecoverAfterCrash(store::FromSystem(clock_.Now()), DeduplicatingChannels());
  if (!recovered) return recovered.error();
  if (!recovered->empty() && options_.log) {
    std::size_t unconfirmed = 0;
    for (const auto& m : *recovered) unconfirmed += m.state == MessageState::kUnconfirmed;
    options_.log(
        fmt::format("relay: {} message(s) were being sent when lifeline stopped: {} sent "
                    "again, {} unconfirmed (decide in the outbox)",
                    recovered->size(), recovered->size() - unconfirmed, unconfirmed));
  }
  PublishAll(*recovered, "recovered");
  std::lock_guard lock(state_mu_);
  started_ = true;
  loop_running_ = true;
  threads_.emplace_back([this] { StepLoop(); });
  for (int i = 0; i < options_.config.workers; ++i) threads_.emplace_back([this] { WorkLoop(); });
  return core::Ok();
}

std::vector<std::string> Relay::DeduplicatingChannels() const {
  std::vector<std::string> out;
  for (const auto& s : channels_) {
    if (s->setup.traits.deduplicates) out.push_back(s->setup.name);
  }
  return out;
}

void Relay::RecoverOrphans(TimePoint now) {
  auto recovered = store_->RecoverOrphans(store::FromSystem(now), DeduplicatingChannels());
  if (!recovered) {
    if (options_.log) {
      options_.log("relay: looking for a stopped instance's messages failed: " +
                   recovered.error().message());
    }
    return;
  }
  if (recovered->empty()) return;
  if (options_.log) {
    std::size_t unconfirmed = 0;
    for (const auto& m : *recovered) unconfirmed += m.state == MessageState::kUnconfirmed;
    options_.log(fmt::format(
        "relay: another lifeline instance stopped while sending {} message(s): {} sent again, "
        "{} unconfirmed (decide in the outbox)",
        recovered->size(), recovered->size() - unconfirmed, unconfirmed));
  }
  PublishAll(*recovered, "recovered");
}

void Relay::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(state_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping_ = true;
    threads = std::move(threads_);
  }
  dispatch_cv_.notify_all();
  work_cv_.notify_all();
  // threads: [step loop, workers...]. Workers finish the attempt in hand and leave.
  for (std::size_t i = 1; i < threads.size(); ++i) threads[i].join();
  {
    // Claimed but never handed to a channel: given back without counting an attempt, in the
    // loop's last steps.
    std::lock_guard lock(state_mu_);
    TimePoint now = clock_.Now();
    for (OutboxMessage& m : work_) {
      MessageUpdate u;
      u.id = m.id;
      u.state = MessageState::kQueued;
      u.at = store::FromSystem(now);
      u.next_attempt_at = u.at;
      u.release = true;
      u.event_type = "released";
      u.detail = "the relay stopped before sending it";
      completions_.push_back(std::make_unique<Completion>(Completion{std::move(m), std::move(u)}));
    }
    work_.clear();
    workers_done_ = true;
    wake_ = true;
  }
  dispatch_cv_.notify_all();
  threads.front().join();
}

// ---- incidents ----

std::unique_ptr<core::IncidentFeed::Subscription> Relay::Watch(core::IncidentFeed& feed) {
  return feed.SubscribeIncidents([this](const core::IncidentNotice& n) { OnIncident(n); });
}

void Relay::OnIncident(const core::IncidentNotice& notice) {
  std::lock_guard lock(state_mu_);
  if (notice.change == core::IncidentNotice::Change::kClosed || !OpensCircuit(notice.verdict)) {
    open_incidents_.erase(notice.incident_id);
  } else {
    open_incidents_[notice.incident_id] = notice;
  }
  ReapplyIncidentsLocked(clock_.Now());
  wake_ = true;
  dispatch_cv_.notify_all();
}

void Relay::ReapplyIncidentsLocked(TimePoint now) {
  for (auto& s : channels_) {
    const core::IncidentNotice* holding = nullptr;
    for (const auto& [id, n] : open_incidents_) {
      bool names_platform =
          !s->setup.platform.empty() &&
          std::find(n.platforms.begin(), n.platforms.end(), s->setup.platform) != n.platforms.end();
      // A domain incident stops every platform of the domain; a platform incident also carries
      // its domain, but does not stop the domain's other platforms.
      bool whole_domain = n.kind == core::IncidentNotice::Kind::kDomain && !s->domain.empty() &&
                          n.domain == s->domain;
      if (names_platform || whole_domain) {
        holding = &n;
        break;
      }
    }
    if (holding != nullptr) {
      if (s->incident_id != holding->incident_id) {
        s->incident_id = holding->incident_id;
        s->incident_since = holding->opened_at;
        std::string what = holding->title.empty() ? fmt::format("{} {}", s->setup.platform,
                                                                core::VerdictName(holding->verdict))
                                                  : holding->title;
        s->incident_reason = fmt::format("{} since {} (incident {})", what,
                                         ClockTime(holding->opened_at), holding->incident_id);
        if (options_.log) {
          options_.log(
              fmt::format("relay: {}: circuit open: {}", s->setup.name, s->incident_reason));
        }
      }
    } else if (!s->incident_id.empty()) {
      // The incident is over: one message tests the channel before it takes the queue again.
      s->incident_id.clear();
      s->incident_reason.clear();
      s->circuit = CircuitState::kHalfOpen;
      s->failure_reason = "the incident closed; testing the channel with one message";
      s->probe_in_flight = false;
      s->open_since = now;
    }
  }
}

// ---- enqueue ----

Result<store::NewMessage> Relay::Prepare(const SendRequest& r, TimePoint now) const {
  const ChannelState* s = StateOf(r.channel);
  if (s == nullptr) {
    std::string names;
    for (const auto& c : channels_) names += (names.empty() ? "" : ", ") + c->setup.name;
    return MakeError(ErrorCode::kNotFound, "unknown channel '{}' (channels: {})", r.channel,
                     names.empty() ? "none configured" : names);
  }
  if (r.text.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: the message has no text", r.channel);
  }
  if (auto v = store::ValidateMedia(r.media); !v) {
    return core::Error(ErrorCode::kInvalidArgument,
                       fmt::format("{}: {}", r.channel, v.error().message()));
  }
  OutgoingMessage probe;
  probe.to = r.to;
  probe.subject = r.subject;
  probe.text = r.text;
  probe.html = r.html;
  probe.media = r.media;
  if (auto c = s->setup.channel->Check(probe); !c) {
    return core::Error(ErrorCode::kInvalidArgument, c.error().message());
  }
  store::NewMessage m;
  m.idempotency_key = r.idempotency_key;
  if (m.idempotency_key.empty()) {
    std::uniform_int_distribution<std::uint64_t> d;
    std::lock_guard lock(state_mu_);
    m.idempotency_key = fmt::format("auto-{:016x}{:016x}", d(rng_), d(rng_));
  }
  m.channel = r.channel;
  m.contact = r.contact;
  m.recipient = r.to;
  m.subject = r.subject;
  m.text = r.text;
  m.html = r.html;
  m.media = r.media;
  m.incident_id = r.incident_id;
  m.route = r.route;
  m.created_at = store::FromSystem(now);
  if (r.not_before) m.not_before = store::FromSystem(*r.not_before);
  // The store's own limits, checked here: a bad message must not fail the others in its group
  // commit.
  if (auto v = store::ValidateNewMessage(m); !v) {
    return core::Error(ErrorCode::kInvalidArgument,
                       fmt::format("{}: {}", r.channel, v.error().message()));
  }
  return m;
}

Status Relay::Validate(const SendRequest& request) const {
  auto m = Prepare(request, clock_.Now());
  if (!m) return m.error();
  return core::Ok();
}

Result<store::Enqueued> Relay::Enqueue(const SendRequest& request) {
  LL_ASSIGN(store::NewMessage m, Prepare(request, clock_.Now()));
  std::vector<store::NewMessage> one;
  one.push_back(std::move(m));
  LL_ASSIGN(std::vector<store::Enqueued> out, Store(std::move(one)));
  return std::move(out.front());
}

Result<std::vector<store::Enqueued>> Relay::EnqueueBatch(std::span<const SendRequest> requests) {
  TimePoint now = clock_.Now();
  std::vector<store::NewMessage> ms;
  ms.reserve(requests.size());
  for (const SendRequest& r : requests) {
    LL_ASSIGN(store::NewMessage m, Prepare(r, now));
    ms.push_back(std::move(m));
  }
  if (ms.empty()) return std::vector<store::Enqueued>{};
  return Store(std::move(ms));
}

Result<std::vector<store::Enqueued>> Relay::Store(std::vector<store::NewMessage> messages) {
  PendingEnqueue mine{std::move(messages), std::nullopt};
  {
    std::unique_lock lock(state_mu_);
    if (loop_running_) {
      // Group commit: the step loop stores it with everything else of its next step (one sync),
      // and tells us.
      pending_.push_back(&mine);
      wake_ = true;
      dispatch_cv_.notify_all();
      enqueue_cv_.wait(lock, [&] { return mine.result.has_value(); });
      return std::move(*mine.result);
    }
  }
  // Not delivering (not started, or stopped: e.g. `lifeline send` beside a running serve, whose
  // relay picks the message up): store it directly.
  LL_ASSIGN(std::vector<store::Enqueued> out, store_->Enqueue(mine.messages));
  for (const auto& e : out) {
    if (e.created) Publish("queued", e.message);
  }
  return out;
}

// ---- a person's actions ----

Result<OutboxMessage> Relay::Retry(std::string_view id, std::string_view note) {
  LL_ASSIGN(OutboxMessage m, store_->Retry(id, store::FromSystem(clock_.Now()), note));
  Publish("retried", m);
  Wake();
  return m;
}

Result<OutboxMessage> Relay::Cancel(std::string_view id, std::string_view note) {
  LL_ASSIGN(OutboxMessage m, store_->Cancel(id, store::FromSystem(clock_.Now()), note));
  Publish("cancelled", m);
  return m;
}

Result<OutboxMessage> Relay::Decide(std::string_view id, bool delivered, std::string_view note) {
  LL_ASSIGN(OutboxMessage m, store_->Decide(id, delivered, store::FromSystem(clock_.Now()), note));
  Publish("decided", m);
  if (!delivered) Wake();
  return m;
}

// ---- publishing ----

std::unique_ptr<Relay::Subscription> Relay::Subscribe(
    std::function<void(const OutboxChange&)> sink) {
  return subs_.Add(std::move(sink));
}

void Relay::Publish(std::string_view type, const OutboxMessage& m) {
  if (subs_.empty()) return;
  subs_.Publish(OutboxChange{std::string(type), m});
}

void Relay::PublishAll(const std::vector<OutboxMessage>& ms, std::string_view type) {
  for (const OutboxMessage& m : ms) Publish(type, m);
}

void Relay::Wake() {
  {
    std::lock_guard lock(state_mu_);
    wake_ = true;
  }
  dispatch_cv_.notify_all();
}

// ---- health ----

ChannelHealth Relay::HealthLocked(const ChannelState& s) const {
  ChannelHealth h;
  h.name = s.setup.name;
  h.kind = s.setup.kind;
  h.platform = s.setup.platform;
  h.domain = s.domain;
  h.circuit = s.Effective();
  h.circuit_reason = s.Reason();
  if (!s.incident_id.empty()) {
    h.incident_id = s.incident_id;
    h.open_since = s.incident_since;
  } else if (s.circuit != CircuitState::kClosed) {
    h.open_since = s.open_since;
    if (s.circuit == CircuitState::kOpen) h.probe_at = s.probe_at;
  }
  h.consecutive_failures = s.consecutive_failures;
  h.rate_per_second = s.setup.traits.rate_per_second;
  h.current_rate = s.current_rate;
  h.tokens = s.tokens;
  if (s.paused_until > clock_.Now()) h.paused_until = s.paused_until;
  return h;
}

Result<ChannelHealth> Relay::Health(std::string_view channel) const {
  std::lock_guard lock(state_mu_);
  const ChannelState* s = StateOf(channel);
  if (s == nullptr) return MakeError(ErrorCode::kNotFound, "unknown channel '{}'", channel);
  return HealthLocked(*s);
}

std::vector<ChannelHealth> Relay::Health() const {
  std::lock_guard lock(state_mu_);
  std::vector<ChannelHealth> out;
  for (const auto& s : channels_) out.push_back(HealthLocked(*s));
  return out;
}

bool Relay::Accepting(std::string_view channel) const {
  std::lock_guard lock(state_mu_);
  const ChannelState* s = StateOf(channel);
  return s != nullptr && s->Effective() != CircuitState::kOpen;
}

Result<LookupResult> Relay::Lookup(std::string_view channel, const std::string& remote_id) const {
  // channels_ and each setup are fixed after construction: no lock needed to find the channel,
  // and none is held while it asks the platform (adapters guard their own state).
  const ChannelState* s = StateOf(channel);
  if (s == nullptr) return MakeError(ErrorCode::kNotFound, "unknown channel '{}'", channel);
  if (remote_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: no post id to look up", channel);
  }
  return s->setup.channel->Lookup(remote_id);
}

// ---- delivery ----

std::chrono::milliseconds Relay::Backoff(int attempt) {
  // Full jitter (uniform in [0, cap]): retries of many messages that failed together spread out
  // instead of hitting the far side again in step.
  double base = static_cast<double>(options_.config.backoff_base.count());
  double cap = static_cast<double>(options_.config.backoff_max.count());
  double ceiling = std::min(cap, base * std::pow(2.0, std::max(0, attempt - 1)));
  std::uniform_real_distribution<double> d(0.0, ceiling);
  return milliseconds(static_cast<std::int64_t>(d(rng_)));
}

void Relay::TickLocked(TimePoint now) {
  for (auto& s : channels_) {
    double elapsed = std::chrono::duration<double>(now - s->refilled_at).count();
    if (elapsed > 0) {
      s->tokens = std::min(s->setup.traits.burst, s->tokens + elapsed * s->current_rate);
      s->refilled_at = now;
    }
    if (s->incident_id.empty() && s->circuit == CircuitState::kOpen && now >= s->probe_at) {
      s->circuit = CircuitState::kHalfOpen;
      s->probe_in_flight = false;
    }
  }
}

void Relay::StepLoop() {
  const std::size_t batch = std::max<std::size_t>(options_.config.batch, 1);
  // Claimed but not yet stored as done: bounded, because a crash turns every claimed message of a
  // channel that cannot deduplicate into an unconfirmed one.
  const std::size_t max_in_flight =
      std::max<std::size_t>(batch, static_cast<std::size_t>(options_.config.workers) * 4);
  std::vector<MessageUpdate> carry;  // failover decisions, stored with the next step
  int failures = 0;
  bool claim_now = true;  // the last step's claims were full: more may be due right now
  std::unique_lock lock(state_mu_);
  while (true) {
    wake_ = false;
    TimePoint now = clock_.Now();
    TickLocked(now);

    // What this step stores: outcomes, new messages, and (unless stopping) claims.
    std::vector<std::unique_ptr<Completion>> done = std::move(completions_);
    completions_.clear();
    std::vector<PendingEnqueue*> pending = std::move(pending_);
    pending_.clear();
    const std::size_t finishing = done.size();
    std::size_t capacity =
        max_in_flight + finishing > in_flight_ ? max_in_flight + finishing - in_flight_ : 0;
    std::vector<store::ClaimRequest> requests;
    std::vector<ChannelState*> whose;
    if (!stopping_) {
      // What each channel may take now (tokens, circuit); the capacity is shared evenly among
      // those, starting at a rotating channel, so one busy channel cannot starve the others.
      std::vector<std::pair<ChannelState*, std::size_t>> ready;
      const std::size_t count = channels_.size();
      for (std::size_t k = 0; k < count; ++k) {
        ChannelState* s = channels_[(k + round_) % count].get();
        CircuitState c = s->Effective();
        if (c == CircuitState::kOpen) {
          if (rerouter_ != nullptr) {
            requests.push_back({s->setup.name, batch, /*contact_only=*/true});
            whose.push_back(s);
          }
          continue;
        }
        if (now < s->paused_until) continue;
        auto n = static_cast<std::size_t>(std::floor(s->tokens));
        if (c == CircuitState::kHalfOpen) n = s->probe_in_flight ? 0 : std::min<std::size_t>(n, 1);
        if (n > 0) ready.emplace_back(s, std::min(n, batch));
      }
      ++round_;
      if (!ready.empty()) {
        std::size_t share = std::max<std::size_t>(1, capacity / ready.size());
        for (auto& [s, n] : ready) {
          n = std::min({n, share, capacity});
          if (n == 0) continue;
          requests.push_back({s->setup.name, n, false});
          whose.push_back(s);
          capacity -= n;
        }
      }
    }

    // A step only to claim is worth it when the last one may have left due messages behind;
    // otherwise sleep until something is due (claims still ride along with any other step).
    if (done.empty() && pending.empty() && carry.empty() && (requests.empty() || !claim_now)) {
      if (stopping_ && workers_done_) break;
      claim_now = true;
      // Another instance on a shared database may have died holding claims: every little while,
      // take them back (a store one relay owns answers at once with nothing).
      if (!stopping_ && now >= next_orphan_check_) {
        next_orphan_check_ = now + kOrphanCheck;
        lock.unlock();
        RecoverOrphans(now);
        lock.lock();
        continue;  // what came back may be due now
      }
      // Nothing to do now: sleep until the earliest moment something can be claimed.
      TimePoint deadline = now + options_.config.poll;  // another process may have enqueued
      // Not while stopping: the check is not made then, and a deadline already passed would spin.
      if (!stopping_) deadline = std::min(deadline, next_orphan_check_);
      std::vector<std::pair<std::string, bool>> ask;  // channel, contact_only
      if (!stopping_) {
        for (auto& s : channels_) {
          CircuitState c = s->Effective();
          if (c == CircuitState::kOpen) {
            if (s->incident_id.empty()) deadline = std::min(deadline, s->probe_at);
            if (rerouter_ != nullptr) ask.emplace_back(s->setup.name, true);
            continue;
          }
          if (c == CircuitState::kHalfOpen && s->probe_in_flight) continue;
          ask.emplace_back(s->setup.name, false);
        }
      }
      if (in_flight_ < max_in_flight && !ask.empty()) {
        lock.unlock();
        std::vector<std::optional<store::Time>> due(ask.size());
        for (std::size_t i = 0; i < ask.size(); ++i) {
          auto d = store_->NextDue(ask[i].first, ask[i].second);
          due[i] = d.ok() ? *d : store::FromSystem(now + std::chrono::seconds(1));
        }
        lock.lock();
        for (std::size_t i = 0; i < ask.size(); ++i) {
          if (!due[i]) continue;
          TimePoint t = *due[i];
          const ChannelState* s = StateOf(ask[i].first);
          if (!ask[i].second) {
            t = std::max(t, s->paused_until);
            if (s->tokens < 1) {
              double wait_s = (1 - s->tokens) / s->current_rate;
              t = std::max(t, now + duration_cast<TimePoint::duration>(
                                        std::chrono::duration<double>(wait_s)));
            }
          }
          deadline = std::min(deadline, t);
        }
      }
      if (!wake_ && deadline > clock_.Now()) clock_.WaitUntil(dispatch_cv_, lock, deadline);
      continue;
    }

    lock.unlock();
    std::vector<MessageUpdate> updates = std::move(carry);
    carry.clear();
    for (const auto& c : done) updates.push_back(c->update);
    std::vector<store::NewMessage> news;
    for (const PendingEnqueue* p : pending) {
      news.insert(news.end(), p->messages.begin(), p->messages.end());
    }
    auto stepped = store_->Step({updates, news, store::FromSystem(now), requests});
    lock.lock();

    if (!stepped) {
      if (options_.log) options_.log("relay: storing a step failed: " + stepped.error().message());
      // New messages are not accepted: their callers get the error now.
      for (PendingEnqueue* p : pending) p->result.emplace(stepped.error());
      if (!pending.empty()) enqueue_cv_.notify_all();
      // Outcomes are kept and tried again (the messages stay `sending` in the store meanwhile),
      // unless stopping with a store that keeps failing: the next start resolves them.
      if (stopping_ && workers_done_ && ++failures >= 5) {
        in_flight_ -= finishing;
        break;
      }
      carry = std::move(updates);
      carry.erase(carry.end() - static_cast<std::ptrdiff_t>(finishing), carry.end());
      for (auto& c : completions_) done.push_back(std::move(c));
      completions_ = std::move(done);
      clock_.WaitUntil(dispatch_cv_, lock, now + std::chrono::milliseconds(200));
      continue;
    }
    failures = 0;
    store::StepResult& r = *stepped;

    // The callers of Enqueue, in the order their messages were stored.
    std::size_t at = 0;
    for (PendingEnqueue* p : pending) {
      std::vector<store::Enqueued> mine(
          r.enqueued.begin() + static_cast<std::ptrdiff_t>(at),
          r.enqueued.begin() + static_cast<std::ptrdiff_t>(at + p->messages.size()));
      at += p->messages.size();
      p->result.emplace(std::move(mine));
    }
    if (!pending.empty()) enqueue_cv_.notify_all();

    // Outcomes stored: counters and the latency histogram.
    in_flight_ -= finishing;
    for (const OutboxMessage& m : r.updated) {
      ChannelState* s = StateOf(m.channel);
      if (s == nullptr) continue;
      if (m.state == MessageState::kDelivered) {
        ++s->delivered;
        double secs = std::chrono::duration<double>(m.updated_at - m.created_at).count();
        latency_sum_ += secs;
        ++latency_count_;
        for (std::size_t i = 0; i < std::size(kLatencyBounds); ++i) {
          if (secs <= kLatencyBounds[i]) ++latency_buckets_[i];
        }
      } else if (m.state == MessageState::kFailed || m.state == MessageState::kDeadLettered) {
        ++s->failed;
      }
    }

    // Claims: to the workers, or (a channel whose circuit is open) to the router.
    bool more = false;
    std::map<std::string, std::size_t, std::less<>> got;
    std::vector<OutboxMessage> failover;
    for (OutboxMessage& m : r.claimed) {
      ChannelState* s = StateOf(m.channel);
      if (s != nullptr && s->Effective() == CircuitState::kOpen) {
        failover.push_back(std::move(m));
        continue;
      }
      ++got[m.channel];
      ++in_flight_;
      work_.push_back(std::move(m));
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (requests[i].contact_only) continue;
      ChannelState* s = whose[i];
      auto it = got.find(s->setup.name);
      std::size_t k = it == got.end() ? 0 : it->second;
      s->tokens -= static_cast<double>(k);
      if (s->Effective() == CircuitState::kHalfOpen && k > 0) s->probe_in_flight = true;
      if (k == requests[i].limit) more = true;
    }
    if (!work_.empty()) work_cv_.notify_all();
    lock.unlock();

    // Tell the world, after the fact is stored: the incident timeline first (so whoever sees the
    // change can read the route there too), then the live views.
    for (const auto& e : r.enqueued) {
      if (e.created) Publish("queued", e.message);
    }
    std::size_t j = 0;  // r.updated is in updates' order, skipped ones left out
    for (const OutboxMessage& m : r.updated) {
      while (j < updates.size() && updates[j].id != m.id) ++j;
      std::string_view type = store::MessageStateName(m.state);
      if (j < updates.size() && !updates[j].event_type.empty()) type = updates[j].event_type;
      if (rerouter_ != nullptr && !m.contact.empty() &&
          (m.state == MessageState::kDelivered || m.state == MessageState::kFailed ||
           m.state == MessageState::kDeadLettered)) {
        rerouter_->Final(m);
      }
      Publish(type, m);
    }
    if (!failover.empty()) carry = FailoverOpenCircuit(failover, now);

    lock.lock();
    claim_now = more;
  }
  loop_running_ = false;
  // Enqueue callers that came after the last step: store them directly.
  for (PendingEnqueue* p : pending_) {
    lock.unlock();
    auto stored = store_->Enqueue(p->messages);
    lock.lock();
    if (stored.ok()) {
      p->result.emplace(std::move(*stored));
    } else {
      p->result.emplace(stored.error());
    }
  }
  pending_.clear();
  enqueue_cv_.notify_all();
}

std::vector<MessageUpdate> Relay::FailoverOpenCircuit(const std::vector<OutboxMessage>& claimed,
                                                      TimePoint now) {
  std::vector<MessageUpdate> updates;
  for (const OutboxMessage& m : claimed) {
    std::string reason;
    TimePoint retest = now + options_.config.circuit_cooldown;
    {
      std::lock_guard lock(state_mu_);
      const ChannelState* s = StateOf(m.channel);
      reason = s->Reason();
      if (s->incident_id.empty()) retest = std::max(s->probe_at, now);
    }
    std::string why = fmt::format("circuit open, {}", reason);
    MessageUpdate u;
    u.id = m.id;
    u.at = store::FromSystem(now);
    u.release = true;
    std::optional<Rerouter::Hop> hop = rerouter_->Next(m, why);
    if (hop) {
      u.state = MessageState::kQueued;
      u.next_attempt_at = u.at;
      u.channel = hop->channel;
      u.recipient = hop->to;
      u.route = hop->route;
      u.event_type = "rerouted";
      u.detail = fmt::format("{}: {}; next: {}", m.channel, why, hop->channel);
    } else {
      // Nowhere else to go: wait for the channel's next test rather than spinning on it.
      u.state = MessageState::kQueued;
      u.next_attempt_at = store::FromSystem(retest);
      u.event_type = "released";
      u.detail = fmt::format("{}: {}; no other contact point can take it: waiting", m.channel, why);
    }
    updates.push_back(std::move(u));
  }
  return updates;
}

MessageUpdate Relay::Judge(const OutboxMessage& m, const DeliveryResult& r, TimePoint now) {
  std::lock_guard lock(state_mu_);
  ChannelState& s = *StateOf(m.channel);
  const RelayConfig& cfg = options_.config;
  ++s.attempts[std::string(OutcomeName(r.outcome))];
  MessageUpdate u;
  u.id = m.id;
  u.at = store::FromSystem(now);
  u.answer_json = AnswerJson(r);
  bool success = false;
  bool failure = false;
  bool retry = false;
  switch (r.outcome) {
    case Outcome::kDelivered:
      success = true;
      u.state = MessageState::kDelivered;
      u.remote_id = r.remote_id;
      u.reason = r.reason.empty()
                     ? (r.remote_id.empty() ? "delivered" : "delivered as " + r.remote_id)
                     : r.reason;
      if (!m.route.empty()) u.route = fmt::format("{}; sent by {}", m.route, m.channel);
      break;
    case Outcome::kRetry:
      retry = true;
      if (r.rate_limited) {
        // The far side says we go too fast: halve the rate (down to a sixteenth), empty the
        // bucket, and hold the whole channel for its retry-after.
        s.current_rate = std::max(s.setup.traits.rate_per_second / 16, s.current_rate / 2);
        s.tokens = std::min(s.tokens, 0.0);
        if (r.retry_after) s.paused_until = std::max(s.paused_until, now + *r.retry_after);
      } else {
        failure = true;
      }
      break;
    case Outcome::kFailed:
      u.state = MessageState::kFailed;
      u.reason = r.reason.empty() ? "failed" : r.reason;
      break;
    case Outcome::kUnconfirmed:
      failure = true;
      if (s.setup.traits.deduplicates) {
        retry = true;  // a second try cannot make a duplicate
      } else {
        u.state = MessageState::kUnconfirmed;
        u.reason = fmt::format(
            "{}; {} cannot deduplicate, so it is not sent again by itself: "
            "decide whether it arrived",
            r.reason.empty() ? "no answer" : r.reason, m.channel);
      }
      break;
  }
  if (retry) {
    bool out_of_attempts = m.attempts >= cfg.max_attempts;
    bool too_old = now - TimePoint(m.created_at) >= cfg.max_age;
    std::string why = r.reason.empty() ? std::string(OutcomeName(r.outcome)) : r.reason;
    if (out_of_attempts || too_old) {
      u.state = MessageState::kDeadLettered;
      u.reason =
          out_of_attempts
              ? fmt::format("gave up after {} attempts on {}: {}", m.attempts, m.channel, why)
              : fmt::format("gave up: older than {} ({})", Duration(cfg.max_age), why);
    } else {
      milliseconds wait = Backoff(m.attempts);
      if (r.retry_after) wait = std::max(wait, *r.retry_after);
      u.state = MessageState::kRetryScheduled;
      u.next_attempt_at = store::FromSystem(now + wait);
      u.reason = why;
      u.detail = fmt::format("{}; next attempt in {}", why, Duration(wait));
    }
  }

  // The circuit.
  if (s.circuit == CircuitState::kHalfOpen) s.probe_in_flight = false;
  if (success) {
    s.consecutive_failures = 0;
    if (s.circuit != CircuitState::kClosed && options_.log) {
      options_.log(fmt::format("relay: {}: circuit closed (a message went through)", m.channel));
    }
    s.circuit = CircuitState::kClosed;
    s.failure_reason.clear();
    s.current_rate = std::min(s.setup.traits.rate_per_second, s.current_rate * 1.1);
  } else if (failure) {
    ++s.consecutive_failures;
    std::string why = r.reason.empty() ? std::string(OutcomeName(r.outcome)) : r.reason;
    bool open = false;
    if (s.circuit == CircuitState::kHalfOpen) {
      s.failure_reason = fmt::format("the test message failed too: {}", why);
      open = true;
    } else if (s.circuit == CircuitState::kClosed &&
               s.consecutive_failures >= cfg.circuit_failures) {
      s.failure_reason =
          fmt::format("{} failures in a row, the last: {}", s.consecutive_failures, why);
      open = true;
    }
    if (open) {
      s.circuit = CircuitState::kOpen;
      s.open_since = now;
      s.probe_at = now + cfg.circuit_cooldown;
      if (options_.log) {
        options_.log(fmt::format("relay: {}: circuit open: {}", m.channel, s.failure_reason));
      }
    }
  }
  return u;
}

void Relay::WorkLoop() {
  std::unique_lock lock(state_mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !work_.empty(); });
    if (stopping_) return;  // what is left in work_ is given back by Stop
    OutboxMessage m = std::move(work_.front());
    work_.pop_front();
    ChannelState* s = StateOf(m.channel);
    lock.unlock();

    OutgoingMessage out;
    out.id = m.id;
    out.idempotency_key = m.idempotency_key;
    out.to = m.recipient;
    out.subject = m.subject;
    out.text = m.text;
    out.html = m.html;
    out.media = m.media;
    out.attempt = m.attempts;
    DeliveryResult r = s->setup.channel->Send(out);
    TimePoint done = clock_.Now();
    MessageUpdate u = Judge(m, r, done);

    // A contact's message that cannot go out here goes to the contact's next point: when it
    // failed for good, or would wait for a retry behind a circuit that is now open.
    bool stuck = u.state == MessageState::kFailed || u.state == MessageState::kDeadLettered ||
                 (u.state == MessageState::kRetryScheduled && !Accepting(m.channel));
    if (stuck && !m.contact.empty() && rerouter_ != nullptr) {
      std::string why;
      if (u.state == MessageState::kRetryScheduled) {
        auto h = Health(m.channel);
        why = fmt::format("circuit open, {}", h.ok() ? h->circuit_reason : u.reason);
      } else {
        why = fmt::format("{}: {}", store::MessageStateName(u.state), u.reason);
      }
      if (auto hop = rerouter_->Next(m, why)) {
        u.state = MessageState::kQueued;
        u.next_attempt_at = u.at;
        u.channel = hop->channel;
        u.recipient = hop->to;
        u.route = hop->route;
        u.event_type = "rerouted";
        u.detail = fmt::format("{}: {}; next: {}", m.channel, why, hop->channel);
      }
    }
    lock.lock();
    completions_.push_back(std::make_unique<Completion>(Completion{std::move(m), std::move(u)}));
    wake_ = true;
    dispatch_cv_.notify_all();
  }
}

// ---- metrics ----

std::string Relay::Metrics() const {
  std::string out;
  auto counts = store_->Counts();
  if (counts.ok()) {
    out += "# HELP lifeline_outbox_messages Messages in the outbox by channel and state.\n";
    out += "# TYPE lifeline_outbox_messages gauge\n";
    for (const auto& c : *counts) {
      out += fmt::format("lifeline_outbox_messages{{channel=\"{}\",state=\"{}\"}} {}\n",
                         PromLabel(c.channel), store::MessageStateName(c.state), c.count);
    }
  }
  std::lock_guard lock(state_mu_);
  out += "# HELP lifeline_outbox_attempts_total Delivery attempts by channel and outcome.\n";
  out += "# TYPE lifeline_outbox_attempts_total counter\n";
  for (const auto& s : channels_) {
    for (std::string_view o : {"delivered", "retry", "failed", "unconfirmed"}) {
      auto it = s->attempts.find(o);
      out += fmt::format("lifeline_outbox_attempts_total{{channel=\"{}\",outcome=\"{}\"}} {}\n",
                         PromLabel(s->setup.name), o, it == s->attempts.end() ? 0 : it->second);
    }
  }
  out += "# HELP lifeline_outbox_delivered_total Messages delivered, by channel.\n";
  out += "# TYPE lifeline_outbox_delivered_total counter\n";
  for (const auto& s : channels_) {
    out += fmt::format("lifeline_outbox_delivered_total{{channel=\"{}\"}} {}\n",
                       PromLabel(s->setup.name), s->delivered);
  }
  out += "# HELP lifeline_outbox_failed_total Messages failed or dead-lettered, by channel.\n";
  out += "# TYPE lifeline_outbox_failed_total counter\n";
  for (const auto& s : channels_) {
    out += fmt::format("lifeline_outbox_failed_total{{channel=\"{}\"}} {}\n",
                       PromLabel(s->setup.name), s->failed);
  }
  out += "# HELP lifeline_outbox_delivery_seconds From accepted to delivered.\n";
  out += "# TYPE lifeline_outbox_delivery_seconds histogram\n";
  for (std::size_t i = 0; i < std::size(kLatencyBounds); ++i) {
    out += fmt::format("lifeline_outbox_delivery_seconds_bucket{{le=\"{}\"}} {}\n",
                       kLatencyBounds[i], latency_buckets_[i]);
  }
  out += fmt::format("lifeline_outbox_delivery_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count_);
  out += fmt::format("lifeline_outbox_delivery_seconds_sum {}\n", latency_sum_);
  out += fmt::format("lifeline_outbox_delivery_seconds_count {}\n", latency_count_);
  out += "# HELP lifeline_channel_circuit_open 1 while the channel's circuit is open.\n";
  out += "# TYPE lifeline_channel_circuit_open gauge\n";
  for (const auto& s : channels_) {
    out += fmt::format("lifeline_channel_circuit_open{{channel=\"{}\"}} {}\n",
                       PromLabel(s->setup.name), s->Effective() == CircuitState::kOpen ? 1 : 0);
  }
  return out;
}

}  // namespace lifeline::channels
