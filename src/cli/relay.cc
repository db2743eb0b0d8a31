// `lifeline send` and `lifeline outbox`: accept a message into the durable outbox and see it
// delivered, or look after what the outbox holds. When a `lifeline serve` already delivers from
// the database (it holds the relay lock), `send` only enqueues and watches serve deliver it.
#include "cli/relay.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "channels/routes.h"
#include "channels/runtime.h"
#include "channels/templates.h"
#include "config/config.h"
#include "serve/serve.h"
#include "store/store.h"

namespace lifeline::cli {
namespace {

constexpr int kExitUsage = 2;
using json = nlohmann::json;

struct Common {
  std::string config;
  std::string data_dir;
  bool json = false;
};

struct Opened {
  config::Config config;
  std::unique_ptr<store::Store> store;
};

core::Result<Opened> Open(const Common& c) {
  auto cfg = c.config.empty() ? config::LoadBundled() : config::LoadFile(c.config);
  if (!cfg.ok()) return cfg.error();
  if (!c.data_dir.empty()) {
    cfg->serve.data_dir = c.data_dir;
    cfg->serve.database.clear();
  }
  auto st = serve::OpenStore(*cfg);
  if (!st.ok()) return st.error();
  return Opened{std::move(*cfg), std::move(*st)};
}

int Fail(std::string_view command, const core::Error& e) {
  std::cerr << "lifeline " << command << ": " << e.message() << "\n";
  switch (e.code()) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kAlreadyExists:
    case core::ErrorCode::kFailedPrecondition:
      return kExitUsage;
    default:
      return 1;
  }
}

store::Time Now() { return store::FromSystem(std::chrono::system_clock::now()); }

// ---- send ----

struct SendFlags {
  Common common;
  std::string contact;
  std::string channel;
  std::string recipient;
  std::string text;
  std::string subject;
  std::string template_name;
  std::vector<std::string> vars;  // NAME=VALUE
  std::string key;
  std::string incident;
  bool dry_run = false;
  double wait_s = 30;
};

core::Result<channels::TemplateVars> ParseVars(const std::vector<std::string>& items) {
  channels::TemplateVars v;
  std::map<std::string, std::string*> by_name = {
      {"platform", &v.platform},       {"domain", &v.domain}, {"backup_channel", &v.backup_channel},
      {"backup_link", &v.backup_link}, {"time", &v.time},     {"incident", &v.incident},
      {"incident_id", &v.incident_id}};
  for (const std::string& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "--var {}: give NAME=VALUE (e.g. --var platform=WhatsApp)", item);
    }
    auto it = by_name.find(item.substr(0, eq));
    if (it == by_name.end()) {
      std::string names;
      for (const auto& [n, p] : by_name) names += (names.empty() ? "" : ", ") + n;
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "--var {}: unknown variable (variables: {})", item.substr(0, eq),
                             names);
    }
    *it->second = item.substr(eq + 1);
  }
  return v;
}

// The message as the router takes it: to one channel, or to a contact (first healthy point).
core::Result<channels::Outgoing> ToOutgoing(const SendFlags& f) {
  channels::Outgoing out;
  out.contact = f.contact;
  out.channel = f.channel;
  out.to = f.recipient;
  out.text = f.text;
  out.template_name = f.template_name;
  out.subject = f.subject;
  out.idempotency_key = f.key;
  out.incident_id = f.incident;
  auto vars = ParseVars(f.vars);
  if (!vars.ok()) return vars.error();
  out.vars = std::move(*vars);
  return out;
}

json PlannedJson(const channels::Planned& p) {
  return {{"channel", p.channel},  {"to", p.to},
          {"subject", p.subject},  {"text", p.text},
          {"characters", p.chars}, {"max_characters", p.max_chars},
          {"route", p.route},      {"ok", p.problem.empty()},
          {"problem", p.problem}};
}

void PrintMessage(const store::OutboxMessage& m, bool as_json) {
  if (as_json) {
    std::cout << channels::MessageJson(m).dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} {} on {}{}{}\n", m.id, store::MessageStateName(m.state), m.channel,
                           m.remote_id.empty() ? "" : " (id " + m.remote_id + ")",
                           m.last_reason.empty() ? "" : ": " + m.last_reason);
  if (!m.route.empty()) std::cout << "  route: " << m.route << "\n";
}

int Send(const SendFlags& f) {
  if (f.channel.empty() == f.contact.empty()) {
    std::cerr << "lifeline send: give exactly one of --to CONTACT or --channel NAME\n";
    return kExitUsage;
  }
  if (f.text.empty() == f.template_name.empty()) {
    std::cerr << "lifeline send: give exactly one of --text or --template\n";
    return kExitUsage;
  }
  auto opened = Open(f.common);
  if (!opened.ok()) return Fail("send", opened.error());
  channels::RuntimeOptions ro;
  ro.database_path = opened->config.serve.DatabasePath();
  auto rt = channels::RelayRuntime::Create(opened->config, *opened->store, ro);
  if (!rt.ok()) return Fail("send", rt.error());
  auto out = ToOutgoing(f);
  if (!out.ok()) return Fail("send", out.error());

  if (f.dry_run) {
    // Exactly what each channel would get (every contact point of a contact, in order), checked
    // as a send checks it; nothing is stored.
    std::vector<channels::Outgoing> each;
    if (f.contact.empty()) {
      each.push_back(*out);
    } else {
      const channels::Contact* c = (*rt)->router().FindContact(f.contact);
      if (c == nullptr) {
        return Fail("send", core::MakeError(
                                core::ErrorCode::kNotFound,
                                "--to {}: no such contact in the config's contacts:", f.contact));
      }
      for (const auto& point : c->points) {
        channels::Outgoing one = *out;
        one.contact.clear();
        one.channel = point.channel;
        one.to = point.to;
        each.push_back(std::move(one));
      }
    }
    json planned = json::array();
    int code = 0;
    for (const auto& one : each) {
      auto p = (*rt)->router().Plan(one);
      if (!p.ok()) return Fail("send", p.error());
      if (!p->problem.empty()) code = kExitUsage;
      planned.push_back(PlannedJson(*p));
      if (f.common.json) continue;
      std::cout << fmt::format(
          "--- {} to {}: {} of {} characters{}\n", p->channel, p->to.empty() ? "(default)" : p->to,
          p->chars, p->max_chars == 0 ? std::string("no limit") : std::to_string(p->max_chars),
          p->problem.empty() ? "" : " — REFUSED: " + p->problem);
      if (!p->subject.empty()) std::cout << "Subject: " << p->subject << "\n";
      std::cout << p->text << "\n";
    }
    if (f.common.json) std::cout << json{{"dry_run", true}, {"channels", planned}}.dump(2) << "\n";
    return code;
  }

  auto mine = (*rt)->Acquire();
  if (!mine.ok()) return Fail("send", mine.error());
  if (*mine) {
    if (auto s = (*rt)->Start(); !s.ok()) return Fail("send", s.error());
  } else {
    std::cerr << "lifeline send: a running lifeline serve delivers from this database; the "
                 "message is handed to it\n";
  }
  auto accepted = (*rt)->router().Send(*out);
  if (!accepted.ok()) return Fail("send", accepted.error());
  std::cerr << fmt::format("accepted {} (key {}){}\n", accepted->message.id,
                           accepted->message.idempotency_key,
                           accepted->created ? "" : ": already in the outbox under this key");

  // Wait for what a person waits for: delivered, refused, or a decision needed.
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<long long>(std::max(0.0, f.wait_s) * 1000));
  store::OutboxMessage last = accepted->message;
  for (;;) {
    auto got = opened->store->Outbox().Get(last.id);
    if (got.ok()) last = got->message;
    if (store::IsFinal(last.state) || last.state == store::MessageState::kUnconfirmed) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*rt)->Stop();
  PrintMessage(last, f.common.json);
  switch (last.state) {
    case store::MessageState::kDelivered:
      return 0;
    case store::MessageState::kFailed:
    case store::MessageState::kDeadLettered:
    case store::MessageState::kCancelled:
      return 1;
    default:
      if (!f.common.json) {
        std::cerr << (last.state == store::MessageState::kUnconfirmed
                          ? "the far side did not answer and cannot tell a second copy apart: "
                            "check whether it arrived, then `lifeline outbox decide`\n"
                          : "not delivered yet; it stays in the outbox and `lifeline serve` "
                            "delivers it\n");
      }
      return 3;
  }
}

// ---- outbox ----

struct OutboxFlags {
  Common common;
  std::string state;
  std::string channel;
  std::string incident;
  std::string contact;
  std::size_t limit = 50;
  std::string cursor;
  std::string id;
  bool delivered = false;
  bool resend = false;
};

int List(const OutboxFlags& f) {
  store::MessageQuery q;
  if (!f.state.empty()) {
    auto s = store::ParseMessageState(f.state);
    if (!s) {
      std::cerr << "lifeline outbox: --state " << f.state
                << " is not a state (queued, sending, delivered, retry_scheduled, unconfirmed, "
                   "failed, dead_lettered, cancelled)\n";
      return kExitUsage;
    }
    q.state = *s;
  }
  q.channel = f.channel;
  q.incident_id = f.incident;
  q.contact = f.contact;
  q.limit = f.limit;
  q.cursor = f.cursor;
  auto opened = Open(f.common);
  if (!opened.ok()) return Fail("outbox", opened.error());
  auto page = opened->store->Outbox().List(q);
  if (!page.ok()) return Fail("outbox", page.error());
  if (f.common.json) {
    json arr = json::array();
    for (const auto& m : page->messages) arr.push_back(channels::MessageJson(m));
    std::cout << json{{"messages", arr},
                      {"next_cursor",
                       page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<32}{:<17}{:<18}{:<9}{:<22}{}\n", "ID", "STATE", "CHANNEL",
                           "ATTEMPTS", "UPDATED", "REASON");
  for (const auto& m : page->messages) {
    std::cout << fmt::format("{:<32}{:<17}{:<18}{:<9}{:<22}{}\n", m.id,
                             store::MessageStateName(m.state), m.channel, m.attempts,
                             core::FormatTime(m.updated_at), m.last_reason);
  }
  if (!page->next_cursor.empty()) {
    std::cerr << "more: --cursor " << page->next_cursor << "\n";
  }
  return 0;
}

int Show(const OutboxFlags& f) {
  auto opened = Open(f.common);
  if (!opened.ok()) return Fail("outbox", opened.error());
  auto d = opened->store->Outbox().Get(f.id);
  if (!d.ok()) return Fail("outbox", d.error());
  if (f.common.json) {
    json events = json::array();
    for (const auto& e : d->events) events.push_back(channels::MessageEventJson(e));
    std::cout << json{{"message", channels::MessageJson(d->message)}, {"events", events}}.dump(2)
              << "\n";
    return 0;
  }
  PrintMessage(d->message, false);
  std::cout << "  text: " << d->message.text << "\n";
  for (const auto& e : d->events) {
    std::cout << fmt::format("  {} #{} {}{}\n", core::FormatTime(e.at), e.seq, e.type,
                             e.detail.empty() ? "" : ": " + e.detail);
  }
  return 0;
}

int Act(const OutboxFlags& f, std::string_view action) {
  auto opened = Open(f.common);
  if (!opened.ok()) return Fail("outbox", opened.error());
  store::OutboxStore& outbox = opened->store->Outbox();
  core::Result<store::OutboxMessage> done = core::MakeError(core::ErrorCode::kInternal, "unset");
  if (action == "retry") {
    done = outbox.Retry(f.id, Now(), "retried from the command line");
  } else if (action == "cancel") {
    done = outbox.Cancel(f.id, Now(), "cancelled from the command line");
  } else {
    if (f.delivered == f.resend) {
      std::cerr << "lifeline outbox decide: give exactly one of --delivered (it did arrive) or "
                   "--resend (send it again)\n";
      return kExitUsage;
    }
    done = outbox.Decide(
        f.id, f.delivered, Now(),
        f.delivered ? "marked delivered from the command line" : "resent from the command line");
  }
  if (!done.ok()) return Fail("outbox", done.error());
  PrintMessage(*done, f.common.json);
  return 0;
}

void AddCommon(CLI::App* cmd, Common& c) {
  cmd->add_option("-c,--config", c.config, "YAML config (channels, contacts, serve.data_dir)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", c.data_dir, "Folder of serve's database (default ./var)");
  cmd->add_flag("--json", c.json, "Print JSON");
}

}  // namespace

std::function<int()> AddSendCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<SendFlags>();
  auto* send = app.add_subcommand(
      "send", "Send a message through the relay (durable outbox, retries, failover)");
  AddCommon(send, f->common);
  send->add_option("--to", f->contact, "A contact: its first healthy contact point, then the next");
  send->add_option("--channel", f->channel, "One channel, by its name in channels:");
  send->add_option("--recipient", f->recipient,
                   "The address on --channel (default: the channel's own recipient)");
  send->add_option("--text", f->text, "The message");
  send->add_option("--subject", f->subject, "Subject (e-mail)");
  send->add_option("--template", f->template_name, "A template from templates:");
  send->add_option("--var", f->vars, "A template variable, NAME=VALUE (repeatable)");
  send->add_option("--key", f->key,
                   "Idempotency key: sending the same key again stores nothing new");
  send->add_option("--incident", f->incident, "The incident the message belongs to");
  send->add_flag("--dry-run", f->dry_run, "Show exactly what each channel would get; send nothing");
  send->add_option("--wait", f->wait_s, "Seconds to wait for delivery (default 30)")
      ->check(CLI::Range(0.0, 3600.0));
  *command = send;
  return [f]() { return Send(*f); };
}

std::function<int()> AddOutboxCommand(CLI::App& app, CLI::App** command) {
  auto f = std::make_shared<OutboxFlags>();
  auto* outbox = app.add_subcommand("outbox", "List, show, retry, cancel and decide on messages");
  outbox->require_subcommand(1);
  AddCommon(outbox, f->common);
  auto* list = outbox->add_subcommand("list", "Messages, newest first");
  list->add_option("--state", f->state, "queued, delivered, unconfirmed, failed, ...");
  list->add_option("--channel", f->channel, "Only this channel");
  list->add_option("--incident", f->incident, "Only this incident's messages");
  list->add_option("--contact", f->contact, "Only this contact's messages");
  list->add_option("--limit", f->limit, "At most this many (1-1000)")->check(CLI::Range(1, 1000));
  list->add_option("--cursor", f->cursor, "The next page (printed after a full page)");
  auto* show = outbox->add_subcommand("show", "One message and every event of it");
  show->add_option("id", f->id, "Message id (msg_...)")->required();
  auto* retry = outbox->add_subcommand("retry", "Queue a failed, dead-lettered or cancelled one");
  retry->add_option("id", f->id, "Message id")->required();
  auto* cancel = outbox->add_subcommand("cancel", "Cancel a message not sent yet");
  cancel->add_option("id", f->id, "Message id")->required();
  auto* decide = outbox->add_subcommand("decide", "Settle an unconfirmed message");
  decide->add_option("id", f->id, "Message id")->required();
  decide->add_flag("--delivered", f->delivered, "It did arrive: mark it delivered");
  decide->add_flag("--resend", f->resend, "It did not arrive: send it again");
  for (auto* sub : {list, show, retry, cancel, decide}) sub->fallthrough();
  *command = outbox;
  return [f, list, show, retry, cancel]() {
    if (*list) return List(*f);
    if (*show) return Show(*f);
    if (*retry) return Act(*f, "retry");
    if (*cancel) return Act(*f, "cancel");
    return Act(*f, "decide");
  };
}

}  // namespace lifeline::cli
