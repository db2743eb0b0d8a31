// Behaviour every Store's inbox must have (inbox.h's contract), as part of the StoreConformance
// suite: each dialect that instantiates the suite runs these too.
#include <gmock/gmock.h>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

NewInbound WhatsApp(std::string wamid, std::string from, Time sent, Time received,
                    std::string text) {
  NewInbound m;
  m.source = "wa-main";
  m.platform = "whatsapp";
  m.platform_id = std::move(wamid);
  m.channel = "brand-whatsapp";
  m.address = std::move(from);
  m.name = "Ana";
  m.sent_at = sent;
  m.received_at = received;
  m.text = std::move(text);
  return m;
}

std::vector<std::string> Texts(const std::vector<InboxMessage>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.text);
  return out;
}

TEST_P(StoreConformance, InboxStoresAMessageOnceAndItSurvivesARestart) {
  auto first = Must(store_->Inbox().Ingest(WhatsApp("wamid.A", "34600111222", kT0, kT0, "hola")));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.conversation.channel, "brand-whatsapp");
  EXPECT_EQ(first.conversation.address, "34600111222");
  EXPECT_EQ(first.conversation.state, ConversationState::kOpen);
  EXPECT_EQ(first.conversation.waiting_since, kT0);
  EXPECT_EQ(first.conversation.link_token.size(), 12u);
  // The platform retries the same webhook: stored once, nothing changes.
  auto again = Must(
      store_->Inbox().Ingest(WhatsApp("wamid.A", "34600111222", kT0, kT0 + minutes(5), "hola")));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.message.id, first.message.id);
  EXPECT_EQ(again.message.received_at, kT0);
  Reopen();
  auto msgs = Must(store_->Inbox().Messages({.conversation_id = first.conversation.id}));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].text, "hola");
  EXPECT_EQ(msgs[0].platform_id, "wamid.A");
  EXPECT_EQ(msgs[0].direction, Direction::kIn);
  auto conv = Must(store_->Inbox().Get(first.conversation.id));
  EXPECT_EQ(conv.name, "Ana");
  EXPECT_EQ(store_->Inbox().Get("conv_nope").error().code(), core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, InboxSortsByThePlatformsTimeNotByArrival) {
  // After downtime the platform replays: the later message arrives first.
  auto b = Must(store_->Inbox().Ingest(
      WhatsApp("wamid.B", "34600111222", kT0 + minutes(2), kT0 + hours(1), "second")));
  Must(store_->Inbox().Ingest(
      WhatsApp("wamid.A", "34600111222", kT0, kT0 + hours(1) + seconds(1), "first")));
  auto msgs = Must(store_->Inbox().Messages({.conversation_id = b.conversation.id}));
  EXPECT_THAT(Texts(msgs), ElementsAre("first", "second"));
  auto conv = Must(store_->Inbox().Get(b.conversation.id));
  EXPECT_EQ(conv.waiting_since, kT0) << "waiting since the oldest unanswered message";
  EXPECT_EQ(conv.last_inbound_at, kT0 + minutes(2));
}

TEST_P(StoreConformance, InboxReplyAnswersAndSetsFirstReplyOnce) {
  auto in = Must(store_->Inbox().Ingest(WhatsApp("wamid.A", "34600111222", kT0, kT0, "hola")));
  NewOutbound out{.conversation_id = in.conversation.id,
                  .channel = "brand-whatsapp",
                  .address = "34600111222",
                  .relay_key = "inbox/reply/1",
                  .relay_id = "msg_relay_1",
                  .text = "hi Ana",
                  .author = "ana@brand",
                  .at = kT0 + minutes(3)};
  auto reply = Must(store_->Inbox().AddOutbound(out));
  EXPECT_EQ(reply.direction, Direction::kOut);
  EXPECT_EQ(reply.status, "queued");
  EXPECT_EQ(Must(store_->Inbox().AddOutbound(out)).id, reply.id) << "idempotent by relay key";
  auto conv = Must(store_->Inbox().Get(in.conversation.id));
  EXPECT_FALSE(conv.waiting_since.has_value());
  EXPECT_EQ(conv.first_reply_at, kT0 + minutes(3));
  // A second reply keeps the first reply time; a message replayed from before the reply stays
  // answered; a new one waits again.
  out.relay_key = "inbox/reply/2";
  out.at = kT0 + minutes(10);
  Must(store_->Inbox().AddOutbound(out));
  Must(store_->Inbox().Ingest(
      WhatsApp("wamid.OLD", "34600111222", kT0 + minutes(1), kT0 + minutes(11), "late")));
  conv = Must(store_->Inbox().Get(in.conversation.id));
  EXPECT_EQ(conv.first_reply_at, kT0 + minutes(3));
  EXPECT_FALSE(conv.waiting_since.has_value());
  Must(store_->Inbox().Ingest(
      WhatsApp("wamid.NEW", "34600111222", kT0 + minutes(12), kT0 + minutes(12), "again")));
  conv = Must(store_->Inbox().Get(in.conversation.id));
  EXPECT_EQ(conv.waiting_since, kT0 + minutes(12));
  ASSERT_TRUE(store_->Inbox().SetOutboundStatus("msg_relay_1", "delivered").ok());
  auto outs = Must(store_->Inbox().Messages(
      {.conversation_id = in.conversation.id, .direction = Direction::kOut}));
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].status, "delivered");
  EXPECT_EQ(
      store_->Inbox().AddOutbound({.conversation_id = "conv_x", .relay_key = "k"}).error().code(),
      core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, InboxKeepsOneThreadPerContactAcrossChannels) {
  auto wa = Must(store_->Inbox().Ingest(WhatsApp("wamid.A", "34600111222", kT0, kT0, "hola")));
  // The config says this Telegram chat is the same contact.
  NewInbound tg;
  tg.source = "tg-bot";
  tg.platform = "telegram:tg-bot";
  tg.platform_id = "777:1";
  tg.channel = "brand-telegram";
  tg.address = "777";
  tg.sent_at = tg.received_at = kT0 + minutes(5);
  tg.text = "here now";
  tg.config_contact = wa.conversation.contact;
  auto t = Must(store_->Inbox().Ingest(tg));
  EXPECT_EQ(t.conversation.id, wa.conversation.id);
  EXPECT_EQ(t.conversation.channel, "brand-telegram") << "the conversation follows the customer";
  // Another chat carrying the conversation's link token joins it too.
  NewInbound other = tg;
  other.platform_id = "888:1";
  other.address = "888";
  other.config_contact.clear();
  other.text = "/start " + wa.conversation.link_token;
  other.link_token = FindLinkToken(other.text);
  EXPECT_EQ(Must(store_->Inbox().Ingest(other)).conversation.id, wa.conversation.id);
  // A stranger gets a thread of their own.
  other.platform_id = "999:1";
  other.address = "999";
  other.link_token.clear();
  EXPECT_NE(Must(store_->Inbox().Ingest(other)).conversation.id, wa.conversation.id);
  auto addresses = Must(store_->Inbox().Addresses(wa.conversation.contact));
  EXPECT_EQ(addresses.size(), 3u);
  EXPECT_EQ(Must(store_->Inbox().Messages({.conversation_id = wa.conversation.id})).size(), 3u);
}

TEST_P(StoreConformance, InboxListsWaitingFirstAndFilters) {
  auto a = Must(store_->Inbox().Ingest(WhatsApp("w1", "1", kT0 + minutes(5), kT0, "a")));
  auto b = Must(store_->Inbox().Ingest(WhatsApp("w2", "2", kT0, kT0, "b")));
  auto c = Must(store_->Inbox().Ingest(WhatsApp("w3", "3", kT0 + minutes(1), kT0, "c")));
  Must(store_->Inbox().AddOutbound({.conversation_id = c.conversation.id,
                                    .channel = "brand-whatsapp",
                                    .address = "3",
                                    .relay_key = "r",
                                    .text = "ok",
                                    .author = "x",
                                    .at = kT0 + minutes(6)}));
  auto all = Must(store_->Inbox().List({}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, b.conversation.id);
  EXPECT_EQ(all[1].id, a.conversation.id);
  EXPECT_EQ(all[2].id, c.conversation.id);
  EXPECT_EQ(Must(store_->Inbox().List({.waiting_only = true})).size(), 2u);
  Must(store_->Inbox().Update(a.conversation.id, {.assignee = "support", .at = kT0}));
  Must(store_->Inbox().Update(
      b.conversation.id,
      {.state = ConversationState::kSnoozed, .snoozed_until = kT0 + hours(1), .at = kT0}));
  auto mine = Must(store_->Inbox().List({.assignee = "support"}));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].id, a.conversation.id);
  auto snoozed = Must(store_->Inbox().List({.state = ConversationState::kSnoozed}));
  ASSERT_EQ(snoozed.size(), 1u);
  EXPECT_EQ(snoozed[0].snoozed_until, kT0 + hours(1));
  // A new message opens a snoozed conversation again.
  Must(store_->Inbox().Ingest(WhatsApp("w4", "2", kT0 + minutes(7), kT0 + minutes(7), "?")));
  EXPECT_EQ(Must(store_->Inbox().Get(b.conversation.id)).state, ConversationState::kOpen);
  auto bad = store_->Inbox().Update(a.conversation.id, {.priority = 9, .at = kT0});
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, InboxRecordsAMoveOncePerKey) {
  auto a = Must(store_->Inbox().Ingest(WhatsApp("w1", "1", kT0, kT0, "a")));
  Move m{.key = "inc_1/r/2/" + a.conversation.id,
         .conversation_id = a.conversation.id,
         .incident_id = "inc_1",
         .from_channel = "brand-whatsapp",
         .to_channel = "brand-telegram",
         .to_address = "777",
         .relay_id = "msg_r",
         .at = kT0 + minutes(1)};
  auto moved = Must(store_->Inbox().RecordMove(m));
  EXPECT_EQ(moved.channel, "brand-telegram");
  EXPECT_EQ(moved.moved_from, "brand-whatsapp");
  EXPECT_EQ(moved.waiting_since, kT0) << "moving answers nobody";
  auto again = store_->Inbox().RecordMove(m);
  EXPECT_EQ(again.error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_TRUE(Must(store_->Inbox().FindMove(m.key)).has_value());
  EXPECT_FALSE(Must(store_->Inbox().FindMove("nope")).has_value());
  EXPECT_EQ(Must(store_->Inbox().Moves("inc_1")).size(), 1u);
}

// WhatsApp's statuses come in any order, sometimes before the relay records which wamid its
// message got: the furthest status is kept and shows on the message once both are known.
TEST_P(StoreConformance, InboxAttachesThePlatformsFurthestStatusInAnyOrder) {
  auto in = Must(store_->Inbox().Ingest(WhatsApp("w1", "1", kT0, kT0, "a")));
  NewOutbound out{.conversation_id = in.conversation.id,
                  .channel = "brand-whatsapp",
                  .address = "+1",
                  .relay_key = "inbox/reply/1",
                  .relay_id = "msg_relay_1",
                  .text = "hi",
                  .author = "maria",
                  .at = kT0 + minutes(1)};
  Must(store_->Inbox().AddOutbound(out));
  auto status = [&](std::string s, Time at, std::string error = "") {
    return store_->Inbox().ApplyStatus({.platform = "whatsapp",
                                        .remote_id = "wamid.OUT",
                                        .status = std::move(s),
                                        .at = at,
                                        .error = std::move(error),
                                        .received_at = at});
  };
  // "delivered" before the relay recorded the wamid: kept, no conversation known yet.
  auto early = status("delivered", kT0 + minutes(2));
  ASSERT_TRUE(early.ok()) << early.error().ToString();
  EXPECT_FALSE(early->has_value());
  ASSERT_TRUE(store_->Inbox().SetOutboundStatus("msg_relay_1", "delivered", "wamid.OUT").ok());
  auto msg = [&] {
    auto outs = Must(store_->Inbox().Messages(
        {.conversation_id = in.conversation.id, .direction = Direction::kOut}));
    EXPECT_EQ(outs.size(), 1u);
    return outs.at(0);
  };
  EXPECT_EQ(msg().remote_id, "wamid.OUT");
  EXPECT_EQ(msg().platform_status, "delivered");
  EXPECT_EQ(msg().platform_status_at, kT0 + minutes(2));
  // "sent" arriving late changes nothing; "read" does, and names the conversation.
  EXPECT_FALSE(Must(status("sent", kT0 + minutes(1))).has_value());
  EXPECT_EQ(msg().platform_status, "delivered");
  EXPECT_EQ(Must(status("read", kT0 + minutes(5))), in.conversation.id);
  EXPECT_EQ(msg().platform_status, "read");
  // A failure from another device after "read" does not undo it.
  EXPECT_FALSE(
      Must(status("failed", kT0 + minutes(6), "131026 Message undeliverable")).has_value());
  EXPECT_EQ(msg().platform_status, "read");
  EXPECT_EQ(msg().platform_error, "");
  // A failure after "sent" is kept with its error; the relay's own status stays beside it.
  ASSERT_TRUE(store_->Inbox().SetOutboundStatus("msg_relay_1", "delivered", "").ok());
  EXPECT_EQ(msg().remote_id, "wamid.OUT") << "an empty remote id keeps the known one";
  Must(store_->Inbox().ApplyStatus({.platform = "whatsapp",
                                    .remote_id = "wamid.OTHER",
                                    .status = "sent",
                                    .at = kT0,
                                    .received_at = kT0}));
  EXPECT_FALSE(Must(store_->Inbox().ApplyStatus({.platform = "whatsapp",
                                                 .remote_id = "wamid.OTHER",
                                                 .status = "failed",
                                                 .at = kT0 + minutes(1),
                                                 .error = "131047 Re-engagement message",
                                                 .received_at = kT0}))
                   .has_value())
      << "not one of ours: stored, no conversation";
  auto bad = store_->Inbox().ApplyStatus(
      {.platform = "whatsapp", .remote_id = "w", .status = "seen", .at = kT0, .received_at = kT0});
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kInvalidArgument);
}

// A move that tells the customer once the platform is back: pending until finished, finished
// once; "back" returns the conversation only if it is still where the move put it.
TEST_P(StoreConformance, InboxFinishesAMovesRestorationOnce) {
  auto a = Must(store_->Inbox().Ingest(WhatsApp("w1", "1", kT0, kT0, "a")));
  auto b = Must(store_->Inbox().Ingest(WhatsApp("w2", "2", kT0, kT0, "b")));
  auto move = [&](const Ingested& i, std::string how) {
    return Move{.key = "inc_1/r/2/" + i.conversation.id,
                .conversation_id = i.conversation.id,
                .incident_id = "inc_1",
                .from_channel = "brand-whatsapp",
                .to_channel = "brand-telegram",
                .to_address = "77" + i.conversation.address,
                .relay_id = "msg_r",
                .at = kT0 + minutes(1),
                .from_address = i.conversation.address,
                .on_restoration = std::move(how)};
  };
  Must(store_->Inbox().RecordMove(move(a, "back")));
  Must(store_->Inbox().RecordMove(move(b, "back")));
  auto pending = Must(store_->Inbox().PendingRestorations());
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].on_restoration, "back");
  EXPECT_EQ(pending[0].from_address, pending[0].conversation_id == a.conversation.id ? "1" : "2");
  // b's customer wrote on WhatsApp again meanwhile: the conversation is there already.
  Must(store_->Inbox().Ingest(WhatsApp("w3", "2", kT0 + minutes(3), kT0 + minutes(3), "back?")));
  auto ca = Must(store_->Inbox().FinishRestoration(
      {.key = move(a, "").key, .at = kT0 + minutes(9), .note = "told", .move_back = true}));
  EXPECT_EQ(ca.channel, "brand-whatsapp");
  EXPECT_EQ(ca.address, "1");
  EXPECT_EQ(ca.moved_from, "brand-telegram");
  auto cb = Must(store_->Inbox().FinishRestoration(
      {.key = move(b, "").key, .at = kT0 + minutes(9), .note = "told", .move_back = true}));
  EXPECT_EQ(cb.channel, "brand-whatsapp");
  EXPECT_EQ(cb.moved_from, "brand-whatsapp") << "not moved again";
  EXPECT_TRUE(Must(store_->Inbox().PendingRestorations()).empty());
  auto done = Must(store_->Inbox().FindMove(move(a, "").key));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->restored_at, kT0 + minutes(9));
  EXPECT_EQ(done->restored_note, "told");
  // Finishing again changes nothing.
  Must(store_->Inbox().Ingest(WhatsApp("w4", "1", kT0 + minutes(10), kT0 + minutes(10), "x")));
  auto again = Must(store_->Inbox().FinishRestoration(
      {.key = move(a, "").key, .at = kT0 + minutes(11), .note = "again", .move_back = true}));
  EXPECT_EQ(Must(store_->Inbox().FindMove(move(a, "").key))->restored_note, "told");
  EXPECT_EQ(again.channel, "brand-whatsapp");
  EXPECT_EQ(store_->Inbox().FinishRestoration({.key = "nope", .at = kT0}).error().code(),
            core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, InboxRefusesIncompleteMessages) {
  auto m = WhatsApp("", "1", kT0, kT0, "a");
  auto r = store_->Inbox().Ingest(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("platform_id"));
  EXPECT_TRUE(Must(store_->Inbox().List({})).empty());
  EXPECT_EQ(FindLinkToken("go to https://t.me/brand?start=llabcdefghij now"), "llabcdefghij");
  EXPECT_EQ(FindLinkToken("hello llabcdefghijk"), "");
}

}  // namespace
}  // namespace lifeline::store
