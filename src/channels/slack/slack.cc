// The Slack incoming-webhook adapter (slack.h): config from YAML or slack:// URLs, the request,
// and the classification of Slack's plain-text answers ("ok", "no_text", "channel_not_found"...).
#include "channels/slack/slack.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::slack {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
}

// Slack's error answers are single words ("invalid_payload"); anything else is not Slack's.
std::string ErrorWord(std::string_view body) {
  std::string word = adapter::OneLine(body, 80);
  bool ok = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || c == '_';
  });
  return ok ? word : std::string();
}

class SlackChannel final : public Channel {
 public:
  SlackChannel(std::string name, Config config, HttpClient* http, std::chrono::milliseconds timeout)
      : config_(std::move(config)), http_(http), timeout_(timeout) {
    info_.name = std::move(name);
    info_.kind = "slack";
    info_.platform = "";  // Slack is not in the platform catalog
    info_.recipient = config_.channel.empty() ? "Slack incoming webhook" : config_.channel;
    info_.traits.max_chars = kMaxChars;
    // Incoming webhooks: one message per second, short bursts tolerated.
    info_.traits.rate_per_second = 1;
    info_.traits.burst = 3;
  }

  const Info& info() const override { return info_; }

  Status Check(const OutgoingMessage& m) const override {
    if (m.text.empty() && m.subject.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the message is empty", info_.name);
    }
    if (!adapter::IsValidUtf8(m.subject) || !adapter::IsValidUtf8(m.text)) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the text is not valid UTF-8", info_.name);
    }
    std::size_t n = adapter::CodePoints(Render(m));
    if (n > kMaxChars) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: {} characters; Slack allows {}",
                       info_.name, adapter::Thousands(n), adapter::Thousands(kMaxChars));
    }
    return core::Ok();
  }

  DeliveryResult Send(const OutgoingMessage& m) override {
    if (auto s = Check(m); !s.ok()) {
      DeliveryResult r;
      r.outcome = Outcome::kFailed;
      r.reason = s.error().message();
      return r;
    }
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }

 private:
  Info info_;
  const Config config_;
  HttpClient* http_;
  const std::chrono::milliseconds timeout_;
};

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"webhook", "channel", "username"}));
  Config c;
  LL_ASSIGN(c.webhook, adapter::RequiredSecretUrl(ctx, fields, "webhook",
                                                  "the incoming webhook URL, "
                                                  "https://hooks.slack.com/services/..."));
  LL_ASSIGN(c.channel, adapter::OptionalString(ctx, fields, "channel", "a channel such as #ops"));
  LL_ASSIGN(c.username, adapter::OptionalString(ctx, fields, "username", "a display name"));
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  if (auto s = adapter::CheckQueryKeys(url, {"api_base"}); !s.ok()) {
    return adapter::FailUrl(ctx, s.error().message());
  }
  if (url.host.starts_with("xox")) {
    return adapter::FailUrl(ctx,
                            "Slack bot tokens (xoxb-/xoxp-) are not supported: create an incoming "
                            "webhook and write slack://TokenA/TokenB/TokenC");
  }
  if (!IsToken(url.host) || url.path.size() < 2 || !IsToken(url.path[0]) || !IsToken(url.path[1])) {
    return adapter::FailUrl(ctx,
                            "expected slack://TokenA/TokenB/TokenC[/#channel] (the three parts of "
                            "https://hooks.slack.com/services/TokenA/TokenB/TokenC)");
  }
  if (url.path.size() > 3) {
    return adapter::FailUrl(ctx, "one Slack channel per Lifeline channel: define one for each");
  }
  Config c;
  std::string base = "https://hooks.slack.com";
  if (std::string b = adapter::QueryValue(url, "api_base"); !b.empty()) {
    auto checked = adapter::CheckSecureBase(b);
    if (!checked.ok()) return adapter::FailUrl(ctx, "api_base: " + checked.error().message());
    base = *checked;
  }
  c.webhook = fmt::format("{}/services/{}/{}/{}", base, url.host, url.path[0], url.path[1]);
  if (url.path.size() == 3) {
    c.channel = url.path[2];
    if (!c.channel.starts_with("#") && !c.channel.starts_with("@")) c.channel = "#" + c.channel;
  }
  c.username = url.user;
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

}  // namespace

const Kind kKind = {"slack", {"slack"}, "", &FromYaml, &FromUrl};

std::string Render(const OutgoingMessage& m) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '&') {
        out += "&amp;";
      } else if (c == '<') {
        out += "&lt;";
      } else if (c == '>') {
        out += "&gt;";
      } else {
        out += c;
      }
    }
    return out;
  };
  std::string text = escape(m.text);
  if (m.subject.empty()) return text;
  std::string subject = "*" + escape(m.subject) + "*";
  return text.empty() ? subject : subject + "\n" + text;
}

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& m,
                         std::chrono::milliseconds timeout) {
  nlohmann::json body = {{"text", Render(m)}};
  if (!config.channel.empty()) body["channel"] = config.channel;
  if (!config.username.empty()) body["username"] = config.username;
  return adapter::JsonPost(config.webhook, adapter::Dump(body), timeout);
}

DeliveryResult Classify(const HttpResponse& response) {
  if (response.transport != HttpResponse::Transport::kAnswered) {
    // Incoming webhooks have no idempotency key and no way to find a posted message.
    return adapter::NotAnswered(response, /*deduplicates=*/false);
  }
  std::string word = ErrorWord(response.body);
  DeliveryResult r = adapter::ByStatus(response, word);
  r.far_code = word == "ok" ? "" : word;
  if (r.outcome == Outcome::kDelivered) {
    r.reason = "posted";  // incoming webhooks do not return the message's ts
  } else if (word == "no_service" || word == "invalid_token" || word == "no_team" ||
             word == "team_disabled" ||
             ((response.status == 404 || response.status == 410) && word.empty())) {
    r.outcome = Outcome::kFailed;
    r.reason = fmt::format("Slack no longer accepts this webhook (HTTP {}: {}); create a new one",
                           response.status, word.empty() ? "no reason given" : word);
  }
  return r;
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<SlackChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::slack
