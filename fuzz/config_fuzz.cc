// Fuzzes the configuration loader (config::LoadString: the user's YAML merged onto the bundled
// catalog) and the scalar value parsers it uses; what loads must be within the documented bounds.
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/values.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace lifeline;
using std::chrono::milliseconds;

void CheckConfig(const config::Config& c) {
  LL_FUZZ_CHECK(c.concurrency >= 1 && c.concurrency <= 100000);
  LL_FUZZ_CHECK(c.timeout > milliseconds(0));
  // serve.interval and platforms.ID.interval: 5 s to 1 h; jitter a share in [0, 0.5].
  LL_FUZZ_CHECK(c.serve.interval >= milliseconds(5000) &&
                c.serve.interval <= milliseconds(3600000));
  for (const auto& [id, interval] : c.serve.intervals) {
    LL_FUZZ_CHECK(interval >= milliseconds(5000) && interval <= milliseconds(3600000));
  }
  LL_FUZZ_CHECK(c.serve.jitter >= 0 && c.serve.jitter <= 0.5);
  LL_FUZZ_CHECK(c.serve.status_page_interval >= milliseconds(10000));
  for (const auto& p : c.platforms) LL_FUZZ_CHECK(!p.id.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  switch (selector % 8) {
    default: {  // a whole file (half the inputs); its folder does not exist, so relative paths
                // in it resolve to nothing
      auto c = config::LoadString(in, "/nonexistent/lifeline.yaml");
      if (c.ok()) CheckConfig(*c);
      break;
    }
    case 4:
      if (auto d = config::ParseDuration(in); d.ok()) LL_FUZZ_CHECK(*d > milliseconds(0));
      if (auto s = config::ParseSize(in); s.ok()) LL_FUZZ_CHECK(*s > 0);
      break;
    case 5:
      if (auto u = config::ParseUrl(in); u.ok()) {
        LL_FUZZ_CHECK(u->scheme == "http" || u->scheme == "https");
        LL_FUZZ_CHECK(!u->host.empty() && u->port != 0 && !u->target.empty());
      }
      if (auto h = config::ParseHostPort(in); h.ok()) LL_FUZZ_CHECK(!h->host.empty());
      break;
    case 6:
      (void)config::ParseTimestamp(in);
      if (auto t = config::ParseTimeOfDay(in); t.ok()) {
        LL_FUZZ_CHECK(t->count() >= 0 && t->count() < 24 * 60);
      }
      (void)config::ParseWeekday(in);
      break;
    case 7: {
      if (auto s = config::ParseShare(in, 1.0); s.ok()) {
        LL_FUZZ_CHECK(std::isfinite(*s) && *s >= 0 && *s <= 1.0);
      }
      (void)config::CheckResolver(in);
      if (config::IsValidHostname(in)) LL_FUZZ_CHECK(in.size() <= 253);
      auto half = in.size() / 2;
      (void)config::EditDistance(in.substr(0, half), in.substr(half));
      break;
    }
  }
  return 0;
}
