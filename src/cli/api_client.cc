#include "cli/api_client.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "channels/http.h"
#include "config/config.h"

namespace lifeline::cli {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

// "0.0.0.0:8080" -> "http://127.0.0.1:8080": a listen address is where serve waits, not where a
// client on the same machine calls.
std::string BaseFromListen(const std::string& listen) {
  std::string host = listen;
  std::string port;
  if (auto colon = listen.rfind(':'); colon != std::string::npos) {
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return "http://" + host + (port.empty() ? "" : ":" + port);
}

Result<std::string> ServerBase(const ApiFlags& f) {
  std::string s = f.server;
  std::string from = "--server";
  if (s.empty()) {
    if (const char* env = std::getenv("LIFELINE_SERVER"); env != nullptr && *env != '\0') {
      s = env;
      from = "$LIFELINE_SERVER";
    }
  }
  if (s.empty()) {
    auto cfg = f.config.empty() ? config::LoadBundled() : config::LoadFile(f.config);
    if (!cfg.ok()) return cfg.error();
    return BaseFromListen(cfg->api.listen);
  }
  if (s.find("://") == std::string::npos) s = "http://" + s;
  if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "{} {}: give http://HOST:PORT or https://HOST",
                     from, s);
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.find('/', s.find("://") + 3) != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "{} {}: give the server's address only, without a path", from, s);
  }
  return s;
}

Result<std::string> Token(const ApiFlags& f) {
  if (!f.token_file.empty()) {
    std::ifstream in(f.token_file);
    if (!in) {
      return MakeError(ErrorCode::kInvalidArgument, "--token-file {}: cannot be read",
                       f.token_file);
    }
    std::string line;
    std::getline(in, line);
    line = Trim(line);
    if (line.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "--token-file {}: the first line is empty",
                       f.token_file);
    }
    return line;
  }
  if (const char* env = std::getenv("LIFELINE_TOKEN"); env != nullptr) return Trim(env);
  return std::string();
}

ErrorCode CodeOf(int status) {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return ErrorCode::kInvalidArgument;
    case 401:
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kFailedPrecondition;
    case 410:
      return ErrorCode::kDeadlineExceeded;
    case 503:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace

void ApiFlags::Add(CLI::App& cmd) {
  cmd.add_option("--server", server,
                 "The running serve (http://HOST:PORT; default $LIFELINE_SERVER, else the "
                 "config's api.listen)");
  cmd.add_option("--token-file", token_file,
                 "A file whose first line is an API token (default $LIFELINE_TOKEN)");
  cmd.add_option("--config", config, "Config file, for api.listen (default: the bundled one)");
}

Result<ApiClient> ApiClient::Open(const ApiFlags& flags) {
  ApiClient c;
  LL_ASSIGN(c.base_, ServerBase(flags));
  LL_ASSIGN(c.token_, Token(flags));
  channels::HttpClientOptions o;
  o.max_body_bytes = 64 << 20;  // reports and long lists
  o.user_agent = "lifeline-cli";
  c.http_ = channels::MakeCurlHttpClient(std::move(o));
  return c;
}

ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

Result<std::string> ApiClient::Call(std::string_view method, std::string_view path,
                                    const std::string& body) const {
  channels::HttpRequest req;
  req.method = std::string(method);
  req.url = base_ + std::string(path);
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  req.headers.emplace_back("Accept", "application/json");
  if (method != "GET") {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
  }
  channels::HttpResponse res = http_->Do(req);
  if (res.transport != channels::HttpResponse::Transport::kAnswered) {
    return MakeError(
        ErrorCode::kUnavailable,
        "serve at {} did not answer: {} (is `lifeline serve` running? --server says where)", base_,
        res.error);
  }
  if (res.status >= 200 && res.status < 300) return std::move(res.body);
  std::string message;
  json j = json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].value("message", json()).is_string()) {
    message = j["error"]["message"].get<std::string>();
  } else {
    message = fmt::format("HTTP {}", res.status);
  }
  if (res.status == 401 || res.status == 403) {
    message += token_.empty() ? " (no token given: set $LIFELINE_TOKEN or --token-file; "
                                "`lifeline token create` makes one)"
                              : " (the token's role may not do this)";
  }
  return MakeError(CodeOf(res.status), "serve at {}: {}", base_, message);
}

Result<json> ApiClient::Get(std::string_view path) const {
  LL_ASSIGN(std::string body, Call("GET", path, ""));
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInternal, "serve at {}: GET {} answered something not JSON", base_,
                     path);
  }
  return j;
}

Result<json> ApiClient::Post(std::string_view path, const json& body) const {
  LL_ASSIGN(std::string answer, Call("POST", path, body.dump()));
  if (answer.empty()) return json::object();
  json j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInternal, "serve at {}: POST {} answered something not JSON",
                     base_, path);
  }
  return j;
}

Result<json> ApiClient::Patch(std::string_view path, const json& body) const {
  LL_ASSIGN(std::string answer, Call("PATCH", path, body.dump()));
  json j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInternal, "serve at {}: PATCH {} answered something not JSON",
                     base_, path);
  }
  return j;
}

Result<std::string> ApiClient::GetText(std::string_view path) const {
  return Call("GET", path, "");
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Actor(std::string_view as) {
  if (!as.empty()) return std::string(as);
  for (const char* var : {"LIFELINE_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      return std::string("cli:") + v;
    }
  }
  return "cli";
}

}  // namespace lifeline::cli
