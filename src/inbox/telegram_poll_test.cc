// Telegram's getUpdates polling against a fake HttpClient on a real SQLite store
// (telegram_poll.h): updates stored once, the offset confirming only what was stored, failures
// keeping the offset, the token never in a message.
#include "inbox/telegram_poll.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "core/temp_dir.h"

namespace lifeline::inbox {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "123456:SECRET-bot-token";

class NoOutlet final : public Outlet {
 public:
  core::Result<SentRef> Send(const OutMessage&) override {
    return core::MakeError(core::ErrorCode::kUnavailable, "no relay");
  }
  std::string Platform(std::string_view) const override { return ""; }
  bool Accepting(std::string_view) const override { return false; }
};

class FakeHttp final : public channels::HttpClient {
 public:
  channels::HttpResponse Do(const channels::HttpRequest& r) override {
    urls.push_back(r.url);
    channels::HttpResponse out = answers.front();
    answers.pop_front();
    return out;
  }
  static channels::HttpResponse Answer(int status, std::string body) {
    channels::HttpResponse r;
    r.transport = channels::HttpResponse::Transport::kAnswered;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  std::deque<channels::HttpResponse> answers;
  std::vector<std::string> urls;
};

TEST(TelegramPoll, StoresUpdatesAndConfirmsOnlyWhatWasStored) {
  lifeline::testing::TempDir dir{"inbox-poll"};
  auto s = store::OpenSqlite(dir.File("db.sqlite"));
  ASSERT_TRUE(s.ok());
  InboxConfig c;
  Source src;
  src.name = "tg-poll";
  src.kind = SourceKind::kTelegram;
  src.channel = "brand-telegram";
  src.poll = true;
  src.bot_token = kToken;
  src.api_base = "http://127.0.0.1:9";
  src.poll_timeout = std::chrono::seconds(1);
  c.sources.push_back(src);
  NoOutlet outlet;
  Inbox inbox(std::move(c), **s, outlet, {});
  FakeHttp http;
  TelegramPoller poller(inbox, http, nullptr);
  const Source& source = inbox.config().sources[0];
  const std::string two = R"({"ok":true,"result":[
    {"update_id":500,"message":{"message_id":1,"chat":{"id":42},"date":1795773600,"text":"one"}},
    {"update_id":501,"message":{"message_id":2,"chat":{"id":42},"date":1795773601,"text":"two"}}]})";
  http.answers.push_back(FakeHttp::Answer(200, two));
  auto next = poller.PollOnce(source, 0);
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(*next, 502);
  EXPECT_THAT(http.urls[0], Not(HasSubstr("offset=")));
  EXPECT_THAT(http.urls[0], HasSubstr("/bot123456:SECRET-bot-token/getUpdates?timeout=1"));
  // Telegram sends the same two again (the confirmation got lost): stored once.
  http.answers.push_back(FakeHttp::Answer(200, two));
  next = poller.PollOnce(source, *next);
  ASSERT_TRUE(next.ok());
  EXPECT_THAT(http.urls[1], HasSubstr("&offset=502"));
  auto convs = (*s)->Inbox().List({}).value();
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ((*s)->Inbox().Messages({.conversation_id = convs[0].id}).value().size(), 2u);
  // A refusal or a lost connection keeps the offset and never shows the token.
  const std::string conflict =
      "{\"ok\":false,\"error_code\":409,\"description\":\"Conflict: can't use getUpdates "
      "method while webhook is active\"}";
  http.answers.push_back(FakeHttp::Answer(409, conflict));
  auto refused = poller.PollOnce(source, 502);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message(), HasSubstr("webhook is active"));
  EXPECT_THAT(refused.error().message(), Not(HasSubstr("SECRET")));
  channels::HttpResponse lost;
  lost.transport = channels::HttpResponse::Transport::kNotSent;
  lost.error = "connect to 127.0.0.1:9 refused";
  http.answers.push_back(lost);
  auto down = poller.PollOnce(source, 502);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code(), core::ErrorCode::kUnavailable);
  EXPECT_THAT(down.error().message(), Not(HasSubstr("SECRET")));
  // Nothing new: the offset stays.
  http.answers.push_back(FakeHttp::Answer(200, R"({"ok":true,"result":[]})"));
  EXPECT_EQ(poller.PollOnce(source, 502).value(), 502);
}

}  // namespace
}  // namespace lifeline::inbox
