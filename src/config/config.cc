// Loads Lifeline's configuration: the bundled catalog first, then the user's YAML merged over it,
// each value validated as it is read so the first mistake stops the load with FILE:LINE: KEY: why.
#include "config/config.h"

#include <strings.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <regex>
#include <utility>

#include <fmt/core.h>

#include "config/device_probes.h"
#include "config/values.h"
#include "config/yaml_read.h"
#include "core/listen_address.h"

namespace lifeline::config {
namespace {

using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;
using yaml::At;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::GetBool;
using yaml::GetDuration;
using yaml::GetInt;
using yaml::GetNonEmpty;
using yaml::GetSize;
using yaml::GetString;
using yaml::GetStringList;
using yaml::HasKey;
using yaml::Join;
using yaml::Keys;
using yaml::ReadMap;
using yaml::ReadWholeFile;
using yaml::ResolvePath;
using yaml::TypeName;
using yaml::Where;

constexpr std::string_view kBundledFile = "<bundled catalog>";

bool IsProbeId(std::string_view id);

// A list item's place: named by its id ("probes[web]") when it has a usable one, else by index.
Where ItemWhere(const Where& list, std::size_t index, const YAML::Node& item) {
  if (item.IsMap()) {
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "id" && it->second.IsScalar() &&
          IsProbeId(it->second.Scalar())) {
        return list.Item(it->second.Scalar(), item.Mark());
      }
    }
  }
  return list.Item(std::to_string(index), item.Mark());
}

bool IsPlatformId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Failure domains name an operator or a shared service: "meta", "mastodon.social".
bool IsDomainName(std::string_view d) {
  if (d.empty() || d.size() > 64) return false;
  return std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

bool IsProbeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// RFC 7230 token characters.
bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// A platform id made from free text: "My Forum" -> "my_forum".
std::string SanitizeId(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "my_platform" : out;
}

Status CheckJsonPointer(std::string_view p) {
  if (p.front() != '/') {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("'{}' must start with '/' (an RFC 6901 pointer, e.g. /data/status)", p));
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) {
      return Error(
          ErrorCode::kInvalidArgument,
          fmt::format("'{}' has '~' not followed by 0 or 1 (write ~0 for '~', ~1 for '/')", p));
    }
  }
  return core::Ok();
}

const Keys kTopKeys = {"timeout",     "slow_threshold", "concurrency", "ca_file",
                       "resolv_conf", "resolvers",      "control",     "vantage_points",
                       "agent",       "platforms",      "serve",       "api",
                       "crowd",       "maintenance",    "silences"};
const Keys kPlatformKeys = {"name",        "domain",  "dns",      "probes",
                            "status_page", "enabled", "interval", "device_probes"};
const Keys kServeKeys = {"interval",        "jitter",
                         "open_after",      "open_after_confirmed",
                         "close_after",     "flapping_transitions",
                         "flapping_window", "status_page_interval",
                         "data_dir",        "database",
                         "metrics"};
const Keys kServeMetricsKeys = {"per_platform"};
const Keys kApiKeys = {"listen", "anonymous_role", "web_root", "public_url"};
const Keys kCrowdKeys = {"window", "weeks", "factor", "min_count", "floor", "method", "trim"};
const Keys kSilenceKeys = {"name", "platforms", "domains", "start", "end", "weekly"};
const Keys kWeeklyKeys = {"days", "start", "duration", "zone"};
// Response parts' sections, parsed in their own folders (config.h PartSection).
const Keys kPartKeys = {"channels", "contacts", "templates", "relay",  "alerts",
                        "plan",     "ads",      "calendar",  "listen", "inbox",
                        "store"};
// The shortest round interval: probing faster than this is load on the platforms, not insight.
constexpr std::chrono::milliseconds kMinInterval{5000};
constexpr std::chrono::milliseconds kMaxInterval{3600000};
const Keys kProbeKeys = {"id",  "enabled", "url",    "tcp",           "method",
                         "api", "headers", "expect", "max_redirects", "max_body"};
const Keys kControlKeys = {"id",     "url",           "method",   "headers",
                           "expect", "max_redirects", "max_body", "device_probes"};
const Keys kExpectKeys = {"status", "body_contains", "body_regex", "json_pointer", "json_equals"};
const Keys kSecretKeys = {"env", "file", "prefix"};
const Keys kStatusPageKeys = {"url", "kind", "window"};
const Keys kVantageKeys = {"name", "region", "url", "token_file", "ca", "insecure_http"};
const Keys kAgentKeys = {"name", "region", "max_request_bytes", "max_targets", "allow_private"};
// Keys that only make sense for an HTTP request.
const Keys kHttpOnlyKeys = {"method", "headers", "expect", "max_redirects", "max_body", "api"};

// Applies YAML documents, in order, onto one Config: later documents override earlier ones.
class Loader {
 public:
  explicit Loader(Config* config) : config_(config) {}

  Status Apply(const Doc& doc, const YAML::Node& root) {
    if (root.IsNull()) return core::Ok();  // an empty file changes nothing
    Where top{root.Mark(), ""};
    if (!root.IsMap()) {
      return Fail(doc, top,
                  fmt::format("the file must be a map of settings (e.g. 'timeout: 5s' or "
                              "'platforms:'), got {}",
                              TypeName(root)));
    }
    static const Keys kAllTopKeys = [] {
      Keys keys = kTopKeys;
      keys.insert(keys.end(), kPartKeys.begin(), kPartKeys.end());
      return keys;
    }();
    LL_ASSIGN(Fields fields, ReadMap(doc, root, top, kAllTopKeys, "settings"));
    for (const Field& f : fields.items) LL_TRY(ApplyTop(doc, f));
    return core::Ok();
  }

 private:
  Status ApplyTop(const Doc& doc, const Field& f) {
    Config& c = *config_;
    const Where& w = f.where;
    if (f.key == "timeout") {
      LL_ASSIGN(c.timeout, GetDuration(doc, f.value, w));
    } else if (f.key == "slow_threshold") {
      LL_ASSIGN(c.slow_threshold, GetDuration(doc, f.value, w));
    } else if (f.key == "concurrency") {
      LL_ASSIGN(long long n, GetInt(doc, f.value, w, 1, 100000));
      c.concurrency = static_cast<std::size_t>(n);
    } else if (f.key == "ca_file") {
      LL_ASSIGN(c.ca_file, GetReadablePath(doc, f.value, w, "a PEM file of trusted CAs"));
    } else if (f.key == "resolv_conf") {
      LL_ASSIGN(c.resolv_conf, GetReadablePath(doc, f.value, w, "a resolv.conf file"));
    } else if (f.key == "resolvers") {
      LL_ASSIGN(c.resolvers, GetStringList(doc, f.value, w, "resolver addresses",
                                           [&](const std::string& s, const Where& at) -> Status {
                                             auto ok = CheckResolver(s);
                                             if (!ok.ok())
                                               return Fail(doc, at, ok.error().message());
                                             return core::Ok();
                                           }));
    } else if (f.key == "control") {
      c.device_controls.clear();
      LL_ASSIGN(c.control, ParseControl(doc, f, &c.device_controls));
    } else if (f.key == "vantage_points") {
      LL_ASSIGN(c.vantage_points, ParseVantagePoints(doc, f));
    } else if (f.key == "agent") {
      LL_TRY(ApplyAgent(doc, f));
    } else if (f.key == "platforms") {
      if (f.value.IsNull()) return core::Ok();
      LL_ASSIGN(Fields platforms, ReadMap(doc, f.value, w, {}, "platforms by id"));
      for (const Field& p : platforms.items) LL_TRY(ApplyPlatform(doc, p));
    } else if (f.key == "serve") {
      LL_TRY(ApplyServe(doc, f));
    } else if (f.key == "api") {
      LL_TRY(ApplyApi(doc, f));
    } else if (f.key == "crowd") {
      LL_TRY(ApplyCrowd(doc, f));
    } else if (f.key == "maintenance" || f.key == "silences") {
      // Checked against the platforms once the whole file is read (platforms may come later).
      pending_silences_.push_back({doc, f});
    } else if (std::find(kPartKeys.begin(), kPartKeys.end(), f.key) != kPartKeys.end()) {
      std::erase_if(c.sections, [&](const PartSection& s) { return s.key == f.key; });
      c.sections.push_back({f.key, doc, f.where, f.value});
    }
    return core::Ok();
  }

 public:
  // After every document: silences name platforms and domains that must exist by then.
  Status Finish() {
    for (const auto& [doc, f] : pending_silences_) {
      LL_TRY(ApplySilences(doc, f,
                           f.key == "maintenance" ? watch::SilenceKind::kMaintenance
                                                  : watch::SilenceKind::kSilence));
    }
    pending_silences_.clear();
    return core::Ok();
  }

 private:
  // A watch Validate() message starts with the field it is about ("open_after must be ...");
  // point at that field's line when it was given, else at the block.
  Error FailValidation(const Doc& doc, const Fields& fields, const Where& block,
                       const std::string& message) {
    std::string_view first(message);
    first = first.substr(0, first.find(' '));
    for (const Field& g : fields.items) {
      if (g.key == first) return Fail(doc, At(g.where, g.value), message);
    }
    return Fail(doc, block, message);
  }

  Result<double> GetNumber(const Doc& doc, const YAML::Node& n, const Where& w) {
    LL_ASSIGN(std::string s, GetString(doc, n, w, "a number"));
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
      return Fail(doc, At(w, n), fmt::format("'{}' is not a number (e.g. 3 or 2.5)", s));
    }
    return v;
  }

  Result<std::chrono::milliseconds> GetInterval(const Doc& doc, const YAML::Node& n,
                                                const Where& w) {
    LL_ASSIGN(auto d, GetDuration(doc, n, w));
    if (d < kMinInterval || d > kMaxInterval) {
      return Fail(doc, At(w, n),
                  fmt::format("'{}' is out of range (from 5s to 1h: probing more often than every "
                              "5 s loads the platforms without telling more)",
                              n.Scalar()));
    }
    return d;
  }

  Status ApplyServe(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, kServeKeys, "serve settings"));
    ServeConfig& s = config_->serve;
    watch::StateMachineConfig& m = s.machine;
    for (const Field& g : fields.items) {
      if (g.key == "interval") {
        LL_ASSIGN(s.interval, GetInterval(doc, g.value, g.where));
      } else if (g.key == "jitter") {
        LL_ASSIGN(std::string text, GetString(doc, g.value, g.where, "a share such as 10%"));
        auto share = ParseShare(text, 0.5);
        if (!share.ok()) return Fail(doc, At(g.where, g.value), share.error().message());
        s.jitter = *share;
      } else if (g.key == "open_after") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 100));
        m.open_after = static_cast<int>(n);
      } else if (g.key == "open_after_confirmed") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 100));
        m.open_after_confirmed = static_cast<int>(n);
      } else if (g.key == "close_after") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 100));
        m.close_after = static_cast<int>(n);
      } else if (g.key == "flapping_transitions") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 2, 1000));
        m.flapping_transitions = static_cast<int>(n);
      } else if (g.key == "flapping_window") {
        LL_ASSIGN(auto d, GetDuration(doc, g.value, g.where));
        m.flapping_window = std::chrono::duration_cast<std::chrono::seconds>(d);
      } else if (g.key == "status_page_interval") {
        LL_ASSIGN(s.status_page_interval, GetDuration(doc, g.value, g.where));
        if (s.status_page_interval < std::chrono::seconds(10)) {
          return Fail(doc, At(g.where, g.value),
                      "must be at least 10s (status pages change slowly; polling them faster "
                      "only loads their servers)");
        }
      } else if (g.key == "data_dir") {
        LL_ASSIGN(std::string raw, GetNonEmpty(doc, g.value, g.where, "a folder for the data"));
        s.data_dir = ResolvePath(doc, raw);
      } else if (g.key == "database") {
        LL_ASSIGN(std::string raw,
                  GetNonEmpty(doc, g.value, g.where, "the path of the SQLite database file"));
        s.database = ResolvePath(doc, raw);
      } else if (g.key == "metrics") {
        LL_ASSIGN(Fields mf, ReadMap(doc, g.value, g.where, kServeMetricsKeys, "metrics settings"));
        if (const Field* pp = mf.Find("per_platform")) {
          if (pp->value.IsScalar() && pp->value.Scalar() == "auto") {
            s.metrics_per_platform.reset();
          } else {
            auto on = GetBool(doc, pp->value, pp->where);
            if (!on.ok()) {
              return Fail(doc, At(pp->where, pp->value),
                          pp->value.IsScalar()
                              ? fmt::format("'{}' is not auto, true or false", pp->value.Scalar())
                              : std::string("expected auto, true or false"));
            }
            s.metrics_per_platform = *on;
          }
        }
      }
    }
    if (auto ok = m.Validate(); !ok.ok()) {
      return FailValidation(doc, fields, f.where, ok.error().message());
    }
    return core::Ok();
  }

  Status ApplyApi(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, kApiKeys, "api settings"));
    ApiConfig& a = config_->api;
    for (const Field& g : fields.items) {
      if (g.key == "listen") {
        LL_ASSIGN(std::string text, GetNonEmpty(doc, g.value, g.where, "ADDR:PORT"));
        // The server's own parser: what loads here is what `lifeline serve` can listen on.
        if (auto ep = core::ParseListenAddress(text); !ep.ok()) {
          return Fail(doc, At(g.where, g.value), ep.error().message());
        }
        a.listen = text;
      } else if (g.key == "anonymous_role") {
        LL_ASSIGN(std::string role, GetNonEmpty(doc, g.value, g.where, "a role"));
        if (role != "none" && role != "viewer" && role != "operator") {
          return Fail(doc, At(g.where, g.value),
                      fmt::format("unknown role '{}' for requests without a token (use none, "
                                  "viewer or operator; admin needs a token)",
                                  role));
        }
        a.anonymous_role = role;
      } else if (g.key == "web_root") {
        LL_ASSIGN(std::string raw,
                  GetNonEmpty(doc, g.value, g.where, "the folder of the built dashboard"));
        a.web_root = ResolvePath(doc, raw);
      } else if (g.key == "public_url") {
        LL_ASSIGN(std::string url, GetNonEmpty(doc, g.value, g.where, "an http(s) URL"));
        const std::size_t scheme = url.rfind("https://", 0) == 0  ? 8
                                   : url.rfind("http://", 0) == 0 ? 7
                                                                  : 0;
        while (scheme > 0 && url.size() > scheme && url.back() == '/') url.pop_back();
        if (scheme == 0 || url.size() <= scheme || url[scheme] == '/' ||
            url.find_first_of(" \t\r\n") != std::string::npos) {
          return Fail(doc, At(g.where, g.value),
                      fmt::format("'{}' is not an http:// or https:// URL (e.g. "
                                  "https://lifeline.example.com)",
                                  g.value.Scalar()));
        }
        a.public_url = url;
      }
    }
    return core::Ok();
  }

  Status ApplyCrowd(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, kCrowdKeys, "crowd settings"));
    watch::CrowdConfig& c = config_->crowd;
    for (const Field& g : fields.items) {
      if (g.key == "window") {
        LL_ASSIGN(auto d, GetDuration(doc, g.value, g.where));
        if (d % std::chrono::minutes(1) != std::chrono::milliseconds(0)) {
          return Fail(doc, At(g.where, g.value), "must be whole minutes (e.g. 60m or 1h)");
        }
        c.window = std::chrono::duration_cast<std::chrono::minutes>(d);
      } else if (g.key == "weeks") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 52));
        c.weeks = static_cast<int>(n);
      } else if (g.key == "factor") {
        LL_ASSIGN(c.factor, GetNumber(doc, g.value, g.where));
      } else if (g.key == "min_count") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 1000000));
        c.min_count = static_cast<int>(n);
      } else if (g.key == "floor") {
        LL_ASSIGN(c.floor, GetNumber(doc, g.value, g.where));
      } else if (g.key == "trim") {
        LL_ASSIGN(c.trim, GetNumber(doc, g.value, g.where));
      } else if (g.key == "method") {
        LL_ASSIGN(std::string m, GetNonEmpty(doc, g.value, g.where, "median or trimmed_mean"));
        if (m == "median") {
          c.method = watch::BaselineMethod::kMedian;
        } else if (m == "trimmed_mean") {
          c.method = watch::BaselineMethod::kTrimmedMean;
        } else {
          return Fail(doc, At(g.where, g.value),
                      fmt::format("unknown method '{}' (use median or trimmed_mean)", m));
        }
      }
    }
    if (auto ok = c.Validate(); !ok.ok()) {
      return FailValidation(doc, fields, f.where, ok.error().message());
    }
    return core::Ok();
  }

  Status CheckPlatformRef(const Doc& doc, const std::string& id, const Where& at) {
    if (FindPlatform(*config_, id) != nullptr) return core::Ok();
    std::string msg = fmt::format("unknown platform id '{}'", id);
    if (auto near = SuggestPlatform(*config_, id))
      msg += fmt::format("; did you mean '{}'?", *near);
    return Fail(doc, at, msg);
  }

  Status CheckDomainRef(const Doc& doc, const std::string& domain, const Where& at) {
    std::vector<std::string> domains;
    for (const core::Platform& p : config_->platforms) {
      if (p.domain == domain) return core::Ok();
      if (std::find(domains.begin(), domains.end(), p.domain) == domains.end()) {
        domains.push_back(p.domain);
      }
    }
    std::string msg = fmt::format("unknown failure domain '{}'", domain);
    if (auto near = Closest(domain, domains)) {
      msg += fmt::format(" (did you mean '{}'?)", *near);
    } else {
      msg += fmt::format(" (known: {})", Join(domains));
    }
    return Fail(doc, at, msg);
  }

  Status ApplySilences(const Doc& doc, const Field& f, watch::SilenceKind kind) {
    if (f.value.IsNull()) return core::Ok();
    if (!f.value.IsSequence()) {
      return Fail(doc, f.where,
                  fmt::format("expected a list of windows (- name: ..., platforms: [...], start: "
                              "..., end: ...), got {}",
                              TypeName(f.value)));
    }
    for (std::size_t i = 0; i < f.value.size(); ++i) {
      const YAML::Node& item = f.value[i];
      Where iw = f.where.Item(std::to_string(i), item.Mark());
      LL_ASSIGN(
          Fields fields,
          ReadMap(doc, item, iw, kSilenceKeys,
                  kind == watch::SilenceKind::kMaintenance ? "a maintenance window" : "a silence"));
      watch::Silence s;
      s.kind = kind;
      const Field* name = fields.Find("name");
      if (name == nullptr) {
        return Fail(doc, iw, "needs a 'name' (shown on the board, e.g. name: Meta maintenance)");
      }
      LL_ASSIGN(s.name, GetNonEmpty(doc, name->value, name->where, "a name"));
      for (const watch::Silence& other : config_->silences) {
        if (other.name == s.name) {
          return Fail(doc, At(name->where, name->value),
                      fmt::format("duplicate name '{}' (maintenance windows and silences need "
                                  "distinct names)",
                                  s.name));
        }
      }
      for (const Field& g : fields.items) {
        if (g.key == "platforms") {
          LL_ASSIGN(s.platforms, GetStringList(doc, g.value, g.where, "platform ids",
                                               [&](const std::string& id, const Where& at) {
                                                 return CheckPlatformRef(doc, id, at);
                                               }));
        } else if (g.key == "domains") {
          LL_ASSIGN(s.domains, GetStringList(doc, g.value, g.where, "failure domains",
                                             [&](const std::string& d, const Where& at) {
                                               return CheckDomainRef(doc, d, at);
                                             }));
        } else if (g.key == "start" || g.key == "end") {
          LL_ASSIGN(std::string text,
                    GetNonEmpty(doc, g.value, g.where, "a time such as 2026-11-27T02:00:00Z"));
          auto t = ParseTimestamp(text);
          if (!t.ok()) return Fail(doc, At(g.where, g.value), t.error().message());
          (g.key == "start" ? s.start : s.end) = *t;
        } else if (g.key == "weekly") {
          LL_ASSIGN(s.weekly, ParseWeekly(doc, g));
        }
      }
      if (auto ok = s.Validate(); !ok.ok()) return Fail(doc, iw, ok.error().message());
      config_->silences.push_back(std::move(s));
    }
    return core::Ok();
  }

  Result<watch::WeeklyRecurrence> ParseWeekly(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields fields,
              ReadMap(doc, f.value, f.where, kWeeklyKeys,
                      "a weekly window { days: [...], start: HH:MM, duration: ... }"));
    watch::WeeklyRecurrence w;
    for (const char* required : {"days", "start", "duration"}) {
      if (fields.Find(required) == nullptr) {
        return Fail(doc, f.where,
                    fmt::format("a weekly window needs '{}' (e.g. {{ days: [tue], start: 02:00, "
                                "duration: 90m }})",
                                required));
      }
    }
    for (const Field& g : fields.items) {
      if (g.key == "days") {
        LL_ASSIGN(auto days, GetStringList(doc, g.value, g.where, "days of the week",
                                           [&](const std::string& d, const Where& at) -> Status {
                                             auto wd = ParseWeekday(d);
                                             if (!wd.ok()) {
                                               return Fail(doc, at, wd.error().message());
                                             }
                                             w.days.push_back(*wd);
                                             return core::Ok();
                                           }));
      } else if (g.key == "start") {
        LL_ASSIGN(std::string text, GetNonEmpty(doc, g.value, g.where, "a time of day HH:MM"));
        auto t = ParseTimeOfDay(text);
        if (!t.ok()) return Fail(doc, At(g.where, g.value), t.error().message());
        w.start = *t;
      } else if (g.key == "duration") {
        LL_ASSIGN(auto d, GetDuration(doc, g.value, g.where));
        if (d < std::chrono::minutes(1) ||
            d % std::chrono::minutes(1) != std::chrono::milliseconds(0)) {
          return Fail(doc, At(g.where, g.value), "must be whole minutes (e.g. 90m or 2h)");
        }
        w.duration = std::chrono::duration_cast<std::chrono::minutes>(d);
      } else if (g.key == "zone") {
        LL_ASSIGN(w.zone, GetNonEmpty(doc, g.value, g.where, "a time zone"));
        if (auto z = watch::CheckTimeZone(w.zone); !z.ok()) {
          std::string msg = z.error().message();
          if (auto near = Closest(w.zone, watch::TimeZoneNames())) {
            msg += fmt::format("; did you mean '{}'?", *near);
          }
          return Fail(doc, At(g.where, g.value), msg);
        }
      }
    }
    return w;
  }

  Result<std::string> GetReadablePath(const Doc& doc, const YAML::Node& n, const Where& w,
                                      std::string_view what) {
    LL_ASSIGN(std::string raw, GetNonEmpty(doc, n, w, fmt::format("the path of {}", what)));
    std::string path = ResolvePath(doc, raw);
    auto data = ReadWholeFile(path);
    if (!data.ok()) {
      return Fail(doc, At(w, n),
                  fmt::format("cannot read '{}': {} (give the path of {})", path,
                              data.error().message(), what));
    }
    return path;
  }

  Status ApplyAgent(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, kAgentKeys, "agent settings"));
    AgentConfig& a = config_->agent;
    for (const Field& g : fields.items) {
      if (g.key == "name") {
        LL_ASSIGN(a.name, GetNonEmpty(doc, g.value, g.where, "the agent's name"));
      } else if (g.key == "region") {
        LL_ASSIGN(a.region, GetString(doc, g.value, g.where, "a region name"));
      } else if (g.key == "max_request_bytes") {
        LL_ASSIGN(a.max_request_bytes, GetSize(doc, g.value, g.where));
      } else if (g.key == "max_targets") {
        LL_ASSIGN(long long n, GetInt(doc, g.value, g.where, 1, 1000000));
        a.max_targets = static_cast<std::size_t>(n);
      } else if (g.key == "allow_private") {
        std::vector<core::Cidr> ranges;
        LL_TRY(GetStringList(doc, g.value, g.where, "address ranges (CIDR)",
                             [&](const std::string& s, const Where& at) -> Status {
                               auto range = core::ParseCidr(s);
                               if (!range.ok()) return Fail(doc, at, range.error().message());
                               ranges.push_back(*range);
                               return core::Ok();
                             }));
        a.allow_private = std::move(ranges);
      }
    }
    return core::Ok();
  }

  Result<std::vector<core::VantagePoint>> ParseVantagePoints(const Doc& doc, const Field& f) {
    if (!f.value.IsSequence()) {
      return Fail(doc, f.where,
                  fmt::format("expected a list of vantage points (- name: ..., url: ...), got {}",
                              TypeName(f.value)));
    }
    std::vector<core::VantagePoint> out;
    std::vector<int> lines;
    for (std::size_t i = 0; i < f.value.size(); ++i) {
      const YAML::Node& item = f.value[i];
      Where iw = f.where.Item(std::to_string(i), item.Mark());
      LL_ASSIGN(Fields fields, ReadMap(doc, item, iw, kVantageKeys, "a vantage point"));
      core::VantagePoint vp;
      const Field* name = fields.Find("name");
      if (name == nullptr) {
        return Fail(doc, iw, "a vantage point needs a 'name' (e.g. name: eu-west)");
      }
      LL_ASSIGN(vp.name, GetNonEmpty(doc, name->value, name->where, "the vantage point's name"));
      for (std::size_t j = 0; j < out.size(); ++j) {
        if (out[j].name == vp.name) {
          return Fail(doc, At(name->where, name->value),
                      fmt::format("duplicate vantage point name '{}' (first at line {})", vp.name,
                                  lines[j]));
        }
      }
      const Field* url = fields.Find("url");
      if (url == nullptr) {
        return Fail(doc, iw,
                    fmt::format("vantage point '{}' needs a 'url' (the agent's base URL, e.g. "
                                "https://203.0.113.10:8089)",
                                vp.name));
      }
      LL_ASSIGN(vp.url, GetUrl(doc, url->value, url->where));
      if (const Field* region = fields.Find("region")) {
        LL_ASSIGN(vp.region, GetString(doc, region->value, region->where, "a region name"));
      }
      if (const Field* token = fields.Find("token_file")) {
        // Not read here: a missing token makes that vantage point unreachable at check time,
        // which the check reports; the rest of the config stays usable.
        LL_ASSIGN(std::string raw,
                  GetNonEmpty(doc, token->value, token->where, "the path of the token file"));
        vp.token_file = ResolvePath(doc, raw);
      }
      if (const Field* ca = fields.Find("ca")) {
        LL_ASSIGN(vp.ca_file, GetReadablePath(doc, ca->value, ca->where,
                                              "a PEM file: the agent's CA or its self-signed "
                                              "certificate"));
      }
      if (const Field* insecure = fields.Find("insecure_http")) {
        LL_ASSIGN(vp.insecure_http, GetBool(doc, insecure->value, insecure->where));
      }
      // The token and the probes travel in clear over http: only when the config says so.
      const bool https = ParseUrl(vp.url)->scheme == "https";  // GetUrl checked it
      if (!https && !vp.insecure_http) {
        return Fail(doc, At(url->where, url->value),
                    fmt::format("vantage point '{}' uses plain http: its token and answers could "
                                "be read or forged on the way. Use https:// (lifeline agent "
                                "--tls-cert/--tls-key, and ca: FILE here), or add "
                                "'insecure_http: true' to this entry on a trusted network",
                                vp.name));
      }
      if (const Field* ca = fields.Find("ca"); ca != nullptr && !https) {
        return Fail(
            doc, At(ca->where, ca->value),
            fmt::format("vantage point '{}': 'ca' applies to an https:// url only", vp.name));
      }
      out.push_back(std::move(vp));
      lines.push_back(iw.mark.line + 1);
    }
    return out;
  }

  Result<std::string> GetUrl(const Doc& doc, const YAML::Node& n, const Where& w) {
    LL_ASSIGN(std::string url, GetNonEmpty(doc, n, w, "an http:// or https:// URL"));
    auto parts = ParseUrl(url);
    if (!parts.ok()) return Fail(doc, At(w, n), parts.error().message());
    return url;
  }

  // Also collects each endpoint's `device_probes` (device_probes.h) into `device`.
  Result<std::vector<core::ProbeSpec>> ParseControl(const Doc& doc, const Field& f,
                                                    std::vector<DeviceControl>* device) {
    if (!f.value.IsSequence()) {
      return Fail(doc, f.where,
                  fmt::format("expected a list of control endpoints (- url: ...), got {}",
                              TypeName(f.value)));
    }
    if (f.value.size() == 0) {
      return Fail(doc, f.where,
                  "needs at least one endpoint (leave 'control' out to use the defaults)");
    }
    std::vector<core::ProbeSpec> out;
    std::vector<int> lines;
    for (std::size_t i = 0; i < f.value.size(); ++i) {
      const YAML::Node& item = f.value[i];
      Where iw = ItemWhere(f.where, i, item);
      LL_ASSIGN(Fields fields, ReadMap(doc, item, iw, kControlKeys, "a control endpoint"));
      std::string id;
      const Field* idf = fields.Find("id");
      if (idf != nullptr) {
        LL_ASSIGN(id, GetProbeId(doc, *idf));
      } else if (const Field* url = fields.Find("url"); url != nullptr && url->value.IsScalar()) {
        if (auto parts = ParseUrl(url->value.Scalar()); parts.ok()) id = parts->host;
      }
      LL_ASSIGN(core::ProbeSpec spec, ParseProbe(doc, fields, iw, id, /*control=*/true));
      if (const Field* dp = fields.Find("device_probes")) {
        LL_ASSIGN(std::vector<std::string> urls, ParseDeviceProbes(doc, *dp));
        if (!urls.empty()) device->push_back({spec.id, std::move(urls)});
      }
      for (std::size_t j = 0; j < out.size(); ++j) {
        if (out[j].id == spec.id) {
          return Fail(doc, iw,
                      fmt::format("duplicate control id '{}' (first at line {}; give each "
                                  "endpoint its own 'id')",
                                  spec.id, lines[j]));
        }
      }
      out.push_back(std::move(spec));
      lines.push_back(iw.mark.line + 1);
    }
    return out;
  }

  Result<std::string> GetProbeId(const Doc& doc, const Field& f) {
    LL_ASSIGN(std::string id, GetNonEmpty(doc, f.value, f.where, "a probe id such as 'web'"));
    if (!IsProbeId(id)) {
      return Fail(doc, At(f.where, f.value),
                  fmt::format("probe id '{}' may only contain letters, digits, '_', '-' and '.' "
                              "(at most 64; e.g. 'web' or 'api')",
                              id));
    }
    return id;
  }

  // A probe from its fields; `where` is the list item. Control endpoints are HTTP only.
  Result<core::ProbeSpec> ParseProbe(const Doc& doc, const Fields& fields, const Where& where,
                                     const std::string& id, bool control) {
    core::ProbeSpec spec;
    spec.id = id;
    const Field* url = fields.Find("url");
    const Field* tcp = fields.Find("tcp");
    if (url != nullptr && tcp != nullptr) {
      return Fail(doc, tcp->where, "give either 'url' or 'tcp', not both");
    }
    if (url == nullptr && tcp == nullptr) {
      return Fail(doc, where,
                  control
                      ? "a control endpoint needs a 'url' (e.g. url: https://www.wikipedia.org/)"
                      : "a probe needs 'url' (an http:// or https:// URL) or 'tcp' (HOST:PORT)");
    }
    if (tcp != nullptr) {
      for (std::string_view key : kHttpOnlyKeys) {
        if (const Field* g = fields.Find(key)) {
          return Fail(doc, g->where,
                      fmt::format("'{}' applies to url probes only; this probe has 'tcp'", key));
        }
      }
      LL_ASSIGN(std::string text, GetNonEmpty(doc, tcp->value, tcp->where, "HOST:PORT"));
      auto hp = ParseHostPort(text);
      if (!hp.ok()) return Fail(doc, At(tcp->where, tcp->value), hp.error().message());
      spec.kind = core::ProbeKind::kTcp;
      spec.host = hp->host;
      spec.port = hp->port;
      return spec;
    }
    spec.kind = core::ProbeKind::kHttp;
    LL_ASSIGN(spec.url, GetUrl(doc, url->value, url->where));
    if (const Field* g = fields.Find("method")) {
      LL_ASSIGN(std::string m, GetNonEmpty(doc, g->value, g->where, "an HTTP method"));
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      static const std::vector<std::string> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                        "PATCH", "DELETE", "OPTIONS"};
      if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end()) {
        return Fail(
            doc, At(g->where, g->value),
            fmt::format("unknown method '{}' (use one of {})", g->value.Scalar(), Join(kMethods)));
      }
      spec.method = m;
    }
    if (const Field* g = fields.Find("api")) {
      LL_ASSIGN(spec.api, GetBool(doc, g->value, g->where));
    }
    if (const Field* g = fields.Find("headers")) LL_TRY(ParseHeaders(doc, *g, &spec));
    if (const Field* g = fields.Find("expect")) LL_TRY(ParseExpect(doc, *g, &spec.expect));
    if (const Field* g = fields.Find("max_redirects")) {
      LL_ASSIGN(long long n, GetInt(doc, g->value, g->where, 0, 20));
      spec.max_redirects = static_cast<int>(n);
    }
    if (const Field* g = fields.Find("max_body")) {
      LL_ASSIGN(spec.max_body_bytes, GetSize(doc, g->value, g->where));
      if (spec.max_body_bytes > (std::size_t{256} << 20)) {
        return Fail(doc, At(g->where, g->value), "is too large (at most 256MiB)");
      }
    }
    return spec;
  }

  Status ParseExpect(const Doc& doc, const Field& f, core::HttpExpect* e) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, kExpectKeys, "expectations"));
    if (const Field* g = fields.Find("status")) {
      e->status.clear();
      auto add = [&](const YAML::Node& n, const Where& w) -> Status {
        LL_ASSIGN(long long code, GetInt(doc, n, w, 100, 599));
        e->status.push_back(static_cast<int>(code));
        return core::Ok();
      };
      if (g->value.IsSequence()) {
        if (g->value.size() == 0) {
          return Fail(doc, g->where,
                      "needs at least one status code (leave 'status' out to accept 200-399)");
        }
        for (std::size_t i = 0; i < g->value.size(); ++i) {
          LL_TRY(add(g->value[i], g->where.Item(std::to_string(i), g->value[i].Mark())));
        }
      } else {
        LL_TRY(add(g->value, g->where));
      }
    }
    if (const Field* g = fields.Find("body_contains")) {
      LL_ASSIGN(e->body_contains,
                GetStringList(doc, g->value, g->where, "texts the body must contain",
                              [](const std::string&, const Where&) { return core::Ok(); }));
    }
    if (const Field* g = fields.Find("body_regex")) {
      LL_ASSIGN(e->body_regex, GetNonEmpty(doc, g->value, g->where, "an ECMAScript regex"));
      try {
        std::regex re(e->body_regex, std::regex::ECMAScript);
      } catch (const std::regex_error& ex) {
        return Fail(doc, At(g->where, g->value),
                    fmt::format("invalid regular expression: {} (ECMAScript syntax)", ex.what()));
      }
    }
    const Field* pointer = fields.Find("json_pointer");
    if (pointer != nullptr) {
      LL_ASSIGN(e->json_pointer,
                GetNonEmpty(doc, pointer->value, pointer->where, "a JSON pointer such as /ok"));
      if (auto ok = CheckJsonPointer(e->json_pointer); !ok.ok()) {
        return Fail(doc, At(pointer->where, pointer->value), ok.error().message());
      }
    }
    if (const Field* g = fields.Find("json_equals")) {
      if (pointer == nullptr) {
        return Fail(doc, g->where, "needs 'json_pointer' to say which JSON field to compare");
      }
      if (g->value.IsNull()) {
        e->json_equals = "null";
      } else {
        LL_ASSIGN(e->json_equals, GetString(doc, g->value, g->where,
                                            "the expected value (a string, number or true/false)"));
      }
    }
    return core::Ok();
  }

  Status ParseHeaders(const Doc& doc, const Field& f, core::ProbeSpec* spec) {
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, f.where, {}, "headers (NAME: VALUE)"));
    spec->headers.clear();
    for (const Field& h : fields.items) {
      if (!IsHeaderName(h.key)) {
        return Fail(doc, h.where,
                    fmt::format("'{}' is not a valid header name (letters, digits and "
                                "!#$%&'*+-.^_`|~, e.g. Authorization)",
                                h.key));
      }
      for (const auto& [name, value] : spec->headers) {
        if (strcasecmp(name.c_str(), h.key.c_str()) == 0) {
          return Fail(doc, h.where,
                      fmt::format("header '{}' is given twice (names ignore case)", h.key));
        }
      }
      std::string value;
      std::string source = "the value";
      if (h.value.IsScalar()) {
        value = h.value.Scalar();
      } else if (h.value.IsMap()) {
        LL_ASSIGN(Fields s, ReadMap(doc, h.value, h.where, kSecretKeys, "a secret"));
        const Field* env = s.Find("env");
        const Field* file = s.Find("file");
        if ((env == nullptr) == (file == nullptr)) {
          return Fail(doc, h.where,
                      "give exactly one of 'env' (an environment variable) or 'file' (a secret "
                      "file), e.g. { env: FORUM_TOKEN, prefix: \"Bearer \" }");
        }
        std::string secret;
        if (env != nullptr) {
          LL_ASSIGN(std::string var,
                    GetNonEmpty(doc, env->value, env->where, "an environment variable name"));
          const char* v = std::getenv(var.c_str());
          if (v == nullptr) {
            return Fail(doc, h.where,
                        fmt::format("environment variable {} is not set (set it, or use "
                                    "{{ file: PATH }})",
                                    var));
          }
          if (*v == '\0') {
            return Fail(doc, h.where, fmt::format("environment variable {} is empty", var));
          }
          secret = v;
          source = fmt::format("environment variable {}", var);
        } else {
          LL_ASSIGN(std::string raw,
                    GetNonEmpty(doc, file->value, file->where, "the path of a secret file"));
          std::string path = ResolvePath(doc, raw);
          auto data = ReadWholeFile(path);
          if (!data.ok()) {
            return Fail(
                doc, h.where,
                fmt::format("cannot read secret file '{}': {}", path, data.error().message()));
          }
          secret = std::move(*data);
          // Files usually end in a newline the secret does not include.
          while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
            secret.pop_back();
          }
          if (secret.empty()) {
            return Fail(doc, h.where, fmt::format("secret file '{}' is empty", path));
          }
          source = fmt::format("secret file '{}'", path);
        }
        std::string prefix;
        if (const Field* p = s.Find("prefix")) {
          LL_ASSIGN(prefix, GetString(doc, p->value, p->where, "a prefix such as \"Bearer \""));
        }
        value = prefix + secret;
      } else {
        return Fail(doc, h.where,
                    fmt::format("expected a value, {{ env: NAME }} or {{ file: PATH }}, got {}",
                                TypeName(h.value)));
      }
      // Never echo the value: it may be a secret.
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return Fail(
            doc, h.where,
            fmt::format("{} contains a line break; a header value must be one line", source));
      }
      spec->headers.emplace_back(h.key, std::move(value));
    }
    return core::Ok();
  }

  core::Platform* Find(std::string_view id) {
    for (core::Platform& p : config_->platforms) {
      if (p.id == id) return &p;
    }
    return nullptr;
  }

  Status ApplyPlatform(const Doc& doc, const Field& f) {
    const std::string& id = f.key;
    const Where& w = f.where;
    if (!IsPlatformId(id)) {
      std::string hint;
      if (auto near = SuggestPlatform(*config_, id)) {
        hint = fmt::format("; did you mean '{}'?", *near);
      } else {
        hint = fmt::format(" (e.g. '{}')", SanitizeId(id));
      }
      return Fail(doc, w,
                  fmt::format("platform id '{}' may only contain lowercase letters, digits, '_' "
                              "and '-'{}",
                              id, hint));
    }
    core::Platform* existing = Find(id);
    if (!f.value.IsMap()) {
      return Fail(doc, w,
                  fmt::format("expected the platform's settings (a map of name, domain, dns, "
                              "probes, status_page, enabled), got {}",
                              TypeName(f.value)));
    }
    if (existing == nullptr) {
      bool has_name = HasKey(f.value, "name");
      bool has_domain = HasKey(f.value, "domain");
      if (!has_name && !has_domain) {
        // Without them this is most likely a misspelt catalog id, not a new platform.
        std::string msg =
            fmt::format("unknown platform id '{}' — a new platform needs 'name' and 'domain'", id);
        if (auto near = SuggestPlatform(*config_, id)) {
          msg += fmt::format("; did you mean '{}'?", *near);
        }
        return Fail(doc, w, msg);
      }
      if (!has_name) {
        return Fail(doc, w,
                    fmt::format("new platform '{}' also needs 'name' (its display name, e.g. "
                                "name: My Forum)",
                                id));
      }
      if (!has_domain) {
        return Fail(doc, w,
                    fmt::format("new platform '{}' also needs 'domain' (its failure domain: who "
                                "runs it, e.g. domain: self-hosted)",
                                id));
      }
    }
    LL_ASSIGN(Fields fields, ReadMap(doc, f.value, w, kPlatformKeys, "the platform's settings"));
    core::Platform p;
    if (existing != nullptr) {
      p = *existing;
    } else {
      p.id = id;
    }
    for (const Field& g : fields.items) {
      if (g.key == "name") {
        LL_ASSIGN(p.name, GetNonEmpty(doc, g.value, g.where, "a display name"));
      } else if (g.key == "domain") {
        LL_ASSIGN(p.domain, GetNonEmpty(doc, g.value, g.where, "a failure domain"));
        if (!IsDomainName(p.domain)) {
          return Fail(doc, At(g.where, g.value),
                      fmt::format("failure domain '{}' may only contain lowercase letters, "
                                  "digits, '_', '-' and '.' (e.g. 'meta' or 'self-hosted')",
                                  p.domain));
        }
      } else if (g.key == "dns") {
        LL_ASSIGN(p.dns_names,
                  GetStringList(doc, g.value, g.where, "DNS names",
                                [&](const std::string& s, const Where& at) -> Status {
                                  if (s.find("://") != std::string::npos) {
                                    return Fail(doc, at,
                                                fmt::format("'{}' is a URL; 'dns' takes host "
                                                            "names (e.g. www.example.com)",
                                                            s));
                                  }
                                  if (!IsValidHostname(s)) {
                                    return Fail(doc, at,
                                                fmt::format("'{}' is not a DNS name (e.g. "
                                                            "www.example.com)",
                                                            s));
                                  }
                                  return core::Ok();
                                }));
      } else if (g.key == "status_page") {
        LL_TRY(ParseStatusPage(doc, g, &p));
      } else if (g.key == "enabled") {
        LL_ASSIGN(p.enabled, GetBool(doc, g.value, g.where));
      } else if (g.key == "probes") {
        LL_TRY(MergeProbes(doc, g, &p));
      } else if (g.key == "device_probes") {
        LL_ASSIGN(p.device_probes, ParseDeviceProbes(doc, g));
      } else if (g.key == "interval") {
        LL_ASSIGN(auto interval, GetInterval(doc, g.value, g.where));
        auto& intervals = config_->serve.intervals;
        auto it = std::find_if(intervals.begin(), intervals.end(),
                               [&](const auto& e) { return e.first == id; });
        if (it != intervals.end()) {
          it->second = interval;
        } else {
          intervals.emplace_back(id, interval);
        }
      }
    }
    if (p.probes.empty() && p.dns_names.empty()) {
      return Fail(doc, w,
                  fmt::format("platform '{}' has nothing to check (give it 'probes' with a url "
                              "or tcp, or 'dns' names)",
                              id));
    }
    if (existing != nullptr) {
      *existing = std::move(p);
    } else {
      config_->platforms.push_back(std::move(p));
    }
    return core::Ok();
  }

  Status ParseStatusPage(const Doc& doc, const Field& g, core::Platform* p) {
    if (g.value.IsNull()) {
      p->status_page.reset();
      return core::Ok();
    }
    core::StatusPageRef ref;
    if (g.value.IsScalar()) {
      LL_ASSIGN(ref.url, GetUrl(doc, g.value, g.where));
    } else {
      LL_ASSIGN(Fields s, ReadMap(doc, g.value, g.where, kStatusPageKeys,
                                  "a status page URL or { url: ..., kind: statuspage }"));
      const Field* url = s.Find("url");
      if (url == nullptr) {
        return Fail(doc, g.where, "a status page needs a 'url' (e.g. .../api/v2/summary.json)");
      }
      LL_ASSIGN(ref.url, GetUrl(doc, url->value, url->where));
      if (const Field* kind = s.Find("kind")) {
        LL_ASSIGN(ref.kind, GetNonEmpty(doc, kind->value, kind->where, "a status page kind"));
        if (ref.kind != "statuspage" && ref.kind != "rss" && ref.kind != "atom" &&
            ref.kind != "feed") {
          return Fail(doc, At(kind->where, kind->value),
                      fmt::format("unknown status page kind '{}' (supported: statuspage, the "
                                  "Atlassian Statuspage v2 summary.json; rss, atom, or feed for "
                                  "either, an incident feed)",
                                  ref.kind));
        }
      }
      if (const Field* window = s.Find("window")) {
        if (ref.kind == "statuspage") {
          return Fail(doc, window->where,
                      "window applies only to feeds (kind rss, atom or feed): a Statuspage "
                      "summary lists its open incidents itself");
        }
        LL_ASSIGN(auto d, GetDuration(doc, window->value, window->where));
        if (d < std::chrono::minutes(1)) {
          return Fail(doc, At(window->where, window->value),
                      "must be at least 1m (how long an incident counts as active after its "
                      "latest update)");
        }
        ref.window = std::chrono::duration_cast<std::chrono::seconds>(d);
      }
    }
    p->status_page = std::move(ref);
    return core::Ok();
  }

  // Probes merge by id: a known id replaces that probe, `enabled: false` removes it, a new id is
  // appended.
  Status MergeProbes(const Doc& doc, const Field& f, core::Platform* p) {
    if (!f.value.IsSequence()) {
      return Fail(
          doc, f.where,
          fmt::format("expected a list of probes (- id: web ...), got {}", TypeName(f.value)));
    }
    std::vector<std::pair<std::string, int>> seen;  // id, line
    for (std::size_t i = 0; i < f.value.size(); ++i) {
      const YAML::Node& item = f.value[i];
      Where iw = ItemWhere(f.where, i, item);
      if (!item.IsMap()) {
        return Fail(
            doc, iw,
            fmt::format("expected a probe (a map with id and url or tcp), got {}", TypeName(item)));
      }
      LL_ASSIGN(Fields fields, ReadMap(doc, item, iw, kProbeKeys, "a probe"));
      const Field* idf = fields.Find("id");
      if (idf == nullptr) {
        return Fail(doc, iw,
                    "a probe needs an 'id' (a short name unique within the platform, e.g. "
                    "id: web)");
      }
      LL_ASSIGN(std::string id, GetProbeId(doc, *idf));
      for (const auto& [other, line] : seen) {
        if (other == id) {
          return Fail(doc, At(idf->where, idf->value),
                      fmt::format("duplicate probe id '{}' (first at line {})", id, line));
        }
      }
      seen.emplace_back(id, iw.mark.line + 1);
      bool enabled = true;
      const Field* en = fields.Find("enabled");
      if (en != nullptr) {
        LL_ASSIGN(enabled, GetBool(doc, en->value, en->where));
      }
      auto existing = std::find_if(p->probes.begin(), p->probes.end(),
                                   [&](const core::ProbeSpec& s) { return s.id == id; });
      if (!enabled) {
        bool disable_only = fields.items.size() == 2;  // just id and enabled
        if (!disable_only) {
          // Still checked, so a mistake in a parked probe surfaces now, not when re-enabled.
          LL_TRY(ParseProbe(doc, fields, iw, id, /*control=*/false));
        }
        if (existing != p->probes.end()) {
          p->probes.erase(existing);
        } else if (disable_only) {
          std::vector<std::string> ids;
          for (const core::ProbeSpec& s : p->probes) ids.push_back(s.id);
          std::string msg = fmt::format("no probe '{}' in platform '{}' to disable", id, p->id);
          if (auto near = Closest(id, ids)) {
            msg += fmt::format("; did you mean '{}'?", *near);
          } else if (!ids.empty()) {
            msg += fmt::format(" (its probes: {})", Join(ids));
          }
          return Fail(doc, At(idf->where, idf->value), msg);
        }
        continue;
      }
      LL_ASSIGN(core::ProbeSpec spec, ParseProbe(doc, fields, iw, id, /*control=*/false));
      if (existing != p->probes.end()) {
        *existing = std::move(spec);
      } else {
        p->probes.push_back(std::move(spec));
      }
    }
    return core::Ok();
  }

  Config* config_;
  std::vector<std::pair<Doc, Field>> pending_silences_;
};

Result<YAML::Node> ParseYaml(const Doc& doc, std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: invalid YAML: {}", doc.file, e.msg));
    }
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}:{}:{}: invalid YAML: {}", doc.file, e.mark.line + 1,
                             e.mark.column + 1, e.msg));
  }
}

Status ApplyText(Loader& loader, const Doc& doc, std::string_view text) {
  LL_ASSIGN(YAML::Node root, ParseYaml(doc, text));
  try {
    return loader.Apply(doc, root);
  } catch (const YAML::Exception& e) {
    // Every access above checks the node's type first; reaching here is a bug of ours.
    return Error(ErrorCode::kInternal,
                 fmt::format("{}: reading YAML failed: {}", doc.file, e.what()));
  }
}

Result<Config> LoadCatalog() {
  Config config;
  Loader loader(&config);
  LL_TRY(ApplyText(loader, Doc{std::string(kBundledFile), {}}, kBundledCatalog));
  LL_TRY(loader.Finish());
  return config;
}

void Finish(Config* config) {
  if (config->agent.name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) config->agent.name = host;
  }
}

}  // namespace

Result<Config> LoadBundled() {
  LL_ASSIGN(Config config, LoadCatalog());
  config.source = "<bundled>";
  Finish(&config);
  return config;
}

Result<Config> LoadFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) {
    return Error(text.error().code(),
                 fmt::format("{}: cannot read config file: {}", path, text.error().message()));
  }
  return LoadString(*text, path);
}

Result<Config> LoadString(std::string_view yaml, std::string_view name) {
  LL_ASSIGN(Config config, LoadCatalog());
  Loader loader(&config);
  Doc doc{std::string(name), std::filesystem::path(name).parent_path()};
  LL_TRY(ApplyText(loader, doc, yaml));
  LL_TRY(loader.Finish());
  config.source = std::string(name);
  Finish(&config);
  return config;
}

const std::vector<std::string_view>& PartSectionKeys() { return kPartKeys; }

const PartSection* Config::Section(std::string_view key) const {
  for (const PartSection& s : sections) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::chrono::milliseconds ServeConfig::IntervalOf(std::string_view platform) const {
  for (const auto& [id, d] : intervals) {
    if (id == platform) return d;
  }
  return interval;
}

std::string ServeConfig::DatabasePath() const {
  if (!database.empty()) return database;
  return (std::filesystem::path(data_dir) / "lifeline.db").lexically_normal().string();
}

const core::Platform* FindPlatform(const Config& config, std::string_view id) {
  for (const core::Platform& p : config.platforms) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::optional<std::string> SuggestPlatform(const Config& config, std::string_view id) {
  std::vector<std::string> ids;
  for (const core::Platform& p : config.platforms) ids.push_back(p.id);
  if (auto near = Closest(id, ids)) return near;
  // An old or long name of a platform: "twitter" is "X (Twitter)", "google" is in "Google
  // Business Profile".
  std::string want;
  for (char c : id) want += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (want.size() < 3) return std::nullopt;
  for (const core::Platform& p : config.platforms) {
    std::string word;
    std::string squashed;
    for (std::size_t i = 0; i <= p.name.size(); ++i) {
      unsigned char c = i < p.name.size() ? static_cast<unsigned char>(p.name[i]) : ' ';
      if (std::isalnum(c)) {
        word += static_cast<char>(std::tolower(c));
        squashed += static_cast<char>(std::tolower(c));
      } else {
        if (word == want) return p.id;
        word.clear();
      }
    }
    if (squashed == want) return p.id;
  }
  return std::nullopt;
}

}  // namespace lifeline::config
