// The relay: accepts messages into the durable outbox (store/outbox.h) and delivers them on their
// channels with retries, backoff, rate limits, a circuit per channel and failover hooks. The API,
// CLI and dashboard work through this class; the router (router.h) sits on top of it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "channels/channel.h"
#include "channels/config.h"
#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/listeners.h"
#include "core/result.h"
#include "store/outbox.h"

namespace lifeline::channels {

using TimePoint = std::chrono::system_clock::time_point;

// A message to accept for one channel.
struct SendRequest {
  std::string channel;  // a configured channel's name
  std::string to;       // the address on it; "" = the channel's default recipient
  std::string subject;
  std::string text;  // required
  std::string html;
  // Links to images or videos (absolute http(s), at most 10: store::ValidateMedia). Kept with the
  // message; the channel's adapter decides what to do with them (OutgoingMessage::media).
  std::vector<std::string> media;
  // Enqueueing a key that is already stored returns that message and stores nothing. "" = the
  // relay makes a unique key (the request is then not idempotent).
  std::string idempotency_key;
  std::string contact;      // the contact it is for: lets the router fail it over
  std::string incident_id;  // the incident it belongs to, if any
  std::string route;        // why this channel (set by the router)
  std::optional<TimePoint> not_before;
};

// A change of one message, for live views (/v1/events type "outbox"). Every change but the claim
// (`sending`) is published, after it is stored.
struct OutboxChange {
  std::string type;  // the stored event's type: "queued", "delivered", "rerouted", ...
  store::OutboxMessage message;
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState s);  // "closed", "open", "half_open"

// One channel's health as /v1/channels shows it.
struct ChannelHealth {
  std::string name;
  std::string kind;
  std::string platform;  // "" = none we watch
  std::string domain;    // the platform's failure domain, "" when unknown
  CircuitState circuit = CircuitState::kClosed;
  // Why the circuit is not closed: "Meta outage since 10:02 UTC (incident inc_...)" or
  // "5 failures in a row: HTTP 503". "" when closed.
  std::string circuit_reason;
  std::optional<TimePoint> open_since;
  std::optional<TimePoint> probe_at;  // open by failures: when one message will test it again
  std::string incident_id;            // the open incident holding the circuit open, if any
  int consecutive_failures = 0;
  double rate_per_second = 0;  // as configured
  double current_rate = 0;     // lower after the far side said "too fast", creeping back up
  double tokens = 0;           // sends available right now
  std::optional<TimePoint> paused_until;  // the far side's retry-after for the whole channel
};

// Where a message addressed to a contact goes when its channel cannot take it; the router
// implements it. Called from the relay's threads with no relay lock held; may call the relay's
// const methods (Health, Accepting, FindChannel).
class Rerouter {
 public:
  virtual ~Rerouter() = default;

  struct Hop {
    std::string channel;
    std::string to;
    std::string route;  // the message's whole route text after this hop
  };
  // The next contact point for `message` (on its current channel, which cannot take it because
  // of `why`: "circuit open, Meta outage since 10:02 UTC", "failed: HTTP 400 ..."), or nullopt
  // when there is none and the message stays where it is.
  virtual std::optional<Hop> Next(const store::OutboxMessage& message, std::string_view why) = 0;
  // A message with a contact reached a final state (delivered, failed, dead-lettered) after its
  // outcome was stored: the router records the route on the incident's timeline.
  virtual void Final(const store::OutboxMessage& message) { (void)message; }
};

struct RelayOptions {
  RelayConfig config;
  // Catalog platform -> failure domain (RelaySetup::platform_domains).
  std::map<std::string, std::string, std::less<>> platform_domains;
  core::Clock* clock = nullptr;  // null = core::RealClock()
  std::uint64_t seed = 0;        // jitter's random seed; 0 = from std::random_device
  // One line per notable event (a circuit opening, a store error); null = silent.
  std::function<void(std::string_view)> log;
};

// Thread-safety: every public method may be called from any thread, before Start, while running
// and after Stop (then nothing is delivered). Public methods never wait for a delivery attempt.
//
// Delivery: one step thread does all the writing. Each step stores, in one transaction (one
// sync), the outcomes the workers reported, the messages Enqueue accepted since the last step
// (their callers return once it commits: group commit) and the next claims of due messages per
// channel (as circuit, token bucket and the in-flight bound allow); then `workers` threads send
// the claimed messages. A message is handed to a channel only after its claim is stored, and
// every change is stored before anyone is told. Before Start and after Stop, Enqueue stores
// directly (a process that does not deliver, such as `lifeline send` beside a running serve, only
// enqueues; the delivering relay finds the message within `poll`). Outcomes:
//   delivered     -> delivered (the circuit closes / stays closed)
//   retry         -> retry_scheduled after max(retry_after, backoff) where backoff is full jitter:
//                    uniform in [0, min(backoff_max, backoff_base * 2^(attempt-1))]; a
//                    rate-limited answer also slows the channel's bucket (halved, creeping back)
//                    and pauses it for retry_after; other retries count as circuit failures
//   failed        -> failed (a message-specific refusal: not a circuit failure)
//   unconfirmed   -> retry when the channel deduplicates, else unconfirmed for a person to decide
//                    (a circuit failure either way: the far side did not answer)
//   out of attempts (max_attempts on this channel) or too old (max_age) -> dead_lettered
// A message with a contact that failed for good (failed, dead-lettered), or waits for a retry on
// a channel whose circuit opened, is offered to the Rerouter; so are due contact messages of a
// channel whose circuit is open.
//
// Circuits: open after `circuit_failures` consecutive failures, then after `circuit_cooldown`
// half-open: one message tests the channel (closed on success, open again on failure). Open at
// once, with no test messages, while an incident names the channel's platform, or is a domain
// incident (several platforms, or none) of the platform's failure domain, with a verdict other
// than up, degraded or unknown; half-open when the last such incident closes.
class Relay {
 public:
  Relay(store::OutboxStore* store, std::vector<ChannelSetup> channels, RelayOptions options);
  ~Relay();  // Stop()
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Before Start. Not owned; must outlive the relay.
  void SetRerouter(Rerouter* rerouter);

  // Resolves messages a crash left in `sending` (store RecoverAfterCrash: requeued on channels
  // that deduplicate, unconfirmed on the others), then starts the threads. Errors: the store's.
  [[nodiscard]] core::Status Start();
  // Stops claiming, lets attempts in flight finish and stores their outcomes, gives claimed but
  // unsent messages back (queued, no attempt counted), and joins the threads. Idempotent.
  void Stop();

  // Subscribes the circuits to incident changes. The relay must outlive the subscription.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  // What the subscription calls; public for wiring without a feed and for tests.
  void OnIncident(const core::IncidentNotice& notice);

  // The checks Enqueue makes, without storing: the channel exists, the text is there, the
  // channel's Check accepts it (length, recipient). kInvalidArgument naming the channel and the
  // problem; kNotFound for an unknown channel.
  [[nodiscard]] core::Status Validate(const SendRequest& request) const;
  // Validates and stores the message; returns once it is on disk (group commit: concurrent
  // callers share one transaction). `created` is false when the key was already stored. Blocks
  // for one step of the relay (a sync, and the claims and outcomes stored with it).
  [[nodiscard]] core::Result<store::Enqueued> Enqueue(const SendRequest& request);
  // Many at once, one transaction; all are validated first and none is stored if one is bad.
  [[nodiscard]] core::Result<std::vector<store::Enqueued>> EnqueueBatch(
      std::span<const SendRequest> requests);

  // A person's actions (store/outbox.h has the state rules); `note` says who and why.
  [[nodiscard]] core::Result<store::OutboxMessage> Retry(std::string_view id,
                                                         std::string_view note);
  [[nodiscard]] core::Result<store::OutboxMessage> Cancel(std::string_view id,
                                                          std::string_view note);
  [[nodiscard]] core::Result<store::OutboxMessage> Decide(std::string_view id, bool delivered,
                                                          std::string_view note);

  // The store behind the relay, for listings and details.
  store::OutboxStore& outbox() const { return *store_; }
  const ChannelSetup* FindChannel(std::string_view name) const;
  std::vector<std::string> ChannelNames() const;  // config order
  // kNotFound for an unknown channel.
  [[nodiscard]] core::Result<ChannelHealth> Health(std::string_view channel) const;
  std::vector<ChannelHealth> Health() const;  // config order
  // True when the channel exists and its circuit is not open (closed or half-open).
  bool Accepting(std::string_view channel) const;

  // Asks `channel`'s platform whether the post it delivered as `remote_id` is still there
  // (Channel::Lookup). Blocks for one or two requests (bounded by the channel's timeout): call it
  // from a worker thread. Ignores the circuit (a lookup is how a person checks). kNotFound for an
  // unknown channel, kInvalidArgument for an empty id; a lookup that could not tell is data
  // (LookupResult::Presence::kUnknown), not an error.
  [[nodiscard]] core::Result<LookupResult> Lookup(std::string_view channel,
                                                  const std::string& remote_id) const;

  using Subscription = core::Subscription;
  // `sink` runs on a relay thread after each stored change; it must only queue (never call back
  // into the relay or block). Unsubscribes when the handle is destroyed.
  [[nodiscard]] std::unique_ptr<Subscription> Subscribe(
      std::function<void(const OutboxChange&)> sink);

  // Prometheus text: lifeline_outbox_messages{channel,state} (gauge, from the store's counters),
  // lifeline_outbox_attempts_total{channel,outcome}, lifeline_outbox_delivered_total{channel},
  // lifeline_outbox_failed_total{channel} (failed + dead-lettered),
  // lifeline_outbox_delivery_seconds (histogram, accepted -> delivered),
  // lifeline_channel_circuit_open{channel}. An unreadable store leaves out the gauge only.
  std::string Metrics() const;

 private:
  struct ChannelState;
  struct Completion;
  struct PendingEnqueue;

  core::Result<store::NewMessage> Prepare(const SendRequest& r, TimePoint now) const;
  // Stores validated messages: through the step loop while it runs (group commit), else directly.
  core::Result<std::vector<store::Enqueued>> Store(std::vector<store::NewMessage> messages);
  void Publish(std::string_view type, const store::OutboxMessage& m);
  void PublishAll(const std::vector<store::OutboxMessage>& ms, std::string_view type);
  void Wake();

  // The one thread that writes: each step stores the outcomes reported by the workers, the
  // messages accepted since the last step and the next claims in one transaction (one sync),
  // then hands the claims to the workers.
  void StepLoop();
  void WorkLoop();
  // Under state_mu_: time-driven circuit and bucket changes for every channel.
  void TickLocked(TimePoint now);
  // The router's decisions for contact messages claimed from a channel whose circuit is open;
  // stored with the next step.
  std::vector<store::MessageUpdate> FailoverOpenCircuit(
      const std::vector<store::OutboxMessage>& claimed, TimePoint now);
  store::MessageUpdate Judge(const store::OutboxMessage& m, const DeliveryResult& r, TimePoint now);
  std::chrono::milliseconds Backoff(int attempt);
  ChannelState* StateOf(std::string_view name);
  const ChannelState* StateOf(std::string_view name) const;
  ChannelHealth HealthLocked(const ChannelState& s) const;
  void ReapplyIncidentsLocked(TimePoint now);
  // The channels whose second try cannot make a duplicate (RecoverAfterCrash, RecoverOrphans).
  std::vector<std::string> DeduplicatingChannels() const;
  // Several instances on one database: takes back the claims of instances that died mid-send
  // (store::OutboxStore::RecoverOrphans), logs and publishes them. Not under state_mu_.
  void RecoverOrphans(TimePoint now);

  store::OutboxStore* const store_;
  const RelayOptions options_;
  core::Clock& clock_;
  Rerouter* rerouter_ = nullptr;                         // set before Start, read-only afterwards
  std::vector<std::unique_ptr<ChannelState>> channels_;  // fixed after construction

  // Guards channels_' mutable parts (circuits, buckets, counters), work_, completions_,
  // pending_, in_flight_, open_incidents_, the flags, rng_ and the histogram. The step loop waits
  // on dispatch_cv_, workers on work_cv_, Enqueue callers on enqueue_cv_ — all with this mutex.
  mutable std::mutex state_mu_;
  std::condition_variable dispatch_cv_;
  std::condition_variable work_cv_;
  std::condition_variable enqueue_cv_;
  std::deque<store::OutboxMessage> work_;                 // claimed, waiting for a worker
  std::vector<std::unique_ptr<Completion>> completions_;  // sent, outcome not stored yet
  std::vector<PendingEnqueue*> pending_;  // accepted by Enqueue, for the next step to store
  std::size_t in_flight_ = 0;             // claimed and not yet stored as done
  bool wake_ = false;                     // something changed: the step loop should look again
  std::size_t round_ = 0;                 // the step loop's rotating first channel
  TimePoint next_orphan_check_{};         // when the step loop next asks for dead instances' claims
  bool stopping_ = false;
  bool started_ = false;
  bool stopped_ = false;
  bool loop_running_ = false;  // the step loop takes pending_; else Enqueue stores directly
  bool workers_done_ = false;  // the step loop may finish once nothing is left to store
  std::map<std::string, core::IncidentNotice> open_incidents_;  // by incident id
  mutable std::mt19937_64 rng_;  // Prepare (const) draws idempotency keys from it
  // Delivery latency histogram (accepted -> delivered), counts per bucket bound and the sum.
  std::vector<std::uint64_t> latency_buckets_;
  double latency_sum_ = 0;
  std::uint64_t latency_count_ = 0;

  core::Listeners<OutboxChange> subs_;

  std::vector<std::thread> threads_;
};

}  // namespace lifeline::channels
