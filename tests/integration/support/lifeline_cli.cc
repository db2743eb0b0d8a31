// Running the real `lifeline` binary from integration tests (see lifeline_cli.h).
#include "integration/support/lifeline_cli.h"

#include <gtest/gtest.h>

#include "integration/support/process.h"

namespace lifeline::testing {

LifelineRun RunLifeline(const std::vector<std::string>& args) {
  std::vector<std::string> argv{LIFELINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  LifelineRun r;
  r.code = RunCommand(argv, &r.out);
  return r;
}

nlohmann::json ParseReport(const std::string& out) {
  auto start = out.find('{');
  EXPECT_NE(start, std::string::npos) << out;
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start), nullptr, false);
}

const nlohmann::json* FindPlatform(const nlohmann::json& report, const std::string& id) {
  for (const auto& p : report["platforms"]) {
    if (p["platform"] == id) return &p;
  }
  return nullptr;
}

}  // namespace lifeline::testing
