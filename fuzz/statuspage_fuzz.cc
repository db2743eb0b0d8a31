// Fuzzes the Atlassian Statuspage v2 summary.json reader (sources::ParseStatuspageSummary), which
// reads what an official status page serves: it must never throw, and what it accepts is in range.
#include <algorithm>
#include <array>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "sources/statuspage.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using lifeline::fuzz::Text;
  auto state = lifeline::sources::ParseStatuspageSummary(Text(data, size));
  if (!state.ok()) {
    LL_FUZZ_CHECK(!state.error().message().empty());
    return 0;
  }
  // status.indicator is required and one of the documented values.
  constexpr std::array<std::string_view, 5> kIndicators = {"none", "minor", "major", "critical",
                                                           "maintenance"};
  LL_FUZZ_CHECK(std::find(kIndicators.begin(), kIndicators.end(), state->indicator) !=
                kIndicators.end());
  for (const auto& [name, status] : state->degraded_components) {
    LL_FUZZ_CHECK(status != "operational" && !status.empty());
  }
  return 0;
}
