// The dashboard's static files (web/dist): index.html for the root and for client-side routes,
// /assets/* with long cache lifetimes, and no path that leads outside the web root.
#pragma once

#include <boost/beast/http/status.hpp>
#include <string>
#include <string_view>

namespace lifeline::api {

struct StaticReply {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string content_type;
  std::string cache_control;
  std::string body;
};

// "text/html; charset=utf-8" for ".html", ...; "application/octet-stream" when unknown.
std::string_view ContentTypeFor(std::string_view path);

// Serves files under a web root. Thread-safe (reads the file system on each call: the files are
// few and small, and the page cache serves them).
class StaticFiles {
 public:
  // `web_root` may be empty or missing: then every page is a short note saying how to build the
  // dashboard.
  explicit StaticFiles(std::string web_root);

  // `raw_path` is the request target's path, still %-encoded, without the query. A path with a
  // ".." segment, a backslash or a NUL, or one that leads outside the root through a symbolic
  // link, is refused (400); a missing file under /assets/ or a missing /sw.js (the service worker)
  // is 404; any other missing path answers index.html (the dashboard routes on the client).
  StaticReply Get(std::string_view raw_path) const;

  bool built() const;

 private:
  std::string root_;  // canonical path of the web root, or empty
};

}  // namespace lifeline::api
