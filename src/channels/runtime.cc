// The relay assembled from a config (runtime.h): channels, relay and the one-relay-per-database
// lock.
#include "channels/runtime.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lifeline::channels {

core::Result<std::unique_ptr<RelayRuntime>> RelayRuntime::Create(const config::Config& config,
                                                                 store::Store& store,
                                                                 RuntimeOptions options) {
  std::unique_ptr<RelayRuntime> rt(new RelayRuntime());
  rt->options_ = std::move(options);
  rt->http_ = MakeCurlHttpClient(rt->options_.http);
  LoadOptions load;
  load.http = rt->http_.get();
  auto setup = LoadRelaySetup(config, load);
  if (!setup.ok()) return setup.error();
  rt->setup_ = std::move(*setup);
  RelayOptions ro;
  ro.config = rt->setup_.relay;
  ro.platform_domains = rt->setup_.platform_domains;
  ro.log = rt->options_.log;
  // The relay takes the channels; the setup keeps contacts, templates and settings.
  rt->relay_ =
      std::make_unique<Relay>(&store.Outbox(), std::move(rt->setup_.channels), std::move(ro));
  rt->setup_.channels.clear();
  rt->router_ =
      std::make_unique<Router>(rt->relay_.get(), &store, rt->setup_.contacts, rt->setup_.templates);
  rt->relay_->SetRerouter(rt->router_.get());
  auto rules = LoadAlertRules(config, *rt->router_);
  if (!rules.ok()) return rules.error();
  rt->alerts_ =
      std::make_unique<IncidentAlerts>(*rt->router_, std::move(*rules), config, rt->options_.log);
  return rt;
}

RelayRuntime::~RelayRuntime() {
  Stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

core::Result<bool> RelayRuntime::Acquire() {
  if (holds_lock_) return true;
  if (lock_fd_ < 0) {
    const std::string path = options_.database_path + ".relay";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) {
      return core::MakeError(core::ErrorCode::kUnavailable,
                             "cannot open the relay's lock file {}: {}", path,
                             std::strerror(errno));
    }
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) {
    holds_lock_ = true;
    return true;
  }
  if (errno == EWOULDBLOCK) return false;
  return core::MakeError(core::ErrorCode::kUnavailable, "cannot lock {}.relay: {}",
                         options_.database_path, std::strerror(errno));
}

core::Status RelayRuntime::Start() {
  if (!holds_lock_) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "another process delivers from {} (its relay lock is taken)",
                           options_.database_path);
  }
  return relay_->Start();
}

namespace {

// Both subscriptions under one handle.
class Watching final : public core::IncidentFeed::Subscription {
 public:
  Watching(std::unique_ptr<core::IncidentFeed::Subscription> relay,
           std::unique_ptr<core::IncidentFeed::Subscription> alerts)
      : relay_(std::move(relay)), alerts_(std::move(alerts)) {}

 private:
  std::unique_ptr<core::IncidentFeed::Subscription> relay_;
  std::unique_ptr<core::IncidentFeed::Subscription> alerts_;
};

}  // namespace

std::unique_ptr<core::IncidentFeed::Subscription> RelayRuntime::Watch(core::IncidentFeed& feed) {
  // The circuits first: the feed calls sinks in subscription order, so a circuit is open before
  // an alert about the same incident is planned (and goes straight to the next contact point).
  auto relay = relay_->Watch(feed);
  auto alerts = alerts_->Watch(feed);
  return std::make_unique<Watching>(std::move(relay), std::move(alerts));
}

ContactSender RelayRuntime::SenderToContacts() {
  return [router = router_.get()](const std::string& contact, SendRequest request) {
    Outgoing out;
    out.contact = contact;
    out.text = std::move(request.text);
    out.subject = std::move(request.subject);
    out.html = std::move(request.html);
    out.idempotency_key = std::move(request.idempotency_key);
    out.incident_id = std::move(request.incident_id);
    out.not_before = request.not_before;
    return router->Send(out);
  };
}

void RelayRuntime::Stop() {
  alerts_.reset();  // its thread enqueues through the relay: stop it first
  if (relay_) relay_->Stop();
}

}  // namespace lifeline::channels
