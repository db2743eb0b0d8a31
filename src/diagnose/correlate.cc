// Failure domains (a platform with thin evidence judged with its domain's outage; a correlated
// failure of several of one owner's platforms is one event) and the exit code of `lifeline check`.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "diagnose/diagnose.h"
#include "diagnose/evidence.h"

namespace lifeline::diagnose {
namespace {

using core::Verdict;

// Worst first when compared with >: outage > regional_outage > degraded > just_you > no_network >
// local_network > local_dns > unknown > up. The observer-side verdicts come from one observer, so
// they agree across a domain; their order among themselves only breaks ties.
int Severity(Verdict v) {
  switch (v) {
    case Verdict::kUp:
      return 0;
    case Verdict::kUnknown:
      return 1;
    case Verdict::kLocalDns:
      return 2;
    case Verdict::kLocalNetwork:
      return 3;
    case Verdict::kNoNetwork:
      return 4;
    case Verdict::kJustYou:
      return 5;
    case Verdict::kDegraded:
      return 6;
    case Verdict::kRegionalOutage:
      return 7;
    case Verdict::kOutage:
      return 8;
  }
  return 1;
}

bool ObserverSide(Verdict v) {
  return v == Verdict::kLocalDns || v == Verdict::kLocalNetwork || v == Verdict::kNoNetwork;
}

// A verdict that says something is wrong; unknown says nothing either way.
bool Problem(Verdict v) { return v != Verdict::kUp && v != Verdict::kUnknown; }

std::string LayerWords(core::Layer layer, const std::string& detail) {
  std::string words(core::LayerName(layer));
  if (layer != core::Layer::kContent) {
    for (char& ch : words) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (!detail.empty()) words += fmt::format(" ({})", detail);
  return words;
}

void Summarise(DomainEvent& e, const std::vector<const Diagnosis*>& members) {
  // Platform-side failures grouped by layer, earliest layer first on a tie.
  std::vector<const Diagnosis*> failing;
  for (const auto* d : members) {
    if (Problem(d->verdict) && !ObserverSide(d->verdict) && d->layer != core::Layer::kNone) {
      failing.push_back(d);
    }
  }
  core::Layer best = core::Layer::kNone;
  std::size_t best_count = 0;
  for (const auto* d : failing) {
    const auto count = static_cast<std::size_t>(std::count_if(
        failing.begin(), failing.end(), [&](const Diagnosis* o) { return o->layer == d->layer; }));
    if (count > best_count || (count == best_count && d->layer < best)) {
      best = d->layer;
      best_count = count;
    }
  }
  std::vector<const Diagnosis*> group;
  for (const auto* d : failing) {
    if (d->layer == best) group.push_back(d);
  }

  if (group.size() >= 2) {
    e.correlated = true;
    e.layer = best;
    // The most common detail of the group; ties to the first seen.
    std::size_t top = 0;
    for (const auto* d : group) {
      const auto count = static_cast<std::size_t>(std::count_if(
          group.begin(), group.end(), [&](const Diagnosis* o) { return o->detail == d->detail; }));
      if (count > top) {
        top = count;
        e.detail = d->detail;
      }
    }
    std::vector<std::string> ids;
    for (const auto* d : group) ids.push_back(d->platform);
    e.evidence.push_back(fmt::format("{} fail together at {}: one {} event", internal::Join(ids),
                                     LayerWords(e.layer, e.detail), e.domain));
  } else {
    // Not one event: the layer of the worst-off platform, if any.
    const Diagnosis* worst = nullptr;
    for (const auto* d : members) {
      if (Problem(d->verdict) && (!worst || Severity(d->verdict) > Severity(worst->verdict))) {
        worst = d;
      }
    }
    if (worst) {
      e.layer = worst->layer;
      e.detail = worst->detail;
    }
  }

  for (const auto* d : members) {
    if (std::find(group.begin(), group.end(), d) != group.end() && e.correlated) continue;
    if (!Problem(d->verdict) && d->verdict != Verdict::kUnknown) continue;
    std::string line = fmt::format("{}: {}", d->platform, core::VerdictName(d->verdict));
    if (d->layer != core::Layer::kNone) line += " at " + LayerWords(d->layer, d->detail);
    e.evidence.push_back(line);
  }
  if (std::any_of(members.begin(), members.end(),
                  [](const Diagnosis* d) { return ObserverSide(d->verdict); })) {
    e.evidence.push_back("not one event of the domain: this machine's own connection is at fault");
  }
  if (e.affected.empty()) {
    std::size_t up = 0;
    for (const auto* d : members) up += d->verdict == Verdict::kUp ? 1 : 0;
    e.evidence.push_back(up == members.size() ? internal::Plural(up, "platform up", "platforms up")
                                              : fmt::format("{} platforms up",
                                                            internal::OfCount(up, members.size())));
  }
}

// "facebook", "facebook and whatsapp", "facebook, messenger and whatsapp".
std::string JoinAnd(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

// Every main endpoint (the non-API ones, or the API ones when there is nothing else) failed here:
// a platform that partly loads here has evidence of its own and is not judged with its domain.
bool FailsEntirelyHere(const Diagnosis& d) {
  bool has_main = false;
  for (const auto& p : d.probes) {
    has_main = has_main || (p.from == "here" && p.kind != core::ProbeKind::kDns && !p.api);
  }
  std::size_t main = 0;
  for (const auto& p : d.probes) {
    if (p.from != "here" || p.kind == core::ProbeKind::kDns || (has_main && p.api)) continue;
    if (p.ok) return false;
    ++main;
  }
  return main > 0;
}

// Judge with its domain's outage: fails here, nothing else could confirm, a named domain.
bool Inconclusive(const Diagnosis& d) {
  return d.verdict == Verdict::kUnknown && d.layer != core::Layer::kNone && !d.domain.empty() &&
         FailsEntirelyHere(d);
}

}  // namespace

void JudgeWithDomains(std::vector<Diagnosis>& diagnoses) {
  struct Judgement {
    std::size_t index;
    std::vector<std::size_t> with;  // the domain's outages at the same layer
  };
  // Decided on the verdicts of the platforms' own evidence before any is changed, so that a
  // platform judged this way never becomes evidence for another.
  std::vector<Judgement> judgements;
  for (std::size_t i = 0; i < diagnoses.size(); ++i) {
    const Diagnosis& d = diagnoses[i];
    if (!Inconclusive(d)) continue;
    Judgement j{i, {}};
    for (std::size_t k = 0; k < diagnoses.size(); ++k) {
      const Diagnosis& o = diagnoses[k];
      if (k != i && o.domain == d.domain && o.verdict == Verdict::kOutage && o.layer == d.layer) {
        j.with.push_back(k);
      }
    }
    if (!j.with.empty()) judgements.push_back(std::move(j));
  }
  for (const auto& j : judgements) {
    Diagnosis& d = diagnoses[j.index];
    std::vector<std::string> ids;
    double lowest = 1;
    for (auto k : j.with) {
      ids.push_back(diagnoses[k].platform);
      lowest = std::min(lowest, diagnoses[k].confidence);
    }
    const std::string down = j.with.size() == 1 ? "which is down" : "which are down";
    d.verdict = Verdict::kOutage;
    // Less sure than those it is judged with: its own evidence could not say.
    d.confidence = 0.8 * lowest;
    d.reason =
        fmt::format("{} here, like {} of its failure domain {}, {}",
                    internal::Describe({d.layer, d.detail, 0}), JoinAnd(ids), d.domain, down);
    const std::string line = fmt::format("fails at {} like {} of its failure domain {}, {}",
                                         LayerWords(d.layer, ""), JoinAnd(ids), d.domain, down);
    d.evidence.insert(d.evidence.begin() + (d.evidence.empty() ? 0 : 1), line);
  }
}

std::vector<DomainEvent> CorrelateDomains(const std::vector<Diagnosis>& diagnoses) {
  std::vector<DomainEvent> events;
  std::vector<std::vector<const Diagnosis*>> members;
  for (const auto& d : diagnoses) {
    const std::string& key = d.domain.empty() ? d.platform : d.domain;
    auto it = std::find_if(events.begin(), events.end(),
                           [&](const DomainEvent& e) { return e.domain == key; });
    std::size_t index = static_cast<std::size_t>(it - events.begin());
    if (it == events.end()) {
      events.push_back(DomainEvent{.domain = key});
      members.emplace_back();
    }
    DomainEvent& e = events[index];
    e.platforms.push_back(d.platform);
    members[index].push_back(&d);
    if (Severity(d.verdict) > Severity(e.verdict)) e.verdict = d.verdict;
    if (Problem(d.verdict)) e.affected.push_back(d.platform);
  }
  for (std::size_t i = 0; i < events.size(); ++i) Summarise(events[i], members[i]);
  return events;
}

int ExitCode(const CheckReport& report) {
  if (report.observer.connectivity != core::Connectivity::kOk) return 3;
  bool platform = false, this_side = false, unknown = false;
  for (const auto& d : report.platforms) {
    switch (d.verdict) {
      case Verdict::kOutage:
      case Verdict::kRegionalOutage:
      case Verdict::kDegraded:
        platform = true;
        break;
      case Verdict::kJustYou:
      case Verdict::kLocalDns:
      case Verdict::kLocalNetwork:
      case Verdict::kNoNetwork:
        this_side = true;
        break;
      case Verdict::kUnknown:
        unknown = true;
        break;
      case Verdict::kUp:
        break;
    }
  }
  if (platform) return 1;
  if (this_side) return 3;
  if (unknown) return 4;
  return 0;
}

}  // namespace lifeline::diagnose
