// The e-mail channel against a real SMTP server (tests/fakes/smtp_sink.py, aiosmtpd) on
// 127.0.0.1: STARTTLS with AUTH and implicit TLS with the test CA, the delivered mail's headers and
// MIME parts as Python's email package reads them, and every failure class.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "channels/email/email.h"
#include "channels/registry.h"
#include "channels/testing_http.h"
#include "integration/support/python_fake.h"
#include "integration/support/testhttpd.h"

namespace lifeline::channels {
namespace {

using lifeline::testing::PythonFake;

class EmailChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lifeline::testing::PythonHasModule("aiosmtpd")) {
      GTEST_SKIP() << "python3-aiosmtpd is not installed (scripts/install-deps installs it)";
    }
    std::string error;
    ASSERT_TRUE(lifeline::testing::MakeTestCa(ca_.path(), {}, &error)) << error;
    setenv("LL_TEST_SMTP_PASSWORD", "sink-password", 1);
  }

  // Starts the sink; `args` are its options besides --dir.
  void StartSink(std::vector<std::string> args) {
    args.insert(args.begin(), {"--dir", sink_.dir().File("mail")});
    std::string error;
    ASSERT_TRUE(sink_.Start("smtp_sink.py", args, &error)) << error;
  }
  std::vector<std::string> TlsArgs() const {
    return {"--cert", ca_.File("valid.pem"), "--key", ca_.File("valid.key")};
  }

  // The channel as the channels config builds it (a 3 s timeout).
  std::unique_ptr<Channel> FromYaml(const std::string& keys) {
    const Kind* kind = FindKind("email");
    EXPECT_NE(kind, nullptr);
    auto ch = testing::FromYaml(*kind, "type: email\n" + keys, nullptr, "team-mail");
    EXPECT_TRUE(ch.ok()) << ch.error().message();
    return ch.ok() ? std::move(*ch) : nullptr;
  }

  std::string Server(const std::string& security, bool auth) const {
    std::string s = "host: 127.0.0.1\nport: " + std::to_string(sink_.port()) +
                    "\nsecurity: " + security + "\nca_file: " + ca_.File("ca.pem") +
                    "\nfrom: alerts@example.com\nfrom_name: Lifeline Alerts\n"
                    "to: [ops@example.com, \"Ana Lima <ana@example.com>\"]\n";
    if (auth) s += "username: sink-user\npassword: { env: LL_TEST_SMTP_PASSWORD }\n";
    return s;
  }

  // The summaries the sink wrote, oldest first.
  std::vector<nlohmann::json> Delivered() const {
    std::vector<std::string> names;
    std::string dir = sink_.dir().File("mail");
    if (!std::filesystem::exists(dir)) return {};
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".json") names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<nlohmann::json> out;
    for (const std::string& n : names) {
      out.push_back(nlohmann::json::parse(lifeline::testing::ReadFile(n)));
    }
    return out;
  }
  std::string Raw(std::size_t index) const {
    char name[16];
    std::snprintf(name, sizeof name, "%04zu.eml", index + 1);
    return lifeline::testing::ReadFile(sink_.dir().File("mail/" + std::string(name)));
  }

  static OutgoingMessage Message(std::string to = "") {
    OutgoingMessage m;
    m.id = "msg-1";
    m.idempotency_key = "incident-7/team";
    m.to = std::move(to);
    m.subject = "Störung: WhatsApp ist weltweit nicht erreichbar — wir sind auf Telegram 📣";
    m.text =
        "WhatsApp fails for everyone since 10:02.\nWrite to us on Telegram: https://t.me/brand";
    m.html =
        "<p>WhatsApp fails for everyone since 10:02.</p><p><a href=\"https://t.me/brand\">"
        "Telegram</a></p>";
    return m;
  }

  static std::string NoCr(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
  }

  lifeline::testing::TempDir ca_{"lifeline-ca"};
  PythonFake sink_;
};

TEST_F(EmailChannelTest, StartTlsWithAuthDeliversMultipartWithProperHeaders) {
  auto args = TlsArgs();
  args.insert(args.end(), {"--require-starttls", "--auth", "sink-user:sink-password"});
  StartSink(args);
  auto ch = FromYaml(Server("starttls", true));
  ASSERT_NE(ch, nullptr);
  OutgoingMessage m = Message();
  ASSERT_TRUE(ch->Check(m).ok());
  DeliveryResult r = ch->Send(m);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason << "\n" << sink_.log();

  auto mails = Delivered();
  ASSERT_EQ(mails.size(), 1u);
  const nlohmann::json& mail = mails[0];
  EXPECT_EQ(r.remote_id, mail["queue_id"]) << "the server's queue id from the final 250";
  EXPECT_EQ(r.http_status, 250);
  EXPECT_TRUE(mail["tls"].get<bool>());
  EXPECT_EQ(mail["auth_user"], "sink-user");
  EXPECT_EQ(mail["mail_from"], "alerts@example.com");
  EXPECT_EQ(mail["rcpt_tos"], nlohmann::json({"ops@example.com", "ana@example.com"}));
  // Headers as an independent parser (Python's email package) decodes them.
  EXPECT_EQ(mail["subject"], m.subject);
  EXPECT_EQ(mail["from"], "Lifeline Alerts <alerts@example.com>");
  EXPECT_EQ(mail["to"], "ops@example.com, Ana Lima <ana@example.com>");
  EXPECT_TRUE(std::regex_match(mail["message_id"].get<std::string>(),
                               std::regex("<lifeline\\.[0-9a-f]{32}@example\\.com>")))
      << mail["message_id"];
  EXPECT_NE(r.reason.find(mail["message_id"].get<std::string>()), std::string::npos);
  EXPECT_TRUE(
      std::regex_match(mail["date"].get<std::string>(),
                       std::regex("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} [A-Z][a-z]{2} \\d{4} "
                                  "\\d{2}:\\d{2}:\\d{2} \\+0000")))
      << mail["date"];
  EXPECT_EQ(mail["auto_submitted"], "auto-generated");
  EXPECT_EQ(mail["content_type"], "multipart/alternative");
  ASSERT_EQ(mail["parts"].size(), 2u);
  EXPECT_EQ(mail["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(mail["parts"][0]["charset"], "utf-8");
  EXPECT_EQ(NoCr(mail["parts"][0]["body"]), m.text);
  EXPECT_EQ(mail["parts"][1]["content_type"], "text/html");
  EXPECT_EQ(NoCr(mail["parts"][1]["body"]), m.html);
  // On the wire: the subject as RFC 2047 encoded words, no raw 8-bit byte anywhere.
  std::string raw = Raw(0);
  EXPECT_NE(raw.find("\r\nSubject: =?UTF-8?B?"), std::string::npos);
  for (char c : raw) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << "8-bit byte in the mail";
}

TEST_F(EmailChannelTest, ImplicitTlsDelivers) {
  auto args = TlsArgs();
  args.push_back("--implicit-tls");
  StartSink(args);
  auto ch = FromYaml(Server("tls", false));
  ASSERT_NE(ch, nullptr);
  OutgoingMessage m = Message();
  m.html.clear();
  DeliveryResult r = ch->Send(m);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason << "\n" << sink_.log();
  auto mails = Delivered();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_TRUE(mails[0]["tls"].get<bool>());
  EXPECT_EQ(mails[0]["content_type"], "text/plain");
}

TEST_F(EmailChannelTest, EveryAttemptOfOneMessageCarriesTheSameMessageId) {
  StartSink(TlsArgs());
  auto ch = FromYaml(Server("starttls", false));
  ASSERT_NE(ch, nullptr);
  OutgoingMessage m = Message();
  ASSERT_EQ(ch->Send(m).outcome, Outcome::kDelivered);
  m.attempt = 2;
  ASSERT_EQ(ch->Send(m).outcome, Outcome::kDelivered);
  auto mails = Delivered();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0]["message_id"], mails[1]["message_id"]);
}

TEST_F(EmailChannelTest, RefusalsAreClassifiedByTheReplyCode) {
  StartSink(TlsArgs());
  auto ch = FromYaml(Server("starttls", false));
  ASSERT_NE(ch, nullptr);

  DeliveryResult gone = ch->Send(Message("rcpt-550@example.com"));
  EXPECT_EQ(gone.outcome, Outcome::kFailed) << gone.reason;
  EXPECT_EQ(gone.http_status, 550);
  EXPECT_EQ(gone.far_code, "5.1.1");
  EXPECT_NE(gone.reason.find("rcpt-550@example.com"), std::string::npos) << gone.reason;

  DeliveryResult later = ch->Send(Message("rcpt-451@example.com"));
  EXPECT_EQ(later.outcome, Outcome::kRetry) << later.reason;
  EXPECT_EQ(later.http_status, 451);

  DeliveryResult rejected = ch->Send(Message("data-554@example.com"));
  EXPECT_EQ(rejected.outcome, Outcome::kFailed) << rejected.reason;
  EXPECT_EQ(rejected.http_status, 554);

  DeliveryResult deferred = ch->Send(Message("data-452@example.com"));
  EXPECT_EQ(deferred.outcome, Outcome::kRetry) << deferred.reason;
  EXPECT_TRUE(Delivered().empty()) << "nothing refused may be stored";
}

TEST_F(EmailChannelTest, NoReplyAfterTheWholeMessageIsUnconfirmed) {
  auto args = TlsArgs();
  args.insert(args.end(), {"--hang-seconds", "6"});
  StartSink(args);
  auto ch = FromYaml(Server("starttls", false));  // the channel's timeout is 3 s
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Message("hang@example.com"));
  EXPECT_EQ(r.outcome, Outcome::kUnconfirmed) << r.reason;
  auto mails = Delivered();
  ASSERT_EQ(mails.size(), 1u) << "the server did take it: exactly the case unconfirmed covers";
  EXPECT_TRUE(mails[0]["hung"].get<bool>());
}

TEST_F(EmailChannelTest, WrongPasswordFailsForGood) {
  auto args = TlsArgs();
  args.insert(args.end(), {"--auth", "sink-user:another-password"});
  StartSink(args);
  auto ch = FromYaml(Server("starttls", true));
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Message());
  EXPECT_EQ(r.outcome, Outcome::kFailed) << r.reason;
  EXPECT_NE(r.reason.find("login"), std::string::npos) << r.reason;
  EXPECT_EQ(r.reason.find("sink-password"), std::string::npos) << "never the password";
}

TEST_F(EmailChannelTest, ServerWithoutStartTlsFailsForGood) {
  StartSink({});
  auto ch = FromYaml(Server("starttls", false));
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Message());
  EXPECT_EQ(r.outcome, Outcome::kFailed) << r.reason;
  EXPECT_NE(r.reason.find("STARTTLS"), std::string::npos) << r.reason;
}

TEST_F(EmailChannelTest, UntrustedCertificateFailsForGood) {
  StartSink({"--cert", ca_.File("selfsigned.pem"), "--key", ca_.File("selfsigned.key")});
  auto ch = FromYaml(Server("starttls", false));
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Message());
  EXPECT_EQ(r.outcome, Outcome::kFailed) << r.reason;
  EXPECT_NE(r.reason.find("not trusted"), std::string::npos) << r.reason;
}

TEST_F(EmailChannelTest, NobodyListeningIsRetried) {
  StartSink({});
  std::string config = Server("none", false);
  sink_.Stop();
  auto ch = FromYaml(config);
  ASSERT_NE(ch, nullptr);
  DeliveryResult r = ch->Send(Message());
  EXPECT_EQ(r.outcome, Outcome::kRetry) << r.reason;
}

TEST_F(EmailChannelTest, AppriseUrlFormDelivers) {
  StartSink({});
  std::string url = "mailto://127.0.0.1:" + std::to_string(sink_.port()) +
                    "?from=alerts@example.com&name=Lifeline&to=ops@example.com";
  auto parsed = ParseAppriseUrl(url);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  const Kind* kind = FindScheme(parsed->scheme);
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->type, "email");
  BuildContext ctx;
  ctx.doc = config::yaml::Doc{"test.yaml", {}};
  ctx.where = config::yaml::Where{YAML::Mark(), "channels.team-mail"};
  ctx.name = "team-mail";
  ctx.timeout = std::chrono::milliseconds(3000);
  auto ch = kind->from_url(ctx, *parsed);
  ASSERT_TRUE(ch.ok()) << ch.error().message();
  OutgoingMessage m = Message();
  m.subject = "Plain subject";
  DeliveryResult r = (*ch)->Send(m);
  ASSERT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  auto mails = Delivered();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["from"], "Lifeline <alerts@example.com>");
  EXPECT_EQ(mails[0]["subject"], "Plain subject");
  EXPECT_FALSE(mails[0]["tls"].get<bool>());
}

}  // namespace
}  // namespace lifeline::channels
