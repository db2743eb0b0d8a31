// Tests of the failover router (router.h) on a running relay with fake channels: the first
// healthy contact point, failover when a channel fails for good or its circuit opens (an incident:
// no attempt on the failing channel at all), the route on the record and on the incident's
// timeline, announcements and dry runs.
#include "channels/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "channels/fake_channel.h"
#include "channels/relay_test_util.h"
#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::channels {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using store::MessageState;
using testing::Changes;
using testing::FakeChannel;
using ::testing::HasSubstr;

const TimePoint kT0 = TimePoint(std::chrono::milliseconds(1'795'773'720'000));  // 10:02 UTC

class RouterTest : public testing::RelayFixture {
 protected:
  RouterTest() : RelayFixture("router-test", kT0) {}

  void SetUp() override {
    RelayFixture::SetUp();
    wa_ = Add("team-whatsapp", "whatsapp", 4096);
    tg_ = Add("team-telegram", "telegram", 4096);
    sms_ = Add("team-sms", "", 60);
    Contact ana{"ana",
                "Ana Silva",
                "community_manager",
                {{"team-whatsapp", "+15551234567"},
                 {"team-sms", "+15551234567"},
                 {"team-telegram", "1234"}}};
    contacts_.push_back(ana);
    Template outage;
    outage.name = "outage";
    outage.subject = "{platform} is down";
    outage.default_text =
        "{platform} is not working since {time}. Reach us on {backup_channel}: {backup_link}";
    outage.texts.emplace_back("team-sms", "{platform} down. {backup_link}");
    templates_.push_back(outage);
    options_.config.workers = 2;
    options_.config.circuit_failures = 1;
    options_.config.backoff_base = seconds(1);
    options_.config.backoff_max = seconds(2);
    options_.platform_domains = {{"whatsapp", "meta"}, {"instagram", "meta"}};
    options_.clock = &clock_;
    options_.seed = 7;
  }

  FakeChannel* Add(std::string name, std::string platform, std::size_t max_chars) {
    return AddFake(testing::FakeInfo(name, platform, max_chars));
  }

  void Start() {
    relay_ = std::make_unique<Relay>(&store_->Outbox(), std::move(setups_), options_);
    router_ = std::make_unique<Router>(relay_.get(), store_.get(), contacts_, templates_);
    relay_->SetRerouter(router_.get());
    changes_ = std::make_unique<Changes>(*relay_);
    ASSERT_OK(relay_->Start());
  }

  // A Meta outage in the store and on the relay's incident feed.
  std::string MetaOutage() {
    store::NewIncident n;
    n.kind = store::IncidentKind::kDomain;
    n.domain = "meta";
    n.platforms = {"instagram", "whatsapp"};
    n.title = "Meta outage";
    n.opened_at = store::FromSystem(kT0);
    n.message = "2 of 2 vantage points fail";
    auto inc = store_->OpenIncident(n);
    EXPECT_TRUE(inc.ok());
    core::IncidentNotice notice;
    notice.incident_id = inc->id;
    notice.kind = core::IncidentNotice::Kind::kDomain;
    notice.domain = "meta";
    notice.platforms = n.platforms;
    notice.title = n.title;
    notice.opened_at = kT0;
    notice.at = kT0;
    relay_->OnIncident(notice);
    return inc->id;
  }

  Outgoing ToAna(std::string text, std::string key = "") {
    Outgoing o;
    o.contact = "ana";
    o.text = std::move(text);
    o.idempotency_key = std::move(key);
    return o;
  }

  store::MessageDetail Get(const std::string& id) { return *store_->Outbox().Get(id); }

  std::vector<Contact> contacts_;
  std::vector<Template> templates_;
  FakeChannel* wa_ = nullptr;
  FakeChannel* tg_ = nullptr;
  FakeChannel* sms_ = nullptr;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, AContactGetsTheFirstHealthyPoint) {
  Start();
  auto plan = router_->Plan(ToAna("hello"));
  ASSERT_OK(plan);
  EXPECT_EQ(plan->channel, "team-whatsapp");
  EXPECT_EQ(plan->to, "+15551234567");
  EXPECT_EQ(plan->route, "");
  auto e = router_->Send(ToAna("hello", "k1"));
  ASSERT_OK(e);
  ASSERT_TRUE(changes_->WaitState(e->message.id, MessageState::kDelivered));
  EXPECT_EQ(wa_->attempts(), 1u);
  EXPECT_EQ(Get(e->message.id).message.route, "");
  EXPECT_EQ(Get(e->message.id).message.contact, "ana");
}

TEST_F(RouterTest, DuringAMetaOutageTheMessageGoesToTelegramWithoutTryingWhatsApp) {
  Start();
  std::string incident = MetaOutage();
  Outgoing o = ToAna("Instagram is down: use the Telegram channel", "alert-1");
  o.incident_id = incident;
  // Too long for the SMS point (60 characters): skipped with the reason.
  o.text += std::string(40, '.');
  auto e = router_->Send(o);
  ASSERT_OK(e);
  EXPECT_EQ(e->message.channel, "team-telegram");
  ASSERT_TRUE(changes_->WaitState(e->message.id, MessageState::kDelivered));
  EXPECT_EQ(wa_->attempts(), 0u);
  EXPECT_EQ(sms_->attempts(), 0u);
  EXPECT_EQ(tg_->attempts(), 1u);
  EXPECT_EQ(tg_->sent()[0].to, "1234");
  auto d = Get(e->message.id);
  EXPECT_THAT(d.message.route,
              HasSubstr("team-whatsapp: circuit open, Meta outage since 10:02 UTC (incident " +
                        incident + ")"));
  EXPECT_THAT(d.message.route, HasSubstr("team-sms: "));
  EXPECT_THAT(d.message.route, ::testing::EndsWith("; sent by team-telegram"));

  // The route is on the incident's timeline too.
  auto events = store_->ListEvents(incident, 0, 100);
  ASSERT_OK(events);
  ASSERT_EQ(events->back().type, "relay_route");
  EXPECT_THAT(events->back().message, HasSubstr("Message to Ana Silva: team-whatsapp: circuit "
                                                "open, Meta outage since 10:02 UTC"));
  EXPECT_THAT(events->back().message, HasSubstr("sent by team-telegram"));
  EXPECT_THAT(events->back().data_json, HasSubstr(e->message.id));
}

TEST_F(RouterTest, QueuedMessagesMoveWhenTheCircuitOpens) {
  Start();
  Outgoing o = ToAna("later", "later-1");
  o.not_before = kT0 + minutes(5);
  auto e = router_->Send(o);
  ASSERT_OK(e);
  EXPECT_EQ(e->message.channel, "team-whatsapp");
  MetaOutage();
  clock_.Advance(minutes(5));
  ASSERT_TRUE(changes_->WaitState(e->message.id, MessageState::kDelivered));
  auto d = Get(e->message.id);
  EXPECT_EQ(d.message.channel, "team-sms");
  EXPECT_EQ(wa_->attempts(), 0u);
  EXPECT_THAT(d.message.route, HasSubstr("team-whatsapp: circuit open, Meta outage"));
  std::vector<std::string> types;
  for (const auto& ev : d.events) types.push_back(ev.type);
  EXPECT_THAT(types,
              ::testing::ElementsAre("queued", "sending", "rerouted", "sending", "delivered"));
}

TEST_F(RouterTest, AMessageThatFailsForGoodMovesToTheNextPoint) {
  wa_->Script({FakeChannel::Failed("HTTP 400: (#131047) re-engagement message")});
  Start();
  auto e = router_->Send(ToAna("hello", "k"));
  ASSERT_OK(e);
  ASSERT_TRUE(changes_->WaitState(e->message.id, MessageState::kDelivered));
  auto d = Get(e->message.id);
  EXPECT_EQ(d.message.channel, "team-sms");
  EXPECT_EQ(d.message.attempts, 1);  // on team-sms
  EXPECT_THAT(d.message.route, HasSubstr("team-whatsapp: failed: HTTP 400: (#131047)"));
  EXPECT_THAT(d.message.route, ::testing::EndsWith("sent by team-sms"));
  EXPECT_EQ(wa_->attempts(), 1u);
  EXPECT_EQ(sms_->attempts(), 1u);
}

TEST_F(RouterTest, ARetryBehindACircuitThatJustOpenedMovesOn) {
  wa_->SetAnswer([](const OutgoingMessage&) { return FakeChannel::Retry("HTTP 503"); });
  sms_->SetAnswer([](const OutgoingMessage&) { return FakeChannel::Failed("invalid number"); });
  Start();
  auto e = router_->Send(ToAna("hello", "k"));
  ASSERT_OK(e);
  ASSERT_TRUE(changes_->WaitState(e->message.id, MessageState::kDelivered));
  auto d = Get(e->message.id);
  EXPECT_EQ(d.message.channel, "team-telegram");
  EXPECT_THAT(d.message.route, HasSubstr("team-whatsapp: circuit open, 1 failures in a row"));
  EXPECT_THAT(d.message.route, HasSubstr("team-sms: failed: invalid number"));
}

TEST_F(RouterTest, WithEveryCircuitOpenTheMessageWaitsOnTheFirstPoint) {
  Start();
  MetaOutage();
  core::IncidentNotice tg;
  tg.incident_id = "inc_tg";
  tg.platforms = {"telegram"};
  tg.title = "Telegram outage";
  tg.opened_at = kT0;
  relay_->OnIncident(tg);
  Outgoing o = ToAna("short");
  auto plan = router_->Plan(o);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->channel, "team-sms");  // the only one not open
  EXPECT_THAT(plan->route, HasSubstr("team-whatsapp: circuit open"));

  o.text = std::string(100, 'x');  // too long for SMS
  plan = router_->Plan(o);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->channel, "team-whatsapp");
  EXPECT_THAT(plan->route, HasSubstr("every contact point's circuit is open: waiting on "
                                     "team-whatsapp"));
}

TEST_F(RouterTest, PlanErrorsNameWhatIsWrong) {
  Start();
  EXPECT_EQ(router_->Plan(ToAna("")).error().code(), core::ErrorCode::kInvalidArgument);
  Outgoing o = ToAna("x");
  o.contact = "bob";
  EXPECT_EQ(router_->Plan(o).error().message(), "unknown contact 'bob' (contacts: ana)");
  o.contact.clear();
  o.channel = "team-tg";
  EXPECT_THAT(router_->Plan(o).error().message(), HasSubstr("unknown channel 'team-tg'"));
  o.channel = "team-sms";
  o.text = std::string(61, 'x');
  EXPECT_THAT(router_->Plan(o).error().message(), HasSubstr("team-sms: 61 characters"));
  o.text.clear();
  o.template_name = "nope";
  EXPECT_EQ(router_->Plan(o).error().code(), core::ErrorCode::kNotFound);
  // Every point refuses: each reason listed.
  Outgoing all = ToAna(std::string(5000, 'x'));
  auto r = router_->Plan(all);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("no contact point of ana can take this message"));
  EXPECT_THAT(r.error().message(), HasSubstr("team-sms: 5000 characters"));
}

TEST_F(RouterTest, AnnouncementsRenderEachChannelsTextAndDryRunShowsIt) {
  Start();
  Announcement a;
  a.template_name = "outage";
  a.vars.platform = "WhatsApp";
  a.vars.time = "10:02 UTC";
  a.vars.backup_channel = "Telegram";
  a.vars.backup_link = "https://t.me/brand";
  a.channels = {"team-telegram", "team-sms"};
  a.idempotency_key = "announce-1";
  auto plans = router_->PlanAnnouncement(a);
  ASSERT_OK(plans);
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].text,
            "WhatsApp is not working since 10:02 UTC. Reach us on Telegram: https://t.me/brand");
  EXPECT_EQ((*plans)[0].subject, "WhatsApp is down");
  EXPECT_EQ((*plans)[1].text, "WhatsApp down. https://t.me/brand");
  EXPECT_EQ((*plans)[1].chars, 33u);
  EXPECT_EQ((*plans)[1].max_chars, 60u);
  EXPECT_EQ((*plans)[1].problem, "");
  EXPECT_TRUE(store_->Outbox().Counts()->empty());  // a dry run stores nothing

  auto sent = router_->Announce(a);
  ASSERT_OK(sent);
  ASSERT_EQ(sent->size(), 2u);
  EXPECT_EQ((*sent)[1].message.idempotency_key, "announce-1/team-sms");
  ASSERT_TRUE(changes_->WaitState("", MessageState::kDelivered, 2));
  EXPECT_EQ(tg_->sent()[0].subject, "WhatsApp is down");
  // Announcing again with the same key sends nothing new.
  auto again = router_->Announce(a);
  ASSERT_OK(again);
  EXPECT_FALSE((*again)[0].created);

  // A value too long for SMS: the dry run shows the problem, the announcement sends nothing.
  a.vars.backup_link = "https://example.com/" + std::string(60, 'x');
  a.idempotency_key = "announce-2";
  plans = router_->PlanAnnouncement(a);
  ASSERT_OK(plans);
  EXPECT_EQ((*plans)[0].problem, "");
  EXPECT_THAT((*plans)[1].problem, HasSubstr("team-sms"));
  auto refused = router_->Announce(a);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message(), HasSubstr("nothing was sent"));
  EXPECT_FALSE(store_->Outbox().FindByKey("announce-2/team-telegram").ok());
}

}  // namespace
}  // namespace lifeline::channels
