// Reading `calendar:` (config.h) with FILE:LINE: KEY errors.
#include "calendar/config.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/values.h"
#include "config/yaml_read.h"

namespace lifeline::calendar {
namespace {

namespace yaml = config::yaml;
using core::Result;
using core::Status;
using yaml::Doc;
using yaml::Fail;
using yaml::Field;
using yaml::Fields;
using yaml::Where;

const yaml::Keys kTopKeys = {"release", "platforms", "posts", "verify_after"};
const yaml::Keys kReleaseKeys = {"policy", "slots", "spacing", "drop_expired"};
const yaml::Keys kPostKeys = {"text", "media", "channels", "at", "expires"};
const std::vector<std::string> kPolicies = {"publish_now", "next_free_slot", "manual"};

std::string Suggest(std::string_view word, const std::vector<std::string>& valid) {
  if (auto near = config::Closest(word, valid)) return fmt::format("did you mean '{}'?", *near);
  if (valid.empty()) return "none are configured";
  return fmt::format("valid: {}", yaml::Join(valid));
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

class Reader {
 public:
  Reader(const config::Config& config, const LoadOptions& options) : options_(options) {
    for (const auto& p : config.platforms) platform_ids_.push_back(p.id);
  }

  Result<CalendarConfig> Read(const config::PartSection& sec) {
    const Doc& doc = sec.doc;
    out_.configured = true;
    out_.file = doc.file;
    LL_ASSIGN(Fields fields,
              yaml::ReadMap(doc, sec.node, sec.where, kTopKeys, "the content calendar"));
    for (const Field& f : fields.items) {
      if (f.key == "release") {
        LL_ASSIGN(out_.release, ReadRelease(doc, f));
      } else if (f.key == "platforms") {
        LL_ASSIGN(Fields all,
                  yaml::ReadMap(doc, f.value, f.where, {}, "release policies per platform"));
        for (const Field& p : all.items) {
          if (std::find(platform_ids_.begin(), platform_ids_.end(), p.key) == platform_ids_.end()) {
            return Fail(
                doc, p.where,
                fmt::format("unknown platform '{}' ({})", p.key, Suggest(p.key, platform_ids_)));
          }
          LL_ASSIGN(Release r, ReadRelease(doc, p));
          out_.platforms.emplace(p.key, std::move(r));
        }
      } else if (f.key == "posts") {
        LL_TRY(Posts(doc, f));
      } else if (f.key == "verify_after") {
        LL_ASSIGN(out_.verify_after, yaml::GetDuration(doc, f.value, f.where));
        if (out_.verify_after > std::chrono::hours(24)) {
          return Fail(doc, yaml::At(f.where, f.value),
                      "expected at most 24h (0s: do not look published posts up)");
        }
      }
    }
    return std::move(out_);
  }

 private:
  Result<Release> ReadRelease(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields fields,
              yaml::ReadMap(doc, section.value, section.where, kReleaseKeys, "a release policy"));
    Release r;
    r.line = static_cast<int>(section.where.mark.line) + 1;
    const Field* slots = nullptr;
    const Field* spacing = nullptr;
    for (const Field& x : fields.items) {
      if (x.key == "policy") {
        LL_ASSIGN(std::string p, yaml::GetNonEmpty(doc, x.value, x.where, "a release policy"));
        auto parsed = ParsePolicy(p);
        if (!parsed) {
          return Fail(doc, yaml::At(x.where, x.value),
                      fmt::format("unknown policy '{}' ({})", p, Suggest(p, kPolicies)));
        }
        r.policy = *parsed;
      } else if (x.key == "slots") {
        slots = &x;
        std::vector<std::chrono::minutes> times;
        auto listed = yaml::GetStringList(doc, x.value, x.where, "a time of day (HH:MM, UTC)",
                                          [&](const std::string& s, const Where& w) -> Status {
                                            auto t = config::ParseTimeOfDay(s);
                                            if (!t.ok()) return Fail(doc, w, t.error().message());
                                            times.push_back(*t);
                                            return core::Ok();
                                          });
        if (!listed.ok()) return listed.error();
        std::sort(times.begin(), times.end());
        if (std::adjacent_find(times.begin(), times.end()) != times.end()) {
          return Fail(doc, x.where, "a time of day is listed twice");
        }
        r.slots = std::move(times);
      } else if (x.key == "spacing") {
        spacing = &x;
        LL_ASSIGN(r.spacing, yaml::GetDuration(doc, x.value, x.where));
        if (r.spacing < std::chrono::minutes(1) || r.spacing > std::chrono::hours(24)) {
          return Fail(doc, yaml::At(x.where, x.value), "expected 1m to 24h between two posts");
        }
      } else if (x.key == "drop_expired") {
        LL_ASSIGN(r.drop_expired, yaml::GetBool(doc, x.value, x.where));
      }
    }
    if (r.policy == Policy::kNextFreeSlot) {
      if (slots == nullptr && spacing == nullptr) {
        return Fail(doc, section.where,
                    "policy next_free_slot needs slots: [\"09:00\", \"13:00\"] (times of day, "
                    "UTC) or spacing: 30m");
      }
      if (slots != nullptr && spacing != nullptr) {
        return Fail(doc, spacing->where, "give slots: or spacing:, not both");
      }
    } else if (slots != nullptr || spacing != nullptr) {
      const Field* f = slots != nullptr ? slots : spacing;
      return Fail(doc, f->where,
                  fmt::format("only with policy: next_free_slot (this policy is {})",
                              PolicyName(r.policy)));
    }
    return r;
  }

  Result<store::Time> GetTime(const Doc& doc, const Field& x) {
    LL_ASSIGN(std::string s, yaml::GetNonEmpty(doc, x.value, x.where, "a time"));
    auto t = config::ParseTimestamp(s);
    if (!t.ok()) return Fail(doc, yaml::At(x.where, x.value), t.error().message());
    return store::FromSystem(*t);
  }

  Status Posts(const Doc& doc, const Field& section) {
    LL_ASSIGN(Fields all, yaml::ReadMap(doc, section.value, section.where, {}, "posts"));
    for (const Field& f : all.items) {
      if (!ValidName(f.key)) {
        return Fail(doc, f.where,
                    fmt::format("'{}' is not a valid post name (1 to 64 letters, digits, '_', "
                                "'-', '.')",
                                f.key));
      }
      LL_ASSIGN(Fields fields, yaml::ReadMap(doc, f.value, f.where, kPostKeys, "a post"));
      ConfigPost p;
      p.id = f.key;
      p.line = static_cast<int>(f.where.mark.line) + 1;
      bool has_at = false;
      const Field* text_field = nullptr;
      const Field* expires_field = nullptr;
      for (const Field& x : fields.items) {
        if (x.key == "text") {
          LL_ASSIGN(p.text, yaml::GetNonEmpty(doc, x.value, x.where, "the post's text"));
          text_field = &x;
        } else if (x.key == "media") {
          LL_ASSIGN(p.media,
                    yaml::GetStringList(
                        doc, x.value, x.where, "a link", [&](const std::string& s, const Where& w) {
                          if (IsLink(s)) return core::Ok();
                          return Status(Fail(doc, w, "expected an http:// or https:// link"));
                        }));
        } else if (x.key == "channels") {
          LL_ASSIGN(p.channels, yaml::GetStringList(
                                    doc, x.value, x.where, "a relay channel",
                                    [&](const std::string& s, const Where& w) -> Status {
                                      const auto& names = options_.channels;
                                      if (std::find(names.begin(), names.end(), s) != names.end()) {
                                        return core::Ok();
                                      }
                                      return Fail(doc, w,
                                                  fmt::format("unknown channel '{}' ({})", s,
                                                              Suggest(s, names)));
                                    }));
          std::vector<std::string> sorted = p.channels;
          std::sort(sorted.begin(), sorted.end());
          if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
            return Fail(doc, x.where, "a channel is listed twice");
          }
        } else if (x.key == "at") {
          LL_ASSIGN(p.at, GetTime(doc, x));
          has_at = true;
        } else if (x.key == "expires") {
          LL_ASSIGN(p.expires, GetTime(doc, x));
          expires_field = &x;
        }
      }
      if (p.text.empty()) return Fail(doc, f.where, "text: required (what the post says)");
      if (p.channels.empty()) {
        return Fail(doc, f.where,
                    fmt::format("channels: required (relay channels to post on: {})",
                                options_.channels.empty() ? std::string("none are configured")
                                                          : yaml::Join(options_.channels)));
      }
      if (!has_at) {
        return Fail(doc, f.where, "at: required (when it goes out, e.g. 2026-11-27T09:00:00Z)");
      }
      if (p.expires && *p.expires <= p.at) {
        return Fail(doc, expires_field->where, "must be after the post's time (at:)");
      }
      if (options_.check) {
        for (const std::string& c : p.channels) {
          if (auto s = options_.check(c, p.text, p.media); !s.ok()) {
            return Fail(doc, text_field->where, s.error().message());
          }
        }
      }
      out_.posts.push_back(std::move(p));
    }
    return core::Ok();
  }

  const LoadOptions& options_;
  std::vector<std::string> platform_ids_;
  CalendarConfig out_;
};

}  // namespace

std::string_view PolicyName(Policy p) {
  switch (p) {
    case Policy::kPublishNow:
      return "publish_now";
    case Policy::kNextFreeSlot:
      return "next_free_slot";
    case Policy::kManual:
      return "manual";
  }
  return "publish_now";
}

std::optional<Policy> ParsePolicy(std::string_view s) {
  if (s == "publish_now") return Policy::kPublishNow;
  if (s == "next_free_slot") return Policy::kNextFreeSlot;
  if (s == "manual") return Policy::kManual;
  return std::nullopt;
}

const Release& CalendarConfig::ReleaseFor(std::string_view platform) const {
  auto it = platforms.find(platform);
  return it == platforms.end() ? release : it->second;
}

Result<CalendarConfig> LoadCalendarConfig(const config::Config& config,
                                          const LoadOptions& options) {
  const config::PartSection* sec = config.Section("calendar");
  if (sec == nullptr) return CalendarConfig{};
  Reader r(config, options);
  return r.Read(*sec);
}

std::string PublishedText(const std::string& text, const std::vector<std::string>& media) {
  std::string out = text;
  for (const auto& m : media) out += "\n" + m;
  return out;
}

bool IsLink(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  if (url.size() > 2048) return false;
  return config::ParseUrl(url).ok() &&
         std::none_of(url.begin(), url.end(), [](char c) { return c <= ' '; });
}

}  // namespace lifeline::calendar
