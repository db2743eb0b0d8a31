// The demo's ad accounts (demo_ads.h): the part of the Meta Marketing API the guard's Meta client
// calls (src/ads/meta/meta.h) and the part of the TikTok Business API its TikTok client calls
// (src/ads/tiktok/tiktok.cc), on one loopback server, with campaigns whose hourly figures follow a
// day's curve and stop while a campaign is paused.
#include "serve/demo_ads.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api/http_util.h"
#include "serve/demo_http.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr const char* kAccount = "act_100200300";
constexpr const char* kVersion = "/v21.0/";
// The TikTok advertiser, its token (sent as Access-Token) and the API's path prefix.
constexpr const char* kTikTokAdvertiser = "7000000000000000001";
constexpr const char* kTikTokToken = "demo-tiktok-business-api-access-token";
constexpr const char* kTikTokPrefix = "/open_api/v1.3/";
// The urgent Meta campaign whose budget moves to the TikTok campaign during the outage.
constexpr const char* kUrgentCampaign = "120210000000001";
constexpr const char* kTikTokCampaign = "1800000000000001";
// TikTok's documented least daily budget of a campaign (USD).
constexpr std::int64_t kTikTokMinBudgetCents = 5000;

struct DemoCampaign {
  std::string id;
  std::string name;
  bool active = true;
  std::int64_t daily_budget_cents = 0;
  double peak_impressions = 0;  // in the evening's busiest hour
  double cpm_cents = 0;         // cost per 1,000 impressions
  Clock::time_point updated;
  // When it was paused: [from, to) intervals, `to` unset while it still is.
  std::vector<std::pair<Clock::time_point, std::optional<Clock::time_point>>> paused;
};

std::string GraphTime(Clock::time_point t) {
  const std::time_t s = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+0000", &tm);
  return buf;
}

// TikTok's "2026-11-27 10:00:00" (UTC).
std::string TikTokTime(Clock::time_point t) {
  const std::time_t s = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string Decimal(double cents) {
  const auto c = static_cast<std::int64_t>(std::llround(cents));
  return fmt::format("{}.{:02}", c / 100, c % 100);
}

// The share of the busiest hour's delivery at hour `h` (UTC): low at night, high in the evening.
double DayCurve(int h) {
  constexpr double kCurve[24] = {0.30, 0.22, 0.18, 0.15, 0.15, 0.20, 0.32, 0.48,
                                 0.60, 0.66, 0.70, 0.74, 0.80, 0.78, 0.74, 0.72,
                                 0.76, 0.82, 0.90, 0.97, 1.00, 0.92, 0.72, 0.48};
  return kCurve[h];
}

// A stable wobble of a few percent per campaign and hour, so the figures look measured.
double Wobble(const std::string& id, std::int64_t hour) {
  const std::size_t h = std::hash<std::string>{}(id + std::to_string(hour));
  return 0.95 + static_cast<double>(h % 1000) / 10000.0;
}

std::map<std::string, std::string> Params(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    const auto eq = part.find('=');
    auto key = api::internal::PercentDecode(part.substr(0, eq), true);
    auto value =
        api::internal::PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
    if (key && value) out[*key] = *value;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string GraphError(int code, int subcode, const std::string& message) {
  json e = {{"message", message},
            {"type", "GraphMethodException"},
            {"code", code},
            {"fbtrace_id", "demo"}};
  if (subcode != 0) e["error_subcode"] = subcode;
  return json{{"error", e}}.dump();
}

// The TikTok Business API's envelope: HTTP 200 and a code (0 = OK) whatever happened.
std::pair<std::string, std::string> TikTokAnswer(int code, const std::string& message,
                                                 json data = json::object()) {
  static std::atomic<std::uint64_t> n{0};
  return {"200 OK", json{{"code", code},
                         {"message", message},
                         {"request_id", fmt::format("demo{:06}", ++n)},
                         {"data", std::move(data)}}
                        .dump()};
}

// The value of request header `name` (case-insensitive), "" when absent.
std::string Header(const std::string& head, std::string_view name) {
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line(head.data() + start,
                                (end == std::string::npos ? head.size() : end) - start);
    const auto colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    at = end;
  }
  return "";
}

}  // namespace

struct DemoAds::State : std::enable_shared_from_this<DemoAds::State> {
  explicit State(asio::io_context& io) : acceptor(io) {
    const auto now = Clock::now();
    campaigns = {
        {"120210000000001", "Click-to-WhatsApp: winter sale", true, 15000, 5200, 640, now, {}},
        {"120210000000002", "Instagram reels: new collection", true, 8000, 3100, 510, now, {}},
        {"120210000000003",
         "Brand awareness (paused in October)",
         false,
         5000,
         2000,
         420,
         now,
         {{now - std::chrono::hours(24 * 60), std::nullopt}}},
    };
    // TikTok delivers during the WhatsApp outage: the urgent campaign's budget moves here.
    tiktok = {
        {kTikTokCampaign, "Spark Ads: winter sale", true, 10000, 4200, 480, now, {}},
    };
  }

  tcp::acceptor acceptor;
  mutable std::mutex mu;                // guards campaigns, tiktok
  std::vector<DemoCampaign> campaigns;  // the Meta account's
  std::vector<DemoCampaign> tiktok;     // the TikTok advertiser's

  static DemoCampaign* Find(std::vector<DemoCampaign>& list, const std::string& id) {
    for (auto& c : list) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
  DemoCampaign* Find(const std::string& id) { return Find(campaigns, id); }

  static json Json(const DemoCampaign& c) {
    return {{"id", c.id},
            {"name", c.name},
            {"status", c.active ? "ACTIVE" : "PAUSED"},
            {"effective_status", c.active ? "ACTIVE" : "PAUSED"},
            {"daily_budget", std::to_string(c.daily_budget_cents)},
            {"updated_time", GraphTime(c.updated)}};
  }

  // The share of hour [from, from + 1h) the campaign delivered (was not paused), until `now`.
  static double ActiveShare(const DemoCampaign& c, Clock::time_point from, Clock::time_point now) {
    const Clock::time_point to = std::min(from + std::chrono::hours(1), now);
    if (to <= from) return 0;
    auto off = Clock::duration::zero();
    for (const auto& [a, b] : c.paused) {
      const auto lo = std::max(a, from);
      const auto hi = std::min(b.value_or(to), to);
      if (hi > lo) off += hi - lo;
    }
    return 1.0 - std::chrono::duration<double>(off) / std::chrono::duration<double>(to - from);
  }

  // One hour's figures of a campaign.
  struct Hour {
    std::string date;  // "2026-11-27" (UTC)
    int hour = 0;
    std::int64_t impressions = 0;
    std::int64_t clicks = 0;
    double spend_cents = 0;
  };

  // Every finished or current hour of the days [since, until] ("YYYY-MM-DD"), at most 93 days.
  static std::vector<Hour> Hours(const DemoCampaign& c, const std::string& since,
                                 const std::string& until) {
    using namespace std::chrono;
    std::vector<Hour> out;
    const auto parse = [](const std::string& d) -> std::optional<sys_days> {
      int y = 0;
      unsigned m = 0, dd = 0;
      if (std::sscanf(d.c_str(), "%d-%u-%u", &y, &m, &dd) != 3) return std::nullopt;
      year_month_day ymd{year{y}, month{m}, day{dd}};
      if (!ymd.ok()) return std::nullopt;
      return sys_days{ymd};
    };
    auto from = parse(since), to = parse(until);
    if (!from || !to || *to < *from || *to - *from > days(93)) return out;
    const auto now = Clock::now();
    for (sys_days d = *from; d <= *to; d += days(1)) {
      const year_month_day ymd{d};
      const std::string date =
          fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
      for (int h = 0; h < 24; ++h) {
        const Clock::time_point start = d + hours(h);
        if (start >= now) break;
        const double share = ActiveShare(c, start, now);
        const auto hour_index = duration_cast<hours>(start.time_since_epoch()).count();
        Hour x;
        x.date = date;
        x.hour = h;
        x.impressions = static_cast<std::int64_t>(
            std::llround(c.peak_impressions * DayCurve(h) * Wobble(c.id, hour_index) * share));
        x.spend_cents = static_cast<double>(x.impressions) * c.cpm_cents / 1000.0;
        x.clicks = static_cast<std::int64_t>(std::llround(x.impressions * 0.012));
        out.push_back(std::move(x));
      }
    }
    return out;
  }

  // Graph's hourly insights rows.
  static json Insights(const DemoCampaign& c, const std::string& since, const std::string& until) {
    json rows = json::array();
    for (const Hour& x : Hours(c, since, until)) {
      json row = {{"date_start", x.date},
                  {"date_stop", x.date},
                  {"hourly_stats_aggregated_by_advertiser_time_zone",
                   fmt::format("{:02}:00:00 - {:02}:59:59", x.hour, x.hour)},
                  {"spend", Decimal(x.spend_cents)},
                  {"impressions", std::to_string(x.impressions)},
                  {"clicks", std::to_string(x.clicks)}};
      if (x.impressions > 0) {
        row["cpm"] = Decimal(x.spend_cents * 1000.0 / static_cast<double>(x.impressions));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  static json TikTokJson(const DemoCampaign& c) {
    return {{"campaign_id", c.id},
            {"campaign_name", c.name},
            {"advertiser_id", kTikTokAdvertiser},
            {"objective_type", "TRAFFIC"},
            {"operation_status", c.active ? "ENABLE" : "DISABLE"},
            {"secondary_status", c.active ? "CAMPAIGN_STATUS_ENABLE" : "CAMPAIGN_STATUS_DISABLE"},
            {"budget_mode", "BUDGET_MODE_DAY"},
            {"budget", static_cast<double>(c.daily_budget_cents) / 100.0},
            {"modify_time", TikTokTime(c.updated)}};
  }

  // One request of the TikTok client (under mu): the answer's envelope and codes as the TikTok
  // Business API gives them (HTTP 200 with a code; 40105 for a bad token, 40001 for another
  // advertiser, 40002 for a bad value or an unknown campaign).
  std::pair<std::string, std::string> AnswerTikTok(const DemoRequest& r, const std::string& path,
                                                   std::map<std::string, std::string> params) {
    if (Header(r.head, "Access-Token") != kTikTokToken) {
      return TikTokAnswer(40105, "The access token is invalid or has been revoked.");
    }
    json body = json::object();
    if (r.method == "POST") {
      body = json::parse(r.body, nullptr, false);
      if (!body.is_object()) return TikTokAnswer(40002, "The request body is not valid JSON.");
    }
    auto text = [](const json& v) {
      return v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : std::string();
    };
    const std::string advertiser =
        r.method == "POST" ? text(body.value("advertiser_id", json())) : params["advertiser_id"];
    if (advertiser != kTikTokAdvertiser) {
      return TikTokAnswer(40001, "No permission to operate advertiser " + advertiser + ".");
    }
    const auto now = Clock::now();
    if (r.method == "GET" && path == "campaign/get/") {
      std::vector<std::string> ids;
      bool filtered = false;
      if (params.count("filtering")) {
        json f = json::parse(params["filtering"], nullptr, false);
        if (!f.is_object()) return TikTokAnswer(40002, "filtering: Not a valid JSON object.");
        if (f.contains("campaign_ids") && f["campaign_ids"].is_array()) {
          filtered = true;
          for (const json& id : f["campaign_ids"]) ids.push_back(text(id));
        }
      }
      json list = json::array();
      for (const auto& c : tiktok) {
        if (!filtered || std::find(ids.begin(), ids.end(), c.id) != ids.end()) {
          list.push_back(TikTokJson(c));
        }
      }
      const int size = std::max(1, std::min(1000, std::atoi(params["page_size"].c_str())));
      const int n = static_cast<int>(list.size());
      return TikTokAnswer(0, "OK",
                          {{"list", list},
                           {"page_info",
                            {{"page", 1},
                             {"page_size", size},
                             {"total_number", n},
                             {"total_page", std::max(1, (n + size - 1) / size)}}}});
    }
    if (r.method == "POST" && path == "campaign/status/update/") {
      const json ids = body.value("campaign_ids", json::array());
      if (!ids.is_array() || ids.empty() || ids.size() > 20) {
        return TikTokAnswer(40002, "campaign_ids: Length must be between 1 and 20.");
      }
      const std::string st = body.value("operation_status", std::string());
      if (st != "ENABLE" && st != "DISABLE") {
        return TikTokAnswer(40002, "operation_status: Not a valid choice.");
      }
      std::vector<DemoCampaign*> found;
      for (const json& id : ids) {
        DemoCampaign* c = Find(tiktok, text(id));
        if (c == nullptr) return TikTokAnswer(40002, "Campaign " + text(id) + " does not exist.");
        found.push_back(c);
      }
      json done = json::array();
      for (DemoCampaign* c : found) {
        const bool active = st == "ENABLE";
        if (active != c->active) {
          if (active && !c->paused.empty()) c->paused.back().second = now;
          if (!active) c->paused.push_back({now, std::nullopt});
          c->active = active;
          c->updated = now;
        }
        done.push_back(c->id);
      }
      return TikTokAnswer(0, "OK", {{"campaign_ids", done}, {"status", st}});
    }
    if (r.method == "POST" && path == "campaign/update/") {
      const std::string id = text(body.value("campaign_id", json()));
      DemoCampaign* c = Find(tiktok, id);
      if (c == nullptr) return TikTokAnswer(40002, "Campaign " + id + " does not exist.");
      if (body.contains("budget")) {
        if (!body["budget"].is_number()) return TikTokAnswer(40002, "budget: Not a valid number.");
        const auto cents = std::llround(body["budget"].get<double>() * 100.0);
        if (cents < kTikTokMinBudgetCents) {
          return TikTokAnswer(40002, fmt::format("Budget must be at least {} USD.",
                                                 Decimal(kTikTokMinBudgetCents)));
        }
        c->daily_budget_cents = cents;
        c->updated = now;
      }
      return TikTokAnswer(0, "OK", {{"campaign_id", c->id}});
    }
    if (r.method == "GET" && path == "report/integrated/get/") {
      std::vector<std::string> ids;
      json filtering = json::parse(params["filtering"], nullptr, false);
      if (filtering.is_array()) {
        for (const json& f : filtering) {
          if (!f.is_object() || f.value("field_name", "") != "campaign_ids") continue;
          json v = json::parse(f.value("filter_value", "[]"), nullptr, false);
          if (v.is_array()) {
            for (const json& id : v) ids.push_back(text(id));
          }
        }
      }
      json rows = json::array();
      for (const auto& id : ids) {
        const DemoCampaign* c = Find(tiktok, id);
        if (c == nullptr) continue;
        for (const Hour& x : Hours(*c, params["start_date"], params["end_date"])) {
          json met = {{"spend", Decimal(x.spend_cents)},
                      {"impressions", std::to_string(x.impressions)},
                      {"clicks", std::to_string(x.clicks)}};
          if (x.impressions > 0) {
            met["cpm"] = Decimal(x.spend_cents * 1000.0 / static_cast<double>(x.impressions));
          }
          rows.push_back({{"dimensions",
                           {{"campaign_id", c->id},
                            {"stat_time_hour", fmt::format("{} {:02}:00:00", x.date, x.hour)}}},
                          {"metrics", met}});
        }
      }
      const int n = static_cast<int>(rows.size());
      return TikTokAnswer(
          0, "OK",
          {{"list", rows},
           {"page_info",
            {{"page", 1}, {"page_size", std::max(n, 1)}, {"total_number", n}, {"total_page", 1}}}});
    }
    return TikTokAnswer(40002, "Unknown endpoint: " + path);
  }

  // One request of the Meta client: {status line, JSON}.
  std::pair<std::string, std::string> Answer(const DemoRequest& r) {
    std::string_view target = r.target;
    if (target.starts_with(kTikTokPrefix)) {
      target.remove_prefix(std::string_view(kTikTokPrefix).size());
      const auto q = target.find('?');
      std::lock_guard lock(mu);
      return AnswerTikTok(r, std::string(target.substr(0, q)),
                          Params(q == std::string_view::npos ? "" : target.substr(q + 1)));
    }
    if (!target.starts_with(kVersion)) {
      return {"400 Bad Request", GraphError(2500, 0, "Unknown path components")};
    }
    target.remove_prefix(std::string_view(kVersion).size());
    const auto q = target.find('?');
    const std::string path(target.substr(0, q));
    auto params = Params(q == std::string_view::npos ? "" : target.substr(q + 1));
    if (params["access_token"].empty()) {
      return {"400 Bad Request", GraphError(190, 0, "An active access token must be used")};
    }
    std::lock_guard lock(mu);
    if (r.method == "GET" && path == std::string(kAccount) + "/campaigns") {
      json data = json::array();
      for (const auto& c : campaigns) data.push_back(Json(c));
      return {"200 OK", json{{"data", data}, {"paging", {{"cursors", {{"after", "end"}}}}}}.dump()};
    }
    if (r.method == "GET" && path.empty() && params.count("ids")) {
      json out = json::object();
      std::string_view ids = params["ids"];
      while (!ids.empty()) {
        const auto comma = ids.find(',');
        if (const DemoCampaign* c = Find(std::string(ids.substr(0, comma)))) out[c->id] = Json(*c);
        if (comma == std::string_view::npos) break;
        ids.remove_prefix(comma + 1);
      }
      return {"200 OK", out.dump()};
    }
    const auto slash = path.find('/');
    DemoCampaign* c = Find(path.substr(0, slash));
    if (c == nullptr) {
      return {"400 Bad Request",
              GraphError(100, 33,
                         "Unsupported get request. Object with ID '" + path.substr(0, slash) +
                             "' does not exist, cannot be loaded due to missing permissions, or "
                             "does not support this operation")};
    }
    if (r.method == "GET" && slash == std::string::npos) return {"200 OK", Json(*c).dump()};
    if (r.method == "GET" && path.substr(slash) == "/insights") {
      json range = json::parse(params["time_range"], nullptr, false);
      if (!range.is_object()) {
        return {"400 Bad Request", GraphError(100, 0, "(#100) time_range must be an object")};
      }
      json rows = Insights(*c, range.value("since", ""), range.value("until", ""));
      return {"200 OK", json{{"data", rows}, {"paging", {{"cursors", {{"after", "end"}}}}}}.dump()};
    }
    if (r.method == "POST" && slash == std::string::npos) {
      auto form = Params(r.body);
      const auto now = Clock::now();
      if (form.count("status")) {
        const std::string& s = form["status"];
        if (s != "ACTIVE" && s != "PAUSED") {
          return {"400 Bad Request", GraphError(100, 0,
                                                "(#100) Param status must be one of "
                                                "{ACTIVE, PAUSED, DELETED, ARCHIVED}")};
        }
        const bool active = s == "ACTIVE";
        if (active != c->active) {
          if (active && !c->paused.empty()) c->paused.back().second = now;
          if (!active) c->paused.push_back({now, std::nullopt});
          c->active = active;
          c->updated = now;
        }
      }
      if (form.count("daily_budget")) {
        c->daily_budget_cents = std::atoll(form["daily_budget"].c_str());
        c->updated = now;
      }
      return {"200 OK", R"({"success":true})"};
    }
    return {"400 Bad Request", GraphError(2500, 0, "Unknown path components: /" + path)};
  }
};

DemoAds::DemoAds(asio::io_context& io) : state_(std::make_shared<State>(io)) {}
DemoAds::~DemoAds() = default;

core::Status DemoAds::Start() {
  State* st = state_.get();
  return ServeDemoHttp(
      state_->acceptor, "demo ads",
      [st](const DemoRequest& r) {
        auto [status, body] = st->Answer(r);
        return DemoAnswer(status, body);
      },
      state_);
}

void DemoAds::Stop() {
  boost::system::error_code ec;
  state_->acceptor.close(ec);
}

int DemoAds::active_campaigns() const {
  std::lock_guard lock(state_->mu);
  int n = 0;
  for (const auto& c : state_->campaigns) n += c.active;
  return n;
}

core::Status DemoAds::Configure(config::Config& config, const std::string& data_dir,
                                std::chrono::milliseconds settle) const {
  const std::string token = (std::filesystem::path(data_dir) / "meta-ads.token").string();
  const std::string tiktok_token = (std::filesystem::path(data_dir) / "tiktok-ads.token").string();
  for (const auto& [file, secret] : {std::pair{token, "EAAdemo-marketing-api-access-token"},
                                     std::pair{tiktok_token, kTikTokToken}}) {
    std::ofstream out(file, std::ios::trunc);
    out << secret << "\n";
    if (!out) return core::MakeError(core::ErrorCode::kUnavailable, "cannot write {}", file);
  }
  // The winter sale cannot stop: while WhatsApp is down its click-to-WhatsApp budget goes to the
  // same sale's TikTok campaign (approved by the plan's approval of the pause), and back after.
  const std::string yaml =
      fmt::format(R"(
ads:
  accounts:
    demo-meta:
      type: meta
      account: {account}
      currency: USD
      token: {{ file: {token} }}
      delivers_on: [facebook, instagram, whatsapp]
      api_base: http://127.0.0.1:{port}
      timeout: 3s
    demo-tiktok:
      type: tiktok
      account: "{advertiser}"
      currency: USD
      token: {{ file: {tiktok_token} }}
      delivers_on: [tiktok]
      api_base: http://127.0.0.1:{port}
      timeout: 3s
  policies:
    whatsapp:
      platforms: [whatsapp]
      verdicts: [outage, regional_outage]  # as the plan's trigger: its pause follows this policy
      action: ask
      settle: {settle}s
  transfers:
    keep-the-winter-sale-running:
      from: demo-meta
      campaigns: ["{urgent}"]
      to: demo-tiktok
      campaign: "{receiver}"
      share: 100%
      max_budget: 300
      approval: required
)",
                  fmt::arg("account", kAccount), fmt::arg("token", token),
                  fmt::arg("advertiser", kTikTokAdvertiser), fmt::arg("tiktok_token", tiktok_token),
                  fmt::arg("port", state_->acceptor.local_endpoint().port()),
                  fmt::arg("settle", std::max<long long>(1, settle.count() / 1000)),
                  fmt::arg("urgent", kUrgentCampaign), fmt::arg("receiver", kTikTokCampaign));
  return AddDemoSections(config, yaml, "<demo ads>");
}

}  // namespace lifeline::serve
