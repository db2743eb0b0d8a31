// The human form of a check report: one row per platform, then domain events, vantage points and
// notes. Colour only when asked (a terminal without NO_COLOR).
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "cli/check.h"

namespace lifeline::cli {
namespace {

using core::Verdict;

const char* VerdictColor(Verdict v) {
  switch (v) {
    case Verdict::kUp:
      return "\x1b[32m";  // green
    case Verdict::kDegraded:
    case Verdict::kRegionalOutage:
      return "\x1b[33m";  // yellow
    case Verdict::kOutage:
      return "\x1b[1;31m";  // bold red
    case Verdict::kJustYou:
    case Verdict::kLocalDns:
    case Verdict::kLocalNetwork:
    case Verdict::kNoNetwork:
      return "\x1b[35m";  // magenta: the problem is on this side
    case Verdict::kUnknown:
      return "\x1b[2m";  // dim
  }
  return "";
}

// Pads by visible width (UTF-8 aware enough for our names) so colour codes do not skew columns.
std::string Pad(const std::string& s, std::size_t width) {
  std::size_t visible = 0;
  for (unsigned char c : s) visible += (c & 0xC0) != 0x80;
  return visible >= width ? s + " " : s + std::string(width - visible, ' ');
}

std::string LayerText(const diagnose::Diagnosis& d) {
  if (d.layer == core::Layer::kNone) return "-";
  std::string s(core::LayerName(d.layer));
  if (!d.detail.empty()) s += "/" + d.detail;
  return s;
}

}  // namespace

void PrintTable(const diagnose::CheckReport& report, std::ostream& out, bool color) {
  const char* reset = color ? "\x1b[0m" : "";
  const char* bold = color ? "\x1b[1m" : "";
  std::string observer_line =
      fmt::format("this connection: {}", core::ConnectivityName(report.observer.connectivity));
  if (!report.observer.evidence.empty()) observer_line += " (" + report.observer.evidence[0] + ")";
  out << bold << "lifeline check" << reset << "  " << core::FormatTime(report.checked_at) << "  "
      << observer_line << "\n\n";

  std::size_t name_width = 8;
  for (const auto& d : report.platforms) name_width = std::max(name_width, d.name.size() + 2);
  out << bold << Pad("PLATFORM", name_width) << Pad("VERDICT", 17) << Pad("LAYER", 20)
      << Pad("LATENCY", 9) << "REASON" << reset << "\n";
  for (const auto& d : report.platforms) {
    std::string verdict(core::VerdictName(d.verdict));
    std::string latency = d.latency_ms ? fmt::format("{:.0f} ms", *d.latency_ms) : "-";
    out << Pad(d.name, name_width) << (color ? VerdictColor(d.verdict) : "") << Pad(verdict, 17)
        << reset << Pad(LayerText(d), 20) << Pad(latency, 9) << d.reason << "\n";
  }

  bool first = true;
  for (const auto& e : report.domains) {
    if (!e.correlated) continue;
    if (first) out << "\n";
    first = false;
    for (const auto& line : e.evidence) out << "domain " << e.domain << ": " << line << "\n";
  }
  if (!report.vantage_points.empty()) {
    out << "\nvantage points:";
    for (const auto& v : report.vantage_points) {
      out << "  " << v.name;
      if (!v.region.empty()) out << " (" << v.region << ")";
      if (!v.reachable) {
        out << " unreachable";
      } else if (v.connectivity != core::Connectivity::kOk) {
        out << " " << core::ConnectivityName(v.connectivity);
      } else {
        out << " ok";
        if (v.rtt_ms) out << fmt::format(" {:.0f} ms", *v.rtt_ms);
      }
    }
    out << "\n";
  }
  if (!report.notes.empty()) {
    out << "\n";
    for (const auto& n : report.notes) out << "note: " << n << "\n";
  }
}

}  // namespace lifeline::cli
