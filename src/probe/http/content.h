// What a healthy answer looks like, checked against a response: status expectations and the
// content checks (must-contain text, a regex, a JSON field), with the regex compiled once.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "core/types.h"

namespace lifeline::probe::http {

// Whether `status` is acceptable under `expect.status` (empty: 200-399).
bool StatusAccepted(const core::HttpExpect& expect, int status);

// Whether a redirect answer should be followed: a 301/302/303/307/308 that the expectations do
// not list explicitly (listing one means "this redirect is the healthy answer").
bool ShouldFollow(const core::HttpExpect& expect, int status);

// A failed content check: detail is core::detail::kMissing / kRegex / kJson / kError.
struct ContentFailure {
  std::string_view detail;
  std::string message;
};

// A compiled body_regex, shared by every probe of the same pattern (see RegexCache).
struct CompiledRegex {
  std::regex regex;
  std::string error;  // non-empty when the pattern did not compile
};

// Checks body_contains, body_regex (already compiled, or null when the spec has none) and
// json_pointer/json_equals, in that order; returns the first failure or nullopt. Messages quote
// the expectation; they quote the body (an excerpt of a non-JSON answer, the JSON value found)
// only when `quote_body`.
std::optional<ContentFailure> CheckContent(const core::HttpExpect& expect,
                                           const CompiledRegex* regex, std::string_view body,
                                           bool quote_body = true);

// Whether `expect` has any content check at all (anything but status).
bool HasContentChecks(const core::HttpExpect& expect);

}  // namespace lifeline::probe::http
