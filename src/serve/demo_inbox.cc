// The demo's customers (demo_inbox.h): a small script on its own thread that posts signed webhooks
// to the demo's serve in the platforms' documented shapes, holds WhatsApp's while it is down, and
// answers the relay's move message on Telegram.
#include "serve/demo_inbox.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "channels/http.h"
#include "inbox/webhooks.h"
#include "serve/demo_http.h"
#include "serve/serve.h"
#include "store/inbox.h"

namespace lifeline::serve {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The brand's WhatsApp number as the demo's relay config has it (brand-whatsapp).
constexpr const char* kPhoneNumberId = "106540352242922";
constexpr const char* kDisplayNumber = "15550100002";
constexpr const char* kBusinessAccount = "102290129340398";

struct Customer {
  const char* name;
  const char* whatsapp;  // wa_id (digits), "" = not on WhatsApp
  const char* telegram;  // private chat id with the brand's bot, "" = not on Telegram
  const char* contact;   // the relay contact that knows both addresses, "" = none
};

// Ana and Carla are known on both channels (contacts:), so the failover reaches them on Telegram;
// Ben and Diego only on WhatsApp; Emma only on Telegram.
constexpr Customer kAna{"Ana Souza", "34600111222", "7100200301", "customer-ana"};
constexpr Customer kBen{"Ben Carter", "447700900123", "", ""};
constexpr Customer kCarla{"Carla Mendes", "351912345678", "7100200302", "customer-carla"};
constexpr Customer kDiego{"Diego Ruiz", "5215512345678", "", ""};
constexpr Customer kEmma{"Emma Schulz", "", "7100200303", ""};
constexpr const Customer* kCustomers[] = {&kAna, &kBen, &kCarla, &kDiego, &kEmma};

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) std::abort();  // a broken OpenSSL
  std::string out;
  for (unsigned char c : b) out += fmt::format("{:02x}", c);
  return out;
}

// Written readable by this user only, as a real installation keeps its secrets.
core::Result<std::string> WriteSecret(const std::string& dir, const char* name,
                                      const std::string& value) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string line = value + "\n";
  const bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  if (fd >= 0) ::close(fd);
  if (!ok) return core::MakeError(core::ErrorCode::kUnavailable, "cannot write {}", path);
  return path;
}

std::int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A message WhatsApp accepted from the customer's phone while its servers could not deliver it.
struct Held {
  const Customer* customer;
  std::string text;
  std::chrono::system_clock::time_point written;
  std::string wamid;
};

}  // namespace

struct DemoCustomers::State {
  // Set by Configure, read by the worker.
  std::string app_secret, verify_token, telegram_secret;
  std::string base_url;
  std::unique_ptr<channels::HttpClient> http = channels::MakeCurlHttpClient();
  // Per run, so that a kept data folder does not take a new run's messages for retries.
  const std::string nonce = RandomHex(3);
  const std::int64_t id_base = UnixSeconds(std::chrono::system_clock::now()) % 100000000;

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::multimap<SteadyClock::time_point, std::function<void()>> due;
  bool stopping = false;
  bool whatsapp_failing = false;
  std::vector<Held> backlog;
  std::set<std::string> told;  // Telegram chats that got a move message
  int wamids = 0;
  std::int64_t telegram_ids = 0;
  std::string incident;  // WhatsApp's incident, once seen
  std::thread worker;

  void At(SteadyClock::time_point when, std::function<void()> f) {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      due.emplace(when, std::move(f));
    }
    cv.notify_one();
  }
  void After(std::chrono::milliseconds d, std::function<void()> f) {
    At(SteadyClock::now() + d, std::move(f));
  }

  void Run() {
    std::unique_lock lock(mu);
    while (!stopping) {
      if (due.empty()) {
        cv.wait(lock);
        continue;
      }
      auto first = due.begin();
      if (first->first > SteadyClock::now()) {
        cv.wait_until(lock, first->first);
        continue;
      }
      std::function<void()> f = std::move(first->second);
      due.erase(first);
      lock.unlock();
      f();
      lock.lock();
    }
  }

  channels::HttpResponse Call(const std::string& method, const std::string& path,
                              const std::string& body = "",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    channels::HttpRequest r;
    r.method = method;
    r.url = base_url + path;
    r.body = body;
    r.headers = std::move(headers);
    if (method == "POST") r.headers.emplace_back("Content-Type", "application/json");
    r.connect_timeout = 2s;
    r.timeout = 5s;
    return http->Do(r);
  }

  // POSTs a webhook; says in the log when the inbox did not take it (its answer names why).
  void Deliver(const std::string& source, const Customer& c, const std::string& body,
               std::pair<std::string, std::string> auth) {
    auto r = Call("POST", "v1/inbox/webhooks/" + source, body, {std::move(auth)});
    if (r.transport != channels::HttpResponse::Transport::kAnswered) {
      LogLine(fmt::format("demo: {}'s {} message did not reach the inbox: {}", c.name, source,
                          r.error));
    } else if (r.status != 200) {
      LogLine(fmt::format("demo: the inbox answered HTTP {} to {}'s {} message: {}", r.status,
                          c.name, source, r.body.substr(0, 200)));
    }
  }

  // The WhatsApp Cloud API's messages webhook (entry[].changes[].value.messages[]), signed with
  // the app secret over the exact bytes sent.
  void DeliverWhatsApp(const Held& m) {
    const std::string wa = m.customer->whatsapp;
    const json value = {
        {"messaging_product", "whatsapp"},
        {"metadata",
         {{"display_phone_number", kDisplayNumber}, {"phone_number_id", kPhoneNumberId}}},
        {"contacts", json::array({{{"profile", {{"name", m.customer->name}}}, {"wa_id", wa}}})},
        {"messages", json::array({{{"from", wa},
                                   {"id", m.wamid},
                                   {"timestamp", std::to_string(UnixSeconds(m.written))},
                                   {"text", {{"body", m.text}}},
                                   {"type", "text"}}})}};
    const json body = {
        {"object", "whatsapp_business_account"},
        {"entry",
         json::array({{{"id", kBusinessAccount},
                       {"changes", json::array({{{"value", value}, {"field", "messages"}}})}}})}};
    const std::string raw = body.dump();
    Deliver("whatsapp", *m.customer, raw,
            {inbox::kMetaSignatureHeader, "sha256=" + inbox::HmacSha256Hex(app_secret, raw)});
  }

  // WhatsApp's statuses webhook for a message we sent: the customer's phone got it, then they read
  // it (statuses[] with the wamid the relay got back).
  void DeliverStatus(const Customer& c, const std::string& wamid, const char* status) {
    const json value = {
        {"messaging_product", "whatsapp"},
        {"metadata",
         {{"display_phone_number", kDisplayNumber}, {"phone_number_id", kPhoneNumberId}}},
        {"statuses",
         json::array({{{"id", wamid},
                       {"status", status},
                       {"timestamp", std::to_string(UnixSeconds(std::chrono::system_clock::now()))},
                       {"recipient_id", c.whatsapp}}})}};
    const json body = {
        {"object", "whatsapp_business_account"},
        {"entry",
         json::array({{{"id", kBusinessAccount},
                       {"changes", json::array({{{"value", value}, {"field", "messages"}}})}}})}};
    const std::string raw = body.dump();
    Deliver("whatsapp", c, raw,
            {inbox::kMetaSignatureHeader, "sha256=" + inbox::HmacSha256Hex(app_secret, raw)});
  }

  void WriteOnWhatsApp(const Customer& c, const std::string& text) {
    Held m{&c, text, std::chrono::system_clock::now(), ""};
    bool held = false;
    {
      std::lock_guard lock(mu);
      m.wamid = fmt::format("wamid.demo{}{:04}", nonce, ++wamids);
      if (whatsapp_failing) {
        backlog.push_back(m);
        held = true;
      }
    }
    if (held) {
      LogLine(fmt::format(
          "demo: customer {} wrote on WhatsApp during the outage (\"{}\"): WhatsApp keeps it and "
          "delivers it once it is back",
          c.name, text));
      return;
    }
    LogLine(fmt::format("demo: customer {} wrote on WhatsApp: \"{}\"", c.name, text));
    DeliverWhatsApp(m);
  }

  // A Telegram Update with a private message from the customer's chat, with the secret token
  // setWebhook was given.
  void WriteOnTelegram(const Customer& c, const std::string& text, bool quiet = false) {
    std::int64_t n = 0;
    {
      std::lock_guard lock(mu);
      n = ++telegram_ids;
    }
    const std::int64_t chat = std::stoll(c.telegram);
    const std::string name = c.name;
    const auto space = name.find(' ');
    const json from = {{"id", chat},
                       {"is_bot", false},
                       {"first_name", name.substr(0, space)},
                       {"last_name", space == std::string::npos ? "" : name.substr(space + 1)},
                       {"language_code", "en"}};
    const json body = {{"update_id", id_base * 100 + n},
                       {"message",
                        {{"message_id", id_base * 100 + n},
                         {"from", from},
                         {"chat",
                          {{"id", chat},
                           {"first_name", from["first_name"]},
                           {"last_name", from["last_name"]},
                           {"type", "private"}}},
                         {"date", UnixSeconds(std::chrono::system_clock::now())},
                         {"text", text}}}};
    if (!quiet) LogLine(fmt::format("demo: customer {} wrote on Telegram: \"{}\"", c.name, text));
    Deliver("telegram", c, body.dump(), {inbox::kTelegramSecretHeader, telegram_secret});
  }

  // What WhatsApp kept during the outage, delivered as Meta replays a backlog: late, newest first,
  // and the oldest once more (a retry), each with the time it was written.
  void FlushBacklog() {
    std::vector<Held> held;
    {
      std::lock_guard lock(mu);
      held.swap(backlog);
    }
    if (held.empty()) return;
    LogLine(fmt::format(
        "demo: WhatsApp is back and delivers the {} message{} it held, late, newest first and one "
        "twice: the inbox keeps each once, in the order they were written",
        held.size(), held.size() == 1 ? "" : "s"));
    for (auto it = held.rbegin(); it != held.rend(); ++it) DeliverWhatsApp(*it);
    DeliverWhatsApp(held.front());
  }

  // After restoration: once WhatsApp's incident closes, says what its sweep lists.
  void WatchSweep(int attempt) {
    if (attempt > 600) return;  // ten minutes: the incident did not close while the demo ran
    std::string id;
    {
      std::lock_guard lock(mu);
      id = incident;
    }
    auto again = [this, attempt] { After(1s, [this, attempt] { WatchSweep(attempt + 1); }); };
    if (id.empty()) {
      auto r = Call("GET", "v1/incidents?state=open");
      const json j = json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("incidents") && j["incidents"].is_array()) {
        for (const json& inc : j["incidents"]) {
          const json ps = inc.value("platforms", json::array());
          if (ps.is_array() && std::find(ps.begin(), ps.end(), "whatsapp") != ps.end()) {
            id = inc.value("id", "");
          }
        }
      }
      if (id.empty()) {
        if (attempt < 30) again();  // no incident was opened (an outage shorter than detection)
        return;
      }
      std::lock_guard lock(mu);
      incident = id;
    }
    auto r = Call("GET", "v1/incidents/" + id);
    const json inc = json::parse(r.body, nullptr, false);
    if (!inc.is_object() || !inc.contains("closed_at") || !inc["closed_at"].is_string()) {
      again();
      return;
    }
    auto s = Call("GET", "v1/inbox/sweep?incident=" + id);
    const json sweep = json::parse(s.body, nullptr, false);
    if (!sweep.is_object() || !sweep.contains("waiting")) {
      LogLine(fmt::format("demo: the sweep of {} did not answer: HTTP {}", id, s.status));
      return;
    }
    std::string names;
    for (const json& c : sweep["waiting"]) {
      if (!names.empty()) names += ", ";
      names += c.value("name", json("?")).is_string() ? c["name"].get<std::string>() : "?";
    }
    std::size_t told = 0;
    for (const json& m : sweep["moves"]) told += m.value("restored_at", json()).is_string();
    LogLine(fmt::format(
        "demo: WhatsApp's incident {} is closed; its sweep lists {} conversation{} with a customer "
        "waiting ({}), {} message{} from the outage and the hour after, and {} moved to Telegram "
        "({} told that WhatsApp works again, their conversations back there) (dashboard: Inbox; "
        "lifeline inbox sweep --incident {})",
        id, sweep["waiting"].size(), sweep["waiting"].size() == 1 ? "" : "s", names,
        sweep["messages"].size(), sweep["messages"].size() == 1 ? "" : "s", sweep["moves"].size(),
        told, id));
  }
};

DemoCustomers::DemoCustomers() : state_(std::make_shared<State>()) {}
DemoCustomers::~DemoCustomers() { Stop(); }

core::Status DemoCustomers::Configure(config::Config& config, const std::string& data_dir) {
  State& s = *state_;
  s.app_secret = RandomHex(16);
  s.verify_token = RandomHex(12);
  s.telegram_secret = RandomHex(16);
  auto app = WriteSecret(data_dir, "inbox-meta-app.secret", s.app_secret);
  if (!app.ok()) return app.error();
  auto verify = WriteSecret(data_dir, "inbox-meta-verify.token", s.verify_token);
  if (!verify.ok()) return verify.error();
  auto tg = WriteSecret(data_dir, "inbox-telegram.secret", s.telegram_secret);
  if (!tg.ok()) return tg.error();

  config::PartSection* contacts = nullptr;
  config::PartSection* channels = nullptr;
  for (config::PartSection& sec : config.sections) {
    if (sec.key == "contacts") contacts = &sec;
    if (sec.key == "channels") channels = &sec;
  }
  if (contacts == nullptr || channels == nullptr || !channels->node["brand-whatsapp"] ||
      !channels->node["brand-telegram"]) {
    return core::MakeError(core::ErrorCode::kInternal,
                           "demo customers: the demo's relay config and plan (brand-whatsapp, "
                           "brand-telegram, contacts) come first");
  }
  for (const Customer* c : kCustomers) {
    if (*c->contact == '\0') continue;
    YAML::Node node;
    node["name"] = std::string(c->name) + " (customer)";
    YAML::Node wa;
    wa["channel"] = "brand-whatsapp";
    wa["to"] = std::string("+") + c->whatsapp;
    YAML::Node tgp;
    tgp["channel"] = "brand-telegram";
    tgp["to"] = std::string(c->telegram);
    node["points"].push_back(wa);
    node["points"].push_back(tgp);
    contacts->node[c->contact] = node;
  }

  // Built as nodes: the secret files' paths are quoted as YAML needs, whatever the data folder.
  auto file = [](const std::string& path) {
    YAML::Node n;
    n["file"] = path;
    return n;
  };
  YAML::Node root;
  YAML::Node wa;
  wa["type"] = "whatsapp";
  wa["channel"] = "brand-whatsapp";
  wa["app_secret"] = file(*app);
  wa["verify_token"] = file(*verify);
  wa["phone_number_id"] = kPhoneNumberId;
  YAML::Node tgs;
  tgs["type"] = "telegram";
  tgs["channel"] = "brand-telegram";
  tgs["secret_token"] = file(*tg);
  root["inbox"]["sources"]["whatsapp"] = wa;
  root["inbox"]["sources"]["telegram"] = tgs;
  YAML::Emitter out;
  out << root;
  return AddDemoSections(config, out.c_str(), "<demo inbox>");
}

void DemoCustomers::Start(const std::string& base_url, std::chrono::milliseconds outage_after,
                          std::chrono::milliseconds outage_for) {
  State& s = *state_;
  s.base_url = base_url;
  if (!s.base_url.ends_with("/")) s.base_url += "/";
  s.worker = std::thread([&s] { s.Run(); });
  using std::chrono::milliseconds;
  const auto t0 = SteadyClock::now();
  auto at = [&](milliseconds d, std::function<void()> f) { s.At(t0 + d, std::move(f)); };
  auto part = [](milliseconds d, double share) {
    return std::chrono::duration_cast<milliseconds>(d * share);
  };
  // Before the outage: three customers wait for an answer on WhatsApp.
  at(part(outage_after, 0.2), [&s] {
    s.WriteOnWhatsApp(kAna, "Hi! My order #1042 hasn't arrived yet, can you check where it is?");
  });
  at(part(outage_after, 0.4),
     [&s] { s.WriteOnWhatsApp(kBen, "Do you have the blue winter jacket in size M?"); });
  at(part(outage_after, 0.6), [&s] {
    s.WriteOnWhatsApp(kCarla, "Can I still change the delivery address of order #2231?");
  });
  // During it: Diego writes on WhatsApp (held until it is back), Emma on Telegram.
  const milliseconds into = std::min<milliseconds>(part(outage_for, 0.1), 3s);
  at(outage_after + into,
     [&s] { s.WriteOnWhatsApp(kDiego, "Hello, I was charged twice for order #3307"); });
  at(outage_after + 2 * into, [&s] {
    s.WriteOnTelegram(kEmma,
                      "Is your WhatsApp down? I couldn't send anything there. Do you "
                      "sell gift cards?");
  });
  at(outage_after + 3 * into,
     [&s] { s.WriteOnWhatsApp(kDiego, "Please call me back, it's urgent"); });
}

void DemoCustomers::Stop() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    s.due.clear();
  }
  s.cv.notify_all();
  if (s.worker.joinable()) s.worker.join();
}

void DemoCustomers::SetWhatsAppFailing(bool failing) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.whatsapp_failing = failing;
  }
  if (!failing) {
    s.After(2s, [&s] { s.FlushBacklog(); });
    s.After(1s, [&s] { s.WatchSweep(0); });
  }
}

void DemoCustomers::WhatsAppMessage(const std::string& to, const std::string& wamid) {
  State& s = *state_;
  const Customer* c = nullptr;
  for (const Customer* x : kCustomers) {
    if (*x->whatsapp != '\0' && (to == x->whatsapp || to == std::string("+") + x->whatsapp)) c = x;
  }
  if (c == nullptr) return;  // the team's alerts
  // Sent at once, on the phone a second later, read two seconds after that.
  s.After(200ms, [&s, c, wamid] { s.DeliverStatus(*c, wamid, "sent"); });
  s.After(1200ms, [&s, c, wamid] { s.DeliverStatus(*c, wamid, "delivered"); });
  s.After(3200ms, [&s, c, wamid] {
    LogLine(fmt::format("demo: {} read our WhatsApp message (WhatsApp's status webhook: read)",
                        c->name));
    s.DeliverStatus(*c, wamid, "read");
  });
}

void DemoCustomers::TelegramMessage(const std::string& chat, const std::string& text) {
  State& s = *state_;
  const Customer* c = nullptr;
  for (const Customer* x : kCustomers) {
    if (chat == x->telegram) c = x;
  }
  const std::string token = store::FindLinkToken(text);
  if (c == nullptr || token.empty()) return;  // the team's alerts, the brand's channel posts
  {
    std::lock_guard lock(s.mu);
    if (!s.told.insert(chat).second) return;
  }
  if (c != &kAna) {
    LogLine(fmt::format(
        "demo: {}'s conversation moved from WhatsApp to Telegram: the move message reached them "
        "there (they do not answer yet: the sweep will list them)",
        c->name));
    return;
  }
  // Ana taps the link in it: Telegram opens the bot and sends "/start TOKEN" from her chat, then
  // she writes.
  LogLine(fmt::format(
      "demo: {}'s conversation moved from WhatsApp to Telegram: she gets the move message, opens "
      "its link and answers there",
      c->name));
  s.After(1500ms, [&s, c, token] { s.WriteOnTelegram(*c, "/start " + token, /*quiet=*/true); });
  s.After(3000ms,
          [&s, c] { s.WriteOnTelegram(*c, "Thanks, I'm here now! Any news about order #1042?"); });
}

}  // namespace lifeline::serve
