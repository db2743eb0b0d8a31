// The `lifeline check --json` document (docs/cli.md). Names are stable: add fields, never rename.
#pragma once

#include <nlohmann/json.hpp>

#include "diagnose/diagnose.h"

namespace lifeline::diagnose {

// Every key is always present: an unknown number (latency_ms, rtt_ms) or an absent status page is
// null, no failing layer is "". Confidence is rounded to 2 decimals, milliseconds to 1.
nlohmann::json ToJson(const Diagnosis& d);
nlohmann::json ToJson(const DomainEvent& e);
nlohmann::json ToJson(const CheckReport& report);  // includes "exit_code": ExitCode(report)

}  // namespace lifeline::diagnose
