// The API's JSON for store records that several parts show: an incident's timeline entry is the
// same object in GET /v1/incidents/{id}, the live "incident_event" and the report's timeline.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "store/records.h"

namespace lifeline::api {

// {"seq", "at" (RFC 3339, UTC, seconds), "type", "message", "data" (the stored JSON; {} when the
// stored text is not JSON)}.
nlohmann::json EventJson(const store::IncidentEvent& e);

// An optional time as the API writes it: RFC 3339 (UTC, seconds), or null when unset.
nlohmann::json OptTimeJson(const std::optional<store::Time>& t);

}  // namespace lifeline::api
