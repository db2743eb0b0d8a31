// `device_probes`: the small public resources (a favicon, a tiny static file) that a person's own
// browser fetches in the dashboard's device check ("Is it my phone?"), per platform and per control
// endpoint. Read and checked here; the dashboard gets them from GET /v1/device/probes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/yaml_read.h"
#include "core/result.h"

namespace lifeline::config {

// A page fetches each of them on every check: a few are enough to tell "reaches it" from "does
// not".
inline constexpr std::size_t kMaxDeviceProbes = 3;

// A control endpoint's device probes (`control: - id: ... device_probes: [...]`).
struct DeviceControl {
  std::string id;                 // the control endpoint's id
  std::vector<std::string> urls;  // https URLs
};

// `device_probes` as one URL or a list; null or [] means none. Each must be an https:// URL (the
// dashboard may be served over https, where a page cannot fetch http://), without credentials or
// a fragment, at most 2048 characters, listed once; at most kMaxDeviceProbes. Errors are
// "FILE:LINE: KEY.PATH: what is wrong (what would be valid)".
core::Result<std::vector<std::string>> ParseDeviceProbes(const yaml::Doc& doc,
                                                         const yaml::Field& field);

}  // namespace lifeline::config
