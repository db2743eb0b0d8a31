// E-mail as an inbox source: each `type: imap` source's mailbox is polled over IMAP (libcurl) on
// its own worker thread. New mail (UIDs after the stored cursor) is fetched, read (imap_mail.h)
// and stored as customer messages, once each by Message-ID; the cursor (UIDVALIDITY, last UID)
// moves only after the mail is stored, so a crash fetches it again and the dedup keeps it once.
// libcurl has no IMAP IDLE (it cannot hold a connection open waiting for the server), so the
// mailbox is polled every `interval` on a kept-open connection. docs/inbox.md, "E-mail".
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

struct ImapStatus {
  std::int64_t uidvalidity = 0;
  std::int64_t uidnext = 0;  // the UID the next mail will get
};

// One mailbox on one IMAP server, one request at a time (not thread-safe: one per thread). Errors
// never quote the password: kUnauthenticated when the server refuses the login, kUnavailable when
// it cannot be reached or fails a command, kNotFound when a UID is gone.
class ImapClient {
 public:
  virtual ~ImapClient() = default;
  // STATUS of the mailbox.
  [[nodiscard]] virtual core::Result<ImapStatus> Status() = 0;
  // UID SEARCH with `criteria` ("UID 5:*", "SINCE 27-Nov-2026", "UNSEEN UID 5:*"): the UIDs,
  // ascending.
  [[nodiscard]] virtual core::Result<std::vector<std::int64_t>> Search(
      std::string_view criteria) = 0;
  // The whole message (RFC 5322 bytes) with this UID. kNotFound when it is gone or the
  // mailbox's UIDVALIDITY is no longer `uidvalidity`.
  [[nodiscard]] virtual core::Result<std::string> Fetch(std::int64_t uidvalidity,
                                                        std::int64_t uid) = 0;
  // Clears \Seen on a message: fetching a message sets it, and the team's mail client should
  // still show unread what nobody read.
  [[nodiscard]] virtual core::Status MarkUnseen(std::int64_t uid) = 0;
};

// Makes the client for a source (the real one: MakeCurlImapClient; tests pass fakes).
using ImapConnector = std::function<std::unique_ptr<ImapClient>(const Source&)>;

// libcurl's IMAP: imaps:// (TLS from the first byte) or imap:// to this machine.
std::unique_ptr<ImapClient> MakeCurlImapClient(const Source& source);

// What one mail did when stored.
struct MailOutcome {
  bool stored = false;     // new: it was not stored before
  bool skipped = false;    // not stored: machine-sent (Auto-Submitted) or unreadable
  std::string message_id;  // the inbox message (msg_...) when stored or already there
  std::optional<store::Time> sent_at;
  std::string note;  // why it was skipped
};

// Fetches, reads and stores the mail with this UID through `inbox` for `source` (once by its
// Message-ID, else "UIDVALIDITY:UID"), with its subject and threading headers; clears \Seen
// again when `was_unseen`. Shared by the poller and the catch-up.
[[nodiscard]] core::Result<MailOutcome> StoreMail(Inbox& inbox, const Source& source,
                                                  ImapClient& client, std::int64_t uidvalidity,
                                                  std::int64_t uid, bool was_unseen);

// What the IMAP client reads in the server's answers (exposed for fuzz/webhooks_fuzz.cc): a STATUS
// answer's UIDVALIDITY and UIDNEXT (-1 each when absent); a UID SEARCH answer's UIDs, ascending,
// each once.
ImapStatus ReadImapStatus(std::string_view body);
std::vector<std::int64_t> ReadSearchUids(std::string_view body);

// IMAP's date for SEARCH SINCE ("27-Nov-2026"), UTC.
std::string ImapDate(store::Time t);

// The IMAP sources' workers and their state (GET /v1/inbox/sources).
class ImapPoller {
 public:
  // `inbox` must outlive the poller. `log` gets one line per change of a source's health (never
  // the password).
  ImapPoller(Inbox& inbox, ImapConnector connect, std::function<void(std::string_view)> log,
             core::Clock* clock = nullptr);
  ~ImapPoller();  // Stop()

  // One thread per IMAP source; nothing when there is none.
  void Start();
  // Stops and joins (waits for the request in flight). Idempotent.
  void Stop();

  // One poll of `source`: STATUS, then every UID after the cursor, stored in UID order, the
  // cursor moved after each. The first poll of a mailbox starts at its end (older mail is not
  // imported: `lifeline inbox catch-up` fetches it by date). Public for tests.
  [[nodiscard]] core::Status PollOnce(const Source& source, ImapClient& client);

  // Each IMAP source's state: {"source", "state": "starting"|"ok"|"failing", "error",
  // "last_ok", "last_error_at", "stored", "skipped", "uidvalidity", "last_uid"}.
  nlohmann::json States() const;
  // True once `source` has completed a poll (ok or failing).
  bool Polled(std::string_view source) const;

 private:
  struct State {
    std::string state = "starting";
    std::string error;
    std::optional<store::Time> last_ok, last_error_at;
    std::int64_t stored = 0, skipped = 0;
    bool polled = false;
  };
  void Loop(const Source& source);
  void Record(const Source& source, const core::Status& result);

  Inbox& inbox_;
  ImapConnector connect_;
  std::function<void(std::string_view)> log_;
  core::Clock& clock_;
  mutable std::mutex mu_;  // guards stopping_ and states_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, State> states_;
  std::vector<std::thread> threads_;
};

}  // namespace lifeline::inbox
