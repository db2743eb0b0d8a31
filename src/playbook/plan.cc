// Reading the contingency plan (plan.h) from YAML with FILE:LINE: KEY errors, and the model's
// lookups: working hours, escalation levels, triggers, who a message reaches, what survives.
#include "playbook/plan.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <set>

#include <date/tz.h>
#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"
#include "playbook/check.h"
#include "watch/silence.h"

namespace lifeline::playbook {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::Where;

// ---- the model ----

std::string DurationText(Duration d) {
  const long long ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string Place::ToString() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}", line);
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  return out;
}

const Place& Source::Of(std::string_view key) const {
  for (const auto& [k, p] : keys) {
    if (k == key) return p;
  }
  return at;
}

std::string Finding::ToString() const {
  std::string where = place.ToString();
  return where.empty() ? message : where + ": " + message;
}

namespace {

bool IsUtc(std::string_view zone) { return zone == "UTC" || zone == "Etc/UTC"; }

// date/tz.h throws for an unknown zone or an unreadable database; nothing leaves this file.
const date::time_zone* FindZone(std::string_view zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool HasDay(const std::vector<std::chrono::weekday>& days, std::chrono::weekday d) {
  return std::find(days.begin(), days.end(), d) != days.end();
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

bool WorkingHours::At(TimePoint t) const {
  using std::chrono::days;
  using std::chrono::minutes;
  // Local wall-clock time: the instant converted into the zone (never a local time back to UTC,
  // so the hour skipped in spring and the hour repeated in autumn need no rule of their own).
  std::chrono::sys_days day_sys;
  minutes tod{0};
  if (IsUtc(zone)) {
    day_sys = std::chrono::floor<days>(t);
    tod = std::chrono::floor<minutes>(t - day_sys);
  } else {
    const date::time_zone* tz = FindZone(zone);
    if (tz == nullptr) return true;
    const auto local = tz->to_local(t);
    const auto local_day = std::chrono::floor<days>(local);
    day_sys = std::chrono::sys_days(local_day.time_since_epoch());
    tod = std::chrono::floor<minutes>(local - local_day);
  }
  const std::chrono::weekday today(day_sys);
  const std::chrono::weekday yesterday = today - days(1);
  for (const WorkWindow& w : windows) {
    if (w.from < w.to) {
      if (HasDay(w.days, today) && tod >= w.from && tod < w.to) return true;
    } else {
      // Past midnight: the evening part on a listed day, the morning part the day after one.
      if (HasDay(w.days, today) && tod >= w.from) return true;
      if (HasDay(w.days, yesterday) && tod < w.to) return true;
    }
  }
  return false;
}

std::optional<TimePoint> WorkingHours::NextOpen(TimePoint t) const {
  auto m = std::chrono::ceil<std::chrono::minutes>(t);
  for (int i = 0; i <= 8 * 24 * 60; ++i, m += std::chrono::minutes(1)) {
    if (At(m)) return TimePoint(m);
  }
  return std::nullopt;
}

std::string WorkingHours::LocalText(TimePoint t) const {
  static constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
  std::chrono::sys_days day_sys;
  std::chrono::minutes tod{0};
  const date::time_zone* tz = IsUtc(zone) ? nullptr : FindZone(zone);
  if (tz == nullptr) {
    day_sys = std::chrono::floor<std::chrono::days>(t);
    tod = std::chrono::floor<std::chrono::minutes>(t - day_sys);
  } else {
    const auto local = tz->to_local(t);
    const auto local_day = std::chrono::floor<std::chrono::days>(local);
    day_sys = std::chrono::sys_days(local_day.time_since_epoch());
    tod = std::chrono::floor<std::chrono::minutes>(local - local_day);
  }
  const std::chrono::weekday wd(day_sys);
  return fmt::format("{} {:02}:{:02} ({})", kDays[wd.c_encoding()], tod.count() / 60,
                     tod.count() % 60, tz == nullptr ? "UTC" : zone);
}

bool Person::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::optional<Target> EscalationPolicy::Level(int level) const {
  if (level < 0 || level >= Levels() || to.empty()) return std::nullopt;
  return to[static_cast<std::size_t>(level) % to.size()];
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kMinor:
      return "minor";
    case Severity::kMajor:
      return "major";
    case Severity::kCritical:
      return "critical";
  }
  return "major";
}

std::string_view OnErrorActionName(OnError::Action a) {
  switch (a) {
    case OnError::Action::kContinue:
      return "continue";
    case OnError::Action::kRetry:
      return "retry";
    case OnError::Action::kStop:
      return "stop";
    case OnError::Action::kEscalate:
      return "escalate";
  }
  return "continue";
}

std::string_view OnTimeoutName(ApproveStep::OnTimeout t) {
  switch (t) {
    case ApproveStep::OnTimeout::kEscalate:
      return "escalate";
    case ApproveStep::OnTimeout::kContinue:
      return "continue";
    case ApproveStep::OnTimeout::kStop:
      return "stop";
  }
  return "escalate";
}

std::string_view StepKindName(StepKind k) {
  switch (k) {
    case StepKind::kNotify:
      return "notify";
    case StepKind::kPost:
      return "post";
    case StepKind::kMoveConversations:
      return "move_conversations";
    case StepKind::kPause:
      return "pause";
    case StepKind::kWait:
      return "wait";
    case StepKind::kApprove:
      return "approve";
    case StepKind::kTask:
      return "task";
    case StepKind::kParallel:
      return "parallel";
  }
  return "notify";
}

bool Trigger::Matches(
    const Failure& failure,
    const std::map<std::string, std::string, std::less<>>& platform_domains) const {
  if (!Contains(verdicts, failure.verdict)) return false;
  auto domain_of = [&](std::string_view platform) -> std::string_view {
    auto it = platform_domains.find(platform);
    return it == platform_domains.end() ? std::string_view() : std::string_view(it->second);
  };
  auto listed_domain = [&](std::string_view d) {
    return !d.empty() && std::find(domains.begin(), domains.end(), d) != domains.end();
  };
  for (const std::string& p : failure.platforms) {
    if (Contains(platforms, p) || listed_domain(domain_of(p))) return true;
  }
  if (listed_domain(failure.domain)) return true;
  if (failure.domain_wide && !failure.domain.empty()) {
    for (const std::string& p : platforms) {
      if (domain_of(p) == failure.domain) return true;
    }
  }
  return false;
}

namespace {

const Step* FindIn(const std::vector<Step>& steps, std::string_view id) {
  for (const Step& s : steps) {
    if (s.id == id) return &s;
    if (const auto* group = std::get_if<ParallelStep>(&s.body)) {
      if (const Step* inner = FindIn(group->steps, id)) return inner;
    }
  }
  return nullptr;
}

template <typename T, typename Key>
const T* FindBy(const std::vector<T>& items, std::string_view name, Key key) {
  for (const T& item : items) {
    if (item.*key == name) return &item;
  }
  return nullptr;
}

}  // namespace

const Step* Response::FindStep(std::string_view id) const { return FindIn(steps, id); }

const Role* Plan::FindRole(std::string_view name) const { return FindBy(roles, name, &Role::name); }
const Person* Plan::FindPerson(std::string_view id) const { return FindBy(team, id, &Person::id); }
const InventoryChannel* Plan::FindInventory(std::string_view id) const {
  return FindBy(inventory, id, &InventoryChannel::id);
}
const EscalationPolicy* Plan::FindPolicy(std::string_view name) const {
  return FindBy(escalation, name, &EscalationPolicy::name);
}
const Response* Plan::FindResponse(std::string_view name) const {
  return FindBy(responses, name, &Response::name);
}

std::vector<const Person*> Plan::Holders(std::string_view role) const {
  std::vector<const Person*> out;
  for (const Person& p : team) {
    if (p.HasRole(role)) out.push_back(&p);
  }
  return out;
}

std::vector<const Person*> Plan::Reach(const Target& target, TimePoint at) const {
  std::vector<const Person*> all;
  if (target.kind == Target::Kind::kPerson) {
    if (const Person* p = FindPerson(target.name)) all.push_back(p);
  } else {
    all = Holders(target.name);
  }
  if (all.empty()) return all;  // nobody to stand in for
  auto working = [&](const std::vector<const Person*>& people) {
    std::vector<const Person*> out;
    for (const Person* p : people) {
      if (p->WorkingAt(at)) out.push_back(p);
    }
    return out;
  };
  if (auto w = working(all); !w.empty()) return w;
  if (!on_call.empty()) {
    if (auto w = working(Holders(on_call)); !w.empty()) return w;
  }
  return all;
}

std::vector<const Response*> Plan::Responding(const Failure& failure) const {
  std::vector<const Response*> out;
  for (const Response& r : responses) {
    if (r.trigger.Matches(failure, platform_domains)) out.push_back(&r);
  }
  return out;
}

bool Plan::Fails(const InventoryChannel& channel, const Failure& failure) const {
  if (!channel.platform.empty() && Contains(failure.platforms, channel.platform)) return true;
  return failure.domain_wide && !failure.domain.empty() && channel.domain == failure.domain;
}

std::vector<const InventoryChannel*> Plan::Surviving(const Failure& failure) const {
  std::vector<const InventoryChannel*> out;
  for (const InventoryChannel& c : inventory) {
    if (!c.channel.empty() && !Fails(c, failure)) out.push_back(&c);
  }
  return out;
}

// ---- reading ----

namespace {

const yaml::Keys kPlanKeys = {"name",      "on_call",    "roles",     "team",
                              "inventory", "escalation", "responses", "drill"};
const yaml::Keys kDrillKeys = {"audience"};
const yaml::Keys kPersonKeys = {"name", "contact", "roles", "hours"};
const yaml::Keys kHoursKeys = {"zone", "days", "from", "to", "windows"};
const yaml::Keys kWindowKeys = {"days", "from", "to"};
const yaml::Keys kInventoryKeys = {"name",     "platform", "channel", "domain",
                                   "audience", "primary",  "backup",  "link"};
const yaml::Keys kPolicyKeys = {"after", "to", "repeat"};
const yaml::Keys kResponseKeys = {"description", "trigger", "escalation", "steps",
                                  "after_restoration"};
const yaml::Keys kTriggerKeys = {"platforms", "domains", "verdicts", "for", "severity"};
const yaml::Keys kStepKinds = {
    "notify", "post", "move_conversations", "pause", "wait", "approve", "task", "parallel"};
const yaml::Keys kStepCommonKeys = {"id", "on_error"};
const yaml::Keys kOnErrorKeys = {"retry", "every", "then", "escalate", "escalation"};
const yaml::Keys kNotifyKeys = {"to", "template", "text", "subject", "escalation"};
const yaml::Keys kPostKeys = {"template", "text", "subject", "on"};
const yaml::Keys kMoveKeys = {"to", "on_restoration"};
const yaml::Keys kApproveKeys = {"role", "what", "timeout", "on_timeout", "escalation"};
const yaml::Keys kTaskKeys = {"title", "role", "escalation"};
const yaml::Keys kAfterKeys = {"checklist", "monitor"};
const yaml::Keys kChecklistKeys = {"id", "title", "role", "escalation"};
const yaml::Keys kMonitorKeys = {"window", "probe_interval"};
constexpr std::string_view kSurviving = "surviving";
constexpr std::size_t kMaxIdChars = 48;

Place PlaceOf(const Doc& doc, const Where& w) {
  return Place{doc.file, w.mark.line >= 0 ? w.mark.line + 1 : 0, w.path};
}

std::vector<std::string> Strings(const yaml::Keys& keys) {
  return std::vector<std::string>(keys.begin(), keys.end());
}

Status CheckName(const Doc& doc, const Where& w, std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok) {
    return Fail(doc, w,
                fmt::format("'{}' is not a valid {} name (1 to 64 letters, digits, '_', '-' or "
                            "'.')",
                            name, what));
  }
  return core::Ok();
}

// "Reply to the top complaints!" -> "reply-to-the-top-complaints": what generated ids are made of.
std::string Slug(std::string_view text) {
  std::string out;
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    if (std::isalnum(c) || c == '_') {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > kMaxIdChars) out.resize(kMaxIdChars);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// "mon", "mon-fri", "fri-mon" (wraps), "mon,wed,fri", "every day"/"daily".
Result<std::vector<std::chrono::weekday>> ParseDays(std::string_view text) {
  using std::chrono::weekday;
  std::vector<weekday> out;
  auto add = [&](weekday d) {
    if (!HasDay(out, d)) out.push_back(d);
  };
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "every day" || lower == "daily" || lower == "all") {
    for (unsigned d = 0; d < 7; ++d) add(weekday(d));
    return out;
  }
  std::string_view rest = lower;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto dash = part.find('-');
    auto first = config::ParseWeekday(part.substr(0, dash));
    if (!first.ok()) return first.error();
    if (dash == std::string_view::npos) {
      add(*first);
      continue;
    }
    auto last = config::ParseWeekday(part.substr(dash + 1));
    if (!last.ok()) return last.error();
    for (weekday d = *first;; d += std::chrono::days(1)) {
      add(d);
      if (d == *last) break;
    }
  }
  if (out.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "no day given (write e.g. mon-fri, sat-sun or mon,wed,fri)");
  }
  return out;
}

// ---- working hours (a person's, the inbox's business hours) ----

Result<std::chrono::minutes> TimeOfDay(const Doc& doc, const Field& f, bool end) {
  LL_ASSIGN(std::string s, yaml::GetNonEmpty(doc, f.value, f.where, "a time of day (HH:MM)"));
  if (end && (s == "24:00" || s == "24:00:00")) return std::chrono::minutes(24 * 60);
  auto t = config::ParseTimeOfDay(s);
  if (!t.ok()) return Fail(doc, yaml::At(f.where, f.value), t.error().message());
  if (end && *t == std::chrono::minutes(0)) return std::chrono::minutes(24 * 60);
  return *t;
}

Result<WorkWindow> Window(const Doc& doc, const Fields& fields, const Where& where) {
  WorkWindow w;
  if (const Field* d = fields.Find("days")) {
    LL_TRY(yaml::GetStringList(doc, d->value, d->where, "days (mon-fri, sat, ...)",
                               [&](const std::string& s, const Where& at) -> Status {
                                 auto days = ParseDays(s);
                                 if (!days.ok()) return Fail(doc, at, days.error().message());
                                 for (auto day : *days) {
                                   if (!HasDay(w.days, day)) w.days.push_back(day);
                                 }
                                 return core::Ok();
                               }));
  } else {
    for (unsigned d = 0; d < 7; ++d) w.days.emplace_back(d);
  }
  const Field* from = fields.Find("from");
  const Field* to = fields.Find("to");
  if ((from == nullptr) != (to == nullptr)) {
    return Fail(doc, where,
                "give both from: and to: (e.g. from: \"09:00\", to: \"18:00\"), or neither for "
                "whole days");
  }
  if (from != nullptr) {
    LL_ASSIGN(w.from, TimeOfDay(doc, *from, false));
    LL_ASSIGN(w.to, TimeOfDay(doc, *to, true));
    if (w.from == w.to) {
      return Fail(doc, yaml::At(to->where, to->value),
                  "from and to are the same time: leave both out for whole days");
    }
  }
  return w;
}

Result<WorkingHours> Hours(const Doc& doc, const Field& f) {
  LL_ASSIGN(Fields hf, yaml::ReadMap(doc, f.value, f.where, kHoursKeys,
                                     "working hours ({ zone: Europe/Lisbon, days: mon-fri, "
                                     "from: \"09:00\", to: \"18:00\" })"));
  WorkingHours h;
  const Field* zone = hf.Find("zone");
  if (zone == nullptr) {
    return Fail(doc, f.where,
                "missing zone: the time zone these hours are in (an IANA name such as "
                "Europe/Lisbon or America/New_York)");
  }
  LL_ASSIGN(h.zone, yaml::GetNonEmpty(doc, zone->value, zone->where, "a time zone"));
  if (auto z = watch::CheckTimeZone(h.zone); !z.ok()) {
    std::string msg = z.error().message();
    if (auto near = config::Closest(h.zone, watch::TimeZoneNames())) {
      msg = fmt::format("unknown time zone '{}' (did you mean '{}'?)", h.zone, *near);
    }
    return Fail(doc, yaml::At(zone->where, zone->value), msg);
  }
  const Field* windows = hf.Find("windows");
  if (windows != nullptr) {
    for (const Field& x : hf.items) {
      if (x.key == "days" || x.key == "from" || x.key == "to") {
        return Fail(doc, x.where,
                    "with windows:, give days, from and to in each window, not beside it");
      }
    }
    if (!windows->value.IsSequence() || windows->value.size() == 0) {
      return Fail(doc, windows->where,
                  "expected a non-empty list of { days: ..., from: HH:MM, to: HH:MM }");
    }
    for (std::size_t i = 0; i < windows->value.size(); ++i) {
      const YAML::Node item = windows->value[i];
      Where iw = windows->where.Item(std::to_string(i), item.Mark());
      LL_ASSIGN(Fields wf, yaml::ReadMap(doc, item, iw, kWindowKeys,
                                         "a window ({ days: mon-fri, from: \"09:00\", to: "
                                         "\"18:00\" })"));
      LL_ASSIGN(WorkWindow w, Window(doc, wf, iw));
      h.windows.push_back(std::move(w));
    }
  } else {
    LL_ASSIGN(WorkWindow w, Window(doc, hf, f.where));
    h.windows.push_back(std::move(w));
  }
  return h;
}

class Reader {
 public:
  Reader(const config::Config& config, const channels::RelaySetup& relay)
      : config_(config), relay_(relay) {}

  Result<Plan> Read(const Doc& doc, const YAML::Node& node, const Where& where) {
    plan_.platform_domains = relay_.platform_domains;
    for (const core::Platform& p : config_.platforms) plan_.platform_domains[p.id] = p.domain;
    plan_.source.at = PlaceOf(doc, where);
    if (!node.IsMap() || node.size() == 0) {
      return Fail(doc, where,
                  fmt::format("expected the plan (roles, team, inventory, escalation, responses), "
                              "got {}",
                              node.IsMap() ? "an empty map" : yaml::TypeName(node)));
    }
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, node, where, kPlanKeys, "the plan"));
    for (const Field& f : fields.items)
      plan_.source.keys.emplace_back(f.key, PlaceOf(doc, f.where));
    if (const Field* f = fields.Find("name")) {
      LL_ASSIGN(plan_.name, yaml::GetNonEmpty(doc, f->value, f->where, "the plan's name"));
    }
    // In dependency order whatever the file's order: targets resolve against roles and team.
    if (const Field* f = fields.Find("roles")) LL_TRY(Roles(doc, *f));
    if (const Field* f = fields.Find("on_call")) {
      LL_ASSIGN(plan_.on_call, yaml::GetNonEmpty(doc, f->value, f->where, "a role name"));
      plan_.source.keys.emplace_back("on_call", PlaceOf(doc, yaml::At(f->where, f->value)));
    } else if (plan_.FindRole("on_call") != nullptr) {
      plan_.on_call = "on_call";
    }
    if (const Field* f = fields.Find("team")) LL_TRY(Team(doc, *f));
    if (const Field* f = fields.Find("inventory")) LL_TRY(Inventory(doc, *f));
    if (const Field* f = fields.Find("escalation")) LL_TRY(Policies(doc, *f));
    if (const Field* f = fields.Find("responses")) LL_TRY(Responses(doc, *f));
    if (const Field* f = fields.Find("drill")) LL_TRY(Drill(doc, *f));
    return std::move(plan_);
  }

 private:
  // ---- small readers ----

  static void Note(Source& s, std::string key, const Doc& doc, const Where& w) {
    s.keys.emplace_back(std::move(key), PlaceOf(doc, w));
  }

  Result<std::string> Name(const Doc& doc, const Field& f, std::string_view what) {
    LL_ASSIGN(std::string s, yaml::GetNonEmpty(doc, f.value, f.where, what));
    return s;
  }

  // A single value or a list; each item's place noted as KEY[i] (KEY alone for a single value).
  Result<std::vector<std::string>> NamedList(const Doc& doc, const Field& f, std::string_view what,
                                             Source& source) {
    std::vector<std::string> out;
    std::size_t i = 0;
    LL_ASSIGN(out,
              yaml::GetStringList(
                  doc, f.value, f.where, what, [&](const std::string&, const Where& w) -> Status {
                    Note(source, f.value.IsSequence() ? fmt::format("{}[{}]", f.key, i++) : f.key,
                         doc, w);
                    return core::Ok();
                  }));
    if (out.empty()) return Fail(doc, f.where, fmt::format("expected at least one {}", what));
    return out;
  }

  Target ToTarget(const std::string& name) const {
    if (plan_.FindRole(name) == nullptr && plan_.FindPerson(name) != nullptr) {
      return Target{Target::Kind::kPerson, name};
    }
    return Target{Target::Kind::kRole, name};  // CheckPlan names an unknown one
  }

  Result<std::vector<Target>> Targets(const Doc& doc, const Field& f, Source& source) {
    LL_ASSIGN(auto names, NamedList(doc, f, "a role or a person of the team", source));
    std::vector<Target> out;
    for (const std::string& n : names) out.push_back(ToTarget(n));
    return out;
  }

  // ---- roles ----

  Status Roles(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {},
                                        "roles (NAME: a description, or NAME: { description: "
                                        "TEXT })"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "role"));
      Role r;
      r.name = f.key;
      r.source.at = PlaceOf(doc, f.where);
      if (f.value.IsScalar()) {
        r.description = f.value.Scalar();
      } else if (f.value.IsMap()) {
        LL_ASSIGN(Fields rf, yaml::ReadMap(doc, f.value, f.where, {"description"}, "a role"));
        if (const Field* d = rf.Find("description")) {
          LL_ASSIGN(r.description, yaml::GetString(doc, d->value, d->where, "a description"));
        }
      } else if (!f.value.IsNull()) {
        return Fail(doc, f.where,
                    fmt::format("expected a description or {{ description: TEXT }}, got {}",
                                yaml::TypeName(f.value)));
      }
      plan_.roles.push_back(std::move(r));
    }
    return core::Ok();
  }

  // ---- team ----

  Status Team(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all,
              yaml::ReadMap(doc, section.value, section.where, {},
                            "the team (ID: { contact: CONTACT, roles: [ROLE], hours: ... })"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "person"));
      LL_ASSIGN(Fields pf, yaml::ReadMap(doc, f.value, f.where, kPersonKeys,
                                         "a person (contact, roles, hours, name)"));
      Person p;
      p.id = f.key;
      p.contact = f.key;
      p.source.at = PlaceOf(doc, f.where);
      if (const Field* c = pf.Find("contact")) {
        LL_ASSIGN(p.contact, Name(doc, *c, "a contact id (contacts: in the relay)"));
        Note(p.source, "contact", doc, yaml::At(c->where, c->value));
      }
      const Field* roles = pf.Find("roles");
      if (roles == nullptr) {
        return Fail(doc, f.where, "missing roles: the roles this person holds ([ROLE, ...])");
      }
      LL_ASSIGN(p.roles, NamedList(doc, *roles, "a role", p.source));
      if (const Field* h = pf.Find("hours")) {
        LL_ASSIGN(p.hours, Hours(doc, *h));
        Note(p.source, "hours", doc, h->where);
      }
      if (const Field* n = pf.Find("name")) {
        LL_ASSIGN(p.name, Name(doc, *n, "a name"));
      } else if (const channels::Contact* c = relay_.FindContact(p.contact)) {
        p.name = c->name;
      } else {
        p.name = p.id;
      }
      plan_.team.push_back(std::move(p));
    }
    return core::Ok();
  }

  // ---- drill ----

  // drill: { audience: [CHANNEL, ...] }: relay channels of a test audience, never the real one.
  Status Drill(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields df, yaml::ReadMap(doc, section.value, section.where, kDrillKeys,
                                       "the drill settings ({ audience: [CHANNEL, ...] })"));
    DrillSettings& d = plan_.drill;
    d.source.at = PlaceOf(doc, section.where);
    const Field* a = df.Find("audience");
    if (a == nullptr) return core::Ok();
    std::vector<std::string> names;
    for (const channels::ChannelSetup& c : relay_.channels) names.push_back(c.name);
    LL_ASSIGN(
        d.audience,
        yaml::GetStringList(
            doc, a->value, a->where, "a relay channel",
            [&](const std::string& s, const Where& at) -> Status {
              Note(d.source, fmt::format("audience[{}]", d.source.keys.size()), doc, at);
              if (relay_.FindChannel(s) == nullptr) {
                auto near = config::Closest(s, names);
                return Fail(
                    doc, at,
                    near ? fmt::format("unknown relay channel '{}' (did you mean '{}'?)", s, *near)
                         : fmt::format("unknown relay channel '{}' (channels: {})", s,
                                       names.empty() ? "none" : yaml::Join(names)));
              }
              for (const InventoryChannel& c : plan_.inventory) {
                if (c.channel == s) {
                  return Fail(doc, at,
                              fmt::format("channel '{}' is the real audience's (inventory {}): a "
                                          "drill posts only to a test audience; name a channel "
                                          "that is not in the inventory",
                                          s, c.id));
                }
              }
              return core::Ok();
            }));
    return core::Ok();
  }

  // ---- inventory ----

  Status Inventory(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {},
                                        "the inventory (ID: { platform: ID or channel: NAME, "
                                        "audience: N, ... })"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "inventory"));
      LL_ASSIGN(Fields cf, yaml::ReadMap(doc, f.value, f.where, kInventoryKeys,
                                         "an inventory channel (platform or channel, audience, "
                                         "primary, backup, link, name)"));
      InventoryChannel c;
      c.id = f.key;
      c.source.at = PlaceOf(doc, f.where);
      for (const Field& x : cf.items) Note(c.source, x.key, doc, yaml::At(x.where, x.value));
      const Field* platform = cf.Find("platform");
      const Field* channel = cf.Find("channel");
      const Field* domain = cf.Find("domain");
      if (platform == nullptr && channel == nullptr) {
        return Fail(doc, f.where,
                    "missing platform: ID (the catalog platform it is on) or channel: NAME (the "
                    "relay channel Lifeline posts through)");
      }
      if (platform != nullptr) {
        LL_ASSIGN(c.platform, Name(doc, *platform, "a catalog platform"));
      }
      if (channel != nullptr) {
        LL_ASSIGN(c.channel, Name(doc, *channel, "a relay channel (channels:)"));
        const channels::ChannelSetup* setup = relay_.FindChannel(c.channel);
        if (setup != nullptr && c.platform.empty()) c.platform = setup->platform;
      }
      if (domain != nullptr) {
        if (!c.platform.empty()) {
          return Fail(doc, domain->where,
                      fmt::format("the failure domain comes from the platform ({}); give "
                                  "domain: only for a channel on no catalog platform",
                                  c.platform));
        }
        LL_ASSIGN(c.domain, Name(doc, *domain, "a failure domain"));
      } else if (auto it = plan_.platform_domains.find(c.platform);
                 it != plan_.platform_domains.end()) {
        c.domain = it->second;
      }
      if (const Field* a = cf.Find("audience")) {
        LL_ASSIGN(auto n, yaml::GetInt(doc, a->value, a->where, 0, 10'000'000'000LL));
        c.audience = static_cast<std::uint64_t>(n);
      } else {
        return Fail(doc, f.where,
                    "missing audience: how many people follow or use it (a whole number; "
                    "plan advise sums them)");
      }
      if (const Field* p = cf.Find("primary")) {
        LL_ASSIGN(c.primary, yaml::GetBool(doc, p->value, p->where));
      }
      if (const Field* b = cf.Find("backup")) {
        LL_ASSIGN(c.backup, Name(doc, *b, "an inventory id"));
      }
      if (const Field* l = cf.Find("link")) {
        LL_ASSIGN(c.link, Name(doc, *l, "a link"));
      }
      if (const Field* n = cf.Find("name")) {
        LL_ASSIGN(c.name, Name(doc, *n, "a name"));
      } else if (const core::Platform* p = config::FindPlatform(config_, c.platform)) {
        c.name = p->name;
      } else {
        c.name = c.id;
      }
      plan_.inventory.push_back(std::move(c));
    }
    return core::Ok();
  }

  // ---- escalation policies ----

  Status Policies(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all,
              yaml::ReadMap(doc, section.value, section.where, {},
                            "escalation policies (NAME: { after: 10m, to: [ROLE, ...], repeat: N "
                            "})"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "escalation policy"));
      LL_ASSIGN(Fields pf, yaml::ReadMap(doc, f.value, f.where, kPolicyKeys,
                                         "an escalation policy (after, to, repeat)"));
      EscalationPolicy p;
      p.name = f.key;
      p.source.at = PlaceOf(doc, f.where);
      const Field* to = pf.Find("to");
      if (to == nullptr) {
        return Fail(doc, f.where,
                    "missing to: who is asked next, in order ([ROLE or PERSON, ...])");
      }
      LL_ASSIGN(p.to, Targets(doc, *to, p.source));
      if (const Field* a = pf.Find("after")) {
        LL_ASSIGN(p.after, yaml::GetDuration(doc, a->value, a->where));
        // Under 1m is only a warning of CheckPlan: a drill or a test may want seconds.
        Note(p.source, "after", doc, yaml::At(a->where, a->value));
      }
      if (const Field* r = pf.Find("repeat")) {
        LL_ASSIGN(auto n, yaml::GetInt(doc, r->value, r->where, 1, 10));
        p.repeat = static_cast<int>(n);
      }
      plan_.escalation.push_back(std::move(p));
    }
    return core::Ok();
  }

  // ---- responses ----

  Status Responses(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {},
                                        "responses (NAME: { trigger: ..., steps: [...] })"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "response"));
      LL_ASSIGN(Fields rf, yaml::ReadMap(doc, f.value, f.where, kResponseKeys,
                                         "a response (trigger, steps, escalation, "
                                         "after_restoration, description)"));
      Response r;
      r.name = f.key;
      r.source.at = PlaceOf(doc, f.where);
      if (const Field* d = rf.Find("description")) {
        LL_ASSIGN(r.description, yaml::GetString(doc, d->value, d->where, "a description"));
      }
      const Field* trigger = rf.Find("trigger");
      if (trigger == nullptr) {
        return Fail(doc, f.where,
                    "missing trigger: which incidents this answers ({ domains: [meta], "
                    "verdicts: [outage] })");
      }
      LL_ASSIGN(r.trigger, ReadTrigger(doc, *trigger));
      if (const Field* e = rf.Find("escalation")) {
        LL_ASSIGN(r.escalation, Name(doc, *e, "an escalation policy"));
        Note(r.source, "escalation", doc, yaml::At(e->where, e->value));
      }
      const Field* steps = rf.Find("steps");
      if (steps == nullptr) return Fail(doc, f.where, "missing steps: what to do, in order");
      LL_ASSIGN(r.steps, Steps(doc, steps->value, steps->where, false));
      if (const Field* a = rf.Find("after_restoration")) {
        LL_ASSIGN(r.after_restoration, After(doc, *a));
      }
      LL_TRY(AssignIds(doc, r));
      plan_.responses.push_back(std::move(r));
    }
    return core::Ok();
  }

  Result<Trigger> ReadTrigger(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields tf, yaml::ReadMap(doc, f.value, f.where, kTriggerKeys,
                                       "a trigger (platforms or domains, verdicts, for, "
                                       "severity)"));
    Trigger t;
    t.source.at = PlaceOf(doc, f.where);
    if (const Field* p = tf.Find("platforms")) {
      LL_ASSIGN(t.platforms, NamedList(doc, *p, "a catalog platform id", t.source));
    }
    if (const Field* d = tf.Find("domains")) {
      LL_ASSIGN(t.domains, NamedList(doc, *d, "a failure domain", t.source));
    }
    if (t.platforms.empty() && t.domains.empty()) {
      return Fail(doc, f.where,
                  "give platforms: [ID, ...] or domains: [DOMAIN, ...] (what must fail)");
    }
    if (const Field* v = tf.Find("verdicts")) {
      std::vector<std::string> names;
      for (int i = 0; i <= static_cast<int>(core::Verdict::kUnknown); ++i) {
        names.emplace_back(core::VerdictName(static_cast<core::Verdict>(i)));
      }
      t.verdicts.clear();
      LL_TRY(yaml::GetStringList(
          doc, v->value, v->where, "a verdict", [&](const std::string& s, const Where& at) {
            auto verdict = core::ParseVerdict(s);
            if (!verdict) {
              auto near = config::Closest(s, names);
              return Status(Fail(
                  doc, at,
                  near ? fmt::format("unknown verdict '{}' (did you mean '{}'?)", s, *near)
                       : fmt::format("unknown verdict '{}' (verdicts: {})", s, yaml::Join(names))));
            }
            Note(t.source, fmt::format("verdicts[{}]", t.verdicts.size()), doc, at);
            if (!Contains(t.verdicts, *verdict)) t.verdicts.push_back(*verdict);
            return core::Ok();
          }));
      if (t.verdicts.empty()) return Fail(doc, v->where, "expected at least one verdict");
    }
    if (const Field* d = tf.Find("for")) {
      LL_ASSIGN(t.min_duration, yaml::GetDuration(doc, d->value, d->where));
    }
    if (const Field* s = tf.Find("severity")) {
      LL_ASSIGN(std::string v, Name(doc, *s, "a severity"));
      if (v == "minor") {
        t.severity = Severity::kMinor;
      } else if (v == "major") {
        t.severity = Severity::kMajor;
      } else if (v == "critical") {
        t.severity = Severity::kCritical;
      } else {
        return Fail(doc, yaml::At(s->where, s->value),
                    fmt::format("unknown severity '{}' (minor, major or critical)", v));
      }
    }
    return t;
  }

  Result<MessageSpec> Message(const Doc& doc, const Fields& fields, const Where& where,
                              Source& source) {
    MessageSpec m;
    const Field* tpl = fields.Find("template");
    const Field* text = fields.Find("text");
    if ((tpl == nullptr) == (text == nullptr)) {
      return Fail(doc, where,
                  tpl == nullptr ? "give template: NAME (templates:) or text: TEXT"
                                 : "give either template: or text:, not both");
    }
    if (tpl != nullptr) {
      LL_ASSIGN(m.template_name, Name(doc, *tpl, "a template name (templates:)"));
      Note(source, "template", doc, yaml::At(tpl->where, tpl->value));
      if (const Field* s = fields.Find("subject")) {
        return Fail(doc, s->where, "a template has its own subject: give subject: with text:");
      }
    } else {
      LL_ASSIGN(m.text, Name(doc, *text, "a text"));
      Note(source, "text", doc, yaml::At(text->where, text->value));
      if (const Field* s = fields.Find("subject")) {
        LL_ASSIGN(m.subject, Name(doc, *s, "a subject"));
        Note(source, "subject", doc, yaml::At(s->where, s->value));
      }
    }
    return m;
  }

  Result<std::string> PolicyRef(const Doc& doc, const Fields& fields, Source& source) {
    std::string out;
    if (const Field* e = fields.Find("escalation")) {
      LL_ASSIGN(out, Name(doc, *e, "an escalation policy"));
      Note(source, "escalation", doc, yaml::At(e->where, e->value));
    }
    return out;
  }

  Result<OnError> ReadOnError(const Doc& doc, const Field& f, Source& source) {
    auto action = [&](const std::string& s, const Where& at) -> Result<OnError::Action> {
      if (s == "continue") return OnError::Action::kContinue;
      if (s == "retry") return OnError::Action::kRetry;
      if (s == "stop") return OnError::Action::kStop;
      if (s == "escalate") return OnError::Action::kEscalate;
      auto near = config::Closest(s, {"continue", "retry", "stop", "escalate"});
      return Fail(doc, at,
                  near ? fmt::format("unknown action '{}' (did you mean '{}'?)", s, *near)
                       : fmt::format("unknown action '{}' (continue, retry, stop or escalate)", s));
    };
    OnError e;
    Note(source, "on_error", doc, yaml::At(f.where, f.value));
    if (f.value.IsScalar()) {
      LL_ASSIGN(e.action, action(f.value.Scalar(), yaml::At(f.where, f.value)));
      return e;
    }
    LL_ASSIGN(Fields of, yaml::ReadMap(doc, f.value, f.where, kOnErrorKeys,
                                       "continue, stop, escalate, retry, { retry: 3, every: 30s, "
                                       "then: stop } or { escalate: POLICY }"));
    const Field* retry = of.Find("retry");
    const Field* escalate = of.Find("escalate");
    if ((retry == nullptr) == (escalate == nullptr)) {
      return Fail(doc, f.where,
                  "give retry: ATTEMPTS (with every:, then:) or escalate: POLICY, one of them");
    }
    if (escalate != nullptr) {
      for (const Field& x : of.items) {
        if (x.key != "escalate") {
          return Fail(doc, x.where, fmt::format("'{}' goes with retry:, not escalate:", x.key));
        }
      }
      e.action = OnError::Action::kEscalate;
      LL_ASSIGN(e.escalation, Name(doc, *escalate, "an escalation policy"));
      Note(source, "escalation", doc, yaml::At(escalate->where, escalate->value));
      return e;
    }
    e.action = OnError::Action::kRetry;
    LL_ASSIGN(auto n, yaml::GetInt(doc, retry->value, retry->where, 2, 10));
    e.attempts = static_cast<int>(n);
    if (const Field* every = of.Find("every")) {
      LL_ASSIGN(e.retry_every, yaml::GetDuration(doc, every->value, every->where));
    }
    if (const Field* then = of.Find("then")) {
      LL_ASSIGN(std::string s, Name(doc, *then, "continue, stop or escalate"));
      LL_ASSIGN(e.then, action(s, yaml::At(then->where, then->value)));
      if (e.then == OnError::Action::kRetry) {
        return Fail(doc, yaml::At(then->where, then->value),
                    "after the last attempt: continue, stop or escalate");
      }
    }
    if (const Field* pol = of.Find("escalation")) {
      if (e.then != OnError::Action::kEscalate) {
        return Fail(doc, pol->where, "escalation: goes with then: escalate");
      }
      LL_ASSIGN(e.escalation, Name(doc, *pol, "an escalation policy"));
      Note(source, "escalation", doc, yaml::At(pol->where, pol->value));
    }
    return e;
  }

  Result<std::vector<Step>> Steps(const Doc& doc, const YAML::Node& node, const Where& where,
                                  bool in_parallel) {
    if (!node.IsSequence() || node.size() == 0) {
      return Fail(doc, where,
                  fmt::format("expected a non-empty list of steps, got {}",
                              node.IsSequence() ? "an empty list" : yaml::TypeName(node)));
    }
    if (in_parallel && node.size() < 2) {
      return Fail(doc, where, "a parallel group needs two or more steps (one runs on its own)");
    }
    std::vector<Step> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      Where iw = where.Item(std::to_string(i), item.Mark());
      LL_ASSIGN(Step s, ReadStep(doc, item, iw, in_parallel));
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<Step> ReadStep(const Doc& doc, const YAML::Node& node, const Where& where,
                        bool in_parallel) {
    yaml::Keys allowed = kStepKinds;
    allowed.insert(allowed.end(), kStepCommonKeys.begin(), kStepCommonKeys.end());
    LL_ASSIGN(Fields sf, yaml::ReadMap(doc, node, where, allowed,
                                       "a step (one of notify, post, move_conversations, pause, "
                                       "wait, approve, task, parallel; with id, on_error)"));
    const Field* kind = nullptr;
    for (const Field& f : sf.items) {
      if (!Contains(kStepKinds, std::string_view(f.key))) continue;
      if (kind != nullptr) {
        return Fail(doc, f.where,
                    fmt::format("one step does one thing: '{}' and '{}' are two steps (list them "
                                "one after the other, or under parallel:)",
                                kind->key, f.key));
      }
      kind = &f;
    }
    if (kind == nullptr) {
      return Fail(doc, where,
                  fmt::format("a step needs one of: {}", yaml::Join(Strings(kStepKinds))));
    }
    Step s;
    s.source.at = PlaceOf(doc, where);
    if (const Field* id = sf.Find("id")) {
      LL_ASSIGN(s.id, Name(doc, *id, "a step id"));
      LL_TRY(CheckName(doc, yaml::At(id->where, id->value), s.id, "step id"));
      s.id_given = true;
      Note(s.source, "id", doc, yaml::At(id->where, id->value));
    }
    if (const Field* e = sf.Find("on_error")) {
      LL_ASSIGN(s.on_error, ReadOnError(doc, *e, s.source));
    }
    const Field& k = *kind;
    Note(s.source, k.key, doc, k.where);
    if (k.key == "notify") {
      LL_ASSIGN(Fields f, yaml::ReadMap(doc, k.value, k.where, kNotifyKeys,
                                        "notify ({ to: ROLE, template: NAME } or text: TEXT)"));
      NotifyStep n;
      const Field* to = f.Find("to");
      if (to == nullptr) return Fail(doc, k.where, "missing to: the roles or people to tell");
      LL_ASSIGN(n.to, Targets(doc, *to, s.source));
      LL_ASSIGN(n.message, Message(doc, f, k.where, s.source));
      LL_ASSIGN(n.escalation, PolicyRef(doc, f, s.source));
      s.body = std::move(n);
    } else if (k.key == "post") {
      LL_ASSIGN(Fields f, yaml::ReadMap(doc, k.value, k.where, kPostKeys,
                                        "post ({ template: NAME, on: surviving or [ID, ...] })"));
      PostStep p;
      LL_ASSIGN(p.message, Message(doc, f, k.where, s.source));
      if (const Field* on = f.Find("on")) {
        if (on->value.IsScalar() && on->value.Scalar() == kSurviving) {
          Note(s.source, "on", doc, yaml::At(on->where, on->value));
        } else {
          LL_ASSIGN(p.on, NamedList(doc, *on, "an inventory id", s.source));
        }
      }
      s.body = std::move(p);
    } else if (k.key == "move_conversations") {
      MoveConversationsStep m;
      if (!k.value.IsNull()) {
        LL_ASSIGN(Fields f, yaml::ReadMap(doc, k.value, k.where, kMoveKeys,
                                          "move_conversations ({ to: INVENTORY-ID, on_restoration: "
                                          "stay|back|none }, or nothing for each channel's "
                                          "backup)"));
        if (const Field* to = f.Find("to")) {
          LL_ASSIGN(m.to, Name(doc, *to, "an inventory id"));
          if (m.to == "backup") m.to.clear();
          Note(s.source, "to", doc, yaml::At(to->where, to->value));
        }
        if (const Field* then = f.Find("on_restoration")) {
          LL_ASSIGN(m.on_restoration,
                    yaml::GetString(doc, then->value, then->where, "stay, back or none"));
          if (m.on_restoration == "none") m.on_restoration.clear();
          if (!m.on_restoration.empty() && m.on_restoration != "stay" &&
              m.on_restoration != "back") {
            return Fail(doc, then->where,
                        fmt::format("'{}': expected stay (tell them the platform works again and "
                                    "go on where they are), back (tell them and go on there) or "
                                    "none",
                                    m.on_restoration));
          }
        }
      }
      s.body = std::move(m);
    } else if (k.key == "pause") {
      PauseStep p;
      if (!k.value.IsNull()) {
        p.ads = p.scheduled_posts = false;
        LL_TRY(yaml::GetStringList(doc, k.value, k.where, "ads or scheduled_posts",
                                   [&](const std::string& what, const Where& at) -> Status {
                                     if (what == "ads") {
                                       p.ads = true;
                                     } else if (what == "scheduled_posts") {
                                       p.scheduled_posts = true;
                                     } else {
                                       return Fail(doc, at,
                                                   fmt::format("'{}' cannot be paused (ads, "
                                                               "scheduled_posts)",
                                                               what));
                                     }
                                     return core::Ok();
                                   }));
      }
      s.body = p;
    } else if (k.key == "wait") {
      WaitStep w;
      LL_ASSIGN(w.duration, yaml::GetDuration(doc, k.value, k.where));
      s.body = w;
    } else if (k.key == "approve") {
      LL_ASSIGN(Fields f, yaml::ReadMap(doc, k.value, k.where, kApproveKeys,
                                        "approve ({ role: ROLE, what: TEXT, timeout: 15m, "
                                        "on_timeout: escalate })"));
      ApproveStep a;
      const Field* role = f.Find("role");
      const Field* what = f.Find("what");
      const Field* timeout = f.Find("timeout");
      if (role == nullptr) return Fail(doc, k.where, "missing role: who may approve");
      if (what == nullptr) {
        return Fail(doc, k.where, "missing what: what is to be approved, in a sentence");
      }
      if (timeout == nullptr) {
        return Fail(doc, k.where,
                    "missing timeout: how long to wait for the decision (e.g. 15m); nobody "
                    "should wait for ever at 3 a.m.");
      }
      LL_ASSIGN(a.role, Name(doc, *role, "a role"));
      Note(s.source, "role", doc, yaml::At(role->where, role->value));
      LL_ASSIGN(a.what, Name(doc, *what, "what is to be approved"));
      LL_ASSIGN(a.timeout, yaml::GetDuration(doc, timeout->value, timeout->where));
      if (const Field* t = f.Find("on_timeout")) {
        LL_ASSIGN(std::string v, Name(doc, *t, "escalate, continue or stop"));
        Note(s.source, "on_timeout", doc, yaml::At(t->where, t->value));
        if (v == "escalate") {
          a.on_timeout = ApproveStep::OnTimeout::kEscalate;
        } else if (v == "continue") {
          a.on_timeout = ApproveStep::OnTimeout::kContinue;
        } else if (v == "stop") {
          a.on_timeout = ApproveStep::OnTimeout::kStop;
        } else {
          return Fail(doc, yaml::At(t->where, t->value),
                      fmt::format("unknown on_timeout '{}' (escalate, continue or stop)", v));
        }
      }
      LL_ASSIGN(a.escalation, PolicyRef(doc, f, s.source));
      s.body = std::move(a);
    } else if (k.key == "task") {
      LL_ASSIGN(Fields f, yaml::ReadMap(doc, k.value, k.where, kTaskKeys,
                                        "task ({ title: TEXT, role: ROLE, escalation: POLICY })"));
      TaskStep t;
      const Field* title = f.Find("title");
      const Field* role = f.Find("role");
      if (title == nullptr) return Fail(doc, k.where, "missing title: what is to be done");
      if (role == nullptr) return Fail(doc, k.where, "missing role: who does it");
      LL_ASSIGN(t.title, Name(doc, *title, "a title"));
      LL_ASSIGN(t.role, Name(doc, *role, "a role"));
      Note(s.source, "role", doc, yaml::At(role->where, role->value));
      LL_ASSIGN(t.escalation, PolicyRef(doc, f, s.source));
      s.body = std::move(t);
    } else {  // parallel
      if (in_parallel) {
        return Fail(doc, k.where,
                    "a parallel group inside a parallel group runs the same as one group: list "
                    "its steps in the outer group");
      }
      ParallelStep p;
      LL_ASSIGN(p.steps, Steps(doc, k.value, k.where, true));
      s.body = std::move(p);
    }
    return s;
  }

  Result<AfterRestoration> After(const Doc& doc, const Field& f) {
    LL_ASSIGN(Fields af, yaml::ReadMap(doc, f.value, f.where, kAfterKeys,
                                       "after_restoration (checklist, monitor)"));
    AfterRestoration a;
    a.source.at = PlaceOf(doc, f.where);
    if (const Field* c = af.Find("checklist")) {
      if (!c->value.IsSequence()) {
        return Fail(doc, c->where,
                    fmt::format("expected a list of {{ title: TEXT, role: ROLE }}, got {}",
                                yaml::TypeName(c->value)));
      }
      for (std::size_t i = 0; i < c->value.size(); ++i) {
        const YAML::Node item = c->value[i];
        Where iw = c->where.Item(std::to_string(i), item.Mark());
        LL_ASSIGN(Fields cf, yaml::ReadMap(doc, item, iw, kChecklistKeys,
                                           "a checklist item ({ title: TEXT, role: ROLE })"));
        ChecklistItem it;
        it.source.at = PlaceOf(doc, iw);
        const Field* title = cf.Find("title");
        const Field* role = cf.Find("role");
        if (title == nullptr) return Fail(doc, iw, "missing title: what is to be checked");
        if (role == nullptr) return Fail(doc, iw, "missing role: who checks it");
        LL_ASSIGN(it.title, Name(doc, *title, "a title"));
        LL_ASSIGN(it.role, Name(doc, *role, "a role"));
        Note(it.source, "role", doc, yaml::At(role->where, role->value));
        if (const Field* id = cf.Find("id")) {
          LL_ASSIGN(it.id, Name(doc, *id, "an id"));
          LL_TRY(CheckName(doc, yaml::At(id->where, id->value), it.id, "checklist id"));
          Note(it.source, "id", doc, yaml::At(id->where, id->value));
        }
        LL_ASSIGN(it.escalation, PolicyRef(doc, cf, it.source));
        a.checklist.push_back(std::move(it));
      }
    }
    if (const Field* m = af.Find("monitor")) {
      LL_ASSIGN(Fields mf, yaml::ReadMap(doc, m->value, m->where, kMonitorKeys,
                                         "monitor ({ window: 4h, probe_interval: 30s })"));
      const Field* window = mf.Find("window");
      if (window == nullptr) {
        return Fail(doc, m->where, "missing window: how long to keep watching (e.g. 4h)");
      }
      LL_ASSIGN(a.monitor_window, yaml::GetDuration(doc, window->value, window->where));
      if (a.monitor_window > std::chrono::hours(72)) {
        return Fail(doc, yaml::At(window->where, window->value), "at most 72h");
      }
      if (const Field* p = mf.Find("probe_interval")) {
        LL_ASSIGN(a.probe_interval, yaml::GetDuration(doc, p->value, p->where));
        if (a.probe_interval < std::chrono::seconds(5)) {
          return Fail(doc, yaml::At(p->where, p->value),
                      "at least 5s (probing faster is load on the platform, not insight)");
        }
        if (a.probe_interval > a.monitor_window) {
          return Fail(doc, yaml::At(p->where, p->value),
                      "longer than the window: the platform would not be probed in it");
        }
      }
    }
    return a;
  }

  // ---- step ids ----

  static std::string Base(const Step& s) {
    return std::visit(
        [](const auto& b) -> std::string {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, NotifyStep>) {
            std::string who;
            for (const Target& t : b.to) who += (who.empty() ? "" : "-") + t.name;
            return "notify-" + Slug(who);
          } else if constexpr (std::is_same_v<T, PostStep>) {
            return "post-" +
                   Slug(b.message.template_name.empty() ? "text" : b.message.template_name);
          } else if constexpr (std::is_same_v<T, MoveConversationsStep>) {
            return b.to.empty() ? "move-conversations" : "move-conversations-to-" + Slug(b.to);
          } else if constexpr (std::is_same_v<T, PauseStep>) {
            if (b.ads && b.scheduled_posts) return "pause";
            return b.ads ? "pause-ads" : "pause-scheduled-posts";
          } else if constexpr (std::is_same_v<T, WaitStep>) {
            return "wait-" + DurationText(b.duration);
          } else if constexpr (std::is_same_v<T, ApproveStep>) {
            return "approve-" + Slug(b.role);
          } else if constexpr (std::is_same_v<T, TaskStep>) {
            return "task-" + Slug(b.title);
          } else {
            return "parallel";
          }
        },
        s.body);
  }

  // Given ids first (each unique), then generated ones around them, in order.
  Status AssignIds(const Doc& doc, Response& r) {
    std::set<std::string> used;
    std::vector<Step*> all;
    std::function<void(std::vector<Step>&)> collect = [&](std::vector<Step>& steps) {
      for (Step& s : steps) {
        all.push_back(&s);
        if (auto* g = std::get_if<ParallelStep>(&s.body)) collect(g->steps);
      }
    };
    collect(r.steps);
    auto claim = [&](const std::string& id, const Place& at) -> Status {
      if (!used.insert(id).second) {
        return core::Error(core::ErrorCode::kInvalidArgument,
                           fmt::format("{}: step id '{}' is used twice in response {} (ids are "
                                       "unique within a response)",
                                       at.ToString(), id, r.name));
      }
      return core::Ok();
    };
    for (Step* s : all) {
      if (s->id_given) LL_TRY(claim(s->id, s->source.Of("id")));
    }
    for (ChecklistItem& it : r.after_restoration.checklist) {
      if (!it.id.empty()) LL_TRY(claim(it.id, it.source.Of("id")));
    }
    auto fresh = [&](const std::string& base) {
      std::string id = base;
      for (int n = 2; used.count(id) > 0; ++n) id = fmt::format("{}-{}", base, n);
      used.insert(id);
      return id;
    };
    for (Step* s : all) {
      if (!s->id_given) s->id = fresh(Base(*s));
    }
    for (ChecklistItem& it : r.after_restoration.checklist) {
      if (it.id.empty()) it.id = fresh("check-" + Slug(it.title));
    }
    (void)doc;
    return core::Ok();
  }

  const config::Config& config_;
  const channels::RelaySetup& relay_;
  Plan plan_;
};

Result<YAML::Node> ParseYaml(const std::string& file, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: invalid YAML: {}", file,
                             e.msg);
    }
    return core::MakeError(core::ErrorCode::kInvalidArgument, "{}:{}:{}: invalid YAML: {}", file,
                           e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

Result<Plan> ReadDoc(const config::Config& config, const channels::RelaySetup& relay,
                     const Doc& doc, const YAML::Node& node, const Where& where) {
  try {
    return Reader(config, relay).Read(doc, node, where);
  } catch (const YAML::Exception& e) {
    // Every access above checks the node's type first; reaching here is a bug of ours.
    return core::MakeError(core::ErrorCode::kInternal, "{}: reading the plan failed: {}", doc.file,
                           e.what());
  }
}

// A plan file: its keys at the top level, errors naming it.
Result<Plan> ReadFile(const config::Config& config, const channels::RelaySetup& relay,
                      const std::string& path, const std::string& cannot_read_prefix) {
  auto text = yaml::ReadWholeFile(path);
  if (!text.ok()) {
    return core::Error(text.error().code(),
                       fmt::format("{}cannot read plan file '{}': {}", cannot_read_prefix, path,
                                   text.error().message()));
  }
  LL_ASSIGN(YAML::Node root, ParseYaml(path, *text));
  Doc doc{path, std::filesystem::path(path).parent_path()};
  Where where{root.Mark(), ""};
  where.mark.line = -1;  // the whole file: no line
  return ReadDoc(config, relay, doc, root, where);
}

}  // namespace

core::Result<WorkingHours> ReadWorkingHours(const config::yaml::Doc& doc,
                                            const config::yaml::Field& field) {
  return Hours(doc, field);
}

Result<Plan> ReadPlan(const config::Config& config, const channels::RelaySetup& relay,
                      const PlanOptions& options) {
  if (!options.file.empty()) return ReadFile(config, relay, options.file, "");
  const config::PartSection* sec = config.Section("plan");
  if (sec == nullptr) {
    return core::MakeError(core::ErrorCode::kNotFound,
                           "{}: no plan: section (write the plan under plan:, or plan: {{ file: "
                           "PATH }})",
                           config.source);
  }
  if (yaml::HasKey(sec->node, "file")) {
    LL_ASSIGN(Fields f, yaml::ReadMap(sec->doc, sec->node, sec->where, {"file"},
                                      "plan: { file: PATH } (with file:, the plan's keys go in "
                                      "that file)"));
    const Field& file = *f.Find("file");
    LL_ASSIGN(std::string raw,
              yaml::GetNonEmpty(sec->doc, file.value, file.where, "the plan file's path"));
    const std::string path = yaml::ResolvePath(sec->doc, raw);
    Place at = PlaceOf(sec->doc, yaml::At(file.where, file.value));
    return ReadFile(config, relay, path, at.ToString() + ": ");
  }
  return ReadDoc(config, relay, sec->doc, sec->node, sec->where);
}

Result<Plan> LoadPlan(const config::Config& config, const channels::RelaySetup& relay,
                      const PlanOptions& options) {
  LL_ASSIGN(Plan plan, ReadPlan(config, relay, options));
  for (Finding& f : CheckPlan(plan, config, relay)) {
    if (f.level == Finding::Level::kError) {
      return core::Error(core::ErrorCode::kInvalidArgument, f.ToString());
    }
    plan.warnings.push_back(std::move(f));
  }
  return plan;
}

}  // namespace lifeline::playbook
