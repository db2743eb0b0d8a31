// Acknowledgement links' pieces: the secret kept beside the database (created private, refused
// when others may read it, or taken from the environment), signing and verifying tokens, and
// finding the token in a link.
#include "playbook/links.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/temp_dir.h"

namespace lifeline::playbook {
namespace {

using ::testing::HasSubstr;

class LinkSecret : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv(kLinkSecretEnv); }
  void TearDown() override { unsetenv(kLinkSecretEnv); }
  lifeline::testing::TempDir dir_{"link-secret"};
};

TEST_F(LinkSecret, IsCreatedPrivateOnFirstUseAndKeptAfterwards) {
  const std::string path = dir_.File("link.secret");
  auto first = LoadOrCreateLinkSecret(path);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->size(), 64u);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateLinkSecret(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first) << "links sent before a restart keep working";
}

TEST_F(LinkSecret, AFileOthersMayReadIsRefused) {
  const std::string path = dir_.File("link.secret");
  ASSERT_TRUE(LoadOrCreateLinkSecret(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto r = LoadOrCreateLinkSecret(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kPermissionDenied);
  EXPECT_THAT(r.error().message(), HasSubstr("chmod 600"));
}

TEST_F(LinkSecret, TheEnvironmentWinsAndMustBeLong) {
  setenv(kLinkSecretEnv, "a-secret-from-the-environment-0123456789", 1);
  auto r = LoadOrCreateLinkSecret(dir_.File("never-created"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a-secret-from-the-environment-0123456789");
  setenv(kLinkSecretEnv, "short", 1);
  auto bad = LoadOrCreateLinkSecret(dir_.File("never-created"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("shorter than 32 characters"));
}

TEST(LinkSigner, VerifiesWhatItIssuedAndNothingElse) {
  LinkSigner signer{"0123456789abcdef0123456789abcdef"};
  std::string mac;
  auto token = signer.Issue("asg_1", "acknowledge", "ana", 1000, &mac);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->size(), 39u);
  EXPECT_EQ(token->substr(17), mac);
  EXPECT_TRUE(signer.Verify(*token, "asg_1", "acknowledge", "ana", 1000));
  // What the store says it grants must match what was signed.
  EXPECT_FALSE(signer.Verify(*token, "asg_2", "acknowledge", "ana", 1000));
  EXPECT_FALSE(signer.Verify(*token, "asg_1", "approve", "ana", 1000));
  EXPECT_FALSE(signer.Verify(*token, "asg_1", "acknowledge", "bo", 1000));
  EXPECT_FALSE(signer.Verify(*token, "asg_1", "acknowledge", "ana", 2000));
  LinkSigner other{"another-secret-another-secret-0000"};
  EXPECT_FALSE(other.Verify(*token, "asg_1", "acknowledge", "ana", 1000));
  EXPECT_FALSE(signer.Verify("garbage", "asg_1", "acknowledge", "ana", 1000));
  EXPECT_NE(*token, *signer.Issue("asg_1", "acknowledge", "ana", 1000, nullptr));
  EXPECT_EQ(LinkTokenHash(*token).size(), 64u);
}

TEST(LinkToken, IsFoundInTheWholeLink) {
  EXPECT_EQ(TokenOfLink("https://lifeline.example.com/ack/abc.DEF"), "abc.DEF");
  EXPECT_EQ(TokenOfLink("https://x/ack/abc.DEF?utm=chat#top"), "abc.DEF");
  EXPECT_EQ(TokenOfLink("abc.DEF"), "abc.DEF");
  EXPECT_EQ(ParseLinkAction("approve"), LinkAction::kApprove);
  EXPECT_EQ(ParseLinkAction("delete"), std::nullopt);
}

}  // namespace
}  // namespace lifeline::playbook
