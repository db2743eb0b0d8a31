// The link secret with several instances on one PostgreSQL database: every instance signs and
// verifies with the first one's, so a link in a message one instance sent works on all.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <fstream>

#include "core/temp_dir.h"
#include "playbook/links.h"
#include "store/pg/store_fixture.h"

namespace lifeline::playbook {
namespace {

using store::pg::testing::MustOk;

class LinkSecretPg : public store::pg::testing::PgStoreTest {};

TEST_F(LinkSecretPg, ALinkOneInstanceSignedIsHonouredByAnother) {
  ::unsetenv(kLinkSecretEnv);
  lifeline::testing::TempDir dir_a{"links-a"}, dir_b{"links-b"};
  auto a = Instance();
  auto b = Instance();
  const std::string secret_a =
      MustOk(InstallationLinkSecret(dir_a.File("link.secret"), a->Cluster()));
  const std::string secret_b =
      MustOk(InstallationLinkSecret(dir_b.File("link.secret"), b->Cluster()));
  EXPECT_EQ(secret_a, secret_b);
  // The first instance's own secret became everyone's (a moved installation's links still work).
  std::ifstream in(dir_a.File("link.secret"));
  std::string own;
  std::getline(in, own);
  EXPECT_EQ(secret_a, own);

  LinkSigner signer_a{secret_a}, signer_b{secret_b};
  std::string mac;
  const std::string token =
      MustOk(signer_a.Issue("asg-1", "acknowledge", "ana", 1'900'000'000'000, &mac));
  EXPECT_TRUE(signer_b.Verify(token, "asg-1", "acknowledge", "ana", 1'900'000'000'000));
  EXPECT_FALSE(signer_b.Verify(token, "asg-1", "done", "ana", 1'900'000'000'000));

  // Without a shared database each data directory has its own: a link from one fails on the
  // other (what the shared secret fixes).
  lifeline::testing::TempDir dir_c{"links-c"};
  const std::string alone = MustOk(InstallationLinkSecret(dir_c.File("link.secret"), nullptr));
  EXPECT_NE(alone, secret_a);
  EXPECT_FALSE(LinkSigner{alone}.Verify(token, "asg-1", "acknowledge", "ana", 1'900'000'000'000));
}

}  // namespace
}  // namespace lifeline::playbook
