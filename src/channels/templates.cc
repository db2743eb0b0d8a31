// Template checks and rendering with fmt named arguments (templates.h): values are cut to their
// maximum lengths first, and fmt's exceptions become kInvalidArgument here.
#include "channels/templates.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config/values.h"

namespace lifeline::channels {

using core::ErrorCode;
using core::MakeError;

const std::vector<std::string>& TemplateVarNames() {
  static const std::vector<std::string> names = {
      "platform", "domain", "backup_channel", "backup_link", "time", "incident", "incident_id"};
  return names;
}

namespace {

// 'W' is as wide as text gets; the count is what matters (code points).
std::string Filler(std::size_t n) { return std::string(n, 'W'); }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

TemplateVars WorstCaseVars() {
  TemplateVars v;
  v.platform = Filler(kMaxPlatformChars);
  v.domain = Filler(kMaxDomainChars);
  v.backup_channel = Filler(kMaxBackupChannelChars);
  v.backup_link = Filler(kMaxBackupLinkChars);
  v.time = Filler(kMaxTimeChars);
  v.incident = Filler(kMaxIncidentChars);
  v.incident_id = Filler(kMaxIncidentIdChars);
  return v;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // every byte but a continuation byte starts a code point
  }
  return n;
}

std::string CutToCodePoints(std::string_view s, std::size_t max) {
  if (CodePoints(s) <= max) return std::string(s);
  if (max == 0) return {};
  // Keep max - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (kept == max - 1) break;
      ++kept;
    }
  }
  return std::string(s.substr(0, i)) + "…";
}

core::Status CheckTemplate(std::string_view text) {
  const auto& names = TemplateVarNames();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      return MakeError(ErrorCode::kInvalidArgument,
                       "a lone '}}' at character {} (write '}}}}' for a literal brace)", i + 1);
    }
    if (text[i] != '{') continue;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    std::string name(text.substr(i + 1, end - i - 1));
    if (end >= text.size() || (text[end] != '}' && text[end] != ':')) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'{{' at character {} does not start a variable such as {{platform}} "
                       "(write '{{{{' for a literal brace)",
                       i + 1);
    }
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "use named variables ({{platform}}, {{backup_link}}, ...), not {{{}}}",
                       name);
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      if (auto near = config::Closest(name, names)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "{{{}}} is not a variable (did you mean {{{}}}?)", name, *near);
      }
      return MakeError(ErrorCode::kInvalidArgument, "{{{}}} is not a variable (variables: {})",
                       name, fmt::join(names, ", "));
    }
    // Past the format spec, if any, to the closing brace (fmt checks the spec itself).
    std::size_t close = text.find('}', end);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "{{{}: is not closed with '}}'", name);
    }
    i = close;
  }
  // fmt has the last word on the format specs.
  auto r = RenderTemplate(text, WorstCaseVars());
  if (!r) return r.error();
  return core::Ok();
}

core::Result<std::string> RenderTemplate(std::string_view text, const TemplateVars& vars) {
  // The values outlive the store: dynamic_format_arg_store copies strings passed by value.
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("platform", CutToCodePoints(vars.platform, kMaxPlatformChars)));
  args.push_back(fmt::arg("domain", CutToCodePoints(vars.domain, kMaxDomainChars)));
  args.push_back(
      fmt::arg("backup_channel", CutToCodePoints(vars.backup_channel, kMaxBackupChannelChars)));
  args.push_back(fmt::arg("backup_link", CutToCodePoints(vars.backup_link, kMaxBackupLinkChars)));
  args.push_back(fmt::arg("time", CutToCodePoints(vars.time, kMaxTimeChars)));
  args.push_back(fmt::arg("incident", CutToCodePoints(vars.incident, kMaxIncidentChars)));
  args.push_back(fmt::arg("incident_id", CutToCodePoints(vars.incident_id, kMaxIncidentIdChars)));
  try {
    return fmt::vformat(fmt::string_view(text.data(), text.size()), args);
  } catch (const fmt::format_error& e) {
    return MakeError(ErrorCode::kInvalidArgument, "not a valid template: {}", e.what());
  }
}

const std::string* Template::TextFor(std::string_view channel, std::string_view kind) const {
  for (const auto& [key, text] : texts) {
    if (key == channel) return &text;
  }
  for (const auto& [key, text] : texts) {
    if (key == kind) return &text;
  }
  return default_text.empty() ? nullptr : &default_text;
}

}  // namespace lifeline::channels
