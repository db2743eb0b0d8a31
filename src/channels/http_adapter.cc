// Shared pieces of the HTTP-API adapters (http_adapter.h).
#include "channels/http_adapter.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <vector>

#include <fmt/core.h>

#include "config/values.h"

namespace lifeline::channels::adapter {

namespace yaml = config::yaml;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

// --- the channel --------------------------------------------------------------------------------

Info MakeInfo(std::string name, std::string kind, std::string platform, std::string recipient,
              Traits traits) {
  Info info;
  info.name = std::move(name);
  info.kind = std::move(kind);
  info.platform = std::move(platform);
  info.recipient = std::move(recipient);
  info.traits = traits;
  return info;
}

DeliveryResult Refused(const Error& error) {
  DeliveryResult r;
  r.outcome = Outcome::kFailed;
  r.reason = error.message();
  return r;
}

// --- config -------------------------------------------------------------------------------------

Status CheckKeys(const BuildContext& ctx, const yaml::Fields& fields, const yaml::Keys& allowed) {
  std::vector<std::string> valid(allowed.begin(), allowed.end());
  for (const yaml::Field& f : fields.items) {
    if (std::find(valid.begin(), valid.end(), f.key) != valid.end()) continue;
    if (auto near = config::Closest(f.key, valid)) {
      return yaml::Fail(ctx.doc, f.where,
                        fmt::format("unknown key '{}' (did you mean '{}'?)", f.key, *near));
    }
    return yaml::Fail(ctx.doc, f.where,
                      fmt::format("unknown key '{}' (valid keys here: type, url, platform, "
                                  "timeout, rate, {})",
                                  f.key, yaml::Join(valid)));
  }
  return core::Ok();
}

Error FailAt(const BuildContext& ctx, const yaml::Field& field, std::string_view what) {
  return yaml::Fail(ctx.doc, yaml::At(field.where, field.value), what);
}

Error FailChannel(const BuildContext& ctx, std::string_view what) {
  return yaml::Fail(ctx.doc, ctx.where, what);
}

Error FailUrl(const BuildContext& ctx, std::string_view what) {
  return yaml::Fail(ctx.doc, {ctx.where.mark, ctx.where.path + ".url"}, what);
}

Result<std::string> RequiredSecret(const BuildContext& ctx, const yaml::Fields& fields,
                                   std::string_view key, std::string_view what) {
  const yaml::Field* f = fields.Find(key);
  if (f == nullptr) {
    return FailChannel(ctx, fmt::format("missing '{}' ({}, given as {{ env: NAME }} or "
                                        "{{ file: PATH }})",
                                        key, what));
  }
  return yaml::GetSecret(ctx.doc, f->value, f->where, /*allow_plain=*/false);
}

Result<std::string> RequiredString(const BuildContext& ctx, const yaml::Fields& fields,
                                   std::string_view key, std::string_view what) {
  const yaml::Field* f = fields.Find(key);
  if (f == nullptr) return FailChannel(ctx, fmt::format("missing '{}' ({})", key, what));
  return yaml::GetNonEmpty(ctx.doc, f->value, f->where, what);
}

Result<std::string> OptionalString(const BuildContext& ctx, const yaml::Fields& fields,
                                   std::string_view key, std::string_view what) {
  const yaml::Field* f = fields.Find(key);
  if (f == nullptr) return std::string();
  return yaml::GetNonEmpty(ctx.doc, f->value, f->where, what);
}

Result<std::optional<bool>> OptionalBool(const BuildContext& ctx, const yaml::Fields& fields,
                                         std::string_view key) {
  const yaml::Field* f = fields.Find(key);
  if (f == nullptr) return std::optional<bool>();
  LL_ASSIGN(bool b, yaml::GetBool(ctx.doc, f->value, f->where));
  return std::optional<bool>(b);
}

namespace {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  if (!host.starts_with("127.")) return false;
  return config::IsIpLiteral(host);
}

std::string WithoutTrailingSlash(std::string_view url) {
  while (url.ends_with("/")) url.remove_suffix(1);
  return std::string(url);
}

// config::ParseUrl quotes the URL in its errors; these URLs may hold a token.
Error WithoutUrl(const Error& e, std::string_view url) {
  std::string message = e.message();
  std::string quoted = fmt::format("'{}' ", url);
  if (auto at = message.find(quoted); at != std::string::npos)
    message.replace(at, quoted.size(), "the URL ");
  return Error(e.code(), message);
}

}  // namespace

Result<std::string> CheckSecureBase(std::string_view url) {
  auto parts = config::ParseUrl(url);
  if (!parts.ok()) return WithoutUrl(parts.error(), url);
  if (parts->scheme != "https" && !IsLoopbackHost(parts->host)) {
    return Error(ErrorCode::kInvalidArgument,
                 "the URL must be https:// (http:// only to a loopback address): the channel's "
                 "credentials travel with every request");
  }
  return WithoutTrailingSlash(url);
}

Result<std::string> RequiredSecretUrl(const BuildContext& ctx, const yaml::Fields& fields,
                                      std::string_view key, std::string_view what) {
  LL_ASSIGN(std::string url, RequiredSecret(ctx, fields, key, what));
  auto checked = CheckSecureBase(url);
  if (!checked.ok()) {
    return FailAt(ctx, *fields.Find(key), checked.error().message());
  }
  return *checked;
}

Status CheckHttpUrl(std::string_view url) {
  auto parts = config::ParseUrl(url);
  if (!parts.ok()) return WithoutUrl(parts.error(), url);
  return core::Ok();
}

Result<std::string> OptionalSecureBase(const BuildContext& ctx, const yaml::Fields& fields,
                                       std::string_view key, std::string fallback) {
  const yaml::Field* f = fields.Find(key);
  if (f == nullptr) return fallback;
  LL_ASSIGN(std::string base, yaml::GetNonEmpty(ctx.doc, f->value, f->where, "a URL"));
  auto checked = CheckSecureBase(base);
  if (!checked.ok()) return FailAt(ctx, *f, checked.error().message());
  return *checked;
}

Error FailProblem(const BuildContext& ctx, const yaml::Fields& fields, const Problem& problem) {
  const yaml::Field* at = fields.Find(problem.key);
  return at != nullptr ? FailAt(ctx, *at, problem.what) : FailChannel(ctx, problem.what);
}

Result<std::optional<bool>> QueryBool(const AppriseUrl& url, std::string_view key) {
  auto it = url.query.find(std::string(key));
  if (it == url.query.end()) return std::optional<bool>();
  std::string v = it->second;
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "yes" || v == "true" || v == "1" || v == "on" || v.empty()) return std::optional(true);
  if (v == "no" || v == "false" || v == "0" || v == "off") return std::optional(false);
  return core::MakeError(ErrorCode::kInvalidArgument,
                         "the URL's '{}' must be yes or no (also true/false, 1/0)", key);
}

std::string QueryValue(const AppriseUrl& url, std::string_view key) {
  auto it = url.query.find(std::string(key));
  return it == url.query.end() ? std::string() : it->second;
}

Status CheckQueryKeys(const AppriseUrl& url, const yaml::Keys& allowed) {
  std::vector<std::string> valid(allowed.begin(), allowed.end());
  for (const auto& [key, value] : url.query) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    if (auto near = config::Closest(key, valid)) {
      return core::MakeError(ErrorCode::kInvalidArgument,
                             "unknown URL parameter '{}' (did you mean '{}'?)", key, *near);
    }
    return core::MakeError(ErrorCode::kInvalidArgument, "unknown URL parameter '{}' (valid: {})",
                           key, valid.empty() ? std::string("none") : yaml::Join(valid));
  }
  return core::Ok();
}

Status CheckUrlQuery(const BuildContext& ctx, const AppriseUrl& url, const yaml::Keys& allowed) {
  if (auto s = CheckQueryKeys(url, allowed); !s.ok()) return FailUrl(ctx, s.error().message());
  return core::Ok();
}

Result<std::string> QuerySecureBase(const BuildContext& ctx, const AppriseUrl& url,
                                    std::string_view key, std::string fallback) {
  std::string value = QueryValue(url, key);
  if (value.empty()) return fallback;
  auto checked = CheckSecureBase(value);
  if (!checked.ok()) return FailUrl(ctx, fmt::format("{}: {}", key, checked.error().message()));
  return *checked;
}

namespace {

std::string Encode(std::string_view s, std::string_view keep) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace

std::string EncodePathSegment(std::string_view s) { return Encode(s, "-._~!$&'()*+,;=:@"); }
std::string EncodeQueryValue(std::string_view s) { return Encode(s, "-._~"); }

// --- phone numbers ------------------------------------------------------------------------------

Result<std::string> RecipientE164(std::string_view channel, const std::string& given,
                                  const std::string& fallback) {
  const std::string& to = given.empty() ? fallback : given;
  if (to.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: no phone number to send to (give the message a recipient, or "
                             "set to:)",
                             channel));
  }
  auto e164 = NormalizeE164(to);
  if (!e164) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: recipient '{}' is not a phone number in E.164 form "
                             "(+15551234567)",
                             channel, to));
  }
  return *e164;
}

std::optional<std::string> NormalizeE164(std::string_view text) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && i == 0) {
      continue;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    } else {
      return std::nullopt;
    }
  }
  if (digits.size() < 7 || digits.size() > 15 || digits[0] == '0') return std::nullopt;
  return "+" + digits;
}

// --- text ---------------------------------------------------------------------------------------

namespace {

// The code point at s[i] and its length in bytes; length 0 for an invalid sequence.
std::pair<char32_t, std::size_t> DecodeUtf8(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return {0, 0};
  char32_t cp = b0 & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, len};
}

}  // namespace

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool IsGraphVersion(std::string_view s) {
  auto dot = s.find('.');
  return s.size() >= 4 && s[0] == 'v' && dot != std::string_view::npos &&
         IsDigits(s.substr(1, dot - 1)) && IsDigits(s.substr(dot + 1));
}

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto [cp, len] = DecodeUtf8(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::size_t Utf16Units(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;
    n += (c & 0xF8) == 0xF0 ? 2 : 1;  // 4-byte sequences are surrogate pairs in UTF-16
  }
  return n;
}

std::string Thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Status CheckText(std::string_view channel, const OutgoingMessage& m) {
  if (m.text.empty() && m.subject.empty()) {
    return core::MakeError(ErrorCode::kInvalidArgument, "{}: the message is empty", channel);
  }
  if (!IsValidUtf8(m.subject) || !IsValidUtf8(m.text)) {
    return core::MakeError(ErrorCode::kInvalidArgument, "{}: the text is not valid UTF-8", channel);
  }
  return core::Ok();
}

Status CheckPostText(std::string_view channel, std::string_view text, std::string_view noun) {
  if (text.empty()) {
    return core::MakeError(ErrorCode::kInvalidArgument, "{}: the {} has no text", channel, noun);
  }
  if (!IsValidUtf8(text)) {
    return core::MakeError(ErrorCode::kInvalidArgument, "{}: the text is not UTF-8", channel);
  }
  return core::Ok();
}

Status CheckLimit(std::string_view channel, std::size_t n, std::size_t max,
                  std::string_view counted, std::string_view far_side) {
  if (n <= max) return core::Ok();
  return core::MakeError(ErrorCode::kInvalidArgument, "{}: {} {}; {} allows {}", channel,
                         Thousands(n), counted, far_side, Thousands(max));
}

// --- JSON ---------------------------------------------------------------------------------------

std::optional<nlohmann::json> ParseJson(std::string_view body) {
  // allow_exceptions=false: a parse error yields a "discarded" value instead of throwing.
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string MemberText(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number_unsigned()) return std::to_string(it->get<unsigned long long>());
  return {};
}

std::optional<long long> MemberInt(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<long long>();
  if (it->is_number_float()) return static_cast<long long>(it->get<double>());
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

// --- answers ------------------------------------------------------------------------------------

std::string OneLine(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7F) ? ' ' : c;
  }
  // Trim and collapse the spaces left by line breaks.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  if (collapsed.size() <= max) return collapsed;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(collapsed[cut]) & 0xC0) == 0x80) --cut;
  return collapsed.substr(0, cut) + "...";
}

DeliveryResult NotAnswered(const HttpResponse& response, bool deduplicates) {
  DeliveryResult r;
  if (response.transport == HttpResponse::Transport::kNotSent) {
    r.outcome = Outcome::kRetry;
    r.reason = fmt::format("not sent: {}", response.error);
  } else if (deduplicates) {
    r.outcome = Outcome::kRetry;
    r.reason = fmt::format(
        "no answer after the request left ({}); the far side deduplicates by "
        "the idempotency key, so a retry is safe",
        response.error);
  } else {
    r.outcome = Outcome::kUnconfirmed;
    r.reason = fmt::format(
        "no answer after the request left ({}): it may have been delivered; "
        "not retried, since a second try could duplicate it",
        response.error);
  }
  return r;
}

std::optional<std::chrono::milliseconds> RetryAfter(const HttpResponse& response) {
  std::string_view v = response.Header("retry-after");
  if (v.empty()) return std::nullopt;
  return ParseRetryAfter(v, std::chrono::system_clock::now());
}

std::optional<long long> NumberHeader(const HttpResponse& response, std::string_view name) {
  std::string_view v = response.Header(name);
  // 18 digits stay inside a long long: a longer value is not a count or a time.
  if (v.size() > 18 || !IsDigits(v)) return std::nullopt;
  long long n = 0;
  for (char c : v) n = n * 10 + (c - '0');
  return n;
}

std::optional<std::chrono::system_clock::time_point> EpochHeader(const HttpResponse& response,
                                                                 std::string_view name) {
  auto seconds = NumberHeader(response, name);
  if (!seconds) return std::nullopt;
  return std::chrono::system_clock::from_time_t(static_cast<std::time_t>(*seconds));
}

std::chrono::milliseconds Until(std::chrono::system_clock::time_point at,
                                std::chrono::system_clock::time_point now) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(at - now),
                  std::chrono::milliseconds(0));
}

std::optional<std::chrono::milliseconds> WaitFor(const HttpResponse& response, const Wait& wait) {
  if (wait.stated) return wait.stated;
  if (wait.retry_after_header) {
    if (auto after = RetryAfter(response)) return after;
  }
  return wait.reset;
}

Outcome StatusOutcome(int s) {
  if (s >= 200 && s < 300) return Outcome::kDelivered;
  if (s == 408 || s == 425 || s == 429 || s >= 500) return Outcome::kRetry;
  return Outcome::kFailed;
}

DeliveryResult ByStatus(const HttpResponse& response, std::string_view detail, const Wait& wait) {
  DeliveryResult r;
  r.http_status = response.status;
  int s = response.status;
  std::string tail = detail.empty() ? std::string() : fmt::format(": {}", detail);
  r.outcome = StatusOutcome(s);
  if (r.outcome == Outcome::kDelivered) {
    r.reason = fmt::format("accepted (HTTP {})", s);
  } else if (r.outcome == Outcome::kRetry) {
    r.rate_limited = s == 429;
    r.retry_after = WaitFor(response, wait);
    r.reason = r.rate_limited ? fmt::format("rate limited (HTTP 429){}", tail)
                              : fmt::format("the far side failed (HTTP {}){}", s, tail);
  } else if (s == 401 || s == 403) {
    r.reason = fmt::format("credentials refused (HTTP {}){}", s, tail);
  } else {
    r.reason = fmt::format("refused (HTTP {}){}", s, tail);
  }
  return r;
}

Reading Accepted(std::string id, std::string reason, std::string unconfirmed) {
  if (id.empty()) return {.verdict = Verdict::kUnconfirmed, .reason = std::move(unconfirmed)};
  return {.verdict = Verdict::kDelivered, .reason = std::move(reason), .remote_id = std::move(id)};
}

DeliveryResult Classify(const HttpResponse& response, bool deduplicates, const Reading& reading) {
  if (response.transport != HttpResponse::Transport::kAnswered) {
    return NotAnswered(response, deduplicates);
  }
  return ClassifyAnswered(response, reading);
}

DeliveryResult ClassifyAnswered(const HttpResponse& response, const Reading& reading) {
  DeliveryResult r;
  switch (reading.verdict) {
    case Verdict::kByStatus:
      r = ByStatus(response, reading.detail, reading.wait);
      if (reading.outcome) r.outcome = *reading.outcome;
      break;
    case Verdict::kDelivered:
      r.outcome = Outcome::kDelivered;
      r.remote_id = reading.remote_id;
      break;
    case Verdict::kUnconfirmed:
      r.outcome = Outcome::kUnconfirmed;
      break;
    case Verdict::kRateLimited:
      r.outcome = Outcome::kRetry;
      r.rate_limited = true;
      r.retry_after = WaitFor(response, reading.wait);
      break;
    case Verdict::kRetry:
      r.outcome = Outcome::kRetry;
      r.retry_after = WaitFor(response, reading.wait);
      break;
    case Verdict::kFailed:
      r.outcome = Outcome::kFailed;
      break;
  }
  if (reading.verdict != Verdict::kByStatus || !reading.reason.empty()) r.reason = reading.reason;
  r.http_status = response.status;
  r.far_code = reading.far_code;
  return r;
}

HttpRequest JsonPost(std::string url, std::string body, std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = "POST";
  req.url = std::move(url);
  req.body = std::move(body);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json");
  req.timeout = timeout;
  req.connect_timeout = std::min(timeout, std::chrono::milliseconds(5000));
  return req;
}

}  // namespace lifeline::channels::adapter
