// Parsing and checking `device_probes` (device_probes.h).
#include "config/device_probes.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/values.h"

namespace lifeline::config {

using yaml::At;
using yaml::Fail;

core::Result<std::vector<std::string>> ParseDeviceProbes(const yaml::Doc& doc,
                                                         const yaml::Field& field) {
  if (field.value.IsNull()) return std::vector<std::string>{};
  if (field.value.IsSequence() && field.value.size() == 0) return std::vector<std::string>{};
  LL_ASSIGN(std::vector<std::string> urls,
            yaml::GetStringList(
                doc, field.value, field.where, "https URLs of small public files",
                [&](const std::string& url, const yaml::Where& at) -> core::Status {
                  auto parts = ParseUrl(url);
                  if (!parts.ok()) return Fail(doc, at, parts.error().message());
                  if (parts->scheme != "https") {
                    return Fail(doc, at,
                                fmt::format("'{}' must be an https:// URL (a dashboard served over "
                                            "https cannot fetch http://), e.g. "
                                            "https://www.example.com/favicon.ico",
                                            url));
                  }
                  if (url.find('#') != std::string::npos) {
                    return Fail(doc, at,
                                fmt::format("'{}' has a fragment ('#'); leave it out", url));
                  }
                  if (url.size() > 2048) {
                    return Fail(doc, at, "is longer than 2048 characters");
                  }
                  return core::Ok();
                }));
  if (urls.size() > kMaxDeviceProbes) {
    return Fail(doc, field.where,
                fmt::format("lists {} URLs; at most {} (each phone fetches every one on each "
                            "check: a favicon or two is enough)",
                            urls.size(), kMaxDeviceProbes));
  }
  for (std::size_t i = 0; i < urls.size(); ++i) {
    if (std::find(urls.begin(), urls.begin() + static_cast<std::ptrdiff_t>(i), urls[i]) !=
        urls.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Fail(doc,
                  At(field.where.Item(std::to_string(i), field.value[i].Mark()), field.value[i]),
                  fmt::format("'{}' is listed twice", urls[i]));
    }
  }
  return urls;
}

}  // namespace lifeline::config
