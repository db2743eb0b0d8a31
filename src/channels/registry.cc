// The adapter list: one line per adapter (registry.h).
#include "channels/registry.h"

#include "channels/bluesky/bluesky.h"
#include "channels/discord/discord.h"
#include "channels/email/email.h"
#include "channels/facebook/facebook.h"
#include "channels/instagram/instagram.h"
#include "channels/mastodon/mastodon.h"
#include "channels/messenger/messenger.h"
#include "channels/slack/slack.h"
#include "channels/teams/teams.h"
#include "channels/telegram/telegram.h"
#include "channels/twilio/twilio.h"
#include "channels/webhook/webhook.h"
#include "channels/whatsapp/whatsapp.h"
#include "channels/x/x.h"

namespace lifeline::channels {

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      // One line per adapter: its folder's `Kind k<Name>Kind` (e.g. telegram::kKind).
      email::kKind,
      bluesky::kKind,
      mastodon::kKind,
      x::kKind,
      telegram::kKind,
      webhook::kKind,
      slack::kKind,
      discord::kKind,
      teams::kKind,
      whatsapp::kKind,
      twilio::kKind,
      messenger::kKind,
      messenger::kInstagramKind,
      facebook::kKind,
      instagram::kKind,
  };
  return kinds;
}

const Kind* FindKind(std::string_view type) {
  for (const Kind& k : Kinds()) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

const Kind* FindScheme(std::string_view scheme) {
  for (const Kind& k : Kinds()) {
    for (std::string_view s : k.schemes) {
      if (s == scheme) return &k;
    }
  }
  return nullptr;
}

}  // namespace lifeline::channels
