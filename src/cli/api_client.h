// The CLI's way into a running `lifeline serve`: commands that must act through serve's engine
// (acknowledging a task, approving, starting a drill) call its HTTP API instead of writing to the
// database behind its back. The server comes from --server, else $LIFELINE_SERVER, else the
// config's api.listen; the token from --token-file, else $LIFELINE_TOKEN (never printed).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace CLI {
class App;
}

namespace lifeline::channels {
class HttpClient;
}

namespace lifeline::cli {

// The flags every API-backed command takes; Add registers them on a subcommand.
struct ApiFlags {
  std::string server;      // "http://127.0.0.1:8080" (a bare "HOST:PORT" gets http://)
  std::string token_file;  // a file holding the token (first line)
  std::string config;      // for api.listen when no server is given
  void Add(CLI::App& cmd);
};

class ApiClient {
 public:
  // kInvalidArgument naming the flag, the variable or the file that is wrong.
  static core::Result<ApiClient> Open(const ApiFlags& flags);
  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ~ApiClient();

  // `path` starts with "/v1/". The answer's JSON on 2xx; otherwise the API's own error message
  // ("serve at http://...: no assignment 'asg_x'") with the code its status means (404 kNotFound,
  // 409 kFailedPrecondition, 400 kInvalidArgument, 401/403 kPermissionDenied with a hint about
  // the token), kUnavailable when nothing answers.
  core::Result<nlohmann::json> Get(std::string_view path) const;
  core::Result<nlohmann::json> Post(std::string_view path, const nlohmann::json& body) const;
  core::Result<nlohmann::json> Patch(std::string_view path, const nlohmann::json& body) const;
  // GET of a non-JSON answer (a report in Markdown or HTML): its body.
  core::Result<std::string> GetText(std::string_view path) const;

  const std::string& base_url() const { return base_; }

 private:
  ApiClient() = default;
  core::Result<std::string> Call(std::string_view method, std::string_view path,
                                 const std::string& body) const;

  std::string base_;  // without a trailing slash
  std::string token_;
  std::unique_ptr<channels::HttpClient> http_;
};

// Percent-encodes one path segment or query value.
std::string UrlEncode(std::string_view s);

// A string field of an API answer; "" when absent or not a string.
std::string Str(const nlohmann::json& j, const char* key);

// Who acts, as the timeline shows it: `as` (the command's --as) when given, else
// "cli:" + $LIFELINE_USER (or $USER, $LOGNAME), else "cli".
std::string Actor(std::string_view as);

}  // namespace lifeline::cli
