// Starts unbound in the foreground with generated configs in a temp dir; see unbound.h.
#include "integration/support/unbound.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include <fmt/core.h>

namespace lifeline::testing {

namespace {

// The parts of every config: foreground, no privileges dropped, no chroot, no remote control.
std::string Common(const std::string& dir) {
  return fmt::format(R"(  do-ip6: no
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 1
  username: ""
  chroot: ""
  directory: "{}"
  pidfile: ""
  num-threads: 1
  so-reuseport: no
)",
                     dir);
}

// Sends a DNS query for "ready.invalid" to 127.0.0.1:port over UDP until any answer comes back:
// unbound accepts connections before it serves its first query quickly.
bool WaitForDnsAnswer(std::uint16_t port, std::chrono::milliseconds timeout) {
  static const unsigned char kQuery[] = {
      0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // header, RD
      5,    'r',  'e',  'a',  'd',  'y',  7,    'i',  'n',  'v',  'a',  'l',
      'i',  'd',  0,    0x00, 0x01, 0x00, 0x01};  // A, IN
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto until = std::chrono::steady_clock::now() + timeout;
  bool answered = false;
  while (!answered && std::chrono::steady_clock::now() < until) {
    sendto(fd, kQuery, sizeof kQuery, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) == 1) {
      unsigned char buf[512];
      answered = recv(fd, buf, sizeof buf, 0) > 0;
    }
  }
  close(fd);
  return answered;
}

}  // namespace

bool Unbound::Launch(Process& process, const std::string& conf_name, const std::string& config,
                     std::uint16_t port, std::string* error) {
  std::string conf = dir_.Write(conf_name, config);
  if (auto checkconf = FindProgram("unbound-checkconf")) {
    std::string out;
    if (RunCommand({*checkconf, conf}, &out) != 0) {
      if (error) *error = "unbound-checkconf: " + out;
      return false;
    }
  }
  std::string why;
  if (!process.Start({*FindProgram("unbound"), "-d", "-c", conf}, dir_.File("unbound.log"), &why)) {
    if (error) *error = why;
    return false;
  }
  if (!WaitForTcpPort("127.0.0.1", port) || !WaitForDnsAnswer(port, std::chrono::seconds(10)) ||
      !process.Running()) {
    if (error) *error = "unbound did not start: " + log();
    process.Stop();
    return false;
  }
  return true;
}

bool Unbound::Start(const std::string& server_lines, std::string* error) {
  if (!FindProgram("unbound")) {
    if (error) *error = "unbound is not installed";
    return false;
  }
  std::uint16_t refuser_port = FreePort();
  std::string refuser = fmt::format(
      "server:\n  interface: 127.0.0.1@{}\n{}  access-control: 127.0.0.0/8 refuse\n"
      "remote-control:\n  control-enable: no\n",
      refuser_port, Common(dir_.path()));
  if (!Launch(refuser_, "refuser.conf", refuser, refuser_port, error)) return false;

  port_ = FreePort();
  std::string interfaces = fmt::format("  interface: 127.0.0.1@{}\n", port_);
  if (geteuid() == 0) {
    std::random_device random;
    port53_ip_ = fmt::format("127.53.{}.{}", random() % 250 + 1, random() % 250 + 1);
    interfaces += fmt::format("  interface: {}@53\n", port53_ip_);
  }
  std::string config = fmt::format(
      R"(server:
{interfaces}{common}  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  qname-minimisation: no
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
{extra}
remote-control:
  control-enable: no

forward-zone:
  name: "."
  forward-addr: 127.0.0.1@{refuser}
)",
      fmt::arg("interfaces", interfaces), fmt::arg("common", Common(dir_.path())),
      fmt::arg("extra", server_lines), fmt::arg("refuser", refuser_port));
  if (!Launch(server_, "unbound.conf", config, port_, error)) {
    Stop();
    return false;
  }
  if (!port53_ip_.empty()) {
    resolv_conf_ = dir_.Write("resolv.conf", fmt::format("nameserver {}\n", port53_ip_));
  }
  return true;
}

void Unbound::Stop() {
  server_.Stop();
  refuser_.Stop();
}

}  // namespace lifeline::testing
