// `lifeline calendar list|add|edit|delete|import|hold|release` (calendar.h).
#include "cli/calendar.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;

struct Flags {
  ApiFlags api;
  bool json = false;
  std::string state;
  std::string channel;
  std::string from;
  std::string to;
  std::string id;
  std::string text;
  std::vector<std::string> media;
  std::vector<std::string> channels;
  std::string at;
  std::string expires;
  std::string file;
  std::string date_format;
  std::string as;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline calendar: " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kFailedPrecondition:
    case core::ErrorCode::kAlreadyExists:
    case core::ErrorCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

int Usage(const std::string& message) {
  std::cerr << "lifeline calendar: " << message << "\n";
  return kExitUsage;
}

// "a,b" and repeated flags alike.
std::vector<std::string> Split(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::string cur;
    for (char c : v + ",") {
      if (c == ',') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else if (c != ' ') {
        cur += c;
      }
    }
  }
  return out;
}

std::string OneLine(std::string s, std::size_t max = 60) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

void PrintPost(const json& p) {
  std::cout << fmt::format("{}  {}  {:<10} {}\n", Str(p, "id"), Str(p, "at"), Str(p, "state"),
                           OneLine(Str(p, "text")));
  if (p["expires"].is_string()) std::cout << "    expires " << Str(p, "expires") << "\n";
  if (p.contains("cancelled_by") && p["cancelled_by"].is_string()) {
    std::cout << "    cancelled by " << Str(p, "cancelled_by") << " at " << Str(p, "cancelled_at")
              << "\n";
  } else if (p.contains("edited_by") && p["edited_by"].is_string()) {
    std::cout << "    edited by " << Str(p, "edited_by") << " at " << Str(p, "edited_at") << "\n";
  }
  for (const json& part : p["parts"]) {
    std::string detail = Str(part, "note");
    if (part["remote_id"].is_string() && Str(part, "state") == "published") {
      detail = "post " + Str(part, "remote_id");
    }
    std::string due = Str(part, "due") != Str(p, "at") ? " due " + Str(part, "due") : "";
    std::cout << fmt::format("    {:<20} {:<10}{} {}\n", Str(part, "channel"), Str(part, "state"),
                             due, detail);
  }
}

int List(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::vector<std::string> q;
  if (!f.state.empty()) q.push_back("state=" + UrlEncode(f.state));
  if (!f.channel.empty()) q.push_back("channel=" + UrlEncode(f.channel));
  if (!f.from.empty()) q.push_back("from=" + UrlEncode(f.from));
  if (!f.to.empty()) q.push_back("to=" + UrlEncode(f.to));
  std::string path = "/v1/calendar/posts";
  if (!q.empty()) path += "?" + fmt::format("{}", fmt::join(q, "&"));
  auto r = api->Get(path);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  if ((*r)["posts"].empty()) {
    std::cout << "No posts.\n";
    return 0;
  }
  for (const json& p : (*r)["posts"]) PrintPost(p);
  return 0;
}

int Print(const json& answer, bool as_json) {
  if (as_json) {
    std::cout << answer.dump(2) << "\n";
  } else if (answer.contains("post")) {
    PrintPost(answer["post"]);
  }
  return 0;
}

int Add(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body{{"text", f.text},
            {"channels", Split(f.channels)},
            {"media", f.media},
            {"at", f.at},
            {"by", Actor(f.as)}};
  if (!f.id.empty()) body["id"] = f.id;
  if (!f.expires.empty()) body["expires"] = f.expires;
  auto r = api->Post("/v1/calendar/posts", body);
  if (!r.ok()) return Fail(r.error());
  return Print(*r, f.json);
}

int Import(const Flags& f) {
  std::ifstream in(f.file, std::ios::binary);
  if (!in) return Usage(fmt::format("cannot read {}", f.file));
  std::stringstream buf;
  buf << in.rdbuf();
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body{{"csv", buf.str()},
            {"file", std::filesystem::path(f.file).filename().string()},
            {"channels", Split(f.channels)},
            {"by", Actor(f.as)}};
  if (!f.date_format.empty()) body["date_format"] = f.date_format;
  auto r = api->Post("/v1/calendar/import", body);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  for (const json& p : (*r)["posts"]) PrintPost(p);
  std::cout << fmt::format("imported {} posts from {}\n", (*r)["imported"].get<int>(), f.file);
  return 0;
}

// Only what was given changes; "--expires none" clears the expiry, "--media none" the links.
int Edit(const Flags& f, const CLI::App& cmd) {
  json body{{"by", Actor(f.as)}};
  if (cmd.count("--text") > 0) body["text"] = f.text;
  if (cmd.count("--at") > 0) body["at"] = f.at;
  if (cmd.count("--expires") > 0) {
    body["expires"] = f.expires == "none" ? json(nullptr) : json(f.expires);
  }
  if (cmd.count("--channels") > 0) body["channels"] = Split(f.channels);
  if (cmd.count("--media") > 0) {
    json media = json::array();
    for (const auto& m : f.media) {
      if (m != "none") media.push_back(m);
    }
    body["media"] = media;
  }
  if (body.size() == 1) {
    return Usage("edit: nothing to change: give --text, --at, --expires, --channel or --media");
  }
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Patch(fmt::format("/v1/calendar/posts/{}", UrlEncode(f.id)), body);
  if (!r.ok()) return Fail(r.error());
  return Print(*r, f.json);
}

int Cancel(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Post(fmt::format("/v1/calendar/posts/{}/cancel", UrlEncode(f.id)),
                     json{{"by", Actor(f.as)}});
  if (!r.ok()) return Fail(r.error());
  return Print(*r, f.json);
}

int Act(const Flags& f, bool hold) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  json body{{"channels", Split(f.channels)}, {"by", Actor(f.as)}};
  if (!hold && !f.at.empty()) body["at"] = f.at;
  auto r = api->Post(
      fmt::format("/v1/calendar/posts/{}/{}", UrlEncode(f.id), hold ? "hold" : "release"), body);
  if (!r.ok()) return Fail(r.error());
  return Print(*r, f.json);
}

}  // namespace

std::function<int()> AddCalendarCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "calendar",
      "The content calendar through a running serve: posts, add, edit, delete, import, hold, "
      "release");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
  };
  auto* list = cmd->add_subcommand("list", "The scheduled posts and each channel's state");
  list->add_option("--state", f->state,
                   "scheduled, held, publishing, published, failed, dropped or cancelled");
  list->add_option("--channel", f->channel, "Only posts on this channel");
  list->add_option("--from", f->from, "Due at or after this time (RFC 3339)");
  list->add_option("--to", f->to, "Due before this time (RFC 3339)");
  common(list);
  auto* add = cmd->add_subcommand("add", "Schedule a post");
  add->add_option("--text", f->text, "What the post says")->required();
  add->add_option("--at", f->at, "When it goes out (RFC 3339: 2026-11-27T09:00:00Z)")->required();
  add->add_option("--channels,--channel", f->channels, "Relay channels (a,b or repeated)")
      ->required();
  add->add_option("--media", f->media, "A media link, published after the text (repeatable)");
  add->add_option("--expires", f->expires, "After this it is dropped rather than posted late");
  add->add_option("--id", f->id, "The post's id (default: one is made)");
  add->add_option("--as", f->as, "Who adds it (default cli:$USER)");
  common(add);
  auto* edit = cmd->add_subcommand(
      "edit", "Change a post none of whose parts has gone out (only what is given changes)");
  edit->add_option("id", f->id, "The post's id")->required();
  edit->add_option("--text", f->text, "What the post says");
  edit->add_option("--at", f->at, "When it goes out (RFC 3339); re-arms its time");
  edit->add_option("--expires", f->expires,
                   "After this it is dropped rather than posted late; "
                   "none = no expiry");
  edit->add_option("--channels,--channel", f->channels,
                   "The channels it goes to now (a,b or repeated): the whole new list");
  edit->add_option("--media", f->media, "The media links now (repeatable; none = no links)");
  edit->add_option("--as", f->as, "Who edits it (default cli:$USER)");
  common(edit);
  auto* cancel = cmd->add_subcommand(
      "delete", "Cancel a post: nothing more of it goes out (it is kept, state cancelled)");
  cancel->alias("cancel");
  cancel->add_option("id", f->id, "The post's id")->required();
  cancel->add_option("--as", f->as, "Who cancels it (default cli:$USER)");
  common(cancel);
  auto* import = cmd->add_subcommand(
      "import", "Schedule the posts of a CSV file (date, message, link[, channels, expires, id])");
  import->add_option("file", f->file, "The CSV file")->required();
  import->add_option("--channels,--channel", f->channels,
                     "Channels for rows that name none (a,b or repeated)");
  import->add_option("--date-format", f->date_format,
                     "How dates with slashes read: dd/mm/yyyy or mm/dd/yyyy");
  import->add_option("--as", f->as, "Who imports (default cli:$USER)");
  common(import);
  std::vector<std::pair<CLI::App*, bool>> acts;
  for (bool hold : {true, false}) {
    auto* c = cmd->add_subcommand(hold ? "hold" : "release",
                                  hold ? "Hold a post by hand (it waits until released)"
                                       : "Release a held post: now, or --at a time");
    c->add_option("id", f->id, "The post's id")->required();
    c->add_option("--channels,--channel", f->channels, "Only on these channels (default: all)");
    if (!hold) c->add_option("--at", f->at, "When it goes out (RFC 3339; default now)");
    c->add_option("--as", f->as, "Who acts, as the timeline shows it (default cli:$USER)");
    common(c);
    acts.emplace_back(c, hold);
  }
  *command = cmd;
  return [f, list, add, edit, cancel, import, acts]() {
    if (*list) return List(*f);
    if (*add) return Add(*f);
    if (*edit) return Edit(*f, *edit);
    if (*cancel) return Cancel(*f);
    if (*import) return Import(*f);
    for (const auto& [c, hold] : acts) {
      if (*c) return Act(*f, hold);
    }
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
