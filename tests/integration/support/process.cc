// Process, temp-dir and port helpers for the loopback integration tests (POSIX only).
#include "integration/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lifeline::testing {

namespace fs = std::filesystem;

Process::Process(Process&& other) noexcept : pid_(other.pid_), exit_status_(other.exit_status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = other.pid_;
    exit_status_ = other.exit_status_;
    other.pid_ = -1;
  }
  return *this;
}

bool Process::Start(const std::vector<std::string>& argv, const std::string& log_file,
                    std::string* error) {
  Stop();
  exit_status_ = -1;
  if (argv.empty()) return false;
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    auto found = FindProgram(program);
    if (!found) {
      if (error) *error = program + ": not found";
      return false;
    }
    program = *found;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string log = log_file.empty() ? "/dev/null" : log_file;

  pid_t pid = fork();
  if (pid < 0) {
    if (error) *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own group: Stop() also reaches anything it starts
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_in = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (null_in >= 0) dup2(null_in, 0);
    execv(program.c_str(), args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  pid_ = pid;
  return true;
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_status_ = r == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  pid_ = -1;
  return false;
}

void Process::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  // Wait for the exit without reaping (WNOWAIT): while the child is a zombie its pid, and so its
  // process group id, cannot be reused, so the final group SIGKILL cannot hit a stranger.
  siginfo_t info{};
  while (true) {
    info.si_pid = 0;
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) break;
    if (info.si_pid == pid_) break;
    if (std::chrono::steady_clock::now() > until) {
      kill(-pid_, SIGKILL);
      waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);  // stragglers of the group, if any
  Reap();
}

void Process::Reap() {
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
}

int Process::Wait() {
  if (pid_ <= 0) return exit_status_;
  Reap();
  return exit_status_;
}

std::optional<std::string> FindProgram(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::uint16_t FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(tcp);
      continue;
    }
    // The same port must be free for UDP too (DNS servers listen on both).
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    bool udp_ok = bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(udp);
    close(tcp);
    if (udp_ok) return ntohs(addr.sin_port);
  }
  std::abort();
}

bool WaitForTcpPort(const std::string& host, std::uint16_t port,
                    std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  bool v6 = host.find(':') != std::string::npos;
  while (std::chrono::steady_clock::now() < until) {
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int rc = -1;
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      inet_pton(AF_INET6, host.c_str(), &a.sin6_addr);
      rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      inet_pton(AF_INET, host.c_str(), &a.sin_addr);
      rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    close(fd);
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool WaitForFile(const std::string& path, Process* process, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && st.st_size > 0) return true;
    if (process && !process->Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int RunCommand(const std::vector<std::string>& argv, std::string* output) {
  TempDir dir;
  std::string log = dir.File("out");
  Process p;
  if (!p.Start(argv, log)) return -1;
  int status = p.Wait();
  if (output) *output = ReadFile(log);
  return status;
}

}  // namespace lifeline::testing
