// The Twilio SMS adapter (twilio.h): config from YAML or twilio:// URLs, GSM-7 / UCS-2 segment
// counting, the form-encoded request, and the classification of Twilio's {"code", "message"}.
#include "channels/twilio/twilio.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::twilio {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

bool IsSid(std::string_view s, std::string_view prefix) {
  return s.size() == 34 && s.starts_with(prefix) && std::all_of(s.begin() + 2, s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// A sender: an E.164 number, a short code (5-6 digits), or an alphanumeric sender id (up to 11
// letters, digits and spaces, with at least one letter). Returns the normalized form.
std::optional<std::string> NormalizeSender(std::string_view s) {
  if (s.size() >= 5 && s.size() <= 6 && adapter::IsDigits(s)) {
    return std::string(s);
  }
  if (auto e164 = adapter::NormalizeE164(s)) return e164;
  bool letter =
      std::any_of(s.begin(), s.end(), [](char c) { return std::isalpha((unsigned char)c); });
  bool charset = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ' ';
  });
  if (letter && charset && !s.empty() && s.size() <= 11) return std::string(s);
  return std::nullopt;
}

// The GSM 03.38 default alphabet, and its extension table (each an escape plus a septet).
constexpr std::u32string_view kGsmBasic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
constexpr std::u32string_view kGsmExtension = U"\f^{}\\[~]|€";

std::u32string ToCodePoints(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
    char32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out += cp;
    i += len;
  }
  return out;
}

class TwilioChannel final : public adapter::HttpChannel<Config> {
 public:
  TwilioChannel(std::string name, Config config, HttpClient* http,
                std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    // SMS is not a platform the catalog watches. A long code sends about one segment a second;
    // Twilio queues the rest for up to 4 hours.
    info_ = adapter::MakeInfo(std::move(name), "twilio", /*platform=*/"", config_.to,
                              {.max_chars = kMaxChars,
                               .rate_per_second = 1,
                               .burst = 10,
                               .needs_recipient = config_.to.empty()});
  }

  Status Check(const OutgoingMessage& m) const override {
    auto to = Recipient(m);
    if (!to.ok()) return to.error();
    LL_TRY(adapter::CheckText(info_.name, m));
    std::string body = Render(m);
    LL_TRY(
        adapter::CheckLimit(info_.name, adapter::CodePoints(body), kMaxChars, "characters", "SMS"));
    Segments s = CountSegments(body);
    if (s.count > static_cast<std::size_t>(config_.max_segments)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: {} SMS segments ({}); the channel allows {} (max_segments)", info_.name,
                       s.count, s.gsm7 ? "GSM-7" : "UCS-2: a character outside the GSM alphabet",
                       config_.max_segments);
    }
    return core::Ok();
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    DeliveryResult r = Classify(http_->Do(BuildRequest(config_, *Recipient(m), m, timeout_)));
    if (r.outcome == Outcome::kDelivered) {
      Segments s = CountSegments(Render(m));
      r.reason += fmt::format(" ({} segment{}, {})", s.count, s.count == 1 ? "" : "s",
                              s.gsm7 ? "GSM-7" : "UCS-2");
    }
    return r;
  }

  Result<std::string> Recipient(const OutgoingMessage& m) const {
    return adapter::RecipientE164(info_.name, m.to, config_.to);
  }
};

using adapter::Problem;

std::optional<Problem> Validate(Config& c) {
  if (!IsSid(c.account_sid, "AC")) {
    return Problem{"account_sid", "an Account SID is AC followed by 32 hex digits"};
  }
  if (c.from.empty() == c.messaging_service_sid.empty()) {
    return Problem{"from",
                   "give exactly one of 'from' (a number, short code or sender id) and "
                   "'messaging_service_sid'"};
  }
  if (!c.from.empty()) {
    auto sender = NormalizeSender(c.from);
    if (!sender) {
      return Problem{"from", fmt::format("'{}' is not an E.164 number, a short code or an "
                                         "alphanumeric sender id (up to 11 characters)",
                                         c.from)};
    }
    c.from = *sender;
  }
  if (!c.messaging_service_sid.empty() && !IsSid(c.messaging_service_sid, "MG")) {
    return Problem{"messaging_service_sid",
                   "a Messaging Service SID is MG followed by 32 hex digits"};
  }
  if (!c.to.empty()) {
    auto to = adapter::NormalizeE164(c.to);
    if (!to) {
      return Problem{"to",
                     fmt::format("'{}' is not a phone number in E.164 form (+15551234567)", c.to)};
    }
    c.to = *to;
  }
  if (c.max_segments < 1 || c.max_segments > 10) {
    return Problem{"max_segments", "from 1 to 10 (Twilio's 1,600 characters are 10 segments)"};
  }
  return std::nullopt;
}

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"account_sid", "auth_token", "from", "messaging_service_sid", "to",
                             "max_segments", "api_base"}));
  Config c;
  LL_ASSIGN(c.account_sid,
            adapter::RequiredString(ctx, fields, "account_sid", "the Account SID (AC...)"));
  LL_ASSIGN(c.auth_token, adapter::RequiredSecret(ctx, fields, "auth_token", "the Auth Token"));
  LL_ASSIGN(c.from, adapter::OptionalString(ctx, fields, "from", "the sending number"));
  LL_ASSIGN(c.messaging_service_sid,
            adapter::OptionalString(ctx, fields, "messaging_service_sid", "MG..."));
  LL_ASSIGN(c.to, adapter::OptionalString(ctx, fields, "to", "a phone number (+15551234567)"));
  if (const yaml::Field* f = fields.Find("max_segments")) {
    LL_ASSIGN(long long n, yaml::GetInt(ctx.doc, f->value, f->where, 1, 10));
    c.max_segments = static_cast<int>(n);
  }
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailProblem(ctx, fields, *p);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"max_segments", "api_base", "to", "from"}));
  Config c;
  c.account_sid = url.user;
  c.auth_token = url.password;
  std::string from = url.host;
  if (std::string f = adapter::QueryValue(url, "from"); !f.empty()) from = f;
  if (from.starts_with("MG")) {
    c.messaging_service_sid = from;
  } else {
    c.from = from;
  }
  if (c.account_sid.empty() || c.auth_token.empty() || from.empty()) {
    return adapter::FailUrl(ctx, "expected twilio://ACCOUNT_SID:AUTH_TOKEN@FROM_PHONE/TO_PHONE");
  }
  if (url.path.size() > 1) {
    return adapter::FailUrl(ctx,
                            "one recipient per channel: define a channel for each number, "
                            "or give the recipient with each message");
  }
  if (!url.path.empty()) c.to = url.path[0];
  if (std::string to = adapter::QueryValue(url, "to"); !to.empty()) c.to = to;
  if (std::string n = adapter::QueryValue(url, "max_segments"); !n.empty()) {
    if (n.size() > 2 || !adapter::IsDigits(n)) {
      return adapter::FailUrl(ctx, "max_segments must be a number from 1 to 10");
    }
    c.max_segments = std::stoi(n);
  }
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailUrl(ctx, p->key + ": " + p->what);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

std::string FormEncode(std::string_view s) { return adapter::EncodeQueryValue(s); }

}  // namespace

const Kind kKind = {"twilio", {"twilio"}, "", &FromYaml, &FromUrl};

Segments CountSegments(std::string_view text) {
  std::u32string cps = ToCodePoints(text);
  Segments s;
  s.gsm7 = std::all_of(cps.begin(), cps.end(), [](char32_t c) {
    return kGsmBasic.find(c) != std::u32string_view::npos ||
           kGsmExtension.find(c) != std::u32string_view::npos;
  });
  if (cps.empty()) return s;
  // Concatenated parts carry a 6-byte header: 153 septets or 67 UTF-16 units each. A character
  // is never split across parts (an escape pair or a surrogate pair stays together).
  std::size_t single = s.gsm7 ? 160 : 70;
  std::size_t part = s.gsm7 ? 153 : 67;
  std::size_t used = 0;
  std::size_t parts = 1;
  for (char32_t c : cps) {
    std::size_t w = s.gsm7 ? (kGsmExtension.find(c) != std::u32string_view::npos ? 2 : 1)
                           : (c > 0xFFFF ? 2 : 1);
    s.units += w;
    if (used + w > part) {
      ++parts;
      used = 0;
    }
    used += w;
  }
  s.count = s.units <= single ? 1 : parts;
  return s;
}

std::string Render(const OutgoingMessage& m) {
  if (m.subject.empty()) return m.text;
  return m.text.empty() ? m.subject : m.subject + ": " + m.text;
}

HttpRequest BuildRequest(const Config& config, const std::string& to, const OutgoingMessage& m,
                         std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = "POST";
  req.url =
      fmt::format("{}/2010-04-01/Accounts/{}/Messages.json", config.api_base, config.account_sid);
  req.body = "To=" + FormEncode(to);
  if (!config.messaging_service_sid.empty()) {
    req.body += "&MessagingServiceSid=" + FormEncode(config.messaging_service_sid);
  } else {
    req.body += "&From=" + FormEncode(config.from);
  }
  req.body += "&Body=" + FormEncode(Render(m));
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.basic_auth = config.account_sid + ":" + config.auth_token;
  req.timeout = timeout;
  req.connect_timeout = std::min(timeout, std::chrono::milliseconds(5000));
  return req;
}

namespace {

// What an answer of the Messages API says: the message's sid, or Twilio's {"code", "message"}.
adapter::Reading Read(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  adapter::Reading reading;
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    std::string status = j ? adapter::MemberText(*j, "status") : std::string();
    return adapter::Accepted(
        j ? adapter::MemberText(*j, "sid") : std::string(),
        fmt::format("{} by Twilio", status.empty() ? "accepted" : status),
        fmt::format("HTTP {} without a message sid: delivery unknown", response.status));
  }
  long long code = j ? adapter::MemberInt(*j, "code").value_or(0) : 0;
  std::string message = j ? adapter::OneLine(adapter::MemberText(*j, "message")) : std::string();
  reading.detail = message;
  if (code != 0) reading.far_code = std::to_string(code);
  switch (code) {
    case 20429:  // too many requests
    case 14107:  // SMS send rate limit exceeded
    case 21611:  // the sender's queue is full
    case 30001:  // queue overflow
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.reason = fmt::format("Twilio rate limit ({}): {}", code, message);
      break;
    case 20003:  // authentication
      reading.outcome = Outcome::kFailed;
      reading.reason =
          fmt::format("Twilio refused the Account SID or Auth Token (20003): {}", message);
      break;
    case 21610:  // the recipient replied STOP
      reading.outcome = Outcome::kFailed;
      reading.reason =
          fmt::format("the recipient has unsubscribed (21610: they replied STOP): {}", message);
      break;
    default:
      if (code != 0 && adapter::StatusOutcome(response.status) == Outcome::kFailed) {
        reading.reason = fmt::format("Twilio refused the message ({}): {}", code, message);
      }
      break;
  }
  return reading;
}

}  // namespace

DeliveryResult Classify(const HttpResponse& response) {
  // Twilio's Messages API takes no idempotency key: a resend may text the person twice.
  return adapter::Classify(response, /*deduplicates=*/false, Read(response));
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<TwilioChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::twilio
