// TestHttpd and MakeTestCa: thin launchers for the shell/python test tools in tests/tools.
#include "integration/support/testhttpd.h"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace lifeline::testing {

namespace {

std::string Tool(const std::string& name) {
  return std::string(LIFELINE_SOURCE_DIR) + "/tests/tools/" + name;
}

std::string Python() {
  // The system interpreter starts in ~50 ms; PATH shims (pyenv) can take ten times that.
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return FindProgram("python3").value_or("python3");
}

}  // namespace

bool TestHttpd::Launch(const std::vector<std::string>& args, std::string* error,
                       const std::string& host) {
  host_ = host;
  tls_ = std::find(args.begin(), args.end(), "--cert") != args.end();
  std::string listen = host.find(':') != std::string::npos ? "[" + host + "]:0" : host + ":0";
  std::string port_file = dir_.File("port");
  std::vector<std::string> argv = {Python(), Tool("testhttpd.py"), "--listen",
                                   listen,   "--port-file",        port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string why;
  if (!process_.Start(argv, dir_.File("testhttpd.log"), &why)) {
    if (error) *error = why;
    return false;
  }
  return true;
}

bool TestHttpd::WaitReady(std::string* error) {
  std::string port_file = dir_.File("port");
  if (!WaitForFile(port_file, &process_)) {
    if (error) *error = "testhttpd did not start: " + log();
    process_.Stop();
    return false;
  }
  port_ = static_cast<std::uint16_t>(std::stoi(ReadFile(port_file)));
  return true;
}

std::string TestHttpd::Url(const std::string& path) const {
  std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return UrlWithHost(host, path);
}

std::string TestHttpd::UrlWithHost(const std::string& name, const std::string& path) const {
  return std::string(tls_ ? "https://" : "http://") + name + ":" + std::to_string(port_) + path;
}

bool MakeTestCa(const std::string& dir, const std::vector<std::string>& names, std::string* error) {
  if (!FindProgram("openssl")) {
    if (error) *error = "openssl is not installed";
    return false;
  }
  std::vector<std::string> argv = {"/bin/bash", Tool("testca.sh"), dir};
  argv.insert(argv.end(), names.begin(), names.end());
  std::string output;
  if (RunCommand(argv, &output) != 0) {
    if (error) *error = "testca.sh: " + output;
    return false;
  }
  return true;
}

}  // namespace lifeline::testing
