// Text helpers of the report's renderers: times and durations for people, and the escaping that
// keeps text from outside (titles, messages, evidence, notes) text in Markdown and HTML.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "store/records.h"

namespace lifeline::report {

// UTC ISO-8601 to the second: "2026-11-27T10:00:00Z".
std::string IsoTime(store::Time t);
// "10:00:07Z" (the day is in the report's header).
std::string ClockTime(store::Time t);

// In words, two units at most: "850 ms", "42 s", "4 min 12 s", "4 min", "2 h 5 min", "3 d 4 h".
// Negative durations get a leading "-".
std::string HumanDuration(std::chrono::milliseconds d);
// "+4 min 12 s" / "-30 s": an offset from a reference time.
std::string Offset(std::chrono::milliseconds d);

// "97.5%" (one decimal, trailing ".0" dropped); "—" for nullopt.
std::string Percent(std::optional<double> share);
// "123 ms" (whole milliseconds); "—" for nullopt.
std::string Millis(std::optional<double> ms);

// At most `max_bytes` of `text`, cut at a character boundary, with "…" when it was cut.
std::string Shorten(std::string_view text, std::size_t max_bytes);

// Text from outside made safe to embed: invalid UTF-8 becomes U+FFFD and control characters
// (but tab and newline) are dropped, so neither format carries bytes a parser would refuse.
std::string Clean(std::string_view text);

// HTML text and attribute values: & < > " ' escaped (after Clean).
std::string EscapeHtml(std::string_view text);

// Markdown inline text on one line: Clean, newlines become spaces, and every character that
// could start markup is backslash-escaped (\ ` * _ [ ] < > | ~ & and a leading # + - = > or
// "1." / "1)"), so a title or message can neither format nor link nor inject HTML. Safe in table
// cells (pipes are escaped).
std::string EscapeMarkdown(std::string_view text);

}  // namespace lifeline::report
