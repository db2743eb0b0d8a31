// The Slack incoming-webhook adapter (slack.h): config from YAML or slack:// URLs, the request,
// and the classification of Slack's plain-text answers ("ok", "no_text", "channel_not_found"...).
#include "channels/slack/slack.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::slack {

namespace yaml = config::yaml;
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

class SlackChannel final : public adapter::HttpChannel<Config> {
 public:
  SlackChannel(std::string name, Config config, HttpClient* http, std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    // Slack is not in the platform catalog. Incoming webhooks: one message per second, short
    // bursts tolerated.
    info_ = adapter::MakeInfo(std::move(name), "slack", /*platform=*/"",
                              config_.channel.empty() ? "Slack incoming webhook" : config_.channel,
                              {.max_chars = kMaxChars, .rate_per_second = 1, .burst = 3});
  }

  Status Check(const OutgoingMessage& m) const override {
    LL_TRY(adapter::CheckText(info_.name, m));
    return adapter::CheckLimit(info_.name, adapter::CodePoints(Render(m)), kMaxChars, "characters",
                               "Slack");
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }
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
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"api_base"}));
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
  LL_ASSIGN(std::string base,
            adapter::QuerySecureBase(ctx, url, "api_base", "https://hooks.slack.com"));
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
  std::string word = ErrorWord(response.body);
  adapter::Reading reading{.detail = word, .far_code = word == "ok" ? "" : word};
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    reading.reason = "posted";  // incoming webhooks do not return the message's ts
  } else if (word == "no_service" || word == "invalid_token" || word == "no_team" ||
             word == "team_disabled" ||
             ((response.status == 404 || response.status == 410) && word.empty())) {
    reading.outcome = Outcome::kFailed;
    reading.reason =
        fmt::format("Slack no longer accepts this webhook (HTTP {}: {}); create a new one",
                    response.status, word.empty() ? "no reason given" : word);
  }
  // Incoming webhooks have no idempotency key and no way to find a posted message.
  return adapter::Classify(response, /*deduplicates=*/false, reading);
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<SlackChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::slack
