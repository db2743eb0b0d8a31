// Config -> probe::Options (see probe_options.h).
#include "agent/probe_options.h"

namespace lifeline::agent {

probe::Options ProbeOptionsFor(const config::Config& config) {
  probe::Options options;
  options.timeout = config.timeout;
  options.slow_threshold = config.slow_threshold;
  options.concurrency = config.concurrency;
  options.ca_file = config.ca_file;
  options.resolv_conf = config.resolv_conf;
  return options;
}

}  // namespace lifeline::agent
