// Listening's HTTP API (routes.h).
#include "listen/routes.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "api/store_json.h"
#include "config/values.h"
#include "core/signature.h"
#include "core/types.h"
#include "listen/page_feed.h"

namespace lifeline::listen {

using api::PartRequest;
using api::PartResponse;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;
using namespace std::chrono;

namespace {

Result<std::optional<store::Time>> QueryTime(const PartRequest& r, const char* name) {
  const std::string* v = r.Query(name);
  if (v == nullptr) return std::optional<store::Time>();
  auto t = config::ParseTimestamp(*v);
  if (!t.ok()) return MakeError(ErrorCode::kInvalidArgument, "{}: {}", name, t.error().message());
  return std::optional<store::Time>(store::FromSystem(*t));
}

Result<std::size_t> Limit(const PartRequest& r, std::size_t def, std::size_t max) {
  const std::string* v = r.Query("limit");
  if (v == nullptr) return def;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n < 1 || static_cast<std::size_t>(n) > max) {
    return MakeError(ErrorCode::kInvalidArgument, "limit: expected 1 to {}", max);
  }
  return static_cast<std::size_t>(n);
}

std::string Str(const std::string* v) { return v == nullptr ? std::string() : *v; }

json PostJson(const store::ListenPost& p) {
  return {{"key", p.key},
          {"source", p.source},
          {"source_id", p.source_id},
          {"url", p.url.empty() ? json(nullptr) : json(p.url)},
          {"author", p.author},
          {"text", p.text},
          {"posted_at", core::FormatTime(p.posted_at)},
          {"fetched_at", core::FormatTime(p.fetched_at)},
          {"shares", p.shares},
          {"compound", p.compound},
          {"sentiment", std::string(PolarityName(Classify(p.compound)))},
          {"queries", p.queries}};
}

// ok, rate_limited, failing, auth, not_polled: the worst of a source's terms.
std::string Health(const std::vector<const store::ListenSourceState*>& terms) {
  if (terms.empty()) return "not_polled";
  std::string worst = "ok";
  for (const auto* t : terms) {
    if (t->outcome == "auth") return "auth";
    if (t->outcome == "error") worst = "failing";
    if (t->outcome == "rate_limited" && worst == "ok") worst = "rate_limited";
  }
  return worst;
}

}  // namespace

json SpikeRowJson(const store::ListenSpike& s) {
  return {{"query", s.query},
          {"platform", s.platform.empty() ? json(nullptr) : json(s.platform)},
          {"hour", core::FormatTime(s.hour)},
          {"judged_at", core::FormatTime(s.judged_at)},
          {"fraction", s.fraction},
          {"observed", s.observed},
          {"expected", s.expected},
          {"usual", s.usual},
          {"weeks", s.weeks},
          {"p_value", s.p_value},
          {"run", s.run},
          {"spiking", s.spiking},
          {"fired", s.fired},
          {"reason", s.reason},
          {"evidence", s.evidence}};
}

std::vector<api::PartRoute> ListenRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  return {
      {"GET",
       "/v1/listening",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest& r) { return Status(r); }},
      {"GET",
       "/v1/listening/posts",
       Role::kViewer,
       {"query", "source", "from", "to", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Posts(r); }},
      {"GET",
       "/v1/listening/spikes",
       Role::kViewer,
       {"query", "platform", "from", "to", "spiking", "limit"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Spikes(r); }},
      {"GET",
       "/v1/listening/hours",
       Role::kViewer,
       {"query", "from", "to"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Hours(r); }},
      // Public, like the inbox's: Meta has no API token; the signature authenticates (POST).
      {"GET",
       "/v1/listening/webhooks/{source}",
       Role::kNone,
       {"hub.mode", "hub.verify_token", "hub.challenge"},
       PartBody::kNone,
       [this](const PartRequest& r) { return Webhook(r); }},
      {"POST",
       "/v1/listening/webhooks/{source}",
       Role::kNone,
       {},
       PartBody::kRequired,
       [this](const PartRequest& r) { return Webhook(r); },
       {core::kMetaSignatureHeader},
       /*blocking=*/true},  // stored before the 200
  };
}

Result<PartResponse> ListenRoutes::Status(const PartRequest&) {
  const ListenConfig& c = listener_.config();
  LL_ASSIGN(auto states, store_.Listening().SourceStates());
  json queries = json::array();
  for (const Query& q : c.queries) {
    queries.push_back({{"id", q.id},
                       {"kind", QueryKindName(q.kind)},
                       {"brand", q.brand.empty() ? json(nullptr) : json(q.brand)},
                       {"platform", q.platform.empty() ? json(nullptr) : json(q.platform)},
                       {"terms", q.terms}});
  }
  json sources = json::array();
  for (const auto& src : listener_.sources()) {
    const SourceConfig& sc = src->config();
    std::vector<const store::ListenSourceState*> mine;
    json terms = json::array();
    for (const std::string& term : src->Terms(c.queries)) {
      const store::ListenSourceState* st = nullptr;
      for (const auto& s : states) {
        if (s.source == sc.name && s.term == term) st = &s;
      }
      if (st == nullptr) {
        terms.push_back({{"term", term}, {"outcome", nullptr}, {"polls", 0}, {"posts", 0}});
        continue;
      }
      mine.push_back(st);
      terms.push_back(
          {{"term", term},
           {"outcome", st->outcome},
           {"last_poll", api::OptTimeJson(st->last_poll)},
           {"last_ok", api::OptTimeJson(st->last_ok)},
           {"error", st->error.empty() ? json(nullptr) : json(st->error)},
           {"rate_limit", st->rate_limit.empty() ? json(nullptr) : json(st->rate_limit)},
           {"retry_at", api::OptTimeJson(st->retry_at)},
           {"polls", st->polls},
           {"posts", st->posts}});
    }
    sources.push_back({{"name", sc.name},
                       {"kind", SourceKindName(sc.kind)},
                       {"interval_ms", sc.interval.count()},
                       {"health", Health(mine)},
                       {"terms", terms}});
  }
  const auto now = system_clock::now();
  LL_ASSIGN(auto on, store_.Listening().ListSpikes(
                         {.from = store::FromSystem(now - hours(2)), .spiking_only = true}));
  json spiking = json::array();
  for (const auto& s : on) spiking.push_back(SpikeRowJson(s));
  const SpikeConfig& k = c.spike;
  return PartResponse{200,
                      {{"configured", c.configured},
                       {"queries", queries},
                       {"sources", sources},
                       {"spike",
                        {{"min_weeks", k.min_weeks},
                         {"max_weeks", k.max_weeks},
                         {"alpha", k.alpha},
                         {"min_count", k.min_count},
                         {"min_ratio", k.min_ratio},
                         {"floor", k.floor},
                         {"consecutive", k.consecutive},
                         {"cooldown_ms", duration_cast<milliseconds>(k.cooldown).count()},
                         {"judge_partial_hour", k.judge_partial_hour}}},
                       {"spiking", spiking}}};
}

Result<PartResponse> ListenRoutes::Posts(const PartRequest& r) {
  store::ListenPostQuery q;
  q.query = Str(r.Query("query"));
  q.source = Str(r.Query("source"));
  if (!q.query.empty() && listener_.config().FindQuery(q.query) == nullptr) {
    return MakeError(ErrorCode::kNotFound, "no query '{}'", q.query);
  }
  LL_ASSIGN(q.from, QueryTime(r, "from"));
  LL_ASSIGN(q.to, QueryTime(r, "to"));
  LL_ASSIGN(q.limit, Limit(r, 100, 1000));
  LL_ASSIGN(auto posts, store_.Listening().ListPosts(q));
  json out = json::array();
  for (const auto& p : posts) out.push_back(PostJson(p));
  return PartResponse{200, {{"posts", out}}};
}

Result<PartResponse> ListenRoutes::Spikes(const PartRequest& r) {
  store::ListenSpikeQuery q;
  q.query = Str(r.Query("query"));
  q.platform = Str(r.Query("platform"));
  LL_ASSIGN(q.from, QueryTime(r, "from"));
  LL_ASSIGN(q.to, QueryTime(r, "to"));
  LL_ASSIGN(q.limit, Limit(r, 200, 5000));
  if (const std::string* v = r.Query("spiking")) {
    if (*v != "true" && *v != "false") {
      return MakeError(ErrorCode::kInvalidArgument, "spiking: expected true or false");
    }
    q.spiking_only = *v == "true";
  }
  LL_ASSIGN(auto spikes, store_.Listening().ListSpikes(q));
  json out = json::array();
  for (const auto& s : spikes) out.push_back(SpikeRowJson(s));
  return PartResponse{200, {{"spikes", out}}};
}

Result<PartResponse> ListenRoutes::Hours(const PartRequest& r) {
  const std::string id = Str(r.Query("query"));
  if (id.empty()) return MakeError(ErrorCode::kInvalidArgument, "query: required");
  const Query* q = listener_.config().FindQuery(id);
  if (q == nullptr) return MakeError(ErrorCode::kNotFound, "no query '{}'", id);
  const auto now = system_clock::now();
  LL_ASSIGN(auto from_t, QueryTime(r, "from"));
  LL_ASSIGN(auto to_t, QueryTime(r, "to"));
  const Hour to =
      to_t ? HourOf(time_point_cast<system_clock::duration>(*to_t - milliseconds(1))) + hours(1)
           : HourOf(now) + hours(1);
  const Hour from =
      from_t ? HourOf(time_point_cast<system_clock::duration>(*from_t)) : to - hours(24);
  if (from >= to || to - from > hours(24 * 31)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "from/to: expected up to 31 days, from before to");
  }
  const SpikeConfig& cfg = listener_.config().spike;
  LL_ASSIGN(Series series, listener_.SeriesOf(*q, from - hours(24 * 7 * cfg.max_weeks), to));
  LL_ASSIGN(auto rows, store_.Listening().ListPosts({.query = id,
                                                     .from = time_point_cast<milliseconds>(from),
                                                     .to = time_point_cast<milliseconds>(to),
                                                     .limit = 100000}));
  std::vector<Post> posts;
  for (const auto& p : rows) {
    posts.push_back({p.source, p.source_id, p.url, p.author, p.text,
                     time_point_cast<system_clock::duration>(p.posted_at), p.shares});
  }
  SummaryOptions so;
  so.exclude_terms = q->exclude_terms;
  auto summaries = SummariseHours(posts, listener_.vader(), so);
  LL_ASSIGN(auto spikes, store_.Listening().ListSpikes({.query = id,
                                                        .from = time_point_cast<milliseconds>(from),
                                                        .to = time_point_cast<milliseconds>(to),
                                                        .limit = 5000}));
  json hours_json = json::array();
  for (Hour h = from; h < to; h += hours(1)) {
    const bool current = h == HourOf(now);
    const double fraction = current ? duration<double>(now - h) / duration<double>(hours(1)) : 1.0;
    HourCheck check = CheckHour(series, h, std::max(fraction, 1e-3), cfg);
    json band = nullptr;
    if (!check.weeks.empty()) {
      auto [lo, hi] = std::minmax_element(check.weeks.begin(), check.weeks.end());
      band = {{"low", *lo}, {"high", *hi}};
    }
    json hour = {
        {"hour", core::FormatTime(h)},
        {"complete", !current},
        {"posts", check.reason == SpikeReason::kNoData ? json(nullptr) : json(check.observed)},
        {"usual", check.weeks.empty() ? json(nullptr) : json(check.usual)},
        {"expected", check.weeks.empty() ? json(nullptr) : json(check.expected)},
        {"band", band},
        {"weeks", check.weeks},
        {"p_value", check.p_value},
        {"unusual", check.unusual()},
        {"reason", SpikeReasonName(check.reason)}};
    const store::ListenSpike* decision = nullptr;
    for (const auto& s : spikes) {
      if (s.hour == time_point_cast<milliseconds>(h)) decision = &s;
    }
    hour["spike"] = decision == nullptr ? json(nullptr) : SpikeRowJson(*decision);
    const HourSummary* sum = nullptr;
    for (const auto& s : summaries) {
      if (s.hour == h) sum = &s;
    }
    json terms = json::array(), top = json::array();
    if (sum != nullptr) {
      for (const auto& t : sum->top_terms) terms.push_back({{"term", t.term}, {"posts", t.posts}});
      for (const auto& p : sum->top_posts) {
        top.push_back({{"key", p.key},
                       {"source", p.source},
                       {"url", p.url.empty() ? json(nullptr) : json(p.url)},
                       {"author", p.author},
                       {"text", p.text},
                       {"posted_at", core::FormatTime(p.posted_at)},
                       {"shares", p.shares},
                       {"compound", p.compound}});
      }
    }
    hour["sentiment"] = {{"positive", sum ? sum->positive : 0},
                         {"neutral", sum ? sum->neutral : 0},
                         {"negative", sum ? sum->negative : 0},
                         {"positive_share", sum ? sum->share(Polarity::kPositive) : 0.0},
                         {"neutral_share", sum ? sum->share(Polarity::kNeutral) : 0.0},
                         {"negative_share", sum ? sum->share(Polarity::kNegative) : 0.0},
                         {"mean_compound", sum ? sum->mean_compound : 0.0}};
    hour["top_terms"] = terms;
    hour["top_posts"] = top;
    hours_json.push_back(std::move(hour));
  }
  return PartResponse{200, {{"query", id}, {"hours", hours_json}}};
}

Result<PartResponse> ListenRoutes::Webhook(const PartRequest& r) {
  const std::string name(r.Param("source"));
  for (const SourceConfig& s : listener_.config().sources) {
    if (s.name == name && s.kind == SourceKind::kFacebookPage) {
      return HandlePageFeed(listener_, s, r, system_clock::now());
    }
  }
  return MakeError(ErrorCode::kNotFound, "no facebook_page listening source '{}'",
                   name.substr(0, 64));
}

std::unique_ptr<api::Backend::Subscription> ListenRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return listener_.Subscribe([sink = std::move(sink)](const ListenEvent& e) {
    json data = e.data;
    data["kind"] = e.kind;
    sink({"listening", std::move(data)});
  });
}

}  // namespace lifeline::listen
