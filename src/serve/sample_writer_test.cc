// The sample writer's platform states: written on its thread as soon as they come (not at the
// samples' flush interval), the newest one of a platform kept, and nothing queued lost at Stop.
#include "serve/sample_writer.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/temp_dir.h"

namespace lifeline::serve {
namespace {

using namespace std::chrono_literals;

store::PlatformState State(std::string platform, core::Verdict v, std::string detail) {
  store::PlatformState st;
  st.platform = std::move(platform);
  st.verdict = v;
  st.detail = std::move(detail);
  st.reason = "test";
  st.evidence_json = "[]";
  st.updated_at = store::FromSystem(std::chrono::system_clock::now());
  return st;
}

TEST(SampleWriter, APlatformsStateIsWrittenAtOnceNotAtTheFlushInterval) {
  lifeline::testing::TempDir dir;
  auto opened = store::OpenSqlite(dir.path() + "/lifeline.db");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  store::Store& db = **opened;
  SampleWriter writer(db, {.flush_interval = 1h});
  writer.Start();
  writer.AddState(State("x", core::Verdict::kOutage, "refused"));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!db.GetPlatformState("x").ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  auto x = db.GetPlatformState("x");
  ASSERT_TRUE(x.ok()) << "not written within 10 s (the flush interval is an hour)";
  EXPECT_EQ(x->verdict, core::Verdict::kOutage);

  // Queued before Stop: written, the newest of a platform last.
  writer.AddState(State("y", core::Verdict::kOutage, "first"));
  writer.AddState(State("y", core::Verdict::kUp, "second"));
  writer.Stop();
  auto y = db.GetPlatformState("y");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->verdict, core::Verdict::kUp);
  EXPECT_EQ(y->detail, "second");
}

}  // namespace
}  // namespace lifeline::serve
