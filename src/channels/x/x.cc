// The X channel: config, OAuth 1.0a signing, POST /2/tweets and its answers (x.h).
#include "channels/x/x.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "channels/http_adapter.h"
#include "channels/post_text.h"

namespace lifeline::channels::x {

namespace yaml = config::yaml;
using adapter::FailAt;
using adapter::FailChannel;
using adapter::FailUrl;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

std::string Base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string Nonce() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) std::abort();  // no CSPRNG: nothing safe to do
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

// "https://API.x.com:443/2/tweets?x=1" -> "https://api.x.com/2/tweets" (RFC 5849 3.4.1.2).
std::string BaseStringUri(std::string_view url) {
  auto scheme_end = url.find("://");
  std::string scheme(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  auto path_at = rest.find_first_of("/?");
  std::string host(rest.substr(0, path_at));
  std::string_view path = path_at == std::string_view::npos ? "/" : rest.substr(path_at);
  path = path.substr(0, path.find('?'));
  if (path.empty()) path = "/";
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if ((scheme == "https" && host.ends_with(":443")) ||
      (scheme == "http" && host.ends_with(":80"))) {
    host = host.substr(0, host.rfind(':'));
  }
  return scheme + "://" + host + std::string(path);
}

std::string ErrorText(const HttpResponse& r) {
  auto j = adapter::ParseJson(r.body);
  if (!j) return adapter::OneLine(r.body, 120);
  // v2 problems: {"title","detail","type","status"}; invalid requests: {"errors":[{"message"}]}.
  std::string detail = adapter::MemberText(*j, "detail");
  if (j->contains("errors") && (*j)["errors"].is_array() && !(*j)["errors"].empty()) {
    std::string first = adapter::MemberText((*j)["errors"][0], "message");
    if (!first.empty() && detail.find(first) == std::string::npos) {
      detail = detail.empty() ? first : detail + " " + first;
    }
  }
  if (detail.empty()) detail = adapter::MemberText(*j, "title");
  return adapter::OneLine(detail);
}

// When a spent X window ends, for a 429 without Retry-After: the latest reset of the 15-minute
// window and of the per-user / per-app 24-hour caps that are spent.
std::optional<std::chrono::milliseconds> ResetIn(const HttpResponse& r,
                                                 std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::system_clock::time_point> latest;
  for (std::string_view prefix : {"x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"}) {
    auto reset = adapter::EpochHeader(r, std::string(prefix) + "-reset");
    auto remaining = adapter::NumberHeader(r, std::string(prefix) + "-remaining");
    if (!reset) continue;
    // The 15-minute window's reset applies to a 429 as it is; a 24-hour cap's only when spent.
    bool applies = prefix == "x-rate-limit" || (remaining && *remaining == 0);
    if (applies && (!latest || *reset > *latest)) latest = *reset;
  }
  if (!latest) return std::nullopt;
  return adapter::Until(*latest, now);
}

Result<std::size_t> ParseMaxLength(std::string_view v) {
  std::size_t n = 0;
  if (v.empty() || v.size() > 6) return Error(ErrorCode::kInvalidArgument, "expected 1 to 25000");
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Error(ErrorCode::kInvalidArgument, "expected 1 to 25000");
    }
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n < 1 || n > 25000) return Error(ErrorCode::kInvalidArgument, "expected 1 to 25000");
  return n;
}

}  // namespace

std::string PercentEncode(std::string_view s) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string OAuth1Header(std::string_view method, std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& params,
                         const OAuth1Credentials& creds, std::string_view nonce,
                         long long timestamp) {
  std::vector<std::pair<std::string, std::string>> oauth = {
      {"oauth_consumer_key", creds.consumer_key},
      {"oauth_nonce", std::string(nonce)},
      {"oauth_signature_method", "HMAC-SHA1"},
      {"oauth_timestamp", std::to_string(timestamp)},
      {"oauth_token", creds.token},
      {"oauth_version", "1.0"},
  };
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& [k, v] : params) all.emplace_back(PercentEncode(k), PercentEncode(v));
  for (const auto& [k, v] : oauth) all.emplace_back(PercentEncode(k), PercentEncode(v));
  std::sort(all.begin(), all.end());
  std::string param_string;
  for (const auto& [k, v] : all) {
    if (!param_string.empty()) param_string += '&';
    param_string += k + "=" + v;
  }
  std::string upper(method);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string base =
      upper + "&" + PercentEncode(BaseStringUri(url)) + "&" + PercentEncode(param_string);
  std::string key = PercentEncode(creds.consumer_secret) + "&" + PercentEncode(creds.token_secret);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(base.data()), base.size(), digest, &digest_len);
  oauth.emplace_back("oauth_signature", Base64(digest, digest_len));
  std::sort(oauth.begin(), oauth.end());
  std::string header = "OAuth ";
  for (std::size_t i = 0; i < oauth.size(); ++i) {
    if (i > 0) header += ", ";
    header += PercentEncode(oauth[i].first) + "=\"" + PercentEncode(oauth[i].second) + "\"";
  }
  return header;
}

Result<XConfig> ConfigFromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields,
                            {"consumer_key", "consumer_secret", "access_token",
                             "access_token_secret", "bearer_token", "api", "max_length"}));
  auto c = adapter::ConfigFor<XConfig>(ctx);
  const yaml::Field* bearer = fields.Find("bearer_token");
  bool any_oauth1 = fields.Find("consumer_key") || fields.Find("consumer_secret") ||
                    fields.Find("access_token") || fields.Find("access_token_secret");
  if (bearer != nullptr && any_oauth1) {
    return FailAt(ctx, *bearer,
                  "give either bearer_token (OAuth 2.0) or the four OAuth 1.0a keys, not both");
  }
  if (bearer != nullptr) {
    LL_ASSIGN(c.bearer_token, yaml::GetSecret(ctx.doc, bearer->value, bearer->where, false));
    if (bearer->value.IsMap() && yaml::HasKey(bearer->value, "file")) {
      c.bearer_file = yaml::ResolvePath(ctx.doc, bearer->value["file"].Scalar());
    }
  } else {
    if (!any_oauth1) {
      return FailChannel(ctx,
                         "missing credentials: consumer_key, consumer_secret, access_token and "
                         "access_token_secret (OAuth 1.0a), or bearer_token (OAuth 2.0)");
    }
    LL_ASSIGN(c.oauth1.consumer_key,
              adapter::RequiredSecret(ctx, fields, "consumer_key", "the app's API key"));
    LL_ASSIGN(c.oauth1.consumer_secret,
              adapter::RequiredSecret(ctx, fields, "consumer_secret", "the app's API key secret"));
    LL_ASSIGN(c.oauth1.token, adapter::RequiredSecret(ctx, fields, "access_token",
                                                      "the posting account's access token"));
    LL_ASSIGN(c.oauth1.token_secret,
              adapter::RequiredSecret(ctx, fields, "access_token_secret",
                                      "the posting account's access token secret"));
  }
  LL_ASSIGN(c.api, adapter::OptionalSecureBase(ctx, fields, "api", c.api));
  if (const yaml::Field* f = fields.Find("max_length")) {
    LL_ASSIGN(long long n, yaml::GetInt(ctx.doc, f->value, f->where, 1, 25000));
    c.max_length = static_cast<std::size_t>(n);
  }
  return c;
}

Result<XConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"mode", "api", "max_length"}));
  std::string mode = adapter::QueryValue(url, "mode");
  for (char& ch : mode) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (mode.empty() || !std::string_view("tweet").starts_with(mode)) {
    return FailUrl(ctx,
                   "add mode=tweet: without it Apprise sends a private direct message, and this "
                   "channel posts publicly");
  }
  auto c = adapter::ConfigFor<XConfig>(ctx);
  if (url.path.size() == 3 && !url.host.empty()) {
    c.oauth1 = {url.host, url.path[0], url.path[1], url.path[2]};
  } else if (url.path.empty() && !url.host.empty() && url.user.empty()) {
    c.bearer_token = url.host;
  } else {
    return FailUrl(
        ctx,
        "expected x://CONSUMER_KEY/CONSUMER_SECRET/ACCESS_TOKEN/ACCESS_SECRET?mode=tweet "
        "or x://USER_ACCESS_TOKEN?mode=tweet (DM targets are not supported)");
  }
  LL_ASSIGN(c.api, adapter::QuerySecureBase(ctx, url, "api", c.api));
  if (std::string m = adapter::QueryValue(url, "max_length"); !m.empty()) {
    auto n = ParseMaxLength(m);
    if (!n.ok()) return FailUrl(ctx, "max_length: " + n.error().message());
    c.max_length = *n;
  }
  return c;
}

XChannel::XChannel(std::string name, XConfig config, HttpClient* http)
    : HttpChannel(std::move(config), http) {
  // max_chars: code points are a lower bound of the weighted count; Check applies the real rule.
  // POST /2/tweets: 200 per 15 minutes and 300 per 3 hours per user (shared with retweets). A
  // token bucket of 250 per 3 hours with a burst of 50 never passes 300 in any 3 hours. No
  // idempotency key: a lost answer is unconfirmed.
  info_ = adapter::MakeInfo(std::move(name), "x", config_.platform, config_.api,
                            {.max_chars = config_.max_length,
                             .rate_per_second = 250.0 / (3 * 3600),
                             .burst = 50,
                             .deduplicates = false,
                             .public_post = true});
}

Status XChannel::Check(const OutgoingMessage& message) const {
  LL_TRY(adapter::CheckPostText(info_.name, message.text, "post"));
  return adapter::CheckLimit(info_.name, post_text::XWeightedLength(message.text),
                             config_.max_length, "by X's count (links 23, CJK and emoji 2 each)",
                             "X");
}

std::string XChannel::Authorization(std::string_view method, const std::string& url) const {
  if (!config_.bearer_token.empty()) {
    std::string token = config_.bearer_token;
    if (!config_.bearer_file.empty()) {
      // A refresher may have replaced the token since start-up (OAuth 2.0 tokens last 2 hours).
      if (auto fresh = yaml::ReadWholeFile(config_.bearer_file); fresh.ok()) {
        std::string t = *fresh;
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
        if (!t.empty()) token = t;
      }
    }
    return "Bearer " + token;
  }
  // A JSON body is not part of the OAuth 1.0a signature: only oauth_* parameters are signed.
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return OAuth1Header(method, url, {}, config_.oauth1, Nonce(), now);
}

HttpRequest XChannel::BuildRequest(const OutgoingMessage& message) const {
  std::string url = config_.api + "/2/tweets";
  nlohmann::json body = {{"text", message.text}};
  HttpRequest req = adapter::JsonPost(url, adapter::Dump(body), config_.timeout);
  req.headers.emplace_back("Authorization", Authorization("POST", url));
  return req;
}

LookupResult XChannel::Lookup(const std::string& remote_id) {
  using Presence = LookupResult::Presence;
  if (!adapter::IsDigits(remote_id)) {
    return {Presence::kUnknown, fmt::format("'{}' is not an X post id", remote_id), ""};
  }
  // No query parameters: the OAuth 1.0a signature then covers the URL alone.
  std::string url = config_.api + "/2/tweets/" + remote_id;
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("Authorization", Authorization("GET", url));
  req.timeout = config_.timeout;
  req.connect_timeout = std::min(config_.timeout, std::chrono::milliseconds(5000));
  HttpResponse r = http_->Do(req);
  if (r.transport != HttpResponse::Transport::kAnswered) {
    return {Presence::kUnknown, fmt::format("no answer: {}", r.error), ""};
  }
  auto j = adapter::ParseJson(r.body);
  if (r.status == 200 && j && j->contains("data") && (*j)["data"].is_object() &&
      adapter::MemberText((*j)["data"], "id") == remote_id) {
    return {Presence::kPresent, fmt::format("post {} is there", remote_id),
            "https://x.com/i/web/status/" + remote_id};
  }
  // X answers a post that is gone with 200 and {"errors": [{"title": "Not Found Error", "type":
  // ".../resource-not-found", "detail": "Could not find tweet with id: [ID]."}]}.
  if (j && j->contains("errors") && (*j)["errors"].is_array()) {
    for (const auto& e : (*j)["errors"]) {
      if (adapter::MemberText(e, "title") == "Not Found Error" ||
          adapter::MemberText(e, "type").ends_with("/resource-not-found")) {
        return {Presence::kMissing,
                fmt::format("X has no post {}: {}", remote_id,
                            adapter::OneLine(adapter::MemberText(e, "detail"))),
                ""};
      }
    }
  }
  if (r.status == 404) {
    return {Presence::kMissing, fmt::format("X has no post {} (HTTP 404)", remote_id), ""};
  }
  return {Presence::kUnknown,
          fmt::format("the lookup failed (HTTP {}): {}", r.status, ErrorText(r)), ""};
}

DeliveryResult ClassifyAnswer(const HttpResponse& r, int attempt, bool bearer,
                              std::chrono::system_clock::time_point now) {
  adapter::Reading reading;
  if (r.status == 200 || r.status == 201) {
    auto j = adapter::ParseJson(r.body);
    std::string id;
    if (j && j->contains("data") && (*j)["data"].is_object()) {
      id = adapter::MemberText((*j)["data"], "id");
    }
    reading = adapter::Accepted(
        id, fmt::format("posted {}", id),
        fmt::format("HTTP {} without data.id: the post may or may not exist", r.status));
  } else {
    reading.detail = ErrorText(r);
    const std::string& detail = reading.detail;
    if (r.status == 403 && detail.find("duplicate content") != std::string::npos) {
      reading.far_code = "duplicate";
      if (attempt > 1) {
        // X refuses the same text twice in a row. After an earlier attempt whose answer was
        // lost, that refusal is the sign the earlier attempt posted it: a person should look.
        reading.verdict = adapter::Verdict::kUnconfirmed;
        reading.reason = fmt::format(
            "X refuses it as duplicate content: an earlier attempt probably posted it ({})",
            detail);
      } else {
        reading.verdict = adapter::Verdict::kFailed;
        reading.reason = fmt::format(
            "X refuses duplicate content: the same text was posted recently ({})", detail);
      }
    } else if (r.status == 429) {
      reading.wait.reset = ResetIn(r, now);
    } else if (r.status == 401) {
      reading.reason =
          bearer ? fmt::format(
                       "X refused the OAuth 2.0 token (HTTP 401; user tokens "
                       "expire after 2 hours unless refreshed): {}",
                       detail)
                 : fmt::format("X refused the OAuth 1.0a credentials (HTTP 401): {}", detail);
    } else if (r.status == 403) {
      reading.reason = fmt::format(
          "X forbids it (HTTP 403; the app needs Read and Write permission, and a project with "
          "posting access): {}",
          detail);
    } else if (r.status == 400) {
      reading.reason = fmt::format("X refused the post (HTTP 400): {}", detail);
    }
  }
  // POST /2/tweets takes no idempotency key.
  return adapter::Classify(r, /*deduplicates=*/false, reading);
}

DeliveryResult XChannel::Deliver(const OutgoingMessage& message) {
  return ClassifyAnswer(http_->Do(BuildRequest(message)), message.attempt,
                        !config_.bearer_token.empty(), std::chrono::system_clock::now());
}

namespace {

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  return adapter::MakeChannel<XChannel>("x", ctx, ConfigFromYaml(ctx, fields));
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  return adapter::MakeChannel<XChannel>("x", ctx, ConfigFromUrl(ctx, url));
}

}  // namespace

const Kind kKind = {"x", {"x", "twitter", "tweet"}, "x", FromYaml, FromUrl};

}  // namespace lifeline::channels::x
