// A throw-away unbound DNS server on loopback for integration tests: it answers from the local
// zones a test gives it, answers SERVFAIL (quickly) for every other name, and never contacts any
// host outside loopback.
#pragma once

#include <cstdint>
#include <string>

#include "integration/support/process.h"

namespace lifeline::testing {

// Two unbound processes: the server the test queries (127.0.0.1:<free port>, and when running as
// root also <random 127.53.x.y>:53 for resolv.conf, which cannot name a port), and a "refuser"
// that answers REFUSED to everything. Names outside the test's local zones are forwarded to the
// refuser, so the server answers them SERVFAIL at once, like a resolver whose authoritative
// servers are broken.
class Unbound {
 public:
  // Starts unbound with `server_lines` (unbound.conf "server:" clauses such as local-zone,
  // local-data) added. False with a reason in `error` when it does not come up.
  bool Start(const std::string& server_lines, std::string* error);
  void Stop();

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }  // for resolvers
  // A resolv.conf naming this server on port 53; "" when that listener could not be set up
  // (not root). Use it as probe::Options::resolv_conf.
  const std::string& resolv_conf() const { return resolv_conf_; }
  // The port-53 address in resolv_conf(), e.g. "127.53.7.9".
  const std::string& port53_ip() const { return port53_ip_; }
  std::string log() const { return ReadFile(dir_.File("unbound.log")); }

 private:
  bool Launch(Process& process, const std::string& conf_name, const std::string& config,
              std::uint16_t port, std::string* error);

  TempDir dir_;
  Process server_;
  Process refuser_;
  std::uint16_t port_ = 0;
  std::string resolv_conf_;
  std::string port53_ip_;
};

}  // namespace lifeline::testing
