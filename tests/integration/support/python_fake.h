// Runs one of the emulators in tests/fakes/ (smtp_sink.py, social_apis.py) on 127.0.0.1 for a test
// and stops it afterwards; the fake binds port 0 and writes the port it got to a port file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integration/support/process.h"

namespace lifeline::testing {

class PythonFake {
 public:
  // `script` is a file name in tests/fakes ("smtp_sink.py"); `args` its options besides
  // --port-file. False with `error` (and the fake's log) when it did not come up.
  bool Start(const std::string& script, const std::vector<std::string>& args, std::string* error);
  void Stop() { process_.Stop(); }

  std::uint16_t port() const { return port_; }
  const TempDir& dir() const { return dir_; }  // a scratch folder that lives as long as the fake
  std::string log() const { return ReadFile(dir_.File("fake.log")); }

 private:
  TempDir dir_{"lifeline-fake"};
  Process process_;
  std::uint16_t port_ = 0;
};

// Whether Python can import `module` (python3-aiosmtpd provides "aiosmtpd"), for a clear skip.
bool PythonHasModule(const std::string& module);

}  // namespace lifeline::testing
