// JSON forms of the domain types: the agent wire format and the `check --json` probe objects.
// Field names are part of the public contract (docs/cli.md): add freely, never rename.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/types.h"

namespace lifeline::core {

// ProbeSpec <-> JSON. Headers are included: the agent needs them to run API probes.
nlohmann::json ToJson(const ProbeSpec& spec);
Result<ProbeSpec> ProbeSpecFromJson(const nlohmann::json& j);

// ProbeResult <-> JSON, as in DESIGN.md: target, from, ok, layer, detail, timings_ms, ...
nlohmann::json ToJson(const ProbeResult& result);
Result<ProbeResult> ProbeResultFromJson(const nlohmann::json& j);

}  // namespace lifeline::core
