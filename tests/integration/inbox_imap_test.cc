// E-mail as an inbox source against real servers the test starts on loopback: dovecot (IMAP, a
// temporary config, one static test user, a Maildir in a temp dir) and aiosmtpd
// (tests/fakes/maildir_smtp.py) delivering mail sent by SMTP into that Maildir; replies go out
// through the relay's e-mail channel to another aiosmtpd (tests/fakes/smtp_sink.py). Then the
// catch-up after an outage: mail that arrived while Lifeline was not reading, Messenger messages
// whose webhooks never came (the emulated Conversations API in tests/fakes/chat_apis.py), and
// Telegram's pending updates, each reported as the gap. Waits for states; never a fixed sleep.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/types.h"
#include "inbox/imap.h"
#include "inbox/webhooks.h"
#include "integration/support/chat_fakes.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/python_fake.h"

namespace lifeline {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::ChatFakes;
using testing::Process;
using testing::PythonFake;
using testing::TempDir;

constexpr const char* kUser = "support@brand.test";
constexpr const char* kPassword = "imap-it-Pa55-word";
constexpr const char* kWrongPassword = "imap-it-WRONG-pa55";
constexpr const char* kAppSecret = "imap-it-app-secret";
constexpr const char* kPageId = "1234567890";

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

struct Upload {
  std::string data;
  std::size_t pos = 0;
};

std::size_t ReadUpload(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

// Submits `raw` (CRLF lines) by SMTP to 127.0.0.1:port, as a mail client would.
bool SendMail(std::uint16_t port, const std::string& from, const std::string& to,
              const std::string& raw) {
  CURL* c = curl_easy_init();
  if (c == nullptr) return false;
  Upload up{raw, 0};
  const std::string url = "smtp://127.0.0.1:" + std::to_string(port);
  const std::string mail_from = "<" + from + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  return rc == CURLE_OK;
}

std::string Mail(const std::string& from, const std::string& id, const std::string& date,
                 const std::string& subject, const std::string& headers, const std::string& body) {
  return "From: " + from + "\r\nTo: " + kUser + "\r\nSubject: " + subject + "\r\nMessage-ID: <" +
         id + ">\r\nDate: " + date + "\r\nMIME-Version: 1.0\r\n" + headers + "\r\n" + body;
}

// "Thu, 27 Nov 2026 10:00:00 +0000" for `t`, and its RFC 3339 form.
std::string MailDate(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  return core::FormatTime(store::FromSystem(std::chrono::time_point_cast<std::chrono::seconds>(t)));
}

class InboxImap : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dovecot = testing::FindProgram("dovecot");
    if (!dovecot) GTEST_SKIP() << "dovecot is not installed (scripts/install-deps: dovecot-imapd)";
    if (!testing::PythonHasModule("aiosmtpd")) {
      GTEST_SKIP() << "python3-aiosmtpd is not installed (scripts/install-deps)";
    }
    namespace fs = std::filesystem;
    // Dovecot refuses to serve mail as root: as root the mail belongs to nobody.
    const bool root = ::geteuid() == 0;
    const int uid = root ? 65534 : static_cast<int>(::geteuid());
    const int gid = root ? 65534 : static_cast<int>(::getegid());
    for (const char* d : {"run", "state", "mail", "home"}) fs::create_directories(dir_.File(d));
    maildir_ = dir_.File("mail/") + kUser;
    for (const char* sub : {"", "/new", "/cur", "/tmp"}) fs::create_directories(maildir_ + sub);
    if (root) {
      for (const std::string& p : {dir_.File("mail"), maildir_, maildir_ + "/new",
                                   maildir_ + "/cur", maildir_ + "/tmp", dir_.File("home")}) {
        ASSERT_EQ(::chown(p.c_str(), uid, gid), 0) << p;
      }
    }
    dir_.Write("users", std::string(kUser) + ":{PLAIN}" + kPassword + "::::::\n");
    imap_port_ = testing::FreePort();
    const std::string d = dir_.path();
    const std::string conf =
        "protocols = imap\nlisten = 127.0.0.1\nbase_dir = " + d + "/run\nstate_dir = " + d +
        "/state\nlog_path = " + d +
        "/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n"
        "auth_mechanisms = plain login\nmail_location = maildir:" +
        d +
        "/mail/%u\nfirst_valid_uid = 1\n"
        "passdb {\n  driver = passwd-file\n  args = " +
        d +
        "/users\n}\n"
        "userdb {\n  driver = static\n  args = uid=" +
        std::to_string(uid) + " gid=" + std::to_string(gid) + " home=" + d +
        "/home/%u\n}\n"
        "service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n"
        "    port = " +
        std::to_string(imap_port_) +
        "\n  }\n  inet_listener imaps {\n"
        "    port = 0\n  }\n}\nservice anvil {\n  chroot =\n}\n";
    std::string error;
    ASSERT_TRUE(dovecot_.Start({*dovecot, "-F", "-c", dir_.Write("dovecot.conf", conf)},
                               dir_.File("dovecot.out"), &error))
        << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", imap_port_))
        << testing::ReadFile(dir_.File("dovecot.out"))
        << testing::ReadFile(dir_.File("dovecot.log"));
    ASSERT_TRUE(deliver_.Start("maildir_smtp.py", {"--maildir", maildir_}, &error)) << error;
    ASSERT_TRUE(sink_.Start("smtp_sink.py", {"--dir", sink_.dir().File("out")}, &error)) << error;
    ASSERT_TRUE(chat_.Start(&error)) << error;
    setenv("LL_IMAP_PW", kPassword, 1);
    setenv("LL_IMAP_BAD_PW", kWrongPassword, 1);
    setenv("LL_IMAP_APP_SECRET", kAppSecret, 1);
    setenv("LL_IMAP_VERIFY", "verify", 1);
    setenv("LL_IMAP_PAGE_TOKEN", ChatFakes::kPageToken, 1);
    setenv("LL_IMAP_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_IMAP_TG_SECRET", "tg-secret", 1);
    port_ = testing::FreePort();
    std::string y =
        "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: "
        "127.0.0.1:" +
        std::to_string(port_) + "\n  anonymous_role: operator\nplatforms:\n";
    auto catalog = config::LoadBundled();
    ASSERT_TRUE(catalog.ok());
    for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
    y += "channels:\n"
         "  brand-mail: { type: email, host: 127.0.0.1, port: " +
         std::to_string(sink_.port()) +
         ", security: none, from: support@brand.test, from_name: Brand Support }\n"
         "  brand-messenger: { type: messenger, page_token: { env: LL_IMAP_PAGE_TOKEN }, "
         "page_id: \"" +
         kPageId + "\", api_base: \"" + chat_.Url() +
         "\" }\n"
         "  brand-telegram: { type: telegram, token: { env: LL_IMAP_TG_TOKEN }, chat: \"@brand\", "
         "api_base: \"" +
         chat_.Url() + "\" }\n";
    y += "relay:\n  poll: 200ms\n";
    const std::string imap_url = "imap://127.0.0.1:" + std::to_string(imap_port_) + "/INBOX";
    y += "inbox:\n  sources:\n"
         "    mail:\n      type: imap\n      channel: brand-mail\n      url: " +
         imap_url + "\n      username: " + kUser +
         "\n      password: { env: LL_IMAP_PW }\n      interval: 1s\n"
         "    mail-bad:\n      type: imap\n      channel: brand-mail\n      url: " +
         imap_url + "\n      username: " + kUser +
         "\n      password: { env: LL_IMAP_BAD_PW }\n      interval: 1s\n"
         "    fb-page:\n      type: messenger\n      channel: brand-messenger\n"
         "      app_secret: { env: LL_IMAP_APP_SECRET }\n      verify_token: { env: LL_IMAP_VERIFY "
         "}\n      page_id: \"" +
         std::string(kPageId) +
         "\"\n      page_token: { env: LL_IMAP_PAGE_TOKEN }\n      api_base: \"" + chat_.Url() +
         "\"\n"
         "    tg-bot:\n      type: telegram\n      channel: brand-telegram\n"
         "      secret_token: { env: LL_IMAP_TG_SECRET }\n      bot_token: { env: LL_IMAP_TG_TOKEN "
         "}\n      api_base: \"" +
         chat_.Url() + "\"\n";
    config_ = dir_.Write("lifeline.yaml", y);
    source_.name = "mail";
    source_.kind = inbox::SourceKind::kImap;
    source_.imap_url = imap_url;
    source_.username = kUser;
    source_.password = kPassword;
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

  std::string Server() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A plain HTTP GET of serve's API: the JSON answer (discarded when there is none).
  json Get(const std::string& target) {
    CURL* c = curl_easy_init();
    std::string body;
    const std::string url = Server() + target;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION,
        +[](char* d, std::size_t s, std::size_t n, void* u) -> std::size_t {
          static_cast<std::string*>(u)->append(d, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return json::parse(body, nullptr, false);
  }

  // POST with an empty body (or `data`), answering the status and the JSON.
  std::pair<long, json> Post(const std::string& target, const std::string& data = "",
                             const std::vector<std::string>& headers = {}) {
    CURL* c = curl_easy_init();
    std::string body;
    const std::string url = Server() + target;
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    for (const auto& x : headers) h = curl_slist_append(h, x.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, data.c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION,
        +[](char* d, std::size_t s, std::size_t n, void* u) -> std::size_t {
          static_cast<std::string*>(u)->append(d, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return {status, json::parse(body, nullptr, false)};
  }

  json Source(const std::string& name) {
    json all = Get("/v1/inbox/sources");
    if (!all.is_object()) return json();
    for (const auto& s : all["sources"]) {
      if (s["name"] == name) return s;
    }
    return json();
  }

  // The conversation of `address`, or null.
  json ConversationOf(const std::string& address) {
    json all = Get("/v1/conversations?limit=1000");
    if (!all.is_object()) return json();
    for (const auto& c : all["conversations"]) {
      if (c["address"] == address) return Get("/v1/conversations/" + c["id"].get<std::string>());
    }
    return json();
  }

  TempDir dir_{"lifeline-imap-it"};
  Process dovecot_;
  PythonFake deliver_;
  PythonFake sink_;
  ChatFakes chat_;
  Process serve_;
  std::string maildir_;
  std::uint16_t imap_port_ = 0;
  std::uint16_t port_ = 0;
  std::string config_;
  inbox::Source source_;
};

TEST_F(InboxImap, MailBecomesAConversationOnceDecodedAndTheReplyGoesOutBySmtp) {
  StartServe();
  // The first poll starts at the mailbox's end.
  ASSERT_TRUE(WaitFor([&] { return Source("mail").value("state", "") == "ok"; }, 20s))
      << Source("mail").dump() << ServeLog();
  const auto now = std::chrono::system_clock::now();
  const auto t1 = now - 300s;
  ASSERT_TRUE(SendMail(
      deliver_.port(), "ana@example.com", kUser,
      Mail("Ana Lima <Ana@Example.com>", "order-1@example.com", MailDate(t1),
           "=?UTF-8?Q?Order_1234_=E2=80=94_caf=C3=A9?=",
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
           "quoted-printable\r\n",
           "Caf=C3=A9 ol=C3=A9, where is my order? It was due on Monday and the tracking =\r\n"
           "page says nothing.\r\n")));
  // Latin-1 in base64, inside multipart/alternative with an HTML part after it.
  ASSERT_TRUE(SendMail(
      deliver_.port(), "bob@example.com", kUser,
      Mail("bob@example.com", "b-2@example.com", MailDate(now - 200s), "Gruss",
           "Content-Type: multipart/alternative; boundary=\"b1\"\r\n",
           "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
           "base64\r\n\r\nR3L832UgYXVzIEv2bG4=\r\n--b1\r\nContent-Type: text/html; "
           "charset=utf-8\r\n\r\n<p>Gr&uuml;&szlig;e</p>\r\n--b1--\r\n")));
  json ana, bob;
  ASSERT_TRUE(WaitFor(
      [&] {
        ana = ConversationOf("ana@example.com");
        bob = ConversationOf("bob@example.com");
        return ana.is_object() && bob.is_object();
      },
      30s))
      << ServeLog() << Source("mail").dump();
  ASSERT_EQ(ana["messages"].size(), 1u) << ana.dump();
  EXPECT_EQ(ana["name"], "Ana Lima");
  EXPECT_EQ(ana["channel"], "brand-mail");
  EXPECT_EQ(ana["messages"][0]["text"],
            "Café olé, where is my order? It was due on Monday and the tracking page says "
            "nothing.");
  EXPECT_EQ(ana["messages"][0]["platform_id"], "order-1@example.com");
  EXPECT_EQ(ana["messages"][0]["sent_at"], Rfc3339(t1)) << "the Date header";
  EXPECT_EQ(bob["messages"][0]["text"], "Grüße aus Köln");
  // Fetching marked nothing read: the team's mail client still shows both unread.
  auto client = inbox::MakeCurlImapClient(source_);
  auto unseen = client->Search("UNSEEN");
  ASSERT_TRUE(unseen.ok()) << unseen.error().ToString();
  EXPECT_EQ(unseen->size(), 2u);

  // A restart resumes after the cursor; the same mail delivered again (a new UID, the same
  // Message-ID) is stored once; a new one arrives.
  serve_.Stop();
  StartServe();
  ASSERT_TRUE(SendMail(deliver_.port(), "ana@example.com", kUser,
                       Mail("Ana Lima <ana@example.com>", "order-1@example.com", MailDate(t1),
                            "Order 1234", "Content-Type: text/plain\r\n", "again\r\n")));
  ASSERT_TRUE(SendMail(deliver_.port(), "carol@example.com", kUser,
                       Mail("carol@example.com", "c-3@example.com", MailDate(now - 100s), "Hi",
                            "Content-Type: text/plain\r\n", "hello\r\n")));
  ASSERT_TRUE(WaitFor([&] { return ConversationOf("carol@example.com").is_object(); }, 30s))
      << ServeLog();
  EXPECT_EQ(ConversationOf("ana@example.com")["messages"].size(), 1u);
  EXPECT_EQ(ConversationOf("bob@example.com")["messages"].size(), 1u);
  EXPECT_EQ(Get("/v1/conversations?limit=1000")["conversations"].size(), 3u);

  // The reply goes out by SMTP to the customer, answering their subject.
  const std::string id = ana["id"];
  auto [status, answer] =
      Post("/v1/conversations/" + id + "/reply", R"({"text":"It ships today.","by":"ana"})");
  ASSERT_EQ(status, 201) << answer.dump();
  json sent;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string f = sink_.dir().File("out/0001.json");
        sent = json::parse(testing::ReadFile(f), nullptr, false);
        return sent.is_object();
      },
      20s))
      << ServeLog();
  EXPECT_EQ(sent["rcpt_tos"], json::array({"ana@example.com"}));
  EXPECT_EQ(sent["subject"], "Re: Order 1234 — café");
  EXPECT_THAT(sent["parts"][0]["body"].get<std::string>(), HasSubstr("It ships today."));
}

TEST_F(InboxImap, AWrongPasswordIsAClearErrorInTheSourcesStateAndNeverLogged) {
  StartServe();
  json bad;
  ASSERT_TRUE(WaitFor(
      [&] {
        bad = Source("mail-bad");
        return bad.value("state", "") == "failing";
      },
      20s))
      << bad.dump() << ServeLog();
  EXPECT_THAT(bad["error"].get<std::string>(),
              HasSubstr("refused the login for 'support@brand.test'"));
  EXPECT_THAT(bad.dump(), Not(HasSubstr(kWrongPassword)));
  // The sources poll independently: the good one may still be on its first poll.
  json good;
  EXPECT_TRUE(WaitFor(
      [&] {
        good = Source("mail");
        return good.value("state", "") == "ok";
      },
      20s))
      << "the other source is unaffected: " << good.dump() << ServeLog();
  ASSERT_TRUE(
      WaitFor([&] { return ServeLog().find("mail-bad: imap://") != std::string::npos; }, 10s))
      << ServeLog();
  EXPECT_THAT(ServeLog(), Not(HasSubstr(kWrongPassword)));
  EXPECT_THAT(ServeLog(), Not(HasSubstr(kPassword)));
  auto cli = testing::RunLifeline({"inbox", "sources", "--server", Server()});
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_THAT(cli.out, HasSubstr("failing: imap://127.0.0.1"));
}

TEST_F(InboxImap, TheCatchUpFindsWhatWasNeverDeliveredAndReportsTheGap) {
  const auto now = std::chrono::system_clock::now();
  const auto since = now - 3600s;
  // Mail that arrived while Lifeline was not reading (it starts at the mailbox's end).
  ASSERT_TRUE(
      SendMail(deliver_.port(), "dan@example.com", kUser,
               Mail("dan@example.com", "d-1@example.com", MailDate(now - 600s), "During the outage",
                    "Content-Type: text/plain\r\n", "anyone there?\r\n")));
  StartServe();
  ASSERT_TRUE(WaitFor([&] { return Source("mail").value("state", "") == "ok"; }, 20s));
  EXPECT_FALSE(ConversationOf("dan@example.com").is_object());

  // Messenger: one message's webhook came; two never did. The page's own answer and a message
  // from before the span are not counted.
  auto graph_time = [](std::chrono::system_clock::time_point t) {
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+0000", &tm);
    return std::string(buf);
  };
  const std::string webhook =
      json{{"object", "page"},
           {"entry",
            {{{"id", kPageId},
              {"time", 1},
              {"messaging",
               {{{"sender", {{"id", "7001"}}},
                 {"recipient", {{"id", kPageId}}},
                 {"timestamp", std::chrono::duration_cast<std::chrono::milliseconds>(
                                   (now - 900s).time_since_epoch())
                                   .count()},
                 {"message", {{"mid", "m_delivered"}, {"text", "first, delivered"}}}}}}}}}}
          .dump();
  auto delivered =
      Post("/v1/inbox/webhooks/fb-page", webhook,
           {"X-Hub-Signature-256: sha256=" + inbox::HmacSha256Hex(kAppSecret, webhook)});
  ASSERT_EQ(delivered.first, 200) << delivered.second.dump();
  auto msg = [&](const std::string& id, const std::string& from, const std::string& text,
                 std::chrono::system_clock::time_point t) {
    return json{{"id", id},
                {"message", text},
                {"from", {{"id", from}, {"name", from == kPageId ? "Brand" : "Customer"}}},
                {"created_time", graph_time(t)}};
  };
  json convs = json::array(
      {{{"id", "t_7001"},
        {"messages",
         {msg("m_old", "7001", "before the outage", now - 7200s),
          msg("m_delivered", "7001", "first, delivered", now - 900s),
          msg("m_lost1", "7001", "second, never delivered", now - 800s),
          msg("m_page", kPageId, "our answer", now - 700s)}}},
       {{"id", "t_7002"}, {"messages", {msg("m_lost2", "7002", "hello?", now - 500s)}}}});
  ASSERT_TRUE(
      chat_.Control({{"messenger_conversations", convs}, {"messenger_page_sizes", {1, 2}}}));
  // Telegram holds updates for the webhook after delivery errors.
  ASSERT_TRUE(chat_.Control(
      {{"telegram_webhook_info",
        {{"url", "https://brand.example/v1/inbox/webhooks/tg-bot"},
         {"has_custom_certificate", false},
         {"pending_update_count", 3},
         {"last_error_date",
          std::chrono::duration_cast<std::chrono::seconds>((now - 60s).time_since_epoch()).count()},
         {"last_error_message", "Connection timed out"}}}}));

  auto [status, r] = Post("/v1/inbox/sources/all/catch-up?since=" + Rfc3339(since));
  ASSERT_EQ(status, 200) << r.dump();
  std::map<std::string, json> by;
  for (const auto& c : r["catch_up"]) by[c["source"]] = c;
  EXPECT_EQ(by["fb-page"]["looked"], true) << by["fb-page"].dump();
  EXPECT_EQ(by["fb-page"]["found"], 3) << by["fb-page"].dump();
  EXPECT_EQ(by["fb-page"]["new"], 2) << "the delivered one is not part of the gap";
  EXPECT_EQ(by["mail"]["found"], 1) << by["mail"].dump();
  EXPECT_EQ(by["mail"]["new"], 1);
  EXPECT_EQ(by["tg-bot"]["pending"], 3) << by["tg-bot"].dump();
  EXPECT_THAT(by["tg-bot"]["reason"].get<std::string>(), HasSubstr("Connection timed out"));
  EXPECT_EQ(by["mail-bad"]["looked"], false);
  EXPECT_THAT(by["mail-bad"]["reason"].get<std::string>(), HasSubstr("refused the login"));
  for (const auto& rec : chat_.Received("messenger_conversations")) {
    EXPECT_EQ(rec["auth"], "ok");
    EXPECT_EQ(rec["platform_param"], "messenger");
  }
  EXPECT_FALSE(chat_.Received("messenger_conversation_messages").empty()) << "paged";

  // What was missed is now in the conversations, each once, in the customer's order.
  json c7001 = ConversationOf("7001");
  ASSERT_EQ(c7001["messages"].size(), 2u) << c7001.dump();
  EXPECT_EQ(c7001["messages"][0]["text"], "first, delivered");
  EXPECT_EQ(c7001["messages"][1]["text"], "second, never delivered");
  EXPECT_EQ(ConversationOf("7002")["messages"].size(), 1u);
  EXPECT_EQ(ConversationOf("dan@example.com")["messages"][0]["text"], "anyone there?");

  // Again, through the CLI: everything found is already there; the gap is 0.
  auto cli = testing::RunLifeline(
      {"inbox", "catch-up", "fb-page", "--since", Rfc3339(since), "--server", Server()});
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_THAT(cli.out, HasSubstr("fb-page (messenger): looked from"));
  EXPECT_THAT(cli.out, HasSubstr("found 3, 0 new (the gap)"));
  EXPECT_EQ(ConversationOf("7001")["messages"].size(), 2u);
}

}  // namespace
}  // namespace lifeline
