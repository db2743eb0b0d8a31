// Test support, header-only so it stays out of the lifeline_store library: a throw-away PostgreSQL
// cluster (Debian's postgresql package) in a temporary folder, on a Unix socket only, for the
// conformance suite and any test that needs a real PostgreSQL.
#pragma once

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace lifeline::store::pg::testing {

// The folder holding initdb and postgres (the newest /usr/lib/postgresql/N/bin), or "" when the
// postgresql package is not installed.
inline std::string FindPostgresBin() {
  std::error_code ec;
  std::vector<std::filesystem::path> found;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    auto bin = e.path() / "bin";
    if (std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "postgres")) {
      found.push_back(bin);
    }
  }
  if (found.empty()) return "";
  // Version folders are numbers: compare them as numbers (10 after 9).
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::atoi(a.parent_path().filename().c_str()) <
           std::atoi(b.parent_path().filename().c_str());
  });
  return found.back().string();
}

// A cluster owned by this process: initdb into a fresh temporary folder, postgres listening on a
// socket in that folder only (listen_addresses empty: no TCP at all), superuser "lifeline" with
// trust authentication (only this folder's socket reaches it). PostgreSQL refuses to run as root,
// so as root the server runs as the "postgres" user (or "nobody") that owns the folder.
//
// The destructor stops the server (fast shutdown) and deletes the folder. If the test process
// dies instead (an abort), the server gets SIGQUIT from the kernel (PR_SET_PDEATHSIG) and stops
// at once; only the folder is left behind in the temp dir.
//
// Durability is off (fsync=off): the cluster holds test data that dies with it.
class TestCluster {
 public:
  static core::Result<std::unique_ptr<TestCluster>> Start() {
    std::string bin = FindPostgresBin();
    if (bin.empty()) {
      return core::MakeError(core::ErrorCode::kNotFound,
                             "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); "
                             "run scripts/install-deps");
    }
    std::unique_ptr<TestCluster> c(new TestCluster());
    c->bin_ = bin;
    std::string tmpl = "/tmp/lifeline_pg_XXXXXX";  // short: a socket path has 107 bytes at most
    if (mkdtemp(tmpl.data()) == nullptr) {
      return core::MakeError(core::ErrorCode::kUnavailable, "mkdtemp {} failed", tmpl);
    }
    c->dir_ = tmpl;
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) pw = getpwnam("nobody");
      if (pw == nullptr) {
        return core::MakeError(core::ErrorCode::kFailedPrecondition,
                               "running as root and neither a postgres nor a nobody user exists "
                               "to run PostgreSQL as");
      }
      c->uid_ = pw->pw_uid;
      c->gid_ = pw->pw_gid;
      if (chown(c->dir_.c_str(), c->uid_, c->gid_) != 0) {
        return core::MakeError(core::ErrorCode::kUnavailable, "chown {} failed", c->dir_);
      }
    }
    int status = c->Run({bin + "/initdb", "-D", c->dir_ + "/data", "-U", "lifeline", "--auth=trust",
                         "--no-sync", "-E", "UTF8", "--locale=C"},
                        /*wait=*/true);
    if (status != 0) {
      return core::MakeError(core::ErrorCode::kUnavailable, "initdb failed (exit {}); see {}",
                             status, c->dir_ + "/log");
    }
    c->pid_ = c->Run({bin + "/postgres", "-D", c->dir_ + "/data", "-k", c->dir_, "-p", "5432", "-c",
                      "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c",
                      "shared_buffers=16MB", "-c", "max_connections=200"},
                     /*wait=*/false);
    if (c->pid_ <= 0) {
      return core::MakeError(core::ErrorCode::kUnavailable, "cannot start postgres");
    }
    // Wait for the server to accept connections (or to have died).
    std::string info = c->ConnInfo("postgres");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(info.c_str()) != PQPING_OK) {
      int st = 0;
      if (waitpid(c->pid_, &st, WNOHANG) == c->pid_) {
        c->pid_ = -1;
        return core::MakeError(core::ErrorCode::kUnavailable, "postgres exited at start; see {}",
                               c->dir_ + "/log");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return core::MakeError(core::ErrorCode::kDeadlineExceeded,
                               "postgres did not accept connections within 60 s; see {}",
                               c->dir_ + "/log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return c;
  }

  // The cluster tests/tools/pg_fixture.sh started for a whole ctest run, in `dir`: used, never
  // stopped or removed by this process. Fails when nothing answers there.
  static core::Result<std::unique_ptr<TestCluster>> Attach(const std::string& dir) {
    std::unique_ptr<TestCluster> c(new TestCluster());
    c->dir_ = dir;
    c->owned_ = false;
    if (PQping(c->ConnInfo("postgres").c_str()) != PQPING_OK) {
      return core::MakeError(core::ErrorCode::kUnavailable,
                             "the shared test PostgreSQL in {} does not answer", dir);
    }
    return c;
  }

  ~TestCluster() {
    if (!owned_) return;
    if (pid_ > 0) {
      kill(pid_, SIGINT);  // fast shutdown: disconnects sessions, then stops
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      int st = 0;
      while (waitpid(pid_, &st, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &st, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // A new empty database; returns its URL (postgresql://lifeline@/NAME?host=DIR&port=5432).
  core::Result<std::string> CreateDatabase() {
    // Unique across the processes sharing one cluster.
    std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
    LL_TRY(Admin("CREATE DATABASE " + name));
    return Url(name);
  }
  // Drops the database of a URL CreateDatabase returned, closing its sessions first.
  core::Status DropDatabase(const std::string& url) {
    std::string name = url.substr(url.find('@') + 2);
    name = name.substr(0, name.find('?'));
    return Admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  std::string Url(const std::string& db) const {
    return "postgresql://lifeline@/" + db + "?host=" + dir_ + "&port=5432";
  }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

 private:
  TestCluster() = default;

  std::string ConnInfo(const std::string& db) const {
    return "host=" + dir_ + " port=5432 user=lifeline dbname=" + db;
  }

  core::Status Admin(const std::string& sql) {
    std::string info = ConnInfo("postgres");
    PGconn* conn = PQconnectdb(info.c_str());
    std::string err;
    if (PQstatus(conn) != CONNECTION_OK) {
      err = PQerrorMessage(conn);
    } else {
      PGresult* res = PQexec(conn, sql.c_str());
      if (PQresultStatus(res) != PGRES_COMMAND_OK) err = PQresultErrorMessage(res);
      PQclear(res);
    }
    PQfinish(conn);
    if (!err.empty()) return core::MakeError(core::ErrorCode::kUnavailable, "{}: {}", sql, err);
    return core::Ok();
  }

  // Runs argv as the cluster's user with output to DIR/log; waits and returns the exit status, or
  // returns the child's pid.
  int Run(const std::vector<std::string>& argv, bool wait) {
    std::string log = dir_ + "/log";
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      if (uid_ != 0) {
        if (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0) _exit(126);
      }
      // After the uid change (which would clear it): the server dies with this process.
      prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (getppid() != parent) _exit(125);
      FILE* f = freopen(log.c_str(), "a", stdout);
      if (f != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      setsid();
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (!wait) return pid;
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  }

  std::string bin_;
  std::string dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
  bool owned_ = true;  // started (and so stopped and removed) by this process
  int databases_ = 0;
};

// The cluster this test process shares, or null with `why` set when it cannot run (PostgreSQL not
// installed, or it failed to start): ctest's `pg` fixture's when LIFELINE_TEST_PG_DIR_FILE names
// the file it wrote, else one this process starts on first use and stops at exit.
inline TestCluster* SharedCluster(std::string* why) {
  static std::string error;
  static std::unique_ptr<TestCluster> cluster = [] {
    if (const char* file = std::getenv("LIFELINE_TEST_PG_DIR_FILE"); file != nullptr) {
      std::ifstream in(file);
      std::string dir;
      if (in && std::getline(in, dir) && !dir.empty()) {
        auto attached = TestCluster::Attach(dir);
        if (attached.ok()) return std::move(*attached);
        error = attached.error().message();
        return std::unique_ptr<TestCluster>();
      }
    }
    auto c = TestCluster::Start();
    if (!c.ok()) {
      error = c.error().message();
      return std::unique_ptr<TestCluster>();
    }
    return std::move(*c);
  }();
  if (!cluster && why != nullptr) *why = error;
  return cluster.get();
}

}  // namespace lifeline::store::pg::testing
