// The demo's contingency plan loads against the demo's relay (the checks `lifeline plan check`
// makes), and says what the demo promises: it answers a WhatsApp outage after a short while,
// posts on the brand's Telegram channel, and escalates an unacknowledged task to the head of comms.
#include "serve/demo_plan.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "channels/config.h"
#include "channels/http.h"
#include "core/temp_dir.h"
#include "inbox/config.h"
#include "playbook/plan.h"
#include "serve/demo.h"
#include "serve/demo_inbox.h"
#include "serve/demo_relay.h"

namespace lifeline::serve {
namespace {

TEST(DemoPlan, LoadsAgainstTheDemoRelayAndEscalatesTheTaskToTheHeadOfComms) {
  boost::asio::io_context io;
  DemoMessaging messaging(io);
  ASSERT_TRUE(messaging.Start().ok());
  lifeline::testing::TempDir dir("demo-plan");
  std::vector<std::pair<std::string, std::string>> urls;
  for (const char* id : {"facebook", "instagram", "whatsapp", "x", "telegram", "tiktok"}) {
    urls.emplace_back(id, "http://127.0.0.1:9/");
  }
  config::Config config = DemoConfig(urls, {"http://127.0.0.1:9/"}, {});
  ASSERT_TRUE(messaging.Configure(config, dir.path()).ok());
  ASSERT_TRUE(AddDemoPlan(config).ok());
  DemoCustomers customers;  // their contacts and the inbox's sources
  ASSERT_TRUE(customers.Configure(config, dir.path()).ok());

  auto http = channels::MakeCurlHttpClient();
  channels::LoadOptions load;
  load.http = http.get();
  auto relay = channels::LoadRelaySetup(config, load);
  ASSERT_TRUE(relay.ok()) << relay.error().ToString();
  auto plan = playbook::LoadPlan(config, *relay);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();

  playbook::Failure whatsapp;
  whatsapp.platforms = {"whatsapp"};
  whatsapp.domain = "meta";
  auto responding = plan->Responding(whatsapp);
  ASSERT_EQ(responding.size(), 1u);
  EXPECT_EQ(responding[0]->trigger.min_duration, kDemoPlanAfter);
  const auto surviving = plan->Surviving(whatsapp);
  ASSERT_EQ(surviving.size(), 1u);
  EXPECT_EQ(surviving[0]->channel, "brand-telegram");
  const playbook::EscalationPolicy* policy = plan->FindPolicy(responding[0]->escalation);
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->after, kDemoEscalateAfter);
  auto superior = plan->Reach(*policy->Level(0), std::chrono::system_clock::now());
  ASSERT_EQ(superior.size(), 1u);
  EXPECT_EQ(superior[0]->contact, "head-of-comms");
  EXPECT_EQ(responding[0]->after_restoration.monitor_window, kDemoMonitorWindow);
  // Customers waiting on the brand's WhatsApp number move to the brand's Telegram bot, where the
  // inbox's Telegram source reads their answers.
  const playbook::InventoryChannel* wa = plan->FindInventory("whatsapp");
  ASSERT_NE(wa, nullptr);
  EXPECT_EQ(wa->channel, "brand-whatsapp");
  const playbook::InventoryChannel* backup = plan->FindInventory(wa->backup);
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(backup->channel, "brand-telegram");
  std::vector<std::string> names;
  for (const auto& c : relay->channels) names.push_back(c.name);
  auto inbox = inbox::LoadInboxConfig(config, {.channels = names});
  ASSERT_TRUE(inbox.ok()) << inbox.error().ToString();
  ASSERT_NE(inbox->Find("whatsapp"), nullptr);
  EXPECT_EQ(inbox->Find("whatsapp")->channel, "brand-whatsapp");
  ASSERT_NE(inbox->Find("telegram"), nullptr);
  EXPECT_EQ(inbox->Find("telegram")->channel, "brand-telegram");
  messaging.Stop();
}

}  // namespace
}  // namespace lifeline::serve
