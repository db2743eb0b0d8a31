// The demo's contingency plan (demo_plan.h): its YAML, and the channel and contact it adds.
#include "serve/demo_plan.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

namespace lifeline::serve {
namespace {

constexpr const char* kDemoPlan = R"yaml(
name: Demo brand's contingency plan
roles:
  community_manager: Answers customers and the audience
  comms_lead: Speaks for the brand
  superior: Takes over what nobody picks up
team:
  alex: {{ contact: community-manager, roles: [community_manager] }}
  sam: {{ contact: comms-lead, roles: [comms_lead] }}
  kim: {{ contact: head-of-comms, roles: [superior] }}
inventory:
  whatsapp:
    platform: whatsapp
    channel: brand-whatsapp  # the number customers write to (the inbox's WhatsApp source)
    audience: 12000
    primary: true
    backup: telegram
    link: https://wa.me/15550100002
  telegram:
    name: Telegram channel
    channel: brand-telegram
    audience: 4000
    link: https://t.me/lifeline_demo
escalation:
  to-superior: {{ after: {escalate}s, to: [superior] }}
responses:
  whatsapp-outage:
    description: "WhatsApp is down: tell the team, tell customers where to reach us, chase the replies"
    trigger: {{ platforms: [whatsapp], verdicts: [outage, regional_outage], for: {after}s }}
    escalation: to-superior
    steps:
      - notify:
          to: [community_manager, comms_lead]
          text: "Lifeline plan: {{platform}} is down since {{time}} ({{incident_id}}). The holding statement goes out on {{backup_channel}}."
      - post:
          text: "{{platform}} is not working right now. Reach us on our {{backup_channel}}: {{backup_link}}"
      - task: {{ title: Answer on Telegram the customers who wrote on WhatsApp, role: community_manager }}
      - task: {{ title: Pin the Telegram link on Instagram and Facebook, role: community_manager }}
      - move_conversations: {{ to: telegram, on_restoration: back }}
      - approve:
          role: superior
          what: Pause the WhatsApp click-to-chat ads until WhatsApp is back
          timeout: 2m
          on_timeout: continue
      - pause: [ads, scheduled_posts]
    after_restoration:
      checklist:
        - {{ title: Check that no WhatsApp message went unanswered, role: community_manager }}
      monitor: {{ window: {window}s }}
)yaml";

}  // namespace

core::Status AddDemoPlan(config::Config& config) {
  config::PartSection* channels = nullptr;
  config::PartSection* contacts = nullptr;
  for (config::PartSection& s : config.sections) {
    if (s.key == "channels") channels = &s;
    if (s.key == "contacts") contacts = &s;
  }
  if (channels == nullptr || contacts == nullptr || !channels->node["team-telegram"]) {
    return core::MakeError(core::ErrorCode::kInternal,
                           "demo plan: the demo's relay config (channels, contacts) comes first");
  }
  // The brand's public Telegram channel: the team's bot, another chat.
  YAML::Node brand = YAML::Clone(channels->node["team-telegram"]);
  brand["chat"] = "@lifeline_demo";
  channels->node["brand-telegram"] = brand;
  YAML::Node kim;
  kim["name"] = "Kim (head of comms)";
  kim["role"] = "superior";
  YAML::Node point;
  point["channel"] = "team-email";
  point["to"] = "kim@demo.lifeline.test";
  kim["points"].push_back(point);
  contacts->node["head-of-comms"] = kim;

  const std::string yaml = fmt::format(kDemoPlan, fmt::arg("escalate", kDemoEscalateAfter.count()),
                                       fmt::arg("after", kDemoPlanAfter.count()),
                                       fmt::arg("window", kDemoMonitorWindow.count()));
  YAML::Node plan;
  try {
    plan = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return core::MakeError(core::ErrorCode::kInternal, "demo plan: {}", e.what());
  }
  std::erase_if(config.sections, [](const config::PartSection& s) { return s.key == "plan"; });
  config.sections.push_back(
      {"plan", config::yaml::Doc{"<demo plan>", {}}, {plan.Mark(), "plan"}, plan});
  return core::Ok();
}

}  // namespace lifeline::serve
