// Shared HTTP plumbing of the ad clients (http_call.h).
#include "ads/http_call.h"

#include <fmt/format.h>

namespace lifeline::ads::internal {

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

std::string Cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  // Never cut inside a UTF-8 sequence.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…";
}

Exchange Send(channels::HttpClient& http, const Request& r) {
  Exchange ex;
  std::string shown = r.path;
  std::string sent = r.path;
  std::string q = FormEncode(r.query);
  if (!q.empty()) {
    shown += "?" + q;
    sent += "?" + q;
  }
  if (!r.secret_query.empty()) sent += (q.empty() ? "?" : "&") + FormEncode(r.secret_query);
  channels::HttpRequest req;
  req.method = r.method;
  req.url = r.base + sent;
  req.headers = r.headers;
  if (!r.content_type.empty()) req.headers.emplace_back("Content-Type", r.content_type);
  req.body = r.body;
  req.timeout = r.timeout;
  const auto started = std::chrono::steady_clock::now();
  ex.response = http.Do(req);
  ex.call.method = r.method;
  ex.call.path = Cut(shown, 300);
  ex.call.request = Cut(r.body, 300);
  ex.call.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (ex.response.transport == channels::HttpResponse::Transport::kAnswered) {
    ex.call.status = ex.response.status;
    ex.call.answer = Cut(ex.response.body);
    ex.json = nlohmann::json::parse(ex.response.body, nullptr, /*allow_exceptions=*/false);
    if (ex.json.is_discarded()) ex.json = nullptr;
  } else {
    ex.call.answer = Cut(ex.response.error);
  }
  return ex;
}

Failure TransportFailure(const Exchange& ex) {
  Failure f;
  f.kind = FailureKind::kUnavailable;
  using T = channels::HttpResponse::Transport;
  if (ex.response.transport != T::kAnswered) {
    f.message = ex.response.error;
    f.may_have_acted = ex.response.transport == T::kLost;
    return f;
  }
  f.code = std::to_string(ex.response.status);
  f.message = ex.response.status >= 500
                  ? fmt::format("the platform answered {}", ex.response.status)
                  : fmt::format("the platform answered {} with a body that is not the API's JSON",
                                ex.response.status);
  if (auto ra = channels::ParseRetryAfter(ex.response.Header("retry-after"),
                                          std::chrono::system_clock::now())) {
    f.retry_after = *ra;
  }
  return f;
}

std::string AsText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return "";
}

}  // namespace lifeline::ads::internal
