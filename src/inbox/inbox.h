// The inbox: customer messages from the sources' webhooks stored once each (before the webhook
// is answered), one conversation per contact across channels, replies through the relay inside
// each platform's rules (WhatsApp's 24-hour window), the plan's move_conversations step during
// an incident, and the sweep of what waits once the platform is back. docs/inbox.md.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/incident_feed.h"
#include "core/listeners.h"
#include "core/result.h"
#include "core/work_queue.h"
#include "inbox/config.h"
#include "inbox/webhooks.h"
#include "store/store.h"

namespace lifeline::inbox {

// A message for the relay.
struct OutMessage {
  std::string channel;
  std::string to;
  std::string text;
  std::string idempotency_key;
  std::string contact;  // a relay contact's id (lets the router fail it over); "" = none
  std::string incident_id;
  std::string subject;  // e-mail: "Re: ..." of the customer's last mail; "" = none
};

struct SentRef {
  std::string id;   // the relay's message id
  std::string key;  // its idempotency key
};

// The relay as the inbox uses it (relay_outlet.cc wraps channels::Relay); tests pass a fake.
class Outlet {
 public:
  virtual ~Outlet() = default;
  // Stored in the outbox when it returns (idempotent by the key).
  [[nodiscard]] virtual core::Result<SentRef> Send(const OutMessage& m) = 0;
  // The catalog platform a relay channel rides ("" = none or unknown channel).
  virtual std::string Platform(std::string_view channel) const = 0;
  // The channel exists and its circuit is not open.
  virtual bool Accepting(std::string_view channel) const = 0;
};

// A change the dashboard and the API's live events follow ("conversation" events).
struct ConversationEvent {
  std::string change;  // "message", "reply", "assigned", "resolved", "snoozed", "opened", "moved"
  store::Conversation conversation;
};

// An inbound webhook request as the route hands it over: the raw body and the headers it reads.
struct WebhookRequest {
  std::string method;  // GET (Meta's verification) or POST
  std::string source;  // inbox.sources.NAME
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, any case
  std::string body;
};

struct WebhookAnswer {
  int status = 200;
  nlohmann::json body;  // JSON answer, unless `text` is set
  std::string text;     // GET verification: the challenge, as text/plain
  bool has_text = false;
};

// One failover move's outcome, for the step's timeline line.
struct MoveSummary {
  int moved = 0;        // a move message queued now
  int already = 0;      // moved before by this step (a restart or a retry)
  int unreachable = 0;  // no address on another channel that works
  int would_move = 0;   // a drill: what a real incident would have moved
  std::vector<std::string> notes;
};

struct MoveRequest {
  std::string incident_id;
  std::string key;  // the step's key: each conversation's move is keyed by it
  // The failed relay channels and, for each, where its customers go: (channel, inventory name,
  // link) — the backup's relay channel, its display name ("Telegram @brand") and the link
  // customers reach it by ("" = none).
  struct Target {
    std::string from_channel;
    std::string platform_name;  // "WhatsApp"
    std::string to_channel;
    std::string to_name;
    std::string link;
    std::string from_link;  // how customers reach the failed channel again ("" = none)
  };
  std::vector<Target> targets;
  // What moved customers are told once the platform is back: "", "stay" or "back" (the step's
  // on_restoration; Inbox::Restore).
  std::string on_restoration;
  // A drill: count what would move, send and change nothing (customers never see a drill).
  bool dry_run = false;
};

struct InboxOptions {
  core::Clock* clock = nullptr;  // null = core::RealClock()
  // One line per notable event; never a body or a secret. Null = silent.
  std::function<void(std::string_view)> log;
  // (relay channel, address) -> relay contact id, from the config's contacts.
  std::map<std::pair<std::string, std::string>, std::string> config_contacts;
};

// Thread-safe: webhooks arrive on the API's threads, the plan's step on the engine's.
class Inbox {
 public:
  // `store` and `outlet` must outlive the inbox.
  Inbox(InboxConfig config, store::Store& store, Outlet& outlet, InboxOptions options);

  const InboxConfig& config() const { return config_; }
  bool empty() const { return config_.sources.empty(); }

  // A webhook for a configured source. Errors map to the API's answers: kNotFound 404 (no such
  // source), kUnauthenticated 401 (signature, secret token), kPermissionDenied 403 (GET with a
  // wrong verify token), kInvalidArgument 400 (malformed, unknown business account),
  // kResourceExhausted 413. Nothing is stored unless the whole body is good; once it answers
  // 200 every message in it is on disk.
  [[nodiscard]] core::Result<WebhookAnswer> Webhook(const WebhookRequest& request);
  using WebhookDone = std::function<void(core::Result<WebhookAnswer>)>;
  // Webhook without holding the calling thread while the messages are stored (the API's route:
  // concurrent webhooks share one commit and no thread waits for it). The checks and the parse
  // run now; `done` gets the answer Webhook would give — at once for a refusal, otherwise from
  // the store's committing thread once every message is on disk.
  void WebhookAsync(const WebhookRequest& request, WebhookDone done);
  // Messages a poll fetched for source `source` (Telegram's getUpdates), stored like a webhook's
  // (once each, before this returns). kNotFound for an unknown source.
  [[nodiscard]] core::Result<WebhookAnswer> IngestPolled(std::string_view source,
                                                         const ParsedBatch& batch);

  // A reply on the conversation's current channel, through the relay. kFailedPrecondition when
  // WhatsApp's 24-hour window is closed and the source refuses then (the message says how to
  // send a template); kNotFound for an unknown conversation.
  [[nodiscard]] core::Result<store::InboxMessage> Reply(std::string_view conversation_id,
                                                        std::string_view text,
                                                        std::string_view author,
                                                        std::string_view idempotency_key = {});
  [[nodiscard]] core::Result<store::Conversation> Assign(std::string_view id,
                                                         std::string_view assignee);
  [[nodiscard]] core::Result<store::Conversation> SetState(
      std::string_view id, store::ConversationState state,
      std::optional<store::Time> snoozed_until = std::nullopt);

  // The failover of the plan's move_conversations step: for each conversation whose customer
  // waits on a failed channel, one message on the contact's next channel (the target's, else
  // any other the contact is known on that accepts messages), once per (step key, conversation),
  // and the conversation moves there.
  [[nodiscard]] core::Result<MoveSummary> Move(const MoveRequest& request);

  // Once an incident closes (its platform is back), each of its moves whose step said
  // on_restoration gets one message where the move put the customer: `stay_text` or `back_text`
  // (and a `back` conversation returns to the channel it came from). Not sent when the customer
  // has written elsewhere since (they found their way) or the conversation is resolved; the
  // move records what was done. Runs on the inbox's worker: at Watch (what closed while Lifeline
  // was stopped) and after each closing. Keyed per move, so a restart sends nothing twice.
  [[nodiscard]] std::unique_ptr<core::Subscription> Watch(core::IncidentFeed& feed);
  // The pending notices of closed incidents, now (the worker calls it; tests too).
  core::Status RestoreDue();
  // One move of RestoreDue: tells the customer, or notes why not, and marks the move done.
  core::Status RestoreOne(const store::Move& mv);
  // Waits until the worker has nothing to do; false after `timeout`.
  bool WaitIdle(std::chrono::milliseconds timeout);
  void Stop();  // the worker finishes what is queued. Idempotent.

  // GET /v1/inbox/sweep: every conversation with a customer waiting, and every customer message
  // that arrived during the incident or `sweep_after` after it, longest waiting first.
  [[nodiscard]] core::Result<nlohmann::json> Sweep(std::string_view incident_id);

  // The 24-hour window of WhatsApp on the conversation's current channel: when it closes
  // (nullopt: not a WhatsApp channel, or the customer never wrote there).
  [[nodiscard]] core::Result<std::optional<store::Time>> WindowCloses(const store::Conversation& c);

  [[nodiscard]] std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const ConversationEvent&)> sink);

  store::Store& store() { return store_; }

  // Counters for /metrics.
  struct Counters {
    std::uint64_t stored = 0, duplicates = 0, refused_signature = 0, refused_bad = 0;
  };
  Counters counters() const;

 private:
  core::Result<WebhookAnswer> Verify(const Source& src, const WebhookRequest& r);
  // What Webhook checks before storing anything: the source, the size, the signature, the
  // parse, the business account. A GET's answer is whole (Meta's verification); a POST gives the
  // batch to store.
  struct Accepted {
    const Source* source = nullptr;
    std::optional<WebhookAnswer> answer;
    ParsedBatch batch;
  };
  core::Result<Accepted> Accept(const WebhookRequest& r);
  core::Result<WebhookAnswer> StoreBatch(const Source& src, const ParsedBatch& batch);
  // Each message and status in the store's group commit; `done` once all are stored (or not).
  void StoreBatchAsync(const Source& src, ParsedBatch batch, WebhookDone done);
  // What the store answered for each message and status of a batch, in the batch's order; the
  // last answer to come in makes the webhook's (FinishBatch).
  struct BatchResults {
    std::mutex mu;  // guards left and the slots
    std::size_t left = 0;
    std::vector<std::optional<core::Result<store::Ingested>>> messages;
    std::vector<std::optional<core::Result<std::optional<std::string>>>> statuses;
    std::vector<store::Time> sent_at;  // each message's platform time
    WebhookDone done;
  };
  void FinishBatch(const Source& src, store::Time now, std::size_t ignored, BatchResults& p);
  void Publish(std::string change, const store::Conversation& c);
  void Log(std::string_view line) const;
  const Source* WhatsAppSourceFor(std::string_view channel) const;
  core::Status Away(const std::string& conversation_id);
  std::string ConfigContact(const std::string& channel, const std::string& address) const;

  const InboxConfig config_;
  store::Store& store_;
  Outlet& outlet_;
  core::Clock& clock_;
  const InboxOptions options_;
  core::Listeners<ConversationEvent> subs_;

  mutable std::mutex counters_mu_;  // guards counters_
  Counters counters_;
  std::mutex restore_mu_;  // one RestoreDue at a time
  core::WorkQueue work_;   // last: stopped before the rest goes
};

// The address a source's sender is stored under on its channel: WhatsApp's wa_id in E.164
// ("+34600111222", what the relay's WhatsApp channel sends to); others as given.
std::string NormalizeAddress(SourceKind kind, std::string_view address);

// The JSON of a conversation and of a message, as the API and live events show them.
nlohmann::json ConversationJson(const store::Conversation& c);
nlohmann::json MessageJson(const store::InboxMessage& m);

}  // namespace lifeline::inbox
