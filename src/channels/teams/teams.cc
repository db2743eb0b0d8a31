// The Microsoft Teams Workflows adapter (teams.h): config from YAML or workflows:// URLs, the
// Adaptive Card request, and the classification of the Logic Apps answers ({"error": {...}}).
#include "channels/teams/teams.h"

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::teams {

namespace yaml = config::yaml;
using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

namespace {

class TeamsChannel final : public adapter::HttpChannel<Config> {
 public:
  TeamsChannel(std::string name, Config config, HttpClient* http, std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    // Teams is not in the platform catalog. max_chars is a nominal figure for templates; Check
    // measures the real limit (kMaxPayloadBytes). Teams throttles a webhook past four requests a
    // second; flows have their own run quotas.
    info_ = adapter::MakeInfo(std::move(name), "teams", /*platform=*/"", "Teams workflow",
                              {.max_chars = 20000, .rate_per_second = 1, .burst = 4});
  }

  Status Check(const OutgoingMessage& m) const override {
    LL_TRY(adapter::CheckText(info_.name, m));
    std::size_t bytes = Payload(m).size();
    if (bytes > kMaxPayloadBytes) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: the message makes a {} byte card; Teams allows {} bytes", info_.name,
                       adapter::Thousands(bytes), adapter::Thousands(kMaxPayloadBytes));
    }
    return core::Ok();
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }
};

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(ctx, fields, {"webhook"}));
  Config c;
  LL_ASSIGN(c.webhook, adapter::RequiredSecretUrl(ctx, fields, "webhook",
                                                  "the Workflows webhook URL (with its sig=)"));
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  if (url.scheme == "msteams") {
    return adapter::FailUrl(ctx,
                            "msteams:// addresses Office 365 connector webhooks, which Microsoft "
                            "retired: create a Workflows webhook in Teams and write "
                            "workflows://HOST/WORKFLOW/SIGNATURE (or give its https URL as "
                            "webhook:)");
  }
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"ver", "api-version"}));
  if (url.host.empty() || url.path.size() != 2) {
    return adapter::FailUrl(ctx,
                            "expected workflows://HOST[:PORT]/WORKFLOW/SIGNATURE (the host, the id "
                            "after /workflows/ and the sig= value of the Workflows URL)");
  }
  std::string version = adapter::QueryValue(url, "ver");
  if (version.empty()) version = adapter::QueryValue(url, "api-version");
  if (version.empty()) version = "2016-06-01";
  Config c;
  c.webhook = WorkflowUrl(url.host, url.port, url.path[0], url.path[1], version);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

}  // namespace

const Kind kKind = {"teams", {"workflows", "msteams"}, "", &FromYaml, &FromUrl};

std::string WorkflowUrl(std::string_view host, int port, std::string_view workflow,
                        std::string_view signature, std::string_view api_version) {
  std::string authority(host);
  if (port != 0 && port != 443) authority += fmt::format(":{}", port);
  return fmt::format(
      "https://{}/workflows/{}/triggers/manual/paths/invoke?api-version={}"
      "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={}",
      authority, adapter::EncodePathSegment(workflow), adapter::EncodeQueryValue(api_version),
      adapter::EncodeQueryValue(signature));
}

std::string Payload(const OutgoingMessage& m) {
  nlohmann::json body = nlohmann::json::array();
  if (!m.subject.empty()) {
    body.push_back({{"type", "TextBlock"},
                    {"text", m.subject},
                    {"weight", "Bolder"},
                    {"size", "Medium"},
                    {"wrap", true}});
  }
  if (!m.text.empty()) body.push_back({{"type", "TextBlock"}, {"text", m.text}, {"wrap", true}});
  nlohmann::json card = {
      {"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
      {"type", "AdaptiveCard"},
      {"version", "1.4"},
      {"body", body},
  };
  nlohmann::json message = {
      {"type", "message"},
      {"attachments",
       nlohmann::json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                               {"contentUrl", nullptr},
                               {"content", card}}})},
  };
  return adapter::Dump(message);
}

HttpRequest BuildRequest(const Config& config, const OutgoingMessage& m,
                         std::chrono::milliseconds timeout) {
  return adapter::JsonPost(config.webhook, Payload(m), timeout);
}

DeliveryResult Classify(const HttpResponse& response) {
  std::string code, message;
  if (auto j = adapter::ParseJson(response.body); j && j->contains("error")) {
    code = adapter::MemberText((*j)["error"], "code");
    message = adapter::OneLine(adapter::MemberText((*j)["error"], "message"));
  }
  std::string detail = code.empty() ? message : message.empty() ? code : code + ": " + message;
  adapter::Reading reading{.detail = detail, .far_code = code};
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    // The trigger answers 202 Accepted: the flow run started (its id says which run).
    reading.verdict = adapter::Verdict::kDelivered;
    reading.remote_id = std::string(response.Header("x-ms-workflow-run-id"));
    reading.reason = fmt::format("the workflow accepted it (HTTP {})", response.status);
  } else if (response.status == 404) {
    reading.reason = fmt::format("the workflow does not exist or is turned off (HTTP 404{}{})",
                                 detail.empty() ? "" : ": ", detail);
  }
  // A flow run cannot be deduplicated or looked up by our message.
  return adapter::Classify(response, /*deduplicates=*/false, reading);
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<TeamsChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::teams
