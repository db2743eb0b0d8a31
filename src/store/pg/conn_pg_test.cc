// The batch tools of the PostgreSQL sessions (conn.h) against a real server: array parameters
// arrive as the very strings sent, and a pipeline returns every statement's rows in order, fails
// as a whole on its first error, leaves the session usable and never blocks on a batch larger
// than the socket buffers.
#include "store/pg/conn.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/pg/store_fixture.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;

class PostgresConn : public testing::PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // One session: every Write below runs on the same connection as the one before.
    pool_ = std::make_unique<Pool>(ConnectParams{url_, "", std::chrono::milliseconds(5000)}, 1);
    ASSERT_TRUE(pool_->Start().ok());
  }
  std::unique_ptr<Pool> pool_;
};

TEST_F(PostgresConn, TextArraysArriveAsTheStringsSent) {
  const std::vector<std::string> sent = {
      "",    "plain", "with \"quotes\"", "back\\slash", "{braces}, commas", "NULL", "  spaces  ",
      "ünï", "\\\"",  "tab\tnew\nline"};
  ArrayParam a;
  for (const auto& s : sent) a.Text(s);
  a.Null();
  auto got = pool_->Write(Pool::Sync::kFull, "reading an array", [&](Conn& c) {
    return c.Exec(
        "SELECT v, v IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) "
        "ORDER BY n",
        Params().Array(a), "reading an array");
  });
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  ASSERT_EQ(got->size(), static_cast<int>(sent.size()) + 1);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ((*got)[static_cast<int>(i)].ColText(0), sent[i]) << "element " << i;
  }
  EXPECT_TRUE((*got)[static_cast<int>(sent.size())].ColBool(1));
}

TEST_F(PostgresConn, APipelineReturnsEachStatementsRowsInOrder) {
  auto got = pool_->Write(Pool::Sync::kFull, "a pipeline", [&](Conn& c) {
    std::vector<Statement> st;
    st.push_back({"CREATE TABLE t (n bigint PRIMARY KEY)", Params()});
    st.push_back({"INSERT INTO t SELECT unnest($1::bigint[]) RETURNING n",
                  Params().Array(ArrayParam().Int(1).Int(2).Int(3))});
    st.push_back({"SELECT count(*) FROM t", Params()});
    st.push_back({"SELECT count(*) FROM t", Params()});  // the same text twice: prepared once
    return c.ExecPipeline(st, "a pipeline");
  });
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[1].size(), 3);
  EXPECT_EQ((*got)[2][0].ColInt(0), 3);
  EXPECT_EQ((*got)[3][0].ColInt(0), 3);
}

TEST_F(PostgresConn, AFailedStatementFailsThePipelineAndTheSessionGoesOn) {
  ASSERT_TRUE(pool_
                  ->Write(Pool::Sync::kFull, "creating",
                          [&](Conn& c) {
                            return c.Script("CREATE TABLE t (n bigint PRIMARY KEY)", "creating");
                          })
                  .ok());
  auto failed = pool_->Write(Pool::Sync::kFull, "a pipeline", [&](Conn& c) {
    std::vector<Statement> st;
    st.push_back({"INSERT INTO t VALUES ($1::bigint)", Params().Int(1)});
    st.push_back({"INSERT INTO t VALUES ($1::bigint)", Params().Int(1)});  // a duplicate key
    st.push_back({"INSERT INTO t VALUES ($1::bigint)", Params().Int(2)});
    return c.ExecPipeline(st, "a pipeline");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kAlreadyExists) << failed.error().ToString();
  EXPECT_THAT(failed.error().message(), ::testing::HasSubstr("a pipeline"));
  // Rolled back as a whole, and the same session runs the next transaction.
  auto count = pool_->Write(Pool::Sync::kFull, "counting", [&](Conn& c) {
    std::vector<Statement> st;
    st.push_back({"SELECT count(*) FROM t", Params()});
    return c.ExecPipeline(st, "counting");
  });
  ASSERT_TRUE(count.ok()) << count.error().ToString();
  EXPECT_EQ((*count)[0][0].ColInt(0), 0);
}

TEST_F(PostgresConn, ABatchLargerThanTheSocketBuffersDoesNotBlock) {
  // Big results come back while a big parameter is still being sent: a blocking sender would
  // wait for the server, and the server for us to read.
  const std::string big(4 << 20, 'x');
  auto got = pool_->Write(Pool::Sync::kFull, "a big pipeline", [&](Conn& c) {
    std::vector<Statement> st;
    st.push_back({"SELECT repeat('y', $1::int)", Params().Int(8 << 20)});
    st.push_back({"SELECT length($1::text)", Params().Text(big)});
    st.push_back({"SELECT repeat('z', $1::int)", Params().Int(8 << 20)});
    st.push_back({"SELECT length($1::text)", Params().Text(big)});
    return c.ExecPipeline(st, "a big pipeline");
  });
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0][0].ColText(0).size(), static_cast<std::size_t>(8 << 20));
  EXPECT_EQ((*got)[1][0].ColInt(0), 4 << 20);
  EXPECT_EQ((*got)[3][0].ColInt(0), 4 << 20);
}

}  // namespace
}  // namespace lifeline::store::pg
