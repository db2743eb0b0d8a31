// The Messenger / Instagram Send API adapter (messenger.h): config from YAML or messenger:// and
// instagram:// URLs, the request, and the classification of Graph API error codes and subcodes.
#include "channels/messenger/messenger.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::messenger {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The message tags the Send API accepts (Instagram: HUMAN_AGENT only).
bool IsTag(std::string_view tag, Product p) {
  if (p == Product::kInstagram) return tag == "HUMAN_AGENT";
  return tag == "HUMAN_AGENT" || tag == "ACCOUNT_UPDATE" || tag == "CONFIRMED_EVENT_UPDATE" ||
         tag == "POST_PURCHASE_UPDATE" || tag == "CUSTOMER_FEEDBACK";
}

std::string_view ProductName(Product p) {
  return p == Product::kInstagram ? "Instagram" : "Messenger";
}

class MessengerChannel final : public adapter::HttpChannel<Config> {
 public:
  MessengerChannel(std::string name, Config config, HttpClient* http,
                   std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    bool ig = config_.product == Product::kInstagram;
    bool one_recipient = !config_.to.empty();
    // Instagram's limit is in bytes; its character figure is the most a message can hold.
    // The Send API takes 300 text calls a second per page (or Instagram account); Meta also
    // throttles a single thread, without a documented figure, so one recipient gets 1 a second.
    info_ = adapter::MakeInfo(std::move(name), ig ? "instagram" : "messenger",
                              ig ? "instagram" : "messenger", config_.to,
                              {.max_chars = ig ? kInstagramMaxBytes : kMessengerMaxChars,
                               .rate_per_second = one_recipient ? 1.0 : 300.0,
                               .burst = one_recipient ? 3.0 : 300.0,
                               .needs_recipient = !one_recipient});
  }

  Status Check(const OutgoingMessage& m) const override {
    const std::string& to = m.to.empty() ? config_.to : m.to;
    if (to.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: no recipient (give the message a {}-scoped id, or set to:)", info_.name,
                       config_.product == Product::kInstagram ? "Instagram" : "page");
    }
    if (!adapter::IsDigits(to)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: recipient '{}' is not a scoped id (digits, from the conversation's "
                       "webhook)",
                       info_.name, to);
    }
    LL_TRY(adapter::CheckText(info_.name, m));
    std::string text = Render(m);
    if (config_.product == Product::kInstagram) {
      return adapter::CheckLimit(info_.name, text.size(), kInstagramMaxBytes, "bytes of UTF-8",
                                 "Instagram");
    }
    return adapter::CheckLimit(info_.name, adapter::CodePoints(text), kMessengerMaxChars,
                               "characters", "Messenger");
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    const std::string& to = m.to.empty() ? config_.to : m.to;
    DeliveryResult r = Classify(http_->Do(BuildRequest(config_, to, m, "", timeout_)));
    if (!IsWindowClosed(r) || config_.outside_window_tag.empty() ||
        config_.tag == config_.outside_window_tag) {
      return r;
    }
    // Outside the 24-hour window a tagged message may still go (HUMAN_AGENT: within 7 days).
    DeliveryResult t =
        Classify(http_->Do(BuildRequest(config_, to, m, config_.outside_window_tag, timeout_)));
    t.reason = t.outcome == Outcome::kDelivered
                   ? fmt::format("the 24-hour window is closed: sent with tag {}",
                                 config_.outside_window_tag)
                   : fmt::format("the 24-hour window is closed, and with tag {}: {}",
                                 config_.outside_window_tag, t.reason);
    return t;
  }
};

using adapter::Problem;

std::optional<Problem> Validate(Config& c) {
  if (c.sender_id != "me" && !adapter::IsDigits(c.sender_id)) {
    return Problem{c.product == Product::kInstagram ? "account_id" : "page_id",
                   "an id is digits (or 'me' for the token's own page)"};
  }
  if (!c.to.empty() && !adapter::IsDigits(c.to)) {
    return Problem{"to", fmt::format("'{}' is not a scoped id (digits)", c.to)};
  }
  c.messaging_type = Upper(c.messaging_type);
  if (c.messaging_type != "RESPONSE" && c.messaging_type != "UPDATE" &&
      c.messaging_type != "MESSAGE_TAG") {
    return Problem{"messaging_type",
                   fmt::format("'{}' is not response, update or message_tag", c.messaging_type)};
  }
  c.tag = Upper(c.tag);
  c.outside_window_tag = Upper(c.outside_window_tag);
  if (c.messaging_type == "MESSAGE_TAG" && c.tag.empty()) {
    return Problem{"messaging_type", "message_tag needs tag: (HUMAN_AGENT, ACCOUNT_UPDATE...)"};
  }
  std::string valid = c.product == Product::kInstagram
                          ? "HUMAN_AGENT"
                          : "HUMAN_AGENT, ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, "
                            "POST_PURCHASE_UPDATE or CUSTOMER_FEEDBACK";
  if (!c.tag.empty() && !IsTag(c.tag, c.product)) {
    return Problem{"tag", fmt::format("'{}' is not a message tag {} accepts ({})", c.tag,
                                      ProductName(c.product), valid)};
  }
  if (!c.tag.empty() && c.messaging_type != "MESSAGE_TAG") {
    return Problem{"tag", "a tag needs messaging_type: message_tag"};
  }
  if (!c.outside_window_tag.empty() && !IsTag(c.outside_window_tag, c.product)) {
    return Problem{"outside_window_tag",
                   fmt::format("'{}' is not a message tag {} accepts ({})", c.outside_window_tag,
                               ProductName(c.product), valid)};
  }
  if (!adapter::IsGraphVersion(c.api_version)) {
    return Problem{"api_version",
                   fmt::format("'{}' is not a Graph API version (v21.0)", c.api_version)};
  }
  return std::nullopt;
}

Result<std::unique_ptr<Channel>> BuildFromYaml(const BuildContext& ctx, const yaml::Fields& fields,
                                               Product product) {
  std::string_view id_key = product == Product::kInstagram ? "account_id" : "page_id";
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"page_token", id_key, "to", "messaging_type", "tag",
                             "outside_window_tag", "api_version", "api_base"}));
  Config c;
  c.product = product;
  LL_ASSIGN(c.token, adapter::RequiredSecret(ctx, fields, "page_token", "a page access token"));
  LL_ASSIGN(std::string id, adapter::OptionalString(ctx, fields, id_key, "an id (digits)"));
  if (!id.empty()) c.sender_id = id;
  LL_ASSIGN(c.to, adapter::OptionalString(ctx, fields, "to", "a scoped id (digits)"));
  LL_ASSIGN(std::string type, adapter::OptionalString(ctx, fields, "messaging_type",
                                                      "response, update or message_tag"));
  if (!type.empty()) c.messaging_type = type;
  LL_ASSIGN(c.tag, adapter::OptionalString(ctx, fields, "tag", "a message tag"));
  LL_ASSIGN(c.outside_window_tag,
            adapter::OptionalString(ctx, fields, "outside_window_tag", "a message tag"));
  LL_ASSIGN(std::string version, adapter::OptionalString(ctx, fields, "api_version", "v21.0"));
  if (!version.empty()) c.api_version = version;
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailProblem(ctx, fields, *p);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> BuildFromUrl(const BuildContext& ctx, const AppriseUrl& url,
                                              Product product) {
  LL_TRY(adapter::CheckUrlQuery(
      ctx, url, {"to", "type", "tag", "outside_window_tag", "api_version", "api_base"}));
  std::string form = product == Product::kInstagram ? "instagram://PAGE_TOKEN@IG_ACCOUNT_ID/IGSID"
                                                    : "messenger://PAGE_TOKEN@PAGE_ID/PSID";
  if (url.user.empty() || url.host.empty()) {
    return adapter::FailUrl(ctx, "expected " + form);
  }
  if (url.path.size() > 1) {
    return adapter::FailUrl(ctx,
                            "one recipient per channel: define a channel for each, or give "
                            "the recipient with each message");
  }
  Config c;
  c.product = product;
  c.token = url.user;
  c.sender_id = url.host;
  if (!url.path.empty()) c.to = url.path[0];
  if (std::string to = adapter::QueryValue(url, "to"); !to.empty()) c.to = to;
  if (std::string t = adapter::QueryValue(url, "type"); !t.empty()) c.messaging_type = t;
  c.tag = adapter::QueryValue(url, "tag");
  if (!c.tag.empty() && adapter::QueryValue(url, "type").empty()) c.messaging_type = "MESSAGE_TAG";
  c.outside_window_tag = adapter::QueryValue(url, "outside_window_tag");
  if (std::string v = adapter::QueryValue(url, "api_version"); !v.empty()) c.api_version = v;
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailUrl(ctx, p->key + ": " + p->what);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> MessengerFromYaml(const BuildContext& ctx,
                                                   const yaml::Fields& fields) {
  return BuildFromYaml(ctx, fields, Product::kMessenger);
}
Result<std::unique_ptr<Channel>> InstagramFromYaml(const BuildContext& ctx,
                                                   const yaml::Fields& fields) {
  return BuildFromYaml(ctx, fields, Product::kInstagram);
}
Result<std::unique_ptr<Channel>> MessengerFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return BuildFromUrl(ctx, url, Product::kMessenger);
}
Result<std::unique_ptr<Channel>> InstagramFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return BuildFromUrl(ctx, url, Product::kInstagram);
}

}  // namespace

const Kind kKind = {"messenger", {"messenger"}, "messenger", &MessengerFromYaml, &MessengerFromUrl};
const Kind kInstagramKind = {
    "instagram", {"instagram"}, "instagram", &InstagramFromYaml, &InstagramFromUrl};

std::string Render(const OutgoingMessage& m) {
  if (m.subject.empty()) return m.text;
  return m.text.empty() ? m.subject : m.subject + "\n" + m.text;
}

HttpRequest BuildRequest(const Config& config, const std::string& to, const OutgoingMessage& m,
                         std::string_view tag, std::chrono::milliseconds timeout) {
  nlohmann::json body = {
      {"recipient", {{"id", to}}},
      {"message", {{"text", Render(m)}}},
  };
  if (!tag.empty()) {
    body["messaging_type"] = "MESSAGE_TAG";
    body["tag"] = tag;
  } else {
    body["messaging_type"] = config.messaging_type;
    if (!config.tag.empty()) body["tag"] = config.tag;
  }
  HttpRequest req = adapter::JsonPost(
      fmt::format("{}/{}/{}/messages", config.api_base, config.api_version, config.sender_id),
      adapter::Dump(body), timeout);
  // The token goes in a header, not in ?access_token=, so it is never part of a URL.
  req.headers.emplace_back("Authorization", "Bearer " + config.token);
  return req;
}

bool IsWindowClosed(const DeliveryResult& r) {
  return r.far_code == "10/2018278" || r.far_code == "10/2534022";
}

namespace {

// What a Send API answer says: the message id, or the Graph error's code and subcode.
adapter::Reading Read(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  adapter::Reading reading;
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    return adapter::Accepted(
        j ? adapter::MemberText(*j, "message_id") : std::string(), "sent",
        fmt::format("HTTP {} without a message_id: delivery unknown", response.status));
  }
  if (!j || !j->contains("error") || !(*j)["error"].is_object()) return reading;
  const nlohmann::json& e = (*j)["error"];
  long long code = adapter::MemberInt(e, "code").value_or(0);
  long long subcode = adapter::MemberInt(e, "error_subcode").value_or(0);
  std::string message = adapter::OneLine(adapter::MemberText(e, "message"));
  reading.far_code = subcode != 0 ? fmt::format("{}/{}", code, subcode) : std::to_string(code);
  reading.verdict = adapter::Verdict::kFailed;
  if (code == 10 && (subcode == 2018278 || subcode == 2534022)) {
    reading.reason =
        fmt::format("the 24-hour messaging window is closed ({}): {}", reading.far_code, message);
    return reading;
  }
  switch (code) {
    case 4:      // application request limit
    case 17:     // user request limit
    case 32:     // page request limit
    case 613:    // calls exceeded the rate limit
    case 80006:  // Messenger rate limit
    case 80002:  // Instagram rate limit
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.reason = fmt::format("Meta rate limit ({}): {}", reading.far_code, message);
      return reading;
    case 1:     // unknown error
    case 2:     // temporary
    case 1200:  // temporary send message failure
      reading.verdict = adapter::Verdict::kRetry;
      reading.reason = fmt::format("Meta failed ({}), try later: {}", reading.far_code, message);
      return reading;
    case 190:
    case 102:
      reading.reason =
          fmt::format("Meta refused the page token ({}): {}", reading.far_code, message);
      return reading;
    case 551:
      reading.reason = fmt::format(
          "this person is not available (551: blocked the page or turned "
          "messages off): {}",
          message);
      return reading;
    default:
      break;
  }
  // 100 (invalid parameter; 2018001 no matching user), 10 and 200-299 (permissions), 230...
  if (response.status >= 500) reading.verdict = adapter::Verdict::kRetry;
  reading.wait.retry_after_header = false;
  reading.reason = fmt::format("Meta refused the message ({}): {}", reading.far_code, message);
  return reading;
}

}  // namespace

DeliveryResult Classify(const HttpResponse& response) {
  // The Send API takes no idempotency key.
  return adapter::Classify(response, /*deduplicates=*/false, Read(response));
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<MessengerChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::messenger
