// The content calendar's decisions on a fake clock, with a real SQLite store and timer scheduler
// and a fake relay (Publisher): a post to two channels during an outage of one channel's
// platform, released by each policy, an expired post dropped, a queued post called back, holds
// and releases by hand, and bad input. Waits for states; never sleeps for a fixed time.
#include "calendar/calendar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "core/fake_clock.h"
#include "core/listeners.h"
#include "core/temp_dir.h"

namespace lifeline::calendar {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using store::PartState;
using store::PostState;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::time_point(std::chrono::milliseconds(1'795'773'600'000));

// The relay as the calendar sees it: channels m (Mastodon) and t (Telegram), holds a test sets,
// messages a test delivers.
class FakePublisher final : public Publisher {
 public:
  std::vector<std::string> Channels() const override { return {"m", "t"}; }
  std::string Platform(std::string_view c) const override {
    return c == "m" ? "mastodon" : c == "t" ? "telegram" : "";
  }
  std::optional<Hold> HeldBy(std::string_view c) const override {
    std::lock_guard lock(mu_);
    auto it = held_.find(std::string(c));
    if (it == held_.end()) return std::nullopt;
    return it->second;
  }
  core::Status Check(std::string_view c, const Content& content) const override {
    const std::string text = PublishedText(content.text, content.media);
    if (c != "m" && c != "t") return core::MakeError(core::ErrorCode::kNotFound, "no {}", c);
    if (c == "m" && text.size() > 500) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "m: {} characters; mastodon allows 500", text.size());
    }
    return core::Ok();
  }
  core::Result<Delivery> Publish(std::string_view c, const Content& content,
                                 const std::string& key) override {
    const std::string text = PublishedText(content.text, content.media);
    std::lock_guard lock(mu_);
    calls_.push_back({std::string(c), text, key});
    auto it = messages_.find(key);
    if (it != messages_.end()) return it->second;
    Delivery d;
    d.key = key;
    d.message_id = "msg_" + std::to_string(messages_.size() + 1);
    messages_[key] = d;
    return d;
  }
  // What the platform says of a post id: present unless a test said otherwise.
  core::Result<Verification> Verify(std::string_view c, const std::string& remote_id) override {
    std::lock_guard lock(mu_);
    lookups_.push_back(std::string(c) + "/" + remote_id);
    auto it = presence_.find(remote_id);
    Verification v;
    v.state = it == presence_.end() ? Verification::State::kPresent : it->second;
    v.reason = v.state == Verification::State::kMissing ? "404 Record not found" : "";
    if (v.state == Verification::State::kPresent)
      v.permalink = "https://m.example/@brand/" + remote_id;
    return v;
  }
  void SetPresence(const std::string& remote_id, Verification::State s) {
    std::lock_guard lock(mu_);
    presence_[remote_id] = s;
  }
  std::size_t Lookups() {
    std::lock_guard lock(mu_);
    return lookups_.size();
  }
  core::Result<bool> CallBack(const std::string& id, std::string_view) override {
    std::lock_guard lock(mu_);
    for (auto& [key, d] : messages_) {
      if (d.message_id != id) continue;
      if (d.state != Delivery::State::kWaiting || !call_back_works_) return false;
      d.state = Delivery::State::kCancelled;
      return true;
    }
    return core::MakeError(core::ErrorCode::kNotFound, "no message {}", id);
  }
  core::Result<std::optional<Delivery>> Find(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = messages_.find(key);
    if (it == messages_.end()) return std::optional<Delivery>();
    return std::optional<Delivery>(it->second);
  }
  std::unique_ptr<core::Subscription> Subscribe(
      std::function<void(const Delivery&)> sink) override {
    return subs_.Add(std::move(sink));
  }

  void SetHeld(const std::string& channel, const std::string& incident) {
    std::lock_guard lock(mu_);
    if (incident.empty()) {
      held_.erase(channel);
    } else {
      held_[channel] = {incident, "Telegram outage since 10:02 UTC (incident " + incident + ")"};
    }
  }
  // The relay delivered the message under `key`.
  void Deliver(const std::string& key, const std::string& remote) {
    Delivery d;
    {
      std::lock_guard lock(mu_);
      auto& m = messages_.at(key);
      m.state = Delivery::State::kDelivered;
      m.remote_id = remote;
      d = m;
    }
    subs_.Publish(d);
  }
  struct Call {
    std::string channel, text, key;
  };
  std::vector<Call> Calls(const std::string& channel) {
    std::lock_guard lock(mu_);
    std::vector<Call> out;
    for (const auto& c : calls_) {
      if (c.channel == channel) out.push_back(c);
    }
    return out;
  }
  std::optional<Delivery::State> StateOf(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = messages_.find(key);
    if (it == messages_.end()) return std::nullopt;
    return it->second.state;
  }
  void SetCallBackWorks(bool v) {
    std::lock_guard lock(mu_);
    call_back_works_ = v;
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Hold> held_;
  std::map<std::string, Delivery> messages_;
  std::vector<Call> calls_;
  std::map<std::string, Verification::State> presence_;
  std::vector<std::string> lookups_;
  bool call_back_works_ = true;
  core::Listeners<Delivery> subs_;
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class CalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.path() + "/lifeline.db");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    store::NewIncident inc;
    inc.kind = store::IncidentKind::kPlatform;
    inc.domain = "telegram";
    inc.verdict = core::Verdict::kOutage;
    inc.title = "Telegram outage";
    inc.platforms = {"telegram"};
    inc.opened_at = store::FromSystem(kT0);
    auto opened = store_->OpenIncident(inc);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    inc_ = opened->id;
  }
  void TearDown() override {
    if (calendar_) calendar_->Stop();
    if (scheduler_) scheduler_->Stop();
    calendar_.reset();
    scheduler_.reset();
  }

  void Start(CalendarConfig config = {}) {
    timers::SchedulerOptions so;
    so.clock = &clock_;
    so.backoff_base = 1s;
    scheduler_ = std::make_unique<timers::Scheduler>(&store_->Timers(), so);
    calendar_ = std::make_unique<Calendar>(std::move(config), pub_, *store_, *scheduler_,
                                           CalendarOptions{.clock = &clock_});
    ASSERT_TRUE(calendar_->Start().ok());
    ASSERT_TRUE(scheduler_->Start().ok());
  }

  store::Post Add(const std::string& id, std::chrono::minutes in,
                  std::vector<std::string> channels = {"m", "t"},
                  std::optional<std::chrono::minutes> expires_in = std::nullopt) {
    NewPost n;
    n.id = id;
    n.text = "Black Friday starts now";
    n.media = {"https://brand.example/bf.jpg"};
    n.channels = std::move(channels);
    n.at = store::FromSystem(clock_.Now() + in);
    if (expires_in) n.expires = store::FromSystem(clock_.Now() + *expires_in);
    n.by = "ana";
    auto p = calendar_->Add(n);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? *p : store::Post{};
  }

  store::PostPart Part(const std::string& id, const std::string& channel) {
    auto p = store_->Calendar().Get(id);
    if (!p.ok()) return {};
    for (const auto& part : p->parts) {
      if (part.channel == channel) return part;
    }
    return {};
  }
  bool WaitPart(const std::string& id, const std::string& channel, PartState state) {
    return WaitFor([&] { return Part(id, channel).state == state; });
  }

  void Notice(core::IncidentNotice::Change change) {
    core::IncidentNotice n;
    n.change = change;
    n.incident_id = inc_;
    n.domain = "telegram";
    n.platforms = {"telegram"};
    n.opened_at = kT0;
    n.at = clock_.Now();
    calendar_->OnIncident(n);
    ASSERT_TRUE(calendar_->WaitIdle(10s));
  }
  void Outage() {
    pub_.SetHeld("t", inc_);
    Notice(core::IncidentNotice::Change::kOpened);
  }
  void Restored() {
    pub_.SetHeld("t", "");
    Notice(core::IncidentNotice::Change::kClosed);
  }

  // The post's due timer for `due` as stored ("" when there is none).
  std::string TimerOf(const std::string& id, Clock::time_point due) {
    auto t = store_->Timers().Get("calendar/publish/" + id + "/" +
                                  std::to_string(store::ToMillis(store::FromSystem(due))));
    return t.ok() ? std::string(store::TimerStateName(t->state)) : "";
  }
  // Calls to the relay for post `id` on `channel`.
  std::size_t CallsFor(const std::string& id, const std::string& channel) {
    std::size_t n = 0;
    for (const auto& c : pub_.Calls(channel)) n += c.key.starts_with("calendar/" + id + "/");
    return n;
  }

  std::vector<store::IncidentEvent> Events(std::string_view type) {
    auto all = store_->ListEvents(inc_, 0, 1000);
    std::vector<store::IncidentEvent> out;
    if (!all.ok()) return out;
    for (auto& e : *all) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

  lifeline::testing::TempDir dir_{"calendar-test"};
  std::string inc_;  // the Telegram outage's incident id
  std::unique_ptr<store::Store> store_;
  core::FakeClock clock_{kT0};
  FakePublisher pub_;
  std::unique_ptr<timers::Scheduler> scheduler_;
  std::unique_ptr<Calendar> calendar_;
};

TEST_F(CalendarTest, OutageHoldsOnlyTheFailedChannelAndReleasesItAfterRestoration) {
  Start();
  Add("bf", 10min);
  Outage();
  EXPECT_TRUE(pub_.Calls("m").empty()) << "nothing before its time";
  clock_.Advance(10min);
  ASSERT_TRUE(WaitPart("bf", "m", PartState::kQueued));
  ASSERT_TRUE(WaitPart("bf", "t", PartState::kHeld));
  EXPECT_TRUE(pub_.Calls("t").empty()) << "a held part is never handed to the relay";
  ASSERT_EQ(pub_.Calls("m").size(), 1u);
  EXPECT_EQ(pub_.Calls("m")[0].text, "Black Friday starts now\nhttps://brand.example/bf.jpg");
  EXPECT_EQ(Part("bf", "t").held_by, inc_);
  EXPECT_EQ(store_->Calendar().Get("bf")->state, PostState::kHeld);
  ASSERT_EQ(Events("calendar_held").size(), 1u);
  EXPECT_THAT(Events("calendar_held")[0].message, HasSubstr("(bf) held on t"));

  pub_.Deliver(pub_.Calls("m")[0].key, "109");
  ASSERT_TRUE(WaitPart("bf", "m", PartState::kPublished));
  EXPECT_EQ(Part("bf", "m").remote_id, "109");
  EXPECT_EQ(Part("bf", "t").state, PartState::kHeld) << "still held: the incident is open";

  clock_.Advance(30min);
  Restored();
  ASSERT_TRUE(WaitPart("bf", "t", PartState::kQueued));
  ASSERT_EQ(pub_.Calls("t").size(), 1u);
  EXPECT_EQ(Part("bf", "t").due, store::FromSystem(clock_.Now())) << "publish_now: at once";
  ASSERT_EQ(Events("calendar_released").size(), 1u);
  EXPECT_THAT(Events("calendar_released")[0].data_json, HasSubstr("\"decision\":\"publish_now\""));
  pub_.Deliver(pub_.Calls("t")[0].key, "77");
  ASSERT_TRUE(WaitPart("bf", "t", PartState::kPublished));
  EXPECT_EQ(store_->Calendar().Get("bf")->state, PostState::kPublished);
  EXPECT_EQ(Events("calendar_published").size(), 1u) << "the released part, on the timeline";
}

TEST_F(CalendarTest, EveryPublicationIsLookedUpAndAPostThePlatformDroppedIsFlagged) {
  Start();
  Add("bf", 10min);
  Outage();
  clock_.Advance(10min);
  ASSERT_TRUE(WaitPart("bf", "m", PartState::kQueued));
  // The platform answered "posted" with id 109, but never kept it.
  pub_.SetPresence("109", Verification::State::kMissing);
  pub_.Deliver(pub_.Calls("m")[0].key, "109");
  ASSERT_TRUE(WaitPart("bf", "m", PartState::kPublished));
  EXPECT_EQ(Part("bf", "m").verified, "") << "looked up before verify_after";
  EXPECT_EQ(pub_.Lookups(), 0u);
  clock_.Advance(2min);  // the default verify_after
  ASSERT_TRUE(WaitFor([&] { return Part("bf", "m").verified == "missing"; }));
  EXPECT_THAT(Part("bf", "m").verify_note, HasSubstr("404 Record not found"));
  EXPECT_EQ(Part("bf", "m").state, PartState::kPublished) << "the relay's word is kept beside it";

  // The held part, released and published after the outage, is found: verified on the timeline.
  Restored();
  ASSERT_TRUE(WaitPart("bf", "t", PartState::kQueued));
  pub_.Deliver(Part("bf", "t").message_key, "77");
  ASSERT_TRUE(WaitPart("bf", "t", PartState::kPublished));
  clock_.Advance(2min);
  ASSERT_TRUE(WaitFor([&] { return Part("bf", "t").verified == "present"; }));
  EXPECT_EQ(Part("bf", "t").verify_note, "https://m.example/@brand/77");
  ASSERT_TRUE(WaitFor([&] { return Events("calendar_verified").size() == 1u; }));
  EXPECT_THAT(Events("calendar_verified")[0].message, HasSubstr("(bf) is on t"));
}

TEST_F(CalendarTest, AnAnswerThatCannotTellIsAskedAgainThenLeftUnknown) {
  CalendarConfig config;
  config.verify_after = 1min;
  Start(config);
  Add("x", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("x", "m", PartState::kQueued));
  pub_.SetPresence("9", Verification::State::kUnknown);
  pub_.Deliver(pub_.Calls("m")[0].key, "9");
  ASSERT_TRUE(WaitPart("x", "m", PartState::kPublished));
  clock_.Advance(1min);
  ASSERT_TRUE(WaitFor([&] { return pub_.Lookups() == 1u; }));
  EXPECT_EQ(Part("x", "m").verified, "");
  clock_.Advance(2min);  // the second try, after twice the wait
  ASSERT_TRUE(WaitFor([&] { return pub_.Lookups() == 2u; }));
  EXPECT_EQ(Part("x", "m").verified, "");
  clock_.Advance(4min);  // the third and last
  ASSERT_TRUE(WaitFor([&] { return Part("x", "m").verified == "unknown"; }));
  EXPECT_EQ(pub_.Lookups(), 3u);
  EXPECT_THAT(Part("x", "m").verify_note, HasSubstr("could not tell after 3 tries"));
}

TEST_F(CalendarTest, VerifyAfterZeroLooksNothingUp) {
  CalendarConfig config;
  config.verify_after = std::chrono::milliseconds(0);
  Start(config);
  Add("x", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("x", "m", PartState::kQueued));
  pub_.Deliver(pub_.Calls("m")[0].key, "9");
  ASSERT_TRUE(WaitPart("x", "m", PartState::kPublished));
  clock_.Advance(1h);
  ASSERT_TRUE(calendar_->WaitIdle(10s));
  EXPECT_EQ(pub_.Lookups(), 0u);
  EXPECT_EQ(Part("x", "m").verified, "");
}

TEST_F(CalendarTest, NextFreeSlotMovesAHeldPostPastTheChannelsOtherPosts) {
  CalendarConfig c;
  c.platforms["telegram"] = Release{.policy = Policy::kNextFreeSlot, .spacing = 30min};
  Start(std::move(c));
  Add("held", 5min);
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("held", "t", PartState::kHeld));
  clock_.Advance(20min);      // 10:25
  Add("next", 10min, {"t"});  // 10:35 on Telegram
  Restored();
  // 10:25 is within 30 minutes of 10:35: the next free time is 11:05.
  const store::Time slot = store::FromSystem(kT0 + 65min);
  ASSERT_TRUE(WaitFor([&] { return Part("held", "t").state == PartState::kScheduled; }));
  EXPECT_EQ(Part("held", "t").due, slot);
  EXPECT_TRUE(pub_.Calls("t").empty());
  ASSERT_EQ(Events("calendar_released").size(), 1u);
  EXPECT_THAT(Events("calendar_released")[0].message,
              HasSubstr("moved to the next free slot, 2026-11-27T11:05:00Z"));
  clock_.Advance(40min);  // 11:05
  ASSERT_TRUE(WaitPart("held", "t", PartState::kQueued));
  ASSERT_TRUE(WaitPart("next", "t", PartState::kQueued));
}

TEST_F(CalendarTest, AnExpiredHeldPostIsDroppedAndNeverPublished) {
  Start();
  Add("flash", 5min, {"m", "t"}, 20min);
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("flash", "t", PartState::kHeld));
  clock_.Advance(30min);  // past its expiry
  Restored();
  ASSERT_TRUE(WaitPart("flash", "t", PartState::kDropped));
  EXPECT_TRUE(pub_.Calls("t").empty());
  ASSERT_EQ(Events("calendar_dropped").size(), 1u);
  EXPECT_THAT(Events("calendar_dropped")[0].message, HasSubstr("dropped: it expired at"));
}

TEST_F(CalendarTest, ManualPolicyWaitsForAPerson) {
  CalendarConfig c;
  c.release.policy = Policy::kManual;
  Start(std::move(c));
  Add("p", 5min);
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("p", "t", PartState::kHeld));
  // While the incident is open a person cannot release it.
  auto early = calendar_->Release("p", {"t"}, std::nullopt, "ana");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), core::ErrorCode::kFailedPrecondition);
  Restored();
  ASSERT_TRUE(WaitFor([&] { return Part("p", "t").held_by.empty(); }));
  EXPECT_EQ(Part("p", "t").state, PartState::kHeld);
  EXPECT_THAT(Events("calendar_held").back().message,
              HasSubstr("stays held until a person releases it (policy manual)"));
  auto released = calendar_->Release("p", {}, std::nullopt, "ana");
  ASSERT_TRUE(released.ok()) << released.error().message();
  ASSERT_TRUE(WaitPart("p", "t", PartState::kQueued));
  EXPECT_THAT(Events("calendar_released").back().data_json, HasSubstr("\"by\":\"ana\""));
}

TEST_F(CalendarTest, AQueuedPostIsCalledBackWhenItsPlatformFailsAndNeverSentTwice) {
  Start();
  Add("q", 5min);
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("q", "t", PartState::kQueued));
  const std::string first_key = Part("q", "t").message_key;
  Outage();  // the relay has not sent it yet: called back into a hold
  ASSERT_TRUE(WaitPart("q", "t", PartState::kHeld));
  EXPECT_EQ(Part("q", "t").generation, 1);
  Restored();
  ASSERT_TRUE(WaitPart("q", "t", PartState::kQueued));
  const std::string second_key = Part("q", "t").message_key;
  EXPECT_NE(first_key, second_key) << "a new message: the first was cancelled";

  // A restart re-runs nothing: the same key is handed again at most, never a new one.
  calendar_->Stop();
  scheduler_->Stop();
  calendar_.reset();
  scheduler_.reset();
  Start();
  pub_.Deliver(second_key, "55");
  ASSERT_TRUE(WaitPart("q", "t", PartState::kPublished));
  for (const auto& c : pub_.Calls("t")) EXPECT_TRUE(c.key == first_key || c.key == second_key);
}

TEST_F(CalendarTest, ARestartSettlesWhatTheRelayDeliveredMeanwhile) {
  Start();
  Add("r", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("r", "m", PartState::kQueued));
  calendar_->Stop();
  scheduler_->Stop();
  calendar_.reset();
  scheduler_.reset();
  pub_.Deliver(Part("r", "m").message_key, "abc");  // nobody listening
  Start();
  EXPECT_EQ(Part("r", "m").state, PartState::kPublished);
  EXPECT_EQ(Part("r", "m").remote_id, "abc");
  EXPECT_EQ(pub_.Calls("m").size(), 1u);
}

TEST_F(CalendarTest, HoldAndReleaseByHand) {
  Start();
  Add("h", 5min);
  auto held = calendar_->Hold("h", {"m"}, "ana");
  ASSERT_TRUE(held.ok()) << held.error().message();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("h", "t", PartState::kQueued));
  EXPECT_EQ(Part("h", "m").state, PartState::kHeld);
  EXPECT_EQ(Part("h", "m").hand_hold, "ana");
  EXPECT_TRUE(pub_.Calls("m").empty());
  auto bad = calendar_->Hold("h", {"x"}, "ana");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("post h is not on 'x' (it is on m, t)"));
  auto later = calendar_->Release("h", {"m"}, store::FromSystem(clock_.Now() + 1h), "ana");
  ASSERT_TRUE(later.ok()) << later.error().message();
  EXPECT_EQ(Part("h", "m").state, PartState::kScheduled);
  clock_.Advance(1h);
  ASSERT_TRUE(WaitPart("h", "m", PartState::kQueued));
  auto again = calendar_->Release("h", {}, std::nullopt, "ana");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message(), HasSubstr("nothing is held"));
}

TEST_F(CalendarTest, BadPostsAreRefusedNamingTheField) {
  Start();
  NewPost n;
  n.text = "hi";
  n.channels = {"telegarm"};
  n.at = store::FromSystem(clock_.Now() + 1h);
  auto r = calendar_->Add(n);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "channels: unknown channel 'telegarm' (channels: m, t)");
  n.channels = {"m"};
  n.text = std::string(501, 'a');
  EXPECT_EQ(calendar_->Add(n).error().message(), "text: m: 501 characters; mastodon allows 500");
  n.text = "hi";
  n.at = store::FromSystem(clock_.Now() - 1h);
  EXPECT_THAT(calendar_->Add(n).error().message(),
              HasSubstr("at: 2026-11-27T09:00:00Z is in the past"));
  n.at = store::FromSystem(clock_.Now() + 1h);
  n.id = "dup";
  ASSERT_TRUE(calendar_->Add(n).ok());
  EXPECT_EQ(calendar_->Add(n).error().code(), core::ErrorCode::kAlreadyExists);
}

TEST_F(CalendarTest, ImportIsAllOrNothingAndNamesTheBadLine) {
  Start();
  ImportRequest req;
  req.by = "ana";
  req.options.file = "week.csv";
  req.csv =
      "date,message,link,channels\n"
      "2026-11-27 12:00,Noon post,https://brand.example/a,m\n"
      "2026-11-27 13:00,One o'clock,,\"m,t\"\n"
      "2026-11-27 14:00,Two o'clock,,telegarm\n";
  auto bad = calendar_->Import(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "week.csv:4: column 4 (channels): unknown channel 'telegarm' (channels: m, t)");
  EXPECT_TRUE(store_->Calendar().List({})->empty()) << "nothing imported";
  req.csv =
      "date,message,link,channels\n"
      "2026-11-27 12:00,Noon post,https://brand.example/a,m\n"
      "2026-11-27 09:00,Too early,,t\n";
  EXPECT_THAT(calendar_->Import(req).error().message(),
              HasSubstr("week.csv:3: column 1 (date): 2026-11-27T09:00:00Z is in the past"));
  req.csv =
      "date,message,link,channels\n"
      "2026-11-27 12:00,Noon post,https://brand.example/a,m\n"
      "2026-11-27 13:00,One o'clock,,\"m,t\"\n";
  auto good = calendar_->Import(req);
  ASSERT_TRUE(good.ok()) << good.error().message();
  ASSERT_EQ(good->size(), 2u);
  EXPECT_EQ((*good)[0].source, "csv:week.csv");
  clock_.Advance(2h);
  ASSERT_TRUE(WaitFor([&] { return pub_.Calls("m").size() == 1u; }));
}

// ---- edit and cancel ----

TEST_F(CalendarTest, EditMovesThePostAndReArmsItsDueTimer) {
  Start();
  Add("e", 10min);
  PostChanges c;
  c.text = "Black Friday starts at noon";
  c.at = store::FromSystem(kT0 + 30min);
  auto edited = calendar_->Edit("e", c, "bo");
  ASSERT_TRUE(edited.ok()) << edited.error().message();
  EXPECT_EQ(edited->text, "Black Friday starts at noon");
  EXPECT_EQ(edited->edited_by, "bo");
  EXPECT_EQ(edited->by, "ana") << "who added it stays";
  EXPECT_EQ(Part("e", "t").due, store::FromSystem(kT0 + 30min));
  EXPECT_EQ(TimerOf("e", kT0 + 10min), "cancelled") << "the old time's timer";
  EXPECT_EQ(TimerOf("e", kT0 + 30min), "pending");

  // The old time: another post due then goes out (its timer runs after the old one would have),
  // this one does not.
  Add("sentinel", 10min, {"m"});
  clock_.Advance(10min);
  ASSERT_TRUE(WaitPart("sentinel", "m", PartState::kQueued));
  EXPECT_EQ(CallsFor("e", "m"), 0u);
  EXPECT_EQ(Part("e", "m").state, PartState::kScheduled);
  clock_.Advance(20min);  // the new time
  ASSERT_TRUE(WaitPart("e", "m", PartState::kQueued));
  ASSERT_TRUE(WaitPart("e", "t", PartState::kQueued));
  ASSERT_EQ(pub_.Calls("m").size(), 2u);
  EXPECT_EQ(pub_.Calls("m")[1].text, "Black Friday starts at noon\nhttps://brand.example/bf.jpg");

  // Back to a time whose timer an edit cancelled: armed again.
  Add("f", 10min);
  c = {};
  c.at = store::FromSystem(kT0 + 50min);
  ASSERT_TRUE(calendar_->Edit("f", c, "bo").ok());
  c.at = store::FromSystem(kT0 + 40min);
  ASSERT_TRUE(calendar_->Edit("f", c, "bo").ok());
  EXPECT_EQ(TimerOf("f", kT0 + 50min), "cancelled");
  EXPECT_EQ(TimerOf("f", kT0 + 40min), "pending");
}

TEST_F(CalendarTest, EditIsRefusedOnceAPartWentToTheRelay) {
  Start();
  Add("out", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("out", "m", PartState::kQueued));
  PostChanges c;
  c.text = "too late";
  auto r = calendar_->Edit("out", c, "bo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message(), HasSubstr("post out cannot be edited: m is queued"));
  pub_.Deliver(pub_.Calls("m")[0].key, "109");
  ASSERT_TRUE(WaitPart("out", "m", PartState::kPublished));
  EXPECT_THAT(calendar_->Edit("out", c, "bo").error().message(), HasSubstr("m is published"));
  EXPECT_EQ(store_->Calendar().Get("out")->text, "Black Friday starts now");
  EXPECT_EQ(calendar_->Edit("nope", c, "bo").error().code(), core::ErrorCode::kNotFound);
}

TEST_F(CalendarTest, EditChecksThePostLikeAddAndChangesNothingWhenRefused) {
  Start();
  Add("c", 1h);
  PostChanges c;
  c.text = std::string(501, 'a');  // and the media link on its own line
  EXPECT_EQ(calendar_->Edit("c", c, "bo").error().message(),
            "text: m: 530 characters; mastodon allows 500");
  c = {};
  c.channels = std::vector<std::string>{"m", "telegarm"};
  EXPECT_EQ(calendar_->Edit("c", c, "bo").error().message(),
            "channels: unknown channel 'telegarm' (channels: m, t)");
  c = {};
  c.at = store::FromSystem(kT0 - 1h);
  EXPECT_THAT(calendar_->Edit("c", c, "bo").error().message(),
              HasSubstr("at: 2026-11-27T09:00:00Z is in the past"));
  c = {};
  c.expires = std::optional<store::Time>(store::FromSystem(kT0 + 30min));
  EXPECT_THAT(calendar_->Edit("c", c, "bo").error().message(),
              HasSubstr("expires: 2026-11-27T10:30:00Z is not after the post's time"));
  c = {};
  c.media = std::vector<std::string>{"ftp://x"};
  EXPECT_THAT(calendar_->Edit("c", c, "bo").error().message(), HasSubstr("media: 'ftp://x'"));
  EXPECT_EQ(calendar_->Edit("c", PostChanges{}, "bo").error().code(),
            core::ErrorCode::kInvalidArgument);
  auto stored = store_->Calendar().Get("c");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->text, "Black Friday starts now");
  EXPECT_TRUE(stored->edited_by.empty());

  // A channel dropped and another added, expiry cleared: the parts follow the new list.
  c = {};
  c.channels = std::vector<std::string>{"t"};
  c.expires = std::optional<store::Time>();
  auto ok = calendar_->Edit("c", c, "bo");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  ASSERT_EQ(ok->parts.size(), 1u);
  EXPECT_EQ(ok->parts[0].channel, "t");
}

TEST_F(CalendarTest, AHeldPartStaysHeldThroughAnEdit) {
  Start();
  Add("h", 5min, {"t"});
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("h", "t", PartState::kHeld));
  PostChanges c;
  c.text = "Black Friday: still on";
  c.channels = std::vector<std::string>{"t", "m"};
  auto edited = calendar_->Edit("h", c, "bo");
  ASSERT_TRUE(edited.ok()) << edited.error().message();
  EXPECT_EQ(Part("h", "t").state, PartState::kHeld);
  EXPECT_EQ(Part("h", "t").held_by, inc_);
  // The new channel's part was due already: it goes out now, while Telegram's stays held.
  ASSERT_TRUE(WaitPart("h", "m", PartState::kQueued));
  EXPECT_EQ(pub_.Calls("m")[0].text, "Black Friday: still on\nhttps://brand.example/bf.jpg");
  EXPECT_TRUE(pub_.Calls("t").empty());

  c = {};
  c.channels = std::vector<std::string>{"m"};
  auto drop = calendar_->Edit("h", c, "bo");
  ASSERT_FALSE(drop.ok());
  EXPECT_EQ(drop.error().code(), core::ErrorCode::kFailedPrecondition);
  // m is queued now: the post is out on one channel.
  EXPECT_THAT(drop.error().message(), HasSubstr("m is queued"));
}

TEST_F(CalendarTest, ACancelledPostNeverGoesOutAndAQueuedPartIsCalledBack) {
  Start();
  Add("q", 5min);
  Add("later", 10min);
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("q", "m", PartState::kQueued));
  ASSERT_TRUE(WaitPart("q", "t", PartState::kQueued));
  const std::string key = Part("q", "m").message_key;
  auto r = calendar_->Remove("q", "bo");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->state, PostState::kCancelled);
  EXPECT_EQ(r->cancelled_by, "bo");
  EXPECT_EQ(r->cancelled_at, store::FromSystem(clock_.Now()));
  EXPECT_EQ(Part("q", "m").state, PartState::kCancelled);
  EXPECT_THAT(Part("q", "m").note, HasSubstr("called back"));
  EXPECT_EQ(pub_.StateOf(key), Delivery::State::kCancelled) << "the relay will not send it";
  auto again = calendar_->Remove("q", "bo");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().message(), HasSubstr("cancelled already, by bo"));
  PostChanges c;
  c.text = "x";
  EXPECT_THAT(calendar_->Edit("q", c, "bo").error().message(), HasSubstr("was cancelled by bo"));

  // Cancelled before its time: its timer is cancelled and nothing is handed to the relay (a post
  // due at the same time, whose timer runs after it, goes out).
  ASSERT_TRUE(calendar_->Remove("later", "bo").ok());
  EXPECT_EQ(TimerOf("later", kT0 + 10min), "cancelled");
  Add("sentinel", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("sentinel", "m", PartState::kQueued));
  EXPECT_EQ(CallsFor("later", "m") + CallsFor("later", "t"), 0u);
  EXPECT_EQ(Part("later", "m").state, PartState::kCancelled);
  ASSERT_TRUE(store_->Calendar().Get("later").ok()) << "kept, not deleted";
}

TEST_F(CalendarTest, APublishedPostCannotBeCancelled) {
  Start();
  Add("p", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("p", "m", PartState::kQueued));
  pub_.Deliver(pub_.Calls("m")[0].key, "109");
  ASSERT_TRUE(WaitPart("p", "m", PartState::kPublished));
  auto r = calendar_->Remove("p", "bo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message(),
              HasSubstr("post p was published on m (post id 109): a post that went out cannot be "
                        "cancelled"));
  EXPECT_EQ(store_->Calendar().Get("p")->state, PostState::kPublished);
}

TEST_F(CalendarTest, APartBeingSentStaysWithTheRelayWhenThePostIsCancelled) {
  Start();
  Add("s", 5min, {"m"});
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("s", "m", PartState::kQueued));
  pub_.SetCallBackWorks(false);
  auto r = calendar_->Remove("s", "bo");
  ASSERT_FALSE(r.ok()) << "nothing could be cancelled";
  EXPECT_THAT(r.error().message(), HasSubstr("nothing left to cancel"));
  EXPECT_EQ(Part("s", "m").state, PartState::kQueued);
}

TEST_F(CalendarTest, CancellingAHeldPostGoesOnTheIncidentsTimelineAndNothingIsReleased) {
  Start();
  Add("held", 5min, {"t"});
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitPart("held", "t", PartState::kHeld));
  ASSERT_TRUE(calendar_->Remove("held", "bo").ok());
  ASSERT_EQ(Events("calendar_dropped").size(), 1u);
  EXPECT_THAT(Events("calendar_dropped")[0].message,
              HasSubstr("(held) on t dropped: cancelled by bo"));
  EXPECT_THAT(Events("calendar_dropped")[0].data_json, HasSubstr("\"reason\":\"cancelled\""));
  Restored();
  ASSERT_TRUE(WaitFor([&] {
    auto t = store_->Timers().Get("calendar/release/" + inc_);
    return t.ok() && t->state == store::TimerState::kDone;
  }));
  EXPECT_TRUE(Events("calendar_released").empty());
  EXPECT_TRUE(pub_.Calls("t").empty());
  EXPECT_EQ(Part("held", "t").state, PartState::kCancelled);
  EXPECT_TRUE(Part("held", "t").held_by.empty());
}

// ---- live events ----

TEST_F(CalendarTest, SubscribersHearOfEveryStoredTimelineEntryAndPostChange) {
  Start();
  std::mutex mu;
  std::vector<CalendarEvent> heard;
  auto sub = calendar_->Subscribe([&](const CalendarEvent& e) {
    std::lock_guard lock(mu);
    heard.push_back(e);
  });
  auto changes = [&] {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& e : heard) {
      out.push_back(e.kind == CalendarEvent::Kind::kTimeline ? "timeline:" + e.event.type
                                                             : e.post.id + ":" + e.change);
    }
    return out;
  };
  auto heard_with = [&](const std::string& what) {
    auto all = changes();
    return std::find(all.begin(), all.end(), what) != all.end();
  };
  Add("live", 5min);
  EXPECT_TRUE(heard_with("live:added"));
  Outage();
  clock_.Advance(5min);
  ASSERT_TRUE(WaitFor([&] { return heard_with("timeline:calendar_held"); }));
  {
    std::lock_guard lock(mu);
    for (const auto& e : heard) {
      if (e.kind != CalendarEvent::Kind::kTimeline) continue;
      EXPECT_EQ(e.event.incident_id, inc_);
      EXPECT_GT(e.event.seq, 0) << "stored before it is told";
    }
  }
  ASSERT_TRUE(WaitFor([&] {
    auto p = store_->Calendar().Get("live");
    return p.ok() && p->state == PostState::kHeld && heard_with("live:updated");
  }));
  PostChanges c;
  c.text = "edited";
  c.channels = std::vector<std::string>{"t"};
  // m went to the relay: refused, and nobody hears of a change.
  const std::size_t before = changes().size();
  EXPECT_FALSE(calendar_->Edit("live", c, "bo").ok());
  EXPECT_EQ(changes().size(), before);
  ASSERT_TRUE(calendar_->Remove("live", "bo").ok());
  EXPECT_TRUE(heard_with("live:cancelled"));
  EXPECT_TRUE(heard_with("timeline:calendar_dropped"));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(heard.back().post.state, PostState::kCancelled) << "the post as stored";
  }
  sub.reset();
  Add("quiet", 20min);
  EXPECT_FALSE(heard_with("quiet:added")) << "unsubscribed";
}

}  // namespace
}  // namespace lifeline::calendar
