// The Discord webhook adapter (discord.h): config from YAML or discord:// URLs, the execute-webhook
// request, and the classification of Discord's {"code", "message", "retry_after"} answers.
#include "channels/discord/discord.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::discord {

namespace yaml = config::yaml;
using core::Result;
using core::Status;

namespace {

bool IsWebhookToken(std::string_view s) {
  return s.size() >= 20 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

// "https://discord.com/api/webhooks/123/abc" -> the id, for Info::recipient (the id is not secret,
// the token after it is).
std::string WebhookId(std::string_view url) {
  auto at = url.find("/webhooks/");
  if (at == std::string_view::npos) return {};
  std::string_view rest = url.substr(at + 10);
  return std::string(rest.substr(0, rest.find_first_of("/?")));
}

class DiscordChannel final : public adapter::HttpChannel<Config> {
 public:
  DiscordChannel(std::string name, Config config, HttpClient* http,
                 std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    std::string id = WebhookId(config_.webhook);
    // Webhooks: 5 requests per 2 seconds each, and 30 messages a minute into one channel.
    info_ = adapter::MakeInfo(std::move(name), "discord", "discord",
                              id.empty() ? "Discord webhook" : "Discord webhook " + id,
                              {.max_chars = kMaxChars, .rate_per_second = 0.5, .burst = 5});
  }

  Status Check(const OutgoingMessage& m) const override {
    LL_TRY(adapter::CheckText(info_.name, m));
    // The limit applies to `content` as sent, escapes included.
    return adapter::CheckLimit(info_.name, adapter::CodePoints(Render(m)), kMaxChars,
                               "characters with Discord's markdown escapes", "Discord");
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }
};

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"webhook", "username"}));
  Config c;
  LL_ASSIGN(c.webhook, adapter::RequiredSecretUrl(
                           ctx, fields, "webhook",
                           "the webhook URL, https://discord.com/api/webhooks/ID/TOKEN"));
  if (WebhookId(c.webhook).empty()) {
    return adapter::FailAt(ctx, *fields.Find("webhook"),
                           "the secret's URL is not a Discord webhook URL (.../api/webhooks/ID/"
                           "TOKEN)");
  }
  LL_ASSIGN(c.username, adapter::OptionalString(ctx, fields, "username", "a display name"));
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"api_base"}));
  if (!adapter::IsDigits(url.host) || url.path.size() != 1 || !IsWebhookToken(url.path[0])) {
    return adapter::FailUrl(ctx,
                            "expected discord://WebhookID/WebhookToken (from "
                            "https://discord.com/api/webhooks/WebhookID/WebhookToken)");
  }
  LL_ASSIGN(std::string base,
            adapter::QuerySecureBase(ctx, url, "api_base", "https://discord.com"));
  Config c;
  c.webhook = fmt::format("{}/api/webhooks/{}/{}", base, url.host, url.path[0]);
  c.username = url.user;  // Apprise's discord://botname@ID/TOKEN
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

}  // namespace

const Kind kKind = {"discord", {"discord"}, "discord", &FromYaml, &FromUrl};

std::string Render(const OutgoingMessage& m) {
  auto escape = [](std::string_view s) {
    std::string out;
    bool line_start = true;
    for (char c : s) {
      static constexpr std::string_view kAnywhere = "\\*_~`|[]()";
      static constexpr std::string_view kAtLineStart = "#->";
      if (kAnywhere.find(c) != std::string_view::npos ||
          (line_start && kAtLineStart.find(c) != std::string_view::npos)) {
        out += '\\';
      }
      out += c;
      line_start = c == '\n' || (line_start && c == ' ');
    }
    return out;
  };
  std::string text = escape(m.text);
  if (m.subject.empty()) return text;
  std::string subject = "**" + escape(m.subject) + "**";
  return text.empty() ? subject : subject + "\n" + text;
}

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& m,
                         std::chrono::milliseconds timeout) {
  nlohmann::json body = {
      {"content", Render(m)},
      // An alert that quotes "@everyone" must not ping the whole server.
      {"allowed_mentions", {{"parse", nlohmann::json::array()}}},
  };
  if (!config.username.empty()) body["username"] = config.username;
  std::string url = config.webhook;
  url += url.find('?') == std::string::npos ? "?wait=true" : "&wait=true";
  return adapter::JsonPost(std::move(url), adapter::Dump(body), timeout);
}

DeliveryResult Classify(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  std::string message = j ? adapter::OneLine(adapter::MemberText(*j, "message")) : std::string();
  adapter::Reading reading{.detail = message,
                           .far_code = j ? adapter::MemberText(*j, "code") : std::string()};
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    reading.verdict = adapter::Verdict::kDelivered;
    reading.far_code.clear();
    if (j) reading.remote_id = adapter::MemberText(*j, "id");
    reading.reason =
        response.status == 204 ? "posted (Discord ignored wait=true: no message id)" : "posted";
  } else if (response.status == 429) {
    // The body's retry_after (seconds, fractional) is more precise than the header.
    if (j && j->contains("retry_after") && (*j)["retry_after"].is_number()) {
      double secs = (*j)["retry_after"].get<double>();
      reading.wait.stated =
          std::chrono::milliseconds(static_cast<long long>(std::ceil(secs * 1000)));
    }
    bool global =
        j && j->contains("global") && (*j)["global"].is_boolean() && (*j)["global"].get<bool>();
    reading.reason = fmt::format("rate limited by Discord{}: {}", global ? " (global limit)" : "",
                                 message.empty() ? "429" : message);
  } else if (response.status == 401 || response.status == 403 || response.status == 404) {
    // 10015 Unknown Webhook, 50027 Invalid Webhook Token: deleted or mistyped.
    reading.reason = fmt::format("Discord refused the webhook (HTTP {}): {}", response.status,
                                 message.empty() ? "no reason given" : message);
  }
  // Webhook execution takes no nonce or idempotency key.
  return adapter::Classify(response, /*deduplicates=*/false, reading);
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<DiscordChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::discord
