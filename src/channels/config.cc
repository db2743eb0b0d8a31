// Parsing and checking the relay's config sections: channels, contacts, templates, relay
// (config.h). Every error is FILE:LINE: KEY.PATH: what (what would be valid).
#include "channels/config.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"

namespace lifeline::channels {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::Where;

const ChannelSetup* RelaySetup::FindChannel(std::string_view name) const {
  for (const ChannelSetup& c : channels) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Contact* RelaySetup::FindContact(std::string_view id) const {
  for (const Contact& c : contacts) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const Template* RelaySetup::FindTemplate(std::string_view name) const {
  for (const Template& t : templates) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {

// Keys every channel may have, taken out before the adapter sees the rest.
const yaml::Keys kCommonKeys = {"type", "url", "platform", "timeout", "rate"};
// Template keys that are not channel names or kinds (so no channel may be named so).
constexpr std::string_view kTemplateDefault = "default";
constexpr std::string_view kTemplateSubject = "subject";

std::string Thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "did you mean 'x'?" or "valid: a, b, c", for an unknown name among `valid`.
std::string Suggest(std::string_view word, const std::vector<std::string>& valid,
                    std::string_view quote = "'") {
  if (auto near = config::Closest(word, valid)) {
    return fmt::format("did you mean {}{}{}?", quote, *near, quote);
  }
  if (valid.empty()) return "none are configured";
  return fmt::format("valid: {}", yaml::Join(valid));
}

Status CheckName(const Doc& doc, const Where& w, std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (!ok) {
    return Fail(doc, w,
                fmt::format("'{}' is not a valid {} name (1 to 64 letters, digits, '_', '-' or "
                            "'.')",
                            name, what));
  }
  return core::Ok();
}

// "30/s", "20/min", "100/h", or a bare number per second.
Result<double> ParseRate(std::string_view text) {
  std::string_view number = text;
  double per = 1.0;  // seconds per unit
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    number = text.substr(0, slash);
    std::string_view unit = text.substr(slash + 1);
    if (unit == "s" || unit == "sec" || unit == "second") {
      per = 1;
    } else if (unit == "m" || unit == "min" || unit == "minute") {
      per = 60;
    } else if (unit == "h" || unit == "hour") {
      per = 3600;
    } else {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "unknown unit '{}' (write e.g. 30/s, 20/min or 100/h)", unit);
    }
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || ptr != number.data() + number.size() || !(v > 0) || v > 1e6) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "'{}' is not a sending rate (write e.g. 30/s, 20/min or 100/h)", text);
  }
  return v / per;
}

class Loader {
 public:
  Loader(const config::Config& config, const LoadOptions& options)
      : config_(config), options_(options), kinds_(options.kinds) {
    if (kinds_.empty()) kinds_ = Kinds();
  }

  Result<RelaySetup> Load() {
    for (const core::Platform& p : config_.platforms) out_.platform_domains[p.id] = p.domain;
    if (const auto* s = config_.Section("channels")) LL_TRY(Channels(*s));
    if (const auto* s = config_.Section("contacts")) LL_TRY(Contacts(*s));
    if (const auto* s = config_.Section("templates")) LL_TRY(Templates(*s));
    if (const auto* s = config_.Section("relay")) LL_TRY(Relay(*s));
    return std::move(out_);
  }

 private:
  std::vector<std::string> KindTypes() const {
    std::vector<std::string> out;
    for (const Kind& k : kinds_) out.emplace_back(k.type);
    return out;
  }
  std::vector<std::string> Schemes() const {
    std::vector<std::string> out;
    for (const Kind& k : kinds_) {
      for (std::string_view s : k.schemes) out.emplace_back(s);
    }
    return out;
  }
  std::vector<std::string> ChannelNames() const {
    std::vector<std::string> out;
    for (const ChannelSetup& c : out_.channels) out.push_back(c.name);
    return out;
  }
  const Kind* KindByType(std::string_view type) const {
    for (const Kind& k : kinds_) {
      if (k.type == type) return &k;
    }
    return nullptr;
  }
  const Kind* KindByScheme(std::string_view scheme) const {
    for (const Kind& k : kinds_) {
      for (std::string_view s : k.schemes) {
        if (s == scheme) return &k;
      }
    }
    return nullptr;
  }

  Status Channels(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, sec.node, sec.where, {},
                                        "channels (NAME: { type: KIND, ... } or NAME: { url: "
                                        "URL })"));
    for (const Field& f : all.items) LL_TRY(OneChannel(doc, f));
    return core::Ok();
  }

  Status OneChannel(const Doc& doc, const Field& f) {
    const std::string& name = f.key;
    LL_TRY(CheckName(doc, f.where, name, "channel"));
    if (name == kTemplateDefault || name == kTemplateSubject) {
      return Fail(doc, f.where,
                  fmt::format("'{}' is reserved (templates use it as a key); choose another "
                              "channel name",
                              name));
    }
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, f.value, f.where, {},
                                           "a channel (type: KIND and its settings, or url: URL)"));
    const Field* type = fields.Find("type");
    const Field* url = fields.Find("url");
    if (type != nullptr && url != nullptr) {
      return Fail(doc, url->where,
                  "give either type: KIND with the adapter's keys, or url: URL, not both");
    }
    if (type == nullptr && url == nullptr) {
      return Fail(doc, f.where,
                  fmt::format("missing type: KIND (one of: {}) or url: URL (an Apprise-style "
                              "address such as tgram://TOKEN/CHAT)",
                              KindTypes().empty() ? "none built in" : yaml::Join(KindTypes())));
    }

    BuildContext ctx;
    ctx.doc = doc;
    ctx.where = f.where;
    ctx.name = name;
    ctx.http = options_.http;
    if (const Field* t = fields.Find("timeout")) {
      LL_ASSIGN(ctx.timeout, yaml::GetDuration(doc, t->value, t->where));
      if (ctx.timeout > std::chrono::minutes(10)) {
        return Fail(doc, yaml::At(t->where, t->value), "at most 10m (a send blocks a worker)");
      }
    }
    if (const Field* p = fields.Find("platform")) {
      LL_ASSIGN(ctx.platform, yaml::GetNonEmpty(doc, p->value, p->where, "a catalog platform id"));
      if (config::FindPlatform(config_, ctx.platform) == nullptr) {
        auto near = config::SuggestPlatform(config_, ctx.platform);
        return Fail(
            doc, yaml::At(p->where, p->value),
            near ? fmt::format("unknown platform '{}' (did you mean '{}'?)", ctx.platform, *near)
                 : fmt::format("unknown platform '{}' (a platform id of the catalog, "
                               "e.g. whatsapp, telegram)",
                               ctx.platform));
      }
    }
    std::optional<double> rate;
    if (const Field* r = fields.Find("rate")) {
      LL_ASSIGN(std::string text, yaml::GetNonEmpty(doc, r->value, r->where, "a sending rate"));
      auto v = ParseRate(text);
      if (!v) return Fail(doc, yaml::At(r->where, r->value), v.error().message());
      rate = *v;
    }

    const Kind* kind = nullptr;
    core::Result<std::unique_ptr<lifeline::channels::Channel>> built =
        core::Error(core::ErrorCode::kInternal, "not built");
    if (type != nullptr) {
      LL_ASSIGN(std::string t, yaml::GetNonEmpty(doc, type->value, type->where, "an adapter type"));
      kind = KindByType(t);
      if (kind == nullptr) {
        return Fail(doc, yaml::At(type->where, type->value),
                    fmt::format("unknown type '{}' ({})", t, Suggest(t, KindTypes())));
      }
      Fields rest;
      for (const Field& x : fields.items) {
        if (std::find(kCommonKeys.begin(), kCommonKeys.end(), x.key) == kCommonKeys.end()) {
          rest.items.push_back(x);
        }
      }
      built = kind->from_yaml(ctx, rest);
    } else {
      for (const Field& x : fields.items) {
        if (std::find(kCommonKeys.begin(), kCommonKeys.end(), x.key) == kCommonKeys.end()) {
          return Fail(doc, x.where,
                      fmt::format("unknown key '{}' beside url: (with url:, the adapter's "
                                  "settings go in the URL; only platform, timeout and rate may "
                                  "sit beside it)",
                                  x.key));
        }
      }
      // The URL may hold a token: it may come from the environment or a file, and no message
      // below quotes it.
      LL_ASSIGN(std::string text, yaml::GetSecret(doc, url->value, url->where, true));
      Where uw = yaml::At(url->where, url->value);
      auto parsed = ParseAppriseUrl(text);
      if (!parsed) {
        return Fail(doc, uw, fmt::format("not a channel URL: {}", parsed.error().message()));
      }
      kind = KindByScheme(parsed->scheme);
      if (kind == nullptr) {
        return Fail(doc, uw,
                    fmt::format("unknown URL scheme '{}' ({})", parsed->scheme,
                                Suggest(parsed->scheme, Schemes())));
      }
      built = kind->from_url(ctx, *parsed);
    }
    if (!built) return built.error();
    if (*built == nullptr) {
      return Fail(doc, f.where, fmt::format("the {} adapter built nothing (a bug)", kind->type));
    }

    ChannelSetup setup;
    setup.name = name;
    setup.kind = std::string(kind->type);
    setup.channel = std::move(*built);
    const Info& info = setup.channel->info();
    setup.platform = ctx.platform.empty() ? info.platform : ctx.platform;
    setup.traits = info.traits;
    setup.timeout = ctx.timeout;
    if (rate) {
      setup.traits.rate_per_second = *rate;
      setup.traits.burst = std::max(1.0, *rate);
    }
    out_.channels.push_back(std::move(setup));
    return core::Ok();
  }

  Status Contacts(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    LL_ASSIGN(Fields all,
              yaml::ReadMap(doc, sec.node, sec.where, {},
                            "contacts (ID: { name: NAME, points: [ { channel: C, to: ADDRESS } "
                            "] })"));
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "contact"));
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, f.value, f.where, {"name", "role", "points"},
                                             "a contact (name, role, points)"));
      Contact c;
      c.id = f.key;
      c.name = f.key;
      if (const Field* n = fields.Find("name")) {
        LL_ASSIGN(c.name, yaml::GetNonEmpty(doc, n->value, n->where, "a name"));
      }
      if (const Field* r = fields.Find("role")) {
        LL_ASSIGN(c.role, yaml::GetNonEmpty(doc, r->value, r->where, "a role"));
      }
      const Field* points = fields.Find("points");
      if (points == nullptr) {
        return Fail(doc, f.where,
                    "missing points: the channels to reach this contact on, first preferred "
                    "([ { channel: NAME, to: ADDRESS }, ... ])");
      }
      if (!points->value.IsSequence() || points->value.size() == 0) {
        return Fail(doc, points->where,
                    fmt::format("expected a non-empty list of {{ channel: NAME, to: ADDRESS }}, "
                                "got {}",
                                points->value.IsSequence() ? "an empty list"
                                                           : yaml::TypeName(points->value)));
      }
      for (std::size_t i = 0; i < points->value.size(); ++i) {
        const YAML::Node item = points->value[i];
        Where iw = points->where.Item(std::to_string(i), item.Mark());
        LL_ASSIGN(Fields pf, yaml::ReadMap(doc, item, iw, {"channel", "to"},
                                           "a contact point ({ channel: NAME, to: ADDRESS })"));
        const Field* ch = pf.Find("channel");
        if (ch == nullptr) return Fail(doc, iw, "missing channel: NAME (a configured channel)");
        ContactPoint p;
        LL_ASSIGN(p.channel, yaml::GetNonEmpty(doc, ch->value, ch->where, "a channel name"));
        const ChannelSetup* setup = out_.FindChannel(p.channel);
        if (setup == nullptr) {
          return Fail(doc, yaml::At(ch->where, ch->value),
                      fmt::format("unknown channel '{}' ({})", p.channel,
                                  Suggest(p.channel, ChannelNames())));
        }
        Where aw = ch->where;
        if (const Field* to = pf.Find("to")) {
          LL_ASSIGN(p.to, yaml::GetNonEmpty(doc, to->value, to->where, "an address"));
          aw = yaml::At(to->where, to->value);
        }
        // The adapter knows its address syntax (chat id, E.164 number, e-mail address).
        OutgoingMessage probe;
        probe.id = "config-check";
        probe.idempotency_key = "config-check";
        probe.to = p.to;
        probe.text = "Lifeline";
        if (auto s = setup->channel->Check(probe); !s) {
          return Fail(doc, aw, s.error().message());
        }
        c.points.push_back(std::move(p));
      }
      out_.contacts.push_back(std::move(c));
    }
    return core::Ok();
  }

  Status Templates(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, sec.node, sec.where, {},
                                        "templates (NAME: { default: TEXT, KIND or CHANNEL: TEXT "
                                        "})"));
    std::vector<std::string> keys = {std::string(kTemplateDefault), std::string(kTemplateSubject)};
    for (const std::string& n : ChannelNames()) keys.push_back(n);
    for (const std::string& k : KindTypes()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
    for (const Field& f : all.items) {
      LL_TRY(CheckName(doc, f.where, f.key, "template"));
      LL_ASSIGN(Fields fields,
                yaml::ReadMap(doc, f.value, f.where, {},
                              "a template (default: TEXT, and KIND or CHANNEL: TEXT)"));
      Template t;
      t.name = f.key;
      std::map<const std::string*, Where> where_of;  // which key gave each text
      for (const Field& x : fields.items) {
        if (std::find(keys.begin(), keys.end(), x.key) == keys.end()) {
          return Fail(doc, x.where,
                      fmt::format("unknown key '{}' (default, subject, a channel name or an "
                                  "adapter type; {})",
                                  x.key, Suggest(x.key, keys)));
        }
        LL_ASSIGN(std::string text, yaml::GetNonEmpty(doc, x.value, x.where, "a text"));
        if (auto s = CheckTemplate(text); !s) {
          return Fail(doc, yaml::At(x.where, x.value), s.error().message());
        }
        if (x.key == kTemplateSubject) {
          t.subject = std::move(text);
        } else if (x.key == kTemplateDefault) {
          t.default_text = std::move(text);
        } else {
          t.texts.emplace_back(x.key, std::move(text));
        }
      }
      if (t.default_text.empty() && t.texts.empty()) {
        return Fail(doc, f.where,
                    "no text: give default: TEXT, or a text per channel or adapter type");
      }
      // Pointers into t are stable from here on (no more inserts).
      for (const Field& x : fields.items) {
        if (x.key == kTemplateDefault) where_of[&t.default_text] = x.where;
        for (const auto& [key, text] : t.texts) {
          if (key == x.key) where_of[&text] = x.where;
        }
      }
      const TemplateVars worst = WorstCaseVars();
      for (const ChannelSetup& c : out_.channels) {
        const std::string* text = t.TextFor(c.name, c.kind);
        if (text == nullptr || c.traits.max_chars == 0) continue;
        auto rendered = RenderTemplate(*text, worst);
        if (!rendered) return Fail(doc, where_of[text], rendered.error().message());
        std::size_t n = CodePoints(*rendered);
        if (n > c.traits.max_chars) {
          return Fail(
              doc, where_of[text],
              fmt::format("for channel {} this text can reach {} characters with every "
                          "variable at its longest ({{platform}} {}, {{backup_link}} {}, "
                          "{{incident}} {} characters...); {} allows {}: shorten it, or "
                          "give {} a text of its own",
                          c.name, Thousands(n), kMaxPlatformChars, kMaxBackupLinkChars,
                          kMaxIncidentChars, c.name, Thousands(c.traits.max_chars), c.name));
        }
      }
      out_.templates.push_back(std::move(t));
    }
    return core::Ok();
  }

  Status Relay(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    RelayConfig& r = out_.relay;
    LL_ASSIGN(Fields fields, yaml::ReadMap(doc, sec.node, sec.where,
                                           {"workers", "max_attempts", "max_age", "backoff",
                                            "circuit", "batch", "poll"},
                                           "relay settings"));
    for (const Field& f : fields.items) {
      if (f.key == "workers") {
        LL_ASSIGN(auto v, yaml::GetInt(doc, f.value, f.where, 1, 64));
        r.workers = static_cast<int>(v);
      } else if (f.key == "max_attempts") {
        LL_ASSIGN(auto v, yaml::GetInt(doc, f.value, f.where, 1, 1000));
        r.max_attempts = static_cast<int>(v);
      } else if (f.key == "max_age") {
        LL_ASSIGN(r.max_age, yaml::GetDuration(doc, f.value, f.where));
      } else if (f.key == "poll") {
        LL_ASSIGN(r.poll, yaml::GetDuration(doc, f.value, f.where));
        if (r.poll > std::chrono::minutes(1)) {
          return Fail(doc, yaml::At(f.where, f.value),
                      "at most 1m (messages enqueued by another process wait this long)");
        }
      } else if (f.key == "batch") {
        LL_ASSIGN(auto v, yaml::GetInt(doc, f.value, f.where, 1, 10000));
        r.batch = static_cast<std::size_t>(v);
      } else if (f.key == "backoff") {
        LL_ASSIGN(Fields b, yaml::ReadMap(doc, f.value, f.where, {"base", "max"},
                                          "backoff ({ base: 2s, max: 10m })"));
        for (const Field& x : b.items) {
          LL_ASSIGN(auto d, yaml::GetDuration(doc, x.value, x.where));
          (x.key == "base" ? r.backoff_base : r.backoff_max) = d;
        }
        if (r.backoff_base > r.backoff_max) {
          return Fail(doc, f.where,
                      "base must not be longer than max (the first retry waits up to base, "
                      "later ones up to max)");
        }
      } else if (f.key == "circuit") {
        LL_ASSIGN(Fields c, yaml::ReadMap(doc, f.value, f.where, {"failures", "cooldown"},
                                          "circuit ({ failures: 5, cooldown: 60s })"));
        for (const Field& x : c.items) {
          if (x.key == "failures") {
            LL_ASSIGN(auto v, yaml::GetInt(doc, x.value, x.where, 1, 1000));
            r.circuit_failures = static_cast<int>(v);
          } else {
            LL_ASSIGN(r.circuit_cooldown, yaml::GetDuration(doc, x.value, x.where));
          }
        }
      }
    }
    return core::Ok();
  }

  const config::Config& config_;
  const LoadOptions& options_;
  std::span<const Kind> kinds_;
  RelaySetup out_;
};

}  // namespace

Result<RelaySetup> LoadRelaySetup(const config::Config& config, const LoadOptions& options) {
  return Loader(config, options).Load();
}

}  // namespace lifeline::channels
