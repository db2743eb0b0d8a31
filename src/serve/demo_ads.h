// The demo's ad account: a Meta Marketing API (Graph) on a loopback HTTP server, answering what
// the ads guard's Meta client asks (campaigns listed and read by id, status changes, hourly
// insights) in the documented shapes, and the `ads:` section that uses it: three campaigns of a
// brand whose click-to-WhatsApp ads are worthless while WhatsApp is down. The demo plan's
// approval (`approve` then `pause: ads`) pauses the active ones; the guard resumes them once
// WhatsApp has been healthy for a settle time, and the recovery checklist reads their figures.
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

  // Adds the `ads:` section (one Meta account on this server, delivering on Facebook, Instagram
  // and WhatsApp; a policy for WhatsApp whose pausing the plan's approval decides, resuming
  // `settle` after WhatsApp is back). The token file goes to `data_dir`.
  core::Status Configure(config::Config& config, const std::string& data_dir,
                         std::chrono::milliseconds settle) const;

  // How many campaigns are active now (for tests and the demo's log).
  int active_campaigns() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lifeline::serve
