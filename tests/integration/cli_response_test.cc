// `lifeline response` as a person runs it against a running `lifeline demo`: the demo's plan
// gives the community manager tasks and asks the head of comms for an approval; the CLI lists
// them, acknowledges a task and approves through serve's API (so the engine acts: the timeline
// says who, the lifecycle moves), and says clearly what is wrong when the id is unknown, the task
// was already acknowledged, or no serve answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"

namespace lifeline {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::Process;
using testing::RunLifeline;
using testing::TempDir;
using namespace std::chrono_literals;

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

json JsonOf(const testing::LifelineRun& r) {
  auto at = r.out.find('{');
  if (at == std::string::npos) return nullptr;
  return json::parse(r.out.substr(at), nullptr, false);
}

// The first open assignment of `kind` in the demo, once the plan gave one (the plan starts when
// the outage has lasted 15 s).
json WaitForOpen(const std::string& server, const std::string& kind, const std::string& log) {
  json found;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = RunLifeline(
            {"response", "list", "--server", server, "--state", "open", "--kind", kind, "--json"});
        json j = JsonOf(r);
        if (r.code != 0 || !j.is_object() || j["assignments"].empty()) return false;
        found = j["assignments"][0];
        return true;
      },
      90s))
      << "no open " << kind << " in the demo\n"
      << testing::ReadFile(log);
  return found;
}

TEST(CliResponse, TheTeamActsOnTheDemoPlanFromATerminalThroughServe) {
  TempDir dir;
  const auto port = testing::FreePort();
  const std::string server = "127.0.0.1:" + std::to_string(port);
  const std::string log = dir.File("demo.log");

  // Nothing listens yet: the error says so and where it looked.
  auto down = RunLifeline({"response", "list", "--server", server});
  EXPECT_EQ(down.code, 1) << down.out;
  EXPECT_THAT(down.out, HasSubstr("serve at http://" + server + " did not answer"));

  Process demo;
  std::string error;
  ASSERT_TRUE(
      demo.Start({LIFELINE_BINARY, "demo", "--listen", server, "--interval", "1", "--outage-after",
                  "1", "--outage-for", "600", "--data-dir", dir.File("data")},
                 log, &error))
      << error;
  ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port, 30s)) << testing::ReadFile(log);

  json task = WaitForOpen(server, "task", log);
  ASSERT_TRUE(task.is_object());
  const std::string id = task["id"];
  const std::string incident = task["incident_id"];

  auto list = RunLifeline({"response", "list", "--server", server, "--incident", incident});
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr(task["title"].get<std::string>()));

  auto ack = RunLifeline({"response", "ack", id, "--as", "ana", "--server", server});
  ASSERT_EQ(ack.code, 0) << ack.out;
  EXPECT_THAT(ack.out, HasSubstr("acknowledged"));
  EXPECT_THAT(ack.out, HasSubstr("acknowledged by ana (through the API)"));

  // Again: refused with the state and who put it there; an unknown id is named.
  auto again = RunLifeline({"response", "ack", id, "--as", "ana", "--server", server});
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_THAT(again.out, HasSubstr("ana"));
  auto unknown = RunLifeline({"response", "done", "asg_nope", "--server", server});
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_THAT(unknown.out, HasSubstr("asg_nope"));
  auto no_why = RunLifeline({"response", "refuse", id, "--server", server});
  EXPECT_EQ(no_why.code, 2) << "--why is required: " << no_why.out;

  auto done = RunLifeline({"response", "done", id, "--as", "ana", "--server", server, "--json"});
  ASSERT_EQ(done.code, 0) << done.out;
  EXPECT_EQ(JsonOf(done)["state"], "done");

  // The head of comms approves pausing the ads from the terminal.
  json approval = WaitForOpen(server, "approval", log);
  ASSERT_TRUE(approval.is_object());
  auto approve = RunLifeline({"response", "approve", approval["id"].get<std::string>(), "--as",
                              "hoc", "--server", server});
  ASSERT_EQ(approve.code, 0) << approve.out;
  EXPECT_THAT(approve.out, HasSubstr("approved"));

  // The engine took both: the approval let the steps after it run, and the response says who
  // did what, through the API.
  auto show = RunLifeline({"response", "show", incident, "--server", server});
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_THAT(show.out, HasSubstr("approved by hoc (through the API)"));
  EXPECT_THAT(show.out, HasSubstr("acknowledged by ana (through the API)"));
  EXPECT_THAT(show.out, HasSubstr("done by ana (through the API)"));
  EXPECT_THAT(show.out, HasSubstr("response whatsapp-outage: finished"));

  // A token file that cannot be read is named before anything is sent.
  auto bad_token = RunLifeline(
      {"response", "list", "--server", server, "--token-file", dir.File("missing-token")});
  EXPECT_EQ(bad_token.code, 2) << bad_token.out;
  EXPECT_THAT(bad_token.out, HasSubstr("--token-file " + dir.File("missing-token")));

  demo.Stop();
  EXPECT_EQ(demo.exit_status(), 0) << testing::ReadFile(log);
}

}  // namespace
}  // namespace lifeline
