// The WhatsApp Business Cloud API adapter (whatsapp.h): config from YAML or whatsapp:// URLs, text
// and template requests, and the classification of Graph API answers by WhatsApp's error codes.
#include "channels/whatsapp/whatsapp.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/core.h>

#include "channels/http_adapter.h"

namespace lifeline::channels::whatsapp {

namespace yaml = config::yaml;
using core::Result;
using core::Status;

namespace {

// Template names are lowercase letters, digits and underscores.
bool IsTemplateName(std::string_view s) {
  return !s.empty() && s.size() <= 512 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "en", "en_US", "pt_BR", "zh_HK"...
bool IsLanguage(std::string_view s) {
  auto lower = [](std::string_view p) {
    return p.size() >= 2 && p.size() <= 3 && std::all_of(p.begin(), p.end(), [](char c) {
             return std::islower(static_cast<unsigned char>(c));
           });
  };
  auto underscore = s.find('_');
  if (underscore == std::string_view::npos) return lower(s);
  std::string_view region = s.substr(underscore + 1);
  return lower(s.substr(0, underscore)) && region.size() == 2 &&
         std::all_of(region.begin(), region.end(),
                     [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

// Pair rate: one message every 6 seconds to the same person. Throughput: 80 a second per number.
Traits TraitsFor(const Config& c) {
  Traits t;
  t.max_chars = kMaxChars;
  t.needs_recipient = c.to.empty();
  if (c.to.empty()) {
    t.rate_per_second = 80;
    t.burst = 80;
  } else {
    t.rate_per_second = 1.0 / 6.0;
    t.burst = 1;
  }
  return t;
}

class WhatsAppChannel final : public adapter::HttpChannel<Config> {
 public:
  WhatsAppChannel(std::string name, Config config, HttpClient* http,
                  std::chrono::milliseconds timeout)
      : HttpChannel(std::move(config), http, timeout) {
    info_ =
        adapter::MakeInfo(std::move(name), "whatsapp", "whatsapp", config_.to, TraitsFor(config_));
  }

  Status Check(const OutgoingMessage& m) const override {
    auto to = Recipient(m);
    if (!to.ok()) return to.error();
    LL_TRY(adapter::CheckText(info_.name, m));
    return adapter::CheckLimit(info_.name, adapter::CodePoints(Render(m)), kMaxChars, "characters",
                               "WhatsApp");
  }

 private:
  DeliveryResult Deliver(const OutgoingMessage& m) override {
    std::string to = *Recipient(m);
    DeliveryResult r = Classify(http_->Do(BuildTextRequest(config_, to, m, timeout_)));
    if (r.far_code != "131047") return r;
    if (config_.template_name.empty()) {
      r.reason +=
          "; no template is configured for this channel (template: NAME), so nothing "
          "can reach this person until they write again";
      return r;
    }
    // Outside the customer-service window only an approved template may be sent.
    DeliveryResult t = Classify(http_->Do(BuildTemplateRequest(config_, to, m, timeout_)));
    if (t.outcome == Outcome::kDelivered) {
      t.reason = fmt::format(
          "the 24-hour window is closed (131047): sent template '{}' ({}) "
          "with the text as its parameter",
          config_.template_name, config_.template_language);
    } else {
      t.reason = fmt::format("the 24-hour window is closed (131047), and template '{}': {}",
                             config_.template_name, t.reason);
    }
    return t;
  }

  Result<std::string> Recipient(const OutgoingMessage& m) const {
    return adapter::RecipientE164(info_.name, m.to, config_.to);
  }
};

using adapter::Problem;

std::optional<Problem> Validate(const Config& c) {
  if (!adapter::IsDigits(c.phone_number_id)) {
    return Problem{"phone_number_id",
                   "the phone number id is digits (the id WhatsApp Manager shows for the "
                   "number, not the number itself)"};
  }
  if (!c.to.empty() && !adapter::NormalizeE164(c.to)) {
    return Problem{"to",
                   fmt::format("'{}' is not a phone number in E.164 form (+15551234567)", c.to)};
  }
  if (!c.template_name.empty() && !IsTemplateName(c.template_name)) {
    return Problem{"template.name",
                   fmt::format("'{}' is not a template name (lowercase letters, digits and '_')",
                               c.template_name)};
  }
  if (!IsLanguage(c.template_language)) {
    return Problem{
        "template.language",
        fmt::format("'{}' is not a language code (en, en_US, pt_BR...)", c.template_language)};
  }
  if (!adapter::IsGraphVersion(c.api_version)) {
    return Problem{"api_version",
                   fmt::format("'{}' is not a Graph API version (v21.0)", c.api_version)};
  }
  return std::nullopt;
}

Result<std::unique_ptr<Channel>> FromYaml(const BuildContext& ctx, const yaml::Fields& fields) {
  LL_TRY(adapter::CheckKeys(
      ctx, fields, {"token", "phone_number_id", "to", "template", "api_version", "api_base"}));
  Config c;
  LL_ASSIGN(c.token, adapter::RequiredSecret(ctx, fields, "token", "a Cloud API access token"));
  LL_ASSIGN(c.phone_number_id,
            adapter::RequiredString(ctx, fields, "phone_number_id", "the sending number's id"));
  LL_ASSIGN(c.to, adapter::OptionalString(ctx, fields, "to", "a phone number (+15551234567)"));
  if (const yaml::Field* t = fields.Find("template")) {
    LL_ASSIGN(yaml::Fields tf, yaml::ReadMap(ctx.doc, t->value, t->where, {"name", "language"},
                                             "a template ({ name: NAME, language: en_US })"));
    const yaml::Field* name = tf.Find("name");
    if (name == nullptr) {
      return yaml::Fail(ctx.doc, t->where, "missing 'name' (the approved template's name)");
    }
    LL_ASSIGN(c.template_name,
              yaml::GetNonEmpty(ctx.doc, name->value, name->where, "the approved template's name"));
    if (const yaml::Field* lang = tf.Find("language")) {
      LL_ASSIGN(c.template_language, yaml::GetNonEmpty(ctx.doc, lang->value, lang->where,
                                                       "a language code such as en_US"));
    }
    if (auto p = Validate(c); p && p->key.starts_with("template.")) {
      const yaml::Field* at = p->key == "template.name" ? name : tf.Find("language");
      return yaml::Fail(ctx.doc, yaml::At(at->where, at->value), p->what);
    }
  }
  LL_ASSIGN(std::string version, adapter::OptionalString(ctx, fields, "api_version", "v21.0"));
  if (!version.empty()) c.api_version = version;
  LL_ASSIGN(c.api_base, adapter::OptionalSecureBase(ctx, fields, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailProblem(ctx, fields, *p);
  if (!c.to.empty()) c.to = *adapter::NormalizeE164(c.to);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

Result<std::unique_ptr<Channel>> FromUrl(const BuildContext& ctx, const AppriseUrl& url) {
  LL_TRY(adapter::CheckUrlQuery(ctx, url, {"template", "lang", "api_base", "api_version", "to"}));
  Config c;
  // Apprise: whatsapp://TOKEN@FROM_PHONE_ID/... or whatsapp://TEMPLATE:TOKEN@FROM_PHONE_ID/...
  if (!url.password.empty()) {
    c.template_name = url.user;
    c.token = url.password;
  } else {
    c.token = url.user;
  }
  c.phone_number_id = url.host;
  if (c.token.empty() || c.phone_number_id.empty()) {
    return adapter::FailUrl(ctx, "expected whatsapp://[TEMPLATE:]TOKEN@PHONE_NUMBER_ID/TO_PHONE");
  }
  if (url.path.size() > 1) {
    return adapter::FailUrl(ctx,
                            "one recipient per channel: define a channel for each number, "
                            "or give the recipient with each message");
  }
  if (!url.path.empty()) c.to = url.path[0];
  if (std::string to = adapter::QueryValue(url, "to"); !to.empty()) c.to = to;
  if (std::string t = adapter::QueryValue(url, "template"); !t.empty()) c.template_name = t;
  if (std::string l = adapter::QueryValue(url, "lang"); !l.empty()) c.template_language = l;
  if (std::string v = adapter::QueryValue(url, "api_version"); !v.empty()) c.api_version = v;
  LL_ASSIGN(c.api_base, adapter::QuerySecureBase(ctx, url, "api_base", c.api_base));
  if (auto p = Validate(c)) return adapter::FailUrl(ctx, p->what);
  if (!c.to.empty()) c.to = *adapter::NormalizeE164(c.to);
  return Make(ctx.name, std::move(c), ctx.http, ctx.timeout);
}

HttpRequest Post(const Config& config, const nlohmann::json& body,
                 std::chrono::milliseconds timeout) {
  HttpRequest req = adapter::JsonPost(
      fmt::format("{}/{}/{}/messages", config.api_base, config.api_version, config.phone_number_id),
      adapter::Dump(body), timeout);
  req.headers.emplace_back("Authorization", "Bearer " + config.token);
  return req;
}

}  // namespace

const Kind kKind = {"whatsapp", {"whatsapp"}, "whatsapp", &FromYaml, &FromUrl};

std::string Render(const OutgoingMessage& m) {
  if (m.subject.empty()) return m.text;
  std::string subject = "*" + m.subject + "*";
  return m.text.empty() ? subject : subject + "\n" + m.text;
}

std::string TemplateParameter(const OutgoingMessage& m) {
  std::string joined = m.subject.empty() ? m.text
                       : m.text.empty()  ? m.subject
                                         : m.subject + ": " + m.text;
  // WhatsApp refuses newlines, tabs and long space runs in a parameter: lines are joined with
  // " | " and every run of white space becomes one space.
  std::string out;
  bool pending_space = false;
  for (char c : joined) {
    if (c == '\n') {
      if (!out.empty() && !out.ends_with(" |")) out += " |";
      pending_space = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += c;
  }
  if (out.ends_with(" |")) out.resize(out.size() - 2);
  if (adapter::CodePoints(out) <= kMaxParameterChars) return out;
  // Cut at a code point boundary, leaving room for "...".
  std::size_t kept = 0, i = 0;
  for (; i < out.size(); ++i) {
    if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80 && ++kept > kMaxParameterChars - 3) {
      break;
    }
  }
  return out.substr(0, i) + "...";
}

HttpRequest BuildTextRequest(const Config& config, const std::string& to, const OutgoingMessage& m,
                             std::chrono::milliseconds timeout) {
  nlohmann::json body = {
      {"messaging_product", "whatsapp"},
      {"recipient_type", "individual"},
      {"to", to},
      {"type", "text"},
      {"text", {{"preview_url", false}, {"body", Render(m)}}},
  };
  return Post(config, body, timeout);
}

HttpRequest BuildTemplateRequest(const Config& config, const std::string& to,
                                 const OutgoingMessage& m, std::chrono::milliseconds timeout) {
  nlohmann::json parameter = {{"type", "text"}, {"text", TemplateParameter(m)}};
  nlohmann::json body = {
      {"messaging_product", "whatsapp"},
      {"recipient_type", "individual"},
      {"to", to},
      {"type", "template"},
      {"template",
       {{"name", config.template_name},
        {"language", {{"code", config.template_language}}},
        {"components",
         nlohmann::json::array(
             {{{"type", "body"}, {"parameters", nlohmann::json::array({parameter})}}})}}},
  };
  return Post(config, body, timeout);
}

namespace {

// What a Cloud API answer says: the accepted message, or WhatsApp's error code.
adapter::Reading Read(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  adapter::Reading reading;
  if (adapter::StatusOutcome(response.status) == Outcome::kDelivered) {
    if (j && j->contains("messages") && (*j)["messages"].is_array() && !(*j)["messages"].empty()) {
      const nlohmann::json& first = (*j)["messages"][0];
      reading.verdict = adapter::Verdict::kDelivered;
      reading.remote_id = adapter::MemberText(first, "id");
      std::string status = adapter::MemberText(first, "message_status");
      reading.reason =
          status.empty() ? "accepted by WhatsApp" : "accepted by WhatsApp (" + status + ")";
      return reading;
    }
    reading.verdict = adapter::Verdict::kUnconfirmed;
    reading.reason =
        fmt::format("HTTP {} without the Cloud API's answer: delivery unknown", response.status);
    return reading;
  }
  if (!j || !j->contains("error") || !(*j)["error"].is_object()) return reading;
  const nlohmann::json& e = (*j)["error"];
  long long code = adapter::MemberInt(e, "code").value_or(0);
  std::string message = adapter::OneLine(adapter::MemberText(e, "message"));
  std::string details;
  if (e.contains("error_data") && e["error_data"].is_object()) {
    details = adapter::OneLine(adapter::MemberText(e["error_data"], "details"));
  }
  std::string words = details.empty() ? message : message + " (" + details + ")";
  reading.far_code = std::to_string(code);
  switch (code) {
    case 130429:  // throughput: the number's messages per second
    case 80007:   // the business account's rate limit
    case 4:       // the app's call rate
    case 80008:
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.reason = fmt::format("WhatsApp rate limit ({}): {}", code, words);
      return reading;
    case 131056:  // pair rate: one message every 6 seconds to the same person
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.wait.stated = std::chrono::seconds(6);
      reading.reason = fmt::format("WhatsApp pair rate limit (131056): {}", words);
      return reading;
    case 131048:  // spam rate limit: held back for a while, not for good
      reading.verdict = adapter::Verdict::kRateLimited;
      reading.wait.retry_after_header = false;
      reading.reason = fmt::format("WhatsApp spam rate limit (131048): {}", words);
      return reading;
    case 1:       // API unknown
    case 2:       // API service (temporary)
    case 131000:  // something went wrong
    case 131016:  // service unavailable
    case 133004:  // server temporarily unavailable
      reading.verdict = adapter::Verdict::kRetry;
      reading.reason = fmt::format("WhatsApp failed ({}), try later: {}", code, words);
      return reading;
    case 131047:
      reading.verdict = adapter::Verdict::kFailed;
      reading.reason =
          fmt::format("the 24-hour customer-service window is closed (131047): {}", words);
      return reading;
    case 0:
    case 190:
      reading.verdict = adapter::Verdict::kFailed;
      reading.reason = fmt::format("WhatsApp refused the access token ({}): {}", code, words);
      return reading;
    case 131026:
      reading.verdict = adapter::Verdict::kFailed;
      reading.reason = fmt::format(
          "undeliverable (131026: not on WhatsApp, an old app, or the person "
          "has not accepted the terms): {}",
          words);
      return reading;
    default:
      break;
  }
  // Every other code (100 invalid parameter, 131009, 131021, 131030 not an allowed number,
  // 131031 account locked, 131042 payment, 132xxx template problems, 133010 number not
  // registered, 368 policy block, 10 and 200-299 permissions...) needs a person to act.
  reading.verdict = response.status >= 500 ? adapter::Verdict::kRetry : adapter::Verdict::kFailed;
  reading.wait.retry_after_header = false;
  reading.reason = fmt::format("WhatsApp refused the message ({}): {}", code, words);
  return reading;
}

}  // namespace

DeliveryResult Classify(const HttpResponse& response) {
  // The Cloud API takes no idempotency key: a resend may reach the person twice.
  return adapter::Classify(response, /*deduplicates=*/false, Read(response));
}

std::unique_ptr<Channel> Make(std::string name, Config config, HttpClient* http,
                              std::chrono::milliseconds timeout) {
  return std::make_unique<WhatsAppChannel>(std::move(name), std::move(config), http, timeout);
}

}  // namespace lifeline::channels::whatsapp
