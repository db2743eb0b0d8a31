// The content calendar's config section, `calendar:`, read and checked at start-up with
// FILE:LINE: KEY errors: how held posts are released after an incident (by default and per
// catalog platform) and posts declared in the config. docs/calendar.md describes every key.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "store/records.h"

namespace lifeline::calendar {

// What happens to a post's part that was held during an incident once the incident closes.
enum class Policy {
  kPublishNow,    // publish at once
  kNextFreeSlot,  // move to the channel's next free slot (slots or spacing)
  kManual,        // stay held until a person releases it (lifeline calendar release)
};
std::string_view PolicyName(Policy p);
std::optional<Policy> ParsePolicy(std::string_view s);

struct Release {
  Policy policy = Policy::kPublishNow;
  // next_free_slot: times of day (UTC, minutes since midnight, ascending) each holding one post
  // per channel; or
  std::vector<std::chrono::minutes> slots;
  // a minimum distance between two posts on one channel.
  std::chrono::milliseconds spacing{0};
  // A post whose `expires` has passed (or would pass before its slot) is dropped, not published.
  bool drop_expired = true;
  int line = 0;  // where it is declared ("" default: 0)
};

// A post declared under calendar.posts.NAME (its id is NAME).
struct ConfigPost {
  std::string id;
  std::string text;
  std::vector<std::string> media;
  std::vector<std::string> channels;
  store::Time at;
  std::optional<store::Time> expires;
  int line = 0;
};

struct CalendarConfig {
  bool configured = false;                                // the config has a `calendar:` section
  Release release;                                        // calendar.release: the default
  std::map<std::string, Release, std::less<>> platforms;  // calendar.platforms.ID
  std::vector<ConfigPost> posts;
  // How long after publication each post is looked up on its platform by the id it gave
  // (calendar.verify_after); 0 = never.
  std::chrono::milliseconds verify_after = std::chrono::minutes(2);
  std::string file;

  // The release of a channel riding catalog platform `platform` ("" = the default).
  const Release& ReleaseFor(std::string_view platform) const;
};

struct LoadOptions {
  // The relay's channel names (config order): posts' channels must be among them.
  std::vector<std::string> channels;
  // Whether `channel` can take a post's text and media links (its length limit, media it needs);
  // null = not checked.
  std::function<core::Status(const std::string& channel, const std::string& text,
                             const std::vector<std::string>& media)>
      check;
};

// Reads `calendar:` from `config` (an empty CalendarConfig without one). kInvalidArgument
// "FILE:LINE: calendar.KEY: what (what would be valid)" for the first mistake.
core::Result<CalendarConfig> LoadCalendarConfig(const config::Config& config,
                                                const LoadOptions& options);

// The text a post is published with: its text, then each media link on a line of its own.
std::string PublishedText(const std::string& text, const std::vector<std::string>& media);

// Whether `url` is an absolute http:// or https:// link (media links).
bool IsLink(std::string_view url);

}  // namespace lifeline::calendar
