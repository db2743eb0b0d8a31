// A scripted Channel for tests of the outbox, the router and the config (header-only: no test code
// in the library). Answers are queued per call or computed by a function; every attempt is
// recorded; Send can be held at a gate to test what happens while an attempt is in flight.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "channels/channel.h"
#include "channels/registry.h"
#include "config/yaml_read.h"

namespace lifeline::channels::testing {

class FakeChannel : public Channel {
 public:
  explicit FakeChannel(Info info) : info_(std::move(info)) {}

  const Info& info() const override { return info_; }

  // Addresses starting with "bad" are malformed; a missing one is an error when the channel has
  // no default recipient and needs one; text over max_chars is refused.
  core::Status Check(const OutgoingMessage& m) const override {
    if (m.to.rfind("bad", 0) == 0) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "{}: '{}' is not a valid address (expected a chat id)", info_.name,
                             m.to);
    }
    if (m.to.empty() && info_.recipient.empty() && info_.traits.needs_recipient) {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: no recipient given",
                             info_.name);
    }
    if (info_.traits.max_chars > 0 && m.text.size() > info_.traits.max_chars) {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: {} characters; {} allows {}",
                             info_.name, m.text.size(), info_.kind, info_.traits.max_chars);
    }
    return core::Ok();
  }

  DeliveryResult Send(const OutgoingMessage& m) override {
    std::unique_lock lock(mu_);
    sent_.push_back(m);
    ++in_flight_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --in_flight_;
    DeliveryResult r;
    if (!script_.empty()) {
      r = std::move(script_.front());
      script_.pop_front();
    } else if (answer_) {
      r = answer_(m);
    } else {
      r.outcome = Outcome::kDelivered;
      r.remote_id = "r" + std::to_string(sent_.size());
      r.http_status = 200;
    }
    cv_.notify_all();
    return r;
  }

  // The next answers, in order; after them, `answer` (or delivered).
  void Script(std::vector<DeliveryResult> results) {
    std::lock_guard lock(mu_);
    for (auto& r : results) script_.push_back(std::move(r));
  }
  void SetAnswer(std::function<DeliveryResult(const OutgoingMessage&)> answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  // Closed: Send waits (after recording the attempt) until opened again.
  void SetGate(bool open) {
    std::lock_guard lock(mu_);
    open_ = open;
    cv_.notify_all();
  }
  // Waits until at least `n` attempts were made; false after `timeout`.
  bool WaitForAttempts(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return sent_.size() >= n; });
  }
  std::vector<OutgoingMessage> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::size_t attempts() const {
    std::lock_guard lock(mu_);
    return sent_.size();
  }

  static DeliveryResult Retry(std::string reason = "HTTP 503",
                              std::optional<std::chrono::milliseconds> after = std::nullopt,
                              bool rate_limited = false) {
    DeliveryResult r;
    r.outcome = Outcome::kRetry;
    r.reason = std::move(reason);
    r.retry_after = after;
    r.rate_limited = rate_limited;
    r.http_status = rate_limited ? 429 : 503;
    return r;
  }
  static DeliveryResult Failed(std::string reason = "HTTP 400: chat not found") {
    DeliveryResult r;
    r.outcome = Outcome::kFailed;
    r.reason = std::move(reason);
    r.http_status = 400;
    return r;
  }
  static DeliveryResult Lost(std::string reason = "timed out after the request was sent") {
    DeliveryResult r;
    r.outcome = Outcome::kUnconfirmed;
    r.reason = std::move(reason);
    return r;
  }

 private:
  Info info_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<OutgoingMessage> sent_;
  std::deque<DeliveryResult> script_;
  std::function<DeliveryResult(const OutgoingMessage&)> answer_;
  bool open_ = true;
  int in_flight_ = 0;
};

inline Info FakeInfo(std::string name, std::string platform = "", std::size_t max_chars = 0,
                     bool deduplicates = false) {
  Info i;
  i.name = std::move(name);
  i.kind = "fake";
  i.platform = std::move(platform);
  i.traits.max_chars = max_chars;
  i.traits.deduplicates = deduplicates;
  i.traits.rate_per_second = 1000;
  i.traits.burst = 1000;
  return i;
}

// The fake as an adapter kind for config tests: `type: fake` with keys to, max_chars, dedupe,
// token (a required secret), needs_to; or `fake://TOKEN/TO`. platform: "telegram" by default.
inline core::Result<std::unique_ptr<Channel>> FakeFromYaml(const BuildContext& ctx,
                                                           const config::yaml::Fields& fields) {
  namespace y = config::yaml;
  Info info = FakeInfo(ctx.name, ctx.platform.empty() ? "telegram" : ctx.platform);
  bool has_token = false;
  for (const y::Field& f : fields.items) {
    if (f.key == "to") {
      LL_ASSIGN(info.recipient, y::GetNonEmpty(ctx.doc, f.value, f.where));
    } else if (f.key == "max_chars") {
      LL_ASSIGN(auto n, y::GetInt(ctx.doc, f.value, f.where, 1, 100000));
      info.traits.max_chars = static_cast<std::size_t>(n);
    } else if (f.key == "dedupe") {
      LL_ASSIGN(info.traits.deduplicates, y::GetBool(ctx.doc, f.value, f.where));
    } else if (f.key == "needs_to") {
      LL_ASSIGN(info.traits.needs_recipient, y::GetBool(ctx.doc, f.value, f.where));
    } else if (f.key == "token") {
      LL_ASSIGN(std::string secret, y::GetSecret(ctx.doc, f.value, f.where, false));
      has_token = !secret.empty();
    } else {
      return y::Fail(ctx.doc, f.where,
                     "unknown key '" + f.key + "' (valid keys: to, max_chars, dedupe, token)");
    }
  }
  if (!has_token) return y::Fail(ctx.doc, ctx.where, "missing token: { env: NAME }");
  return std::unique_ptr<Channel>(std::make_unique<FakeChannel>(std::move(info)));
}

inline core::Result<std::unique_ptr<Channel>> FakeFromUrl(const BuildContext& ctx,
                                                          const AppriseUrl& url) {
  Info info = FakeInfo(ctx.name, ctx.platform.empty() ? "telegram" : ctx.platform);
  if (!url.path.empty()) info.recipient = url.path.front();
  return std::unique_ptr<Channel>(std::make_unique<FakeChannel>(std::move(info)));
}

inline const Kind kFakeKind = {"fake", {"fake"}, "telegram", FakeFromYaml, FakeFromUrl};

}  // namespace lifeline::channels::testing
