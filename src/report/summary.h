// What the Markdown and HTML renderers share: the key figures as rows of plain text (escaped by
// each renderer), message totals, and the category of a timeline event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace lifeline::report {

// One row of the key figures: plain, unescaped text.
struct FigureRow {
  std::string name;   // "Time to detect"
  std::string value;  // "1 min"
  std::string when;   // "09:59:00Z → 10:00:00Z"
  std::string how;    // how it was measured, for this incident
};

std::vector<FigureRow> KeyFigures(const Report& r);

struct MessageTotals {
  std::int64_t total = 0, delivered = 0, failed = 0, unconfirmed = 0, pending = 0, cancelled = 0,
               rerouted = 0, team = 0, audience = 0;
};
MessageTotals Totals(const Report& r);

// "incident" (opened, updated, evidence, closed), "playbook" (playbook_*), "relay" (relay_*),
// "note", or "other".
std::string_view EventCategory(std::string_view type);

// The lifecycle phases as spans: each transition's state from its time to the next one's (the last
// to `end`, or to the transition's own time when it comes later).
struct PhaseSpan {
  store::Lifecycle state;
  store::Time begin;
  store::Time end;
  std::string by;
};
std::vector<PhaseSpan> LifecyclePhases(const Report& r, store::Time end);

// "still open" or the closing time.
std::string ClosedText(const Report& r);

// ---- listening (plain text, escaped by each renderer) ----

// What the section says when the store holds no listening data for the window.
inline constexpr const char* kNoListening =
    "No listening data for this time: listening was not configured, or it was not collecting.";
// "Outage chatter on whatsapp" / "Mentions of acme".
std::string QueryTitle(const ListeningQuery& q);
// "412 posts against 38 expected (10.8 ×); a spike was on in 2 hours" (or "... no spike").
std::string VolumeLine(const ListeningQuery& q);
// One block per hour scaled to the busiest hour (▁▂▃▄▅▆▇█; "·" for an hour without data).
std::string Sparkline(const ListeningQuery& q);
// "12.5%"-style shares of one polarity; "—" without posts.
std::string Share(const SentimentShares& s, std::int64_t n);
// "-0.31" (two decimals); "—" without posts.
std::string MeanCompound(const SentimentShares& s);
// "3 (2–5)": the expectation and the usual range; "—" without history.
std::string ExpectedText(const ListeningHour& h);
// What the detector said of the hour: its stored decision, else what the hour alone shows.
std::string JudgedText(const ListeningHour& h);

}  // namespace lifeline::report
