// An HttpClient for the fuzz targets whose parsers read API answers through the product's own
// clients (channel adapters, ad platforms, listening sources): it plays answers taken from the
// fuzzer's bytes, one per request, so the adapter's real reading code sees them.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/http.h"
#include "fuzz/fuzz_util.h"

namespace lifeline::fuzz {

// The input is answers separated by "\n--\n", each written like an HTTP answer without its
// version: "STATUS\nname: value\n...\n\nBODY". STATUS "lost" or "none" stands for an answer that
// never came (kLost, kNotSent); anything not a number is 200. Once the answers run out, every
// request ends kNotSent, so no client loops forever.
class FuzzHttp final : public channels::HttpClient {
 public:
  explicit FuzzHttp(std::string_view input) : rest_(input) {}

  channels::HttpResponse Do(const channels::HttpRequest&) override {
    channels::HttpResponse r;
    if (done_) {
      r.transport = channels::HttpResponse::Transport::kNotSent;
      r.error = "fuzz: no more answers";
      return r;
    }
    if (rest_.find("\n--\n") == std::string_view::npos) done_ = true;
    std::string_view part = TakePart(rest_);
    std::string_view head = part.substr(0, part.find("\n\n"));
    r.body = part.size() > head.size() ? std::string(part.substr(head.size() + 2)) : "";
    std::string_view status = head.substr(0, head.find('\n'));
    head = head.size() > status.size() ? head.substr(status.size() + 1) : std::string_view();
    if (status == "lost" || status == "none") {
      r.transport = status == "lost" ? channels::HttpResponse::Transport::kLost
                                     : channels::HttpResponse::Transport::kNotSent;
      r.error = "fuzz: no answer";
      return r;
    }
    r.transport = channels::HttpResponse::Transport::kAnswered;
    r.status = 200;
    if (!status.empty() && status.size() <= 3 &&
        std::isdigit(static_cast<unsigned char>(status[0]))) {
      int n = 0;
      for (char c : status)
        n = std::isdigit(static_cast<unsigned char>(c)) ? n * 10 + (c - '0') : n;
      r.status = n;
    }
    while (!head.empty()) {
      std::string_view line = head.substr(0, head.find('\n'));
      head = head.size() > line.size() ? head.substr(line.size() + 1) : std::string_view();
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::move(name), std::string(value));
    }
    ++requests_;
    return r;
  }

  int requests() const { return requests_; }

 private:
  std::string_view rest_;
  bool done_ = false;
  int requests_ = 0;
};

}  // namespace lifeline::fuzz
