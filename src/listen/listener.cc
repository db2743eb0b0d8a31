// Listening's collection loop and spike judging (listener.h).
#include "listen/listener.h"

#include <algorithm>

#include <fmt/format.h>

namespace lifeline::listen {
namespace {

using namespace std::chrono;
using nlohmann::json;

constexpr auto kMaxBackoff = hours(1);

store::Time ToStore(TimePoint t) { return store::FromSystem(t); }
TimePoint FromStore(store::Time t) { return time_point_cast<system_clock::duration>(t); }

std::string Iso(TimePoint t) { return core::FormatTime(time_point_cast<milliseconds>(t)); }

json SpikeJson(const Query& q, const SpikeDecision& d) {
  return {{"query", q.id},
          {"kind", QueryKindName(q.kind)},
          {"platform", q.platform.empty() ? json(nullptr) : json(q.platform)},
          {"hour", Iso(d.current.hour)},
          {"fraction", d.current.fraction},
          {"observed", d.current.observed},
          {"expected", d.current.expected},
          {"usual", d.current.usual},
          {"weeks", d.current.weeks},
          {"p_value", d.current.p_value},
          {"run", d.run},
          {"spiking", d.spiking},
          {"fired", d.fired},
          {"reason", SpikeReasonName(d.reason)},
          {"evidence", d.evidence}};
}

}  // namespace

Listener::Listener(ListenConfig config, store::Store& store, channels::HttpClient& http,
                   ListenerOptions options)
    : config_(std::move(config)),
      store_(store),
      http_(http),
      options_(std::move(options)),
      vader_(Vader::Bundled()) {
  for (const auto& s : config_.sources) {
    sources_.push_back(MakeSource(s, http_, config_.max_body_bytes));
  }
}

Listener::~Listener() { Stop(); }

core::Status Listener::Start() {
  if (empty()) return core::Ok();
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  // Resume each term's schedule from the store: a rate limit outlives a restart.
  auto states = store_.Listening().SourceStates();
  if (states.ok()) {
    std::lock_guard lock(terms_mu_);
    for (const auto& st : *states) {
      for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (sources_[i]->config().name != st.source || !st.retry_at) continue;
        terms_[{i, st.term}].next = FromStore(*st.retry_at);
      }
    }
  }
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const SourceConfig& sc = sources_[i]->config();
    if (sc.kind == SourceKind::kMastodon && sc.streaming) {
      streams_.push_back(
          std::make_unique<MastodonStream>(sc, sources_[i]->Terms(config_.queries), Hooks(i)));
      streams_.back()->Start();
      continue;
    }
    workers_.emplace_back([this, i] { Worker(i); });
  }
  Log(fmt::format("listening: {} queries from {} sources", config_.queries.size(),
                  sources_.size()));
  return core::Ok();
}

void Listener::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& st : streams_) st->Stop();
  streams_.clear();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void Listener::Worker(std::size_t index) {
  const auto interval = sources_[index]->config().interval;
  while (true) {
    PollSource(index, system_clock::now());
    Judge(system_clock::now());
    // Sleep until the earliest term is due (a rate limit may say later than the interval).
    auto wake = system_clock::now() + interval;
    {
      std::lock_guard lock(terms_mu_);
      for (const auto& [key, st] : terms_) {
        if (key.first == index && st.next > system_clock::now()) wake = std::min(wake, st.next);
      }
    }
    std::unique_lock lock(stop_mu_);
    if (stop_cv_.wait_until(lock, wake, [this] { return stopping_; })) return;
  }
}

void Listener::RunOnce(TimePoint now) {
  for (std::size_t i = 0; i < sources_.size(); ++i) PollSource(i, now);
  Judge(now);
}

std::vector<std::string> Listener::QueriesOf(const Post& post, const std::string& term,
                                             const Source& source) const {
  std::vector<std::string> out;
  const bool by_term =
      source.config().kind != SourceKind::kYouTube && source.config().kind != SourceKind::kRss;
  for (const Query& q : config_.queries) {
    bool owns = false;
    if (by_term) {
      for (const auto& t : q.terms) {
        // Mastodon's terms are hashtags without '#'.
        if (t == term || (t.size() > 1 && t[0] == '#' && t.substr(1) == term &&
                          source.config().kind == SourceKind::kMastodon)) {
          owns = true;
        }
      }
    }
    if (owns || q.Matches(post.text)) out.push_back(q.id);
  }
  return out;
}

void Listener::PollSource(std::size_t index, TimePoint now) {
  for (const std::string& term : sources_[index]->Terms(config_.queries)) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) return;
    }
    (void)PollTerm(index, term, now, false);
  }
}

std::vector<store::ListenPost> Listener::Rows(const std::vector<Post>& posts,
                                              const std::string& term, const Source& source,
                                              TimePoint now) const {
  std::vector<store::ListenPost> rows;
  for (const Post& p : Deduplicate(posts)) {
    store::ListenPost row;
    row.queries = QueriesOf(p, term, source);
    if (row.queries.empty()) continue;  // a feed item that says none of the terms
    row.key = DedupKey(p);
    row.source = p.source;
    row.source_id = p.id;
    row.url = p.url;
    row.author = p.author;
    row.text = p.text;
    row.posted_at = ToStore(p.posted_at);
    row.fetched_at = ToStore(now);
    row.shares = p.shares;
    row.compound = vader_.Score(p.text).compound;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<PollResult> Listener::PollTerm(std::size_t index, const std::string& term,
                                             TimePoint now, bool catch_up) {
  Source& source = *sources_[index];
  const SourceConfig& sc = source.config();
  auto states = store_.Listening().SourceStates();
  if (!states.ok()) {
    Log("listening: reading the sources' state: " + states.error().message());
    return std::nullopt;
  }
  store::ListenSourceState st;
  st.source = sc.name;
  st.term = term;
  for (const auto& s : *states) {
    if (s.source == sc.name && s.term == term) st = s;
  }
  {
    std::lock_guard lock(terms_mu_);
    const TermState& ts = terms_[{index, term}];
    // A catch-up after a stream's reconnection does not wait for the interval, but it does wait
    // for what the API said of its rate limit.
    if (catch_up ? (st.outcome == "rate_limited" && ts.next > now) : ts.next > now) {
      return std::nullopt;
    }
  }
  PollResult r = source.Poll(term, st.cursor, now);
  st.last_poll = ToStore(now);
  st.polls += 1;
  st.outcome = std::string(PollOutcomeName(r.outcome));
  if (!r.rate_limit.empty()) st.rate_limit = r.rate_limit;
  std::string previous;
  TimePoint next;
  {
    std::lock_guard lock(terms_mu_);
    TermState& ts = terms_[{index, term}];
    previous = ts.outcome;
    ts.outcome = st.outcome;
    if (r.outcome == PollOutcome::kOk) {
      ts.failures = 0;
      ts.next = std::max<TimePoint>(now + sc.interval, r.not_before.value_or(TimePoint{}));
    } else if (r.outcome == PollOutcome::kRateLimited && r.retry_at) {
      ts.next = std::max(*r.retry_at, now + sc.interval);
    } else {
      // Errors back off: the interval doubled per failure in a row, at most an hour.
      ts.failures = std::min(ts.failures + 1, 10);
      auto wait = duration_cast<system_clock::duration>(sc.interval) * (1 << ts.failures);
      ts.next = now + std::min<system_clock::duration>(wait, kMaxBackoff);
    }
    next = ts.next;
  }
  if (r.outcome != PollOutcome::kOk) {
    st.error = r.error;
    st.retry_at = ToStore(next);
    if (auto s = store_.Listening().PutSourceState(st); !s.ok()) {
      Log("listening: storing a source's state: " + s.error().message());
    }
    if (previous != st.outcome) {
      Log(fmt::format("listening: {} '{}': {}", sc.name, term, r.error));
      listeners_.Publish({"source",
                          {{"source", sc.name},
                           {"term", term},
                           {"outcome", st.outcome},
                           {"error", r.error},
                           {"retry_at", Iso(next)}}});
    }
    return r;
  }
  st.error.clear();
  st.retry_at.reset();
  if (r.not_before) st.retry_at = ToStore(*r.not_before);  // the API's window is spent
  st.last_ok = ToStore(now);
  st.cursor = r.cursor;
  std::vector<store::ListenPost> rows = Rows(r.posts, term, source, now);
  const std::vector<store::Time> covered = {ToStore(now)};
  auto added = store_.Listening().AddPosts(rows, &st, covered);
  if (!added.ok()) {
    Log(fmt::format("listening: storing {} posts of {} '{}': {}", rows.size(), sc.name, term,
                    added.error().message()));
    r.outcome = PollOutcome::kError;
    r.error = added.error().message();
    return r;
  }
  if (previous != st.outcome && !previous.empty()) {
    Log(fmt::format("listening: {} '{}' answers again", sc.name, term));
    listeners_.Publish({"source", {{"source", sc.name}, {"term", term}, {"outcome", st.outcome}}});
  }
  return r;
}

core::Result<store::ListenAddResult> Listener::StoreDelivered(const std::string& source,
                                                              const std::string& term,
                                                              const std::vector<Post>& posts,
                                                              const std::string& cursor,
                                                              TimePoint now) {
  std::size_t index = sources_.size();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i]->config().name == source) index = i;
  }
  if (index == sources_.size()) {
    return core::MakeError(core::ErrorCode::kNotFound, "no listening source '{}'", source);
  }
  LL_ASSIGN(auto states, store_.Listening().SourceStates());
  store::ListenSourceState st;
  st.source = source;
  st.term = term;
  for (const auto& s : states) {
    if (s.source == source && s.term == term) st = s;
  }
  // Mastodon's ids grow with time; a longer id is a newer one.
  if (!cursor.empty() && (cursor.size() > st.cursor.size() ||
                          (cursor.size() == st.cursor.size() && cursor > st.cursor))) {
    st.cursor = cursor;
  }
  st.last_ok = ToStore(now);
  st.outcome = "ok";
  st.error.clear();
  const std::vector<store::ListenPost> rows = Rows(posts, term, *sources_[index], now);
  const std::vector<store::Time> covered = {ToStore(now)};
  return store_.Listening().AddPosts(rows, &st, covered);
}

StreamHooks Listener::Hooks(std::size_t index) {
  const std::string name = sources_[index]->config().name;
  StreamHooks h;
  h.store = [this, name](const std::string& tag, std::vector<Post> posts, const std::string& cursor,
                         TimePoint now) {
    auto r = StoreDelivered(name, tag, posts, cursor, now);
    if (!r.ok()) {
      Log(fmt::format("listening: storing {} streamed posts of {} '#{}': {}", posts.size(), name,
                      tag, r.error().message()));
    }
  };
  h.catch_up = [this, index](const std::string& tag, TimePoint now) {
    auto r = PollTerm(index, tag, now, true);
    if (!r || r->outcome != PollOutcome::kOk) return CatchUp::kFailed;
    const bool full = r->pages >= sources_[index]->config().max_pages && !r->posts.empty();
    return full ? CatchUp::kMore : CatchUp::kDone;
  };
  h.state = [this, name](const std::string& tag, bool connected, const std::string& error,
                         TimePoint now) {
    const std::string key = name + "/" + tag;
    {
      std::lock_guard lock(stream_mu_);
      auto it = stream_state_.find(key);
      if (it != stream_state_.end() && it->second == error) return;  // no change
      stream_state_[key] = error;
    }
    if (connected) {
      Log(fmt::format("listening: {} '#{}': streaming", name, tag));
    } else {
      Log(fmt::format("listening: {} '#{}': {}", name, tag, error));
      // Shown like a failed poll until the stream stands again.
      auto states = store_.Listening().SourceStates();
      store::ListenSourceState st;
      st.source = name;
      st.term = tag;
      if (states.ok()) {
        for (const auto& s : *states) {
          if (s.source == name && s.term == tag) st = s;
        }
      }
      st.outcome = "error";
      st.error = error;
      st.last_poll = ToStore(now);
      if (auto s = store_.Listening().PutSourceState(st); !s.ok()) {
        Log("listening: storing a source's state: " + s.error().message());
      }
    }
    listeners_.Publish({"source",
                        {{"source", name},
                         {"term", tag},
                         {"outcome", connected ? "ok" : "error"},
                         {"streaming", connected},
                         {"error", error}}});
  };
  h.tick = [this, index, name](const std::string& tag, TimePoint now) {
    bool cover = false, judge = false;
    {
      std::lock_guard lock(stream_mu_);
      Hour& last = stream_covered_[name + "/" + tag];
      if (last != HourOf(now)) {
        last = HourOf(now);
        cover = true;
      }
      TimePoint& judged = stream_judged_[index];
      if (now - judged >= sources_[index]->config().interval) {
        judged = now;
        judge = true;
      }
    }
    // A standing stream collects: its hours count even when nobody posts.
    if (cover) {
      const std::vector<store::Time> covered = {ToStore(now)};
      if (auto r = store_.Listening().AddPosts({}, nullptr, covered); !r.ok()) {
        Log("listening: marking an hour as collected: " + r.error().message());
      }
    }
    if (judge) Judge(now);
  };
  return h;
}

core::Result<Series> Listener::SeriesOf(const Query& q, Hour from, Hour to) {
  return StoredSeries(store_.Listening(), q.id, from, to);
}

core::Result<Series> StoredSeries(store::ListeningStore& store, std::string_view query, Hour from,
                                  Hour to) {
  const store::Time f = time_point_cast<milliseconds>(from);
  const store::Time t = time_point_cast<milliseconds>(to);
  LL_ASSIGN(auto covered, store.CoveredHours(f, t));
  if (covered.empty()) return Series(to);
  const Hour start = HourOf(FromStore(covered.front()));
  Series s(start);
  s.ExtendTo(to);
  std::size_t ci = 0;
  for (Hour h = start; h < to; h += hours(1)) {
    while (ci < covered.size() && HourOf(FromStore(covered[ci])) < h) ++ci;
    if (ci >= covered.size() || HourOf(FromStore(covered[ci])) != h) s.MarkMissing(h);
  }
  LL_ASSIGN(auto counts, store.HourCounts(query, f, t));
  for (const auto& c : counts) s.Add(HourOf(FromStore(c.hour)), c.count);
  return s;
}

void Listener::Judge(TimePoint now) {
  std::lock_guard lock(judge_mu_);
  const Hour current = HourOf(now);
  const Hour from = current - hours(24 * 7 * config_.spike.max_weeks + 2);
  for (const Query& q : config_.queries) {
    auto series = SeriesOf(q, from, current + hours(1));
    if (!series.ok()) {
      Log("listening: reading counts of " + q.id + ": " + series.error().message());
      return;
    }
    auto last = store_.Listening().LastFired(q.id);
    if (!last.ok()) {
      Log("listening: reading spikes of " + q.id + ": " + last.error().message());
      return;
    }
    std::optional<TimePoint> last_fired;
    if (*last) last_fired = FromStore(**last);
    SpikeDecision d = JudgeSpike(*series, now, config_.spike, last_fired);
    if (d.current.reason == SpikeReason::kNoData) continue;  // nothing collected then
    store::ListenSpike row;
    row.query = q.id;
    row.platform = q.platform;
    row.hour = time_point_cast<milliseconds>(d.current.hour);
    row.judged_at = ToStore(now);
    row.fraction = d.current.fraction;
    row.observed = d.current.observed;
    row.expected = d.current.expected;
    row.usual = d.current.usual;
    row.weeks = d.current.weeks;
    row.p_value = d.current.p_value;
    row.run = d.run;
    row.spiking = d.spiking;
    row.fired = d.fired;
    row.reason = std::string(SpikeReasonName(d.reason));
    row.evidence = d.evidence;
    // A decision that fired is kept as fired when the same hour is judged again in cooldown.
    auto before = store_.Listening().ListSpikes(
        {.query = q.id, .from = row.hour, .to = row.hour + hours(1), .limit = 1});
    if (before.ok() && !before->empty() && (*before)[0].fired && !row.fired) {
      row.fired = true;
      row.judged_at = (*before)[0].judged_at;
      row.reason = (*before)[0].reason;
    }
    if (auto s = store_.Listening().PutSpike(row); !s.ok()) {
      Log("listening: storing a spike decision of " + q.id + ": " + s.error().message());
      continue;
    }
    if (d.fired) {
      Log(fmt::format("listening: spike of {}: {}", q.id, d.evidence));
      listeners_.Publish({"spike", SpikeJson(q, d)});
    }
    auto it = last_hour_.find(q.id);
    if (it == last_hour_.end() || it->second < d.current.hour) {
      const bool first = it == last_hour_.end();
      last_hour_[q.id] = d.current.hour;
      if (!first || d.current.fraction >= 1) {
        listeners_.Publish({"hour", SpikeJson(q, d)});
      }
    }
  }
}

core::Result<std::string> ChatterEvidence(store::ListeningStore& store, std::string_view platform,
                                          std::string_view platform_name, TimePoint now) {
  const Hour h = HourOf(now);
  LL_ASSIGN(auto spikes, store.ListSpikes({.platform = std::string(platform),
                                           .from = time_point_cast<milliseconds>(h - hours(1)),
                                           .to = time_point_cast<milliseconds>(h + hours(1)),
                                           .spiking_only = true,
                                           .limit = 1}));
  if (spikes.empty()) return std::string();
  return ChatterLine(platform_name, spikes[0].evidence);
}

core::Result<std::map<std::string, std::string>> SpikingChatter(store::ListeningStore& store,
                                                                TimePoint now) {
  const Hour h = HourOf(now);
  LL_ASSIGN(auto spikes, store.ListSpikes({.from = time_point_cast<milliseconds>(h - hours(1)),
                                           .to = time_point_cast<milliseconds>(h + hours(1)),
                                           .spiking_only = true,
                                           .limit = 10000}));
  std::map<std::string, std::string> out;
  // Newest hour first: the first line per platform is the one ChatterEvidence gives.
  for (const auto& s : spikes) {
    if (!s.platform.empty()) out.try_emplace(s.platform, s.evidence);
  }
  return out;
}

std::string ChatterLine(std::string_view platform_name, std::string_view spike_evidence) {
  return fmt::format("outage chatter on {}: {}", platform_name, spike_evidence);
}

}  // namespace lifeline::listen
