// The `lifeline check --json` document (docs/cli.md). Names are stable: add fields, never rename.
#pragma once

#include <nlohmann/json.hpp>

#include "diagnose/diagnose.h"

namespace lifeline::diagnose {

nlohmann::json ToJson(const Diagnosis& d);
nlohmann::json ToJson(const CheckReport& report);

}  // namespace lifeline::diagnose
