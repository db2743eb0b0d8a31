// Test helpers for the adapters' unit tests (header-only, included by *_test.cc only): an
// HttpClient that records requests and plays canned answers, canned answers for Classify, a
// fixture, and builders that run an adapter's from_yaml / from_url the way the channels config
// does.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/http.h"
#include "channels/registry.h"
#include "config/yaml_read.h"

namespace lifeline::channels::testing {

// A complete answer: `status`, `body` and (lowercase) `headers`.
inline HttpResponse Answered(int status, std::string body = "",
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.transport = HttpResponse::Transport::kAnswered;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// A request that got no complete answer (kNotSent or kLost), with the client's one line.
inline HttpResponse NoAnswer(HttpResponse::Transport transport, std::string error = "") {
  HttpResponse r;
  r.transport = transport;
  r.error = std::move(error);
  return r;
}

// The value of a request's first header named exactly `name`, or "".
inline std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (n == name) return v;
  }
  return "";
}

class FakeHttp final : public HttpClient {
 public:
  // Answers are played in order; when none is left, 200 "{}".
  void Answer(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard lock(mu_);
    answers_.push_back(Answered(status, std::move(body), std::move(headers)));
  }
  void Fail(HttpResponse::Transport transport, std::string error = "timed out") {
    std::lock_guard lock(mu_);
    answers_.push_back(NoAnswer(transport, std::move(error)));
  }

  HttpResponse Do(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (answers_.empty()) return Answered(200, "{}");
    HttpResponse r = std::move(answers_.front());
    answers_.pop_front();
    return r;
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  HttpRequest last() const {
    std::lock_guard lock(mu_);
    return requests_.empty() ? HttpRequest{} : requests_.back();
  }

 private:
  mutable std::mutex mu_;  // guards answers_ and requests_
  std::deque<HttpResponse> answers_;
  std::vector<HttpRequest> requests_;
};

// Runs `kind.from_yaml` on a channel's map written in YAML ("type: telegram\ntoken: ..."), as the
// channels config would for `channels.<name>` in "test.yaml" (the map starting on line 2).
inline core::Result<std::unique_ptr<Channel>> FromYaml(
    const Kind& kind, const std::string& body, HttpClient* http, const std::string& name = "team",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  config::yaml::Doc doc{"test.yaml", {}};
  YAML::Node root;
  try {
    root = YAML::Load("channels:\n  " + name + ":\n" + [&] {
      std::string indented;
      std::size_t start = 0;
      while (start < body.size()) {
        auto end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        indented += "    " + body.substr(start, end - start) + "\n";
        start = end + 1;
      }
      return indented;
    }());
  } catch (const YAML::Exception& e) {
    return core::Error(core::ErrorCode::kInvalidArgument, e.what());
  }
  YAML::Node node = root["channels"][name];
  config::yaml::Where where{node.Mark(), "channels." + name};
  auto fields = config::yaml::ReadMap(doc, node, where, {}, "a channel");
  if (!fields.ok()) return fields.error();
  config::yaml::Fields own;
  for (const auto& f : fields->items) {
    if (f.key == "type" || f.key == "url" || f.key == "platform" || f.key == "timeout" ||
        f.key == "rate") {
      continue;
    }
    own.items.push_back(f);
  }
  BuildContext ctx;
  ctx.doc = doc;
  ctx.where = where;
  ctx.name = name;
  ctx.http = http;
  ctx.timeout = timeout;
  return kind.from_yaml(ctx, own);
}

inline core::Result<std::unique_ptr<Channel>> FromUrl(
    const Kind& kind, const std::string& url, HttpClient* http, const std::string& name = "team",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  auto parsed = ParseAppriseUrl(url);
  if (!parsed.ok()) return parsed.error();
  config::yaml::Doc doc{"test.yaml", {}};
  YAML::Mark mark;
  mark.line = 1;
  BuildContext ctx;
  ctx.doc = doc;
  ctx.where = {mark, "channels." + name};
  ctx.name = name;
  ctx.http = http;
  ctx.timeout = timeout;
  return kind.from_url(ctx, *parsed);
}

inline OutgoingMessage Message(std::string text, std::string to = "", std::string subject = "") {
  OutgoingMessage m;
  m.id = "msg-1";
  m.idempotency_key = "key-1";
  m.to = std::move(to);
  m.subject = std::move(subject);
  m.text = std::move(text);
  return m;
}

// A config an adapter must refuse, and what its error must say.
struct BadConfig {
  std::string yaml;
  std::string want;
};

// Success when building failed with an error that contains `want` and none of `never` (secrets
// that must not be echoed).
inline ::testing::AssertionResult Refuses(const core::Result<std::unique_ptr<Channel>>& built,
                                          std::string_view want,
                                          const std::vector<std::string_view>& never = {}) {
  if (built.ok()) return ::testing::AssertionFailure() << "no error; want: " << want;
  const std::string& got = built.error().message();
  if (got.find(want) == std::string::npos) {
    return ::testing::AssertionFailure() << "got: " << got << "\nwant: " << want;
  }
  for (std::string_view secret : never) {
    if (got.find(secret) != std::string::npos) {
      return ::testing::AssertionFailure() << "got: " << got << "\nwhich names: " << secret;
    }
  }
  return ::testing::AssertionSuccess();
}

// A fixture for an adapter's tests: the FakeHttp its channels call, and the environment variables
// its configs name (the secrets) set before each test.
class AdapterTest : public ::testing::Test {
 protected:
  explicit AdapterTest(std::vector<std::pair<std::string, std::string>> env)
      : env_(std::move(env)) {}
  void SetUp() override {
    for (const auto& [name, value] : env_) setenv(name.c_str(), value.c_str(), 1);
  }

  // Each config is refused, with an error that contains its `want` and none of `never`.
  void ExpectRefused(const Kind& kind, std::span<const BadConfig> configs,
                     const std::vector<std::string_view>& never = {}) {
    for (const BadConfig& c : configs) {
      EXPECT_TRUE(Refuses(FromYaml(kind, c.yaml, &http_), c.want, never)) << c.yaml;
    }
  }
  // Each URL is refused, with an error that contains `want` and none of `never`.
  void ExpectUrlsRefused(const Kind& kind, const std::vector<std::string>& urls,
                         std::string_view want, const std::vector<std::string_view>& never = {}) {
    for (const std::string& url : urls) {
      EXPECT_TRUE(Refuses(FromUrl(kind, url, &http_), want, never)) << url;
    }
  }

  FakeHttp http_;

 private:
  std::vector<std::pair<std::string, std::string>> env_;
};

}  // namespace lifeline::channels::testing
