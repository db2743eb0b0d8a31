// SQLite-only behaviour: what is (not) in the file, migrations, and the failure modes a user can
// meet (locked, read-only, corrupt, foreign file, missing directory, kill -9).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "store/migrations/migrations.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

using lifeline::testing::TempDir;

namespace fs = std::filesystem;
using core::ErrorCode;
using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

const Time kT0 = FromMillis(1'795'773'600'000);
constexpr uid_t kNobody = 65534;

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _r = (expr);                                             \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::unique_ptr<Store> MustOpen(const std::string& path, OpenOptions o = {}) {
  auto s = OpenSqlite(path, o);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().ToString();
    return nullptr;
  }
  return std::move(*s);
}

// A plain sqlite3 connection, as another program (or an sqlite3 shell) would hold.
class Raw {
 public:
  explicit Raw(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) std::abort();
  }
  ~Raw() { sqlite3_close(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return "<error>";
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

core::Status OpenStatus(const std::string& path) {
  auto s = OpenSqlite(path);
  if (!s.ok()) return s.error();
  return core::Ok();
}

struct ChildResult;
ChildResult RunUnprivileged(const std::function<core::Status()>& fn);

// The unprivileged child must reach the test directory, or the test would test the wrong thing.
bool ChildCanReach(const std::string& dir);

struct ChildResult {
  bool ok = false;
  int code = -1;
  std::string message;
};

// Runs fn in a child process without root's power to ignore file modes (as "nobody" when the
// tests run as root, which CI does), and reports the Status it returned.
ChildResult RunUnprivileged(const std::function<core::Status()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(2);
    }
    auto s = fn();
    std::string out =
        s.ok() ? "ok\n"
               : std::to_string(static_cast<int>(s.error().code())) + "\n" + s.error().message();
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildResult r;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.message = "child failed with status " + std::to_string(status);
    return r;
  }
  if (got.starts_with("ok\n")) {
    r.ok = true;
    return r;
  }
  auto nl = got.find('\n');
  r.code = std::stoi(got.substr(0, nl));
  r.message = got.substr(nl + 1);
  return r;
}

bool ChildCanReach(const std::string& dir) {
  return RunUnprivileged([&]() -> core::Status {
           if (access(dir.c_str(), X_OK) == 0) return core::Ok();
           return core::Error(ErrorCode::kPermissionDenied, "cannot reach");
         })
      .ok;
}

TEST(SqliteStore, SecretsAndAddressesNeverReachTheFile) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  auto token = store->CreateToken({"ci", Role::kAdmin, kT0});
  ASSERT_TRUE(token.ok());
  auto key = store->ClientKey("198.51.100.77", kT0);
  ASSERT_TRUE(key.ok());
  ASSERT_OK(store->AddReport({"instagram", "", *key, kT0}));

  auto all_bytes = [&] {
    return ReadBytes(path) + ReadBytes(path + "-wal") + ReadBytes(path + "-shm");
  };
  auto secret_hex = token->secret.substr(4);
  // While open (the data sits in the WAL) ...
  std::string bytes = all_bytes();
  EXPECT_NE(bytes.find(token->token.hash), std::string::npos) << "the hash is what is stored";
  EXPECT_EQ(bytes.find(secret_hex), std::string::npos);
  EXPECT_EQ(bytes.find("198.51.100.77"), std::string::npos);
  // ... and after closing (checkpointed into the main file).
  store.reset();
  bytes = all_bytes();
  EXPECT_NE(bytes.find(token->token.hash), std::string::npos);
  EXPECT_EQ(bytes.find(secret_hex), std::string::npos);
  EXPECT_EQ(bytes.find("198.51.100.77"), std::string::npos);
}

TEST(SqliteStore, MigrationsRunOnceAndReopenIsIdempotent) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  ASSERT_TRUE(MustOpen(path));
  const auto& list = migrations::kSqliteMigrations;
  ASSERT_FALSE(list.empty());
  std::string applied_at;
  {
    Raw raw(path);
    EXPECT_EQ(raw.Text("SELECT count(*) FROM schema_version"), std::to_string(list.size()));
    EXPECT_EQ(raw.Text("SELECT max(version) FROM schema_version"),
              std::to_string(list.back().version));
    EXPECT_EQ(raw.Text("SELECT name FROM schema_version WHERE version = 1"), "0001_initial");
    EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
    applied_at = raw.Text("SELECT group_concat(applied_at) FROM schema_version");
  }
  for (int i = 0; i < 2; ++i) {
    auto store = MustOpen(path);
    ASSERT_TRUE(store);
    ASSERT_OK(store->PutStatusPage({"x", "none", "", kT0, "{}"}));
  }
  Raw raw(path);
  EXPECT_EQ(raw.Text("SELECT count(*) FROM schema_version"), std::to_string(list.size()));
  EXPECT_EQ(raw.Text("SELECT group_concat(applied_at) FROM schema_version"), applied_at);
}

TEST(SqliteStore, NewerSchemaIsRefused) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  ASSERT_TRUE(MustOpen(path));
  {
    Raw raw(path);
    ASSERT_EQ(raw.Exec("INSERT INTO schema_version VALUES (999, '0999_future', 0)"), SQLITE_OK);
  }
  auto s = OpenSqlite(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.error().message(), HasSubstr("999"));
  EXPECT_THAT(s.error().message(), HasSubstr(path));
  EXPECT_THAT(s.error().message(), HasSubstr("newer lifeline"));
}

TEST(SqliteStore, AnotherProgramsDatabaseIsRefusedAndUntouched) {
  TempDir dir;
  std::string path = dir.File("places.sqlite");
  {
    Raw raw(path);
    ASSERT_EQ(raw.Exec("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x')"),
              SQLITE_OK);
  }
  std::string before = ReadBytes(path);
  auto s = OpenSqlite(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.error().message(), HasSubstr("not Lifeline's"));
  EXPECT_TRUE(ReadBytes(path) == before) << "the file was modified";
  Raw raw(path);
  EXPECT_EQ(raw.Text("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'"), "0");
}

TEST(SqliteStore, LockedDatabaseIsUnavailableNotEmpty) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  OpenOptions fast;
  fast.busy_timeout = std::chrono::milliseconds(100);
  auto store = MustOpen(path, fast);
  ASSERT_TRUE(store);
  PlatformState st;
  st.platform = "instagram";
  st.verdict = core::Verdict::kUp;
  st.updated_at = kT0;
  ASSERT_OK(store->PutPlatformState(st));
  auto inc = store->OpenIncident(
      {IncidentKind::kPlatform, "", {"instagram"}, core::Verdict::kOutage, "down", kT0, "", "{}"});
  ASSERT_TRUE(inc.ok());

  Raw other(path);
  ASSERT_EQ(other.Exec("BEGIN EXCLUSIVE; INSERT INTO meta VALUES ('held', 'by another program')"),
            SQLITE_OK);

  // A write waits busy_timeout, then says clearly what is wrong.
  auto ev = store->AppendEvent(inc->id, {kT0, "note", "x", "{}"});
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(ev.error().message(), HasSubstr("database is locked by another process"));
  EXPECT_THAT(ev.error().message(), HasSubstr(path));
  // Reads still see the last committed state (WAL), never an empty board.
  auto states = store->ListPlatformStates();
  ASSERT_TRUE(states.ok()) << states.error().ToString();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].verdict, core::Verdict::kUp);

  // Opening it meanwhile fails the same clear way.
  auto second = OpenSqlite(path, fast);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(second.error().message(), HasSubstr("database is locked by another process"));

  ASSERT_EQ(other.Exec("ROLLBACK"), SQLITE_OK);
  ASSERT_OK(store->AppendEvent(inc->id, {kT0, "note", "after", "{}"}));
  EXPECT_TRUE(OpenSqlite(path, fast).ok());
}

TEST(SqliteStore, ReadOnlyFileIsPermissionDenied) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  ASSERT_TRUE(MustOpen(path));
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  if (geteuid() == 0) {
    // Only the file is read-only: the directory belongs to the unprivileged user.
    ASSERT_EQ(chown(dir.path().c_str(), kNobody, kNobody), 0);
  }
  if (!ChildCanReach(dir.path()))
    GTEST_SKIP() << "an unprivileged user cannot reach " << dir.path();
  std::string before = ReadBytes(path);
  auto r = RunUnprivileged([&] { return OpenStatus(path); });
  ASSERT_FALSE(r.ok) << "a read-only database opened for writing";
  EXPECT_EQ(r.code, static_cast<int>(ErrorCode::kPermissionDenied)) << r.message;
  EXPECT_THAT(r.message, HasSubstr(path));
  EXPECT_THAT(r.message, HasSubstr("writable"));
  EXPECT_TRUE(ReadBytes(path) == before) << "the file was modified";
}

TEST(SqliteStore, ReadOnlyDirectoryIsPermissionDenied) {
  TempDir dir;
  std::string existing = dir.File("lifeline.db");
  ASSERT_TRUE(MustOpen(existing));
  ASSERT_EQ(chmod(dir.path().c_str(), 0555), 0);
  if (!ChildCanReach(dir.path()))
    GTEST_SKIP() << "an unprivileged user cannot reach " << dir.path();
  for (const auto& path : {existing, dir.File("new.db")}) {
    auto r = RunUnprivileged([&] { return OpenStatus(path); });
    ASSERT_FALSE(r.ok) << path;
    EXPECT_EQ(r.code, static_cast<int>(ErrorCode::kPermissionDenied)) << r.message;
    EXPECT_THAT(r.message, HasSubstr(dir.path()));
  }
  EXPECT_FALSE(fs::exists(dir.File("new.db")));
}

TEST(SqliteStore, GarbageFileIsDataLossAndLeftUntouched) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage += static_cast<char>((i * 7919) % 251);
  WriteBytes(path, garbage);
  auto s = OpenSqlite(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss);
  EXPECT_THAT(s.error().message(), HasSubstr(path));
  EXPECT_THAT(s.error().message(), HasSubstr("not modified"));
  EXPECT_TRUE(ReadBytes(path) == garbage) << "the file was modified";
  EXPECT_FALSE(fs::exists(path + "-wal"));
}

TEST(SqliteStore, CorruptPagesAreDataLoss) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  {
    auto store = MustOpen(path);
    ASSERT_TRUE(store);
    std::vector<ProbeSample> batch;
    for (int i = 0; i < 5000; ++i) {
      ProbeSample s;
      s.platform = "platform" + std::to_string(i % 7);
      s.probe_id = "web";
      s.at = kT0 + seconds(i);
      s.ok = true;
      s.total_ms = i;
      batch.push_back(s);
    }
    ASSERT_OK(store->AddProbeSamples(batch));
  }
  // Keep the header and the schema page; scribble over the pages after them.
  std::string bytes = ReadBytes(path);
  ASSERT_GT(bytes.size(), 16u * 4096u);
  for (std::size_t i = 2 * 4096; i < bytes.size(); i += 3) bytes[i] = static_cast<char>(0xA5);
  WriteBytes(path, bytes);
  auto s = OpenSqlite(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kDataLoss) << s.error().ToString();
  EXPECT_THAT(s.error().message(), HasSubstr(path));
  EXPECT_TRUE(ReadBytes(path) == bytes) << "the file was modified";
}

TEST(SqliteStore, MissingDirectoriesAreCreated) {
  TempDir dir;
  std::string path = dir.File("a/b/c/lifeline.db");
  ASSERT_TRUE(MustOpen(path));
  EXPECT_TRUE(fs::is_regular_file(path));

  WriteBytes(dir.File("plainfile"), "x");
  auto s = OpenSqlite(dir.File("plainfile/sub/lifeline.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound) << s.error().ToString();
  EXPECT_THAT(s.error().message(), HasSubstr("plainfile"));
}

// An event the store reported as stored survives the process being killed with SIGKILL, even
// while the process goes on writing.
TEST(SqliteStore, ReportedEventSurvivesKillNine) {
  TempDir dir;
  std::string path = dir.File("lifeline.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto store = OpenSqlite(path);
    if (!store.ok()) _exit(1);
    auto inc = (*store)->OpenIncident({IncidentKind::kPlatform,
                                       "",
                                       {"whatsapp"},
                                       core::Verdict::kOutage,
                                       "WhatsApp down",
                                       kT0,
                                       "",
                                       "{}"});
    if (!inc.ok()) _exit(1);
    auto ev = (*store)->AppendEvent(inc->id, {kT0 + seconds(1), "note", "must survive", "{}"});
    if (!ev.ok()) _exit(1);
    std::string line = inc->id + "\n";
    (void)!write(fds[1], line.data(), line.size());
    // Keep writing so the kill lands in the middle of work.
    for (int i = 0;; ++i) {
      ProbeSample s;
      s.platform = "whatsapp";
      s.probe_id = "web";
      s.at = kT0 + seconds(i);
      s.ok = i % 2 == 0;
      (void)(*store)->AddProbeSamples(std::vector<ProbeSample>{s});
    }
  }
  close(fds[1]);
  // Whatever fails below, the child does not outlive the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};
  pollfd pfd{fds[0], POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 30000), 1) << "the child did not report";
  char buf[128] = {};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  ASSERT_GT(n, 1);
  std::string id(buf, static_cast<std::size_t>(n - 1));
  usleep(50 * 1000);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  reaper.pid = 0;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto store = MustOpen(path);  // quick_check runs at open: the file is consistent
  ASSERT_TRUE(store);
  auto events = store->ListEvents(id, 0, 10);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].message, "must survive");
}

}  // namespace
}  // namespace lifeline::store
