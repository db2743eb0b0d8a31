// Fuzzes the ads guard's reading of the ad platforms' answers (src/ads/): the Meta Marketing API,
// Google Ads and TikTok clients, built as the config builds them, run one operation each against
// the fuzzer's answers; and the money parsers those answers go through.
#include <string>
#include <string_view>
#include <vector>

#include "ads/account.h"
#include "ads/money.h"
#include "fuzz/fuzz_http.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace lifeline;
using namespace lifeline::ads;

AccountConfig Account(unsigned which) {
  AccountConfig c;
  c.name = "fuzz";
  c.currency = which == 2 ? "JPY" : "EUR";
  switch (which) {
    case 0:
      c.kind = "meta";
      c.account_id = "act_1234567890";
      break;
    case 1:
      c.kind = "google";
      c.account_id = "1234567890";
      c.developer_token = "dev-token";
      c.login_customer_id = "9876543210";
      break;
    default:
      c.kind = "tiktok";
      c.account_id = "7000000000000000000";
      break;
  }
  c.access_token = "access-token";
  return c;
}

void CheckFailure(const Failure& f) {
  if (f.retry_after) LL_FUZZ_CHECK(f.retry_after->count() >= 0);
}

template <typename T>
void CheckOutcome(const Outcome<T>& o) {
  LL_FUZZ_CHECK(o.ok() == o.value.has_value());
  CheckFailure(o.failure);
  for (const Call& c : o.calls) {
    LL_FUZZ_CHECK(c.path.find("access-token") == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  const unsigned op = selector % 6;
  if (op == 5) {  // amounts as the platforms write them
    for (std::string_view currency : {"EUR", "JPY", "BHD"}) {
      if (auto m = FromDecimal(currency, in); m.ok()) {
        (void)ToMinor(*m);
        (void)ToDecimal(*m);
        (void)Format(*m);
      }
    }
    return 0;
  }
  fuzz::FuzzHttp http(in);
  auto platform = MakeAdPlatform(Account(selector / 6 % 3), http);
  LL_FUZZ_CHECK(platform.ok());
  AdPlatform& p = **platform;
  switch (op) {
    case 0: {
      auto o = p.ListCampaigns();
      CheckOutcome(o);
      if (o.ok()) {
        for (const Campaign& c : *o.value) {
          if (c.budget) (void)Format(*c.budget);
        }
      }
      break;
    }
    case 1:
      CheckOutcome(p.GetCampaigns({"120200000000001", "120200000000002"}));
      break;
    case 2: {
      auto o = p.SetStatus({"120200000000001", "120200000000002"}, selector & 0x80);
      CheckOutcome(o);
      if (o.ok()) {
        for (const Change& c : *o.value) CheckFailure(c.failure);
      }
      break;
    }
    case 3:
      CheckOutcome(p.SetBudget("120200000000001", Money{"EUR", 50'000'000}));
      break;
    case 4:
      CheckOutcome(p.HourlyInsights("120200000000001", "2026-11-27", "2026-11-27"));
      break;
  }
  return 0;
}
