// Message templates: a text per channel (by channel name or adapter kind, else a default) with
// named variables rendered by fmt ("{platform} is down; reach us on {backup_channel}"). No
// template language of our own: the syntax is fmt's, limited to the variables listed here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace lifeline::channels {

// The values a template may use, by name.
struct TemplateVars {
  std::string platform;        // {platform}: the failing platform's name ("WhatsApp")
  std::string domain;          // {domain}: its failure domain ("meta")
  std::string backup_channel;  // {backup_channel}: where to reach us instead ("Telegram")
  std::string backup_link;     // {backup_link}: "https://t.me/brand"
  std::string time;            // {time}: when it started, as people read it ("10:02 UTC")
  std::string incident;        // {incident}: the incident's title
  std::string incident_id;     // {incident_id}
};

// The longest value of each variable, in code points. RenderTemplate cuts longer values (ending
// them with "…"), so the worst case checked at start-up (WorstCaseVars) bounds every real text.
inline constexpr std::size_t kMaxPlatformChars = 40;
inline constexpr std::size_t kMaxDomainChars = 40;
inline constexpr std::size_t kMaxBackupChannelChars = 60;
inline constexpr std::size_t kMaxBackupLinkChars = 200;
inline constexpr std::size_t kMaxTimeChars = 32;
inline constexpr std::size_t kMaxIncidentChars = 120;
inline constexpr std::size_t kMaxIncidentIdChars = 40;

// "platform", "domain", "backup_channel", "backup_link", "time", "incident", "incident_id".
const std::vector<std::string>& TemplateVarNames();

// Every variable at its maximum length.
TemplateVars WorstCaseVars();

// Checks `text` without rendering: every {NAME} is a variable, no positional {} or {0}, and fmt
// accepts the rest. kInvalidArgument says what is wrong ("{platfrom} is not a variable (did you
// mean {platform}?)").
core::Status CheckTemplate(std::string_view text);

// Renders `text` with fmt named arguments ("{{" and "}}" are literal braces; format specs such as
// {time:>10} work). kInvalidArgument as CheckTemplate says.
core::Result<std::string> RenderTemplate(std::string_view text, const TemplateVars& vars);

// Unicode code points of UTF-8 text (what Traits::max_chars counts); invalid bytes count one each.
std::size_t CodePoints(std::string_view utf8);
// At most `max` code points, the last one "…" when cut.
std::string CutToCodePoints(std::string_view utf8, std::size_t max);

// One configured template (templates.NAME in the config).
struct Template {
  std::string name;
  std::string subject;       // e-mail subject, rendered the same way; "" = none
  std::string default_text;  // for channels without their own text; "" = none
  // KEY -> text, where KEY is a channel name or an adapter kind; a channel's own name wins.
  std::vector<std::pair<std::string, std::string>> texts;

  // The text for a channel: by its name, else its kind, else the default; null when none applies.
  const std::string* TextFor(std::string_view channel, std::string_view kind) const;
};

}  // namespace lifeline::channels
