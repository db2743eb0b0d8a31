// `lifeline listen status|posts|spikes` (listen.h).
#include "cli/listen.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  ApiFlags api;
  bool json = false;
  std::string query;
  std::string source;
  std::string platform;
  std::string from;
  std::string to;
  bool spiking = false;
  int limit = 0;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline listen: " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

std::string OneLine(std::string s, std::size_t max = 70) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& q) {
  std::string out;
  for (const auto& [k, v] : q) {
    if (v.empty()) continue;
    out += out.empty() ? "?" : "&";
    out += k + "=" + UrlEncode(v);
  }
  return out;
}

core::Result<json> Get(const Flags& f, const std::string& path) {
  auto client = ApiClient::Open(f.api);
  if (!client.ok()) return client.error();
  return client->Get(path);
}

int Status(const Flags& f) {
  auto r = Get(f, "/v1/listening");
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  if (!(*r)["configured"].get<bool>()) {
    std::cout << "listening is not configured (no listen: section)\n";
    return 0;
  }
  std::cout << "sources:\n";
  for (const json& s : (*r)["sources"]) {
    std::cout << fmt::format("  {:<16} {:<9} {:<12} every {} s\n", Str(s, "name"), Str(s, "kind"),
                             Str(s, "health"), s["interval_ms"].get<std::int64_t>() / 1000);
    for (const json& t : s["terms"]) {
      std::string line = fmt::format("    {:<28} {:<12}", OneLine(Str(t, "term"), 28),
                                     t["outcome"].is_string() ? Str(t, "outcome") : "not polled");
      if (t.contains("last_poll") && t["last_poll"].is_string()) {
        line += " last " + Str(t, "last_poll");
      }
      if (t.contains("posts")) line += fmt::format(", {} posts", t["posts"].get<std::int64_t>());
      std::cout << line << "\n";
      if (t.contains("retry_at") && t["retry_at"].is_string()) {
        std::cout << "      not before " << Str(t, "retry_at") << "\n";
      }
      if (t.contains("error") && t["error"].is_string()) {
        std::cout << "      " << OneLine(Str(t, "error"), 100) << "\n";
      }
      if (t.contains("rate_limit") && t["rate_limit"].is_string()) {
        std::cout << "      rate limit: " << Str(t, "rate_limit") << "\n";
      }
    }
  }
  std::cout << "queries:\n";
  for (const json& q : (*r)["queries"]) {
    std::string terms;
    for (const json& t : q["terms"]) terms += (terms.empty() ? "" : ", ") + t.get<std::string>();
    std::cout << fmt::format("  {:<28} {}\n", Str(q, "id"), OneLine(terms, 60));
  }
  const json& on = (*r)["spiking"];
  if (on.empty()) {
    std::cout << "no spike now\n";
  } else {
    for (const json& s : on) {
      std::cout << "SPIKE " << Str(s, "query") << ": " << Str(s, "evidence") << "\n";
    }
  }
  return 0;
}

int Posts(const Flags& f) {
  auto r = Get(f, "/v1/listening/posts" +
                      QueryString({{"query", f.query},
                                   {"source", f.source},
                                   {"from", f.from},
                                   {"to", f.to},
                                   {"limit", f.limit > 0 ? std::to_string(f.limit) : ""}}));
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  const json& posts = (*r)["posts"];
  if (posts.empty()) std::cout << "no posts\n";
  for (const json& p : posts) {
    std::cout << fmt::format("{}  {:<8} {:<9} {:<16} {}\n", Str(p, "posted_at"), Str(p, "source"),
                             Str(p, "sentiment"), OneLine(Str(p, "author"), 16),
                             OneLine(Str(p, "text")));
  }
  return 0;
}

int Spikes(const Flags& f) {
  auto r = Get(f, "/v1/listening/spikes" +
                      QueryString({{"query", f.query},
                                   {"platform", f.platform},
                                   {"from", f.from},
                                   {"to", f.to},
                                   {"spiking", f.spiking ? "true" : ""},
                                   {"limit", f.limit > 0 ? std::to_string(f.limit) : ""}}));
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  const json& spikes = (*r)["spikes"];
  if (spikes.empty()) std::cout << "no hours judged\n";
  for (const json& s : spikes) {
    std::cout << fmt::format("{}  {:<24} {:<18} {}\n", Str(s, "hour"), Str(s, "query"),
                             s["spiking"].get<bool>() ? "SPIKE" : Str(s, "reason"),
                             Str(s, "evidence"));
  }
  return 0;
}

}  // namespace

std::function<int()> AddListenCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "listen", "Listening through a running serve: sources' health, posts, spikes");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
  };
  auto* status = cmd->add_subcommand(
      "status", "Each source's terms: last poll, outcome, rate limit; the queries; spikes now");
  common(status);
  auto* posts = cmd->add_subcommand("posts", "Stored posts, newest first");
  posts->add_option("--query", f->query, "Only this query's (brand:NAME:mentions, chatter:ID)");
  posts->add_option("--source", f->source, "Only this source's (x, mastodon, bluesky, ...)");
  posts->add_option("--from", f->from, "Posted at or after (RFC 3339)");
  posts->add_option("--to", f->to, "Posted before (RFC 3339)");
  posts->add_option("--limit", f->limit, "At most this many (default 100)");
  common(posts);
  auto* spikes = cmd->add_subcommand("spikes", "The detector's decisions per query and hour");
  spikes->add_option("--query", f->query, "Only this query");
  spikes->add_option("--platform", f->platform, "Only this platform's outage chatter");
  spikes->add_option("--from", f->from, "Hours at or after (RFC 3339)");
  spikes->add_option("--to", f->to, "Hours before (RFC 3339)");
  spikes->add_flag("--spiking", f->spiking, "Only hours with a spike on");
  spikes->add_option("--limit", f->limit, "At most this many (default 200)");
  common(spikes);
  *command = cmd;
  return [f, status, posts, spikes]() {
    if (*status) return Status(*f);
    if (*posts) return Posts(*f);
    if (*spikes) return Spikes(*f);
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
