// ChatFakes: control calls to tests/fakes/chat_apis.py go through a plain socket (no library
// client), so the helper does not depend on the HTTP client under test.
#include "integration/support/chat_fakes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace lifeline::testing {

namespace {

// One HTTP/1.1 exchange with Connection: close; returns the status and fills `body`.
int Exchange(std::uint16_t port, const std::string& method, const std::string& target,
             const std::string& payload, std::string* body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return 0;
  }
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(payload.size()) +
      "\r\n\r\n" + payload;
  (void)!send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<std::size_t>(n));
  close(fd);
  auto sp = resp.find(' ');
  auto end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || end == std::string::npos) return 0;
  if (body) *body = resp.substr(end + 4);
  return std::atoi(resp.c_str() + sp + 1);
}

}  // namespace

std::string ChatFakes::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

bool ChatFakes::Control(const nlohmann::json& body) {
  return Exchange(port(), "POST", "/_control", body.dump(), nullptr) == 200;
}

nlohmann::json ChatFakes::Received(const std::string& platform) {
  std::string body;
  std::string target = platform.empty() ? "/_received" : "/_received?platform=" + platform;
  if (Exchange(port(), "GET", target, "", &body) != 200) return nlohmann::json::array();
  return nlohmann::json::parse(body, nullptr, false);
}

}  // namespace lifeline::testing
