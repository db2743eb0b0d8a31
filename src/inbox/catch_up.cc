// Fetching what a platform may have missed, and the gap (catch_up.h).
#include "inbox/catch_up.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "core/types.h"

namespace lifeline::inbox {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using nlohmann::json;

constexpr const char* kGraphVersion = "v21.0";

std::string Encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string When(store::Time t) { return core::FormatTime(t); }

void CannotLook(store::CatchUpRecord& r, std::string reason) {
  r.looked = false;
  r.found.reset();
  r.fresh.reset();
  r.reason = std::move(reason);
}

// Graph's error message ("(#190) Invalid OAuth access token") or the start of the body.
std::string GraphError(const channels::HttpResponse& resp) {
  json j = json::parse(resp.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    return j["error"].value("message", std::string("(no message)"));
  }
  return resp.body.substr(0, 120);
}

}  // namespace

std::optional<store::Time> ParseGraphTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS, then optional .fraction, then Z, +HHMM or +HH:MM.
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  long offset = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    std::string digits;
    for (std::size_t i = pos + 1; i < s.size(); ++i) {
      if (s[i] != ':') digits += s[i];
    }
    // Digits only: std::stoi throws on anything else, which ended the catch-up's worker (and the
    // process) on "+ab:cd" (fuzz/webhooks_fuzz.cc).
    if (digits.size() != 4 || !std::all_of(digits.begin(), digits.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return std::nullopt;
    }
    const int hh = std::stoi(digits.substr(0, 2));
    const int mm = std::stoi(digits.substr(2, 2));
    offset = sign * (hh * 3600L + mm * 60L);
  } else if (pos < s.size() && s[pos] != 'Z') {
    return std::nullopt;
  }
  const std::time_t t = timegm(&tm) - offset;
  return store::FromMillis(static_cast<std::int64_t>(t) * 1000);
}

json CatchUpJson(const store::CatchUpRecord& r) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  json j = {{"source", r.source},
            {"type", r.kind},
            {"incident_id", r.incident_id.empty() ? json(nullptr) : json(r.incident_id)},
            {"since", When(r.since)},
            {"until", When(r.until)},
            {"at", When(r.at)},
            {"looked", r.looked},
            {"found", opt(r.found)},
            {"new", opt(r.fresh)},
            {"pending", opt(r.pending)},
            {"reason", r.reason.empty() ? json(nullptr) : json(r.reason)},
            {"line", CatchUpLine(r)}};
  json detail = json::parse(r.detail.empty() ? "{}" : r.detail, nullptr, false);
  if (detail.is_object()) {
    for (auto& [k, v] : detail.items()) {
      if (!j.contains(k)) j[k] = v;
    }
  }
  return j;
}

std::string CatchUpLine(const store::CatchUpRecord& r) {
  const std::string head = fmt::format("{} ({})", r.source, r.kind);
  if (!r.looked) return fmt::format("{}: cannot look: {}", head, r.reason);
  if (r.found) {
    std::string line = fmt::format("{}: looked from {} to {}: found {}, {} new (the gap)", head,
                                   When(r.since), When(r.until), *r.found, r.fresh.value_or(0));
    if (!r.reason.empty()) line += "; " + r.reason;
    return line;
  }
  return fmt::format("{}: looked: {}", head, r.reason);
}

CatchUp::CatchUp(Inbox& inbox, channels::HttpClient& http, const Outlet& outlet, ImapConnector imap,
                 const ImapPoller* poller, CatchUpOptions options)
    : inbox_(inbox),
      http_(http),
      outlet_(outlet),
      imap_(std::move(imap)),
      poller_(poller),
      clock_(options.clock ? *options.clock : core::RealClock()),
      options_(std::move(options)) {}

CatchUp::~CatchUp() { Stop(); }

void CatchUp::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

Result<std::vector<store::CatchUpRecord>> CatchUp::Run(std::string_view source, store::Time since,
                                                       store::Time until,
                                                       std::string_view incident_id) {
  if (since >= until) {
    return MakeError(ErrorCode::kInvalidArgument, "since ({}) must be before until ({})",
                     When(since), When(until));
  }
  std::vector<const Source*> sources;
  if (source.empty()) {
    for (const Source& s : inbox_.config().sources) sources.push_back(&s);
  } else {
    const Source* s = inbox_.config().Find(source);
    if (s == nullptr) {
      return MakeError(ErrorCode::kNotFound, "no inbox source '{}' (inbox.sources in the config)",
                       source.substr(0, 64));
    }
    sources.push_back(s);
  }
  std::vector<store::CatchUpRecord> out;
  for (const Source* s : sources) {
    store::CatchUpRecord r = Look(*s, since, until);
    r.incident_id = std::string(incident_id);
    LL_ASSIGN(store::CatchUpRecord stored, inbox_.store().Inbox().AddCatchUp(r));
    Log("inbox: catch-up: " + CatchUpLine(stored));
    out.push_back(std::move(stored));
  }
  return out;
}

store::CatchUpRecord CatchUp::Look(const Source& src, store::Time since, store::Time until) {
  store::CatchUpRecord r;
  r.source = src.name;
  r.kind = std::string(SourceKindName(src.kind));
  r.since = since;
  r.until = until;
  r.at = store::FromSystem(clock_.Now());
  switch (src.kind) {
    case SourceKind::kImap:
      LookImap(src, r);
      break;
    case SourceKind::kMessenger:
      LookMessenger(src, r);
      break;
    case SourceKind::kTelegram:
      LookTelegram(src, r);
      break;
    case SourceKind::kWhatsApp:
      CannotLook(r,
                 "WhatsApp's Cloud API has no endpoint that lists received messages; Meta retries "
                 "an undelivered webhook for up to 7 days, so missed messages arrive by themselves "
                 "and are stored once");
      break;
    case SourceKind::kInstagram:
      CannotLook(r,
                 "the Conversations API for Instagram is read through the linked Facebook Page, "
                 "which an instagram source does not name; Meta retries undelivered webhooks");
      break;
    case SourceKind::kWebhook:
      CannotLook(r,
                 "the generic webhook has no platform to ask: its sender keeps and resends what "
                 "it could not deliver");
      break;
  }
  return r;
}

void CatchUp::LookImap(const Source& src, store::CatchUpRecord& r) {
  std::unique_ptr<ImapClient> client = imap_ ? imap_(src) : nullptr;
  if (!client) return CannotLook(r, "no IMAP client");
  auto st = client->Status();
  if (!st.ok()) return CannotLook(r, st.error().message());
  const std::string day = ImapDate(r.since);
  auto uids = client->Search("SINCE " + day);
  if (!uids.ok()) return CannotLook(r, uids.error().message());
  auto unseen = client->Search("UNSEEN SINCE " + day);
  const std::set<std::int64_t> unread = unseen.ok()
                                            ? std::set<std::int64_t>(unseen->begin(), unseen->end())
                                            : std::set<std::int64_t>();
  std::int64_t found = 0, fresh = 0, skipped = 0;
  json ids = json::array();
  for (std::int64_t uid : *uids) {
    auto m = StoreMail(inbox_, src, *client, st->uidvalidity, uid, unread.contains(uid));
    if (!m.ok()) {
      if (m.error().code() == ErrorCode::kNotFound) continue;  // expunged meanwhile
      r.looked = false;
      r.reason =
          fmt::format("stopped after {} of {} mails: {}", found, uids->size(), m.error().message());
      r.found = found;
      r.fresh = fresh;
      r.detail = json{{"new_messages", ids}}.dump();
      return;
    }
    if (m->skipped) {
      ++skipped;
      continue;
    }
    // SEARCH SINCE is by day and by the server's arrival date: the Date header decides.
    if (m->sent_at && (*m->sent_at < r.since || *m->sent_at > r.until)) continue;
    ++found;
    if (m->stored) {
      ++fresh;
      ids.push_back(m->message_id);
    }
  }
  r.looked = true;
  r.found = found;
  r.fresh = fresh;
  if (skipped > 0) r.reason = fmt::format("{} machine-sent or unreadable mails skipped", skipped);
  r.detail = json{{"new_messages", ids}}.dump();
}

void CatchUp::LookMessenger(const Source& src, store::CatchUpRecord& r) {
  if (src.page_token.empty()) {
    return CannotLook(r, fmt::format("no page_token: the Conversations API needs a Page access "
                                     "token (inbox.sources.{}.page_token)",
                                     src.name));
  }
  const std::string fields = "updated_time,messages{id,message,from,created_time}";
  std::string url = fmt::format("{}/{}/{}/conversations?platform=messenger&fields={}&limit=25",
                                src.api_base, kGraphVersion, src.account, Encode(fields));
  std::vector<ParsedMessage> found;
  std::set<std::string> seen;
  int pages = 0;
  bool truncated = false;
  // Reads one page of a conversation list or of one conversation's messages; false when it
  // could not (the reason is set).
  auto get = [&](const std::string& u, json& out) -> bool {
    channels::HttpRequest req;
    req.method = "GET";
    req.url = u;
    req.headers = {{"Authorization", "Bearer " + src.page_token}};
    req.timeout = std::chrono::seconds(30);
    channels::HttpResponse resp = http_.Do(req);
    if (resp.transport != channels::HttpResponse::Transport::kAnswered) {
      CannotLook(r, "the Graph API did not answer: " + resp.error);
      return false;
    }
    if (resp.status != 200) {
      CannotLook(r,
                 fmt::format("the Graph API answered HTTP {}: {}", resp.status, GraphError(resp)));
      return false;
    }
    out = json::parse(resp.body, nullptr, false);
    if (!out.is_object() || !out.contains("data") || !out["data"].is_array()) {
      CannotLook(r, "the Graph API's answer has no data[]");
      return false;
    }
    return true;
  };
  // Never send the token anywhere but the configured API: paging links must stay on it.
  auto ours = [&](const std::string& next) { return next.starts_with(src.api_base + "/"); };
  // A page of messages, newest first; true when older ones in the span may follow.
  auto take = [&](const json& msgs) -> bool {
    bool older = true;
    for (const json& m : msgs) {
      if (!m.is_object()) continue;
      const std::string id = m.value("id", "");
      auto t = ParseGraphTime(m.value("created_time", ""));
      if (id.empty() || !t) continue;
      if (*t < r.since) {
        older = false;
        continue;
      }
      if (*t > r.until) continue;
      const json from = m.value("from", json::object());
      const std::string who = from.is_object() ? from.value("id", "") : "";
      if (who.empty() || who == src.account) continue;  // the page's own messages
      if (!seen.insert(id).second) continue;
      ParsedMessage p;
      p.account = src.account;
      p.platform_id = id;
      p.address = who;
      p.name = from.value("name", "");
      p.sent_at = *t;
      p.text = m.value("message", "");
      if (p.text.empty()) {
        p.text = "[attachment]";
        p.kind = "attachment";
      }
      found.push_back(std::move(p));
    }
    return older;
  };
  bool done = false;
  while (!done && !url.empty()) {
    if (++pages > options_.max_pages) {
      truncated = true;
      break;
    }
    json page;
    if (!get(url, page)) return;
    for (const json& conv : page["data"]) {
      if (!conv.is_object()) continue;
      if (auto updated = ParseGraphTime(conv.value("updated_time", ""));
          updated && *updated < r.since) {
        done = true;  // conversations come newest first: the rest are older than the span
        break;
      }
      json msgs = conv.value("messages", json::object());
      while (msgs.is_object() && msgs.contains("data") && msgs["data"].is_array()) {
        const bool more = take(msgs["data"]);
        const std::string next = msgs.contains("paging") && msgs["paging"].is_object()
                                     ? msgs["paging"].value("next", "")
                                     : "";
        if (!more || next.empty() || !ours(next)) break;
        if (++pages > options_.max_pages) {
          truncated = true;
          break;
        }
        if (!get(next, msgs)) return;
      }
    }
    url = page.contains("paging") && page["paging"].is_object() ? page["paging"].value("next", "")
                                                                : "";
    if (!url.empty() && !ours(url)) url.clear();
  }
  std::sort(found.begin(), found.end(),
            [](const ParsedMessage& a, const ParsedMessage& b) { return a.sent_at < b.sent_at; });
  std::int64_t fresh = 0;
  json ids = json::array();
  for (const ParsedMessage& m : found) {
    ParsedBatch batch;
    batch.messages.push_back(m);
    auto a = inbox_.IngestPolled(src.name, batch);
    if (!a.ok()) {
      CannotLook(r, "storing what it found failed: " + a.error().message());
      return;
    }
    if (a->body.value("stored", 0) > 0) {
      ++fresh;
      if (a->body.contains("messages") && !a->body["messages"].empty()) {
        ids.push_back(a->body["messages"][0]);
      }
    }
  }
  r.looked = true;
  r.found = static_cast<std::int64_t>(found.size());
  r.fresh = fresh;
  if (truncated) {
    r.reason = fmt::format("stopped after {} pages: older conversations were not read",
                           options_.max_pages);
  }
  r.detail = json{{"new_messages", ids}}.dump();
}

void CatchUp::LookTelegram(const Source& src, store::CatchUpRecord& r) {
  if (src.bot_token.empty()) {
    return CannotLook(r, fmt::format("no bot_token: getWebhookInfo needs the bot's token "
                                     "(inbox.sources.{}.bot_token)",
                                     src.name));
  }
  channels::HttpRequest req;
  req.method = "GET";
  req.url = fmt::format("{}/bot{}/getWebhookInfo", src.api_base, src.bot_token);
  req.timeout = std::chrono::seconds(20);
  channels::HttpResponse resp = http_.Do(req);
  if (resp.transport != channels::HttpResponse::Transport::kAnswered) {
    // resp.error names the host, never the path (which holds the token).
    return CannotLook(r, "getWebhookInfo: " + resp.error);
  }
  json j = json::parse(resp.body, nullptr, false);
  if (resp.status != 200 || !j.is_object() || !j.value("ok", false) || !j.contains("result") ||
      !j["result"].is_object()) {
    const std::string why = j.is_object() ? j.value("description", std::string()) : std::string();
    return CannotLook(r, fmt::format("getWebhookInfo answered HTTP {}{}", resp.status,
                                     why.empty() ? "" : ": " + why));
  }
  const json& info = j["result"];
  const std::int64_t pending = info.value("pending_update_count", std::int64_t{0});
  const std::int64_t error_date = info.value("last_error_date", std::int64_t{0});
  const std::string error_message = info.value("last_error_message", std::string());
  r.looked = true;
  r.pending = pending;
  json detail = {{"pending_update_count", pending},
                 {"webhook_set", !info.value("url", std::string()).empty()}};
  std::string last_error;
  if (error_date > 0) {
    const store::Time at = store::FromMillis(error_date * 1000);
    detail["last_error_at"] = When(at);
    detail["last_error_message"] = error_message;
    last_error = fmt::format("; its last delivery error, at {}: {}", When(at),
                             error_message.empty() ? "(no message)" : error_message);
  }
  if (src.poll) {
    r.reason = fmt::format(
        "polling: getUpdates fetches what Telegram holds (for 24 hours), {} waiting now", pending);
  } else if (pending == 0) {
    r.reason = "Telegram holds no undelivered update: nothing is missing" + last_error;
  } else {
    r.reason = fmt::format(
                   "Telegram still holds {} updates for the webhook: it retries them, and each is "
                   "stored once as it arrives",
                   pending) +
               last_error;
  }
  r.detail = detail.dump();
}

std::unique_ptr<core::IncidentFeed::Subscription> CatchUp::Watch(core::IncidentFeed& feed) {
  return feed.SubscribeIncidents([this](const core::IncidentNotice& n) {
    // Another instance's incident: that instance catches up.
    if (n.change == core::IncidentNotice::Change::kClosed && n.here) {
      work_.Post([this, n] { After(n); });
    }
  });
}

void CatchUp::Stop() { work_.Stop(/*run_queued=*/false); }

bool CatchUp::WaitIdle(std::chrono::milliseconds timeout) { return work_.WaitIdle(timeout); }

void CatchUp::After(const core::IncidentNotice& n) {
  const store::Time since = store::FromSystem(n.opened_at) - options_.before;
  const store::Time until = store::FromSystem(clock_.Now());
  for (const Source& s : inbox_.config().sources) {
    const std::string platform = outlet_.Platform(s.channel);
    if (platform.empty() ||
        std::find(n.platforms.begin(), n.platforms.end(), platform) == n.platforms.end()) {
      continue;
    }
    if (auto r = Run(s.name, since, until, n.incident_id); !r.ok()) {
      Log(fmt::format("inbox: catch-up for {} after {}: {}", s.name, n.incident_id,
                      r.error().message()));
    }
  }
}

json CatchUp::Sources() const {
  json health = poller_ ? poller_->States() : json::array();
  json out = json::array();
  for (const Source& s : inbox_.config().sources) {
    json j = {{"name", s.name},
              {"type", SourceKindName(s.kind)},
              {"channel", s.channel},
              {"platform", outlet_.Platform(s.channel)}};
    switch (s.kind) {
      case SourceKind::kImap:
        j["catch_up"] = "UID SEARCH SINCE";
        j["mode"] = "poll";
        j["interval_s"] = std::chrono::duration<double>(s.interval).count();
        break;
      case SourceKind::kMessenger:
        j["catch_up"] = s.page_token.empty() ? json(nullptr) : json("Conversations API");
        break;
      case SourceKind::kTelegram:
        j["mode"] = s.poll ? "poll" : "webhook";
        j["catch_up"] = s.bot_token.empty() ? json(nullptr) : json("getWebhookInfo");
        break;
      default:
        j["catch_up"] = nullptr;
        break;
    }
    for (const json& h : health) {
      if (h.value("source", "") == s.name) {
        for (auto& [k, v] : h.items()) {
          if (k != "source") j[k] = v;
        }
      }
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace lifeline::inbox
