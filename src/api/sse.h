// Server-sent events framing for GET /v1/events.
#pragma once

#include <string>

#include "api/backend.h"

namespace lifeline::api::internal {

// "event: <type>\ndata: <json on one line>\n\n". JSON text never holds a raw newline (strings
// escape it), so one data line always carries the whole payload; a type with characters outside
// [a-z0-9_] is replaced by "message".
std::string SseFrame(const LiveEvent& event);

}  // namespace lifeline::api::internal
