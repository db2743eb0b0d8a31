// The serve engine: one event loop thread runs the scheduler, the rounds and their confirmations,
// the status-page poller, the state machines and the incident tracker; a writer thread stores
// samples. The API's threads read views under a mutex and the store directly.
#include "serve/engine.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "agent/probe_options.h"
#include "api/store_json.h"
#include "api/tokens.h"
#include "diagnose/report_json.h"
#include "listen/listener.h"
#include "serve/metrics.h"
#include "serve/sample_writer.h"
#include "serve/scheduler.h"
#include "serve/shared_view.h"
#include "serve/views.h"
#include "watch/crowd.h"
#include "watch/incidents.h"
#include "watch/measured.h"
#include "watch/silence.h"
#include "watch/state_machine.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using core::ErrorCode;
using core::MakeError;
using SteadyClock = std::chrono::steady_clock;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::string_view kReportKinds[] = {"login",   "feed",  "messages",
                                             "posting", "calls", "other"};

store::IncidentKind ToStoreKind(watch::IncidentKind k) {
  switch (k) {
    case watch::IncidentKind::kPlatform:
      return store::IncidentKind::kPlatform;
    case watch::IncidentKind::kDomain:
      return store::IncidentKind::kDomain;
    case watch::IncidentKind::kFlapping:
      return store::IncidentKind::kFlapping;
  }
  return store::IncidentKind::kPlatform;
}

std::string Join(const std::vector<std::string>& lines, std::string_view sep) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += sep;
    out += l;
  }
  return out;
}

// "a, b, c" — at most ten named, then how many more (a round or a takeover may hold thousands of
// platforms; a log line names a few).
std::string JoinFew(const std::vector<std::string>& ids) {
  constexpr std::size_t kNamed = 10;
  if (ids.size() <= kNamed) return Join(ids, ", ");
  return Join({ids.begin(), ids.begin() + kNamed}, ", ") +
         fmt::format(" and {} more", ids.size() - kNamed);
}

std::string HumanDuration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

// Whether a probe result says that this observer (or a vantage point) cannot use the platform.
// Direct-resolver DNS queries are about those resolvers, not about this observer's view.
bool CountsAsObserverFailure(const core::ProbeResult& p) {
  if (p.ok) return false;
  if (p.kind != core::ProbeKind::kDns) return true;
  return p.resolver.empty() || p.resolver == "system";
}

// Independent observers that saw the platform fail this round: this machine (when its own
// connection is fine) and each reachable, healthy vantage point with a failing probe of it.
int FailingObservers(const diagnose::CheckReport& report, const diagnose::Diagnosis& d) {
  int n = 0;
  if (report.observer.connectivity == core::Connectivity::kOk &&
      std::any_of(d.probes.begin(), d.probes.end(), [](const core::ProbeResult& p) {
        return p.from == "here" && CountsAsObserverFailure(p);
      })) {
    ++n;
  }
  for (const auto& vp : report.vantage_points) {
    if (!vp.reachable || vp.connectivity != core::Connectivity::kOk) continue;
    if (std::any_of(d.probes.begin(), d.probes.end(), [&](const core::ProbeResult& p) {
          return p.from == vp.name && CountsAsObserverFailure(p);
        })) {
      ++n;
    }
  }
  return n;
}

std::size_t ProbeCount(const core::Platform& p, const config::Config& c) {
  return p.probes.size() + p.dns_names.size() * (1 + c.resolvers.size());
}

}  // namespace

struct Engine::State {
  State(config::Config c, store::Store& s, EngineOptions o)
      : config(std::move(c)),
        store(s),
        options(std::move(o)),
        writer(s, WriterOptions()),
        wake_timer(io),
        status_timer(io),
        shared_timer(io),
        lag_timer(io) {
    for (const auto& p : config.platforms) {
      if (!p.enabled) continue;
      index[p.id] = platforms.size();
      platforms.push_back(p);
    }
    metrics.SetPerPlatform(
        EngineMetrics::PerPlatform(config.serve.metrics_per_platform, platforms.size()));
    std::vector<Scheduler::Entry> entries;
    for (const auto& p : platforms) {
      entries.push_back({p.id, config.serve.IntervalOf(p.id), ProbeCount(p, config)});
      machines.emplace_back(watch::PlatformRef{p.id, p.name, p.domain}, config.serve.machine);
      PlatformView v;
      v.platform = p.id;
      v.name = p.name;
      v.domain = p.domain;
      if (p.status_page)
        v.status_page = StatusPageView{p.status_page->url, std::nullopt, {}, p.status_page->kind};
      views.push_back(std::move(v));
    }
    std::uint64_t seed = options.seed ? options.seed : std::random_device{}();
    // More probes than the prober runs at once: groups spread over the interval (see Scheduler).
    scheduler.emplace(std::move(entries), config.serve.jitter, seed, std::chrono::milliseconds(250),
                      config.concurrency);
    due_at.assign(platforms.size(), {});
    base_evidence.assign(platforms.size(), {});
    crowd_flagged.assign(platforms.size(), false);
    saved_states.assign(platforms.size(), std::nullopt);
    owned.assign(platforms.size(), !options.shared);
    if (options.shared) shared_view.emplace(store);
    observer.evidence = {"not checked yet"};
    if (auto s2 = tracker.SetSilences(config.silences); !s2.ok()) {
      // config::Load validated every silence; an invalid one here is a broken invariant.
      Log("invalid silence: " + s2.error().message());
      std::abort();
    }
    if (!options.run_round) {
      options.run_round = [this](std::vector<core::Platform> ps,
                                 const std::map<std::string, sources::StatusPageState>* status)
          -> asio::awaitable<check::RoundResult> {
        check::Options o;
        o.status_pages = false;
        o.known_status_pages = status;
        o.inspect_network = options.inspect_network;
        o.on_vantage = options.on_vantage_reply;
        co_return co_await check::Run(*prober, config, ps, o);
      };
    }
    if (!options.fetch_status) {
      options.fetch_status = [this](core::Platform p) -> asio::awaitable<sources::StatusPageState> {
        co_return co_await sources::FetchStatusPage(*prober, *p.status_page, config.timeout);
      };
    }
  }

  SampleWriter::Options WriterOptions() {
    SampleWriter::Options w;
    w.flush_interval = options.flush_interval;
    w.rollup_interval = options.rollup_interval;
    w.prune_interval = options.prune_interval;
    w.on_result = [this](const core::Status& s) { NoteStore(s); };
    w.log = [this](std::string_view line) { Log(line); };
    return w;
  }

  void Log(std::string_view line) {
    if (options.log) options.log(line);
  }

  // ---- store health ----

  void NoteStore(const core::Status& s) {
    std::lock_guard lock(health_mu);
    if (s.ok()) {
      store_error.reset();
    } else {
      store_error = s.error();
      metrics.StoreError();
    }
  }

  template <typename T>
  bool StoreOk(const core::Result<T>& r, std::string_view what) {
    if (r.ok()) {
      NoteStore(core::Ok());
      return true;
    }
    Log(fmt::format("store: {} failed: {}", what, r.error().message()));
    NoteStore(r.error());
    return false;
  }

  // ---- live events ----

  bool HasSubscribers() {
    std::lock_guard lock(subs_mu);
    return !subs.empty();
  }

  void Publish(const api::LiveEvent& e) {
    std::lock_guard lock(subs_mu);
    for (auto& [id, sink] : subs) sink(e);
  }

  void PublishIncident(const store::Incident& inc, const store::IncidentEvent* ev) {
    NotifyIncident(inc, ev, /*here=*/true);
    Publish({"incident", IncidentJson(inc)});
    if (ev) {
      Publish({"incident_event", {{"incident_id", inc.id}, {"event", api::EventJson(*ev)}}});
    }
  }

  // The response parts' view of an incident change (core::IncidentFeed). `here`: this instance
  // runs it (else another instance on the shared store does, IncidentNotice::here).
  void NotifyIncident(const store::Incident& inc, const store::IncidentEvent* ev, bool here) {
    core::IncidentNotice n;
    n.incident_id = inc.id;
    n.kind = inc.kind == store::IncidentKind::kDomain     ? core::IncidentNotice::Kind::kDomain
             : inc.kind == store::IncidentKind::kFlapping ? core::IncidentNotice::Kind::kFlapping
                                                          : core::IncidentNotice::Kind::kPlatform;
    n.domain = inc.domain;
    n.platforms = inc.platforms;
    n.verdict = inc.verdict;
    n.title = inc.title;
    n.opened_at = inc.opened_at;
    n.at = ev ? ev->at : inc.updated_at;
    n.here = here;
    std::lock_guard lock(subs_mu);
    const bool known = open_notices.count(inc.id) > 0;
    if (inc.state == store::IncidentState::kClosed) {
      if (!known) return;  // a closed incident's later notes change nothing for the parts
      n.change = core::IncidentNotice::Change::kClosed;
      open_notices.erase(inc.id);
    } else {
      n.change =
          known ? core::IncidentNotice::Change::kUpdated : core::IncidentNotice::Change::kOpened;
      open_notices[inc.id] = n;
    }
    for (auto& [id, sink] : incident_subs) sink(n);
  }

  // ---- start / stop ----

  core::Status LoadFromStore() {
    auto states = store.ListPlatformStates();
    if (!states.ok()) return states.error();
    for (const auto& st : *states) {
      auto it = index.find(st.platform);
      if (it == index.end()) continue;
      PlatformView& v = views[it->second];
      v.verdict = st.verdict;
      v.layer = st.layer;
      v.detail = st.detail;
      v.confidence = st.confidence;
      v.reason = st.reason + " (before restart)";
      v.checked_at =
          std::chrono::time_point_cast<std::chrono::system_clock::duration>(st.updated_at);
      json ev = json::parse(st.evidence_json, nullptr, false);
      if (ev.is_array()) {
        for (const auto& line : ev) {
          if (line.is_string()) base_evidence[it->second].push_back(line.get<std::string>());
        }
      }
      v.evidence = base_evidence[it->second];
      metrics.SetVerdict(st.platform, st.verdict);
    }
    auto pages = store.ListStatusPages();
    if (!pages.ok()) return pages.error();
    for (const auto& page : *pages) {
      auto it = index.find(page.platform);
      if (it == index.end() || !platforms[it->second].status_page) continue;
      sources::StatusPageState s = StatusStateFromJson(json::parse(page.raw_json, nullptr, false));
      status_known[page.platform] = s;
      views[it->second].status_page = StatusPageView{
          platforms[it->second].status_page->url,
          std::chrono::time_point_cast<std::chrono::system_clock::duration>(page.fetched_at), s,
          platforms[it->second].status_page->kind};
    }
    // Incidents left open by the previous run: kept open until the first rounds settle them.
    // Shared: each is adopted with its platforms instead (AdoptPlatforms).
    if (!options.shared) {
      auto open = OpenIncidents();
      if (!open.ok()) return open.error();
      orphans = std::move(*open);
    }
    for (const auto& o : orphans) {
      for (const auto& p : o.platforms) {
        auto it = index.find(p);
        if (it != index.end() && views[it->second].incident_id.empty()) {
          views[it->second].incident_id = o.id;
        }
      }
    }
    if (!orphans.empty()) {
      Log(
          fmt::format("{} incident{} open from before the restart: kept open until the first "
                      "rounds show whether {} still failing",
                      orphans.size(), orphans.size() == 1 ? "" : "s",
                      orphans.size() == 1 ? "it is" : "they are"));
    }
    // Crowd baselines only count weeks in which reports were being collected.
    const auto now = std::chrono::system_clock::now();
    const auto lookback = CrowdLookback();
    auto hours = store.HourlyReportCounts(
        "", {store::FromSystem(now - lookback), store::FromSystem(now) + std::chrono::hours(1)});
    if (!hours.ok()) return hours.error();
    store::Time since = store::FromSystem(now);
    if (!hours->empty()) since = std::min(since, hours->front().hour);
    collecting_since.store(store::ToMillis(since));
    metrics.SetIncidentsOpen(static_cast<std::int64_t>(orphans.size()));
    return core::Ok();
  }

  // Every open incident in the store, all pages.
  core::Result<std::vector<store::Incident>> OpenIncidents() {
    std::vector<store::Incident> out;
    store::IncidentQuery q;
    q.state = store::IncidentState::kOpen;
    q.limit = 1000;
    do {
      LL_ASSIGN(auto page, store.ListIncidents(q));
      for (auto& inc : page.incidents) {
        if (inc.state == store::IncidentState::kOpen) out.push_back(std::move(inc));
      }
      q.cursor = page.next_cursor;
    } while (!q.cursor.empty());
    return out;
  }

  core::Status Start() {
    if (started) return MakeError(ErrorCode::kFailedPrecondition, "engine already started");
    if (auto s = LoadFromStore(); !s.ok()) return s;
    auto p = probe::CreateProber(io, agent::ProbeOptionsFor(config));
    if (!p.ok()) return p.error();
    prober = std::move(*p);
    for (std::size_t i = 0; i < platforms.size(); ++i) {
      // Platforms untouched by a round still show which silence covers them now.
      UpdateSuppression(i, std::chrono::system_clock::now());
    }
    RebuildBody();
    writer.Start();
    started = true;
    asio::co_spawn(io, SchedulerLoop(), [this](std::exception_ptr e) {
      if (e) LogException("scheduler", e);
      scheduler_done = true;
      MaybeDrained();
    });
    asio::co_spawn(io, StatusLoop(), [this](std::exception_ptr e) {
      if (e) LogException("status-page poller", e);
      status_done = true;
      MaybeDrained();
    });
    shared_done = !options.shared;
    if (options.shared) {
      asio::co_spawn(io, SharedLoop(), [this](std::exception_ptr e) {
        if (e) LogException("reading the other instances' platforms", e);
        shared_done = true;
        MaybeDrained();
      });
    }
    asio::co_spawn(io, LagLoop(), [this](std::exception_ptr e) {
      if (e) LogException("measuring the event loop's lag", e);
      lag_done = true;
      MaybeDrained();
    });
    thread = std::thread([this] { io.run(); });
    return core::Ok();
  }

  // How long the event loop keeps a ready timer waiting (lifeline_event_loop_lag_seconds): work
  // on the loop that blocks (a slow store call, a long computation) delays every round due then.
  asio::awaitable<void> LagLoop() {
    constexpr auto kEvery = std::chrono::milliseconds(100);
    while (!stopping) {
      const auto due = SteadyClock::now() + kEvery;
      lag_timer.expires_at(due);
      boost::system::error_code ec;
      co_await lag_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || stopping) break;
      metrics.LoopLag(std::chrono::duration<double>(SteadyClock::now() - due).count());
    }
  }

  void LogException(std::string_view what, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      Log(fmt::format("{} failed: {}", what, ex.what()));
    } catch (...) {
      Log(fmt::format("{} failed", what));
    }
  }

  void MaybeDrained() {
    if (!stopping || !drained || drained_set) return;
    if (active_rounds > 0 || active_fetches > 0 || !scheduler_done || !status_done) return;
    if (!shared_done || !lag_done) return;
    drained_set = true;
    drained->set_value();
  }

  void Stop() {
    if (!started || stopped) return;
    stopped = true;
    std::promise<void> done;
    auto future = done.get_future();
    asio::post(io, [this, &done] {
      stopping = true;
      drained = &done;
      wake_timer.cancel();
      status_timer.cancel();
      shared_timer.cancel();
      lag_timer.cancel();
      MaybeDrained();
    });
    auto timeout = options.drain_timeout.count() > 0
                       ? options.drain_timeout
                       : 2 * config.timeout + std::chrono::milliseconds(5000);
    bool clean = future.wait_for(timeout) == std::future_status::ready;
    io.stop();
    if (thread.joinable()) thread.join();
    store_pool.join();  // a store read still running finishes (its result is not awaited now)
    if (clean) {
      prober.reset();
    } else {
      // Coroutines still suspended inside the prober would touch it when destroyed with the
      // event loop: leave both to the process exit rather than risk a crash while draining.
      Log(fmt::format("rounds still running after {} ms: abandoned", timeout.count()));
      (void)prober.release();
      abandoned = true;
    }
    writer.Stop();
  }

  // ---- scheduling ----

  void Poke() { wake_timer.cancel(); }

  asio::awaitable<void> SchedulerLoop() {
    scheduler->Start(SteadyClock::now());
    while (!stopping) {
      const auto now = SteadyClock::now();
      auto due = scheduler->Take(now);
      if (!due.empty()) {
        std::vector<std::size_t> batch;
        for (const auto& d : due) {
          if (!owned[d.index]) {  // another instance runs it
            scheduler->Finished(d.index);
            continue;
          }
          metrics.Lateness(std::chrono::duration<double>(d.lateness).count());
          due_at[d.index] = now - d.lateness;
          batch.push_back(d.index);
        }
        if (!batch.empty()) {
          ++active_rounds;
          asio::co_spawn(io, RoundTask(std::move(batch)), [this](std::exception_ptr e) {
            if (e) LogException("round", e);
            --active_rounds;
            MaybeDrained();
          });
        }
      }
      metrics.SetQueue(static_cast<std::int64_t>(scheduler->Queue(SteadyClock::now())));
      auto wake = scheduler->NextWake();
      wake_timer.expires_at(wake ? *wake : SteadyClock::now() + std::chrono::hours(1));
      boost::system::error_code ec;
      co_await wake_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Whether platform i failed in its last round without (yet) being in an incident: re-check it
  // at once rather than waiting for its next interval.
  bool NeedsConfirmation(std::size_t i) const {
    watch::Snapshot s = machines[i].snapshot();
    if (!s.last || s.incident_open || s.state == watch::State::kFlapping) return false;
    return watch::Classify(s.last->verdict) == watch::RoundKind::kFailing;
  }

  asio::awaitable<void> RoundTask(std::vector<std::size_t> batch) {
    std::vector<core::Platform> ps;
    for (auto i : batch) ps.push_back(platforms[i]);
    co_await RunAndProcess(std::move(ps), false, /*scheduled=*/true);
    for (int c = 0; c < options.max_confirmations && !stopping; ++c) {
      std::vector<core::Platform> confirm;
      for (auto i : batch) {
        if (NeedsConfirmation(i)) confirm.push_back(platforms[i]);
      }
      if (confirm.empty()) break;
      std::vector<std::string> ids;
      for (const auto& p : confirm) ids.push_back(p.id);
      Log("confirming at once: " + JoinFew(ids));
      co_await RunAndProcess(std::move(confirm), true);
    }
    for (auto i : batch) scheduler->Finished(i);
    metrics.SetQueue(static_cast<std::int64_t>(scheduler->Queue(SteadyClock::now())));
    Poke();
  }

  // Runs one round and applies it; an exception from a round is logged and the round counts as
  // no evidence (the platforms keep their state).
  // `scheduled`: the round the scheduler started (its probes' lateness is measured).
  asio::awaitable<std::optional<check::RoundResult>> RunAndProcess(std::vector<core::Platform> ps,
                                                                   bool confirmation,
                                                                   bool scheduled = false) {
    const auto started_at = std::chrono::system_clock::now();
    std::int64_t probes = 0;
    for (const auto& p : ps) probes += static_cast<std::int64_t>(ProbeCount(p, config));
    metrics.AddProbesInFlight(probes);
    std::optional<check::RoundResult> result;
    std::exception_ptr failure;
    try {
      result = co_await options.run_round(std::move(ps), &status_known);  // ps is not used after
    } catch (...) {
      failure = std::current_exception();
    }
    metrics.AddProbesInFlight(-probes);
    if (failure) {
      LogException("round", failure);
      co_return std::nullopt;
    }
    metrics.RoundDone(confirmation);
    rounds.fetch_add(1);
    // The crowd inputs of this round's platforms, read on the store thread.
    auto crowd = co_await ReadCrowdInputsOffLoop(result->report.checked_at);
    ProcessRound(*result, started_at, scheduled, crowd ? &*crowd : nullptr);
    co_return result;
  }

  // Runs `fn` (store work that returns a core::Result) on the store thread and resumes on the
  // loop with its result: the loop goes on with other rounds meanwhile.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> OffLoop(F fn) {
    using R = std::invoke_result_t<F>;
    auto r = co_await asio::co_spawn(
        store_pool,
        [fn = std::move(fn)]() mutable -> asio::awaitable<std::optional<R>> {
          co_return std::optional<R>(fn());
        },
        asio::use_awaitable);
    co_return std::move(*r);
  }

  // What every platform's crowd view is made of, read at once: which platforms had any report in
  // the look-back (only those are counted window by window), measured reports of the last hour
  // (device_reports.h) and spiking outage chatter (listening) — a store read per platform and
  // round kept the engine's thread waiting on PostgreSQL with thousands of platforms.
  struct CrowdInputs {
    std::set<std::string, std::less<>> reported;
    std::map<std::string, watch::MeasuredCounts, std::less<>> measured;
    std::map<std::string, std::string> chatter;
  };

  // ---- applying a round ----

  // `crowd`: the crowd inputs read for this round (null: they could not be read).
  void ProcessRound(const check::RoundResult& round, std::chrono::system_clock::time_point started,
                    bool scheduled = false, const CrowdInputs* crowd = nullptr) {
    const diagnose::CheckReport& report = round.report;
    const auto at = report.checked_at;
    UpdateObserver(report.observer);

    std::vector<watch::Transition> transitions;
    std::vector<store::ProbeSample> samples;
    std::set<std::size_t> touched;
    std::vector<const diagnose::Diagnosis*> diagnosis(platforms.size(), nullptr);
    for (const auto& d : report.platforms) {
      auto it = index.find(d.platform);
      // Checked on demand but not watched, or watched by another instance (shared store): the
      // caller gets the diagnosis; the state machines and incidents are the owner's.
      if (it == index.end() || !owned[it->second]) continue;
      const std::size_t i = it->second;
      auto tr = machines[i].Observe(at, d, FailingObservers(report, d));
      transitions.insert(transitions.end(), std::make_move_iterator(tr.begin()),
                         std::make_move_iterator(tr.end()));
      touched.insert(i);
      diagnosis[i] = &d;
      for (const auto& p : d.probes) {
        samples.push_back(store::SampleFromResult(d.platform, p, store::FromSystem(started)));
        if (p.from == "here" && p.timings.total) {
          metrics.ProbeDuration(d.platform, p.probe_id, *p.timings.total / 1000.0);
        }
        if (scheduled && p.from == "here" && p.started != SteadyClock::time_point{}) {
          auto late = std::chrono::duration<double>(p.started - due_at[i]).count();
          metrics.ProbeLateness(std::max(late, 0.0));
        }
      }
      metrics.SetVerdict(d.platform, d.verdict);
      SavePlatformState(i, d, at);
      base_evidence[i] = d.evidence;
    }
    // Without them (the store failed, logged), the crowd views stay as they were.
    if (crowd != nullptr) RefreshCrowds(touched, *crowd, at, /*publish=*/false);

    auto actions = tracker.Apply(at, transitions);
    std::set<std::string> affected;  // platforms whose incident changed
    ApplyActions(actions, at, affected);
    ReconcileOrphans(at, affected);
    metrics.SetIncidentsOpen(static_cast<std::int64_t>(tracker.open().size() + orphans.size()));

    // Views: the platforms of this round, and those whose incident changed.
    auto ids = IncidentIdsByPlatform();
    const bool live = HasSubscribers();  // no JSON per platform when nobody listens
    std::vector<json> changed;
    {
      std::lock_guard lock(views_mu);
      std::set<std::size_t> shown = touched;  // not a pass over every platform per round
      for (const auto& p : affected) {
        if (auto it = index.find(p); it != index.end()) shown.insert(it->second);
      }
      for (std::size_t i : shown) {
        const bool in_round = touched.count(i) > 0;
        PlatformView& v = views[i];
        if (in_round && diagnosis[i]) {
          const diagnose::Diagnosis& d = *diagnosis[i];
          v.verdict = d.verdict;
          v.layer = d.layer;
          v.detail = d.detail;
          v.confidence = d.confidence;
          v.reason = d.reason;
          v.latency_ms = d.latency_ms;
          v.checked_at = at;
          v.probes = d.probes;
        }
        v.state = std::string(watch::StateName(machines[i].state()));
        auto id = ids.find(platforms[i].id);
        v.incident_id = id == ids.end() ? "" : id->second;
        UpdateSuppressionLocked(i, at);
        ComposeEvidenceLocked(i);
        if (live) changed.push_back(PlatformJson(v));
      }
    }
    for (auto& j : changed) Publish({"platform", std::move(j)});
    RebuildBody();
    writer.Add(std::move(samples));
  }

  // The last diagnosis, for the board after a restart. Written when what it says changes, else
  // at most every 5 minutes: with thousands of platforms a write per round would cost more than
  // the round.
  void SavePlatformState(std::size_t i, const diagnose::Diagnosis& d,
                         std::chrono::system_clock::time_point at) {
    store::PlatformState st;
    st.platform = d.platform;
    st.verdict = d.verdict;
    st.layer = d.layer;
    st.detail = d.detail;
    st.confidence = std::clamp(d.confidence, 0.0, 1.0);
    st.reason = d.reason;
    st.updated_at = store::FromSystem(at);
    const auto& last = saved_states[i];
    const bool same = last && last->verdict == st.verdict && last->layer == st.layer &&
                      last->detail == st.detail && last->reason == st.reason;
    if (same && st.updated_at - last->updated_at < std::chrono::minutes(5)) return;
    st.evidence_json = json(d.evidence).dump();
    // Written on the writer's thread: the loop does not wait for the store (thousands of
    // platforms' first rounds, or their 5-minute rewrites, come in bursts).
    writer.AddState(st);
    saved_states[i] = std::move(st);
  }

  void UpdateObserver(const diagnose::Observer& o) {
    bool changed = false;
    {
      std::lock_guard lock(views_mu);
      changed = !observer_known || o.connectivity != observer.connectivity ||
                o.evidence != observer.evidence;
      observer = o;
      observer_known = true;
    }
    if (changed) {
      if (o.connectivity != core::Connectivity::kOk) {
        Log(fmt::format(
            "this machine's connection is {}: no platform incident opens until it is "
            "back ({})",
            core::ConnectivityName(o.connectivity), o.evidence.empty() ? "" : o.evidence.front()));
      }
      Publish({"observer", ObserverJson(o)});
    }
  }

  void UpdateSuppression(std::size_t i, std::chrono::system_clock::time_point at) {
    std::lock_guard lock(views_mu);
    UpdateSuppressionLocked(i, at);
    ComposeEvidenceLocked(i);
  }

  // Caller holds views_mu.
  void UpdateSuppressionLocked(std::size_t i, std::chrono::system_clock::time_point at) {
    const auto& p = platforms[i];
    auto active = watch::FindSilence(config.silences, p.id, p.domain, at);
    if (!active) {
      views[i].suppressed.reset();
      return;
    }
    views[i].suppressed = SuppressedView{active->silence->name, active->silence->kind,
                                         active->until, watch::SuppressedMessage(*active)};
  }

  // The evidence shown: the round's, then the crowd signal when flagged, then a silence.
  void ComposeEvidenceLocked(std::size_t i) {
    PlatformView& v = views[i];
    v.evidence = base_evidence[i];
    if (v.crowd.flagged) v.evidence.push_back("crowd reports: " + v.crowd.evidence);
    if (!v.crowd.measured_evidence.empty()) v.evidence.push_back(v.crowd.measured_evidence);
    if (!v.crowd.chatter_evidence.empty()) v.evidence.push_back(v.crowd.chatter_evidence);
    if (v.suppressed) {
      v.evidence.push_back(
          fmt::format("{} — evidence is recorded, no incident opens", v.suppressed->message));
    }
  }

  // ---- incidents ----

  // An incident left open by the previous run that the tracker's new incident continues.
  std::optional<store::Incident> TakeOrphan(watch::IncidentKind kind,
                                            const std::vector<std::string>& ps) {
    const bool flapping = kind == watch::IncidentKind::kFlapping;
    for (auto it = orphans.begin(); it != orphans.end(); ++it) {
      if ((it->kind == store::IncidentKind::kFlapping) != flapping) continue;
      bool overlap = std::any_of(ps.begin(), ps.end(), [&](const std::string& p) {
        return std::find(it->platforms.begin(), it->platforms.end(), p) != it->platforms.end();
      });
      if (!overlap) continue;
      store::Incident inc = std::move(*it);
      orphans.erase(it);
      return inc;
    }
    return std::nullopt;
  }

  void ApplyActions(const std::vector<watch::IncidentAction>& actions,
                    std::chrono::system_clock::time_point at, std::set<std::string>& affected) {
    for (const auto& action : actions) {
      std::visit(Overloaded{
                     [&](const watch::OpenIncident& o) {
                       affected.insert(o.platforms.begin(), o.platforms.end());
                       OnOpen(o);
                     },
                     [&](const watch::UpdateIncident& u) {
                       affected.insert(u.platforms.begin(), u.platforms.end());
                       OnUpdate(u);
                     },
                     [&](const watch::CloseIncident& c) {
                       affected.insert(c.platforms.begin(), c.platforms.end());
                       OnClose(c);
                     },
                     [&](const watch::Suppressed& s) {
                       affected.insert(s.platform);
                       Log(fmt::format(
                           "{}: {}{}", s.platform, s.message,
                           s.transitions.empty() ? "" : " (" + Join(s.transitions, "; ") + ")"));
                     },
                 },
                 action);
    }
    (void)at;
  }

  void OnOpen(const watch::OpenIncident& o) {
    json data = {{"key", o.key},
                 {"platforms", o.platforms},
                 {"verdict", core::VerdictName(o.verdict)},
                 {"started", core::FormatTime(o.started)},
                 {"evidence", o.evidence}};
    const std::string summary = o.evidence.empty() ? o.title : o.evidence.front();
    if (auto orphan = TakeOrphan(o.kind, o.platforms)) {
      store::IncidentPatch patch;
      patch.verdict = o.verdict;
      patch.platforms = o.platforms;
      patch.title = o.title;
      patch.kind = ToStoreKind(o.kind);
      patch.domain = o.domain;
      const bool taken = taken_over.erase(orphan->id) > 0;
      store::NewEvent ev{store::FromSystem(o.at), std::string(store::event_type::kUpdated),
                         (taken ? "still failing, taken over from another instance: "
                                : "still failing after restart: ") +
                             summary,
                         data.dump()};
      auto inc = store.UpdateIncident(orphan->id, patch, ev);
      if (StoreOk(inc, "continuing incident " + orphan->id)) {
        key_to_id[o.key] = inc->id;
        continued_since[inc->id] = inc->opened_at;
        store::IncidentEvent stored{inc->id, inc->last_seq, ev.at,
                                    ev.type, ev.message,    ev.data_json};
        PublishIncident(*inc, &stored);
        Log(fmt::format("incident {} continues after {}: {}", inc->id,
                        taken ? "a takeover" : "restart", o.title));
        return;
      }
      // It could not be continued (closed meanwhile, or the store failed): open a new one.
    }
    store::NewIncident n;
    n.kind = ToStoreKind(o.kind);
    n.domain = o.domain;
    n.platforms = o.platforms;
    n.verdict = o.verdict;
    n.title = o.title;
    n.opened_at = store::FromSystem(o.at);
    n.message = "opened: " + summary;
    n.data_json = data.dump();
    auto inc = store.OpenIncident(n);
    if (!StoreOk(inc, "opening an incident for " + o.title)) return;
    key_to_id[o.key] = inc->id;
    store::IncidentEvent stored{
        inc->id, 1, n.opened_at, std::string(store::event_type::kOpened), n.message, n.data_json};
    PublishIncident(*inc, &stored);
    Log(fmt::format("incident {} opened: {}", inc->id, o.title));
  }

  void OnUpdate(const watch::UpdateIncident& u) {
    auto it = key_to_id.find(u.key);
    if (it == key_to_id.end()) {
      // Opening it failed earlier (the store was unavailable): try again now.
      OnOpen(watch::OpenIncident{.key = u.new_key.empty() ? u.key : u.new_key,
                                 .kind = u.kind,
                                 .domain = u.domain,
                                 .platforms = u.platforms,
                                 .verdict = u.verdict,
                                 .title = u.title,
                                 .evidence = u.evidence,
                                 .started = u.at,
                                 .at = u.at});
      return;
    }
    const std::string id = it->second;
    if (!u.new_key.empty()) {
      key_to_id.erase(it);
      key_to_id[u.new_key] = id;
    }
    store::IncidentPatch patch;
    patch.verdict = u.verdict;
    patch.platforms = u.platforms;
    patch.title = u.title;
    patch.kind = ToStoreKind(u.kind);
    patch.domain = u.domain;
    json data = {{"key", u.new_key.empty() ? u.key : u.new_key},
                 {"platforms", u.platforms},
                 {"verdict", core::VerdictName(u.verdict)},
                 {"evidence", u.evidence}};
    if (!u.new_key.empty()) data["renamed_from"] = u.key;
    store::NewEvent ev{store::FromSystem(u.at), std::string(store::event_type::kUpdated),
                       u.evidence.empty() ? "updated: " + u.title : Join(u.evidence, "; "),
                       data.dump()};
    auto inc = store.UpdateIncident(id, patch, ev);
    if (!StoreOk(inc, "updating incident " + id)) return;
    store::IncidentEvent stored{inc->id, inc->last_seq, ev.at, ev.type, ev.message, ev.data_json};
    PublishIncident(*inc, &stored);
  }

  void OnClose(const watch::CloseIncident& c) {
    auto it = key_to_id.find(c.key);
    if (it == key_to_id.end()) {
      Log(fmt::format("closing {}: no stored incident (opening it had failed)", c.key));
      return;
    }
    const std::string id = it->second;
    key_to_id.erase(it);
    // The tracker counts from when it first saw the failure; an incident continued after a
    // restart or a takeover began when it was opened, maybe on another instance.
    auto started = c.started;
    auto duration = c.duration;
    if (auto since = continued_since.find(id); since != continued_since.end()) {
      if (since->second < started) {
        started = since->second;
        duration = std::chrono::duration_cast<std::chrono::seconds>(c.ended - started);
      }
      continued_since.erase(since);
    }
    json data = {{"key", c.key},
                 {"platforms", c.platforms},
                 {"reason", c.reason},
                 {"started", core::FormatTime(started)},
                 {"ended", core::FormatTime(c.ended)},
                 {"duration_s", duration.count()},
                 {"evidence", c.evidence}};
    // The tracker's notes ("WhatsApp: closed: up after 10 s ...") go to the event's data.
    std::string message =
        c.reason == "recovered" || c.reason.empty()
            ? fmt::format("closed: recovered after {}", HumanDuration(duration))
            : fmt::format("closed: {} (after {})", c.reason, HumanDuration(duration));
    store::NewEvent ev{store::FromSystem(c.at), std::string(store::event_type::kClosed), message,
                       data.dump()};
    auto inc = store.CloseIncident(id, ev);
    if (!StoreOk(inc, "closing incident " + id)) return;
    store::IncidentEvent stored{inc->id, inc->last_seq, ev.at, ev.type, ev.message, ev.data_json};
    PublishIncident(*inc, &stored);
    Log(fmt::format("incident {} {}", id, message));
  }

  void CloseOrphan(const store::Incident& orphan, std::chrono::system_clock::time_point at,
                   const std::string& message, const std::string& reason, int good_rounds) {
    json data = {{"reason", reason}, {"platforms", orphan.platforms}};
    if (good_rounds > 0) data["good_rounds"] = good_rounds;
    store::NewEvent ev{store::FromSystem(at), std::string(store::event_type::kClosed), message,
                       data.dump()};
    auto inc = store.CloseIncident(orphan.id, ev);
    if (!StoreOk(inc, "closing incident " + orphan.id)) return;
    store::IncidentEvent stored{inc->id, inc->last_seq, ev.at, ev.type, ev.message, ev.data_json};
    PublishIncident(*inc, &stored);
    Log(fmt::format("incident {} {}", orphan.id, message));
  }

  void ReconcileOrphans(std::chrono::system_clock::time_point at, std::set<std::string>& affected) {
    for (auto it = orphans.begin(); it != orphans.end();) {
      std::vector<std::size_t> watched;
      for (const auto& p : it->platforms) {
        if (auto w = index.find(p); w != index.end()) watched.push_back(w->second);
      }
      bool close = false;
      std::string message, reason;
      if (watched.empty()) {
        close = true;
        message = "closed at restart: platform no longer watched";
        reason = "not_watched";
      } else if (std::all_of(watched.begin(), watched.end(), [&](std::size_t i) {
                   // As the state machine closes an incident: close_after good rounds in a row
                   // (it counts them since start-up, incident or not).
                   const watch::Snapshot s = machines[i].snapshot();
                   return s.state == watch::State::kOk &&
                          s.good_rounds >= config.serve.machine.close_after;
                 })) {
        close = true;
        message = taken_over.count(it->id) ? "closed after takeover: platform up"
                                           : "closed at restart: platform up";
        reason = "restart_up";
      }
      if (!close) {
        ++it;
        continue;
      }
      store::Incident orphan = std::move(*it);
      it = orphans.erase(it);
      taken_over.erase(orphan.id);
      affected.insert(orphan.platforms.begin(), orphan.platforms.end());
      CloseOrphan(orphan, at, message, reason,
                  watched.empty() ? 0 : config.serve.machine.close_after);
    }
  }

  std::map<std::string, std::string> IncidentIdsByPlatform() const {
    std::map<std::string, std::string> out;
    for (const auto& view : tracker.open()) {
      auto it = key_to_id.find(view.key);
      if (it == key_to_id.end()) continue;
      for (const auto& p : view.platforms) out[p] = it->second;
    }
    for (const auto& o : orphans) {
      for (const auto& p : o.platforms) out.try_emplace(p, o.id);
    }
    return out;
  }

  // ---- crowd ----

  // How far back a crowd assessment looks: every window it counts, rounded out to hours.
  std::chrono::system_clock::duration CrowdLookback() const {
    return std::chrono::days(7) * config.crowd.weeks + config.crowd.window + std::chrono::hours(1);
  }

  // `quiet`: the platform is known to have no report in the whole look-back, so every count is
  // zero and the store need not be asked.
  core::Result<CrowdView> AssessCrowd(const std::string& platform,
                                      std::chrono::system_clock::time_point now,
                                      bool quiet = false) {
    using std::chrono::milliseconds;
    const auto& cfg = config.crowd;
    auto windows = watch::CrowdWindows(now, cfg);
    // A CountWindow is (from, to]; the store's ranges are [begin, end) in milliseconds.
    auto range = [](const watch::CountWindow& w) {
      return store::TimeRange{store::FromSystem(w.from) + milliseconds(1),
                              store::FromSystem(w.to) + milliseconds(1)};
    };
    auto count = [&](store::TimeRange r) -> core::Result<std::int64_t> {
      if (quiet) return std::int64_t{0};
      return store.CountReports(platform, r);
    };
    watch::CrowdCounts counts;
    counts.platform = platform;
    auto current = count(range(windows[0]));
    if (!current.ok()) return current.error();
    counts.current = static_cast<int>(*current);
    const store::Time since = store::FromMillis(collecting_since.load());
    for (std::size_t k = 1; k < windows.size(); ++k) {
      if (store::FromSystem(windows[k].from) < since) break;  // not collecting yet then
      auto n = count(range(windows[k]));
      if (!n.ok()) return n.error();
      counts.previous.push_back(static_cast<int>(*n));
    }
    watch::CrowdSignal signal = watch::AssessCrowd(now, counts, cfg);
    auto hour = count({store::FromSystem(now - std::chrono::hours(1)) + milliseconds(1),
                       store::FromSystem(now) + milliseconds(1)});
    if (!hour.ok()) return hour.error();
    CrowdView v;
    v.reports_last_hour = static_cast<int>(*hour);
    v.reports = signal.reports;
    v.baseline = signal.baseline;
    v.ratio = signal.ratio;
    v.flagged = signal.flagged;
    v.evidence = signal.evidence;
    return v;
  }

  // Store reads only: runs on the store thread (OffLoop).
  core::Result<CrowdInputs> LoadCrowdInputs(std::chrono::system_clock::time_point now) {
    CrowdInputs in;
    auto hours = store.HourlyReportCounts("", {store::FromSystem(now - CrowdLookback()),
                                               store::FromSystem(now) + std::chrono::hours(1)});
    if (!hours.ok()) return hours.error();
    for (const auto& h : *hours) in.reported.insert(h.platform);
    auto measured = MeasuredLastHour("", now);
    if (!measured.ok()) return measured.error();
    in.measured = std::move(*measured);
    auto chatter = listen::SpikingChatter(store.Listening(), now);
    if (!chatter.ok()) return chatter.error();
    in.chatter = std::move(*chatter);
    return in;
  }
  // Read on the store thread while the loop goes on.
  asio::awaitable<std::optional<CrowdInputs>> ReadCrowdInputsOffLoop(
      std::chrono::system_clock::time_point now) {
    auto in = co_await OffLoop([this, now] { return LoadCrowdInputs(now); });
    if (!StoreOk(in, "reading the crowd reports and chatter")) co_return std::nullopt;
    co_return std::move(*in);
  }

  void RefreshCrowds(const std::set<std::size_t>& which, const CrowdInputs& in,
                     std::chrono::system_clock::time_point now, bool publish) {
    static const watch::MeasuredCounts kNone;
    for (auto i : which) {
      auto m = in.measured.find(platforms[i].id);
      RefreshCrowd(i, now, publish, !in.reported.count(platforms[i].id),
                   m == in.measured.end() ? &kNone : &m->second, &in.chatter);
    }
  }

  // The other instances' platforms (shared store): their reports and chatter are in the store
  // whichever instance received them, but their owner refreshes their crowd views with its rounds.
  // Here, those with anything to show — and those that showed something last time, so it clears —
  // are refreshed, so that every instance's board shows the same flags and evidence lines.
  asio::awaitable<void> RefreshOthersCrowds(std::chrono::system_clock::time_point now) {
    auto in = co_await ReadCrowdInputsOffLoop(now);
    if (!in) co_return;
    std::set<std::size_t> which = std::move(others_crowds);
    others_crowds.clear();
    for (std::size_t i = 0; i < platforms.size(); ++i) {
      if (owned[i]) continue;
      const std::string& id = platforms[i].id;
      if (in->reported.count(id) || in->measured.count(id) || in->chatter.count(id)) {
        which.insert(i);
        others_crowds.insert(i);
      }
    }
    std::erase_if(which, [&](std::size_t i) { return owned[i]; });
    RefreshCrowds(which, *in, now, /*publish=*/true);
  }

  // Measured reports in the hour up to `now`, by platform id ("" = every platform).
  core::Result<std::map<std::string, watch::MeasuredCounts, std::less<>>> MeasuredLastHour(
      std::string_view platform, std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    auto counts = store.DeviceReports().Count(
        platform, {store::FromSystem(now - std::chrono::hours(1)) + milliseconds(1),
                   store::FromSystem(now) + milliseconds(1)});
    if (!counts.ok()) return counts.error();
    std::map<std::string, watch::MeasuredCounts, std::less<>> out;
    for (const auto& c : *counts) {
      watch::MeasuredCounts& m = out[c.platform];
      m.unreachable = static_cast<int>(c.unreachable);
      m.reachable = static_cast<int>(c.reachable);
      for (const auto& [type, n] : c.unreachable_by_connection) {
        m.unreachable_by_connection.emplace_back(type, static_cast<int>(n));
      }
    }
    return out;
  }

  // Engine thread. Records a newly flagged spike on the platform's open incident.
  // `measured`: the platform's measured reports of the last hour, when the caller counted them.
  // `chatter`: SpikingChatter of the round, when the caller read it for every platform.
  void RefreshCrowd(std::size_t i, std::chrono::system_clock::time_point now, bool publish,
                    bool quiet = false, const watch::MeasuredCounts* measured = nullptr,
                    const std::map<std::string, std::string>* chatter = nullptr) {
    const std::string& id = platforms[i].id;
    auto crowd = AssessCrowd(id, now, quiet);
    if (!StoreOk(crowd, "counting crowd reports for " + id)) return;
    if (measured != nullptr) {
      crowd->measured = *measured;
    } else {
      auto counted = MeasuredLastHour(id, now);
      if (!StoreOk(counted, "counting measured reports for " + id)) return;
      if (auto m = counted->find(id); m != counted->end()) crowd->measured = m->second;
    }
    crowd->measured_evidence = watch::MeasuredEvidence(platforms[i].name, crowd->measured);
    // A spike of outage chatter (listening) is one more evidence line, as the crowd's is.
    if (chatter != nullptr) {
      auto c = chatter->find(id);
      crowd->chatter_evidence =
          c == chatter->end() ? "" : listen::ChatterLine(platforms[i].name, c->second);
    } else {
      auto line = listen::ChatterEvidence(store.Listening(), id, platforms[i].name, now);
      if (StoreOk(line, "reading outage chatter for " + id)) crowd->chatter_evidence = *line;
    }
    const bool newly_flagged = crowd->flagged && !crowd_flagged[i];
    crowd_flagged[i] = crowd->flagged;
    json view;
    {
      std::lock_guard lock(views_mu);
      views[i].crowd = *crowd;
      ComposeEvidenceLocked(i);
      if (publish) view = PlatformJson(views[i]);
    }
    if (newly_flagged) {
      Log(fmt::format("{}: crowd reports flagged: {}", id, crowd->evidence));
      auto ids = IncidentIdsByPlatform();
      if (auto inc_id = ids.find(id); inc_id != ids.end()) {
        store::NewEvent ev{
            store::FromSystem(now), std::string(store::event_type::kEvidence),
            fmt::format("crowd reports for {}: {}", platforms[i].name, crowd->evidence),
            json({{"platform", id},
                  {"reports", crowd->reports},
                  {"baseline", crowd->baseline},
                  {"ratio", crowd->ratio}})
                .dump()};
        auto stored = store.AppendEvent(inc_id->second, ev);
        if (StoreOk(stored, "recording crowd evidence on " + inc_id->second)) {
          auto inc = store.GetIncident(inc_id->second);
          if (StoreOk(inc, "reading incident " + inc_id->second)) PublishIncident(*inc, &*stored);
        }
      }
    }
    if (publish) {
      Publish({"platform", std::move(view)});
      RebuildBody();
    }
  }

  // ---- body ----

  // The views changed: the next GET /v1/platforms serializes them again. Building it on demand
  // rather than per round matters with thousands of platforms and a round every few hundred ms.
  void RebuildBody() { body_dirty.store(true); }

  // API threads (PlatformsBody), under body_build_mu.
  void BuildBody() {
    std::lock_guard lock(views_mu);
    json list = json::array();
    for (const auto& v : views) list.push_back(PlatformJson(v));
    json observer_json = ObserverJson(observer);
    json notice = nullptr;
    const bool here = observer_known && observer.connectivity != core::Connectivity::kOk;
    if (here) {
      notice = fmt::format(
          "The problem is on this side: this machine's connection is {} ({}). Platforms cannot "
          "be judged from here and no incident opens until it is back.",
          core::ConnectivityName(observer.connectivity),
          observer.evidence.empty() ? "no detail" : observer.evidence.front());
    }
    observer_json["checked"] = observer_known;
    json body = {{"platforms", std::move(list)},
                 {"observer", std::move(observer_json)},
                 {"problem_here", here},
                 {"notice", notice},
                 {"updated_at", core::FormatTime(std::chrono::system_clock::now())}};
    std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
    text += '\n';
    std::lock_guard body_lock(body_mu);
    this->body = std::make_shared<const std::string>(std::move(text));
  }

  // ---- sharing the platforms with other instances (EngineOptions::shared) ----

  void ApplyOwned(const std::set<std::string>& ids) {
    std::vector<std::size_t> gained, lost;
    for (std::size_t i = 0; i < platforms.size(); ++i) {
      const bool mine = ids.count(platforms[i].id) > 0;
      if (mine && !owned[i]) gained.push_back(i);
      if (!mine && owned[i]) lost.push_back(i);
    }
    if (!lost.empty()) ReleasePlatforms(lost);
    if (!gained.empty()) AdoptPlatforms(gained);
  }

  std::string IdsOf(const std::vector<std::size_t>& is) const {
    std::vector<std::string> ids;
    for (auto i : is) ids.push_back(platforms[i].id);
    return JoinFew(ids);
  }

  bool OwnsAny(const std::vector<std::string>& ids) const {
    return std::any_of(ids.begin(), ids.end(), [&](const std::string& p) {
      auto it = index.find(p);
      return it != index.end() && owned[it->second];
    });
  }

  // A state machine that starts counting afresh: the rounds it saw before are another instance's
  // history now (or will be ours again from scratch).
  void ResetMachine(std::size_t i) {
    const core::Platform& p = platforms[i];
    machines[i] = watch::PlatformStateMachine(watch::PlatformRef{p.id, p.name, p.domain},
                                              config.serve.machine);
    saved_states[i].reset();
  }

  // Another instance runs these now: let go of them without closing anything.
  void ReleasePlatforms(const std::vector<std::size_t>& lost) {
    std::vector<std::string> ids;
    for (auto i : lost) {
      owned[i] = false;
      ids.push_back(platforms[i].id);
      ResetMachine(i);
    }
    for (const auto& key : tracker.Forget(ids)) {
      if (auto k = key_to_id.find(key); k != key_to_id.end()) {
        continued_since.erase(k->second);
        key_to_id.erase(k);
      }
    }
    std::erase_if(orphans, [&](const store::Incident& o) {
      if (OwnsAny(o.platforms)) return false;
      taken_over.erase(o.id);
      return true;
    });
    metrics.SetIncidentsOpen(static_cast<std::int64_t>(tracker.open().size() + orphans.size()));
    Log(fmt::format("cluster: another instance watches {} now", IdsOf(lost)));
  }

  // Ours from now on: a round at once, and their open incidents taken over from the store — the
  // coming rounds continue or close each, as after a restart.
  void AdoptPlatforms(const std::vector<std::size_t>& gained) {
    const auto now = SteadyClock::now();
    std::vector<std::string> ids;
    for (auto i : gained) {
      owned[i] = true;
      ids.push_back(platforms[i].id);
      ResetMachine(i);
    }
    std::set<std::string> known;
    for (const auto& o : orphans) known.insert(o.id);
    for (const auto& [key, id] : key_to_id) known.insert(id);
    std::size_t adopted = 0;
    auto open = OpenIncidents();
    if (StoreOk(open, "reading the open incidents of the platforms taken over")) {
      for (auto& inc : *open) {
        if (known.count(inc.id)) continue;
        const bool theirs =
            std::any_of(inc.platforms.begin(), inc.platforms.end(), [&](const std::string& p) {
              return std::find(ids.begin(), ids.end(), p) != ids.end();
            });
        if (!theirs) continue;
        known.insert(inc.id);
        taken_over.insert(inc.id);
        orphans.push_back(std::move(inc));
        ++adopted;
      }
    }
    // A platform in an incident, or failing when its owner last stored it, runs at once (its
    // incident continues, its failure is confirmed); the others keep their place in the rhythm —
    // the scheduler kept every platform's due time while another instance ran it — so that
    // taking thousands of platforms over (an instance joining, one leaving) starts no burst.
    std::set<std::string> urgent;
    for (const auto& o : orphans) urgent.insert(o.platforms.begin(), o.platforms.end());
    {
      std::lock_guard lock(views_mu);
      for (auto i : gained) {
        if (watch::Classify(views[i].verdict) == watch::RoundKind::kFailing) {
          urgent.insert(platforms[i].id);
        }
      }
    }
    for (auto i : gained) {
      if (scheduler && urgent.count(platforms[i].id)) scheduler->DueBy(i, now);
    }
    metrics.SetIncidentsOpen(static_cast<std::int64_t>(tracker.open().size() + orphans.size()));
    Log(fmt::format("cluster: this instance watches {} now{}", IdsOf(gained),
                    adopted == 0 ? std::string()
                                 : fmt::format(" ({} open incident{} taken over)", adopted,
                                               adopted == 1 ? "" : "s")));
    Poke();
  }

  asio::awaitable<void> SharedLoop() {
    int reads = 0;
    while (!stopping) {
      auto u = co_await OffLoop([this] { return shared_view->Read(); });
      if (StoreOk(u, "reading the other instances' platforms")) ApplyShared(*u);
      // Their crowd views every 5th read (10 s by default): six counts per reported platform.
      if (reads++ % 5 == 0) co_await RefreshOthersCrowds(std::chrono::system_clock::now());
      shared_timer.expires_after(options.shared_refresh);
      boost::system::error_code ec;
      co_await shared_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // The other instances' platforms as stored: their views, and their incidents on /v1/events
  // (this instance's own were published as they happened).
  void ApplyShared(const SharedView::Update& u) {
    const auto now = std::chrono::system_clock::now();
    const bool live = HasSubscribers();
    std::vector<json> changed;
    std::set<std::size_t> touched;
    for (const auto& page : u.pages) {
      auto it = index.find(page.platform);
      if (it == index.end() || owned[it->second] || !platforms[it->second].status_page) continue;
      // Known to the rounds too, should the platform become ours.
      status_known[page.platform] = StatusStateFromJson(json::parse(page.raw_json, nullptr, false));
    }
    {
      std::lock_guard lock(views_mu);
      for (const auto& st : u.states) {
        auto it = index.find(st.platform);
        if (it == index.end() || owned[it->second]) continue;
        const std::size_t i = it->second;
        PlatformView& v = views[i];
        v.verdict = st.verdict;
        v.layer = st.layer;
        v.detail = st.detail;
        v.confidence = st.confidence;
        v.reason = st.reason;
        v.checked_at =
            std::chrono::time_point_cast<std::chrono::system_clock::duration>(st.updated_at);
        v.latency_ms.reset();
        v.probes.clear();
        base_evidence[i].clear();
        json ev = json::parse(st.evidence_json, nullptr, false);
        if (ev.is_array()) {
          for (const auto& line : ev) {
            if (line.is_string()) base_evidence[i].push_back(line.get<std::string>());
          }
        }
        metrics.SetVerdict(st.platform, st.verdict);
        touched.insert(i);
      }
      for (const auto& page : u.pages) {
        auto it = index.find(page.platform);
        if (it == index.end() || owned[it->second] || !platforms[it->second].status_page) continue;
        const std::size_t i = it->second;
        views[i].status_page = StatusPageView{
            platforms[i].status_page->url,
            std::chrono::time_point_cast<std::chrono::system_clock::duration>(page.fetched_at),
            status_known[page.platform], platforms[i].status_page->kind};
        touched.insert(i);
      }
      for (std::size_t i = 0; i < platforms.size(); ++i) {
        if (owned[i]) continue;
        PlatformView& v = views[i];
        auto inc = u.incident_of.find(platforms[i].id);
        std::string id = inc == u.incident_of.end() ? "" : inc->second;
        std::string state = !id.empty()                                                ? "failing"
                            : watch::Classify(v.verdict) == watch::RoundKind::kFailing ? "pending"
                                                                                       : "ok";
        if (id == v.incident_id && state == v.state) continue;
        v.incident_id = std::move(id);
        v.state = std::move(state);
        touched.insert(i);
      }
      for (auto i : touched) {
        UpdateSuppressionLocked(i, now);
        ComposeEvidenceLocked(i);
        if (live) changed.push_back(PlatformJson(views[i]));
      }
    }
    for (auto& j : changed) Publish({"platform", std::move(j)});
    if (!touched.empty()) RebuildBody();
    for (const auto& c : u.incidents) {
      if (OwnsAny(c.incident.platforms)) continue;
      NotifyIncident(c.incident, c.events.empty() ? nullptr : &c.events.back(), /*here=*/false);
      Publish({"incident", IncidentJson(c.incident)});
      for (const auto& ev : c.events) {
        Publish(
            {"incident_event", {{"incident_id", c.incident.id}, {"event", api::EventJson(ev)}}});
      }
    }
  }

  // ---- status pages ----

  asio::awaitable<void> StatusLoop() {
    std::vector<bool> fetching(platforms.size(), false);
    while (!stopping) {
      for (std::size_t i = 0; i < platforms.size(); ++i) {
        if (!platforms[i].status_page || fetching[i] || !owned[i]) continue;
        fetching[i] = true;
        ++active_fetches;
        asio::co_spawn(io, FetchStatus(i), [this, i, &fetching](std::exception_ptr e) {
          if (e) LogException("status page of " + platforms[i].id, e);
          fetching[i] = false;
          --active_fetches;
          MaybeDrained();
        });
      }
      status_timer.expires_after(config.serve.status_page_interval);
      boost::system::error_code ec;
      co_await status_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // `fetching` lives in this frame: wait for the fetches that still reference it.
    while (active_fetches > 0) {
      status_timer.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await status_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::awaitable<void> FetchStatus(std::size_t i) {
    const core::Platform& p = platforms[i];
    sources::StatusPageState s = co_await options.fetch_status(p);
    const auto at = std::chrono::system_clock::now();
    status_known[p.id] = s;
    store::StatusPageState st;
    st.platform = p.id;
    st.indicator = s.fetched ? s.indicator : "";
    st.description = s.fetched ? s.description : s.error;
    st.fetched_at = store::FromSystem(at);
    st.raw_json = StatusStateJson(s).dump();
    StoreOk(store.PutStatusPage(st), "saving " + p.id + "'s status page");
    json view;
    {
      std::lock_guard lock(views_mu);
      views[i].status_page = StatusPageView{p.status_page->url, at, s, p.status_page->kind};
      view = PlatformJson(views[i]);
    }
    Publish({"platform", std::move(view)});
    RebuildBody();
  }

  // ---- members ----

  config::Config config;
  store::Store& store;
  EngineOptions options;
  std::vector<core::Platform> platforms;  // watched (enabled) ones
  std::map<std::string, std::size_t, std::less<>> index;
  EngineMetrics metrics;
  SampleWriter writer;

  // Engine thread only.
  asio::io_context io;
  // The store thread: reads the loop awaits without waiting (OffLoop). Joined in Stop.
  asio::thread_pool store_pool{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer wake_timer;
  asio::steady_timer status_timer;
  std::unique_ptr<probe::Prober> prober;
  std::optional<Scheduler> scheduler;
  std::vector<watch::PlatformStateMachine> machines;
  watch::IncidentTracker tracker;
  std::map<std::string, std::string> key_to_id;  // tracker key -> store incident id
  // Incidents continued after a restart or a takeover: when they were opened (store id ->).
  std::map<std::string, store::Time> continued_since;
  std::vector<store::Incident> orphans;   // open in the store, not yet settled
  std::set<std::string> taken_over;       // orphans adopted from another instance
  std::vector<bool> owned;                // per platform: this instance runs it
  std::optional<SharedView> shared_view;  // with options.shared
  asio::steady_timer shared_timer;
  asio::steady_timer lag_timer;
  bool shared_done = true;
  bool lag_done = false;
  std::map<std::string, sources::StatusPageState> status_known;
  std::vector<SteadyClock::time_point> due_at;  // when the scheduled round was due, per platform
  std::vector<std::vector<std::string>> base_evidence;
  std::vector<bool> crowd_flagged;
  std::mutex owned_told_mu;                            // guards owned_told
  std::optional<std::vector<std::string>> owned_told;  // the last SetOwned
  // Shared: the other instances' platforms with crowd evidence at the last RefreshOthersCrowds.
  std::set<std::size_t> others_crowds;
  std::vector<std::optional<store::PlatformState>> saved_states;  // last written, per platform
  bool stopping = false;
  int active_rounds = 0;
  int active_fetches = 0;
  bool scheduler_done = false;
  bool status_done = false;
  std::promise<void>* drained = nullptr;
  bool drained_set = false;

  // Set by Start/Stop on the caller's thread, read by the API's threads too.
  std::thread thread;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  bool abandoned = false;

  std::atomic<std::int64_t> collecting_since{0};  // store millis
  std::atomic<std::uint64_t> rounds{0};

  std::mutex views_mu;  // guards views, observer, observer_known
  std::vector<PlatformView> views;
  diagnose::Observer observer;
  bool observer_known = false;

  std::mutex body_mu;  // guards body
  std::shared_ptr<const std::string> body;
  std::atomic<bool> body_dirty{true};
  std::mutex body_build_mu;  // one BuildBody at a time; taken before views_mu and body_mu

  std::mutex subs_mu;  // guards subs, incident_subs, open_notices, next_sub
  std::map<std::uint64_t, std::function<void(const api::LiveEvent&)>> subs;
  std::map<std::uint64_t, std::function<void(const core::IncidentNotice&)>> incident_subs;
  // The open incidents as last published, so a part that subscribes late learns them at once.
  std::map<std::string, core::IncidentNotice> open_notices;
  std::uint64_t next_sub = 1;

  std::mutex health_mu;  // guards store_error
  std::optional<core::Error> store_error;
};

namespace {

class SubscriptionImpl final : public api::Backend::Subscription {
 public:
  SubscriptionImpl(Engine::State* state, std::uint64_t id) : state_(state), id_(id) {}
  ~SubscriptionImpl() override;

 private:
  Engine::State* state_;
  std::uint64_t id_;
};

// Unsubscribes an incident sink (ids are shared with live-event subscriptions, so the same
// erase serves both).
class IncidentSubscription final : public core::IncidentFeed::Subscription {
 public:
  IncidentSubscription(Engine::State* state, std::uint64_t id) : impl_(state, id) {}

 private:
  SubscriptionImpl impl_;
};

}  // namespace

Engine::Engine(config::Config config, store::Store& store, EngineOptions options)
    : state_(std::make_unique<State>(std::move(config), store, std::move(options))) {}

Engine::~Engine() {
  Stop();
  if (state_ && state_->abandoned) {
    // See State::Stop: the event loop still holds coroutines that reference it.
    (void)state_.release();
  }
}

core::Status Engine::Start() { return state_->Start(); }

void Engine::Stop() { state_->Stop(); }

std::uint64_t Engine::rounds_completed() const { return state_->rounds.load(); }

void Engine::SetOwned(std::vector<std::string> platform_ids) {
  State& s = *state_;
  {
    // Told at every lease renewal: the loop is bothered only when something changed.
    std::lock_guard lock(s.owned_told_mu);
    if (s.owned_told && *s.owned_told == platform_ids) return;
    s.owned_told = platform_ids;
  }
  asio::post(s.io, [&s, ids = std::set<std::string>(platform_ids.begin(), platform_ids.end())] {
    if (s.options.shared && !s.stopping) s.ApplyOwned(ids);
  });
}

void Engine::SetProbeInterval(std::string_view platform,
                              std::optional<std::chrono::milliseconds> interval) {
  State& s = *state_;
  asio::post(s.io, [&s, id = std::string(platform), interval] {
    auto it = s.index.find(id);
    if (it == s.index.end() || !s.scheduler) return;
    s.scheduler->OverrideInterval(it->second, interval, SteadyClock::now());
    s.Log(interval ? fmt::format("{}: probed every {} ms for the monitoring window", id,
                                 interval->count())
                   : fmt::format("{}: back to its interval ({} ms)", id,
                                 s.scheduler->interval(it->second).count()));
    s.Poke();
  });
}

std::shared_ptr<const std::string> Engine::PlatformsBody() {
  {
    std::lock_guard build(state_->body_build_mu);
    if (state_->body_dirty.exchange(false)) state_->BuildBody();
  }
  std::lock_guard lock(state_->body_mu);
  return state_->body;
}

core::Result<json> Engine::Platform(std::string_view id) {
  State& s = *state_;
  auto it = s.index.find(id);
  if (it == s.index.end()) {
    auto near = config::SuggestPlatform(s.config, id);
    return MakeError(ErrorCode::kNotFound, "no watched platform '{}'{}", id,
                     near ? fmt::format("; did you mean '{}'?", *near) : std::string());
  }
  std::lock_guard lock(s.views_mu);
  return PlatformJson(s.views[it->second], /*with_probes=*/true);
}

core::Result<json> Engine::History(std::string_view id, std::chrono::system_clock::time_point from,
                                   std::chrono::system_clock::time_point to) {
  State& s = *state_;
  if (!s.index.count(id)) {
    return MakeError(ErrorCode::kNotFound, "no watched platform '{}'", id);
  }
  store::AggregateQuery q;
  q.platform = std::string(id);
  q.range = {store::FromSystem(from), store::FromSystem(to)};
  q.from = "here";
  auto aggregates = s.store.ListAggregates(q);
  if (!aggregates.ok()) return aggregates.error();
  return HistoryJson(id, *aggregates);
}

void Engine::CheckNow(std::vector<std::string> platform_ids,
                      std::function<void(core::Result<json>)> done) {
  State& s = *state_;
  std::vector<core::Platform> ps;
  if (platform_ids.empty()) {
    ps = s.platforms;
  } else {
    for (const auto& id : platform_ids) {
      const core::Platform* p = config::FindPlatform(s.config, id);
      if (!p) {
        auto near = config::SuggestPlatform(s.config, id);
        done(MakeError(ErrorCode::kNotFound, "unknown platform '{}'{}", id,
                       near ? fmt::format("; did you mean '{}'?", *near) : std::string()));
        return;
      }
      if (std::none_of(ps.begin(), ps.end(), [&](const auto& q) { return q.id == p->id; })) {
        ps.push_back(*p);
      }
    }
  }
  if (!s.started || s.stopped) {
    done(MakeError(ErrorCode::kUnavailable, "the engine is not running"));
    return;
  }
  asio::post(s.io, [&s, ps = std::move(ps), done = std::move(done)]() mutable {
    if (s.stopping) {
      done(MakeError(ErrorCode::kUnavailable, "shutting down"));
      return;
    }
    ++s.active_rounds;
    auto task = [&s, ps = std::move(ps), done]() mutable -> asio::awaitable<void> {
      auto round = co_await s.RunAndProcess(std::move(ps), false);
      if (round) {
        done(diagnose::ToJson(round->report));
      } else {
        done(MakeError(ErrorCode::kInternal, "the check failed; see the server log"));
      }
    };
    asio::co_spawn(s.io, std::move(task), [&s](std::exception_ptr e) {
      if (e) s.LogException("check now", e);
      --s.active_rounds;
      s.MaybeDrained();
    });
  });
}

core::Result<json> Engine::Incidents(const api::IncidentQuery& query) {
  store::IncidentQuery q;
  if (query.state == "open") {
    q.state = store::IncidentState::kOpen;
  } else if (query.state == "closed") {
    q.state = store::IncidentState::kClosed;
  } else if (query.state != "all" && !query.state.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "state must be open, closed or all, not '{}'",
                     query.state);
  }
  q.limit = std::clamp<std::size_t>(query.limit, 1, 1000);
  q.cursor = query.cursor;
  auto page = state_->store.ListIncidents(q);
  if (!page.ok()) return page.error();
  json list = json::array();
  for (const auto& inc : page->incidents) list.push_back(IncidentJson(inc));
  return json{{"incidents", std::move(list)},
              {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}};
}

core::Result<json> Engine::Incident(std::string_view id) {
  auto inc = state_->store.GetIncident(id);
  if (!inc.ok()) return inc.error();
  return IncidentJson(*inc);
}

core::Result<json> Engine::IncidentEvents(std::string_view id, std::int64_t after) {
  auto events = state_->store.ListEvents(id, std::max<std::int64_t>(after, 0), 10000);
  if (!events.ok()) return events.error();
  json list = json::array();
  for (const auto& e : *events) list.push_back(api::EventJson(e));
  return json{{"incident_id", id}, {"events", std::move(list)}};
}

core::Result<json> Engine::SubmitReport(std::string_view platform, std::string_view kind,
                                        std::string_view client_key) {
  State& s = *state_;
  auto it = s.index.find(platform);
  if (it == s.index.end()) {
    auto near = config::SuggestPlatform(s.config, platform);
    return MakeError(ErrorCode::kNotFound, "no watched platform '{}'{}", platform,
                     near ? fmt::format("; did you mean '{}'?", *near) : std::string());
  }
  if (!kind.empty() &&
      std::find(std::begin(kReportKinds), std::end(kReportKinds), kind) == std::end(kReportKinds)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kind must be one of login, feed, messages, posting, calls, other");
  }
  if (client_key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no client key for the report");
  }
  const auto now = std::chrono::system_clock::now();
  auto key = s.store.ClientKey(client_key, store::FromSystem(now));
  if (!key.ok()) return key.error();
  store::CrowdReport report{std::string(platform), std::string(kind), *key, store::FromSystem(now)};
  if (auto added = s.store.AddReport(report); !added.ok()) {
    if (added.error().code() == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "you already reported {} this hour: one report per platform per hour "
                       "counts",
                       s.platforms[it->second].name);
    }
    return added.error();
  }
  auto crowd = s.AssessCrowd(std::string(platform), now);
  if (!crowd.ok()) return crowd.error();
  if (s.started && !s.stopped) {
    const std::size_t i = it->second;
    asio::post(s.io, [&s, i] {
      if (!s.stopping) s.RefreshCrowd(i, std::chrono::system_clock::now(), /*publish=*/true);
    });
  }
  return json{{"accepted", true},
              {"platform", platform},
              {"reports_last_hour", crowd->reports_last_hour},
              {"flagged", crowd->flagged}};
}

core::Result<json> Engine::Reports(std::string_view platform) {
  State& s = *state_;
  std::vector<std::size_t> which;
  if (platform.empty()) {
    for (std::size_t i = 0; i < s.platforms.size(); ++i) which.push_back(i);
  } else {
    auto it = s.index.find(platform);
    if (it == s.index.end()) {
      return MakeError(ErrorCode::kNotFound, "no watched platform '{}'", platform);
    }
    which.push_back(it->second);
  }
  const auto now = std::chrono::system_clock::now();
  // One query says which platforms have any report to count at all.
  auto hours = s.store.HourlyReportCounts("", {store::FromSystem(now - s.CrowdLookback()),
                                               store::FromSystem(now) + std::chrono::hours(1)});
  if (!hours.ok()) return hours.error();
  std::set<std::string, std::less<>> reported;
  for (const auto& h : *hours) reported.insert(h.platform);
  json list = json::array();
  for (auto i : which) {
    auto crowd = s.AssessCrowd(s.platforms[i].id, now, !reported.count(s.platforms[i].id));
    if (!crowd.ok()) return crowd.error();
    list.push_back({{"platform", s.platforms[i].id},
                    {"reports_last_hour", crowd->reports_last_hour},
                    {"reports", crowd->reports},
                    {"window_minutes", s.config.crowd.window.count()},
                    {"baseline", crowd->baseline},
                    {"ratio", crowd->ratio},
                    {"flagged", crowd->flagged},
                    {"evidence", crowd->evidence}});
  }
  return json{{"platforms", std::move(list)}};
}

json Engine::StatusPages() {
  State& s = *state_;
  json list = json::array();
  std::lock_guard lock(s.views_mu);
  for (const auto& v : s.views) {
    if (!v.status_page) continue;
    StatusPageView page = *v.status_page;
    if (!page.fetched_at && page.state.error.empty()) page.state.error = "not fetched yet";
    list.push_back(StatusPageJson(v.platform, page));
  }
  return json{{"status_pages", std::move(list)}};
}

std::string Engine::Metrics() { return state_->metrics.Render(); }

core::Status Engine::Health() {
  State& s = *state_;
  {
    std::lock_guard lock(s.health_mu);
    if (s.store_error) return *s.store_error;
  }
  // A cheap read that touches the database: absent is fine, anything else is the store failing.
  auto probe = s.store.GetPlatformState("__healthz__");
  if (probe.ok() || probe.error().code() == ErrorCode::kNotFound) return core::Ok();
  return probe.error();
}

std::unique_ptr<api::Backend::Subscription> Engine::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  State& s = *state_;
  std::lock_guard lock(s.subs_mu);
  std::uint64_t id = s.next_sub++;
  s.subs.emplace(id, std::move(sink));
  return std::make_unique<SubscriptionImpl>(&s, id);
}

SubscriptionImpl::~SubscriptionImpl() {
  std::lock_guard lock(state_->subs_mu);
  state_->subs.erase(id_);
  state_->incident_subs.erase(id_);
}

std::unique_ptr<core::IncidentFeed::Subscription> Engine::SubscribeIncidents(
    std::function<void(const core::IncidentNotice&)> sink) {
  State& s = *state_;
  std::lock_guard lock(s.subs_mu);
  for (const auto& [id, notice] : s.open_notices) {
    core::IncidentNotice opened = notice;
    opened.change = core::IncidentNotice::Change::kOpened;
    sink(opened);
  }
  std::uint64_t id = s.next_sub++;
  s.incident_subs.emplace(id, std::move(sink));
  return std::make_unique<IncidentSubscription>(&s, id);
}

core::Result<api::Role> Engine::Authenticate(std::string_view bearer_token) {
  return api::Authenticate(state_->store, bearer_token,
                           store::FromSystem(std::chrono::system_clock::now()));
}

}  // namespace lifeline::serve
