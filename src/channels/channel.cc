// Names of delivery outcomes (channel.h).
#include "channels/channel.h"

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

}  // namespace lifeline::channels
