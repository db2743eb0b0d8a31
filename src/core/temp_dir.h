// A temporary directory for tests, removed with everything in it when it goes out of scope. One
// header for the unit and integration tests, which all need one (header-only: no test code in
// the library).
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace lifeline::testing {

class TempDir {
 public:
  // Under $TMPDIR (or /tmp), named `prefix`-XXXXXX. Mode 0755, so that a test's unprivileged
  // child process or server can reach files inside.
  explicit TempDir(std::string_view prefix = "lifeline-test") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    chmod(path_.c_str(), 0755);  // a test may have made it read-only
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path()/name (its folder must exist) and returns that path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = File(name);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace lifeline::testing
