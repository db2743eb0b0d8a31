// Incident grouping: per-platform transitions -> open/update/close actions per platform, failure
// domain or flapping platform, with maintenance windows and silences applied.
#include "watch/incidents.h"

#include <algorithm>
#include <map>

#include <fmt/core.h>

namespace lifeline::watch {
namespace {

// Higher is worse; only failing verdicts reach an incident.
int Severity(core::Verdict v) {
  switch (v) {
    case core::Verdict::kOutage:
      return 3;
    case core::Verdict::kRegionalOutage:
      return 2;
    case core::Verdict::kDegraded:
      return 1;
    default:
      return 0;
  }
}

std::string Where(const RoundEvidence& e) {
  if (e.layer == core::Layer::kNone) return "";
  if (e.detail.empty()) return fmt::format(" at {}", core::LayerName(e.layer));
  return fmt::format(" at {} ({})", core::LayerName(e.layer), e.detail);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " and " : ", ";
    out += names[i];
  }
  return out;
}

std::chrono::seconds NonNegative(std::chrono::system_clock::duration d) {
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(d));
}

void Erase(std::vector<std::string>& v, const std::string& s) {
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

std::string_view IncidentKindName(IncidentKind kind) {
  switch (kind) {
    case IncidentKind::kPlatform:
      return "platform";
    case IncidentKind::kDomain:
      return "domain";
    case IncidentKind::kFlapping:
      return "flapping";
  }
  return "platform";
}

std::string PlatformKey(std::string_view platform) { return fmt::format("platform:{}", platform); }
std::string DomainKey(std::string_view domain) { return fmt::format("domain:{}", domain); }
std::string FlappingKey(std::string_view platform) { return fmt::format("flapping:{}", platform); }

core::Status IncidentTracker::SetSilences(std::vector<Silence> silences) {
  for (const Silence& s : silences) {
    if (auto st = s.Validate(); !st) return st;
  }
  silences_ = std::move(silences);
  return core::Ok();
}

std::string IncidentTracker::NameOf(const std::string& id) const {
  auto it = names_.find(id);
  return it == names_.end() || it->second.empty() ? id : it->second;
}

core::Verdict IncidentTracker::VerdictOf(const Incident& inc) const {
  core::Verdict worst = core::Verdict::kUnknown;
  for (const auto& id : inc.members) {
    auto it = platforms_.find(id);
    if (it == platforms_.end()) continue;
    core::Verdict v = it->second.flapping ? it->second.worst : it->second.evidence.verdict;
    if (worst == core::Verdict::kUnknown || Severity(v) > Severity(worst)) worst = v;
  }
  return worst;
}

std::string IncidentTracker::TitleOf(const Incident& inc) const {
  const std::string verdict = HumanVerdict(VerdictOf(inc));
  switch (inc.kind) {
    case IncidentKind::kPlatform:
      return fmt::format("{}: {}", NameOf(inc.members.empty() ? inc.all.front() : inc.members[0]),
                         verdict);
    case IncidentKind::kDomain: {
      std::vector<std::string> names;
      for (const auto& id : inc.members.empty() ? inc.all : inc.members)
        names.push_back(NameOf(id));
      return fmt::format("{}: {} of {}", inc.domain, verdict, JoinNames(names));
    }
    case IncidentKind::kFlapping:
      return fmt::format("{}: flapping", NameOf(inc.all.front()));
  }
  return inc.key;
}

std::vector<std::string> IncidentTracker::OpeningEvidence(const Incident& inc) const {
  std::vector<std::string> lines;
  for (const auto& id : inc.members) {
    auto it = platforms_.find(id);
    if (it == platforms_.end()) continue;
    const PlatformStatus& st = it->second;
    const std::string name = NameOf(id);
    if (st.flapping) {
      lines.push_back(fmt::format("{} keeps failing and recovering", name));
    } else {
      lines.push_back(fmt::format("{}: {}{}, {} observer{} failing{}", name,
                                  HumanVerdict(st.evidence.verdict), Where(st.evidence),
                                  st.evidence.observers_failing,
                                  st.evidence.observers_failing == 1 ? "" : "s",
                                  st.evidence.reason.empty() ? "" : " — " + st.evidence.reason));
    }
    for (const auto& e : st.evidence.evidence) {
      lines.push_back(inc.kind == IncidentKind::kDomain ? fmt::format("{}: {}", name, e) : e);
    }
  }
  return lines;
}

std::vector<IncidentView> IncidentTracker::open() const {
  std::vector<IncidentView> out;
  for (const auto& [key, inc] : incidents_) {
    out.push_back(IncidentView{.key = key,
                               .kind = inc.kind,
                               .domain = inc.domain,
                               .platforms = inc.members,
                               .all_platforms = inc.all,
                               .verdict = VerdictOf(inc),
                               .title = TitleOf(inc),
                               .started = inc.started});
  }
  return out;
}

std::vector<std::string> IncidentTracker::Forget(const std::vector<std::string>& platform_ids) {
  for (const auto& id : platform_ids) platforms_.erase(id);
  std::vector<std::string> dropped;
  for (auto it = incidents_.begin(); it != incidents_.end();) {
    Incident& inc = it->second;
    auto gone = [&](const std::string& p) {
      return std::find(platform_ids.begin(), platform_ids.end(), p) != platform_ids.end();
    };
    std::erase_if(inc.members, gone);
    std::erase_if(inc.all, gone);
    if (inc.members.empty()) {
      dropped.push_back(it->first);
      it = incidents_.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

std::vector<IncidentAction> IncidentTracker::Apply(TimePoint at,
                                                   const std::vector<Transition>& round) {
  std::map<std::string, Touch> touches;
  std::vector<std::string> order;  // keys in the order first touched
  auto touch = [&](const std::string& key) -> Touch& {
    if (!touches.contains(key)) order.push_back(key);
    return touches[key];
  };
  // A platform leaves its incident (recovered, or started/stopped flapping).
  auto detach = [&](PlatformStatus& st, std::string note, std::string reason, TimePoint ended) {
    auto it = incidents_.find(st.incident);
    if (it == incidents_.end()) return;
    Erase(it->second.members, st.ref.id);
    it->second.ended = std::max(it->second.ended, ended);
    Touch& t = touch(st.incident);
    t.notes.push_back(std::move(note));
    t.close_reason = std::move(reason);
    st.incident.clear();
  };

  std::vector<Suppressed> suppressed;
  std::map<std::string, std::vector<std::string>> described;  // id -> this round's transitions
  // A transition of a platform that is in no incident and leaves nothing behind (closed, or
  // stopped flapping): recorded as suppressed if a silence is why it had no incident.
  auto suppress_final = [&](const PlatformStatus& st, const Transition& t) {
    if (!st.incident.empty()) return;
    auto active = FindSilence(silences_, st.ref.id, st.ref.domain, at);
    if (!active) return;
    suppressed.push_back(Suppressed{.platform = st.ref.id,
                                    .domain = st.ref.domain,
                                    .silence = active->silence->name,
                                    .kind = active->silence->kind,
                                    .until = active->until,
                                    .message = SuppressedMessage(*active),
                                    .transitions = {Describe(t)},
                                    .at = at});
  };

  // 1. What each platform's state machine says now.
  for (const Transition& t : round) {
    const PlatformRef& ref = PlatformOf(t);
    names_[ref.id] = ref.name;
    auto it = platforms_.find(ref.id);
    if (const auto* e = std::get_if<Opened>(&t)) {
      PlatformStatus& st = platforms_[ref.id];
      st.ref = ref;
      st.flapping = false;
      st.evidence = e->evidence;
      st.since = e->since;
      described[ref.id].push_back(Describe(t));
    } else if (const auto* e = std::get_if<Updated>(&t)) {
      if (it == platforms_.end() || it->second.flapping) continue;  // not known to be failing
      it->second.evidence = e->evidence;
      if (!it->second.incident.empty()) {
        touch(it->second.incident)
            .notes.push_back(fmt::format("{}: {}", NameOf(ref.id), Describe(t)));
      } else {
        described[ref.id].push_back(Describe(t));
      }
    } else if (const auto* e = std::get_if<Closed>(&t)) {
      if (it == platforms_.end() || it->second.flapping) continue;
      PlatformStatus& st = it->second;
      suppress_final(st, t);
      detach(st, fmt::format("{}: {}", NameOf(ref.id), Describe(t)), "recovered", e->ended);
      platforms_.erase(it);
    } else if (const auto* e = std::get_if<FlappingStarted>(&t)) {
      PlatformStatus& st = platforms_[ref.id];
      const bool was_failing = it != platforms_.end() && !st.flapping;
      if (!st.incident.empty()) {
        detach(st, fmt::format("{} is flapping: see {}", NameOf(ref.id), FlappingKey(ref.id)),
               "superseded by " + FlappingKey(ref.id), at);
      }
      st.worst = core::Verdict::kDegraded;
      if (was_failing && Severity(st.evidence.verdict) > 0) st.worst = st.evidence.verdict;
      if (Severity(e->evidence.verdict) > Severity(st.worst)) st.worst = e->evidence.verdict;
      st.ref = ref;
      st.flapping = true;
      st.evidence = e->evidence;
      st.since = e->at;
      described[ref.id].push_back(Describe(t));
    } else if (const auto* e = std::get_if<FlappingEnded>(&t)) {
      if (it == platforms_.end() || !it->second.flapping) continue;
      PlatformStatus& st = it->second;
      suppress_final(st, t);
      detach(st, fmt::format("{}: {}", NameOf(ref.id), Describe(t)), "stopped flapping", e->at);
      platforms_.erase(it);
    }
  }

  // 2. Platforms failing or flapping outside any incident: silenced, or placed in one.
  auto open_incident = [&](std::string key, IncidentKind kind, const std::string& domain,
                           std::vector<std::string> ids) {
    Incident inc{.key = key, .kind = kind, .domain = domain, .members = ids, .all = ids};
    inc.started = platforms_.at(ids.front()).since;
    for (const auto& id : ids) {
      PlatformStatus& st = platforms_.at(id);
      inc.started = std::min(inc.started, st.since);
      st.incident = key;
    }
    inc.ended = inc.started;
    incidents_[key] = std::move(inc);
    touch(key).opened = true;
  };
  auto join = [&](const std::string& key, const std::string& id) {
    Incident& inc = incidents_.at(key);
    PlatformStatus& st = platforms_.at(id);
    inc.members.push_back(id);
    AddUnique(inc.all, id);
    inc.started = std::min(inc.started, st.since);
    st.incident = key;
    Touch& t = touch(key);
    if (!t.opened) {
      t.notes.push_back(fmt::format("{} joined: {}{}", NameOf(id),
                                    HumanVerdict(st.evidence.verdict), Where(st.evidence)));
    }
  };

  std::map<std::string, std::vector<std::string>> by_domain;      // unplaced failing platforms
  std::map<std::string, std::vector<std::string>> after_silence;  // id -> note
  for (auto& [id, st] : platforms_) {
    if (!st.incident.empty()) continue;
    if (auto active = FindSilence(silences_, id, st.ref.domain, at)) {
      auto& lines = described[id];
      if (st.suppressed_by != active->silence->name || !lines.empty()) {
        suppressed.push_back(Suppressed{.platform = id,
                                        .domain = st.ref.domain,
                                        .silence = active->silence->name,
                                        .kind = active->silence->kind,
                                        .until = active->until,
                                        .message = SuppressedMessage(*active),
                                        .transitions = lines,
                                        .at = at});
      }
      st.suppressed_by = active->silence->name;
      continue;
    }
    if (!st.suppressed_by.empty()) {
      after_silence[id].push_back(fmt::format("the window '{}' is over and {} is still {}",
                                              st.suppressed_by, NameOf(id),
                                              st.flapping ? "flapping" : "failing"));
      st.suppressed_by.clear();
    }
    if (st.flapping) {
      open_incident(FlappingKey(id), IncidentKind::kFlapping, st.ref.domain, {id});
    } else if (st.ref.domain.empty()) {
      open_incident(PlatformKey(id), IncidentKind::kPlatform, "", {id});
    } else {
      by_domain[st.ref.domain].push_back(id);
    }
  }

  for (auto& [domain, ids] : by_domain) {
    const std::string dkey = DomainKey(domain);
    if (!incidents_.contains(dkey)) {
      std::vector<std::string> platform_incidents;  // of this domain, already open
      for (const auto& [key, inc] : incidents_) {
        // One that closes this round (its platform recovered) stays closed.
        if (inc.kind == IncidentKind::kPlatform && inc.domain == domain && !inc.members.empty()) {
          platform_incidents.push_back(key);
        }
      }
      if (ids.size() + platform_incidents.size() < 2) {
        open_incident(PlatformKey(ids[0]), IncidentKind::kPlatform, domain, ids);
        continue;
      }
      if (platform_incidents.empty()) {
        open_incident(dkey, IncidentKind::kDomain, domain, ids);
        continue;
      }
      // Rename the oldest platform incident to the domain's, keeping its id and timeline.
      const std::string& first = platform_incidents.front();
      Incident promoted = std::move(incidents_.at(first));
      incidents_.erase(first);
      promoted.key = dkey;
      promoted.kind = IncidentKind::kDomain;
      for (const auto& id : promoted.members) platforms_.at(id).incident = dkey;
      Touch moved = touches.contains(first) ? std::move(touches.at(first)) : Touch{};
      touches.erase(first);
      Erase(order, first);
      moved.renamed_from = moved.opened ? "" : first;
      moved.notes.push_back(fmt::format("now one {} incident: more of its platforms fail", domain));
      incidents_[dkey] = std::move(promoted);
      touch(dkey) = std::move(moved);
      // Any other platform incident of the domain (not expected, but possible after a silence
      // ends) is merged in and closed.
      for (std::size_t i = 1; i < platform_incidents.size(); ++i) {
        Incident& other = incidents_.at(platform_incidents[i]);
        for (const auto& id : std::vector<std::string>(other.members)) {
          Erase(other.members, id);
          platforms_.at(id).incident.clear();
          join(dkey, id);
        }
        Touch& t = touch(platform_incidents[i]);
        t.notes.push_back(fmt::format("merged into {}", dkey));
        t.close_reason = "merged into " + dkey;
      }
    }
    for (const auto& id : ids) join(dkey, id);
  }
  for (auto& [id, notes] : after_silence) {
    const std::string& key = platforms_.at(id).incident;
    for (auto& n : notes) touch(key).notes.push_back(std::move(n));
  }

  // 3. One action per touched incident.
  std::vector<IncidentAction> out;
  for (const auto& key : order) {
    Touch& t = touches.at(key);
    auto it = incidents_.find(key);
    if (it == incidents_.end()) continue;
    Incident& inc = it->second;
    if (t.opened) {
      std::vector<std::string> evidence = OpeningEvidence(inc);
      evidence.insert(evidence.end(), t.notes.begin(), t.notes.end());
      out.push_back(OpenIncident{.key = key,
                                 .kind = inc.kind,
                                 .domain = inc.domain,
                                 .platforms = inc.members,
                                 .verdict = VerdictOf(inc),
                                 .title = TitleOf(inc),
                                 .evidence = std::move(evidence),
                                 .started = inc.started,
                                 .at = at});
    } else if (inc.members.empty()) {
      out.push_back(CloseIncident{.key = key,
                                  .kind = inc.kind,
                                  .domain = inc.domain,
                                  .platforms = inc.all,
                                  .reason = t.close_reason,
                                  .started = inc.started,
                                  .ended = inc.ended,
                                  .duration = NonNegative(inc.ended - inc.started),
                                  .evidence = std::move(t.notes),
                                  .at = at});
      incidents_.erase(it);
    } else {
      const bool renamed = !t.renamed_from.empty();
      out.push_back(UpdateIncident{.key = renamed ? t.renamed_from : key,
                                   .new_key = renamed ? key : "",
                                   .kind = inc.kind,
                                   .domain = inc.domain,
                                   .platforms = inc.members,
                                   .verdict = VerdictOf(inc),
                                   .title = TitleOf(inc),
                                   .evidence = std::move(t.notes),
                                   .at = at});
    }
  }
  for (auto& s : suppressed) out.push_back(std::move(s));
  return out;
}

}  // namespace lifeline::watch
