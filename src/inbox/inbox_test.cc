// The inbox on a real SQLite store with a fake relay and a fake clock (inbox.h): webhooks stored
// once and in platform order, the 24-hour window, replies, the failover move once per step and
// conversation, a customer joining the thread with the move's token, and the sweep's order.
#include "inbox/inbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "inbox/move_step.h"

namespace lifeline::inbox {
namespace {

using namespace std::chrono_literals;
namespace testing = ::lifeline::testing;
using nlohmann::json;
using ::testing::HasSubstr;

const auto kT0 =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'773'600'000));

class FakeOutlet final : public Outlet {
 public:
  core::Result<SentRef> Send(const OutMessage& m) override {
    if (refuse_to.contains(m.to)) {
      return core::MakeError(core::ErrorCode::kUnavailable, "the relay refuses {}", m.to);
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].idempotency_key == m.idempotency_key) return SentRef{ids[i], m.idempotency_key};
    }
    sent.push_back(m);
    ids.push_back("msg_" + std::to_string(sent.size()));
    return SentRef{ids.back(), m.idempotency_key};
  }
  std::string Platform(std::string_view channel) const override {
    return channel == "brand-whatsapp" ? "whatsapp" : "telegram";
  }
  bool Accepting(std::string_view channel) const override {
    return !down.contains(std::string(channel));
  }

  std::vector<OutMessage> sent;
  std::vector<std::string> ids;
  std::set<std::string> down;
  std::set<std::string> refuse_to;  // addresses Send fails for
};

std::string WhatsAppBody(const std::string& from, const std::string& wamid, std::int64_t ts,
                         const std::string& text) {
  json j = {{"object", "whatsapp_business_account"},
            {"entry",
             {{{"id", "1"},
               {"changes",
                {{{"field", "messages"},
                  {"value",
                   {{"metadata", {{"phone_number_id", "106540352242922"}}},
                    {"messages",
                     {{{"from", from},
                       {"id", wamid},
                       {"timestamp", std::to_string(ts)},
                       {"type", "text"},
                       {"text", {{"body", text}}}}}}}}}}}}}}};
  return j.dump();
}

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.File("db.sqlite"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    InboxConfig c;
    c.configured = true;
    Source wa;
    wa.name = "wa-main";
    wa.kind = SourceKind::kWhatsApp;
    wa.channel = "brand-whatsapp";
    wa.app_secret = "app-s3cr3t";
    wa.verify_token = "verify";
    wa.account = "106540352242922";
    c.sources.push_back(wa);
    Source tg;
    tg.name = "tg-bot";
    tg.kind = SourceKind::kTelegram;
    tg.channel = "brand-telegram";
    tg.secret_token = "tgsecret";
    c.sources.push_back(tg);
    Source form;
    form.name = "site-form";
    form.kind = SourceKind::kWebhook;
    form.channel = "brand-telegram";
    form.key = "form-key-0123456789";
    c.sources.push_back(form);
    inbox_ = std::make_unique<Inbox>(
        std::move(c), *store_, outlet_,
        InboxOptions{.clock = &clock_,
                     .log = [this](std::string_view l) { log_ += std::string(l) + "\n"; }});
  }

  core::Result<WebhookAnswer> PostWhatsApp(const std::string& body) {
    return inbox_->Webhook(
        {.method = "POST",
         .source = "wa-main",
         .headers = {{"x-hub-signature-256", "sha256=" + HmacSha256Hex("app-s3cr3t", body)}},
         .body = body});
  }

  core::Result<WebhookAnswer> PostTelegram(std::int64_t chat, std::int64_t id, std::int64_t date,
                                           const std::string& text) {
    json u = {{"update_id", id},
              {"message",
               {{"message_id", id}, {"chat", {{"id", chat}}}, {"date", date}, {"text", text}}}};
    return inbox_->Webhook({.method = "POST",
                            .source = "tg-bot",
                            .headers = {{"X-Telegram-Bot-Api-Secret-Token", "tgsecret"}},
                            .body = u.dump()});
  }

  std::int64_t Secs(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  }

  testing::TempDir dir_{"lifeline-inbox-test"};
  core::FakeClock clock_{kT0};
  FakeOutlet outlet_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Inbox> inbox_;
  std::string log_;
};

TEST_F(InboxTest, WrongSignatureStoresNothingAndLogsNoBody) {
  const std::string body = WhatsAppBody("34600111222", "w1", Secs(kT0), "private words");
  auto r = inbox_->Webhook(
      {.method = "POST",
       .source = "wa-main",
       .headers = {{"X-Hub-Signature-256", "sha256=" + HmacSha256Hex("wrong", body)}},
       .body = body});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_TRUE(store_->Inbox().List({}).value().empty());
  EXPECT_THAT(log_, HasSubstr("refused a webhook"));
  EXPECT_THAT(log_, ::testing::Not(HasSubstr("private words")));
  EXPECT_THAT(log_, ::testing::Not(HasSubstr("app-s3cr3t")));
  EXPECT_EQ(inbox_->counters().refused_signature, 1u);
}

TEST_F(InboxTest, ReplyInsideTheWindowGoesOutAndOutsideIsRefusedWithTheWay) {
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  const std::string id = store_->Inbox().List({}).value()[0].id;
  clock_.Advance(23h);
  auto ok = inbox_->Reply(id, "hi!", "ana");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  ASSERT_EQ(outlet_.sent.size(), 1u);
  EXPECT_EQ(outlet_.sent[0].channel, "brand-whatsapp");
  EXPECT_EQ(outlet_.sent[0].to, "+34600111222");
  EXPECT_EQ(store_->Inbox().Get(id).value().first_reply_at, store::FromSystem(kT0 + 23h));
  clock_.Advance(1h + 1s);
  auto late = inbox_->Reply(id, "still there?", "ana");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(late.error().message(), HasSubstr("24-hour customer-service window"));
  EXPECT_THAT(late.error().message(), HasSubstr("inbox.sources.wa-main.outside_window: template"));
  EXPECT_EQ(outlet_.sent.size(), 1u);
  // The customer writes again: the window opens again.
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w2", Secs(clock_.Now()), "?")).ok());
  EXPECT_TRUE(inbox_->Reply(id, "yes", "ana").ok());
}

// Without a key from the caller, two different replies in the same millisecond both go out,
// and the same reply sent twice at once (a double click) goes out once.
TEST_F(InboxTest, TwoRepliesAtOnceBothGoOutAndADoubleClickOnce) {
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  const std::string id = store_->Inbox().List({}).value()[0].id;
  ASSERT_TRUE(inbox_->Reply(id, "Your order left today.", "ana").ok());
  ASSERT_TRUE(inbox_->Reply(id, "Anything else?", "ben").ok());
  ASSERT_TRUE(inbox_->Reply(id, "Anything else?", "ben").ok());
  ASSERT_EQ(outlet_.sent.size(), 2u);
  EXPECT_EQ(outlet_.sent[0].text, "Your order left today.");
  EXPECT_EQ(outlet_.sent[1].text, "Anything else?");
}

TEST_F(InboxTest, FailoverMovesOncePerStepAndTheCustomerRepliesIntoTheSameThread) {
  // Two customers wait on WhatsApp; one of them is known on Telegram (the config's contacts).
  ASSERT_TRUE(
      store_->Inbox().AddAddress("ana", "brand-telegram", "4242", store::FromSystem(kT0)).ok());
  ASSERT_TRUE(store_->Inbox()
                  .AddAddress("ana", "brand-whatsapp", "+34600111222", store::FromSystem(kT0))
                  .ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34699999999", "w2", Secs(kT0) + 5, "help")).ok());
  outlet_.down.insert("brand-whatsapp");
  MoveRequest req{.incident_id = "inc_1",
                  .key = "inc_1/r/move",
                  .targets = {{.from_channel = "brand-whatsapp",
                               .platform_name = "WhatsApp",
                               .to_channel = "brand-telegram",
                               .to_name = "Telegram",
                               .link = "https://t.me/brand_bot"}}};
  auto moved = inbox_->Move(req);
  ASSERT_TRUE(moved.ok()) << moved.error().ToString();
  EXPECT_EQ(moved->moved, 1);
  EXPECT_EQ(moved->unreachable, 1);
  ASSERT_EQ(outlet_.sent.size(), 1u);
  EXPECT_EQ(outlet_.sent[0].channel, "brand-telegram");
  EXPECT_EQ(outlet_.sent[0].to, "4242");
  EXPECT_THAT(outlet_.sent[0].text, HasSubstr("WhatsApp is down; we continue here on Telegram."));
  EXPECT_THAT(outlet_.sent[0].text, HasSubstr("https://t.me/brand_bot?start=ll"));
  const auto ana = store_->Inbox().Get(store::ConversationIdFor("ana")).value();
  EXPECT_EQ(ana.channel, "brand-telegram");
  EXPECT_EQ(ana.moved_from, "brand-whatsapp");
  EXPECT_TRUE(ana.waiting_since.has_value()) << "a move message answers nobody";
  // The step runs again (a restart): nothing is sent twice.
  auto again = inbox_->Move(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->moved, 0) << "it is on Telegram now";
  EXPECT_EQ(again->unreachable, 1);
  EXPECT_EQ(outlet_.sent.size(), 1u);
  // Ana answers on Telegram: the same conversation.
  clock_.Advance(10min);
  ASSERT_TRUE(PostTelegram(4242, 1, Secs(clock_.Now()), "ok, here").ok());
  auto msgs = store_->Inbox().Messages({.conversation_id = ana.id}).value();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs.back().channel, "brand-telegram");
  EXPECT_EQ(msgs.back().text, "ok, here");
  // Someone else opens the move link on another Telegram account: the token joins the thread.
  const std::string token = ana.link_token;
  ASSERT_TRUE(PostTelegram(777, 2, Secs(clock_.Now()), "/start " + token).ok());
  EXPECT_EQ(store_->Inbox().Messages({.conversation_id = ana.id}).value().size(), 4u);
}

TEST_F(InboxTest, ThePlansStepMovesToTheInventorysBackupAndADrillSendsNothing) {
  ASSERT_TRUE(
      store_->Inbox().AddAddress("ana", "brand-telegram", "4242", store::FromSystem(kT0)).ok());
  ASSERT_TRUE(store_->Inbox()
                  .AddAddress("ana", "brand-whatsapp", "+34600111222", store::FromSystem(kT0))
                  .ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  playbook::Plan plan;
  plan.inventory.push_back({.id = "wa",
                            .name = "WhatsApp",
                            .platform = "whatsapp",
                            .channel = "brand-whatsapp",
                            .backup = "tg"});
  plan.inventory.push_back({.id = "tg",
                            .name = "Telegram",
                            .platform = "telegram",
                            .channel = "brand-telegram",
                            .link = "https://t.me/brand_bot"});
  playbook::Step step;
  step.body = playbook::MoveConversationsStep{};
  auto drill = store_->OpenIncident({.platforms = {"whatsapp"},
                                     .title = "drill",
                                     .opened_at = store::FromSystem(kT0),
                                     .message = "opened",
                                     .drill = true});
  ASSERT_TRUE(drill.ok());
  MoveStepHandler handler(*inbox_);
  playbook::StepRequest req{.incident_id = drill->id,
                            .response = "whatsapp-down",
                            .step = &step,
                            .failure = {.platforms = {"whatsapp"}},
                            .plan = &plan,
                            .key = drill->id + "/whatsapp-down/1",
                            .now = kT0};
  auto line = handler.Run(req);
  ASSERT_TRUE(line.ok()) << line.error().ToString();
  EXPECT_THAT(*line, HasSubstr("drill: nothing sent"));
  EXPECT_THAT(*line, HasSubstr("1 would move"));
  EXPECT_TRUE(outlet_.sent.empty());
  auto real = store_->OpenIncident({.platforms = {"whatsapp"},
                                    .title = "WhatsApp outage",
                                    .opened_at = store::FromSystem(kT0),
                                    .message = "opened"});
  ASSERT_TRUE(real.ok());
  req.incident_id = real->id;
  req.key = real->id + "/whatsapp-down/1";
  line = handler.Run(req);
  ASSERT_TRUE(line.ok()) << line.error().ToString();
  EXPECT_EQ(*line, "conversations: 1 moved");
  ASSERT_EQ(outlet_.sent.size(), 1u);
  EXPECT_EQ(outlet_.sent[0].idempotency_key,
            "inbox/move/" + req.key + "/" + store::ConversationIdFor("ana"));
  EXPECT_EQ(outlet_.sent[0].incident_id, real->id);
}

TEST_F(InboxTest, SweepListsWaitingLongestFirst) {
  auto inc = store_->OpenIncident({.platforms = {"whatsapp"},
                                   .title = "WhatsApp outage",
                                   .opened_at = store::FromSystem(kT0),
                                   .message = "opened"});
  ASSERT_TRUE(inc.ok()) << inc.error().ToString();
  clock_.Advance(30min);
  // Replayed after downtime: arrives now, written 25 and 5 minutes ago.
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("1111111", "w1", Secs(kT0 + 25min), "newer")).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("2222222", "w2", Secs(kT0 + 5min), "older")).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("3333333", "w3", Secs(kT0 + 1min), "answered")).ok());
  const std::string answered = store_->Inbox().List({}).value()[0].id;
  ASSERT_TRUE(inbox_->Reply(answered, "done", "ana").ok());
  auto sweep = inbox_->Sweep(inc->id);
  ASSERT_TRUE(sweep.ok()) << sweep.error().ToString();
  ASSERT_EQ((*sweep)["waiting"].size(), 2u);
  EXPECT_EQ((*sweep)["waiting"][0]["address"], "+2222222");
  EXPECT_EQ((*sweep)["waiting"][0]["waiting_ms"], 25 * 60 * 1000);
  ASSERT_EQ((*sweep)["messages"].size(), 3u);
  EXPECT_EQ((*sweep)["messages"][0]["text"], "older");
  EXPECT_EQ((*sweep)["messages"][1]["text"], "newer");
  EXPECT_EQ((*sweep)["messages"][2]["text"], "answered");
  EXPECT_EQ((*sweep)["messages"][2]["answered"], true);
  EXPECT_EQ(inbox_->Sweep("inc_nope").error().code(), core::ErrorCode::kNotFound);
}

TEST_F(InboxTest, GenericWebhookIsSignedWithItsTimestampAndLiveEventsFollow) {
  std::vector<std::string> events;
  auto sub = inbox_->Subscribe([&](const ConversationEvent& e) { events.push_back(e.change); });
  const std::string body =
      R"({"id":"form-1","from":"ana@example.com","name":"Ana","text":"call me","timestamp":)" +
      std::to_string(Secs(kT0)) + "}";
  const std::string ts = std::to_string(Secs(kT0));
  auto post = [&](const std::string& stamp, const std::string& key) {
    return inbox_->Webhook(
        {.method = "POST",
         .source = "site-form",
         .headers = {{"X-Lifeline-Timestamp", stamp},
                     {"X-Lifeline-Signature", "sha256=" + HmacSha256Hex(key, stamp + "." + body)}},
         .body = body});
  };
  auto ok = post(ts, "form-key-0123456789");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->body["stored"], 1);
  EXPECT_EQ(post(ts, "another-key-0123456").error().code(), core::ErrorCode::kUnauthenticated);
  // The same request replayed six minutes later is refused.
  clock_.Advance(6min);
  auto replay = post(ts, "form-key-0123456789");
  ASSERT_FALSE(replay.ok());
  EXPECT_THAT(replay.error().message(), HasSubstr("a replay"));
  auto convs = store_->Inbox().List({}).value();
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(convs[0].name, "Ana");
  ASSERT_TRUE(inbox_->Assign(convs[0].id, "support").ok());
  ASSERT_TRUE(
      inbox_->SetState(convs[0].id, store::ConversationState::kSnoozed, store::FromSystem(kT0 + 2h))
          .ok());
  EXPECT_EQ(inbox_->SetState(convs[0].id, store::ConversationState::kSnoozed).error().code(),
            core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(events, ::testing::ElementsAre("message", "assigned", "snoozed"));
}

// WhatsApp's statuses of our reply (sent, delivered, read, failed) show on the message, in
// whatever order they come, and each change is a live event.
TEST_F(InboxTest, WhatsAppStatusesAttachToOurReply) {
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  const std::string id = store_->Inbox().List({}).value()[0].id;
  auto reply = inbox_->Reply(id, "hi!", "ana");
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  // The relay delivered it as wamid.OUT (RelayStatusFollower records that).
  ASSERT_TRUE(store_->Inbox().SetOutboundStatus(reply->relay_id, "delivered", "wamid.OUT").ok());
  std::vector<std::string> events;
  auto sub = inbox_->Subscribe([&](const ConversationEvent& e) { events.push_back(e.change); });
  auto status = [&](const std::string& st, std::int64_t ts, const std::string& extra = "") {
    const std::string body =
        R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.OUT","status":")" +
        st + R"(","timestamp":")" + std::to_string(ts) + R"(","recipient_id":"34600111222")" +
        extra + "}]}}]}]}";
    return PostWhatsApp(body);
  };
  auto read = status("read", Secs(kT0) + 30);
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(read->body["statuses"], 1);
  ASSERT_TRUE(status("delivered", Secs(kT0) + 20).ok()) << "older news, accepted";
  auto out = store_->Inbox().Messages({.conversation_id = id, .direction = store::Direction::kOut});
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].platform_status, "read");
  const json j = MessageJson((*out)[0]);
  EXPECT_EQ(j["platform_status"], "read");
  EXPECT_EQ(j["status"], "delivered") << "the relay's outcome stays beside it";
  ASSERT_TRUE(inbox_->WaitIdle(10s)) << "the status events are published by the inbox's worker";
  EXPECT_EQ(events, std::vector<std::string>{"status"}) << "only the change that changed something";
  // A failed status of another message of ours names its error.
  clock_.Advance(1s);
  auto second = inbox_->Reply(id, "more", "ana");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(store_->Inbox().SetOutboundStatus(second->relay_id, "delivered", "wamid.TWO").ok());
  const std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.TWO","status":"failed","timestamp":")" +
      std::to_string(Secs(kT0) + 40) +
      R"(","recipient_id":"34600111222","errors":[{"code":131026,"title":"Message undeliverable"}]}]}}]}]})";
  ASSERT_TRUE(PostWhatsApp(body).ok());
  out = store_->Inbox().Messages({.conversation_id = id, .direction = store::Direction::kOut});
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].platform_status, "failed");
  EXPECT_EQ((*out)[1].platform_error, "131026 Message undeliverable");
}

// Once the platform is back, a move whose step said on_restoration tells the customer where to go
// on: `back` returns the conversation; a customer who found their way already hears nothing.
TEST_F(InboxTest, AfterRestorationTheMovedCustomersAreToldWhereToGoOn) {
  for (const char* who : {"ana", "bo"}) {
    ASSERT_TRUE(store_->Inbox()
                    .AddAddress(who, "brand-telegram", who == std::string("ana") ? "4242" : "5353",
                                store::FromSystem(kT0))
                    .ok());
  }
  ASSERT_TRUE(store_->Inbox()
                  .AddAddress("ana", "brand-whatsapp", "+34600111222", store::FromSystem(kT0))
                  .ok());
  ASSERT_TRUE(
      store_->Inbox().AddAddress("bo", "brand-whatsapp", "+34611", store::FromSystem(kT0)).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(kT0), "hola")).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34611", "w2", Secs(kT0), "help")).ok());
  auto inc = store_->OpenIncident({.platforms = {"whatsapp"},
                                   .title = "WhatsApp outage",
                                   .opened_at = store::FromSystem(kT0),
                                   .message = "opened"});
  ASSERT_TRUE(inc.ok());
  outlet_.down.insert("brand-whatsapp");
  MoveRequest req{.incident_id = inc->id,
                  .key = inc->id + "/r/move",
                  .targets = {{.from_channel = "brand-whatsapp",
                               .platform_name = "WhatsApp",
                               .to_channel = "brand-telegram",
                               .to_name = "Telegram",
                               .link = "https://t.me/brand_bot",
                               .from_link = "https://wa.me/15550783881"}},
                  .on_restoration = "back"};
  auto moved = inbox_->Move(req);
  ASSERT_TRUE(moved.ok()) << moved.error().ToString();
  ASSERT_EQ(moved->moved, 2);
  ASSERT_EQ(outlet_.sent.size(), 2u);
  // Still down: nothing is due.
  ASSERT_TRUE(inbox_->RestoreDue().ok());
  EXPECT_EQ(outlet_.sent.size(), 2u);
  // Bo goes back to WhatsApp by himself before the incident closes.
  clock_.Advance(20min);
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34611", "w3", Secs(clock_.Now()), "works now?")).ok());
  clock_.Advance(5min);
  ASSERT_TRUE(store_->CloseIncident(inc->id, {.at = store::FromSystem(clock_.Now())}).ok());
  outlet_.down.clear();
  ASSERT_TRUE(inbox_->RestoreDue().ok());
  ASSERT_EQ(outlet_.sent.size(), 3u) << "Ana only";
  EXPECT_EQ(outlet_.sent[2].channel, "brand-telegram");
  EXPECT_EQ(outlet_.sent[2].to, "4242");
  EXPECT_EQ(outlet_.sent[2].text,
            "WhatsApp works again: we continue there. https://wa.me/15550783881");
  const auto ana = store_->Inbox().Get(store::ConversationIdFor("ana")).value();
  EXPECT_EQ(ana.channel, "brand-whatsapp");
  EXPECT_EQ(ana.address, "+34600111222");
  EXPECT_TRUE(ana.waiting_since.has_value()) << "telling is not answering";
  auto sweep = inbox_->Sweep(inc->id);
  ASSERT_TRUE(sweep.ok());
  std::set<std::string> notes;
  for (const auto& m : (*sweep)["moves"]) notes.insert(m["restored_note"].get<std::string>());
  EXPECT_EQ(notes,
            (std::set<std::string>{"told on brand-telegram; replies go to brand-whatsapp again",
                                   "the customer wrote on brand-whatsapp since: not told"}));
  // Again (a restart): nothing twice.
  ASSERT_TRUE(inbox_->RestoreDue().ok());
  EXPECT_EQ(outlet_.sent.size(), 3u);
}

// A move that cannot be done now (the relay refuses it) does not hold up the others and is done
// at the next try; a move whose incident was deleted meanwhile is noted done without a message.
TEST_F(InboxTest, OneMoveThatFailsAfterRestorationDoesNotHoldUpTheOthers) {
  const std::map<std::string, std::pair<std::string, std::string>> who = {
      {"ana", {"4242", "34600111222"}}, {"bo", {"5353", "34611"}}, {"cy", {"6464", "34622"}}};
  for (const auto& [name, addr] : who) {
    ASSERT_TRUE(store_->Inbox()
                    .AddAddress(name, "brand-telegram", addr.first, store::FromSystem(kT0))
                    .ok());
    ASSERT_TRUE(store_->Inbox()
                    .AddAddress(name, "brand-whatsapp", "+" + addr.second, store::FromSystem(kT0))
                    .ok());
  }
  auto writes = [&](const std::string& name) {
    const auto& addr = who.at(name);
    ASSERT_TRUE(
        PostWhatsApp(WhatsAppBody(addr.second, "w-" + name, Secs(clock_.Now()), "help " + name))
            .ok());
  };
  writes("ana");
  writes("bo");
  outlet_.down.insert("brand-whatsapp");
  auto move_all = [&](const std::string& incident_id, int expected) {
    MoveRequest req{.incident_id = incident_id,
                    .key = incident_id + "/r/move",
                    .targets = {{.from_channel = "brand-whatsapp",
                                 .platform_name = "WhatsApp",
                                 .to_channel = "brand-telegram",
                                 .to_name = "Telegram",
                                 .link = "https://t.me/brand_bot",
                                 .from_link = "https://wa.me/15550783881"}},
                    .on_restoration = "back"};
    auto moved = inbox_->Move(req);
    ASSERT_TRUE(moved.ok()) << moved.error().ToString();
    ASSERT_EQ(moved->moved, expected);
  };
  auto first = store_->OpenIncident({.platforms = {"whatsapp"},
                                     .title = "WhatsApp outage",
                                     .opened_at = store::FromSystem(kT0),
                                     .message = "opened"});
  ASSERT_TRUE(first.ok());
  move_all(first->id, 2);
  writes("cy");
  ASSERT_TRUE(store_->CloseIncident(first->id, {.at = store::FromSystem(kT0 + 30min)}).ok());
  auto second = store_->OpenIncident({.platforms = {"whatsapp"},
                                      .title = "WhatsApp outage again",
                                      .opened_at = store::FromSystem(kT0 + 40min),
                                      .message = "opened"});
  ASSERT_TRUE(second.ok());
  move_all(second->id, 1);
  ASSERT_TRUE(store_->CloseIncident(second->id, {.at = store::FromSystem(kT0 + 50min)}).ok());
  ASSERT_TRUE(store_->DeleteIncident(second->id).ok());
  const std::size_t before = outlet_.sent.size();
  outlet_.refuse_to.insert("4242");  // Ana's note cannot go out now
  outlet_.down.clear();
  auto s = inbox_->RestoreDue();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("1 of 3 moves not done yet"));
  ASSERT_EQ(outlet_.sent.size(), before + 1) << "Bo is told; Cy's incident is gone";
  EXPECT_EQ(outlet_.sent.back().to, "5353");
  EXPECT_EQ(store_->Inbox().Get(store::ConversationIdFor("bo"))->channel, "brand-whatsapp");
  EXPECT_EQ(store_->Inbox().Get(store::ConversationIdFor("cy"))->channel, "brand-telegram")
      << "not moved back without being told";
  // Ana's is retried and done next time; nothing else twice.
  outlet_.refuse_to.clear();
  ASSERT_TRUE(inbox_->RestoreDue().ok());
  ASSERT_EQ(outlet_.sent.size(), before + 2);
  EXPECT_EQ(outlet_.sent.back().to, "4242");
  EXPECT_EQ(store_->Inbox().Get(store::ConversationIdFor("ana"))->channel, "brand-whatsapp");
  auto pending = store_->Inbox().PendingRestorations();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
}

// Outside business hours a customer hears when we are back, once per closed period; a backlog
// replayed after downtime does not trigger it, and inside the hours nothing is sent.
TEST_F(InboxTest, OutsideBusinessHoursTheCustomerHearsWhenWeAreBack) {
  InboxConfig c = inbox_->config();
  playbook::WorkingHours h;
  h.zone = "Europe/Madrid";
  h.windows.push_back({{std::chrono::Monday, std::chrono::Tuesday, std::chrono::Wednesday,
                        std::chrono::Thursday, std::chrono::Friday},
                       9h,
                       18h});
  c.business_hours = h;
  c.away_text = "Thanks! We are back {opens}.";
  // Friday 27 Nov 2026 20:00 Madrid (19:00Z).
  const auto friday_night = std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + 19h;
  clock_.Set(friday_night);
  inbox_ = std::make_unique<Inbox>(std::move(c), *store_, outlet_, InboxOptions{.clock = &clock_});
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w1", Secs(clock_.Now()), "hola")).ok());
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w2", Secs(clock_.Now()), "??")).ok());
  // A backlog from yesterday replayed now: not answered so.
  ASSERT_TRUE(
      PostWhatsApp(WhatsAppBody("34699", "w3", Secs(clock_.Now() - 20h), "from yesterday")).ok());
  ASSERT_TRUE(inbox_->WaitIdle(30s));
  ASSERT_EQ(outlet_.sent.size(), 1u) << "once per conversation and closed period";
  EXPECT_EQ(outlet_.sent[0].to, "+34600111222");
  EXPECT_EQ(outlet_.sent[0].text, "Thanks! We are back Monday 09:00 (Europe/Madrid).");
  const std::string id = store_->Inbox().List({}).value()[0].id;
  EXPECT_TRUE(store_->Inbox().Get(id).value().waiting_since.has_value()) << "not an answer";
  // Monday 10:00 Madrid: open, nothing automatic.
  clock_.Set(std::chrono::sys_days(std::chrono::year(2026) / 11 / 30) + 9h);
  ASSERT_TRUE(PostWhatsApp(WhatsAppBody("34600111222", "w4", Secs(clock_.Now()), "hi")).ok());
  ASSERT_TRUE(inbox_->WaitIdle(30s));
  EXPECT_EQ(outlet_.sent.size(), 1u);
}

TEST_F(InboxTest, VerificationAndRefusals) {
  auto ok = inbox_->Webhook({.method = "GET",
                             .source = "wa-main",
                             .query = {{"hub.mode", "subscribe"},
                                       {"hub.verify_token", "verify"},
                                       {"hub.challenge", "1158201444"}}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->text, "1158201444");
  auto bad = inbox_->Webhook(
      {.method = "GET",
       .source = "wa-main",
       .query = {{"hub.mode", "subscribe"}, {"hub.verify_token", "nope"}, {"hub.challenge", "1"}}});
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(inbox_->Webhook({.method = "POST", .source = "zzz", .body = "{}"}).error().code(),
            core::ErrorCode::kNotFound);
  auto tg = inbox_->Webhook({.method = "POST", .source = "tg-bot", .body = "{}"});
  EXPECT_EQ(tg.error().code(), core::ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace lifeline::inbox
