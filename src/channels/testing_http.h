// Test helpers for the adapters' unit tests (header-only, included by *_test.cc only): an
// HttpClient that records requests and plays canned answers, and builders that run an adapter's
// from_yaml / from_url the way the channels config does.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channels/http.h"
#include "channels/registry.h"
#include "config/yaml_read.h"

namespace lifeline::channels::testing {

class FakeHttp final : public HttpClient {
 public:
  // Answers are played in order; when none is left, 200 "{}".
  void Answer(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.transport = HttpResponse::Transport::kAnswered;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(r));
  }
  void Fail(HttpResponse::Transport transport, std::string error = "timed out") {
    HttpResponse r;
    r.transport = transport;
    r.error = std::move(error);
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(r));
  }

  HttpResponse Do(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (answers_.empty()) {
      HttpResponse r;
      r.transport = HttpResponse::Transport::kAnswered;
      r.status = 200;
      r.body = "{}";
      return r;
    }
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

}  // namespace lifeline::channels::testing
