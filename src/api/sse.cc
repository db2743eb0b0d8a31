// Server-sent events framing.
#include "api/sse.h"

#include <algorithm>

namespace lifeline::api::internal {

std::string SseFrame(const LiveEvent& event) {
  const bool plain = !event.type.empty() && event.type.size() <= 64 &&
                     std::all_of(event.type.begin(), event.type.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  std::string out = "event: ";
  out += plain ? event.type : "message";
  out += "\ndata: ";
  out += event.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace lifeline::api::internal
