// The generic signed webhook (webhook.h): config from YAML or json:// / jsons:// URLs, the signed
// request, and the classification of the receiver's answer.
#include "channels/webhook/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

#include <fmt/core.h>

#include "channels/http_adapter.h"
#include "config/values.h"

namespace lifeline::channels::webhook {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// For Info::recipient and messages: scheme://host[:port] only (the path may be a token).
std::string Origin(std::string_view endpoint) {
  auto parts = config::ParseUrl(endpoint);
  if (!parts.ok()) return "the webhook";
  bool default_port = (parts->scheme == "https" && parts->port == 443) ||
                      (parts->scheme == "http" && parts->port == 80);
  std::string host =
      parts->host.find(':') != std::string::npos ? "[" + parts->host + "]" : parts->host;
  return default_port ? fmt::format("{}://{}", parts->scheme, host)
                      : fmt::format("{}://{}:{}", parts->scheme, host, parts->port);
}

class WebhookChannel final : public adapter::HttpChannel<Config> {
 public:
  WebhookChannel(std::string name, Config config, HttpClient* http,
                 std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    // The receiver is the operator's own: no documented limit. `rate:` in the config lowers it.
    // Every attempt carries the same Idempotency-Key, and receivers are told to deduplicate by
    // it (docs/channels.md): a lost answer can be retried.
    info_ = adapter::MakeInfo(std::move(name), "webhook", /*platform=*/"",
                              config_.to.empty() ? Origin(config_.endpoint) : config_.to,
                              {.rate_per_second = 1000, .burst = 1000, .deduplicates = true});
  }

  Status Check(const OutgoingMessage& m) const override {
    if (m.text.empty() && m.subject.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the message is empty", info_.name);
    }
    return core::Ok();
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    OutgoingMessage to_send = m;
    if (to_send.to.empty()) to_send.to = config_.to;
    return Classify(http_->Do(
        BuildRequest(config_, info_.name, to_send, std::chrono::system_clock::now(), timeout_)));
  }
};

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"endpoint", "secret", "headers", "to"}));
  Config c;
  const yaml::Field* ep = fields.Find("endpoint");
  if (ep == nullptr) {
    return adapter::FailChannel(ctx,
                                "missing 'endpoint' (the receiver's https:// URL; or "
                                "{ env: NAME } when the URL holds a token)");
  }
  LL_ASSIGN(c.endpoint, yaml::GetSecret(ctx.doc, ep->value, ep->where, /*allow_plain=*/true));
  if (auto s = adapter::CheckHttpUrl(c.endpoint); !s.ok()) {
    // The URL may have come from a secret: only the problem is named.
    return adapter::FailAt(ctx, *ep, s.error().message());
  }
  LL_ASSIGN(c.secret, adapter::RequiredSecret(ctx, fields, "secret",
                                              "the key the receiver checks X-Lifeline-Signature "
                                              "with"));
  if (const yaml::Field* h = fields.Find("headers")) {
    LL_ASSIGN(yaml::Fields hs,
              yaml::ReadMap(ctx.doc, h->value, h->where, {}, "extra headers (NAME: value)"));
    for (const yaml::Field& f : hs.items) {
      LL_ASSIGN(std::string value, yaml::GetSecret(ctx.doc, f.value, f.where, true));
      c.headers.emplace_back(f.key, std::move(value));
    }
  }
  LL_ASSIGN(c.to, adapter::OptionalString(ctx, fields, "to", "a recipient label"));
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  if (url.host.empty()) return adapter::FailUrl(ctx, "expected json://HOST[:PORT]/PATH?secret=KEY");
  Config c;
  std::string scheme = url.scheme == "jsons" ? "https" : "http";
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  c.endpoint = fmt::format("{}://{}", scheme, host);
  if (url.port != 0) c.endpoint += fmt::format(":{}", url.port);
  c.endpoint += "/";
  for (std::size_t i = 0; i < url.path.size(); ++i) {
    c.endpoint += (i ? "/" : "") + adapter::EncodePathSegment(url.path[i]);
  }
  if (auto s = adapter::CheckHttpUrl(c.endpoint); !s.ok()) {
    return adapter::FailUrl(ctx, s.error().message());
  }
  if (!url.user.empty()) c.basic_auth = url.user + ":" + url.password;
  for (const auto& [key, value] : url.query) {
    if (key.starts_with("+")) {
      // Apprise's "+Name=value" adds a header.
      if (key.size() == 1) return adapter::FailUrl(ctx, "a '+' header parameter needs a name");
      c.headers.emplace_back(key.substr(1), value);
    } else if (key == "secret") {
      c.secret = value;
    } else if (key == "to") {
      c.to = value;
    } else if (key.starts_with("-") || key.starts_with(":")) {
      return adapter::FailUrl(ctx,
                              "Lifeline's webhook body is fixed (id, idempotency_key, channel, to, "
                              "subject, text, sent_at): '-' and ':' payload parameters do not "
                              "apply");
    } else {
      return adapter::FailUrl(ctx, fmt::format("unknown URL parameter '{}' (valid: secret, to, "
                                               "+HEADER)",
                                               key));
    }
  }
  if (c.secret.empty()) {
    return adapter::FailUrl(ctx,
                            "missing ?secret=KEY: Lifeline signs every webhook (the receiver "
                            "checks X-Lifeline-Signature with this key)");
  }
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

}  // namespace

const Kind kKind = {"webhook", {"json", "jsons"}, "", &FromYaml, &FromUrl};

std::string Sign(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text = std::string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", mac[i]);
  return out;
}

std::string Body(std::string_view channel, const OutgoingMessage& m,
                 std::chrono::system_clock::time_point now) {
  nlohmann::json body = {
      {"id", m.id},
      {"idempotency_key", m.idempotency_key},
      {"channel", channel},
      {"to", m.to},
      {"subject", m.subject},
      {"text", m.text},
      {"sent_at", Rfc3339(now)},
      {"attempt", m.attempt},
  };
  return adapter::Dump(body);
}

HttpRequest BuildRequest(const Config& config, std::string_view channel, const OutgoingMessage& m,
                         std::chrono::system_clock::time_point now,
                         std::chrono::milliseconds timeout) {
  std::string body = Body(channel, m, now);
  std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  HttpRequest req = adapter::JsonPost(config.endpoint, body, timeout);
  req.headers.emplace_back("X-Lifeline-Timestamp", timestamp);
  req.headers.emplace_back("X-Lifeline-Signature", Sign(config.secret, timestamp, body));
  req.headers.emplace_back("Idempotency-Key", m.idempotency_key);
  for (const auto& h : config.headers) req.headers.push_back(h);
  req.basic_auth = config.basic_auth;
  return req;
}

DeliveryResult Classify(const HttpResponse& response) {
  // A receiver's body may echo what it got: only its status and an "id" are used.
  adapter::Reading reading;
  if (response.status == 409) {
    // A receiver still working on the same Idempotency-Key (the convention Stripe set): ask again.
    reading.verdict = adapter::Verdict::kRetry;
    reading.reason = "the receiver is still handling this idempotency key (HTTP 409)";
  } else if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    reading.verdict = adapter::Verdict::kDelivered;
    if (auto j = adapter::ParseJson(response.body)) {
      reading.remote_id = adapter::MemberText(*j, "id");
    }
    reading.reason = fmt::format("the receiver accepted it (HTTP {})", response.status);
  } else if (response.status >= 300 && response.status < 400) {
    reading.reason = fmt::format(
        "the receiver redirects (HTTP {}); redirects are not followed: update "
        "the endpoint",
        response.status);
  }
  // The receiver deduplicates by the Idempotency-Key: a lost answer is retried.
  return adapter::Classify(response, /*deduplicates=*/true, reading);
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<WebhookChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::webhook
