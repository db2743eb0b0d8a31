// Fuzzes what the inbox reads from outside (src/inbox/): the inbound webhooks of WhatsApp,
// Messenger, Instagram, Telegram and the generic one, their signatures, e-mail and IMAP answers.
// The first byte picks the parser.
#include <chrono>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "inbox/catch_up.h"
#include "inbox/imap.h"
#include "inbox/imap_mail.h"
#include "inbox/webhooks.h"

namespace {

using namespace lifeline;

void CheckBatch(const core::Result<inbox::ParsedBatch>& batch) {
  if (!batch.ok()) {
    LL_FUZZ_CHECK(!batch.error().message().empty());
    return;
  }
  for (const auto& m : batch->messages) LL_FUZZ_CHECK(!m.kind.empty());
  LL_FUZZ_CHECK(batch->last_update_id >= -1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  switch (selector % 11) {
    case 0:
      CheckBatch(inbox::ParseWhatsApp(in));
      break;
    case 1:
      CheckBatch(inbox::ParseMessaging(in, "page"));
      break;
    case 2:
      CheckBatch(inbox::ParseMessaging(in, "instagram"));
      break;
    case 3:
      CheckBatch(inbox::ParseTelegramUpdate(in));
      break;
    case 4:
      CheckBatch(inbox::ParseTelegramUpdates(in));
      break;
    case 5:
      CheckBatch(inbox::ParseGeneric(in));
      break;
    case 6: {  // the generic webhook's headers: timestamp \n--\n signature \n--\n body
      std::string_view timestamp = fuzz::TakePart(in);
      std::string_view signature = fuzz::TakePart(in);
      const auto now = store::FromMillis(1795773600000);  // 2026-11-27T10:00:00Z
      (void)inbox::CheckGenericSignature("key", timestamp, signature, in, now,
                                         std::chrono::seconds(300));
      (void)inbox::CheckMetaSignature("secret", signature, in);
      break;
    }
    case 7: {  // an e-mail an IMAP source fetched
      auto mail = inbox::ParseMail(in);
      if (mail.ok()) LL_FUZZ_CHECK(!mail->from_address.empty());
      break;
    }
    case 8: {  // an IMAP server's STATUS and UID SEARCH answers
      (void)inbox::ReadImapStatus(in);
      auto uids = inbox::ReadSearchUids(in);
      for (std::size_t i = 1; i < uids.size(); ++i) LL_FUZZ_CHECK(uids[i - 1] < uids[i]);
      break;
    }
    case 9:
      (void)inbox::ParseGraphTime(in);
      break;
    case 10:
      (void)inbox::ReplySubject(in);
      break;
  }
  return 0;
}
