// Generic helpers for integration tests that run real servers on loopback: a child process that is
// always stopped, a temporary directory that is always removed, free ports, readiness waits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/temp_dir.h"  // TempDir

namespace lifeline::testing {

// A child process in its own process group, stdout and stderr to `log_file` (or /dev/null).
// Stop() (and the destructor) sends SIGTERM to the group, waits up to 3 s, then SIGKILLs it.
class Process {
 public:
  Process() = default;
  ~Process() { Stop(); }
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] (looked up in PATH when it has no '/'). False (with `error`) if it cannot be
  // started at all; a program that exits right away is noticed by Running().
  bool Start(const std::vector<std::string>& argv, const std::string& log_file = "",
             std::string* error = nullptr);
  bool Running();
  void Stop();
  // Blocks until the child exits by itself; returns its exit status.
  int Wait();
  pid_t pid() const { return pid_; }
  // Exit status after Stop() or once the child has exited on its own (-1 while running).
  int exit_status() const { return exit_status_; }

 private:
  void Reap();
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

// The absolute path of `name` in PATH, /usr/sbin or /sbin; nullopt when not installed.
std::optional<std::string> FindProgram(const std::string& name);

// A port on 127.0.0.1 that was free for both TCP and UDP a moment ago.
std::uint16_t FreePort();

// Polls until something accepts TCP connections on host:port, or `timeout` passes.
bool WaitForTcpPort(const std::string& host, std::uint16_t port,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Polls until `path` exists and is not empty, or `timeout` passes; also stops early (false) when
// `process` (optional) has exited.
bool WaitForFile(const std::string& path, Process* process = nullptr,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The whole file ("" when unreadable).
std::string ReadFile(const std::string& path);

// Runs argv to completion (stdout+stderr into `output` when given); returns the exit status or -1.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace lifeline::testing
