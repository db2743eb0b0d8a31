// The libcurl HttpClient (http.h): one blocking exchange per call on a per-thread easy handle,
// classifying every failure as "not sent" (safe to retry) or "lost" (the far side may have acted).
#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <string>

#include <fmt/core.h>

#include "channels/http.h"

namespace lifeline::channels {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void GlobalInit() {
  // curl_global_init is not thread-safe itself; every client construction goes through here.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per delivery thread, kept between calls so that its connection cache keeps the
// TCP+TLS connection to a busy API (api.telegram.org) alive. curl_easy_reset clears the options
// but keeps live connections.
struct ThreadHandle {
  CURL* handle = nullptr;
  ~ThreadHandle() {
    if (handle != nullptr) curl_easy_cleanup(handle);
  }
};

CURL* HandleForThisThread() {
  thread_local ThreadHandle t;
  if (t.handle == nullptr) {
    t.handle = curl_easy_init();
  } else {
    curl_easy_reset(t.handle);
  }
  return t.handle;
}

// State of one exchange, shared with libcurl's callbacks.
struct Exchange {
  const HttpClientOptions* options = nullptr;
  HttpResponse* response = nullptr;
  // Request bytes libcurl handed to a connection (headers and body).
  std::size_t sent_bytes = 0;
  // libcurl resends a request on a new connection when a reused one closed without answering.
  // The far side may have acted on the first copy, so OnPrereq stops that second copy.
  bool resend_stopped = false;
  bool truncated = false;
  std::string refused;  // allow_address's message when it refused every address
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t len = size * n;
  std::size_t room = ex->options->max_body_bytes > ex->response->body.size()
                         ? ex->options->max_body_bytes - ex->response->body.size()
                         : 0;
  if (len > room) {
    ex->response->body.append(data, room);
    ex->truncated = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR); the status is already known
  }
  ex->response->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue, or an interim answer): its headers start over.
    ex->response->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(Trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ex->response->headers.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
  return size * n;
}

int OnDebug(CURL*, curl_infotype type, char*, size_t size, void* user) {
  // HEADER_OUT / DATA_OUT are reported after libcurl wrote them to the connection (TLS records
  // are SSL_DATA_OUT and include the handshake, so they do not count).
  if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT) {
    static_cast<Exchange*>(user)->sent_bytes += size;
  }
  return 0;
}

// Called before each attempt's request bytes go out. A second attempt after bytes of the first
// left would be a blind resend: abort instead, and let the caller classify the exchange as lost.
int OnPrereq(void* user, char*, char*, int, int) {
  auto* ex = static_cast<Exchange*>(user);
  if (ex->sent_bytes > 0) {
    ex->resend_stopped = true;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* ex = static_cast<Exchange*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && ex->options->allow_address) {
    core::Status allowed = ex->options->allow_address(&address->addr);
    if (!allowed.ok()) {
      ex->refused = allowed.error().message();
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

// The request's host (and port) for messages: never the path or query, which may hold a token
// (Telegram's /bot<token>/, a Slack or Discord webhook's secret path).
std::string HostOf(const std::string& url) {
  std::string out = "the server";
  CURLU* u = curl_url();
  if (u == nullptr) return out;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
      out = host;
      char* port = nullptr;
      if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
          port != nullptr) {
        out += ":";
        out += port;
        curl_free(port);
      }
      curl_free(host);
    }
  }
  curl_url_cleanup(u);
  return out;
}

// libcurl's error texts name hosts, not paths; this cuts anything after the host in case a future
// version quotes the URL.
std::string Scrub(std::string message, const std::string& url) {
  auto scheme_end = url.find("://");
  std::size_t path_start =
      scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  if (path_start != std::string::npos && url.size() - path_start > 1) {
    std::string secret_part = url.substr(path_start);
    for (auto at = message.find(secret_part); at != std::string::npos;
         at = message.find(secret_part)) {
      message.replace(at, secret_part.size(), "/...");
    }
  }
  return message;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpClientOptions options) : options_(std::move(options)) {
    GlobalInit();
  }

  HttpResponse Do(const HttpRequest& request) override {
    HttpResponse response;
    CURL* h = HandleForThisThread();
    if (h == nullptr) {
      response.error = "libcurl could not create a handle";
      return response;
    }
    Exchange ex;
    ex.options = &options_;
    ex.response = &response;
    char errbuf[CURL_ERROR_SIZE] = {0};

    struct curl_slist* headers = nullptr;
    bool has_expect = false;
    for (const auto& [name, value] : request.headers) {
      if (EqualsIgnoreCase(name, "expect")) has_expect = true;
      headers = curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
    }
    // No "Expect: 100-continue" round trip for larger bodies: APIs answer at once anyway.
    if (!has_expect) headers = curl_slist_append(headers, "Expect:");

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // several threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    // Reuse only connections idle for less than 30 s: servers close idle ones (often after 60 s),
    // and a request sent into a connection the server is closing ends "lost" (OnPrereq).
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, 30L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, request.connect_timeout.count())));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, request.timeout.count())));
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
    // VERBOSE only feeds OnDebug, which counts the request bytes that left; nothing is printed.
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, OnDebug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &ex);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, OnPrereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, &ex);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &ex);
    if (options_.allow_address) {
      // The per-thread connection cache is shared by every client on this thread: a connection
      // another client opened was never checked against this client's rule.
      curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }
    if (!request.basic_auth.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      curl_easy_setopt(h, CURLOPT_USERPWD, request.basic_auth.c_str());
    }

    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      if (request.method != "POST") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    }

    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    // Options point at this call's buffers and callbacks' state: clear them before the handle
    // waits for the thread's next call.
    curl_easy_reset(h);

    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && ex.truncated && status > 0)) {
      response.transport = HttpResponse::Transport::kAnswered;
      response.status = static_cast<int>(status);
      return response;
    }
    std::string why;
    if (!ex.refused.empty()) {
      why = ex.refused;
    } else if (ex.resend_stopped) {
      why = "the connection closed without an answer after the request was sent";
    } else {
      why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    }
    response.error = Scrub(fmt::format("{}: {}", HostOf(request.url), why), request.url);
    response.transport =
        ex.sent_bytes > 0 ? HttpResponse::Transport::kLost : HttpResponse::Transport::kNotSent;
    response.status = 0;
    return response;
  }

 private:
  const HttpClientOptions options_;
};

}  // namespace

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

std::unique_ptr<HttpClient> MakeCurlHttpClient(HttpClientOptions options) {
  return std::make_unique<CurlHttpClient>(std::move(options));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    long long seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    // A day is already far longer than any platform asks; larger numbers are garbage.
    seconds = std::min<long long>(seconds, 86400);
    return std::chrono::milliseconds(seconds * 1000);
  }
  // An HTTP date (IMF-fixdate, RFC 850 or asctime); curl_getdate reads all three.
  std::string text(value);
  time_t at = curl_getdate(text.c_str(), nullptr);
  if (at == -1) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(at);
  if (when <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
}

}  // namespace lifeline::channels
