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

class TeamsChannel final : public Channel {
 public:
  TeamsChannel(std::string name, Config config, HttpClient* http, std::chrono::milliseconds timeout)
      : config_(std::move(config)), http_(http), timeout_(timeout) {
    info_.name = std::move(name);
    info_.kind = "teams";
    info_.platform = "";  // Teams is not in the platform catalog
    info_.recipient = "Teams workflow";
    // A nominal figure for templates; Check measures the real limit (kMaxPayloadBytes).
    info_.traits.max_chars = 20000;
    // Teams throttles a webhook past four requests a second; flows have their own run quotas.
    info_.traits.rate_per_second = 1;
    info_.traits.burst = 4;
  }

  const Info& info() const override { return info_; }

  Status Check(const OutgoingMessage& m) const override {
    if (m.text.empty() && m.subject.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the message is empty", info_.name);
    }
    if (!adapter::IsValidUtf8(m.subject) || !adapter::IsValidUtf8(m.text)) {
      return MakeError(ErrorCode::kInvalidArgument, "{}: the text is not valid UTF-8", info_.name);
    }
    std::size_t bytes = Payload(m).size();
    if (bytes > kMaxPayloadBytes) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}: the message makes a {} byte card; Teams allows {} bytes", info_.name,
                       adapter::Thousands(bytes), adapter::Thousands(kMaxPayloadBytes));
    }
    return core::Ok();
  }

  DeliveryResult Send(const OutgoingMessage& m) override {
    if (auto s = Check(m); !s.ok()) {
      DeliveryResult r;
      r.outcome = Outcome::kFailed;
      r.reason = s.error().message();
      return r;
    }
    return Classify(http_->Do(BuildRequest(config_, m, timeout_)));
  }

 private:
  Info info_;
  const Config config_;
  HttpClient* http_;
  const std::chrono::milliseconds timeout_;
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
  if (auto s = adapter::CheckQueryKeys(url, {"ver", "api-version"}); !s.ok()) {
    return adapter::FailUrl(ctx, s.error().message());
  }
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
  if (response.transport != HttpResponse::Transport::kAnswered) {
    // A flow run cannot be deduplicated or looked up by our message.
    return adapter::NotAnswered(response, /*deduplicates=*/false);
  }
  std::string code, message;
  if (auto j = adapter::ParseJson(response.body); j && j->contains("error")) {
    code = adapter::MemberText((*j)["error"], "code");
    message = adapter::OneLine(adapter::MemberText((*j)["error"], "message"));
  }
  std::string detail = code.empty() ? message : message.empty() ? code : code + ": " + message;
  DeliveryResult r = adapter::ByStatus(response, detail);
  r.far_code = code;
  if (r.outcome == Outcome::kDelivered) {
    // The trigger answers 202 Accepted: the flow run started (its id says which run).
    r.remote_id = std::string(response.Header("x-ms-workflow-run-id"));
    r.reason = fmt::format("the workflow accepted it (HTTP {})", response.status);
  } else if (response.status == 404) {
    r.reason = fmt::format("the workflow does not exist or is turned off (HTTP 404{}{})",
                           detail.empty() ? "" : ": ", detail);
  }
  return r;
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<TeamsChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::teams
