// The demo's listening: its `listen:` section loads, and with the seeded weeks and the demo's spike
// settings no seeded hour would have fired while the outage's burst fires at any minute of an
// hour, whatever the hour of the week the demo runs in.
#include "serve/demo_listen.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "channels/http.h"
#include "config/values.h"
#include "core/temp_dir.h"
#include "listen/config.h"
#include "listen/listener.h"
#include "serve/demo.h"
#include "store/store.h"

namespace lifeline::serve {
namespace {

using namespace std::chrono;

system_clock::time_point At(const char* iso) {
  auto t = config::ParseTimestamp(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : system_clock::time_point{};
}

TEST(DemoChatter, SeededWeeksStayQuietAndTheOutageBurstIsASpikeAtAnyMinute) {
  // A weekday's evening peak, a night, a Sunday afternoon.
  for (const char* now_text :
       {"2026-11-25T20:01:30Z", "2026-11-26T03:58:00Z", "2026-11-29T15:30:00Z"}) {
    SCOPED_TRACE(now_text);
    const auto now = At(now_text);
    boost::asio::io_context io;
    DemoChatter chatter(io);
    ASSERT_TRUE(chatter.Start().ok());
    lifeline::testing::TempDir dir("demo-listen");
    config::Config config =
        DemoConfig({{"whatsapp", "http://127.0.0.1:9/"}, {"instagram", "http://127.0.0.1:9/"}},
                   {"http://127.0.0.1:9/"}, {});
    config.serve.data_dir = dir.path();
    config.serve.database.clear();
    ASSERT_TRUE(chatter.Configure(config).ok());
    auto listen_config = listen::LoadListenConfig(config);
    ASSERT_TRUE(listen_config.ok()) << listen_config.error().ToString();
    EXPECT_EQ(listen_config->queries.size(), 4u);
    ASSERT_TRUE(DemoChatter::SeedHistory(config, now).ok());
    // Seeding again (a kept data folder) counts nothing twice.
    ASSERT_TRUE(DemoChatter::SeedHistory(config, now).ok());

    auto store = store::OpenSqlite(config.serve.DatabasePath());
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    auto http = channels::MakeCurlHttpClient();
    listen::Listener listener(*listen_config, **store, *http);
    const listen::SpikeConfig& spike = listen_config->spike;
    const listen::Hour current = listen::HourOf(now);
    // Collection runs in the hour in progress, and nobody has posted yet.
    const std::vector<store::Time> covered = {store::FromSystem(now)};
    ASSERT_TRUE((*store)->Listening().AddPosts({}, nullptr, covered).ok());
    for (const listen::Query& q : listen_config->queries) {
      auto series = listener.SeriesOf(q, current - hours(24 * 7 * 6), current + hours(1));
      ASSERT_TRUE(series.ok());
      // The last week of the seeded history (which has 4 weeks behind it), replayed: not one hour
      // fires. Nor does the quiet hour in progress.
      for (const auto& d : listen::Replay(*series, current - hours(24 * 7), current, spike)) {
        EXPECT_FALSE(d.spiking) << q.id << ": " << d.evidence;
      }
      const auto d = listen::JudgeSpike(*series, now, spike, std::nullopt);
      EXPECT_FALSE(d.spiking) << q.id << ": " << d.evidence;
    }
    // The outage's burst (24 posts), judged at the hour's last minute, where its expectation is
    // highest: a spike against 5 weeks of the same hour.
    const listen::Query* whatsapp = listen_config->FindQuery("chatter:whatsapp");
    ASSERT_NE(whatsapp, nullptr);
    auto series = listener.SeriesOf(*whatsapp, current - hours(24 * 7 * 6), current + hours(1));
    ASSERT_TRUE(series.ok());
    ASSERT_TRUE(series->Add(current, 24));
    for (auto minute : {minutes(1), minutes(30), minutes(59)}) {
      const auto d = listen::JudgeSpike(*series, current + minute, spike, std::nullopt);
      EXPECT_TRUE(d.fired) << d.evidence;
      EXPECT_EQ(d.current.weeks.size(), 5u) << d.evidence;
    }
  }
}

}  // namespace
}  // namespace lifeline::serve
