// Content and status checks of the HTTP probe. Messages quote the expectation (it comes from the
// config, not a secret) and at most a short excerpt of what was found.
#include "probe/http/content.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <fmt/core.h>

namespace lifeline::probe::http {

namespace d = core::detail;

namespace {

// Keeps messages to one short line whatever the page or JSON value holds.
std::string Excerpt(std::string_view s, std::size_t max = 60) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

bool StatusAccepted(const core::HttpExpect& expect, int status) {
  if (expect.status.empty()) return status >= 200 && status <= 399;
  return std::find(expect.status.begin(), expect.status.end(), status) != expect.status.end();
}

bool ShouldFollow(const core::HttpExpect& expect, int status) {
  bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  if (!redirect) return false;
  return std::find(expect.status.begin(), expect.status.end(), status) == expect.status.end();
}

bool HasContentChecks(const core::HttpExpect& expect) {
  return !expect.body_contains.empty() || !expect.body_regex.empty() ||
         !expect.json_pointer.empty();
}

std::optional<ContentFailure> CheckContent(const core::HttpExpect& expect,
                                           const CompiledRegex* regex, std::string_view body,
                                           bool quote_body) {
  for (const auto& text : expect.body_contains) {
    if (body.find(text) == std::string_view::npos) {
      return ContentFailure{d::kMissing,
                            fmt::format("expected text \"{}\" not in the page", Excerpt(text))};
    }
  }
  if (!expect.body_regex.empty()) {
    if (!regex || !regex->error.empty()) {
      return ContentFailure{d::kError,
                            fmt::format("invalid body_regex: {}", regex ? regex->error : "")};
    }
    bool found = false;
    try {
      found = std::regex_search(body.begin(), body.end(), regex->regex);
    } catch (const std::regex_error& e) {  // e.g. error_complexity on a huge page
      return ContentFailure{d::kError, fmt::format("body_regex could not run: {}", e.what())};
    }
    if (!found) {
      return ContentFailure{d::kRegex,
                            fmt::format("page does not match /{}/", Excerpt(expect.body_regex))};
    }
  }
  if (!expect.json_pointer.empty()) {
    nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) {
      if (!quote_body) return ContentFailure{d::kJson, "answer is not JSON"};
      return ContentFailure{d::kJson, fmt::format("answer is not JSON: \"{}\"", Excerpt(body, 40))};
    }
    nlohmann::json::json_pointer pointer;
    try {
      pointer = nlohmann::json::json_pointer(expect.json_pointer);
    } catch (const nlohmann::json::exception&) {
      return ContentFailure{d::kError,
                            fmt::format("invalid json_pointer '{}'", Excerpt(expect.json_pointer))};
    }
    if (!doc.contains(pointer)) {
      return ContentFailure{d::kJson, fmt::format("JSON answer has no {}", expect.json_pointer)};
    }
    if (expect.json_equals) {
      const nlohmann::json& value = doc.at(pointer);
      // json_equals is JSON text ("true", "3", "\"ok\"") or, failing that, a bare string ("ok").
      nlohmann::json want = nlohmann::json::parse(*expect.json_equals, nullptr, false);
      bool equal =
          (!want.is_discarded() && value == want) ||
          (value.is_string() && value.get_ref<const std::string&>() == *expect.json_equals);
      if (!equal && !quote_body) {
        return ContentFailure{d::kJson, fmt::format("JSON {} is not {}", expect.json_pointer,
                                                    Excerpt(*expect.json_equals))};
      }
      if (!equal) {
        return ContentFailure{d::kJson,
                              fmt::format("JSON {} is {}, expected {}", expect.json_pointer,
                                          Excerpt(value.dump()), Excerpt(*expect.json_equals))};
      }
    }
  }
  return std::nullopt;
}

}  // namespace lifeline::probe::http
