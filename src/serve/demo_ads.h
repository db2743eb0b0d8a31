// The demo's ad accounts: a Meta Marketing API (Graph) and a TikTok Business API on one loopback
// HTTP server, answering what the ads guard's Meta and TikTok clients ask (campaigns listed and
// read by id, status and budget changes, hourly figures) in the documented shapes, and the `ads:`
// section that uses them: three Meta campaigns of a brand whose click-to-WhatsApp ads are
// worthless while WhatsApp is down, and one TikTok campaign that keeps delivering. The demo
// plan's approval (`approve` then `pause: ads`) pauses the active Meta ones and, standing for the
// budget transfer's approval, moves the urgent winter-sale campaign's daily budget to the TikTok
// campaign; once WhatsApp has been healthy for a settle time the guard resumes what it paused and
// moves the budget back, and the recovery checklist reads the figures.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

class DemoAds {
 public:
  explicit DemoAds(boost::asio::io_context& io);
  ~DemoAds();
  DemoAds(const DemoAds&) = delete;
  DemoAds& operator=(const DemoAds&) = delete;

  // Binds 127.0.0.1 (a free port) and serves on the io_context.
  core::Status Start();
  void Stop();  // on the io_context's thread

  // Adds the `ads:` section (a Meta account on this server, delivering on Facebook, Instagram
  // and WhatsApp, and a TikTok one; a policy for WhatsApp whose pausing the plan's approval
  // decides, resuming `settle` after WhatsApp is back; a budget transfer from the urgent Meta
  // campaign to the TikTok one). The token files go to `data_dir`.
  core::Status Configure(config::Config& config, const std::string& data_dir,
                         std::chrono::milliseconds settle) const;

  // How many Meta campaigns are active now (for tests and the demo's log).
  int active_campaigns() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lifeline::serve
