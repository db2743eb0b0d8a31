// The inbox inside the real `lifeline serve` on loopback: signed WhatsApp and Telegram webhooks
// posted over HTTP (a wrong signature refused with 401 and nothing stored, Meta's GET
// verification, a retry stored once, out-of-order delivery sorted by the platform's time, an
// unknown phone number id, malformed JSON and a huge body refused), and replies going out
// through the relay to the emulated WhatsApp Cloud API (tests/fakes/chat_apis.py), refused with
// a clear error outside WhatsApp's 24-hour window. Waits for states; never a fixed sleep.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "inbox/webhooks.h"
#include "integration/support/chat_fakes.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/toggle_site.h"

namespace lifeline {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using testing::ChatFakes;
using testing::Process;
using testing::TempDir;
using testing::ToggleSite;

constexpr const char* kAppSecret = "inbox-it-app-secret";
constexpr const char* kVerifyToken = "inbox-it-verify-token";
constexpr const char* kTgSecret = "inbox-it-telegram-secret";
constexpr const char* kPhoneId = "106540352242922";

struct Reply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:port with the given headers (Connection: close).
std::optional<Reply> Request(std::uint16_t port, const std::string& method,
                             const std::string& target, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (in.size() < 12) return std::nullopt;
  Reply r;
  r.status = std::stoi(in.substr(9, 3));
  auto split = in.find("\r\n\r\n");
  r.body = split == std::string::npos ? "" : in.substr(split + 4);
  return r;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string WhatsAppBody(const std::string& phone_id, const std::string& from,
                         const std::string& wamid, std::int64_t ts, const std::string& text) {
  json j = {{"object", "whatsapp_business_account"},
            {"entry",
             {{{"id", "102290129340398"},
               {"changes",
                {{{"field", "messages"},
                  {"value",
                   {{"messaging_product", "whatsapp"},
                    {"metadata",
                     {{"display_phone_number", "15550783881"}, {"phone_number_id", phone_id}}},
                    {"contacts", {{{"profile", {{"name", "Sheena"}}}, {"wa_id", from}}}},
                    {"messages",
                     {{{"from", from},
                       {"id", wamid},
                       {"timestamp", std::to_string(ts)},
                       {"type", "text"},
                       {"text", {{"body", text}}}}}}}}}}}}}}};
  return j.dump();
}

// A WhatsApp statuses webhook: what the platform says of a message we sent.
std::string StatusBody(const std::string& phone_id, const std::string& wamid,
                       const std::string& status, std::int64_t ts) {
  json j = {{"object", "whatsapp_business_account"},
            {"entry",
             {{{"id", "102290129340398"},
               {"changes",
                {{{"field", "messages"},
                  {"value",
                   {{"messaging_product", "whatsapp"},
                    {"metadata", {{"phone_number_id", phone_id}}},
                    {"statuses",
                     {{{"id", wamid},
                       {"status", status},
                       {"timestamp", std::to_string(ts)},
                       {"recipient_id", "16505551234"}}}}}}}}}}}}};
  return j.dump();
}

class InboxServe : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(chat_.Start(&error)) << error;
    setenv("LL_IN_WA_TOKEN", ChatFakes::kWhatsAppToken, 1);
    setenv("LL_IN_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_IN_APP_SECRET", kAppSecret, 1);
    setenv("LL_IN_VERIFY", kVerifyToken, 1);
    setenv("LL_IN_TG_SECRET", kTgSecret, 1);
    port_ = testing::FreePort();
    std::string y =
        "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: "
        "127.0.0.1:" +
        std::to_string(port_) + "\n  anonymous_role: operator\nplatforms:\n";
    // Every catalog platform off: nothing is probed (no traffic leaves loopback).
    auto catalog = config::LoadBundled();
    ASSERT_TRUE(catalog.ok());
    for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
    y += "channels:\n  brand-whatsapp: { type: whatsapp, token: { env: LL_IN_WA_TOKEN }, "
         "phone_number_id: \"" +
         std::string(kPhoneId) + "\", api_base: \"" + chat_.Url() +
         "\" }\n  brand-telegram: { type: telegram, token: { env: LL_IN_TG_TOKEN }, chat: "
         "\"@brand\", api_base: \"" +
         chat_.Url() + "\" }\n";
    y += "relay:\n  poll: 200ms\n";
    y += "inbox:\n  sources:\n"
         "    wa-main:\n      type: whatsapp\n      channel: brand-whatsapp\n"
         "      app_secret: { env: LL_IN_APP_SECRET }\n      verify_token: { env: LL_IN_VERIFY }\n"
         "      phone_number_id: \"" +
         std::string(kPhoneId) +
         "\"\n"
         "    tg-bot:\n      type: telegram\n      channel: brand-telegram\n"
         "      secret_token: { env: LL_IN_TG_SECRET }\n"
         "    tg-poll:\n      type: telegram\n      channel: brand-telegram\n      mode: poll\n"
         "      bot_token: { env: LL_IN_TG_TOKEN }\n      poll_timeout: 1s\n      api_base: \"" +
         chat_.Url() + "\"\n";
    config_ = dir_.Write("lifeline.yaml", y);
    StartServe();
  }

  void StartServe() {
    std::string error;
    ASSERT_TRUE(serve_.Start(
        {LIFELINE_BINARY, "serve", "--config", config_, "--data-dir", dir_.File("data")},
        dir_.File("serve.log"), &error))
        << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port_)) << ServeLog();
  }

  std::string ServeLog() const { return testing::ReadFile(dir_.File("serve.log")); }

  std::optional<Reply> PostWhatsApp(const std::string& body,
                                    const std::string& secret = kAppSecret) {
    return Request(port_, "POST", "/v1/inbox/webhooks/wa-main", body,
                   {{"X-Hub-Signature-256", "sha256=" + inbox::HmacSha256Hex(secret, body)}});
  }

  json Get(const std::string& target) {
    auto r = Request(port_, "GET", target, "", {});
    if (!r || r->status != 200) {
      ADD_FAILURE() << target << ": " << (r ? r->body : "no answer");
      return json();
    }
    return json::parse(r->body, nullptr, false);
  }

  std::size_t Conversations() { return Get("/v1/conversations")["conversations"].size(); }

  TempDir dir_{"lifeline-inbox-it"};
  ChatFakes chat_;
  Process serve_;
  std::uint16_t port_ = 0;
  std::string config_;
};

TEST_F(InboxServe, SignedWebhooksAreStoredOnceInPlatformOrderAndBadOnesRefused) {
  const std::int64_t now = NowSeconds();
  // A wrong signature: 401, nothing stored, the body never in the log.
  const std::string secret_text = "my card number is 4111";
  auto forged = PostWhatsApp(WhatsAppBody(kPhoneId, "16505551234", "wamid.F", now, secret_text),
                             "not-the-secret");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401) << forged->body;
  EXPECT_THAT(forged->body, HasSubstr("X-Hub-Signature-256 does not match"));
  auto unsigned_post = Request(port_, "POST", "/v1/inbox/webhooks/wa-main",
                               WhatsAppBody(kPhoneId, "1", "wamid.U", now, "x"), {});
  EXPECT_EQ(unsigned_post->status, 401);
  EXPECT_EQ(Conversations(), 0u);
  EXPECT_TRUE(
      WaitFor([&] { return ServeLog().find("refused a webhook") != std::string::npos; }, 5s));
  EXPECT_THAT(ServeLog(), ::testing::Not(HasSubstr(secret_text)));

  // Meta's verification.
  auto verify = Request(port_, "GET",
                        std::string("/v1/inbox/webhooks/wa-main?hub.mode=subscribe&hub.verify_"
                                    "token=") +
                            kVerifyToken + "&hub.challenge=1158201444",
                        "", {});
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->status, 200);
  EXPECT_EQ(verify->body, "1158201444");
  auto wrong = Request(port_, "GET",
                       "/v1/inbox/webhooks/wa-main?hub.mode=subscribe&hub.verify_token=x&hub."
                       "challenge=1",
                       "", {});
  EXPECT_EQ(wrong->status, 403);

  // Out of order: the later message arrives first; then the platform retries it.
  auto second = PostWhatsApp(WhatsAppBody(kPhoneId, "16505551234", "wamid.B", now - 60, "second"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200) << second->body;
  auto first = PostWhatsApp(WhatsAppBody(kPhoneId, "16505551234", "wamid.A", now - 120, "first"));
  EXPECT_EQ(first->status, 200) << first->body;
  auto retry = PostWhatsApp(WhatsAppBody(kPhoneId, "16505551234", "wamid.B", now - 60, "second"));
  EXPECT_EQ(retry->status, 200);
  EXPECT_EQ(json::parse(retry->body)["duplicates"], 1);
  json list = Get("/v1/conversations");
  ASSERT_EQ(list["conversations"].size(), 1u);
  const std::string id = list["conversations"][0]["id"];
  EXPECT_EQ(list["conversations"][0]["address"], "+16505551234");
  EXPECT_EQ(list["conversations"][0]["name"], "Sheena");
  json shown = Get("/v1/conversations/" + id);
  ASSERT_EQ(shown["messages"].size(), 2u);
  EXPECT_EQ(shown["messages"][0]["text"], "first");
  EXPECT_EQ(shown["messages"][1]["text"], "second");

  // An unknown phone number id, malformed JSON and a huge body: refused, nothing stored.
  auto other = PostWhatsApp(WhatsAppBody("999", "16505551234", "wamid.C", now, "other"));
  EXPECT_EQ(other->status, 400);
  EXPECT_THAT(other->body, HasSubstr("takes 106540352242922 only"));
  auto malformed = PostWhatsApp("{\"object\": ");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_THAT(malformed->body, HasSubstr("not valid JSON"));
  auto huge = PostWhatsApp(std::string(100 * 1024, ' '));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(Get("/v1/conversations/" + id)["messages"].size(), 2u);

  // Telegram: the secret token header.
  const std::string update = json{{"update_id", 1},
                                  {"message",
                                   {{"message_id", 7},
                                    {"from", {{"id", 4242}, {"first_name", "Ana"}}},
                                    {"chat", {{"id", 4242}, {"type", "private"}}},
                                    {"date", now},
                                    {"text", "hello from telegram"}}}}
                                 .dump();
  auto tg_bad = Request(port_, "POST", "/v1/inbox/webhooks/tg-bot", update,
                        {{"X-Telegram-Bot-Api-Secret-Token", "nope"}});
  EXPECT_EQ(tg_bad->status, 401);
  auto tg = Request(port_, "POST", "/v1/inbox/webhooks/tg-bot", update,
                    {{"X-Telegram-Bot-Api-Secret-Token", kTgSecret}});
  EXPECT_EQ(tg->status, 200) << tg->body;
  EXPECT_EQ(Conversations(), 2u);
  EXPECT_EQ(Request(port_, "POST", "/v1/inbox/webhooks/nope", "{}", {})->status, 404);
}

TEST_F(InboxServe, RepliesGoOutThroughTheRelayInsideWhatsAppsWindow) {
  const std::int64_t now = NowSeconds();
  ASSERT_EQ(
      PostWhatsApp(WhatsAppBody(kPhoneId, "16505551234", "wamid.A", now - 60, "hola"))->status,
      200);
  const std::string id = Get("/v1/conversations")["conversations"][0]["id"];
  auto r = Request(port_, "POST", "/v1/conversations/" + id + "/reply",
                   R"({"text":"Hi Sheena, yes: blue and red.","by":"ana"})", {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  ASSERT_TRUE(WaitFor([&] { return chat_.Received("whatsapp").size() == 1; }, 10s)) << ServeLog();
  json sent = chat_.Received("whatsapp")[0]["json"];
  EXPECT_EQ(sent["to"], "+16505551234");
  EXPECT_EQ(sent["text"]["body"], "Hi Sheena, yes: blue and red.");
  json shown = Get("/v1/conversations/" + id);
  ASSERT_EQ(shown["messages"].size(), 2u);
  EXPECT_EQ(shown["messages"][1]["direction"], "out");
  EXPECT_EQ(shown["messages"][1]["author"], "ana");
  // The relay's outcome comes back as the message's status.
  EXPECT_TRUE(WaitFor(
      [&] { return Get("/v1/conversations/" + id)["messages"][1]["status"] == "delivered"; }, 10s))
      << Get("/v1/conversations/" + id).dump();
  EXPECT_TRUE(shown["waiting_since"].is_null());
  EXPECT_TRUE(shown["first_reply_at"].is_string());
  // WhatsApp then says the customer read it (the status names the wamid the relay got back).
  const std::string wamid = chat_.Received("whatsapp")[0]["remote_id"];
  ASSERT_EQ(PostWhatsApp(StatusBody(kPhoneId, wamid, "read", now + 5))->status, 200);
  ASSERT_EQ(PostWhatsApp(StatusBody(kPhoneId, wamid, "delivered", now + 2))->status, 200);
  shown = Get("/v1/conversations/" + id);
  EXPECT_EQ(shown["messages"][1]["platform_status"], "read") << shown.dump();

  // A customer who last wrote two days ago: the window is closed; nothing is sent.
  ASSERT_EQ(
      PostWhatsApp(WhatsAppBody(kPhoneId, "34600111222", "wamid.OLD", now - 2 * 86400, "anyone?"))
          ->status,
      200);
  std::string old_id;
  const json all = Get("/v1/conversations");
  for (const auto& c : all["conversations"]) {
    if (c["address"] == "+34600111222") old_id = c["id"].get<std::string>();
  }
  ASSERT_FALSE(old_id.empty()) << all.dump();
  auto late = Request(port_, "POST", "/v1/conversations/" + old_id + "/reply",
                      R"({"text":"sorry for the wait"})", {});
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409);
  EXPECT_THAT(late->body, HasSubstr("24-hour customer-service window"));
  EXPECT_THAT(late->body, HasSubstr("outside_window: template"));
  EXPECT_EQ(chat_.Received("whatsapp").size(), 1u);
  EXPECT_EQ(Get("/v1/conversations/" + old_id)["messages"].size(), 1u) << "nothing stored";

  // The CLI, through serve's API.
  const std::string server = "http://127.0.0.1:" + std::to_string(port_);
  auto cli_list = testing::RunLifeline({"inbox", "list", "--waiting", "--server", server});
  EXPECT_EQ(cli_list.code, 0) << cli_list.out;
  EXPECT_THAT(cli_list.out, HasSubstr(old_id));
  EXPECT_THAT(cli_list.out, ::testing::Not(HasSubstr(id))) << "answered: not waiting";
  auto cli_show = testing::RunLifeline({"inbox", "show", id, "--server", server});
  EXPECT_EQ(cli_show.code, 0) << cli_show.out;
  EXPECT_THAT(cli_show.out, HasSubstr("Hi Sheena, yes: blue and red. (ana) [read]"));
  EXPECT_THAT(cli_show.out, HasSubstr("WhatsApp's 24-hour window closes"));
  auto cli_reply = testing::RunLifeline(
      {"inbox", "reply", id, "--text", "Anything else?", "--as", "ana", "--server", server});
  EXPECT_EQ(cli_reply.code, 0) << cli_reply.out;
  EXPECT_THAT(cli_reply.out, HasSubstr("queued msg_"));
  ASSERT_TRUE(WaitFor([&] { return chat_.Received("whatsapp").size() == 2; }, 10s)) << ServeLog();
  auto cli_late =
      testing::RunLifeline({"inbox", "reply", old_id, "--text", "sorry", "--server", server});
  EXPECT_EQ(cli_late.code, 2) << cli_late.out;
  EXPECT_THAT(cli_late.out, HasSubstr("24-hour customer-service window"));

  // Assign and resolve.
  auto assigned = Request(port_, "POST", "/v1/conversations/" + old_id + "/assign",
                          R"({"assignee":"support"})", {});
  EXPECT_EQ(assigned->status, 200) << assigned->body;
  EXPECT_EQ(Get("/v1/conversations?assignee=support")["conversations"].size(), 1u);
  EXPECT_EQ(Request(port_, "POST", "/v1/conversations/" + old_id + "/resolve", "", {})->status,
            200);
  EXPECT_EQ(Get("/v1/conversations?state=resolved")["conversations"].size(), 1u);
  auto cli_resolve = testing::RunLifeline({"inbox", "resolve", id, "--server", server});
  EXPECT_EQ(cli_resolve.code, 0) << cli_resolve.out;
  EXPECT_EQ(Get("/v1/conversations?state=resolved")["conversations"].size(), 2u);
}

TEST_F(InboxServe, TelegramWithoutAPublicAddressIsPolledAndConfirmedOnlyOnceStored) {
  const json update = {{"update_id", 7001},
                       {"message",
                        {{"message_id", 3},
                         {"from", {{"id", 5151}, {"first_name", "Polly"}}},
                         {"chat", {{"id", 5151}, {"type", "private"}}},
                         {"date", NowSeconds()},
                         {"text", "polled hello"}}}};
  ASSERT_TRUE(chat_.Control({{"telegram_updates", {update}}}));
  std::string id;
  ASSERT_TRUE(WaitFor(
      [&] {
        const json all = Get("/v1/conversations");
        for (const auto& c : all["conversations"]) {
          if (c["address"] == "5151") id = c["id"].get<std::string>();
        }
        return !id.empty();
      },
      15s))
      << ServeLog();
  // The next getUpdates confirms it (offset 7002), and it is not stored again later.
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& r : chat_.Received("telegram_getupdates")) {
          if (r["offset"] == 7002) return true;
        }
        return false;
      },
      15s));
  ASSERT_TRUE(chat_.Control({{"telegram_updates", {update}}}));
  const std::size_t asked = chat_.Received("telegram_getupdates").size();
  ASSERT_TRUE(
      WaitFor([&] { return chat_.Received("telegram_getupdates").size() >= asked + 2; }, 15s));
  json shown = Get("/v1/conversations/" + id);
  ASSERT_EQ(shown["messages"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["messages"][0]["text"], "polled hello");
  EXPECT_EQ(shown["name"], "Polly");
  for (const auto& r : chat_.Received("telegram_getupdates")) EXPECT_EQ(r["auth"], "ok");
}

// kill -9 while webhooks arrive from two senders at once: every message answered 200 is stored
// after the restart, and none is stored twice (not even when the platform retries all of them).
TEST_F(InboxServe, KilledWhileWebhooksArriveEveryAnsweredMessageIsStoredOnce) {
  const std::int64_t now = NowSeconds();
  std::mutex mu;
  std::set<std::string> answered;  // guarded by mu
  std::set<std::string> tried;     // guarded by mu
  std::atomic<int> next{0};
  for (int cycle = 0; cycle < 4; ++cycle) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> posters;
    for (int t = 0; t < 2; ++t) {
      posters.emplace_back([&, t] {
        while (!stop) {
          const int n = next++;
          const std::string wamid = "wamid.K" + std::to_string(n);
          const std::string from = "1650555" + std::to_string(1000 + n % 5);
          const std::string body =
              WhatsAppBody(kPhoneId, from, wamid, now - 1000 + n, "m" + std::to_string(n));
          {
            std::lock_guard lock(mu);
            tried.insert(wamid);
          }
          auto r = Request(
              port_, "POST", "/v1/inbox/webhooks/wa-main", body,
              {{"X-Hub-Signature-256", "sha256=" + inbox::HmacSha256Hex(kAppSecret, body)}});
          if (r && r->status == 200) {
            std::lock_guard lock(mu);
            answered.insert(wamid);
          }
          (void)t;
        }
      });
    }
    // Let some be answered, then kill -9 in the middle of the stream.
    ASSERT_TRUE(WaitFor(
        [&] {
          std::lock_guard lock(mu);
          return answered.size() >= static_cast<std::size_t>(20 * (cycle + 1));
        },
        20s));
    ::kill(-serve_.pid(), SIGKILL);
    serve_.Stop();
    stop = true;
    for (auto& p : posters) p.join();
    StartServe();
  }
  // What the store has, per platform id.
  auto stored = [&] {
    std::map<std::string, int> ids;
    const json list = Get("/v1/conversations?limit=1000");
    for (const auto& c : list["conversations"]) {
      const json shown = Get("/v1/conversations/" + c["id"].get<std::string>());
      for (const auto& m : shown["messages"]) ids[m["platform_id"].get<std::string>()]++;
    }
    return ids;
  };
  auto ids = stored();
  for (const auto& w : answered)
    EXPECT_EQ(ids.count(w), 1u) << w << " was answered 200 but is lost";
  for (const auto& [w, n] : ids) EXPECT_EQ(n, 1) << w << " stored twice";
  // The platform retries everything it sent (answered or not): still once each.
  for (const auto& w : tried) {
    const int n = std::stoi(w.substr(std::string("wamid.K").size()));
    const std::string body = WhatsAppBody(kPhoneId, "1650555" + std::to_string(1000 + n % 5), w,
                                          now - 1000 + n, "m" + std::to_string(n));
    auto r = PostWhatsApp(body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  ids = stored();
  EXPECT_EQ(ids.size(), tried.size());
  for (const auto& [w, n] : ids) EXPECT_EQ(n, 1) << w << " stored twice";
  std::cerr << answered.size() << " answered, " << tried.size() << " sent over 4 kills\n";
}

// Failover end to end: WhatsApp's site (a ToggleSite, probed from here and from two `lifeline
// agent` vantage points) fails -> an outage incident -> the plan's move_conversations step sends
// the waiting customer one message on Telegram with the backup's link -> the customer answers on
// Telegram and it lands in the same conversation -> the site heals, the incident closes -> the
// sweep lists the conversation still waiting and the message that arrived meanwhile.
class InboxFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.Start();
    std::string error;
    ASSERT_TRUE(chat_.Start(&error)) << error;
    setenv("LL_IF_WA_TOKEN", ChatFakes::kWhatsAppToken, 1);
    setenv("LL_IF_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_IF_APP_SECRET", kAppSecret, 1);
    setenv("LL_IF_VERIFY", kVerifyToken, 1);
    setenv("LL_IF_TG_SECRET", kTgSecret, 1);
    const std::string token_file = dir_.Write("agent.token", "inbox-agent-token\n");
    const std::string agent_cfg =
        dir_.Write("agent.yaml", "control:\n  - url: " + site_.Url("/control") +
                                     "\nresolvers: []\ntimeout: 1s\n"
                                     "agent:\n  allow_private: [127.0.0.0/8]\n");
    std::vector<std::uint16_t> agent_ports;
    for (const char* name : {"eu-west", "us-east"}) {
      const std::uint16_t port = testing::FreePort();
      auto& agent = agents_.emplace_back(std::make_unique<Process>());
      ASSERT_TRUE(agent->Start(
          {LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port),
           "--token-file", token_file, "--config", agent_cfg, "--name", name, "--insecure-http"},
          dir_.File(std::string(name) + ".log"), &error))
          << error;
      agent_ports.push_back(port);
    }
    for (std::uint16_t port : agent_ports) ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port));
    port_ = testing::FreePort();
    std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + site_.Url("/control") +
                    "\n    expect: { body_contains: [\"control is working\"] }\n"
                    "vantage_points:\n";
    const char* names[] = {"eu-west", "us-east"};
    const char* regions[] = {"eu", "us"};
    for (std::size_t i = 0; i < agent_ports.size(); ++i) {
      y += std::string("  - { name: ") + names[i] + ", region: " + regions[i] +
           ", url: \"http://127.0.0.1:" + std::to_string(agent_ports[i]) +
           "\", token_file: " + token_file + ", insecure_http: true }\n";
    }
    y += "api:\n  listen: 127.0.0.1:" + std::to_string(port_) + "\n  anonymous_role: operator\n";
    y += "serve:\n  interval: 5s\n  close_after: 1\nplatforms:\n";
    auto catalog = config::LoadBundled();
    ASSERT_TRUE(catalog.ok());
    for (const auto& p : catalog->platforms) {
      if (p.id != "whatsapp") y += "  " + p.id + ": { enabled: false }\n";
    }
    y += "  whatsapp:\n    dns: []\n    status_page: null\n    probes:\n"
         "      - { id: web, url: \"" +
         site_.Url("/whatsapp") +
         "\", expect: { status: [200], body_contains: [\"whatsapp is working\"] } }\n"
         "      - { id: site, enabled: false }\n";
    y += "channels:\n  brand-whatsapp: { type: whatsapp, token: { env: LL_IF_WA_TOKEN }, "
         "phone_number_id: \"" +
         std::string(kPhoneId) + "\", api_base: \"" + chat_.Url() +
         "\" }\n  brand-telegram: { type: telegram, token: { env: LL_IF_TG_TOKEN }, chat: "
         "\"@brand\", api_base: \"" +
         chat_.Url() + "\" }\n";
    y += R"(contacts:
  sheena: { name: Sheena, points: [ { channel: brand-whatsapp, to: "+16505551234" },
                                    { channel: brand-telegram, to: "4242" } ] }
relay:
  poll: 200ms
plan:
  inventory:
    whatsapp: { channel: brand-whatsapp, audience: 5000, primary: true, backup: telegram,
                link: "https://wa.me/15550783881" }
    telegram: { name: Telegram, channel: brand-telegram, audience: 2000,
                link: "https://t.me/brand_bot" }
  responses:
    whatsapp-outage:
      trigger: { platforms: [whatsapp], verdicts: [outage] }
      steps:
        - move_conversations: { on_restoration: back }
inbox:
  sources:
    wa-main:
      type: whatsapp
      channel: brand-whatsapp
      app_secret: { env: LL_IF_APP_SECRET }
      verify_token: { env: LL_IF_VERIFY }
      phone_number_id: ")" +
         std::string(kPhoneId) + R"("
    tg-bot:
      type: telegram
      channel: brand-telegram
      secret_token: { env: LL_IF_TG_SECRET }
)";
    const std::string config = dir_.Write("lifeline.yaml", y);
    ASSERT_TRUE(serve_.Start(
        {LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir_.File("data")},
        dir_.File("serve.log"), &error))
        << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port_)) << ServeLog();
  }

  std::string ServeLog() const { return testing::ReadFile(dir_.File("serve.log")); }

  std::optional<json> Get(const std::string& target) {
    auto r = Request(port_, "GET", target, "", {});
    if (!r || r->status != 200) return std::nullopt;
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }

  std::string Verdict(const std::string& platform) {
    auto body = Get("/v1/platforms");
    if (!body) return "";
    for (const auto& p : (*body)["platforms"]) {
      if (p["platform"] == platform) return p["verdict"].get<std::string>();
    }
    return "";
  }

  ToggleSite site_{"whatsapp"};
  TempDir dir_{"lifeline-inbox-failover"};
  ChatFakes chat_;
  std::vector<std::unique_ptr<Process>> agents_;
  Process serve_;
  std::uint16_t port_ = 0;
};

TEST_F(InboxFailover, WhatsAppDownMovesTheCustomerToTelegramAndTheSweepListsWhatWaits) {
  ASSERT_TRUE(WaitFor([&] { return Verdict("whatsapp") == "up"; }, 30s)) << ServeLog();
  const std::int64_t now = NowSeconds();
  const std::string body =
      WhatsAppBody(kPhoneId, "16505551234", "wamid.WAIT", now - 30, "where is my order?");
  auto posted =
      Request(port_, "POST", "/v1/inbox/webhooks/wa-main", body,
              {{"X-Hub-Signature-256", "sha256=" + inbox::HmacSha256Hex(kAppSecret, body)}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  const std::string id = (*Get("/v1/conversations"))["conversations"][0]["id"];

  // ---- WhatsApp fails: the incident, then one move message on Telegram ----
  site_.SetHealthy(false);
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto open = Get("/v1/incidents?state=open");
        if (!open || (*open)["incidents"].empty()) return false;
        incident = (*open)["incidents"][0]["id"].get<std::string>();
        return true;
      },
      30s))
      << ServeLog();
  ASSERT_TRUE(WaitFor([&] { return !chat_.Received("telegram").empty(); }, 20s)) << ServeLog();
  json sent = chat_.Received("telegram")[0]["json"];
  EXPECT_EQ(sent["chat_id"].is_string() ? sent["chat_id"].get<std::string>()
                                        : std::to_string(sent["chat_id"].get<std::int64_t>()),
            "4242");
  const std::string text = sent["text"];
  EXPECT_THAT(text, HasSubstr("WhatsApp is down; we continue here on Telegram."));
  EXPECT_THAT(text, HasSubstr("https://t.me/brand_bot?start=ll"));
  json conv = *Get("/v1/conversations/" + id);
  EXPECT_EQ(conv["channel"], "brand-telegram");
  EXPECT_EQ(conv["moved_from"], "brand-whatsapp");
  EXPECT_TRUE(chat_.Received("whatsapp").empty()) << "nothing went to the dead channel";

  // ---- the customer answers on Telegram: the same conversation ----
  const std::string update = json{{"update_id", 900},
                                  {"message",
                                   {{"message_id", 31},
                                    {"from", {{"id", 4242}, {"first_name", "Sheena"}}},
                                    {"chat", {{"id", 4242}, {"type", "private"}}},
                                    {"date", NowSeconds()},
                                    {"text", "ok, still waiting for my order"}}}}
                                 .dump();
  auto tg = Request(port_, "POST", "/v1/inbox/webhooks/tg-bot", update,
                    {{"X-Telegram-Bot-Api-Secret-Token", kTgSecret}});
  ASSERT_EQ(tg->status, 200) << tg->body;
  conv = *Get("/v1/conversations/" + id);
  ASSERT_EQ(conv["messages"].size(), 3u) << conv.dump();
  int in = 0;
  int out = 0;
  for (const auto& m : conv["messages"]) {
    (m["direction"] == "in" ? in : out)++;
    if (m["text"] == "ok, still waiting for my order") {
      EXPECT_EQ(m["channel"], "brand-telegram");
    }
  }
  EXPECT_EQ(in, 2);
  EXPECT_EQ(out, 1);
  EXPECT_EQ((*Get("/v1/conversations"))["conversations"].size(), 1u) << "one thread per contact";
  // The step's line on the incident's timeline.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto events = Get("/v1/incidents/" + incident + "/events");
        return events && events->dump().find("conversations: 1 moved") != std::string::npos;
      },
      10s))
      << Get("/v1/incidents/" + incident + "/events").value_or(json()).dump();

  // ---- restoration, then the sweep ----
  site_.SetHealthy(true);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto closed = Get("/v1/incidents?state=closed");
        return closed && !(*closed)["incidents"].empty();
      },
      40s))
      << ServeLog();
  json sweep = *Get("/v1/inbox/sweep?incident=" + incident);
  ASSERT_EQ(sweep["waiting"].size(), 1u) << sweep.dump();
  EXPECT_EQ(sweep["waiting"][0]["id"], id);
  ASSERT_EQ(sweep["messages"].size(), 1u) << sweep.dump();
  EXPECT_EQ(sweep["messages"][0]["text"], "ok, still waiting for my order");
  EXPECT_EQ(sweep["messages"][0]["answered"], false);
  ASSERT_EQ(sweep["moves"].size(), 1u);
  // The step said on_restoration: back: the customer is told on Telegram, and replies go to
  // WhatsApp again.
  ASSERT_TRUE(WaitFor([&] { return chat_.Received("telegram").size() == 2; }, 20s)) << ServeLog();
  EXPECT_EQ(chat_.Received("telegram")[1]["json"]["text"],
            "WhatsApp works again: we continue there. https://wa.me/15550783881");
  // The relay may deliver the note before the inbox has recorded the move back: wait for what
  // the team would see.
  ASSERT_TRUE(WaitFor(
      [&] {
        conv = *Get("/v1/conversations/" + id);
        return conv["channel"] == "brand-whatsapp";
      },
      20s))
      << conv.dump();
  EXPECT_EQ(conv["address"], "+16505551234");
  sweep = *Get("/v1/inbox/sweep?incident=" + incident);
  EXPECT_EQ(sweep["moves"][0]["restored_note"],
            "told on brand-telegram; replies go to brand-whatsapp again");
  auto cli = testing::RunLifeline({"inbox", "sweep", "--incident", incident, "--server",
                                   "http://127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_THAT(cli.out, HasSubstr("1 conversations with a customer waiting"));
}

}  // namespace
}  // namespace lifeline
