// Path checks before opening an SQLite database: directory, permissions, file header.
#include "store/sqlite/preflight.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "store/sqlite/db.h"

namespace lifeline::store::sqlite {

using core::ErrorCode;
using core::MakeError;

core::Status Preflight(const std::string& path) {
  if (path.empty()) return MakeError(ErrorCode::kInvalidArgument, "database path is empty");
  if (path == ":memory:" || path.starts_with("file:")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database path \"{}\" must name a file (URIs and :memory: are not supported)",
                     path);
  }
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return ErrorFromErrno(ec.value(), dir.string(), "creating the database directory");
  }
  // SQLite keeps its -wal and -shm files beside the database, so the directory must be writable
  // even when the database file is.
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return ErrorFromErrno(errno, dir.string(),
                          "checking that the database directory is writable (SQLite keeps its "
                          "-wal and -shm files there)");
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return core::Ok();  // a new database
    return ErrorFromErrno(errno, path, "checking the database file");
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: not a regular file", path);
  }
  if (access(path.c_str(), R_OK | W_OK) != 0) {
    return ErrorFromErrno(errno, path, "checking that the database file is writable");
  }
  if (st.st_size == 0) return core::Ok();  // SQLite treats an empty file as a new database
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrorFromErrno(errno, path, "reading the database file");
  char header[16] = {};
  ssize_t n = read(fd, header, sizeof header);
  int err = errno;
  close(fd);
  if (n < 0) return ErrorFromErrno(err, path, "reading the database file");
  constexpr std::string_view kMagic("SQLite format 3\0", 16);
  if (static_cast<std::size_t>(n) < kMagic.size() ||
      std::string_view(header, kMagic.size()) != kMagic) {
    return MakeError(ErrorCode::kDataLoss,
                     "{}: not an SQLite database (it does not start with the SQLite header); "
                     "lifeline has not modified it: move it aside and restore a backup, or point "
                     "lifeline at another file",
                     path);
  }
  return core::Ok();
}

}  // namespace lifeline::store::sqlite
