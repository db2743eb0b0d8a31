// Reading `ads:` (config.h) with FILE:LINE: KEY errors.
#include "ads/config.h"

#include <algorithm>
#include <set>

#include <date/tz.h>
#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"

namespace lifeline::ads {
namespace {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::Where;

const yaml::Keys kTopKeys = {"dry_run", "accounts", "policies", "transfers"};
const yaml::Keys kAccountKeys = {
    "type",        "account",  "currency",    "token",   "developer_token", "login_customer_id",
    "delivers_on", "api_base", "api_version", "timeout", "time_zone"};
const yaml::Keys kPolicyKeys = {"platforms", "domains", "verdicts", "min_duration", "action",
                                "settle",    "stagger", "resume",   "accounts"};
const yaml::Keys kTransferKeys = {"from",  "campaigns",  "to",         "campaign",
                                  "share", "max_budget", "min_budget", "approval"};

std::string Suggest(std::string_view word, const std::vector<std::string>& valid) {
  if (auto near = config::Closest(word, valid)) return fmt::format("did you mean '{}'?", *near);
  if (valid.empty()) return "none are configured";
  return fmt::format("valid: {}", yaml::Join(valid));
}

Status CheckName(const Doc& doc, const Where& w, std::string_view name, std::string_view what) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
      });
  if (ok) return core::Ok();
  return Fail(doc, w,
              fmt::format("'{}' is not a valid {} name (1 to 64 letters, digits, '_', '-', '.')",
                          name, what));
}

class Reader {
 public:
  explicit Reader(const config::Config& config) : config_(config) {
    for (const auto& p : config.platforms) {
      platform_ids_.push_back(p.id);
      if (!p.domain.empty() &&
          std::find(domains_.begin(), domains_.end(), p.domain) == domains_.end()) {
        domains_.push_back(p.domain);
      }
    }
  }

  Result<AdsConfig> Read(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    out_.configured = true;
    out_.file = doc.file;
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, sec.node, sec.where, kTopKeys, "the ads guard"));
    // Accounts first: policies name them.
    for (const Field& f : fields.items) {
      if (f.key == "dry_run") {
        LL_ASSIGN(out_.dry_run, yaml::GetBool(doc, f.value, f.where));
      } else if (f.key == "accounts") {
        LL_TRY(Accounts(doc, f));
      }
    }
    for (const Field& f : fields.items) {
      if (f.key == "policies") LL_TRY(Policies(doc, f));
      if (f.key == "transfers") LL_TRY(Transfers(doc, f));
    }
    return std::move(out_);
  }

 private:
  Status Accounts(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "ad accounts"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "account"));
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, f.value, f.where, kAccountKeys, "an ad account"));
      AccountConfig a;
      a.name = f.key;
      const Field* type = fields.Find("type");
      if (type == nullptr) {
        return Fail(doc, f.where, fmt::format("type: required ({})", yaml::Join(AccountKinds())));
      }
      LL_ASSIGN(a.kind, yaml::GetNonEmpty(doc, type->value, type->where, "an ad platform"));
      const auto& kinds = AccountKinds();
      if (std::find(kinds.begin(), kinds.end(), a.kind) == kinds.end()) {
        return Fail(doc, yaml::At(type->where, type->value),
                    fmt::format("unknown ad platform '{}' ({})", a.kind, Suggest(a.kind, kinds)));
      }
      a.platforms = DefaultPlatforms(a.kind);
      bool has_token = false, has_dev = false;
      for (const Field& x : fields.items) {
        if (x.key == "account") {
          LL_ASSIGN(a.account_id, yaml::GetNonEmpty(doc, x.value, x.where, "an account id"));
          LL_TRY(CheckAccountId(doc, yaml::At(x.where, x.value), a.kind, a.account_id));
        } else if (x.key == "currency") {
          LL_ASSIGN(a.currency, yaml::GetNonEmpty(doc, x.value, x.where, "a currency code"));
          if (a.currency.size() != 3 || !std::all_of(a.currency.begin(), a.currency.end(),
                                                     [](char c) { return c >= 'A' && c <= 'Z'; })) {
            return Fail(
                doc, yaml::At(x.where, x.value),
                fmt::format("'{}' is not an ISO 4217 currency code (USD, EUR, JPY)", a.currency));
          }
        } else if (x.key == "token") {
          LL_ASSIGN(a.access_token, yaml::GetSecret(doc, x.value, x.where, false));
          has_token = true;
        } else if (x.key == "developer_token") {
          LL_ASSIGN(a.developer_token, yaml::GetSecret(doc, x.value, x.where, false));
          has_dev = true;
        } else if (x.key == "login_customer_id") {
          LL_ASSIGN(a.login_customer_id, yaml::GetNonEmpty(doc, x.value, x.where, "a customer id"));
          LL_TRY(CheckAccountId(doc, yaml::At(x.where, x.value), "google", a.login_customer_id));
        } else if (x.key == "delivers_on") {
          LL_ASSIGN(a.platforms, yaml::GetStringList(doc, x.value, x.where, "a catalog platform",
                                                     [&](const std::string& p, const Where& w) {
                                                       return CheckPlatform(doc, w, p);
                                                     }));
        } else if (x.key == "api_base") {
          LL_ASSIGN(a.api_base, yaml::GetNonEmpty(doc, x.value, x.where, "a URL"));
          if (!a.api_base.starts_with("https://") && !a.api_base.starts_with("http://")) {
            return Fail(doc, yaml::At(x.where, x.value),
                        "expected an http:// or https:// URL (the API's host, for a proxy or "
                        "an emulator)");
          }
        } else if (x.key == "time_zone") {
          LL_ASSIGN(a.time_zone, yaml::GetNonEmpty(doc, x.value, x.where, "a time zone"));
          try {
            (void)date::locate_zone(a.time_zone);
          } catch (const std::exception&) {
            return Fail(doc, yaml::At(x.where, x.value),
                        fmt::format("unknown time zone '{}' (an IANA name, as the ad platform "
                                    "shows the account's: Europe/Lisbon, America/New_York, UTC)",
                                    a.time_zone));
          }
        } else if (x.key == "api_version") {
          LL_ASSIGN(a.api_version, yaml::GetNonEmpty(doc, x.value, x.where, "an API version"));
        } else if (x.key == "timeout") {
          LL_ASSIGN(a.timeout, yaml::GetDuration(doc, x.value, x.where));
          if (a.timeout < std::chrono::seconds(1) || a.timeout > std::chrono::minutes(2)) {
            return Fail(doc, yaml::At(x.where, x.value), "expected 1s to 2m");
          }
        }
      }
      if (a.account_id.empty()) {
        return Fail(doc, f.where, fmt::format("account: required ({})", AccountHint(a.kind)));
      }
      if (a.currency.empty()) {
        return Fail(doc, f.where,
                    "currency: required (the account's currency, as its platform reports "
                    "amounts: USD, EUR, JPY)");
      }
      if (!has_token) {
        return Fail(doc, f.where,
                    "token: required ({ env: NAME } or { file: PATH } holding the access token)");
      }
      if (a.kind == "google" && !has_dev) {
        return Fail(doc, f.where,
                    "developer_token: required for Google Ads ({ env: NAME } or { file: PATH })");
      }
      if (a.kind != "google" && (has_dev || !a.login_customer_id.empty())) {
        return Fail(doc, f.where,
                    fmt::format("developer_token and login_customer_id are Google Ads keys; a {} "
                                "account takes token only",
                                a.kind));
      }
      out_.accounts.push_back(std::move(a));
    }
    return core::Ok();
  }

  static std::string AccountHint(std::string_view kind) {
    if (kind == "meta") return "the ad account id, act_ followed by digits: act_1234567890";
    if (kind == "google") return "the customer id, 10 digits, dashes allowed: 123-456-7890";
    return "the advertiser id, digits: 7012345678901234567";
  }

  Status CheckAccountId(const Doc& doc, const Where& w, std::string_view kind,
                        std::string_view id) {
    std::string digits;
    std::string_view rest = id;
    if (kind == "meta" && rest.starts_with("act_")) rest.remove_prefix(4);
    for (char c : rest) {
      if (c >= '0' && c <= '9') {
        digits += c;
      } else if (!(kind == "google" && c == '-')) {
        return Fail(doc, w,
                    fmt::format("'{}' is not a {} account id: {}", id, kind, AccountHint(kind)));
      }
    }
    if (digits.empty() || (kind == "google" && digits.size() != 10)) {
      return Fail(doc, w,
                  fmt::format("'{}' is not a {} account id: {}", id, kind, AccountHint(kind)));
    }
    return core::Ok();
  }

  Status CheckPlatform(const Doc& doc, const Where& w, const std::string& p) {
    if (std::find(platform_ids_.begin(), platform_ids_.end(), p) != platform_ids_.end()) {
      return core::Ok();
    }
    return Fail(doc, w, fmt::format("unknown platform '{}' ({})", p, Suggest(p, platform_ids_)));
  }

  Status Policies(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "guard policies"));
    std::vector<std::string> account_names;
    for (const auto& a : out_.accounts) account_names.push_back(a.name);
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "policy"));
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, f.value, f.where, kPolicyKeys, "a guard policy"));
      Policy p;
      p.name = f.key;
      p.line = static_cast<int>(f.where.mark.line) + 1;
      for (const Field& x : fields.items) {
        if (x.key == "platforms") {
          LL_ASSIGN(p.platforms, yaml::GetStringList(doc, x.value, x.where, "a catalog platform",
                                                     [&](const std::string& s, const Where& w) {
                                                       return CheckPlatform(doc, w, s);
                                                     }));
        } else if (x.key == "domains") {
          LL_ASSIGN(p.domains,
                    yaml::GetStringList(doc, x.value, x.where, "a failure domain",
                                        [&](const std::string& s, const Where& w) -> Status {
                                          if (std::find(domains_.begin(), domains_.end(), s) !=
                                              domains_.end()) {
                                            return core::Ok();
                                          }
                                          return Fail(doc, w,
                                                      fmt::format("unknown failure domain '{}' "
                                                                  "({})",
                                                                  s, Suggest(s, domains_)));
                                        }));
        } else if (x.key == "verdicts") {
          std::vector<core::Verdict> verdicts;
          auto listed = yaml::GetStringList(
              doc, x.value, x.where, "a verdict",
              [&](const std::string& s, const Where& w) -> Status {
                auto v = core::ParseVerdict(s);
                if (!v || (*v != core::Verdict::kOutage && *v != core::Verdict::kRegionalOutage &&
                           *v != core::Verdict::kDegraded)) {
                  return Fail(doc, w,
                              fmt::format("'{}' never opens an incident: "
                                          "outage, regional_outage or "
                                          "degraded",
                                          s));
                }
                verdicts.push_back(*v);
                return core::Ok();
              });
          if (!listed.ok()) return listed.error();
          p.verdicts = std::move(verdicts);
        } else if (x.key == "min_duration") {
          LL_ASSIGN(p.min_duration, yaml::GetDuration(doc, x.value, x.where));
          if (p.min_duration > std::chrono::hours(24)) {
            return Fail(doc, yaml::At(x.where, x.value), "expected at most 24h");
          }
        } else if (x.key == "settle") {
          LL_ASSIGN(p.settle, yaml::GetDuration(doc, x.value, x.where));
          if (p.settle > std::chrono::hours(72)) {
            return Fail(doc, yaml::At(x.where, x.value), "expected at most 72h");
          }
        } else if (x.key == "stagger") {
          LL_ASSIGN(p.stagger, yaml::GetDuration(doc, x.value, x.where));
          if (p.stagger > std::chrono::hours(1)) {
            return Fail(doc, yaml::At(x.where, x.value), "expected at most 1h between campaigns");
          }
        } else if (x.key == "action") {
          LL_ASSIGN(std::string a, yaml::GetNonEmpty(doc, x.value, x.where, "an action"));
          if (a == "pause") {
            p.action = Action::kPause;
          } else if (a == "ask") {
            p.action = Action::kAsk;
          } else if (a == "none") {
            p.action = Action::kNone;
          } else {
            return Fail(
                doc, yaml::At(x.where, x.value),
                fmt::format("unknown action '{}' ({})", a, Suggest(a, {"pause", "ask", "none"})));
          }
        } else if (x.key == "resume") {
          LL_ASSIGN(std::string r, yaml::GetNonEmpty(doc, x.value, x.where, "a resume mode"));
          if (r == "auto") {
            p.resume = Resume::kAuto;
          } else if (r == "manual") {
            p.resume = Resume::kManual;
          } else {
            return Fail(
                doc, yaml::At(x.where, x.value),
                fmt::format("unknown resume mode '{}' ({})", r, Suggest(r, {"auto", "manual"})));
          }
        } else if (x.key == "accounts") {
          LL_ASSIGN(p.accounts,
                    yaml::GetStringList(doc, x.value, x.where, "an ad account",
                                        [&](const std::string& s, const Where& w) -> Status {
                                          if (out_.FindAccount(s) != nullptr) return core::Ok();
                                          return Fail(doc, w,
                                                      fmt::format("unknown ad account '{}' ({})", s,
                                                                  Suggest(s, account_names)));
                                        }));
        }
      }
      if (p.platforms.empty() && p.domains.empty()) {
        return Fail(doc, f.where,
                    "give platforms: or domains: (which incidents this policy answers)");
      }
      if (p.action == Action::kAsk && config_.Section("plan") == nullptr) {
        return Fail(doc, f.where,
                    "action: ask needs the contingency plan (plan:): the approval is a plan "
                    "step; add a response with approve: { role: ads_owner, ... } followed by "
                    "pause: ads, or use action: pause");
      }
      out_.policies.push_back(std::move(p));
    }
    return core::Ok();
  }

  Status Transfers(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "budget transfers"));
    std::vector<std::string> account_names;
    for (const auto& a : out_.accounts) account_names.push_back(a.name);
    auto account = [&](const Field& x, std::string* name) -> Status {
      LL_ASSIGN(*name, yaml::GetNonEmpty(doc, x.value, x.where, "an ad account"));
      if (out_.FindAccount(*name) != nullptr) return core::Ok();
      return Fail(
          doc, yaml::At(x.where, x.value),
          fmt::format("unknown ad account '{}' ({})", *name, Suggest(*name, account_names)));
    };
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "transfer"));
      LL_ASSIGN(Fields fields,
                yaml::ReadMap(doc, f.value, f.where, kTransferKeys, "a budget transfer"));
      Transfer t;
      t.name = f.key;
      t.line = static_cast<int>(f.where.mark.line) + 1;
      const Field* max_field = nullptr;
      const Field* min_field = nullptr;
      for (const Field& x : fields.items) {
        if (x.key == "from") {
          LL_TRY(account(x, &t.from));
        } else if (x.key == "to") {
          LL_TRY(account(x, &t.to));
        } else if (x.key == "campaigns") {
          LL_ASSIGN(t.campaigns, yaml::GetStringList(
                                     doc, x.value, x.where, "a campaign id",
                                     [](const std::string&, const Where&) { return core::Ok(); }));
          if (t.campaigns.empty()) {
            return Fail(doc, yaml::At(x.where, x.value),
                        "expected at least one campaign id (the urgent campaigns)");
          }
        } else if (x.key == "campaign") {
          LL_ASSIGN(t.campaign, yaml::GetNonEmpty(doc, x.value, x.where, "a campaign id"));
        } else if (x.key == "share") {
          LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x.value, x.where, "a percentage"));
          if (v.ends_with('%')) v.pop_back();
          int pct = 0;
          const bool digits =
              !v.empty() && v.size() <= 3 &&
              std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
          if (digits) pct = std::stoi(v);
          if (!digits || pct < 1 || pct > 100) {
            return Fail(doc, yaml::At(x.where, x.value),
                        "expected a whole percentage from 1% to 100% (of the paused campaigns' "
                        "daily budgets)");
          }
          t.share_percent = pct;
        } else if (x.key == "max_budget") {
          max_field = &x;
        } else if (x.key == "min_budget") {
          min_field = &x;
        } else if (x.key == "approval") {
          LL_ASSIGN(std::string a, yaml::GetNonEmpty(doc, x.value, x.where, "required or none"));
          if (a == "required") {
            t.needs_approval = true;
          } else if (a == "none") {
            t.needs_approval = false;
          } else {
            return Fail(
                doc, yaml::At(x.where, x.value),
                fmt::format("unknown approval '{}' ({})", a, Suggest(a, {"required", "none"})));
          }
        }
      }
      for (const char* key : {"from", "campaigns", "to", "campaign"}) {
        if (fields.Find(key) == nullptr) {
          return Fail(doc, f.where, fmt::format("{}: required", key));
        }
      }
      const AccountConfig* from = out_.FindAccount(t.from);
      const AccountConfig* to = out_.FindAccount(t.to);
      if (t.from == t.to) {
        return Fail(doc, fields.Find("to")->where,
                    "a transfer moves budget to another platform's account, not within " + t.from);
      }
      if (from->currency != to->currency) {
        return Fail(doc, fields.Find("to")->where,
                    fmt::format("{} pays in {} and {} in {}: a transfer moves money within one "
                                "currency",
                                from->name, from->currency, to->name, to->currency));
      }
      auto amount = [&](const Field* x, std::optional<Money>* out) -> Status {
        if (x == nullptr) return core::Ok();
        LL_ASSIGN(std::string v, yaml::GetNonEmpty(doc, x->value, x->where, "an amount"));
        auto m = FromDecimal(to->currency, v);
        if (!m.ok() || m->micros <= 0) {
          return Fail(doc, yaml::At(x->where, x->value),
                      fmt::format("'{}' is not an amount of {} above zero (a decimal: 250 or "
                                  "99.50)",
                                  v, to->currency));
        }
        *out = *m;
        return core::Ok();
      };
      LL_TRY(amount(max_field, &t.max_budget));
      LL_TRY(amount(min_field, &t.min_budget));
      if (t.max_budget && t.min_budget && t.min_budget->micros > t.max_budget->micros) {
        return Fail(doc, min_field->where, "min_budget is above max_budget");
      }
      for (const Transfer& other : out_.transfers) {
        if (other.from != t.from) continue;
        for (const auto& c : t.campaigns) {
          if (std::find(other.campaigns.begin(), other.campaigns.end(), c) !=
              other.campaigns.end()) {
            return Fail(doc, fields.Find("campaigns")->where,
                        fmt::format("campaign {} of {} is already urgent in transfer {} (line "
                                    "{}): one campaign's budget moves once",
                                    c, t.from, other.name, other.line));
          }
        }
      }
      out_.transfers.push_back(std::move(t));
    }
    return core::Ok();
  }

  const config::Config& config_;
  std::vector<std::string> platform_ids_;
  std::vector<std::string> domains_;
  AdsConfig out_;
};

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kPause:
      return "pause";
    case Action::kAsk:
      return "ask";
    case Action::kNone:
      return "none";
  }
  return "pause";
}

std::string_view ResumeName(Resume r) { return r == Resume::kAuto ? "auto" : "manual"; }

const AccountConfig* AdsConfig::FindAccount(std::string_view name) const {
  for (const auto& a : accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Transfer* AdsConfig::FindTransfer(std::string_view name) const {
  for (const auto& t : transfers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<AdsConfig> LoadAdsConfig(const config::Config& config) {
  const config::PartSection* sec = config.Section("ads");
  if (sec == nullptr) return AdsConfig{};
  Reader r(config);
  return r.Read(*sec);
}

bool PolicyMatches(const Policy& p, const std::vector<std::string>& failed,
                   const std::string& domain, core::Verdict verdict) {
  if (std::find(p.verdicts.begin(), p.verdicts.end(), verdict) == p.verdicts.end()) return false;
  if (!domain.empty() && std::find(p.domains.begin(), p.domains.end(), domain) != p.domains.end()) {
    return true;
  }
  for (const auto& id : failed) {
    if (std::find(p.platforms.begin(), p.platforms.end(), id) != p.platforms.end()) return true;
  }
  return false;
}

}  // namespace lifeline::ads
