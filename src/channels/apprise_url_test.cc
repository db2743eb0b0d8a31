// Tests of ParseAppriseUrl: the forms the adapters accept, %-decoding, and errors that never
// quote the URL.
#include <gtest/gtest.h>

#include "channels/registry.h"

namespace lifeline::channels {
namespace {

TEST(AppriseUrl, TelegramTokenStaysWhole) {
  auto u = ParseAppriseUrl("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->scheme, "tgram");
  EXPECT_EQ(u->host, "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
  EXPECT_EQ(u->port, 0);
  ASSERT_EQ(u->path.size(), 1u);
  EXPECT_EQ(u->path[0], "-1001234567890");
}

TEST(AppriseUrl, UserPasswordHostPortPathQuery) {
  auto u = ParseAppriseUrl("JSONS://me:p%40ss@hooks.example.com:8443/in/lifeline/?Secret=abc&x=1");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->scheme, "jsons");
  EXPECT_EQ(u->user, "me");
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, (std::vector<std::string>{"in", "lifeline"}));
  ASSERT_EQ(u->query.count("secret"), 1u);
  EXPECT_EQ(u->query.find("secret")->second, "abc");
  EXPECT_EQ(u->query.find("x")->second, "1");
}

TEST(AppriseUrl, TwilioForm) {
  auto u = ParseAppriseUrl("twilio://AC0123:authtok@15551234567/+15557654321/15550001111");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->user, "AC0123");
  EXPECT_EQ(u->password, "authtok");
  EXPECT_EQ(u->host, "15551234567");
  EXPECT_EQ(u->path, (std::vector<std::string>{"+15557654321", "15550001111"}));
}

TEST(AppriseUrl, HashIsNotAFragment) {
  auto u = ParseAppriseUrl("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F/#general");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path,
            (std::vector<std::string>{"A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7F", "#general"}));
}

TEST(AppriseUrl, TripleSlashAndAtInPath) {
  auto u = ParseAppriseUrl("workflows:///prod-site.logic.azure.com:443/T1JJ3T3L2@DEFK543/TIiaj/");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->host, "prod-site.logic.azure.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->path, (std::vector<std::string>{"T1JJ3T3L2@DEFK543", "TIiaj"}));
}

TEST(AppriseUrl, Ipv6AndPlusStaysPlus) {
  auto u = ParseAppriseUrl("json://[::1]:9000/hook?to=+15551234567&empty=");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->query.find("to")->second, "+15551234567");
  EXPECT_EQ(u->query.find("empty")->second, "");
}

TEST(AppriseUrl, Errors) {
  const char* secret = "SECRETTOKEN";
  for (std::string bad :
       {std::string("no scheme ") + secret, std::string("://x/") + secret,
        std::string("tgram://") + secret + "/%zz", std::string("json://host:99999/") + secret,
        std::string("json://[::1/") + secret, std::string("1ab://") + secret,
        std::string("json://h/") + secret + "?=v"}) {
    auto u = ParseAppriseUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code(), core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(u.error().message().find(secret), std::string::npos) << u.error().message();
  }
}

}  // namespace
}  // namespace lifeline::channels
