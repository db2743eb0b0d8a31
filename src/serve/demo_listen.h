// The demo's public chatter (issue 11): a simulated Mastodon instance on loopback whose hashtag
// timelines (#whatsappdown, #instagramdown and the brand's #lifelinedemo) answer in the documented
// shape the listening source reads, the `listen:` section that polls it, and five weeks of usual
// history seeded into the store, so that the burst of #whatsappdown posts during the demo's short
// outage is judged a spike (an evidence line on WhatsApp's diagnosis) and nothing fires outside it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace lifeline::serve {

class DemoChatter {
 public:
  explicit DemoChatter(boost::asio::io_context& io);
  ~DemoChatter();
  DemoChatter(const DemoChatter&) = delete;
  DemoChatter& operator=(const DemoChatter&) = delete;

  // Binds 127.0.0.1 (a free port) and serves on the io_context.
  core::Status Start();
  void Stop();  // on the io_context's thread

  // Adds `listen:`: the brand's mentions and hashtag, WhatsApp's and Instagram's outage chatter,
  // the simulated Mastodon polled every 2 s, and spike settings for an outage of minutes (below).
  core::Status Configure(config::Config& config) const;

  // Stores the usual chatter of the last `weeks` weeks, hour by hour up to the hour in progress
  // (posts and the hours marked as collected), into the database `config` names, before serve
  // opens it. The same hours give the same posts: a kept data folder is not counted twice.
  static core::Status SeedHistory(const config::Config& config,
                                  std::chrono::system_clock::time_point now, int weeks = 5);

  // The script, from any thread: a couple of the brand's posts now; people posting about the
  // outage, many in its first part, fewer after; a few saying it is back.
  void Greet();
  void OutageStarted(std::chrono::milliseconds outage_for);
  void OutageEnded();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lifeline::serve
