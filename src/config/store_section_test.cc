// Tests for the `store:` section (store_section.h): the PostgreSQL URL, its password from the
// environment or a file (never from the file itself, never in a message), FILE:LINE: KEY errors.
#include "config/store_section.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "core/temp_dir.h"

namespace lifeline::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

core::Result<StoreSettings> Read(std::string_view yaml) {
  auto c = LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  return ReadStoreSection(*c);
}

std::string ErrorOf(std::string_view yaml) {
  auto s = Read(yaml);
  if (s.ok()) return "<read>";
  EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument) << s.error().message();
  return s.error().message();
}

TEST(StoreSection, AbsentMeansSqlite) {
  auto s = Read("timeout: 5s\n");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->url, "");
}

TEST(StoreSection, ReadsTheUrlAndThePasswordFromTheEnvironment) {
  setenv("LIFELINE_TEST_DB_PASSWORD", "s3cret-pw", 1);
  auto s = Read(
      "store:\n"
      "  url: postgresql://lifeline@db.example:5432/lifeline\n"
      "  password: { env: LIFELINE_TEST_DB_PASSWORD }\n"
      "  connections: 4\n"
      "  lease_ttl: 6s\n");
  unsetenv("LIFELINE_TEST_DB_PASSWORD");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->url, "postgresql://lifeline@db.example:5432/lifeline");
  EXPECT_EQ(s->password, "s3cret-pw");
  EXPECT_EQ(s->connections, 4u);
  EXPECT_EQ(s->lease_ttl, std::chrono::seconds(6));
}

TEST(StoreSection, ReadsThePasswordFromAFile) {
  lifeline::testing::TempDir dir("lifeline_store_section");
  std::string path = dir.path() + "/db-password";
  std::ofstream(path) << "from-a-file\n";
  auto s =
      Read("store:\n  url: postgres://lifeline@db/lifeline\n  password: { file: " + path + " }\n");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->password, "from-a-file");
}

TEST(StoreSection, ErrorsNameTheFileLineAndKeyWithoutTheSecret) {
  EXPECT_THAT(ErrorOf("store:\n  password: { env: X }\n"),
              HasSubstr("lifeline.yaml:1: store: url is required"));
  EXPECT_THAT(ErrorOf("store:\n  url: mysql://root@db/x\n"),
              HasSubstr("lifeline.yaml:2: store.url: expected a postgresql:// URL"));
  std::string with_password = ErrorOf("store:\n  url: postgresql://lifeline:hunter2@db/x\n");
  EXPECT_THAT(with_password, HasSubstr("lifeline.yaml:2: store.url: the URL holds a password"));
  EXPECT_THAT(with_password, Not(HasSubstr("hunter2")));
  EXPECT_THAT(ErrorOf("store:\n  url: postgresql://lifeline@db/x\n  password: hunter2\n"),
              AllOf(HasSubstr("lifeline.yaml:3: store.password: expected { env: NAME }"),
                    Not(HasSubstr("hunter2"))));
  EXPECT_THAT(ErrorOf("store:\n  url: postgresql://lifeline@db/x\n"
                      "  password: { env: LIFELINE_TEST_UNSET_VARIABLE }\n"),
              HasSubstr("environment variable LIFELINE_TEST_UNSET_VARIABLE is not set"));
  EXPECT_THAT(ErrorOf("store:\n  url: postgresql://lifeline@db/x\n  connections: 0\n"),
              HasSubstr("lifeline.yaml:3: store.connections"));
  EXPECT_THAT(ErrorOf("store:\n  url: postgresql://lifeline@db/x\n  lease_ttl: 100ms\n"),
              HasSubstr("lifeline.yaml:3: store.lease_ttl: lease_ttl must be between 1s and 5m"));
  EXPECT_THAT(ErrorOf("store:\n  url: postgresql://lifeline@db/x\n  pasword: { env: X }\n"),
              HasSubstr("store.pasword"));
  EXPECT_THAT(ErrorOf("serve:\n  database: /var/lib/lifeline.db\n"
                      "store:\n  url: postgresql://lifeline@db/x\n"),
              HasSubstr("serve.database is set too"));
}

}  // namespace
}  // namespace lifeline::config
