// Static file serving for the dashboard with traversal checks on the decoded and resolved path.
#include "api/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "api/http_util.h"

namespace lifeline::api {
namespace {

namespace fs = std::filesystem;
using boost::beast::http::status;

constexpr std::uintmax_t kMaxFileBytes = 32u << 20;

constexpr std::string_view kNotBuilt = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}
code{background:#eee;padding:.1em .3em}</style></head>
<body><h1>Lifeline is running</h1>
<p>The dashboard has not been built, so there is nothing to show here yet.</p>
<p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>
(this writes <code>web/dist</code>), then reload this page.</p>
<p>The API works without it: <a href="/v1/platforms">/v1/platforms</a>,
<a href="/openapi.json">/openapi.json</a>, <a href="/metrics">/metrics</a>.</p>
</body></html>
)";

StaticReply Error(status s, std::string_view code, std::string_view message) {
  return {s, "application/json", "no-store", internal::ErrorBody(code, message)};
}

bool ReadFile(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = std::move(buffer).str();
  return !in.bad();
}

// True when `path` is `root` or below it (both canonical).
bool Inside(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (p == path.end() || *r != *p) return false;
  }
  return true;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
  };
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string_view ext = path.substr(dot);
  for (const auto& [e, type] : kTypes) {
    if (internal::IEquals(e, ext)) return type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string web_root) {
  if (web_root.empty()) return;
  std::error_code ec;
  fs::path canonical = fs::canonical(web_root, ec);
  if (!ec) root_ = canonical.string();
}

bool StaticFiles::built() const {
  std::error_code ec;
  return !root_.empty() && fs::is_regular_file(fs::path(root_) / "index.html", ec);
}

StaticReply StaticFiles::Get(std::string_view raw_path) const {
  auto decoded = internal::PercentDecode(raw_path, false);
  if (!decoded || decoded->empty() || decoded->front() != '/') {
    return Error(status::bad_request, "invalid_argument", "malformed path");
  }
  // Segment checks on the decoded path: "..", "." and backslashes never reach the file system.
  std::string_view rest(*decoded);
  rest.remove_prefix(1);
  while (true) {
    auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment == ".." || segment == "." || segment.find('\\') != std::string_view::npos) {
      return Error(status::bad_request, "invalid_argument",
                   "the path must not contain '.', '..' or '\\' segments");
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (!built()) {
    return {status::ok, "text/html; charset=utf-8", "no-store", std::string(kNotBuilt)};
  }
  const fs::path root(root_);
  const bool asset = decoded->starts_with("/assets/");
  // The service worker: served from the root so its scope is the whole dashboard, as JavaScript,
  // revalidated on every update check (no-cache, below). When a build has none, a 404: never
  // index.html, which a browser would refuse to register anyway.
  const bool service_worker = *decoded == "/sw.js";
  fs::path file;
  if (*decoded != "/") {
    std::error_code ec;
    fs::path candidate = fs::weakly_canonical(root / decoded->substr(1), ec);
    // A symbolic link inside the root may point outside it: refuse what resolves elsewhere.
    if (ec || !Inside(root, candidate)) {
      return Error(status::bad_request, "invalid_argument", "the path leads outside the web root");
    }
    if (fs::is_regular_file(candidate, ec)) file = candidate;
  }
  if (file.empty()) {
    if (asset || service_worker) return Error(status::not_found, "not_found", "no such file");
    file = root / "index.html";
  }
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec || size > kMaxFileBytes) {
    return Error(status::not_found, "not_found", "no such file");
  }
  StaticReply reply;
  if (!ReadFile(file, reply.body)) return Error(status::not_found, "not_found", "no such file");
  const std::string name = file.filename().string();
  reply.content_type = std::string(ContentTypeFor(name));
  // Vite names assets by content hash: they never change, so cache them for a year. Anything else
  // (index.html above all) must be revalidated so a new build shows at once.
  reply.cache_control = asset ? "public, max-age=31536000, immutable" : "no-cache";
  return reply;
}

}  // namespace lifeline::api
