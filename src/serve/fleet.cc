// The vantage points' fleet view (fleet.h): per agent, its last exchanges folded into one state,
// and a change published whenever that state moves.
#include "serve/fleet.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace lifeline::serve {

using nlohmann::json;

std::string_view VantageStateName(VantageState state) {
  switch (state) {
    case VantageState::kUnknown:
      return "unknown";
    case VantageState::kOk:
      return "ok";
    case VantageState::kUnreachable:
      return "unreachable";
    case VantageState::kStale:
      return "stale";
  }
  return "unknown";
}

std::chrono::milliseconds StaleAfter(const config::Config& config) {
  std::optional<std::chrono::milliseconds> shortest;
  for (const auto& p : config.platforms) {
    if (!p.enabled) continue;
    const auto interval = config.serve.IntervalOf(p.id);
    if (!shortest || interval < *shortest) shortest = interval;
  }
  return 3 * shortest.value_or(config.serve.interval) + config.timeout +
         std::chrono::milliseconds(1500);
}

namespace {

json OptTime(const std::optional<SystemTime>& t) {
  return t ? json(core::FormatTime(*t)) : json(nullptr);
}

json OptMs(const std::optional<double>& v) {
  // Whole tenths of a millisecond: more digits only look precise.
  return v ? json(std::round(*v * 10.0) / 10.0) : json(nullptr);
}

json OptText(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

}  // namespace

json VantageJson(const VantageView& v) {
  return {
      {"name", v.name},
      {"region", OptText(v.region)},
      {"url", v.url},
      {"state", std::string(VantageStateName(v.state))},
      {"state_since", OptTime(v.state_since)},
      {"last_seen", OptTime(v.last_seen)},
      {"last_attempt", OptTime(v.last_attempt)},
      {"latency_ms", OptMs(v.latency_ms)},
      {"latency_median_ms", OptMs(v.latency_median_ms)},
      {"exchange_ms", OptMs(v.exchange_ms)},
      {"version", OptText(v.version)},
      {"connectivity",
       v.connectivity ? json(std::string(core::ConnectivityName(*v.connectivity))) : json(nullptr)},
      {"connectivity_evidence", v.connectivity_evidence},
      {"last_error", v.last_error.empty() ? json(nullptr)
                                          : json{{"kind", OptText(v.last_error_kind)},
                                                 {"message", v.last_error},
                                                 {"at", OptTime(v.last_error_at)}}},
      {"consecutive_failures", v.consecutive_failures},
      {"answers", v.answers},
      {"failures", v.failures}};
}

Fleet::Fleet(std::vector<core::VantagePoint> vantage_points, FleetOptions options)
    : options_(std::move(options)) {
  for (auto& vp : vantage_points) {
    Entry e;
    e.view.name = std::move(vp.name);
    e.view.region = std::move(vp.region);
    e.view.url = std::move(vp.url);
    e.published = VantageState::kUnknown;
    entries_.push_back(std::move(e));
  }
}

Fleet::~Fleet() { Stop(); }

VantageState Fleet::EffectiveLocked(const Entry& e, SystemTime now) const {
  if (!e.view.last_attempt) return VantageState::kUnknown;
  if (now - *e.view.last_attempt > options_.stale_after) return VantageState::kStale;
  return e.view.state;
}

VantageView Fleet::ViewLocked(const Entry& e, SystemTime now) const {
  VantageView v = e.view;
  v.state = EffectiveLocked(e, now);
  return v;
}

void Fleet::PublishLocked(Entry& e, SystemTime now, bool force) {
  const VantageState state = EffectiveLocked(e, now);
  const bool changed = state != e.published;
  if (changed) {
    e.view.state_since = now;
    if (options_.log) {
      std::string line = fmt::format("vantage point {}: {} (was {})", e.view.name,
                                     VantageStateName(state), VantageStateName(e.published));
      if (state == VantageState::kUnreachable) {
        line +=
            ": " + e.view.last_error + " — its evidence is left out; no platform is judged by it";
      }
      options_.log(line);
    }
  }
  const bool due = !e.published_at || now - *e.published_at >= options_.update_every;
  if (!changed && !force && !due) return;
  FleetEvent ev{ViewLocked(e, now), e.published, changed};
  e.published = state;
  e.published_at = now;
  listeners_.Publish(ev);
}

void Fleet::Observe(const agent::VantageReply& reply, SystemTime at) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.view.name == reply.name; });
  if (it == entries_.end()) return;
  Entry& e = *it;
  VantageView& v = e.view;
  bool news = false;  // besides a change of state: worth an event at once
  v.last_attempt = at;
  if (reply.reachable) {
    v.state = VantageState::kOk;
    v.last_seen = at;
    v.consecutive_failures = 0;
    ++v.answers;
    v.exchange_ms = reply.rtt_ms;
    v.latency_ms = reply.connect_ms ? reply.connect_ms : reply.rtt_ms;
    if (v.latency_ms) {
      e.latencies.push_back(*v.latency_ms);
      while (e.latencies.size() > std::max<std::size_t>(options_.latency_window, 1)) {
        e.latencies.pop_front();
      }
      v.latency_median_ms = Median({e.latencies.begin(), e.latencies.end()});
    }
    news |= v.version != reply.agent_version || v.connectivity != reply.connectivity ||
            v.connectivity_evidence != reply.evidence;
    if (!reply.agent_version.empty()) v.version = reply.agent_version;
    v.connectivity = reply.connectivity;
    v.connectivity_evidence = reply.evidence;
    // A configured vantage point without a region reports the agent's own.
    if (v.region.empty()) v.region = reply.region;
  } else {
    v.state = VantageState::kUnreachable;
    news |= v.last_error_kind != reply.failure || v.last_error != reply.error;
    ++v.consecutive_failures;
    ++v.failures;
    v.last_error = reply.error;
    v.last_error_kind = reply.failure;
    v.last_error_at = at;
  }
  PublishLocked(e, at, news);
}

void Fleet::Sweep(SystemTime now) {
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (EffectiveLocked(e, now) != e.published) PublishLocked(e, now, false);
  }
}

std::vector<VantageView> Fleet::List(SystemTime now) const {
  std::lock_guard lock(mu_);
  std::vector<VantageView> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(ViewLocked(e, now));
  return out;
}

std::optional<VantageView> Fleet::Find(std::string_view name, SystemTime now) const {
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (e.view.name == name) return ViewLocked(e, now);
  }
  return std::nullopt;
}

std::unique_ptr<core::Subscription> Fleet::Subscribe(std::function<void(const FleetEvent&)> sink) {
  return listeners_.Add(std::move(sink));
}

void Fleet::Start() {
  std::lock_guard lock(sweep_mu_);
  if (sweeper_.joinable() || entries_.empty()) return;
  stopping_ = false;
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweep_mu_);
    while (!sweep_cv_.wait_for(lock, options_.sweep_every, [this] { return stopping_; })) {
      lock.unlock();
      Sweep(std::chrono::system_clock::now());
      lock.lock();
    }
  });
}

void Fleet::Stop() {
  std::thread sweeper;
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
    sweeper = std::move(sweeper_);
  }
  sweep_cv_.notify_all();
  if (sweeper.joinable()) sweeper.join();
}

}  // namespace lifeline::serve
