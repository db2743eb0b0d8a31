// The PostgreSQL inbox's class (pg/inbox.h) and what its two source files share: inbox.cc
// (messages, replies, statuses, conversations) and inbox_moves.cc (moves, mailboxes, catch-ups).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/work_queue.h"
#include "store/inbox.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg::internal {

// The conversation `id` (kNotFound when there is none); `lock`: locked until the transaction ends
// (FOR UPDATE: the latest committed version, once a transaction holding it has finished).
core::Result<Conversation> GetConversation(Conn& c, std::string_view id, bool lock);
// Writes every field of `conv` but its id (the caller holds its row lock).
core::Status SaveConversation(Conn& c, const Conversation& conv);

class PgInbox final : public InboxStore {
 public:
  explicit PgInbox(Pool* pool) : pool_(pool) {}

  core::Result<Ingested> Ingest(const NewInbound& in) override;
  void IngestAsync(const NewInbound& in, std::function<void(core::Result<Ingested>)> done) override;
  core::Result<InboxMessage> AddOutbound(const NewOutbound& o) override;
  core::Status SetOutboundStatus(std::string_view relay_id, std::string_view status,
                                 std::string_view remote_id) override;
  core::Result<std::optional<std::string>> ApplyStatus(const PlatformStatus& st) override;
  void ApplyStatusAsync(
      const PlatformStatus& st,
      std::function<void(core::Result<std::optional<std::string>>)> done) override;
  core::Status AddAddress(std::string_view contact, std::string_view channel,
                          std::string_view address, Time at) override;
  core::Result<std::vector<std::pair<std::string, std::string>>> Addresses(
      std::string_view contact) override;
  core::Result<Conversation> Get(std::string_view id) override;
  core::Result<std::vector<Conversation>> List(const ConversationQuery& q) override;
  core::Result<std::vector<InboxMessage>> Messages(const InboxMessageQuery& q) override;
  core::Result<Conversation> Update(std::string_view id, const ConversationPatch& p) override;
  core::Result<std::optional<Move>> FindMove(std::string_view key) override;
  core::Result<Conversation> RecordMove(const Move& m) override;
  core::Result<std::vector<Move>> Moves(std::string_view incident_id) override;
  core::Result<std::vector<Move>> PendingRestorations() override;
  core::Result<Conversation> FinishRestoration(const RestorationDone& d) override;
  core::Result<std::optional<ImapCursor>> GetImapCursor(std::string_view source) override;
  core::Status SetImapCursor(const ImapCursor& c) override;
  core::Status SaveEmailHeaders(const EmailHeaders& h) override;
  core::Result<std::optional<EmailHeaders>> LatestEmailHeaders(
      std::string_view conversation_id) override;
  core::Result<CatchUpRecord> AddCatchUp(const CatchUpRecord& r) override;
  core::Result<std::vector<CatchUpRecord>> CatchUps(std::string_view incident_id,
                                                    std::size_t limit) override;

 private:
  // One attempt of Ingest in transaction `c`; `raced`: the message was stored by another
  // instance after this attempt looked for it (the attempt fails and rolls back).
  core::Result<Ingested> IngestIn(Conn& c, const NewInbound& in, const std::string& fresh_token,
                                  bool& raced);
  core::Result<std::vector<Move>> ReadMoves(std::string_view where, std::string_view arg);

  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
  // Runs IngestAsync and ApplyStatusAsync off the caller's thread, in the order they came. Last:
  // destroyed (queued work finished, thread joined) before anything else of the slice.
  core::WorkQueue work_;
};

}  // namespace lifeline::store::pg::internal
