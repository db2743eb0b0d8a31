// Running the real `lifeline` binary from integration tests and reading its `check --json`
// report: one place for what several CLI-level tests need.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::testing {

struct LifelineRun {
  int code = -1;
  std::string out;  // stdout and stderr together (the JSON goes to stdout, errors to stderr)
};

// Runs the binary under test (LIFELINE_BINARY) with `args`.
LifelineRun RunLifeline(const std::vector<std::string>& args);

// The JSON document in `out` (from its first '{'); a discarded value when there is none, with a
// test failure recorded.
nlohmann::json ParseReport(const std::string& out);

// The entry of `report["platforms"]` for platform `id`, or nullptr.
const nlohmann::json* FindPlatform(const nlohmann::json& report, const std::string& id);

}  // namespace lifeline::testing
