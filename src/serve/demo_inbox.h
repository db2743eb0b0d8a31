// The demo's customers (issue 11): five people write to the brand on WhatsApp and Telegram, their
// messages reaching the demo's own serve as the platforms send them — WhatsApp Cloud API webhooks
// signed with X-Hub-Signature-256, Telegram updates with the secret-token header. During the
// WhatsApp outage WhatsApp holds what is written and delivers it once back (late, out of order,
// once twice); a customer who gets the plan's move message on Telegram answers there.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

class DemoCustomers {
 public:
  DemoCustomers();
  ~DemoCustomers();  // stops the script
  DemoCustomers(const DemoCustomers&) = delete;
  DemoCustomers& operator=(const DemoCustomers&) = delete;

  // Adds to `config` the customers known on both WhatsApp and Telegram (`contacts:`) and the
  // `inbox:` section: a WhatsApp source on the brand's number (brand-whatsapp) and a Telegram
  // webhook source on the brand's bot (brand-telegram). Its secrets (the Meta app secret, the
  // verify token, Telegram's secret token) are drawn for this run and written to files in
  // `data_dir` (0600), never printed. DemoMessaging::Configure and AddDemoPlan come first.
  core::Status Configure(config::Config& config, const std::string& data_dir);

  // Runs the customers' script on its own thread once serve answers at `base_url`
  // ("http://127.0.0.1:8080/"): three write on WhatsApp before the outage, one on WhatsApp and one
  // on Telegram during it; after restoration the demo logs what the incident's sweep lists.
  void Start(const std::string& base_url, std::chrono::milliseconds outage_after,
             std::chrono::milliseconds outage_for);
  void Stop();

  // While true, WhatsApp's webhooks wait; once false they arrive a moment later, as Meta
  // delivers a backlog. Any thread.
  void SetWhatsAppFailing(bool failing);

  // A message the demo's WhatsApp Cloud API accepted for `to` as `wamid`: a customer's phone
  // reports it sent, delivered and read, as WhatsApp's statuses webhook does. Any thread.
  void WhatsAppMessage(const std::string& to, const std::string& wamid);

  // A message the demo's Telegram Bot API accepted (DemoMessaging::OnTelegramMessage): a customer
  // who gets the move message opens its link and answers. Any thread; only queues.
  void TelegramMessage(const std::string& chat, const std::string& text);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lifeline::serve
