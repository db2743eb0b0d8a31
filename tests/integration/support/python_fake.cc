// PythonFake: launcher for the emulators in tests/fakes (python_fake.h).
#include "integration/support/python_fake.h"

#include <unistd.h>

namespace lifeline::testing {

namespace {

std::string Python() {
  // The system interpreter has the Debian packages the fakes use (python3-aiosmtpd); a PATH shim
  // (pyenv) may not.
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return FindProgram("python3").value_or("python3");
}

}  // namespace

bool PythonFake::Start(const std::string& script, const std::vector<std::string>& args,
                       std::string* error) {
  std::string port_file = dir_.File("port");
  std::vector<std::string> argv = {Python(),
                                   std::string(LIFELINE_SOURCE_DIR) + "/tests/fakes/" + script,
                                   "--port-file", port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string why;
  if (!process_.Start(argv, dir_.File("fake.log"), &why)) {
    if (error) *error = why;
    return false;
  }
  if (!WaitForFile(port_file, &process_)) {
    if (error) *error = script + " did not start: " + log();
    process_.Stop();
    return false;
  }
  port_ = static_cast<std::uint16_t>(std::stoi(ReadFile(port_file)));
  return true;
}

bool PythonHasModule(const std::string& module) {
  return RunCommand({Python(), "-c", "import " + module}) == 0;
}

}  // namespace lifeline::testing
