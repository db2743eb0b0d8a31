// Fuzzes both ends of the agent protocol: the agent's reading of a POST /v1/probe body
// (agent::ReadProbeRequest) and the caller's reading of the agent's answer (ReadProbeAnswer).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/client.h"
#include "agent/server.h"
#include "core/address_policy.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace lifeline;

// The targets a caller sent, which an answer must match one by one.
std::vector<core::ProbeSpec> Targets() {
  std::vector<core::ProbeSpec> t(2);
  t[0].id = "instagram.web";
  t[0].kind = core::ProbeKind::kHttp;
  t[0].url = "https://www.instagram.com/";
  t[1].id = "instagram.dns";
  t[1].kind = core::ProbeKind::kDns;
  t[1].host = "www.instagram.com";
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  const std::string body(in);
  switch (selector % 3) {
    case 0: {  // the agent reads a request, as RunAgent sets it up (public addresses only)
      static const auto policy =
          std::make_shared<core::AddressPolicy>(std::vector<core::Cidr>{}, "public hosts only");
      agent::ServerOptions options;
      options.max_targets = 50;
      options.address_policy = policy;
      options.own_addresses = [] { return std::vector<core::IpAddress>{}; };
      auto request = agent::ReadProbeRequest(body, options);
      if (request.ok()) {
        LL_FUZZ_CHECK(request->targets.size() <= options.max_targets);
        LL_FUZZ_CHECK(request->timeout >= std::chrono::milliseconds(1) &&
                      request->timeout <= agent::kMaxRequestTimeout);
      } else {
        LL_FUZZ_CHECK(!request.error().message().empty());
      }
      break;
    }
    case 1: {  // the caller reads an agent's 200 answer
      const auto targets = Targets();
      agent::VantageReply reply;
      reply.name = "eu-1";
      std::string problem = agent::ReadProbeAnswer(body, targets, reply);
      if (problem.empty()) {
        LL_FUZZ_CHECK(reply.results.size() == targets.size());
        for (std::size_t i = 0; i < targets.size(); ++i) {
          LL_FUZZ_CHECK(reply.results[i].probe_id == targets[i].id);
          LL_FUZZ_CHECK(reply.results[i].from == reply.name);
        }
      }
      break;
    }
    case 2:  // the caller reads an agent's error answer
      (void)agent::AgentErrorMessage(body);
      break;
  }
  return 0;
}
