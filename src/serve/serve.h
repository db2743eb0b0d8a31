// `lifeline serve`: loads the config, opens the store, starts the watch engine and the HTTP API,
// runs until SIGINT or SIGTERM, then drains and exits. Also the shared run loop of `lifeline demo`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "serve/engine.h"
#include "store/store.h"

namespace lifeline::serve {

struct ServeOptions {
  std::string config_path;  // "" = the bundled catalog and defaults
  std::string listen;       // "" = api.listen from the config
  std::string data_dir;     // "" = serve.data_dir (and serve.database) from the config
};

// Errors: a config mistake (kInvalidArgument, FILE:LINE: KEY: ...), the store failing to open
// (locked, read-only, corrupt: the store's own message naming the file and what to do), the API
// address not bindable. Never starts watching with a store it cannot write.
core::Status RunServe(const ServeOptions& options);

// What RunWithConfig needs besides the config.
struct RunOptions {
  std::string listen;          // "" = config.api.listen
  std::string what = "serve";  // the command, in messages: "serve" or "demo"
  EngineOptions engine;        // log defaults to stderr
  // Called once the API listens, with its base URL ("http://127.0.0.1:8080/"). Default: prints
  // where the dashboard is.
  std::function<void(const std::string& url)> on_ready;
  // Called after SIGINT/SIGTERM, before draining (the demo stops its simulators after).
  std::function<void()> on_stop;
};

// Opens config.serve.DatabasePath(), starts the engine and the API, waits for SIGINT/SIGTERM, then
// stops accepting, drains the engine, flushes and closes the store. A second signal while
// draining exits at once (status 130).
core::Status RunWithConfig(const config::Config& config, const RunOptions& options);

// The store the config names: PostgreSQL when `store: { url: ... }` is set, else the SQLite file
// at serve.DatabasePath(). What serve and the CLI commands that read its state (token, relay,
// report) open; errors name the file or the server and what to do.
[[nodiscard]] core::Result<std::unique_ptr<store::Store>> OpenStore(const config::Config& config);

// The dashboard's built files: config.api.web_root when set; else the first of web/dist beside
// the binary's source tree (found from the executable's path), ./web/dist and
// /usr/share/lifeline/web that has an index.html; "" when none has.
std::string FindWebRoot(const config::Config& config);

// A log line on stderr with a UTC timestamp, as serve and demo print them.
void LogLine(std::string_view line);

}  // namespace lifeline::serve
