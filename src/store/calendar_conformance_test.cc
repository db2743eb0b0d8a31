// Behaviour every Store's content calendar must have (calendar.h's contract), as part of the
// StoreConformance suite: each dialect that instantiates the suite runs these too.
#include <gmock/gmock.h>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
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

Post MakePost(std::string id, Time at, std::vector<std::string> channels) {
  Post p;
  p.id = std::move(id);
  p.text = "Black Friday starts now";
  p.media = {"https://brand.example/bf.jpg"};
  p.at = at;
  p.source = "api";
  p.by = "ana";
  p.created_at = p.updated_at = kT0;
  for (auto& c : channels) {
    PostPart part;
    part.channel = std::move(c);
    part.due = at;
    part.updated_at = kT0;
    p.parts.push_back(std::move(part));
  }
  return p;
}

std::vector<std::string> Ids(const std::vector<Post>& posts) {
  std::vector<std::string> out;
  for (const auto& p : posts) out.push_back(p.id);
  return out;
}

TEST_P(StoreConformance, CalendarAddsPostsWithTheirPartsAndSurvivesARestart) {
  CalendarStore& c = store_->Calendar();
  Post p = MakePost("bf", kT0 + hours(1), {"brand-mastodon", "brand-telegram"});
  p.expires = kT0 + hours(3);
  auto added = Must(c.Add(std::span<const Post>(&p, 1)));
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].state, PostState::kScheduled);
  Reopen();
  Post got = Must(store_->Calendar().Get("bf"));
  EXPECT_EQ(got.text, "Black Friday starts now");
  EXPECT_THAT(got.media, ElementsAre("https://brand.example/bf.jpg"));
  EXPECT_EQ(got.at, kT0 + hours(1));
  EXPECT_EQ(got.expires, kT0 + hours(3));
  ASSERT_EQ(got.parts.size(), 2u);
  EXPECT_EQ(got.parts[0].channel, "brand-mastodon");
  EXPECT_EQ(got.parts[1].channel, "brand-telegram");
  EXPECT_EQ(got.parts[1].due, kT0 + hours(1));
  EXPECT_EQ(store_->Calendar().Get("nope").error().code(), core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, CalendarAddIsAllOrNothing) {
  CalendarStore& c = store_->Calendar();
  Post first = MakePost("a", kT0, {"x"});
  ASSERT_TRUE(c.Add(std::span<const Post>(&first, 1)).ok());
  std::vector<Post> batch = {MakePost("b", kT0, {"x"}), MakePost("a", kT0, {"x"})};
  auto r = c.Add(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_THAT(r.error().message(), HasSubstr("'a'"));
  EXPECT_EQ(c.Get("b").error().code(), core::ErrorCode::kNotFound) << "nothing of the batch";

  std::vector<Post> bad = {MakePost("c", kT0, {"x"}), MakePost("d", kT0, {})};
  auto invalid = c.Add(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.Get("c").error().code(), core::ErrorCode::kNotFound);
  Post twice = MakePost("e", kT0, {"x", "x"});
  EXPECT_EQ(c.Add(std::span<const Post>(&twice, 1)).error().code(),
            core::ErrorCode::kInvalidArgument);
  Post expired = MakePost("f", kT0, {"x"});
  expired.expires = kT0;
  EXPECT_EQ(c.Add(std::span<const Post>(&expired, 1)).error().code(),
            core::ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, CalendarUpdateRecomputesTheStateFromTheParts) {
  CalendarStore& c = store_->Calendar();
  Post p = MakePost("bf", kT0, {"m", "t"});
  ASSERT_TRUE(c.Add(std::span<const Post>(&p, 1)).ok());
  p.parts[0].state = PartState::kQueued;
  p.parts[0].message_key = "calendar/bf/m/0";
  p.parts[0].message_id = "msg_1";
  p.parts[1].state = PartState::kHeld;
  p.parts[1].held_by = "inc_1";
  p.parts[1].incident_id = "inc_1";
  p.updated_at = kT0 + minutes(1);
  Post held = Must(c.Update(p));
  EXPECT_EQ(held.state, PostState::kHeld);
  EXPECT_EQ(held.created_at, kT0);
  EXPECT_EQ(held.updated_at, kT0 + minutes(1));

  p.parts[1].state = PartState::kDropped;
  p.parts[1].held_by.clear();
  EXPECT_EQ(Must(c.Update(p)).state, PostState::kPublishing);
  p.parts[0].state = PartState::kPublished;
  p.parts[0].remote_id = "109";
  p.parts[0].published_at = kT0 + minutes(2);
  EXPECT_EQ(Must(c.Update(p)).parts[0].verified, "");
  p.parts[0].verified = "missing";
  p.parts[0].verify_note = "Mastodon answered 404: Record not found";
  p.parts[0].verified_at = kT0 + minutes(4);
  Post done = Must(c.Update(p));
  EXPECT_EQ(done.state, PostState::kPublished);
  EXPECT_EQ(done.parts[0].remote_id, "109");
  EXPECT_EQ(done.parts[0].published_at, kT0 + minutes(2));
  EXPECT_EQ(done.parts[0].verified, "missing");
  EXPECT_EQ(done.parts[0].verify_note, "Mastodon answered 404: Record not found");
  EXPECT_EQ(done.parts[0].verified_at, kT0 + minutes(4));
  EXPECT_EQ(done.parts[1].incident_id, "inc_1");
  p.parts[0].state = PartState::kDropped;
  EXPECT_EQ(Must(c.Update(p)).state, PostState::kDropped);

  Post ghost = MakePost("ghost", kT0, {"m"});
  EXPECT_EQ(c.Update(ghost).error().code(), core::ErrorCode::kNotFound);
}

TEST_P(StoreConformance, CalendarListsPostsAndPartsByTheirFilters) {
  CalendarStore& c = store_->Calendar();
  std::vector<Post> posts = {MakePost("late", kT0 + hours(2), {"m"}),
                             MakePost("early", kT0, {"m", "t"}),
                             MakePost("mid", kT0 + hours(1), {"t"})};
  posts[2].parts[0].state = PartState::kHeld;
  posts[2].parts[0].held_by = "inc_9";
  posts[0].parts[0].state = PartState::kQueued;
  posts[0].parts[0].message_key = "calendar/late/m/0";
  ASSERT_TRUE(c.Add(posts).ok());
  EXPECT_THAT(Ids(Must(c.List({}))), ElementsAre("early", "mid", "late"));
  EXPECT_THAT(Ids(Must(c.List({.state = PostState::kHeld}))), ElementsAre("mid"));
  EXPECT_THAT(Ids(Must(c.List({.channel = "t"}))), ElementsAre("early", "mid"));
  EXPECT_THAT(Ids(Must(c.List({.from = kT0 + minutes(30), .to = kT0 + hours(2)}))),
              ElementsAre("mid"));
  EXPECT_THAT(Ids(Must(c.List({.limit = 1}))), ElementsAre("early"));

  auto held = Must(c.ListParts({.held_by = "inc_9"}));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].post_id, "mid");
  EXPECT_EQ(held[0].part.channel, "t");
  auto by_key = Must(c.ListParts({.message_key = "calendar/late/m/0"}));
  ASSERT_EQ(by_key.size(), 1u);
  EXPECT_EQ(by_key[0].post_id, "late");
  auto on_m = Must(c.ListParts({.channel = "m"}));
  ASSERT_EQ(on_m.size(), 2u);
  EXPECT_EQ(on_m[0].post_id, "early");
  auto scheduled = Must(c.ListParts({.state = PartState::kScheduled, .due_to = kT0 + hours(1)}));
  ASSERT_EQ(scheduled.size(), 2u);  // early on m and t
}

TEST_P(StoreConformance, CalendarKeepsAnEditedAndACancelledPostWithWhoAndWhen) {
  CalendarStore& c = store_->Calendar();
  Post p = MakePost("bf", kT0 + hours(1), {"m", "t"});
  ASSERT_TRUE(c.Add(std::span<const Post>(&p, 1)).ok());
  EXPECT_TRUE(Must(c.Get("bf")).edited_by.empty());
  EXPECT_FALSE(Must(c.Get("bf")).cancelled_at.has_value());

  // An edit: new text and time, a channel replaced, who and when.
  p.text = "Black Friday starts at noon";
  p.at = kT0 + hours(2);
  p.expires = kT0 + hours(5);
  p.media.clear();
  p.parts.erase(p.parts.begin());
  PostPart b;
  b.channel = "b";
  b.due = kT0 + hours(2);
  b.updated_at = kT0 + minutes(5);
  p.parts.push_back(b);
  p.parts[0].due = kT0 + hours(2);
  p.edited_by = "ana";
  p.edited_at = kT0 + minutes(5);
  p.updated_at = kT0 + minutes(5);
  ASSERT_TRUE(c.Update(p).ok());
  Reopen();
  Post edited = Must(store_->Calendar().Get("bf"));
  EXPECT_EQ(edited.text, "Black Friday starts at noon");
  EXPECT_TRUE(edited.media.empty());
  EXPECT_EQ(edited.at, kT0 + hours(2));
  EXPECT_EQ(edited.expires, kT0 + hours(5));
  ASSERT_EQ(edited.parts.size(), 2u);
  EXPECT_EQ(edited.parts[0].channel, "t");
  EXPECT_EQ(edited.parts[1].channel, "b");
  EXPECT_EQ(edited.edited_by, "ana");
  EXPECT_EQ(edited.edited_at, kT0 + minutes(5));
  EXPECT_EQ(edited.created_at, kT0);
  EXPECT_THAT(Ids(Must(store_->Calendar().List({.channel = "m"}))), ::testing::IsEmpty());

  // Cancelled: kept, with its parts cancelled; listed and found by its state.
  for (PostPart& part : edited.parts) part.state = PartState::kCancelled;
  edited.cancelled_by = "bo";
  edited.cancelled_at = kT0 + minutes(9);
  Post cancelled = Must(store_->Calendar().Update(edited));
  EXPECT_EQ(cancelled.state, PostState::kCancelled);
  Reopen();
  Post got = Must(store_->Calendar().Get("bf"));
  EXPECT_EQ(got.state, PostState::kCancelled);
  EXPECT_EQ(got.cancelled_by, "bo");
  EXPECT_EQ(got.cancelled_at, kT0 + minutes(9));
  EXPECT_EQ(got.parts[0].state, PartState::kCancelled);
  EXPECT_THAT(Ids(Must(store_->Calendar().List({.state = PostState::kCancelled}))),
              ElementsAre("bf"));
  EXPECT_EQ(Must(store_->Calendar().ListParts({.state = PartState::kCancelled})).size(), 2u);
  EXPECT_EQ(store::ParsePostState("cancelled"), PostState::kCancelled);
  EXPECT_EQ(store::PartStateName(PartState::kCancelled), "cancelled");

  // A cancellation without who (or who without when) is refused.
  got.cancelled_by.clear();
  auto bad = store_->Calendar().Update(got);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message(), HasSubstr("cancelled_by"));
}

TEST_P(StoreConformance, CalendarSummarisesACancelledPostAfterWhatIsStillOut) {
  std::vector<PostPart> parts(2);
  parts[0].state = PartState::kCancelled;
  parts[1].state = PartState::kQueued;
  EXPECT_EQ(Summarise(parts), PostState::kPublishing) << "one part is still with the relay";
  parts[1].state = PartState::kFailed;
  EXPECT_EQ(Summarise(parts), PostState::kCancelled);
  parts[1].state = PartState::kDropped;
  EXPECT_EQ(Summarise(parts), PostState::kCancelled);
  parts[1].state = PartState::kHeld;
  EXPECT_EQ(Summarise(parts), PostState::kHeld);
}

}  // namespace
}  // namespace lifeline::store
