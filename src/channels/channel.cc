// Names of delivery outcomes and lookup answers, and the default Lookup (channel.h).
#include "channels/channel.h"

#include <fmt/core.h>

namespace lifeline::channels {

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kRetry:
      return "retry";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kUnconfirmed:
      return "unconfirmed";
  }
  return "failed";
}

std::string_view PresenceName(LookupResult::Presence p) {
  switch (p) {
    case LookupResult::Presence::kPresent:
      return "present";
    case LookupResult::Presence::kMissing:
      return "missing";
    case LookupResult::Presence::kUnknown:
      return "unknown";
    case LookupResult::Presence::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

LookupResult Channel::Lookup(const std::string& remote_id) {
  (void)remote_id;
  return {LookupResult::Presence::kUnsupported,
          fmt::format("{} channels cannot look a post up", info().kind), ""};
}

}  // namespace lifeline::channels
