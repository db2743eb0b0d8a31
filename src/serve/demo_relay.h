// The demo's messaging world: a Telegram Bot API and a WhatsApp Cloud API on one loopback HTTP
// server, and an SMTP server, each accepting what the real ones accept (the WhatsApp one fails
// while the demo's WhatsApp outage lasts). With the relay's config section that uses them. Two
// addresses show the outbox's harder states: Telegram chat "@nowhere" does not exist (failed),
// and WhatsApp number +15550100099 never answers (unconfirmed).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

class DemoMessaging {
 public:
  explicit DemoMessaging(boost::asio::io_context& io);
  ~DemoMessaging();

  // Binds both servers on 127.0.0.1 (free ports) and starts serving on the io_context.
  core::Status Start();
  void Stop();  // on the io_context's thread

  // While true the WhatsApp API answers 503 (as Meta's did on 4 October 2021).
  void SetWhatsAppFailing(bool failing);

  // Called on the io_context's thread with each message the Telegram API accepts (the chat id and
  // the text, as sendMessage got them), so the demo's customers can read what the relay sends
  // them. Set before Start; it must only queue work.
  void OnTelegramMessage(std::function<void(const std::string& chat, const std::string& text)> f);
  // Each message the simulated WhatsApp Cloud API accepts: its `to` and the wamid it answered.
  // Set before Start.
  void OnWhatsAppMessage(std::function<void(const std::string& to, const std::string& wamid)> f);

  // Adds channels, contacts, templates and alerts that use these servers to `config`: the team
  // is told of each incident on WhatsApp first, then Telegram or e-mail. Token files go to
  // `data_dir`.
  core::Status Configure(config::Config& config, const std::string& data_dir) const;

  // Messages accepted so far, per service.
  int telegram_messages() const;
  int whatsapp_messages() const;
  int emails() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lifeline::serve
