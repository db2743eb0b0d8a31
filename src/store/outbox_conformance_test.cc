// Behaviour every Store's outbox must have (outbox.h's contract), as part of the StoreConformance
// suite: each dialect that instantiates the suite runs these too. Times are explicit.
#include <gmock/gmock.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _r = (expr);                                             \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

NewMessage Msg(std::string key, std::string channel, Time at, std::string contact = "",
               std::string incident = "") {
  NewMessage m;
  m.idempotency_key = std::move(key);
  m.channel = std::move(channel);
  m.contact = std::move(contact);
  m.recipient = "@team";
  m.subject = "Instagram is down";
  m.text = "Instagram fails for everyone since 10:02";
  m.incident_id = std::move(incident);
  m.created_at = at;
  return m;
}

Enqueued EnqueueOne(OutboxStore& o, const NewMessage& m) {
  auto r = Must(o.Enqueue(std::span<const NewMessage>(&m, 1)));
  EXPECT_EQ(r.size(), 1u);
  return r.at(0);
}

std::vector<OutboxMessage> Claim(OutboxStore& o, Time now, std::string channel,
                                 std::size_t limit = 100, bool contact_only = false) {
  ClaimRequest req{std::move(channel), limit, contact_only};
  return Must(o.ClaimDue(now, std::span<const ClaimRequest>(&req, 1)));
}

std::vector<OutboxMessage> Apply(OutboxStore& o, MessageUpdate u) {
  return Must(o.Update(std::span<const MessageUpdate>(&u, 1)));
}

std::int64_t CountOf(OutboxStore& o, std::string_view channel, MessageState state) {
  for (const StateCount& c : Must(o.Counts())) {
    if (c.channel == channel && c.state == state) return c.count;
  }
  return 0;
}

std::vector<std::string> Types(const MessageDetail& d) {
  std::vector<std::string> out;
  for (const auto& e : d.events) out.push_back(e.type);
  return out;
}

TEST_P(StoreConformance, OutboxEnqueueStoresOneMessagePerIdempotencyKey) {
  OutboxStore& o = store_->Outbox();
  Enqueued first = EnqueueOne(o, Msg("k1", "team-telegram", kT0));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.message.id.rfind("msg_", 0), 0u);
  EXPECT_EQ(first.message.state, MessageState::kQueued);
  EXPECT_EQ(first.message.next_attempt_at, kT0);

  // The same key again, even with other content, returns the stored message.
  NewMessage again = Msg("k1", "team-email", kT0 + seconds(5));
  again.text = "something else";
  Enqueued second = EnqueueOne(o, again);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.message.id, first.message.id);
  EXPECT_EQ(second.message.channel, "team-telegram");
  EXPECT_EQ(second.message.text, first.message.text);

  // Within one batch too.
  std::vector<NewMessage> batch = {Msg("k2", "team-telegram", kT0), Msg("k2", "x", kT0),
                                   Msg("k1", "y", kT0)};
  auto r = Must(o.Enqueue(batch));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].created);
  EXPECT_FALSE(r[1].created);
  EXPECT_EQ(r[1].message.id, r[0].message.id);
  EXPECT_FALSE(r[2].created);
  EXPECT_EQ(r[2].message.id, first.message.id);

  EXPECT_EQ(CountOf(o, "team-telegram", MessageState::kQueued), 2);
  EXPECT_EQ(Must(o.FindByKey("k2")).id, r[0].message.id);
  EXPECT_EQ(o.FindByKey("nope").error().code(), core::ErrorCode::kNotFound);

  auto d = Must(o.Get(first.message.id));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].seq, 1);
  EXPECT_EQ(d.events[0].type, "queued");
  EXPECT_EQ(d.events[0].state, MessageState::kQueued);
  EXPECT_EQ(d.events[0].at, kT0);
}

TEST_P(StoreConformance, OutboxBadInputStoresNothing) {
  OutboxStore& o = store_->Outbox();
  NewMessage no_text = Msg("k2", "c", kT0);
  no_text.text.clear();
  std::vector<NewMessage> batch = {Msg("k1", "c", kT0), no_text};
  auto r = o.Enqueue(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("text"));
  EXPECT_FALSE(o.FindByKey("k1").ok());
  EXPECT_TRUE(Must(o.Counts()).empty());

  EXPECT_FALSE(o.Enqueue(std::vector<NewMessage>{Msg("", "c", kT0)}).ok());
  EXPECT_FALSE(o.Enqueue(std::vector<NewMessage>{Msg(std::string(201, 'k'), "c", kT0)}).ok());
  EXPECT_FALSE(o.Enqueue(std::vector<NewMessage>{Msg("k", "", kT0)}).ok());

  MessageUpdate bad;
  bad.id = "msg_x";
  bad.state = MessageState::kRetryScheduled;  // without next_attempt_at
  EXPECT_EQ(o.Update(std::span<const MessageUpdate>(&bad, 1)).error().code(),
            core::ErrorCode::kInvalidArgument);
  bad.state = MessageState::kSending;
  EXPECT_FALSE(o.Update(std::span<const MessageUpdate>(&bad, 1)).ok());
  EXPECT_EQ(o.List({.limit = 0}).error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(o.List({.cursor = "garbage"}).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, OutboxKeepsAMessagesMediaLinks) {
  OutboxStore& o = store_->Outbox();
  NewMessage m = Msg("k-media", "brand-instagram", kT0);
  m.media = {"https://brand.example/outage.jpg", "https://cdn.example/clip.mp4?sig=a%20b"};
  Enqueued e = EnqueueOne(o, m);
  EXPECT_EQ(e.message.media, m.media);
  EXPECT_EQ(Must(o.Get(e.message.id)).message.media, m.media);
  EXPECT_EQ(Must(o.FindByKey("k-media")).media, m.media);
  auto page = Must(o.List({.channel = "brand-instagram"}));
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].media, m.media);
  // What a delivery worker claims carries them too, and so does every later change.
  auto claimed = Claim(o, kT0, "brand-instagram");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].media, m.media);
  MessageUpdate done;
  done.id = e.message.id;
  done.state = MessageState::kDelivered;
  done.at = kT0 + seconds(1);
  done.remote_id = "17950000000000001";
  auto updated = Apply(o, done);
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].media, m.media);

  // Without media: none.
  Enqueued plain = EnqueueOne(o, Msg("k-plain", "team-telegram", kT0));
  EXPECT_TRUE(plain.message.media.empty());
  EXPECT_TRUE(Must(o.Get(plain.message.id)).message.media.empty());
  // A repeated key returns the stored message's media, not the new request's.
  NewMessage other = Msg("k-plain", "team-telegram", kT0);
  other.media = {"https://brand.example/x.jpg"};
  EXPECT_TRUE(EnqueueOne(o, other).message.media.empty());
}

TEST_P(StoreConformance, OutboxRefusesBadMediaLinks) {
  OutboxStore& o = store_->Outbox();
  auto refused = [&](std::vector<std::string> media) {
    NewMessage m = Msg("k-bad", "brand-instagram", kT0);
    m.media = std::move(media);
    auto r = o.Enqueue(std::vector<NewMessage>{m});
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_THAT(refused({"https://a.example/1.jpg", "ftp://a.example/2.jpg"}),
              ::testing::HasSubstr("media[1]: 'ftp://a.example/2.jpg' is not an absolute"));
  EXPECT_THAT(refused({"/relative.jpg"}), ::testing::HasSubstr("media[0]"));
  EXPECT_THAT(refused({"https://"}), ::testing::HasSubstr("media[0]: the link has no host"));
  EXPECT_THAT(refused({"https://a.example/with space.jpg"}),
              ::testing::HasSubstr("media[0]: the link holds a space"));
  EXPECT_THAT(refused({"https://a.example/" + std::string(2048, 'a')}),
              ::testing::HasSubstr("media[0]: the link is longer than 2048 bytes"));
  EXPECT_THAT(refused(std::vector<std::string>(11, "https://a.example/1.jpg")),
              ::testing::HasSubstr("media: 11 links; at most 10"));
  EXPECT_FALSE(o.FindByKey("k-bad").ok()) << "nothing stored";
  NewMessage ten = Msg("k-ten", "brand-instagram", kT0);
  ten.media = std::vector<std::string>(10, "HTTPS://A.example/1.jpg");
  EXPECT_TRUE(o.Enqueue(std::vector<NewMessage>{ten}).ok());
}

TEST_P(StoreConformance, OutboxClaimTakesDueMessagesOfOneChannelEarliestFirst) {
  OutboxStore& o = store_->Outbox();
  NewMessage later = Msg("later", "tg", kT0);
  later.not_before = kT0 + minutes(5);
  std::vector<NewMessage> batch = {Msg("b", "tg", kT0 + seconds(2)),
                                   Msg("a", "tg", kT0 + seconds(1)), later,
                                   Msg("other", "mail", kT0)};
  auto stored = Must(o.Enqueue(batch));

  EXPECT_EQ(Must(o.NextDue("tg")), kT0 + seconds(1));
  EXPECT_EQ(Must(o.NextDue("nothing")), std::nullopt);

  auto got = Claim(o, kT0 + seconds(10), "tg", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].idempotency_key, "a");
  EXPECT_EQ(got[0].state, MessageState::kSending);
  EXPECT_EQ(got[0].attempts, 1);
  EXPECT_EQ(got[0].next_attempt_at, std::nullopt);

  got = Claim(o, kT0 + seconds(10), "tg");
  ASSERT_EQ(got.size(), 1u);  // "later" is not due yet, "other" is another channel's
  EXPECT_EQ(got[0].idempotency_key, "b");
  EXPECT_TRUE(Claim(o, kT0 + seconds(10), "tg").empty());
  EXPECT_EQ(Must(o.NextDue("tg")), kT0 + minutes(5));

  got = Claim(o, kT0 + minutes(5), "tg");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].idempotency_key, "later");

  EXPECT_EQ(CountOf(o, "tg", MessageState::kSending), 3);
  EXPECT_EQ(CountOf(o, "mail", MessageState::kQueued), 1);
  auto d = Must(o.Get(stored[1].message.id));
  EXPECT_THAT(Types(d), ::testing::ElementsAre("queued", "sending"));
  EXPECT_EQ(d.events[1].detail, "attempt 1");

  // Several channels in one call.
  std::vector<NewMessage> more = {Msg("c1", "x", kT0), Msg("c2", "y", kT0), Msg("c3", "y", kT0)};
  ASSERT_OK(o.Enqueue(more));
  std::vector<ClaimRequest> reqs = {{"x", 5, false}, {"y", 1, false}, {"unknown", 5, false}};
  EXPECT_EQ(Must(o.ClaimDue(kT0, reqs)).size(), 2u);
}

TEST_P(StoreConformance, OutboxContactOnlyClaimsLeaveOtherMessages) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch = {Msg("plain", "wa", kT0), Msg("ana", "wa", kT0, "ana")};
  ASSERT_OK(o.Enqueue(batch));
  EXPECT_EQ(Must(o.NextDue("wa", true)), kT0);
  auto got = Claim(o, kT0, "wa", 10, /*contact_only=*/true);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].contact, "ana");
  EXPECT_EQ(Must(o.NextDue("wa", true)), std::nullopt);
  EXPECT_EQ(Must(o.NextDue("wa")), kT0);
}

TEST_P(StoreConformance, OutboxUpdateRecordsOutcomesOfClaimedMessagesOnly) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch = {Msg("d", "tg", kT0), Msg("r", "tg", kT0), Msg("f", "tg", kT0)};
  auto stored = Must(o.Enqueue(batch));
  auto claimed = Claim(o, kT0, "tg");
  ASSERT_EQ(claimed.size(), 3u);

  std::vector<MessageUpdate> ups(3);
  ups[0].id = stored[0].message.id;
  ups[0].state = MessageState::kDelivered;
  ups[0].at = kT0 + seconds(1);
  ups[0].remote_id = "4242";
  ups[0].reason = "HTTP 200";
  ups[0].answer_json = R"({"http_status":200,"remote_id":"4242"})";
  ups[1].id = stored[1].message.id;
  ups[1].state = MessageState::kRetryScheduled;
  ups[1].at = kT0 + seconds(1);
  ups[1].next_attempt_at = kT0 + seconds(31);
  ups[1].reason = "HTTP 429: Too Many Requests: retry after 30";
  ups[2].id = stored[2].message.id;
  ups[2].state = MessageState::kFailed;
  ups[2].at = kT0 + seconds(1);
  ups[2].reason = "HTTP 400: chat not found";
  auto done = Must(o.Update(ups));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].state, MessageState::kDelivered);
  EXPECT_EQ(done[0].remote_id, "4242");
  EXPECT_EQ(done[1].next_attempt_at, kT0 + seconds(31));
  EXPECT_EQ(done[1].last_reason, "HTTP 429: Too Many Requests: retry after 30");
  EXPECT_EQ(done[2].state, MessageState::kFailed);

  auto d = Must(o.Get(stored[0].message.id));
  EXPECT_THAT(Types(d), ::testing::ElementsAre("queued", "sending", "delivered"));
  EXPECT_EQ(d.events[2].answer_json, R"({"http_status":200,"remote_id":"4242"})");
  EXPECT_EQ(d.events[2].detail, "HTTP 200");
  EXPECT_EQ(d.message.last_seq, 3);

  // A second update of a message no longer in `sending` is skipped, not applied twice.
  EXPECT_TRUE(Must(o.Update(std::span<const MessageUpdate>(&ups[0], 1))).empty());
  MessageUpdate unknown = ups[2];
  unknown.id = "msg_unknown";
  EXPECT_TRUE(Must(o.Update(std::span<const MessageUpdate>(&unknown, 1))).empty());

  // The retry comes back when due, as attempt 2.
  EXPECT_TRUE(Claim(o, kT0 + seconds(30), "tg").empty());
  auto again = Claim(o, kT0 + seconds(31), "tg");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2);

  EXPECT_EQ(CountOf(o, "tg", MessageState::kDelivered), 1);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kFailed), 1);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kSending), 1);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kRetryScheduled), 0);
}

TEST_P(StoreConformance, OutboxFailoverMovesAMessageToAnotherChannel) {
  OutboxStore& o = store_->Outbox();
  auto m = EnqueueOne(o, Msg("k", "wa", kT0, "ana")).message;
  ASSERT_EQ(Claim(o, kT0, "wa").size(), 1u);
  MessageUpdate u;
  u.id = m.id;
  u.state = MessageState::kQueued;
  u.at = kT0 + seconds(1);
  u.next_attempt_at = kT0 + seconds(1);
  u.channel = "tg";
  u.recipient = "12345";
  u.route = "wa: circuit open, Meta outage since 10:02; next: tg";
  u.event_type = "rerouted";
  u.release = true;
  auto moved = Apply(o, u);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].channel, "tg");
  EXPECT_EQ(moved[0].recipient, "12345");
  EXPECT_EQ(moved[0].attempts, 0);
  EXPECT_EQ(moved[0].route, u.route);
  EXPECT_EQ(CountOf(o, "wa", MessageState::kQueued), 0);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kQueued), 1);
  auto got = Claim(o, kT0 + seconds(1), "tg");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempts, 1);
  auto d = Must(o.Get(m.id));
  EXPECT_THAT(Types(d), ::testing::ElementsAre("queued", "sending", "rerouted", "sending"));
  EXPECT_EQ(d.events[2].detail, "");
}

TEST_P(StoreConformance, OutboxReleaseGivesAClaimBackWithoutCountingAnAttempt) {
  OutboxStore& o = store_->Outbox();
  auto m = EnqueueOne(o, Msg("k", "wa", kT0)).message;
  ASSERT_EQ(Claim(o, kT0, "wa").size(), 1u);
  MessageUpdate u;
  u.id = m.id;
  u.state = MessageState::kRetryScheduled;
  u.at = kT0;
  u.next_attempt_at = kT0 + seconds(30);
  u.release = true;
  u.event_type = "released";
  u.detail = "circuit open";
  auto r = Apply(o, u);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].attempts, 0);
}

TEST_P(StoreConformance, OutboxRetryCancelAndDecideCheckTheState) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch = {Msg("a", "tg", kT0), Msg("b", "tg", kT0), Msg("c", "tg", kT0)};
  auto s = Must(o.Enqueue(batch));
  const std::string a = s[0].message.id, b = s[1].message.id, c = s[2].message.id;

  // A queued message can be cancelled, not retried or decided.
  EXPECT_EQ(o.Retry(a, kT0, "ops").error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(o.Decide(a, true, kT0, "").error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(o.Decide(a, true, kT0, "").error().message(), ::testing::HasSubstr("queued"));
  auto cancelled = Must(o.Cancel(a, kT0 + seconds(1), "wrong audience"));
  EXPECT_EQ(cancelled.state, MessageState::kCancelled);
  EXPECT_EQ(cancelled.next_attempt_at, std::nullopt);
  EXPECT_EQ(cancelled.last_reason, "wrong audience");
  EXPECT_EQ(o.Cancel(a, kT0, "").error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(o.Cancel("msg_none", kT0, "").error().code(), core::ErrorCode::kNotFound);

  // A message being sent cannot be cancelled.
  ASSERT_EQ(Claim(o, kT0, "tg").size(), 2u);
  EXPECT_EQ(o.Cancel(b, kT0, "").error().code(), core::ErrorCode::kFailedPrecondition);

  MessageUpdate fail;
  fail.id = b;
  fail.state = MessageState::kDeadLettered;
  fail.at = kT0 + seconds(2);
  fail.reason = "gave up after 8 attempts";
  MessageUpdate lost;
  lost.id = c;
  lost.state = MessageState::kUnconfirmed;
  lost.at = kT0 + seconds(2);
  lost.reason = "timed out after the request was sent";
  ASSERT_OK(o.Update(std::vector<MessageUpdate>{fail, lost}));

  auto retried = Must(o.Retry(b, kT0 + minutes(1), "retried by ops"));
  EXPECT_EQ(retried.state, MessageState::kQueued);
  EXPECT_EQ(retried.attempts, 0);
  EXPECT_EQ(retried.next_attempt_at, kT0 + minutes(1));
  EXPECT_THAT(Types(Must(o.Get(b))),
              ::testing::ElementsAre("queued", "sending", "dead_lettered", "retried"));

  auto resent = Must(o.Decide(c, /*delivered=*/false, kT0 + minutes(1), "ops: resend"));
  EXPECT_EQ(resent.state, MessageState::kQueued);
  ASSERT_EQ(Claim(o, kT0 + minutes(1), "tg").size(), 2u);
  lost.at = kT0 + minutes(2);
  ASSERT_OK(o.Update(std::span<const MessageUpdate>(&lost, 1)));
  auto confirmed = Must(o.Decide(c, /*delivered=*/true, kT0 + minutes(3), "seen in the chat"));
  EXPECT_EQ(confirmed.state, MessageState::kDelivered);
  EXPECT_EQ(Must(o.Get(c)).events.back().type, "decided");
  EXPECT_EQ(Must(o.Get(c)).events.back().detail, "seen in the chat");
}

TEST_P(StoreConformance, OutboxRecoveryResolvesMessagesLeftInSending) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch = {Msg("m1", "mastodon", kT0), Msg("t1", "tg", kT0),
                                   Msg("t2", "tg", kT0)};
  auto s = Must(o.Enqueue(batch));
  ASSERT_EQ(Claim(o, kT0, "mastodon").size(), 1u);
  ASSERT_EQ(Claim(o, kT0, "tg", 1).size(), 1u);
  Reopen();  // a crash: the claims are in the database, the workers are gone
  OutboxStore& again = store_->Outbox();
  std::vector<std::string> dedupe = {"mastodon"};
  auto changed = Must(again.RecoverAfterCrash(kT0 + minutes(1), dedupe));
  ASSERT_EQ(changed.size(), 2u);
  auto m1 = Must(again.FindByKey("m1"));
  EXPECT_EQ(m1.state, MessageState::kQueued);
  EXPECT_EQ(m1.next_attempt_at, kT0 + minutes(1));
  auto t1 = Must(again.FindByKey("t1"));
  EXPECT_EQ(t1.state, MessageState::kUnconfirmed);
  EXPECT_THAT(t1.last_reason, ::testing::HasSubstr("cannot deduplicate"));
  EXPECT_EQ(Must(again.Get(t1.id)).events.back().type, "recovered");
  EXPECT_EQ(Must(again.FindByKey("t2")).state, MessageState::kQueued);  // never claimed
  EXPECT_TRUE(Must(again.RecoverAfterCrash(kT0 + minutes(2), dedupe)).empty());
}

TEST_P(StoreConformance, OutboxListPagesNewestFirstWithFilters) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch;
  for (int i = 0; i < 60; ++i) {
    std::string channel = i % 3 == 0 ? "tg" : i % 3 == 1 ? "mail" : "wa";
    batch.push_back(Msg(fmt::format("k{:02}", i), channel, kT0 + seconds(i),
                        i % 4 == 0 ? "ana" : "", i % 5 == 0 ? "inc_1" : ""));
  }
  auto stored = Must(o.Enqueue(batch));
  ASSERT_EQ(Claim(o, kT0 + hours(1), "tg", 4).size(), 4u);  // k00, k03, k06, k09 -> sending

  // Every message once, newest first, in pages of 7.
  std::vector<std::string> keys;
  std::string cursor;
  int pages = 0;
  do {
    auto page = Must(o.List({.limit = 7, .cursor = cursor}));
    for (const auto& m : page.messages) keys.push_back(m.idempotency_key);
    cursor = page.next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 9);
  ASSERT_EQ(keys.size(), 60u);
  EXPECT_EQ(keys.front(), "k59");
  EXPECT_EQ(keys.back(), "k00");
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 60u);

  auto count = [&](MessageQuery q) {
    std::size_t n = 0;
    q.limit = 1000;
    for (const auto& m : Must(o.List(q)).messages) {
      EXPECT_TRUE(!q.state || m.state == *q.state);
      EXPECT_TRUE(q.channel.empty() || m.channel == q.channel);
      EXPECT_TRUE(q.incident_id.empty() || m.incident_id == q.incident_id);
      EXPECT_TRUE(q.contact.empty() || m.contact == q.contact);
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count({.state = MessageState::kSending}), 4u);
  EXPECT_EQ(count({.channel = "tg"}), 20u);
  EXPECT_EQ(count({.state = MessageState::kQueued, .channel = "tg"}), 16u);
  EXPECT_EQ(count({.incident_id = "inc_1"}), 12u);
  EXPECT_EQ(count({.state = MessageState::kSending, .incident_id = "inc_1"}), 1u);  // k00
  EXPECT_EQ(count({.contact = "ana"}), 15u);
  EXPECT_EQ(count({.channel = "none"}), 0u);

  // The last page of a filtered listing has no cursor.
  auto page = Must(o.List({.state = MessageState::kSending, .limit = 4}));
  EXPECT_EQ(page.messages.size(), 4u);
  EXPECT_TRUE(page.next_cursor.empty());
}

TEST_P(StoreConformance, OutboxCountsFollowEveryChangeAndPruneKeepsLiveMessages) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch = {Msg("a", "tg", kT0), Msg("b", "tg", kT0), Msg("c", "mail", kT0)};
  auto s = Must(o.Enqueue(batch));
  ASSERT_EQ(Claim(o, kT0, "tg", 1).size(), 1u);
  MessageUpdate u;
  u.id = s[0].message.id;
  u.state = MessageState::kDelivered;
  u.at = kT0 + seconds(1);
  ASSERT_OK(o.Update(std::span<const MessageUpdate>(&u, 1)));
  auto counts = Must(o.Counts());
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].channel, "mail");
  EXPECT_EQ(counts[0].state, MessageState::kQueued);
  EXPECT_EQ(counts[0].count, 1);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kDelivered), 1);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kQueued), 1);

  // Only final messages older than the cut go, with their events.
  EXPECT_EQ(Must(o.PruneFinal(kT0 + seconds(1))), 0);
  EXPECT_EQ(Must(o.PruneFinal(kT0 + hours(1))), 1);
  EXPECT_EQ(o.Get(s[0].message.id).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kDelivered), 0);
  EXPECT_EQ(CountOf(o, "tg", MessageState::kQueued), 1);
  EXPECT_TRUE(o.Get(s[1].message.id).ok());
}

TEST_P(StoreConformance, OutboxStepRecordsEnqueuesAndClaimsInOneTransaction) {
  OutboxStore& o = store_->Outbox();
  auto first = EnqueueOne(o, Msg("a", "wa", kT0, "ana")).message;
  ASSERT_EQ(Claim(o, kT0, "wa").size(), 1u);

  // The outcome moves "a" to tg; "b" is new on tg; both leave in the same step's claim.
  MessageUpdate moved;
  moved.id = first.id;
  moved.state = MessageState::kQueued;
  moved.at = kT0 + seconds(1);
  moved.next_attempt_at = kT0 + seconds(1);
  moved.channel = "tg";
  moved.event_type = "rerouted";
  std::vector<MessageUpdate> updates = {moved};
  std::vector<NewMessage> enqueue = {Msg("b", "tg", kT0 + seconds(1)), Msg("a", "x", kT0)};
  std::vector<ClaimRequest> claims = {{"tg", 10, false}};
  auto r = Must(o.Step({updates, enqueue, kT0 + seconds(1), claims}));
  ASSERT_EQ(r.updated.size(), 1u);
  EXPECT_EQ(r.updated[0].channel, "tg");
  ASSERT_EQ(r.enqueued.size(), 2u);
  EXPECT_TRUE(r.enqueued[0].created);
  EXPECT_FALSE(r.enqueued[1].created);  // "a" exists
  ASSERT_EQ(r.claimed.size(), 2u);
  EXPECT_EQ(r.claimed[0].id, first.id);  // due first
  EXPECT_EQ(r.claimed[1].idempotency_key, "b");

  // All or nothing: a bad update stores none of the step.
  MessageUpdate bad = moved;
  bad.state = MessageState::kSending;
  std::vector<MessageUpdate> bad_updates = {bad};
  std::vector<NewMessage> more = {Msg("c", "tg", kT0)};
  EXPECT_FALSE(o.Step({bad_updates, more, kT0, {}}).ok());
  EXPECT_FALSE(o.FindByKey("c").ok());
}

TEST_P(StoreConformance, OutboxSurvivesAReopen) {
  auto m = EnqueueOne(store_->Outbox(), Msg("k", "tg", kT0)).message;
  ASSERT_EQ(Claim(store_->Outbox(), kT0, "tg").size(), 1u);
  Reopen();
  auto d = Must(store_->Outbox().Get(m.id));
  EXPECT_EQ(d.message.state, MessageState::kSending);
  EXPECT_EQ(d.events.size(), 2u);
  EXPECT_FALSE(EnqueueOne(store_->Outbox(), Msg("k", "tg", kT0)).created);
}

TEST_P(StoreConformance, OutboxConcurrentClaimsNeverShareAMessage) {
  OutboxStore& o = store_->Outbox();
  std::vector<NewMessage> batch;
  for (int i = 0; i < 400; ++i) batch.push_back(Msg(fmt::format("k{}", i), "tg", kT0));
  ASSERT_OK(o.Enqueue(batch));
  std::mutex mu;  // guards seen, duplicates
  std::set<std::string> seen;
  int duplicates = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (true) {
        auto got = o.ClaimDue(kT0, std::vector<ClaimRequest>{{"tg", 7, false}});
        if (!got.ok() || got->empty()) return;
        std::lock_guard lock(mu);
        for (const auto& m : *got) duplicates += seen.insert(m.id).second ? 0 : 1;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 400u);
  EXPECT_EQ(duplicates, 0);
}

}  // namespace
}  // namespace lifeline::store
