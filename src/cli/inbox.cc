// `lifeline inbox list|show|reply|assign|resolve|sweep` (inbox.h).
#include "cli/inbox.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

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
  std::string assignee;
  bool waiting = false;
  std::string id;
  std::string text;
  std::string key;
  std::string to;
  std::string incident;
  std::string as;
  std::string source;
  std::string since;
  std::string until;
};

int Fail(const core::Error& e) {
  std::cerr << "lifeline inbox: " << e.message() << "\n";
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

std::string OneLine(std::string s, std::size_t max = 70) {
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

void PrintConversation(const json& c) {
  std::string who = Str(c, "name").empty() ? Str(c, "address") : Str(c, "name");
  std::string waiting =
      c["waiting_since"].is_string() ? "waiting since " + Str(c, "waiting_since") : "answered";
  std::cout << fmt::format("{}  {:<9} {:<18} {:<24} {}{}\n", Str(c, "id"), Str(c, "state"),
                           Str(c, "channel"), OneLine(who, 24), waiting,
                           c["assignee"].is_string() ? "  -> " + Str(c, "assignee") : "");
}

void PrintMessage(const json& m) {
  const bool in = Str(m, "direction") == "in";
  std::string by =
      in ? "" : " (" + (Str(m, "author").empty() ? "lifeline" : Str(m, "author")) + ")";
  // Ours: what the platform says of it (read, failed with why) over the relay's outcome.
  std::string state;
  if (!in) {
    const std::string platform = Str(m, "platform_status");
    state = platform.empty() ? Str(m, "status") : platform;
    if (!Str(m, "platform_error").empty()) state += ": " + Str(m, "platform_error");
    if (!state.empty()) state = " [" + state + "]";
  }
  std::cout << fmt::format("  {} {} {:<16} {}{}{}\n", Str(m, "sent_at"), in ? "<" : ">",
                           Str(m, "channel"), OneLine(Str(m, "text")), by, state);
}

int Done(const core::Result<json>& r, bool as_json) {
  if (!r.ok()) return Fail(r.error());
  if (as_json) {
    std::cout << r->dump(2) << "\n";
  } else if (r->contains("conversation")) {
    PrintConversation((*r)["conversation"]);
  } else if (r->contains("id")) {
    PrintConversation(*r);
  }
  return 0;
}

int List(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string q;
  auto add = [&q](const char* name, const std::string& v) {
    if (!v.empty()) q += (q.empty() ? "?" : "&") + std::string(name) + "=" + UrlEncode(v);
  };
  add("state", f.state);
  add("channel", f.channel);
  add("assignee", f.assignee);
  if (f.waiting) add("waiting", "true");
  auto r = api->Get("/v1/conversations" + q);
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  if ((*r)["conversations"].empty()) std::cout << "no conversations\n";
  for (const json& c : (*r)["conversations"]) PrintConversation(c);
  return 0;
}

int Show(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Get("/v1/conversations/" + UrlEncode(f.id));
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  PrintConversation(*r);
  if ((*r)["whatsapp_window_closes"].is_string()) {
    std::cout << "  WhatsApp's 24-hour window closes " << Str(*r, "whatsapp_window_closes") << "\n";
  }
  for (const json& m : (*r)["messages"]) PrintMessage(m);
  return 0;
}

int Sweep(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Get("/v1/inbox/sweep?incident=" + UrlEncode(f.incident));
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{} conversations with a customer waiting:\n", (*r)["waiting"].size());
  for (const json& c : (*r)["waiting"]) PrintConversation(c);
  std::cout << fmt::format("{} messages from {} to {}:\n", (*r)["messages"].size(), Str(*r, "from"),
                           Str(*r, "to"));
  for (const json& m : (*r)["messages"]) PrintMessage(m);
  if (r->contains("catch_up") && !(*r)["catch_up"].empty()) {
    std::cout << "what the platforms may have missed (catch-up):\n";
    for (const json& c : (*r)["catch_up"]) std::cout << "  " << Str(c, "line") << "\n";
  }
  return 0;
}

int CatchUp(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  std::string q;
  auto add = [&q](const char* name, const std::string& v) {
    if (!v.empty()) q += (q.empty() ? "?" : "&") + std::string(name) + "=" + UrlEncode(v);
  };
  add("since", f.since);
  add("until", f.until);
  add("incident", f.incident);
  auto r = api->Post(
      "/v1/inbox/sources/" + UrlEncode(f.source.empty() ? "all" : f.source) + "/catch-up" + q,
      json::object());
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  for (const json& c : (*r)["catch_up"]) std::cout << Str(c, "line") << "\n";
  return 0;
}

int Sources(const Flags& f) {
  auto api = ApiClient::Open(f.api);
  if (!api.ok()) return Fail(api.error());
  auto r = api->Get("/v1/inbox/sources");
  if (!r.ok()) return Fail(r.error());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return 0;
  }
  for (const json& s : (*r)["sources"]) {
    std::string health;
    if (s.contains("state")) {
      health = Str(s, "state");
      if (s["error"].is_string()) health += ": " + Str(s, "error");
    }
    std::cout << fmt::format(
        "{:<16} {:<10} {:<18} catch-up: {:<20} {}\n", Str(s, "name"), Str(s, "type"),
        Str(s, "channel"), s["catch_up"].is_string() ? Str(s, "catch_up") : "cannot look", health);
  }
  return 0;
}

}  // namespace

std::function<int()> AddInboxCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "inbox",
      "Customer conversations through a running serve: list, show, reply, assign, resolve, sweep, "
      "catch-up, sources");
  cmd->require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    f->api.Add(*c);
    c->add_flag("--json", f->json, "Print the API's JSON answer");
  };
  auto* list = cmd->add_subcommand("list", "Conversations, those with a customer waiting first");
  list->add_option("--state", f->state, "open, pending, snoozed or resolved");
  list->add_option("--channel", f->channel, "Only those on this relay channel now");
  list->add_option("--assignee", f->assignee, "Only those assigned to this person or role");
  list->add_flag("--waiting", f->waiting, "Only those with a customer waiting");
  common(list);
  auto* show = cmd->add_subcommand("show", "One conversation and its messages");
  show->add_option("id", f->id, "The conversation's id")->required();
  common(show);
  auto* reply =
      cmd->add_subcommand("reply", "Reply on the conversation's channel, through the relay");
  reply->add_option("id", f->id, "The conversation's id")->required();
  reply->add_option("--text", f->text, "What to say")->required();
  reply->add_option("--key", f->key, "An idempotency key: the same key is sent once");
  reply->add_option("--as", f->as, "Who replies (default cli:$USER)");
  common(reply);
  auto* assign = cmd->add_subcommand("assign", "Assign to a person or a role");
  assign->add_option("id", f->id, "The conversation's id")->required();
  assign->add_option("--to", f->to, "The person or role (\"\" unassigns)")->required();
  common(assign);
  auto* resolve = cmd->add_subcommand("resolve", "Resolve a conversation");
  resolve->add_option("id", f->id, "The conversation's id")->required();
  common(resolve);
  auto* sweep = cmd->add_subcommand(
      "sweep", "After an incident: who waits and what arrived meanwhile, longest waiting first");
  sweep->add_option("--incident", f->incident, "The incident's id")->required();
  common(sweep);
  auto* catch_up = cmd->add_subcommand(
      "catch-up", "Fetch what a platform may have missed (IMAP, Messenger) and report the gap");
  catch_up->add_option("source", f->source, "The inbox source (default: every source)");
  catch_up->add_option("--since", f->since, "From (RFC 3339); default: the incident's start");
  catch_up->add_option("--until", f->until, "Until (RFC 3339); default: now");
  catch_up->add_option("--incident", f->incident, "Keep the result with this incident");
  common(catch_up);
  auto* sources = cmd->add_subcommand("sources", "The inbox's sources, their health and catch-up");
  common(sources);
  *command = cmd;
  return [f, list, show, reply, assign, resolve, sweep, catch_up, sources]() {
    if (*list) return List(*f);
    if (*show) return Show(*f);
    if (*sweep) return Sweep(*f);
    if (*catch_up) return CatchUp(*f);
    if (*sources) return Sources(*f);
    auto api = ApiClient::Open(f->api);
    if (!api.ok()) return Fail(api.error());
    const std::string base = "/v1/conversations/" + UrlEncode(f->id);
    if (*reply) {
      json body{{"text", f->text}, {"by", Actor(f->as)}};
      if (!f->key.empty()) body["idempotency_key"] = f->key;
      auto r = api->Post(base + "/reply", body);
      if (r.ok() && !f->json) {
        std::cout << "queued " << Str((*r)["message"], "relay_id") << " on "
                  << Str((*r)["message"], "channel") << "\n";
        return 0;
      }
      return Done(r, f->json);
    }
    if (*assign) return Done(api->Post(base + "/assign", json{{"assignee", f->to}}), f->json);
    if (*resolve) return Done(api->Post(base + "/resolve", json::object()), f->json);
    return kExitUsage;
  };
}

}  // namespace lifeline::cli
