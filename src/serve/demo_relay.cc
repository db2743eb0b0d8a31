// The demo's messaging world (demo_relay.h): tiny Telegram Bot API, WhatsApp Cloud API and SMTP
// servers on loopback, answering as the real services document, and the relay config using them.
#include "serve/demo_relay.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "serve/demo_http.h"

namespace lifeline::serve {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// What a socket read so far, as text.
std::string Take(asio::streambuf& buf, std::size_t n) {
  std::string out(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
  buf.consume(n);
  return out;
}

// A Telegram chat the demo's Bot API does not know (400 "chat not found": failed for good), and
// a WhatsApp number whose requests are never answered (unconfirmed): for trying the outbox page.
constexpr std::string_view kUnknownChat = "@nowhere";
constexpr std::string_view kBlackHoleNumber = "15550100099";

}  // namespace

struct DemoMessaging::State : std::enable_shared_from_this<DemoMessaging::State> {
  explicit State(asio::io_context& io) : http(io), smtp(io) {}

  tcp::acceptor http;
  tcp::acceptor smtp;
  std::atomic<bool> whatsapp_failing{false};
  std::atomic<int> telegram{0};
  std::atomic<int> whatsapp{0};
  std::atomic<int> mails{0};
  std::function<void(const std::string&, const std::string&)> on_telegram;  // set before Start
  std::function<void(const std::string&, const std::string&)> on_whatsapp;  // set before Start

  asio::awaitable<void> AcceptHttp() {
    auto self = shared_from_this();
    while (http.is_open()) {
      boost::system::error_code ec;
      tcp::socket s = co_await http.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!http.is_open()) break;
        continue;
      }
      asio::co_spawn(http.get_executor(), ServeHttp(std::move(s)), asio::detached);
    }
  }

  asio::awaitable<void> ServeHttp(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    std::optional<DemoRequest> request = co_await ReadDemoRequest(socket);
    if (!request) co_return;
    const std::string& head = request->head;
    const std::string& body = request->body;
    std::string answer;
    if (body.find(kBlackHoleNumber) != std::string::npos) {
      // The demo's black hole: the request arrives, no answer ever leaves (the sender's timeout
      // ends it), so the relay cannot know whether it was delivered.
      asio::steady_timer hold(socket.get_executor(), std::chrono::seconds(60));
      co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    if (head.rfind("POST /bot", 0) == 0 && head.find("/sendMessage ") != std::string::npos &&
        body.find(kUnknownChat) != std::string::npos) {
      answer = DemoAnswer(
          "400 Bad Request",
          R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
    } else if (head.rfind("POST /bot", 0) == 0 && head.find("/sendMessage ") != std::string::npos) {
      const int id = ++telegram;
      if (on_telegram) {
        const nlohmann::json m = nlohmann::json::parse(body, nullptr, false);
        if (m.is_object() && m.contains("chat_id") && m.contains("text") && m["text"].is_string()) {
          const auto& chat = m["chat_id"];
          on_telegram(chat.is_string() ? chat.get<std::string>() : chat.dump(),
                      m["text"].get<std::string>());
        }
      }
      answer = DemoAnswer(
          "200 OK",
          fmt::format(R"({{"ok":true,"result":{{"message_id":{},"chat":{{"id":-1001000000001,)"
                      R"("type":"channel"}},"date":0}}}})",
                      id));
    } else if (head.rfind("POST /v21.0/", 0) == 0 && head.find("/messages ") != std::string::npos) {
      if (whatsapp_failing.load()) {
        answer = DemoAnswer("503 Service Unavailable",
                            R"({"error":{"message":"Service temporarily unavailable","type":)"
                            R"("OAuthException","code":2,"fbtrace_id":"demo"}})");
      } else {
        const int id = ++whatsapp;
        const std::string wamid = fmt::format("wamid.demo{}", id);
        if (on_whatsapp) {
          const nlohmann::json m = nlohmann::json::parse(body, nullptr, false);
          if (m.is_object() && m.contains("to") && m["to"].is_string()) {
            on_whatsapp(m["to"].get<std::string>(), wamid);
          }
        }
        answer = DemoAnswer("200 OK", fmt::format(R"({{"messaging_product":"whatsapp","contacts":)"
                                                  R"([{{"input":"+15550100001","wa_id":)"
                                                  R"("15550100001"}}],"messages":[{{"id":)"
                                                  R"("{}"}}]}})",
                                                  wamid));
      }
    } else {
      answer = DemoAnswer("404 Not Found", R"({"ok":false,"error_code":404})");
    }
    co_await asio::async_write(socket, asio::buffer(answer),
                               asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::awaitable<void> AcceptSmtp() {
    auto self = shared_from_this();
    while (smtp.is_open()) {
      boost::system::error_code ec;
      tcp::socket s = co_await smtp.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!smtp.is_open()) break;
        continue;
      }
      asio::co_spawn(smtp.get_executor(), ServeSmtp(std::move(s)), asio::detached);
    }
  }

  // RFC 5321's minimal dialogue: greeting, EHLO, MAIL, RCPT, DATA ... ".", QUIT.
  asio::awaitable<void> ServeSmtp(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    auto say = [&](std::string line) -> asio::awaitable<void> {
      line += "\r\n";
      co_await asio::async_write(socket, asio::buffer(line),
                                 asio::redirect_error(asio::use_awaitable, ec));
    };
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(30));
    deadline.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) socket.close();
    });
    asio::streambuf buf(1 << 20);
    co_await say("220 demo-mail.lifeline.test ESMTP ready");
    bool in_data = false;
    while (!ec) {
      std::size_t n =
          co_await asio::async_read_until(socket, buf, in_data ? "\r\n.\r\n" : "\r\n",
                                          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string line = Take(buf, n);
      if (in_data) {
        in_data = false;
        const int id = ++mails;
        co_await say(fmt::format("250 2.0.0 Ok: queued as DEMO{}", id));
        continue;
      }
      std::string verb = line.substr(0, 4);
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        co_await say("250-demo-mail.lifeline.test");
        co_await say("250 8BITMIME");
      } else if (verb == "HELO" || verb == "MAIL" || verb == "RCPT" || verb == "RSET" ||
                 verb == "NOOP") {
        co_await say("250 2.1.0 Ok");
      } else if (verb == "DATA") {
        in_data = true;
        co_await say("354 End data with <CR><LF>.<CR><LF>");
      } else if (verb == "QUIT") {
        co_await say("221 2.0.0 Bye");
        break;
      } else {
        co_await say("502 5.5.2 Command not recognized");
      }
    }
    deadline.cancel();
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
};

DemoMessaging::DemoMessaging(asio::io_context& io) : state_(std::make_shared<State>(io)) {}
DemoMessaging::~DemoMessaging() = default;

core::Status DemoMessaging::Start() {
  for (tcp::acceptor* a : {&state_->http, &state_->smtp}) {
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    a->open(ep.protocol(), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return core::MakeError(core::ErrorCode::kUnavailable,
                             "demo: cannot listen on 127.0.0.1 for the messaging simulators: {}",
                             ec.message());
    }
  }
  asio::co_spawn(state_->http.get_executor(), state_->AcceptHttp(), asio::detached);
  asio::co_spawn(state_->smtp.get_executor(), state_->AcceptSmtp(), asio::detached);
  return core::Ok();
}

void DemoMessaging::Stop() {
  boost::system::error_code ec;
  state_->http.close(ec);
  state_->smtp.close(ec);
}

void DemoMessaging::SetWhatsAppFailing(bool failing) { state_->whatsapp_failing.store(failing); }
void DemoMessaging::OnWhatsAppMessage(
    std::function<void(const std::string&, const std::string&)> f) {
  state_->on_whatsapp = std::move(f);
}

void DemoMessaging::OnTelegramMessage(
    std::function<void(const std::string& chat, const std::string& text)> f) {
  state_->on_telegram = std::move(f);
}
int DemoMessaging::telegram_messages() const { return state_->telegram.load(); }
int DemoMessaging::whatsapp_messages() const { return state_->whatsapp.load(); }
int DemoMessaging::emails() const { return state_->mails.load(); }

core::Status DemoMessaging::Configure(config::Config& config, const std::string& data_dir) const {
  namespace fs = std::filesystem;
  // Credentials come from files, as a real installation's would.
  auto secret = [&](const char* name, const char* value) -> core::Result<std::string> {
    std::string path = (fs::path(data_dir) / name).string();
    std::ofstream out(path);
    out << value << "\n";
    if (!out) return core::MakeError(core::ErrorCode::kUnavailable, "cannot write {}", path);
    return path;
  };
  auto tg = secret("telegram.token", "123456789:AAdemo-bot-token-for-the-lifeline-demo");
  if (!tg.ok()) return tg.error();
  auto wa = secret("whatsapp.token", "EAAdemo-whatsapp-cloud-api-access-token");
  if (!wa.ok()) return wa.error();
  const auto http = state_->http.local_endpoint().port();
  const auto smtp = state_->smtp.local_endpoint().port();
  const std::string yaml = fmt::format(R"(
channels:
  team-whatsapp:
    type: whatsapp
    token: {{ file: {wa} }}
    phone_number_id: "106540352242922"
    to: "+15550100001"
    api_base: http://127.0.0.1:{http}
    timeout: 3s
  brand-whatsapp:
    # The brand's updates to customers who opted in on WhatsApp (the content calendar posts here).
    type: whatsapp
    token: {{ file: {wa} }}
    phone_number_id: "106540352242922"
    to: "+15550100002"
    api_base: http://127.0.0.1:{http}
    timeout: 3s
  team-telegram:
    type: telegram
    token: {{ file: {tg} }}
    chat: "-1001000000001"
    api_base: http://127.0.0.1:{http}
  team-email:
    type: email
    host: 127.0.0.1
    port: {smtp}
    security: none
    from: lifeline@demo.lifeline.test
    to: comms@demo.lifeline.test
contacts:
  community-manager:
    name: Alex (community manager)
    role: community_manager
    points: [ {{ channel: team-whatsapp }}, {{ channel: team-telegram }} ]
  comms-lead:
    name: Sam (comms lead)
    role: comms_lead
    points: [ {{ channel: team-whatsapp }}, {{ channel: team-email }} ]
templates:
  incident-opened:
    subject: "[Lifeline] {{platform}} is down"
    default: "{{platform}} is down for everyone since {{time}}: {{incident}}. Lifeline incident {{incident_id}}."
  incident-closed:
    subject: "[Lifeline] {{platform}} is back"
    default: "{{platform}} works again (incident {{incident_id}} since {{time}} is closed)."
alerts:
  - contacts: [community-manager, comms-lead]
    opened: incident-opened
    closed: incident-closed
)",
                                       fmt::arg("wa", *wa), fmt::arg("tg", *tg),
                                       fmt::arg("http", http), fmt::arg("smtp", smtp));
  return AddDemoSections(config, yaml, "<demo relay>");
}

}  // namespace lifeline::serve
