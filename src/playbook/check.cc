// The checks across a plan (CheckPlan) and the audience advisor (Advise): check.h.
#include "playbook/check.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "channels/templates.h"
#include "config/values.h"

namespace lifeline::playbook {
namespace {

using Failures = std::vector<Failure>;

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

template <typename T>
void AddUnique(std::vector<T>& v, const T& x) {
  if (!Contains(v, x)) v.push_back(x);
}

std::string JoinAnd(const std::vector<std::string>& items, std::string_view last = "and") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? fmt::format(" {} ", last) : ", ";
    out += items[i];
  }
  return out;
}

// " (did you mean 'x'?)", " (valid: a, b)" or " (none are declared)".
std::string Suggest(std::string_view word, const std::vector<std::string>& valid,
                    std::string_view none = "none are declared") {
  if (auto near = config::Closest(word, valid)) return fmt::format(" (did you mean '{}'?)", *near);
  if (valid.empty()) return fmt::format(" ({})", none);
  return fmt::format(" (valid: {})", JoinAnd(valid, "or"));
}

// Whether `key` was written for the element (not filled in from elsewhere).
bool Written(const Source& s, std::string_view key) {
  return std::any_of(s.keys.begin(), s.keys.end(), [&](const auto& k) { return k.first == key; });
}

// The place of item `i` of a list written under `key` (a single value: the key's own place).
const Place& ItemPlace(const Source& s, std::string_view key, std::size_t i) {
  const std::string indexed = fmt::format("{}[{}]", key, i);
  for (const auto& [k, p] : s.keys) {
    if (k == indexed) return p;
  }
  return s.Of(key);
}

std::string Article(std::string_view name) {
  if (name.empty()) return "a";
  char c = static_cast<char>(std::tolower(static_cast<unsigned char>(name.front())));
  return (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'x') ? "an" : "a";
}

class Checker {
 public:
  Checker(const Plan& plan, const config::Config& config, const channels::RelaySetup& relay)
      : plan_(plan), config_(config), relay_(relay) {
    for (const Role& r : plan_.roles) role_names_.push_back(r.name);
    for (const Person& p : plan_.team) person_ids_.push_back(p.id);
    for (const InventoryChannel& c : plan_.inventory) inventory_ids_.push_back(c.id);
    for (const EscalationPolicy& p : plan_.escalation) policy_names_.push_back(p.name);
    for (const auto& c : relay_.contacts) contact_ids_.push_back(c.id);
    for (const auto& c : relay_.channels) channel_names_.push_back(c.name);
    for (const auto& t : relay_.templates) template_names_.push_back(t.name);
    for (const auto& [platform, domain] : plan_.platform_domains) {
      if (!domain.empty()) AddUnique(domain_names_, domain);
    }
  }

  std::vector<Finding> Run() {
    CheckRoles();
    CheckTeam();
    CheckInventory();
    for (const EscalationPolicy& p : plan_.escalation) CheckPolicy(p);
    for (const Response& r : plan_.responses) CheckResponse(r);
    CheckUnusedRoles();
    CheckOnCall();
    CheckExposure();
    std::stable_sort(out_.begin(), out_.end(), [](const Finding& a, const Finding& b) {
      return std::tie(a.place.file, a.place.line) < std::tie(b.place.file, b.place.line);
    });
    return std::move(out_);
  }

 private:
  void Error(const Place& at, std::string message) {
    out_.push_back({Finding::Level::kError, at, std::move(message)});
  }
  void Warn(const Place& at, std::string message) {
    out_.push_back({Finding::Level::kWarning, at, std::move(message)});
  }

  std::string DomainOf(std::string_view platform) const {
    auto it = plan_.platform_domains.find(platform);
    return it == plan_.platform_domains.end() ? std::string() : it->second;
  }
  std::string PlatformName(std::string_view id) const {
    const core::Platform* p = config::FindPlatform(config_, id);
    return p == nullptr ? std::string(id) : p->name;
  }
  // The failure domain a relay channel rides on; "" for none.
  std::string ChannelDomain(const channels::ChannelSetup& c) const { return DomainOf(c.platform); }

  // ---- roles and people ----

  // A role that `what` needs: known, and held by somebody.
  void NeedRole(const std::string& role, const Place& at, std::string_view what) {
    used_roles_.insert(role);
    if (plan_.FindRole(role) == nullptr) {
      Error(at, fmt::format("unknown role '{}'{}", role, Suggest(role, role_names_)));
      return;
    }
    if (plan_.Holders(role).empty()) {
      Error(at, fmt::format("nobody in the team holds role '{}', which {} needs: give it to "
                            "someone (team: ID: {{ roles: [{}] }})",
                            role, what, role));
    }
  }

  void NeedTarget(const Target& t, const Place& at, std::string_view what) {
    if (t.kind == Target::Kind::kPerson) return;  // resolved against the team when read
    if (plan_.FindRole(t.name) == nullptr) {
      std::vector<std::string> names = role_names_;
      names.insert(names.end(), person_ids_.begin(), person_ids_.end());
      Error(at, fmt::format("unknown role or person '{}'{}", t.name, Suggest(t.name, names)));
      used_roles_.insert(t.name);
      return;
    }
    NeedRole(t.name, at, what);
  }

  void CheckRoles() {
    for (const Role& r : plan_.roles) {
      if (plan_.FindPerson(r.name) != nullptr) {
        Error(plan_.FindPerson(r.name)->source.at,
              fmt::format("'{}' is both a role and a person of the team: rename one, so that "
                          "to: and escalation levels say whom they mean",
                          r.name));
      }
    }
    if (!plan_.on_call.empty() && plan_.FindRole(plan_.on_call) == nullptr) {
      Error(plan_.source.Of("on_call"),
            fmt::format("unknown role '{}'{}", plan_.on_call, Suggest(plan_.on_call, role_names_)));
    }
  }

  void CheckTeam() {
    for (const Person& p : plan_.team) {
      for (std::size_t i = 0; i < p.roles.size(); ++i) {
        if (plan_.FindRole(p.roles[i]) == nullptr) {
          Error(ItemPlace(p.source, "roles", i),
                fmt::format("unknown role '{}'{}", p.roles[i], Suggest(p.roles[i], role_names_)));
        }
      }
      const channels::Contact* c = relay_.FindContact(p.contact);
      if (c == nullptr) {
        Error(p.source.Of("contact"),
              fmt::format("unknown contact '{}'{}: each person is reached through a contact of "
                          "the relay (contacts: ID: {{ points: [...] }})",
                          p.contact, Suggest(p.contact, contact_ids_, "no contacts: configured")));
        continue;
      }
      std::vector<std::string> usable;
      std::vector<std::string> public_points;
      for (const channels::ContactPoint& point : c->points) {
        const channels::ChannelSetup* ch = relay_.FindChannel(point.channel);
        if (ch == nullptr) continue;  // the relay refuses such a point; nothing to add
        if (ch->traits.public_post) {
          public_points.push_back(point.channel);
        } else {
          usable.push_back(point.channel);
        }
      }
      if (usable.empty()) {
        Error(p.source.Of("contact"),
              fmt::format("contact '{}' has no usable channel: {} to the audience, not to a "
                          "person; give the contact a point on a chat, e-mail or SMS channel",
                          p.contact,
                          public_points.empty()
                              ? std::string("it has no contact point")
                              : fmt::format("{} {}", JoinAnd(public_points),
                                            public_points.size() == 1 ? "posts" : "post")));
      } else if (!public_points.empty()) {
        Warn(p.source.Of("contact"),
             fmt::format("contact '{}' has a point on {}, which {} publicly: an alert that "
                         "fails over there would be read by the audience",
                         p.contact, JoinAnd(public_points),
                         public_points.size() == 1 ? "posts" : "post"));
      }
    }
  }

  // ---- inventory ----

  void CheckInventory() {
    if (plan_.inventory.empty()) {
      Warn(plan_.source.at,
           "no inventory: plan advise has nothing to weigh and post: has nowhere to go (list "
           "every channel the brand uses under inventory:)");
      return;
    }
    const InventoryChannel* primary = nullptr;
    for (const InventoryChannel& c : plan_.inventory) {
      const bool platform_written = Written(c.source, "platform");
      if (platform_written && !c.platform.empty() &&
          config::FindPlatform(config_, c.platform) == nullptr) {
        auto near = config::SuggestPlatform(config_, c.platform);
        Error(c.source.Of("platform"),
              fmt::format("unknown platform '{}'{}", c.platform,
                          near ? fmt::format(" (did you mean '{}'?)", *near)
                               : std::string(" (a platform id of the catalog: lifeline check "
                                             "--list)")));
      }
      if (!c.channel.empty()) {
        const channels::ChannelSetup* ch = relay_.FindChannel(c.channel);
        if (ch == nullptr) {
          Error(c.source.Of("channel"),
                fmt::format("unknown channel '{}'{}", c.channel,
                            Suggest(c.channel, channel_names_, "no channels: configured")));
        } else if (platform_written && !ch->platform.empty() && ch->platform != c.platform) {
          Error(c.source.Of("platform"),
                fmt::format("channel {} rides on {} (its platform), not {}: leave platform: out "
                            "or make them agree",
                            c.channel, ch->platform, c.platform));
        }
      }
      if (c.primary) {
        if (primary != nullptr) {
          Error(c.source.Of("primary"),
                fmt::format("{} is already the primary channel (the one customers use most): "
                            "only one can be",
                            primary->id));
        } else {
          primary = &c;
        }
        if (c.backup.empty()) {
          Warn(c.source.at,
               fmt::format("the primary channel {} has no backup: when it fails, customers are "
                           "told nowhere to go (give it backup: ID)",
                           c.id));
        }
      }
      if (c.backup.empty()) continue;
      const InventoryChannel* b = plan_.FindInventory(c.backup);
      if (b == nullptr) {
        Error(c.source.Of("backup"), fmt::format("unknown inventory channel '{}'{}", c.backup,
                                                 Suggest(c.backup, inventory_ids_)));
        continue;
      }
      if (b == &c) {
        Error(c.source.Of("backup"), "a channel cannot be its own backup");
        continue;
      }
      if (!c.platform.empty() && b->platform == c.platform) {
        Warn(c.source.Of("backup"),
             fmt::format("backup {} is on the same platform ({}): it fails with {}", b->id,
                         PlatformName(c.platform), c.id));
      } else if (!c.domain.empty() && b->domain == c.domain) {
        Warn(c.source.Of("backup"),
             fmt::format("backup {} fails with {} in {} {}-wide outage: choose a backup on "
                         "another failure domain",
                         b->id, c.id, Article(DomainDisplayName(c.domain)),
                         DomainDisplayName(c.domain)));
      }
      if (b->link.empty()) {
        Warn(c.source.Of("backup"),
             fmt::format("backup {} has no link: customers sent there need one ({{backup_link}}; "
                         "give {} link: URL)",
                         b->id, b->id));
      }
    }
    if (primary == nullptr) {
      Warn(plan_.source.Of("inventory"),
           "no inventory channel is primary: mark the one customers use most (primary: true), so "
           "that the plan knows which failure hurts most");
    }
  }

  // ---- escalation ----

  void CheckPolicy(const EscalationPolicy& p) {
    if (p.after < std::chrono::minutes(1)) {
      Warn(p.source.Of("after"),
           fmt::format("escalation policy {} asks the next level after only {}: people need a "
                       "moment to acknowledge (at least 1m, unless this plan is for a drill "
                       "or a test)",
                       p.name, DurationText(p.after)));
    }
    for (std::size_t i = 0; i < p.to.size(); ++i) {
      NeedTarget(p.to[i], ItemPlace(p.source, "to", i),
                 fmt::format("escalation policy {}", p.name));
    }
  }

  // The policy a step uses: its own, else the response's. Reports an unknown one.
  const EscalationPolicy* Policy(const std::string& own, const Place& own_at, const Response& r) {
    const std::string& name = own.empty() ? r.escalation : own;
    if (name.empty()) return nullptr;
    const EscalationPolicy* p = plan_.FindPolicy(name);
    if (p == nullptr) {
      Error(own.empty() ? r.source.Of("escalation") : own_at,
            fmt::format("unknown escalation policy '{}'{}", name, Suggest(name, policy_names_)));
      return nullptr;
    }
    responders_[r.name].policies.insert(p->name);
    return p;
  }

  // ---- responses ----

  // One failure per way the trigger can fire: each platform, each whole domain.
  Failures FailuresOf(const Trigger& t) const {
    Failures out;
    for (const std::string& p : t.platforms) {
      out.push_back({{p}, DomainOf(p), false, core::Verdict::kOutage});
    }
    for (const std::string& d : t.domains) out.push_back({{}, d, true, core::Verdict::kOutage});
    return out;
  }

  // The failure domains a response answers: its domains and its platforms' domains.
  std::vector<std::string> DomainsOf(const Trigger& t) const {
    std::vector<std::string> out;
    for (const std::string& d : t.domains) AddUnique(out, d);
    for (const std::string& p : t.platforms) {
      if (std::string d = DomainOf(p); !d.empty()) AddUnique(out, d);
    }
    return out;
  }

  void CheckTrigger(const Trigger& t) {
    for (std::size_t i = 0; i < t.platforms.size(); ++i) {
      const std::string& p = t.platforms[i];
      if (config::FindPlatform(config_, p) != nullptr) continue;
      auto near = config::SuggestPlatform(config_, p);
      Error(ItemPlace(t.source, "platforms", i),
            fmt::format("unknown platform '{}'{}: this trigger would never fire on it", p,
                        near ? fmt::format(" (did you mean '{}'?)", *near)
                             : std::string(" (lifeline check --list shows the platforms)")));
    }
    for (std::size_t i = 0; i < t.domains.size(); ++i) {
      const std::string& d = t.domains[i];
      if (Contains(domain_names_, d)) continue;
      Error(ItemPlace(t.source, "domains", i),
            fmt::format("unknown failure domain '{}'{}: this trigger would never fire on it", d,
                        Suggest(d, domain_names_, "the catalog has none")));
    }
    for (std::size_t i = 0; i < t.verdicts.size(); ++i) {
      core::Verdict v = t.verdicts[i];
      if (v == core::Verdict::kOutage || v == core::Verdict::kRegionalOutage ||
          v == core::Verdict::kDegraded) {
        continue;
      }
      Error(ItemPlace(t.source, "verdicts", i),
            fmt::format("'{}' never opens an incident (only outage, regional_outage and "
                        "degraded do): this trigger would never fire on it",
                        core::VerdictName(v)));
    }
  }

  // The relay channels a message to these targets may go on: every point of every person.
  std::vector<const channels::ChannelSetup*> ChannelsOf(const std::vector<Target>& targets) const {
    std::vector<const channels::ChannelSetup*> out;
    for (const Target& t : targets) {
      std::vector<const Person*> people;
      if (t.kind == Target::Kind::kPerson) {
        if (const Person* p = plan_.FindPerson(t.name)) people.push_back(p);
      } else {
        people = plan_.Holders(t.name);
      }
      for (const Person* p : people) {
        const channels::Contact* c = relay_.FindContact(p->contact);
        if (c == nullptr) continue;
        for (const auto& point : c->points) {
          if (const auto* ch = relay_.FindChannel(point.channel)) AddUnique(out, ch);
        }
      }
    }
    return out;
  }

  // The text (a template's, or inline) for each channel: known, well-formed and within the
  // channel's length limit with every variable at its longest.
  void CheckMessage(const MessageSpec& m, const Source& src,
                    const std::vector<const channels::ChannelSetup*>& on, std::string_view what) {
    const channels::TemplateVars worst = channels::WorstCaseVars();
    auto check_length = [&](const std::string& text, const channels::ChannelSetup& ch,
                            const Place& at, const std::string& label) {
      if (ch.traits.max_chars == 0) return;
      auto rendered = channels::RenderTemplate(text, worst);
      if (!rendered.ok()) return;  // reported by CheckTemplate
      std::size_t n = channels::CodePoints(*rendered);
      if (n > ch.traits.max_chars) {
        Error(at, fmt::format("{} can reach {} characters on channel {} with every variable at "
                              "its longest ({{platform}} {}, {{backup_link}} {}, {{incident}} {} "
                              "characters...); {} allows {}: shorten it{}",
                              label, n, ch.name, channels::kMaxPlatformChars,
                              channels::kMaxBackupLinkChars, channels::kMaxIncidentChars, ch.name,
                              ch.traits.max_chars,
                              m.template_name.empty()
                                  ? std::string()
                                  : fmt::format(", or give the template a text for {}", ch.name)));
      }
    };
    if (!m.template_name.empty()) {
      const channels::Template* t = relay_.FindTemplate(m.template_name);
      const Place& at = src.Of("template");
      if (t == nullptr) {
        Error(at,
              fmt::format("unknown template '{}'{}", m.template_name,
                          Suggest(m.template_name, template_names_, "no templates: configured")));
        return;
      }
      for (const channels::ChannelSetup* ch : on) {
        const std::string* text = t->TextFor(ch->name, ch->kind);
        if (text == nullptr) {
          Warn(at, fmt::format("template {} has no text for channel {} (none of its own, its "
                               "type's or default:): {} cannot go there",
                               t->name, ch->name, what));
          continue;
        }
        check_length(*text, *ch, at, fmt::format("template {}", t->name));
      }
      return;
    }
    const Place& at = src.Of("text");
    if (auto s = channels::CheckTemplate(m.text); !s.ok()) {
      Error(at, s.error().message());
      return;
    }
    if (!m.subject.empty()) {
      if (auto s = channels::CheckTemplate(m.subject); !s.ok()) {
        Error(src.Of("subject"), s.error().message());
      }
    }
    for (const channels::ChannelSetup* ch : on) check_length(m.text, *ch, at, "this text");
  }

  // Where a post may go over every way the response can fire; nothing in any: never runs.
  struct PostPlan {
    std::vector<const channels::ChannelSetup*> channels;  // every channel it may use
    std::vector<std::string> empty_on;  // failures during which it has nowhere to go
    bool never = false;
    std::string why;
  };

  std::string FailureName(const Failure& f) const {
    if (f.domain_wide) {
      return fmt::format("{} {}-wide outage", Article(DomainDisplayName(f.domain)),
                         DomainDisplayName(f.domain));
    }
    std::string name = PlatformName(f.platforms.empty() ? "" : f.platforms.front());
    return fmt::format("{} {} outage", Article(name), name);
  }

  void CheckPost(const PostStep& p, const Step& s, const Failures& failures, std::string* stops) {
    std::vector<const InventoryChannel*> candidates;
    if (p.on.empty()) {
      for (const InventoryChannel& c : plan_.inventory) candidates.push_back(&c);
    } else {
      for (std::size_t i = 0; i < p.on.size(); ++i) {
        const InventoryChannel* c = plan_.FindInventory(p.on[i]);
        const Place& at = ItemPlace(s.source, "on", i);
        if (c == nullptr) {
          Error(at, fmt::format("unknown inventory channel '{}'{}", p.on[i],
                                Suggest(p.on[i], inventory_ids_)));
          continue;
        }
        if (c->channel.empty()) {
          Error(at, fmt::format("inventory channel {} has no channel: Lifeline cannot post there "
                                "(give it channel: NAME, a relay channel)",
                                c->id));
          continue;
        }
        candidates.push_back(c);
      }
    }
    std::vector<const channels::ChannelSetup*> used;
    std::vector<std::string> nowhere;
    for (const Failure& f : failures) {
      bool any = false;
      for (const InventoryChannel* c : candidates) {
        if (c->channel.empty() || plan_.Fails(*c, f)) continue;
        const channels::ChannelSetup* ch = relay_.FindChannel(c->channel);
        if (ch == nullptr) continue;
        any = true;
        AddUnique(used, ch);
      }
      if (!any) nowhere.push_back(FailureName(f));
    }
    const Place& at = s.source.Of("post");
    if (!failures.empty() && nowhere.size() == failures.size()) {
      std::string why =
          p.on.empty() ? fmt::format("no inventory channel with a relay channel survives {}",
                                     JoinAnd(nowhere, "or"))
                       : fmt::format("every channel in on: fails in {}", JoinAnd(nowhere, "or"));
      Error(at, fmt::format("this post can never run: {} (add a backup channel to the inventory "
                            "with channel: NAME)",
                            why));
      if (s.on_error.action == OnError::Action::kStop) *stops = "its post has nowhere to go";
    } else if (!nowhere.empty()) {
      Warn(at, fmt::format("during {} this post has nowhere to go: every channel it could use "
                           "fails too",
                           JoinAnd(nowhere, "or")));
    }
    for (const channels::ChannelSetup* ch : used) {
      channels::OutgoingMessage probe;
      probe.id = probe.idempotency_key = "plan-check";
      probe.text = "Lifeline";
      if (auto st = ch->channel->Check(probe); !st.ok()) {
        Error(at, fmt::format("channel {} cannot take a post without a recipient: {} (give the "
                              "channel a default recipient)",
                              ch->name, st.error().message()));
      }
    }
    CheckMessage(p.message, s.source, used, "the post");
  }

  void CheckMove(const MoveConversationsStep& m, const Step& s, const Failures& failures) {
    if (!m.to.empty()) {
      if (plan_.FindInventory(m.to) == nullptr) {
        Error(s.source.Of("to"),
              fmt::format("unknown inventory channel '{}'{}", m.to, Suggest(m.to, inventory_ids_)));
      }
      return;
    }
    bool any_failing = false;
    bool any_backup = false;
    for (const Failure& f : failures) {
      for (const InventoryChannel& c : plan_.inventory) {
        if (!plan_.Fails(c, f)) continue;
        any_failing = true;
        if (!c.backup.empty()) any_backup = true;
      }
    }
    if (!any_failing) {
      Warn(s.source.Of("move_conversations"),
           "no inventory channel fails when this response runs: there are no conversations to "
           "move");
    } else if (!any_backup) {
      Error(s.source.Of("move_conversations"),
            "this step can never run: no inventory channel that fails here has a backup "
            "(inventory.ID.backup), and to: names none");
    }
  }

  void CheckStep(const Step& s, const Response& r, const Failures& failures, bool in_parallel,
                 std::string* stops) {
    const std::string what = fmt::format("step {} of response {}", s.id, r.name);
    const OnError& e = s.on_error;
    if (e.action == OnError::Action::kEscalate ||
        (e.action == OnError::Action::kRetry && e.then == OnError::Action::kEscalate)) {
      if (e.escalation.empty() && r.escalation.empty()) {
        Error(s.source.Of("on_error"),
              "on_error escalates, but there is no escalation policy: give the response "
              "escalation: POLICY, or write { escalate: POLICY }");
      } else {
        Policy(e.escalation, s.source.Of("escalation"), r);
      }
    }
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, NotifyStep>) {
            for (std::size_t i = 0; i < b.to.size(); ++i) {
              NeedTarget(b.to[i], ItemPlace(s.source, "to", i), what);
              responders_[r.name].targets.push_back(b.to[i]);
            }
            CheckMessage(b.message, s.source, ChannelsOf(b.to), "the notification");
            if (!b.escalation.empty()) Policy(b.escalation, s.source.Of("escalation"), r);
          } else if constexpr (std::is_same_v<T, PostStep>) {
            CheckPost(b, s, failures, stops);
          } else if constexpr (std::is_same_v<T, MoveConversationsStep>) {
            CheckMove(b, s, failures);
          } else if constexpr (std::is_same_v<T, PauseStep>) {
            // Waits for the ads part and the content calendar; nothing to check yet.
          } else if constexpr (std::is_same_v<T, WaitStep>) {
            if (in_parallel) {
              Error(s.source.Of("wait"),
                    "a wait inside parallel delays nothing: its siblings start at once (put the "
                    "wait before or after the parallel group)");
            }
          } else if constexpr (std::is_same_v<T, ApproveStep>) {
            if (in_parallel) {
              Error(s.source.Of("approve"),
                    "an approval inside parallel holds nothing back: its siblings start at once "
                    "(put it before the group, so that the approval gates what follows)");
            }
            NeedRole(b.role, s.source.Of("role"), what);
            responders_[r.name].targets.push_back({Target::Kind::kRole, b.role});
            if (b.on_timeout == ApproveStep::OnTimeout::kEscalate) {
              if (b.escalation.empty() && r.escalation.empty()) {
                Error(s.source.Of("approve"),
                      "on_timeout: escalate (the default) needs an escalation policy: give the "
                      "approval or the response escalation: POLICY, or choose on_timeout: "
                      "continue or stop");
              } else {
                Policy(b.escalation, s.source.Of("escalation"), r);
              }
            }
            if (plan_.FindRole(b.role) != nullptr && plan_.Holders(b.role).empty() &&
                b.on_timeout == ApproveStep::OnTimeout::kStop) {
              *stops = fmt::format(
                  "nobody can give its approval (nobody holds {}) and "
                  "on_timeout is stop",
                  b.role);
            }
          } else if constexpr (std::is_same_v<T, TaskStep>) {
            NeedRole(b.role, s.source.Of("role"), what);
            responders_[r.name].targets.push_back({Target::Kind::kRole, b.role});
            if (b.escalation.empty() && r.escalation.empty()) {
              Warn(s.source.Of("task"),
                   "nobody is chased if this task is not acknowledged: give it or the response "
                   "escalation: POLICY");
            } else {
              Policy(b.escalation, s.source.Of("escalation"), r);
            }
          } else {
            CheckSteps(b.steps, r, failures, true, stops);
          }
        },
        s.body);
  }

  // A sequence; `stops` is set by a step after which nothing can run.
  void CheckSteps(const std::vector<Step>& steps, const Response& r, const Failures& failures,
                  bool in_parallel, std::string* stops) {
    const Step* stopper = nullptr;
    std::string why;
    bool reported = false;
    for (const Step& s : steps) {
      if (stopper != nullptr && !in_parallel && !reported) {
        Error(s.source.at,
              fmt::format("this step can never run: step {} (line {}) always stops the response "
                          "first: {}",
                          stopper->id, stopper->source.at.line, why));
        reported = true;
      }
      std::string stop;
      CheckStep(s, r, failures, in_parallel, &stop);
      if (!stop.empty() && stopper == nullptr) {
        stopper = &s;
        why = stop;
      }
    }
    if (stopper != nullptr) *stops = why;
  }

  void CheckResponse(const Response& r) {
    if (!r.escalation.empty()) Policy("", r.source.Of("escalation"), r);
    CheckTrigger(r.trigger);
    const Failures failures = FailuresOf(r.trigger);
    std::string stops;
    CheckSteps(r.steps, r, failures, false, &stops);
    for (const ChecklistItem& it : r.after_restoration.checklist) {
      NeedRole(it.role, it.source.Of("role"),
               fmt::format("checklist item {} of response {}", it.id, r.name));
      responders_[r.name].targets.push_back({Target::Kind::kRole, it.role});
      if (!it.escalation.empty()) Policy(it.escalation, it.source.Of("escalation"), r);
    }
  }

  void CheckUnusedRoles() {
    for (const Role& r : plan_.roles) {
      if (!plan_.Holders(r.name).empty() || used_roles_.count(r.name) > 0) continue;
      if (r.name == plan_.on_call) continue;  // CheckOnCall speaks about it
      Warn(r.source.at, fmt::format("nobody holds role '{}' and nothing asks for it: give it to "
                                    "someone or remove it",
                                    r.name));
    }
  }

  // Off-hours messages go to the on-call role: somebody must hold it, at every hour.
  void CheckOnCall() {
    const Person* with_hours = nullptr;
    for (const Person& p : plan_.team) {
      if (p.hours && with_hours == nullptr) with_hours = &p;
    }
    if (with_hours == nullptr) return;  // everyone always works
    if (plan_.on_call.empty()) {
      Warn(with_hours->source.Of("hours"),
           "some people have working hours but the plan has no on-call role: off-hours messages "
           "fall back to whoever is named, asleep or not (declare roles: on_call and give it to "
           "someone, or name the role with on_call:)");
      return;
    }
    if (plan_.FindRole(plan_.on_call) == nullptr) return;  // reported as unknown
    const auto holders = plan_.Holders(plan_.on_call);
    const Role& role = *plan_.FindRole(plan_.on_call);
    if (holders.empty()) {
      Warn(role.source.at,
           fmt::format("nobody holds the on-call role '{}': off-hours messages fall back to "
                       "whoever is named, asleep or not",
                       plan_.on_call));
      return;
    }
    // A week in winter and one in summer (both sides of daylight saving time), every 15 minutes.
    using namespace std::chrono;
    for (sys_days week : {sys_days(year(2026) / January / 5), sys_days(year(2026) / July / 6)}) {
      for (minutes m{0}; m < days(7); m += minutes(15)) {
        const TimePoint at = week + m;
        bool covered = std::any_of(holders.begin(), holders.end(),
                                   [&](const Person* p) { return p->WorkingAt(at); });
        if (covered) continue;
        const sys_days day = floor<days>(at);
        const hh_mm_ss<minutes> tod(floor<minutes>(at - day));
        static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        Warn(role.source.at,
             fmt::format("the on-call role '{}' has gaps: nobody holding it works on {} at "
                         "{:02}:{:02} UTC (in {}), so off-hours messages then fall back to "
                         "whoever is named, asleep or not",
                         plan_.on_call, kDays[weekday(day).c_encoding()], tod.hours().count(),
                         tod.minutes().count(),
                         year_month_day(day).month() == January ? "winter" : "summer"));
        return;
      }
    }
  }

  // ---- the main warning: alerts that travel through what is down ----

  struct Responders {
    std::vector<Target> targets;
    std::set<std::string> policies;
  };

  // The domains a person's contact points ride on; nullopt when one point depends on none of
  // `domains` (the person stays reachable).
  std::optional<std::vector<std::string>> AtRisk(const Person& p,
                                                 const std::vector<std::string>& domains,
                                                 std::vector<std::string>* channels) const {
    const channels::Contact* c = relay_.FindContact(p.contact);
    if (c == nullptr || c->points.empty()) return std::nullopt;
    std::vector<std::string> rides;
    for (const auto& point : c->points) {
      const channels::ChannelSetup* ch = relay_.FindChannel(point.channel);
      if (ch == nullptr) continue;
      std::string d = ChannelDomain(*ch);
      if (d.empty() || !Contains(domains, d)) return std::nullopt;
      AddUnique(rides, d);
      AddUnique(*channels, ch->name);
    }
    if (rides.empty()) return std::nullopt;
    return rides;
  }

  void CheckExposure() {
    // Per role (or person named directly): the responses whose failure would silence it.
    struct Risk {
      std::vector<std::string> domains;
      std::vector<std::string> responses;
      std::vector<std::string> channels;
      std::vector<std::string> people;
    };
    std::map<std::string, Risk> roles;
    std::map<std::string, Risk> people;
    for (const Response& r : plan_.responses) {
      const std::vector<std::string> domains = DomainsOf(r.trigger);
      if (domains.empty()) continue;
      Responders who = responders_[r.name];
      for (const std::string& name : who.policies) {
        if (const EscalationPolicy* p = plan_.FindPolicy(name)) {
          for (const Target& t : p->to) AddUnique(who.targets, t);
        }
      }
      if (!plan_.on_call.empty())
        AddUnique(who.targets, Target{Target::Kind::kRole, plan_.on_call});
      for (const Target& t : who.targets) {
        std::vector<const Person*> holders;
        if (t.kind == Target::Kind::kPerson) {
          if (const Person* p = plan_.FindPerson(t.name)) holders.push_back(p);
        } else {
          holders = plan_.Holders(t.name);
        }
        if (holders.empty()) continue;
        Risk risk;
        bool all = true;
        for (const Person* p : holders) {
          auto rides = AtRisk(*p, domains, &risk.channels);
          if (!rides) {
            all = false;
            break;
          }
          for (const std::string& d : *rides) AddUnique(risk.domains, d);
          risk.people.push_back(p->name);
        }
        if (!all) continue;
        Risk& into = (t.kind == Target::Kind::kPerson ? people : roles)[t.name];
        for (const std::string& d : risk.domains) AddUnique(into.domains, d);
        for (const std::string& c : risk.channels) AddUnique(into.channels, c);
        into.people = risk.people;
        AddUnique(into.responses, r.name);
      }
    }
    auto names = [](const std::vector<std::string>& domains) {
      std::vector<std::string> out;
      for (const std::string& d : domains) out.push_back(DomainDisplayName(d));
      return JoinAnd(out);
    };
    for (const auto& [role, risk] : roles) {
      const Role* r = plan_.FindRole(role);
      if (r == nullptr) continue;
      Warn(r->source.at,
           fmt::format("the {}'s alerts would travel through {}, which this plan responds to "
                       "(response {}): every contact point of {} is on {}; give {} a point on "
                       "another channel (e-mail, SMS, or a chat on another failure domain)",
                       role, names(risk.domains), JoinAnd(risk.responses), JoinAnd(risk.people),
                       JoinAnd(risk.channels),
                       risk.people.size() == 1 ? risk.people.front() : "one of them"));
    }
    for (const auto& [id, risk] : people) {
      const Person* p = plan_.FindPerson(id);
      if (p == nullptr) continue;
      Warn(p->source.Of("contact"),
           fmt::format("{}'s alerts would travel through {}, which this plan responds to "
                       "(response {}): every contact point is on {}; add a point on another "
                       "channel (e-mail, SMS, or a chat on another failure domain)",
                       p->name, names(risk.domains), JoinAnd(risk.responses),
                       JoinAnd(risk.channels)));
    }
  }

  const Plan& plan_;
  const config::Config& config_;
  const channels::RelaySetup& relay_;
  std::vector<std::string> role_names_, person_ids_, inventory_ids_, policy_names_, contact_ids_,
      channel_names_, template_names_, domain_names_;
  std::set<std::string> used_roles_;
  std::map<std::string, Responders> responders_;  // by response name
  std::vector<Finding> out_;
};

// ---- the advisor ----

// A channel worth suggesting, and how to tell the inventory has it already.
struct Candidate {
  std::string_view label;
  std::vector<std::string_view> kinds;      // relay adapter types
  std::vector<std::string_view> platforms;  // catalog ids
  std::string_view domain;                  // "" = fails with no platform
};

const std::vector<Candidate>& Candidates() {
  // Owned channels first (an e-mail list and SMS fail with no platform), then chats and
  // networks on their own failure domains.
  static const std::vector<Candidate> kAll = {
      {"e-mail", {"email"}, {}, ""},
      {"Telegram", {"telegram"}, {"telegram"}, "telegram"},
      {"SMS", {"twilio"}, {}, ""},
      {"X", {"x"}, {"x"}, "x"},
      {"Bluesky", {"bluesky"}, {"bluesky"}, "bluesky"},
      {"Mastodon", {"mastodon"}, {"mastodon"}, "mastodon.social"},
      {"YouTube", {}, {"youtube"}, "google"},
      {"TikTok", {}, {"tiktok"}, "bytedance"},
      {"WhatsApp", {"whatsapp"}, {"whatsapp"}, "meta"},
      {"Instagram", {"instagram"}, {"instagram"}, "meta"},
  };
  return kAll;
}

// Outages on record, cited only where true.
std::string_view OnRecord(std::string_view domain) {
  if (domain == "meta") return "4 Oct 2021";  // Facebook, Instagram, WhatsApp: ~6 hours, BGP/DNS
  return "";
}

std::string Percent(std::uint64_t reachable, std::uint64_t total) {
  if (total == 0) return "100%";
  long pct = std::lround(100.0 * static_cast<double>(reachable) / static_cast<double>(total));
  if (reachable < total && pct >= 100) pct = 99;
  if (reachable > 0 && pct <= 0) return "under 1%";
  return fmt::format("{}%", pct);
}

}  // namespace

std::string DomainDisplayName(std::string_view domain) {
  static const std::map<std::string_view, std::string_view> kNames = {
      {"meta", "Meta"},           {"google", "Google"},
      {"bytedance", "ByteDance"}, {"x", "X"},
      {"microsoft", "Microsoft"}, {"telegram", "Telegram"},
      {"snap", "Snap"},           {"pinterest", "Pinterest"},
      {"reddit", "Reddit"},       {"discord", "Discord"},
      {"signal", "Signal"},       {"bluesky", "Bluesky"},
      {"amazon", "Amazon"},       {"automattic", "Automattic"}};
  auto it = kNames.find(domain);
  return it == kNames.end() ? std::string(domain) : std::string(it->second);
}

std::vector<Finding> CheckPlan(const Plan& plan, const config::Config& config,
                               const channels::RelaySetup& relay) {
  return Checker(plan, config, relay).Run();
}

Advice Advise(const Plan& plan, const config::Config& config, const channels::RelaySetup& relay) {
  Advice a;
  for (const InventoryChannel& c : plan.inventory) a.total += c.audience;
  auto has = [&](const Candidate& cand) {
    for (const InventoryChannel& c : plan.inventory) {
      if (!c.platform.empty() && Contains(cand.platforms, std::string_view(c.platform))) {
        return true;
      }
      if (const auto* ch = relay.FindChannel(c.channel)) {
        if (Contains(cand.kinds, std::string_view(ch->kind))) return true;
      }
    }
    return false;
  };
  auto exposure = [&](Exposure::Kind kind, const std::string& id, const Failure& f) {
    Exposure e;
    e.kind = kind;
    e.id = id;
    e.total = a.total;
    if (kind == Exposure::Kind::kDomain) {
      e.name = DomainDisplayName(id);
    } else {
      const core::Platform* p = config::FindPlatform(config, id);
      e.name = p == nullptr ? id : p->name;
    }
    std::vector<const InventoryChannel*> alive;
    for (const InventoryChannel& c : plan.inventory) {
      if (plan.Fails(c, f)) {
        e.cut_off.push_back(c.id);
      } else {
        e.surviving.push_back(c.id);
        e.reachable += c.audience;
        alive.push_back(&c);
      }
    }
    e.share = a.total == 0 ? 1.0 : static_cast<double>(e.reachable) / static_cast<double>(a.total);
    std::string what = kind == Exposure::Kind::kDomain
                           ? fmt::format("{} {}-wide outage", Article(e.name), e.name)
                           : fmt::format("{} {} outage", Article(e.name), e.name);
    if (kind == Exposure::Kind::kDomain && !OnRecord(id).empty()) {
      what += fmt::format(", as on {},", OnRecord(id));
    }
    e.advice =
        fmt::format("{} leaves {} of your audience reachable", what, Percent(e.reachable, a.total));
    e.advice[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(e.advice[0])));
    if (a.total == 0 || e.share >= kComfortableShare) return e;
    // Two suggestions at least: one channel only would be the next single point of failure.
    const std::string failed_domain = kind == Exposure::Kind::kDomain ? id : f.domain;
    std::vector<std::string> add;
    for (const Candidate& cand : Candidates()) {
      if (add.size() == 2) break;
      if (!failed_domain.empty() && cand.domain == failed_domain) continue;
      if (has(cand)) continue;
      add.emplace_back(cand.label);
    }
    std::vector<std::string> grow;
    std::stable_sort(alive.begin(), alive.end(),
                     [](const auto* x, const auto* y) { return x->audience > y->audience; });
    for (const InventoryChannel* c : alive) {
      if (add.size() + grow.size() >= 2) break;
      grow.push_back(c->name);
    }
    e.suggestions = add;
    e.suggestions.insert(e.suggestions.end(), grow.begin(), grow.end());
    if (add.size() == 2) {
      e.advice += fmt::format(": add {} or {}", add[0], add[1]);
    } else if (add.size() == 1 && !grow.empty()) {
      e.advice += fmt::format(": add {}, or grow your audience on {}", add[0], grow[0]);
    } else if (!grow.empty()) {
      e.advice += fmt::format(": grow your audience on {}", JoinAnd(grow));
    }
    return e;
  };
  std::vector<std::string> domains;
  std::vector<std::string> platforms;
  for (const InventoryChannel& c : plan.inventory) {
    if (!c.domain.empty()) AddUnique(domains, c.domain);
    if (!c.platform.empty()) AddUnique(platforms, c.platform);
  }
  for (const std::string& d : domains) {
    a.domains.push_back(exposure(Exposure::Kind::kDomain, d, Failure{{}, d, true, {}}));
  }
  for (const std::string& p : platforms) {
    auto it = plan.platform_domains.find(p);
    std::string d = it == plan.platform_domains.end() ? std::string() : it->second;
    a.platforms.push_back(exposure(Exposure::Kind::kPlatform, p, Failure{{p}, d, false, {}}));
  }
  auto worst_first = [](const Exposure& x, const Exposure& y) { return x.share < y.share; };
  std::stable_sort(a.domains.begin(), a.domains.end(), worst_first);
  std::stable_sort(a.platforms.begin(), a.platforms.end(), worst_first);
  if (plan.inventory.empty()) {
    a.notes.push_back(
        "the plan has no inventory: list every channel the brand uses under "
        "inventory:, each with its audience");
  } else if (a.total == 0) {
    a.notes.push_back("no inventory channel gives its audience: shares cannot be weighed");
  } else if (plan.inventory.size() == 1) {
    a.notes.push_back(
        fmt::format("the whole audience is on one channel ({}): one failure "
                    "silences the brand",
                    plan.inventory.front().name));
  } else if (domains.size() == 1 &&
             std::all_of(plan.inventory.begin(), plan.inventory.end(),
                         [&](const InventoryChannel& c) { return c.domain == domains.front(); })) {
    a.notes.push_back(
        fmt::format("every channel in the inventory rides on {}: one {}-wide "
                    "outage silences the brand",
                    DomainDisplayName(domains.front()), DomainDisplayName(domains.front())));
  }
  return a;
}

}  // namespace lifeline::playbook
