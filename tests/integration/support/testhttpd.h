// Runs tests/tools/testhttpd.py (the canned HTTP(S) test server) on loopback for a test and stops
// it afterwards; the port is picked by the server itself (port 0) and read back from a port file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integration/support/process.h"

namespace lifeline::testing {

class TestHttpd {
 public:
  // `args` are testhttpd.py options besides --listen/--port-file ("--mode", "503", "--cert", ...).
  // `host` is the loopback address to bind ("127.0.0.1", "127.0.0.2", "::1").
  bool Start(const std::vector<std::string>& args, std::string* error,
             const std::string& host = "127.0.0.1") {
    return Launch(args, error, host) && WaitReady(error);
  }
  // Start() in two steps, so that several servers can start in parallel: launch them all, then
  // wait for each.
  bool Launch(const std::vector<std::string>& args, std::string* error,
              const std::string& host = "127.0.0.1");
  bool WaitReady(std::string* error);
  void Stop() { process_.Stop(); }

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/path" (https when started with --cert; IPv6 hosts in brackets).
  std::string Url(const std::string& path = "/") const;
  // Like Url() but with `name` instead of the address (for names a test DNS server maps to it).
  std::string UrlWithHost(const std::string& name, const std::string& path = "/") const;
  std::string log() const { return ReadFile(dir_.File("testhttpd.log")); }

 private:
  TempDir dir_;
  Process process_;
  std::string host_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

// tests/tools/testca.sh DIR [SAN...]: the test CA and leaves (see the script's header).
bool MakeTestCa(const std::string& dir, const std::vector<std::string>& names, std::string* error);

}  // namespace lifeline::testing
