// Tests of the e-mail channel: config from YAML and mailto:// URLs (good and bad), message checks,
// and Send with a canned SMTP transcript (no server).
#include "channels/email/email.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "channels/testing_http.h"

namespace lifeline::channels::email {
namespace {

// The config the channels section would build from `body` (the channel's keys, one per line).
core::Result<EmailConfig> FromYaml(const std::string& body) {
  auto ch = testing::FromYaml(kKind, "type: email\n" + body, nullptr, "c");
  if (!ch.ok()) return ch.error();
  return dynamic_cast<EmailChannel&>(**ch).config();
}

std::string YamlError(const std::string& body) {
  auto r = FromYaml(body);
  return r.ok() ? std::string("(no error)") : r.error().message();
}

TEST(EmailConfig, ReadsAFullYamlConfig) {
  setenv("LL_TEST_SMTP_PASSWORD", "s3cret", 1);
  auto c = FromYaml(
      "host: smtp.example.com\n"
      "username: alerts@example.com\n"
      "password: { env: LL_TEST_SMTP_PASSWORD }\n"
      "from: alerts@example.com\n"
      "from_name: Lifeline\n"
      "to: [ops@example.com, \"Ana <ana@example.com>\"]\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->server.host, "smtp.example.com");
  EXPECT_EQ(c->server.port, 587);
  EXPECT_EQ(c->server.security, Security::kStartTls);
  EXPECT_EQ(c->server.password, "s3cret");
  EXPECT_EQ(c->from.name, "Lifeline");
  ASSERT_EQ(c->to.size(), 2u);
  EXPECT_EQ(c->to[1].name, "Ana");
}

TEST(EmailConfig, TlsDefaultsToPort465) {
  auto c =
      FromYaml("host: smtp.example.com\nsecurity: tls\nfrom: a@example.com\nto: b@example.com\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->server.port, 465);
}

TEST(EmailConfig, BadConfigNamesFileLineAndKey) {
  EXPECT_EQ(YamlError("host: smtp.example.com\nfrom: alerts@example.com\n"
                      "to: [ops@example.com, ops.example.com]\n"),
            "test.yaml:6: channels.c.to[1]: 'ops.example.com' is not an e-mail address (no '@')");
  EXPECT_EQ(
      YamlError("host: smtp.example.com\n"),
      "test.yaml:3: channels.c: missing 'from' (the sender address, e.g. alerts@example.com)");
  EXPECT_NE(YamlError("host: smtp.example.com\nfrom: a@example.com\nprot: 25\n")
                .find("test.yaml:6: channels.c.prot: unknown key 'prot' (did you mean 'port'?)"),
            std::string::npos);
  EXPECT_NE(YamlError("host: smtp.example.com\nfrom: a@example.com\nsecurity: ssl3\n")
                .find("channels.c.security: 'ssl3' is not a security mode"),
            std::string::npos);
  EXPECT_NE(YamlError("host: smtp.example.com:587\nfrom: a@example.com\n")
                .find("test.yaml:4: channels.c.host:"),
            std::string::npos);
}

TEST(EmailConfig, MissingSecretNamesTheVariableNotAValue) {
  unsetenv("LL_TEST_SMTP_UNSET");
  std::string e = YamlError(
      "host: smtp.example.com\nusername: u\npassword: { env: LL_TEST_SMTP_UNSET }\n"
      "from: a@example.com\n");
  EXPECT_NE(e.find("channels.c.password: environment variable LL_TEST_SMTP_UNSET is not set"),
            std::string::npos)
      << e;
}

TEST(EmailConfig, RefusesAPasswordInClearTextToARemoteServer) {
  setenv("LL_TEST_SMTP_PASSWORD", "s3cret", 1);
  std::string e = YamlError(
      "host: smtp.example.com\nsecurity: none\nusername: u\n"
      "password: { env: LL_TEST_SMTP_PASSWORD }\nfrom: a@example.com\n");
  EXPECT_NE(e.find("channels.c.security: security 'none' would send the password in clear text"),
            std::string::npos)
      << e;
  // A relay on this machine is fine.
  EXPECT_TRUE(FromYaml("host: 127.0.0.1\nsecurity: none\nusername: u\n"
                       "password: { env: LL_TEST_SMTP_PASSWORD }\nfrom: a@example.com\n")
                  .ok());
}

BuildContext UrlContext() {
  BuildContext ctx;
  ctx.doc = config::yaml::Doc{"test.yaml", {}};
  ctx.where = config::yaml::Where{YAML::Mark(), "channels.c"};
  ctx.name = "c";
  return ctx;
}

TEST(EmailUrl, ReadsApprisesCustomServerForm) {
  AppriseUrl u;
  u.scheme = "mailtos";
  u.user = "alerts";
  u.password = "p@ss";
  u.host = "example.com";
  u.query = {{"smtp", "smtp.example.com"},
             {"to", "ops@example.com,oncall@example.com"},
             {"name", "Lifeline"}};
  auto c = ConfigFromUrl(UrlContext(), u);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->server.host, "smtp.example.com");
  EXPECT_EQ(c->server.security, Security::kStartTls);
  EXPECT_EQ(c->server.port, 587);
  EXPECT_EQ(c->server.username, "alerts");
  EXPECT_EQ(c->server.password, "p@ss");
  EXPECT_EQ(c->from.address, "alerts@example.com");
  EXPECT_EQ(c->from.name, "Lifeline");
  ASSERT_EQ(c->to.size(), 2u);
  EXPECT_EQ(c->to[1].address, "oncall@example.com");
}

TEST(EmailUrl, KnownProvidersGetTheirServerAndTls) {
  AppriseUrl u;
  u.scheme = "mailto";
  u.user = "brand";
  u.password = "app-password";
  u.host = "gmail.com";
  auto c = ConfigFromUrl(UrlContext(), u);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->server.host, "smtp.gmail.com");
  EXPECT_EQ(c->server.security, Security::kStartTls);
  ASSERT_EQ(c->to.size(), 1u);
  EXPECT_EQ(c->to[0].address, "brand@gmail.com");  // Apprise mails the sender by default
}

TEST(EmailUrl, PlainMailtoWithAPasswordToARemoteServerIsRefused) {
  AppriseUrl u;
  u.scheme = "mailto";
  u.user = "alerts";
  u.password = "secret";
  u.host = "example.com";
  auto c = ConfigFromUrl(UrlContext(), u);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("channels.c.url: security 'none'"), std::string::npos);
  EXPECT_NE(c.error().message().find("mailtos://"), std::string::npos);
  EXPECT_EQ(c.error().message().find("secret"), std::string::npos) << "never echo the password";
  u.query = {{"mode", "ssl"}};
  auto tls = ConfigFromUrl(UrlContext(), u);
  ASSERT_TRUE(tls.ok()) << tls.error().message();
  EXPECT_EQ(tls->server.port, 465);
}

TEST(EmailUrl, BadRecipientsAndUnknownParametersAreErrors) {
  AppriseUrl u;
  u.scheme = "mailtos";
  u.user = "a";
  u.host = "example.com";
  u.query = {{"to", "not-an-address"}};
  EXPECT_FALSE(ConfigFromUrl(UrlContext(), u).ok());
  u.query = {{"form", "x@example.com"}};
  auto e = ConfigFromUrl(UrlContext(), u);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("did you mean 'from'?"), std::string::npos);
}

EmailConfig Config() {
  EmailConfig c;
  c.server.host = "smtp.example.com";
  c.from = {"Lifeline", "alerts@example.com"};
  c.to = {{"", "ops@example.com"}};
  return c;
}

TEST(EmailChannel, InfoAndTraits) {
  EmailConfig c = Config();
  c.platform = "google";
  EmailChannel ch("team-mail", c);
  EXPECT_EQ(ch.info().kind, "email");
  EXPECT_EQ(ch.info().platform, "google");
  EXPECT_EQ(ch.info().recipient, "ops@example.com");
  EXPECT_FALSE(ch.info().traits.deduplicates);
  EXPECT_FALSE(ch.info().traits.needs_recipient);
}

TEST(EmailChannel, CheckRefusesBadRecipientsAndEmptyText) {
  EmailChannel ch("team-mail", Config());
  OutgoingMessage m;
  m.text = "hello";
  EXPECT_TRUE(ch.Check(m).ok());
  m.to = "nobody";
  EXPECT_EQ(ch.Check(m).error().message(), "team-mail: 'nobody' is not an e-mail address (no '@')");
  m.to.clear();
  m.text.clear();
  EXPECT_FALSE(ch.Check(m).ok());
  EmailConfig none = Config();
  none.to.clear();
  EmailChannel no_default("x", none);
  EXPECT_TRUE(no_default.info().traits.needs_recipient);
  OutgoingMessage n;
  n.text = "hi";
  EXPECT_NE(no_default.Check(n).error().message().find("no recipient"), std::string::npos);
}

TEST(EmailChannel, SendHandsTheRenderedMessageToSmtpAndClassifies) {
  std::string sent;
  std::vector<std::string> rcpts;
  EmailChannel ch("team-mail", Config(),
                  [&](const SmtpServer&, const std::string& from,
                      const std::vector<std::string>& to, const std::string& data) {
                    EXPECT_EQ(from, "alerts@example.com");
                    rcpts = to;
                    sent = data;
                    SmtpTranscript t;
                    t.stage = SmtpTranscript::Stage::kEndOfData;
                    t.final_reply = true;
                    t.last_code = 250;
                    t.last_reply = "2.0.0 Ok: queued as ABC123";
                    t.last_reply_stage = t.stage;
                    return t;
                  });
  OutgoingMessage m;
  m.id = "msg-7";
  m.idempotency_key = "incident-42-team";
  m.to = "ana@example.com";
  m.subject = "Störung";
  m.text = "WhatsApp is down";
  m.html = "<p>WhatsApp is down</p>";
  DeliveryResult r = ch.Send(m);
  EXPECT_EQ(r.outcome, Outcome::kDelivered) << r.reason;
  EXPECT_EQ(r.remote_id, "ABC123");
  EXPECT_EQ(rcpts, std::vector<std::string>{"ana@example.com"});
  EXPECT_NE(sent.find("Message-ID: " + MakeMessageId("incident-42-team", "example.com")),
            std::string::npos);
  EXPECT_NE(sent.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(sent.find("multipart/alternative"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::channels::email
