// Tests of the libcurl HttpClient against small servers on loopback: answers, the not-sent vs
// lost classification, the body cap, no redirects, allow_address, and ParseRetryAfter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "channels/http.h"

namespace lifeline::channels {
namespace {

using namespace std::chrono_literals;
using Transport = HttpResponse::Transport;

// A one-thread TCP server on 127.0.0.1: for each connection it reads one request (headers and a
// Content-Length body) and hands it to `handler`, which writes whatever it likes to the socket.
class LoopbackServer {
 public:
  using Handler = std::function<void(int fd, const std::string& request)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }

  std::string Url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }
  std::string last_request() const { return last_; }

 private:
  void Run() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      std::size_t need = std::string::npos;
      while (true) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
        auto end = req.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          std::size_t body = 0;
          auto cl = req.find("Content-Length: ");
          if (cl != std::string::npos && cl < end) body = std::stoul(req.substr(cl + 16));
          need = end + 4 + body;
        }
        if (need != std::string::npos && req.size() >= need) break;
      }
      ++requests_;
      last_ = req;
      handler_(c, req);
      close(c);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::string last_;
  std::thread thread_;
};

void Write(int fd, const std::string& s) { (void)!send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

std::string Answer(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

HttpRequest Post(const std::string& url, const std::string& body = "{\"a\":1}") {
  HttpRequest r;
  r.url = url;
  r.body = body;
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer s3cret"}};
  r.timeout = 2000ms;
  r.connect_timeout = 1000ms;
  return r;
}

TEST(CurlHttp, AnswersWithStatusHeadersAndBody) {
  LoopbackServer server([](int fd, const std::string&) {
    Write(fd, Answer(201, "{\"ok\":true}", "X-Far: yes\r\n"));
  });
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post(server.Url("/bot123/send")));
  EXPECT_EQ(r.transport, Transport::kAnswered);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_EQ(r.Header("x-far"), "yes");
  EXPECT_EQ(r.Header("X-FAR"), "yes");
  EXPECT_NE(server.last_request().find("POST /bot123/send HTTP/1.1"), std::string::npos);
  EXPECT_NE(server.last_request().find("Authorization: Bearer s3cret"), std::string::npos);
  EXPECT_NE(server.last_request().find("{\"a\":1}"), std::string::npos);
  EXPECT_EQ(server.last_request().find("Expect:"), std::string::npos);
}

TEST(CurlHttp, ErrorStatusIsAnAnswer) {
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(500, "boom")); });
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kAnswered);
  EXPECT_EQ(r.status, 500);
}

TEST(CurlHttp, BasicAuth) {
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(200, "{}")); });
  auto client = MakeCurlHttpClient();
  HttpRequest req = Post(server.Url());
  req.headers.clear();
  req.basic_auth = "AC123:tok";
  ASSERT_EQ(client->Do(req).status, 200);
  // base64("AC123:tok")
  EXPECT_NE(server.last_request().find("Authorization: Basic QUMxMjM6dG9r"), std::string::npos);
}

TEST(CurlHttp, RefusedConnectionIsNotSent) {
  int port = 0;
  {
    // Bind a port and close it again: nothing listens there now.
    LoopbackServer gone([](int, const std::string&) {});
    port = std::stoi(gone.Url().substr(17));
  }
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post("http://127.0.0.1:" + std::to_string(port) + "/bot123/x"));
  EXPECT_EQ(r.transport, Transport::kNotSent);
  EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("bot123"), std::string::npos) << r.error;
}

TEST(CurlHttp, UnresolvableHostIsNotSent) {
  auto client = MakeCurlHttpClient();
  // .invalid never resolves (RFC 2606); the resolver answers locally or fails at once.
  HttpRequest req = Post("http://lifeline-test.invalid/x");
  HttpResponse r = client->Do(req);
  EXPECT_EQ(r.transport, Transport::kNotSent) << r.error;
}

TEST(CurlHttp, ClosedAfterRequestIsLost) {
  LoopbackServer server([](int, const std::string&) {});  // reads the request, closes
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kLost) << r.error;
  EXPECT_EQ(server.requests(), 1);
}

TEST(CurlHttp, NoAnswerInTimeIsLost) {
  LoopbackServer server([](int, const std::string&) { std::this_thread::sleep_for(1500ms); });
  auto client = MakeCurlHttpClient();
  HttpRequest req = Post(server.Url());
  req.timeout = 500ms;
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = client->Do(req);
  EXPECT_EQ(r.transport, Transport::kLost) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms);
}

// A keep-alive server that answers the first request and closes the connection on the second
// one without answering, then counts whether a third copy arrives on a new connection.
TEST(CurlHttp, NoSilentResendOnAReusedConnection) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  listen(fd, 4);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/send";
  std::atomic<int> requests{0};
  auto read_request = [&](int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos || !req.ends_with("}")) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      req.append(buf, static_cast<std::size_t>(n));
    }
    ++requests;
    return true;
  };
  std::thread server([&] {
    int c = accept(fd, nullptr, nullptr);
    if (read_request(c)) {
      Write(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");  // keep-alive
    }
    read_request(c);  // the second request: acted on, never answered
    close(c);
    // A blind resend would arrive here on a new connection.
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int again = accept(fd, nullptr, nullptr);
    if (again >= 0) {
      if (read_request(again)) Write(again, Answer(200, "{}"));
      close(again);
    }
  });
  auto client = MakeCurlHttpClient();
  HttpResponse first = client->Do(Post(url));
  EXPECT_EQ(first.status, 200);
  HttpResponse second = client->Do(Post(url));
  server.join();
  close(fd);
  EXPECT_EQ(second.transport, Transport::kLost) << second.error;
  EXPECT_EQ(requests.load(), 2);
}

TEST(CurlHttp, HalfAnswerIsLost) {
  LoopbackServer server([](int fd, const std::string&) {
    Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"par");
  });
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kLost) << r.error;
}

TEST(CurlHttp, TlsHandshakeFailureIsNotSent) {
  // A server that never answers the ClientHello: the handshake times out (connect_timeout
  // covers it) before any request byte was written.
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(200, "{}")); });
  auto client = MakeCurlHttpClient();
  std::string url = server.Url();
  url.replace(0, 4, "https");
  HttpResponse r = client->Do(Post(url));
  EXPECT_EQ(r.transport, Transport::kNotSent) << r.error;
}

TEST(CurlHttp, BodyIsCapped) {
  LoopbackServer server(
      [](int fd, const std::string&) { Write(fd, Answer(200, std::string(5000, 'x'))); });
  HttpClientOptions options;
  options.max_body_bytes = 100;
  auto client = MakeCurlHttpClient(options);
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kAnswered) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 100u);
}

TEST(CurlHttp, RedirectsAreNotFollowed) {
  LoopbackServer server([](int fd, const std::string&) {
    Write(fd, Answer(302, "", "Location: http://127.0.0.1:1/elsewhere\r\n"));
  });
  auto client = MakeCurlHttpClient();
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kAnswered);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(server.requests(), 1);
}

TEST(CurlHttp, AllowAddressRefusesBeforeConnecting) {
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(200, "{}")); });
  HttpClientOptions options;
  std::atomic<int> asked{0};
  options.allow_address = [&](const sockaddr* a) -> core::Status {
    ++asked;
    if (a->sa_family == AF_INET) {
      return core::Error(core::ErrorCode::kPermissionDenied, "127.0.0.1 is a loopback address");
    }
    return core::Ok();
  };
  auto client = MakeCurlHttpClient(options);
  HttpResponse r = client->Do(Post(server.Url()));
  EXPECT_EQ(r.transport, Transport::kNotSent);
  EXPECT_NE(r.error.find("loopback address"), std::string::npos) << r.error;
  EXPECT_GE(asked.load(), 1);
  EXPECT_EQ(server.requests(), 0);
}

TEST(CurlHttp, AllowAddressLetsAllowedThrough) {
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(200, "{}")); });
  HttpClientOptions options;
  options.allow_address = [](const sockaddr*) { return core::Ok(); };
  auto client = MakeCurlHttpClient(options);
  EXPECT_EQ(client->Do(Post(server.Url())).status, 200);
}

TEST(CurlHttp, ManyThreadsAtOnce) {
  LoopbackServer server([](int fd, const std::string&) { Write(fd, Answer(200, "{\"n\":1}")); });
  auto client = MakeCurlHttpClient();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (client->Do(Post(server.Url())).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
}

TEST(ParseRetryAfter, SecondsAndDates) {
  auto now = std::chrono::system_clock::from_time_t(1784000000);
  EXPECT_EQ(ParseRetryAfter("120", now), std::chrono::milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter(" 3 ", now), std::chrono::milliseconds(3000));
  EXPECT_EQ(ParseRetryAfter("0", now), std::chrono::milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  // 1784000000 is Tue, 14 Jul 2026 03:33:20 GMT.
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Jul 2026 03:34:20 GMT", now),
            std::chrono::milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Jul 2026 03:00:00 GMT", now), std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace lifeline::channels
