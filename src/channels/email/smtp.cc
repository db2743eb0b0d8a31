// SMTP with libcurl and the classification of what happened (smtp.h).
#include "channels/email/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include <fmt/core.h>

namespace lifeline::channels::email {

namespace {

using Stage = SmtpTranscript::Stage;

// State shared with libcurl's callbacks during one transfer.
struct Transfer {
  SmtpTranscript t;
  std::string_view body;
  std::size_t sent = 0;
  bool quitting = false;  // QUIT's reply says nothing about the message
  std::string reply;      // the lines of a multi-line reply so far
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void OnCommand(Transfer& x, std::string_view line) {
  std::string_view verb = line.substr(0, line.find_first_of(" \r\n"));
  std::string v = Upper(verb);
  if (v == "QUIT") {
    x.quitting = true;
  } else if (v == "EHLO" || v == "HELO") {
    x.t.stage = Stage::kGreeting;
  } else if (v == "STARTTLS") {
    x.t.stage = Stage::kStartTls;
  } else if (v == "AUTH") {
    x.t.stage = Stage::kAuth;
  } else if (v == "MAIL") {
    x.t.stage = Stage::kMailFrom;
  } else if (v == "RCPT") {
    x.t.stage = Stage::kRcptTo;
    auto lt = line.find('<');
    auto gt = line.find('>', lt == std::string_view::npos ? 0 : lt);
    x.t.rcpt = lt != std::string_view::npos && gt != std::string_view::npos
                   ? std::string(line.substr(lt + 1, gt - lt - 1))
                   : std::string();
  } else if (v == "DATA") {
    x.t.stage = Stage::kData;
  }
  // Anything else is a continuation of AUTH (base64 credentials): deliberately not looked at.
}

void OnReplyLine(Transfer& x, std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) ||
      !std::isdigit(static_cast<unsigned char>(line[2]))) {
    return;
  }
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (!x.reply.empty()) x.reply += " ";
  x.reply += text;
  bool last = line.size() == 3 || line[3] == ' ';
  if (!last) return;
  std::string reply = std::move(x.reply);
  x.reply.clear();
  if (x.quitting) return;
  x.t.last_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  x.t.last_reply = std::move(reply);
  x.t.last_reply_stage = x.t.stage;
  if (x.t.stage == Stage::kData && x.t.last_code == 354) x.t.stage = Stage::kBody;
  if (x.t.stage == Stage::kEndOfData) x.t.final_reply = true;
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto& x = *static_cast<Transfer*>(user);
  std::string_view chunk(data, size);
  if (type == CURLINFO_HEADER_OUT) {
    OnCommand(x, chunk);
  } else if (type == CURLINFO_HEADER_IN) {
    std::size_t pos = 0;
    while (pos < chunk.size()) {
      auto eol = chunk.find('\n', pos);
      std::size_t end = eol == std::string_view::npos ? chunk.size() : eol + 1;
      OnReplyLine(x, chunk.substr(pos, end - pos));
      pos = end;
    }
  }
  return 0;
}

size_t OnRead(char* buffer, size_t size, size_t nitems, void* user) {
  auto& x = *static_cast<Transfer*>(user);
  std::size_t n = std::min(size * nitems, x.body.size() - x.sent);
  std::memcpy(buffer, x.body.data() + x.sent, n);
  x.sent += n;
  // The whole message has been handed over: libcurl now ends it with "\r\n.\r\n", after which
  // the server may deliver it even if its reply never reaches us. (With the size known, libcurl
  // may not call again for the end of the data, so the last byte marks it.)
  if (x.sent == x.body.size() && x.t.stage == Stage::kBody) x.t.stage = Stage::kEndOfData;
  return n;
}

std::string StageWhat(Stage s) {
  switch (s) {
    case Stage::kConnect:
      return "the connection";
    case Stage::kGreeting:
      return "EHLO";
    case Stage::kStartTls:
      return "STARTTLS";
    case Stage::kAuth:
      return "AUTH";
    case Stage::kMailFrom:
      return "MAIL FROM";
    case Stage::kRcptTo:
      return "RCPT TO";
    case Stage::kData:
      return "DATA";
    case Stage::kBody:
      return "the message";
    case Stage::kEndOfData:
      return "the end of the message";
  }
  return "?";
}

// "5.1.1" from "5.1.1 <x@y>: Recipient address rejected", or "".
std::string EnhancedCode(std::string_view reply) {
  if (reply.size() >= 5 && (reply[0] == '2' || reply[0] == '4' || reply[0] == '5') &&
      reply[1] == '.') {
    auto end = reply.find(' ');
    std::string_view code = reply.substr(0, end);
    bool ok = std::all_of(code.begin(), code.end(), [](char c) {
      return c == '.' || std::isdigit(static_cast<unsigned char>(c));
    });
    if (ok) return std::string(code);
  }
  return "";
}

bool LooksRateLimited(int code, std::string_view reply) {
  std::string lower(reply);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (EnhancedCode(reply).starts_with("4.7.")) return true;
  return code / 100 == 4 &&
         (lower.find("rate") != std::string::npos || lower.find("too many") != std::string::npos);
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kConnect:
      return "connect";
    case Stage::kGreeting:
      return "greeting";
    case Stage::kStartTls:
      return "starttls";
    case Stage::kAuth:
      return "auth";
    case Stage::kMailFrom:
      return "mail_from";
    case Stage::kRcptTo:
      return "rcpt_to";
    case Stage::kData:
      return "data";
    case Stage::kBody:
      return "body";
    case Stage::kEndOfData:
      return "end_of_data";
  }
  return "?";
}

SmtpTranscript SendSmtp(const SmtpServer& server, const std::string& from,
                        const std::vector<std::string>& recipients, const std::string& message) {
  GlobalInit();
  Transfer x;
  x.body = message;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    x.t.curl_code = CURLE_FAILED_INIT;
    x.t.curl_error = "cannot create a libcurl handle";
    return x.t;
  }
  std::string host =
      server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
  std::string url = fmt::format("{}://{}:{}", server.security == Security::kTls ? "smtps" : "smtp",
                                host, server.port);
  std::string mail_from = "<" + from + ">";
  curl_slist* rcpt = nullptr;
  for (const std::string& r : recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  char error[CURL_ERROR_SIZE] = {0};
  long timeout_ms = static_cast<long>(server.timeout.count());

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // delivery threads: no SIGALRM
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   server.security == Security::kStartTls ? static_cast<long>(CURLUSESSL_ALL)
                                                          : static_cast<long>(CURLUSESSL_NONE));
  if (!server.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, server.ca_file.c_str());
  if (!server.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, server.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, server.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(curl, CURLOPT_READDATA, &x);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  // The protocol trace is how the stage reached and every reply are known (see OnDebug); with a
  // debug function set, VERBOSE prints nothing.
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, OnDebug);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &x);

  CURLcode rc = curl_easy_perform(curl);
  x.t.curl_code = static_cast<int>(rc);
  if (rc != CURLE_OK) x.t.curl_error = error[0] != '\0' ? error : curl_easy_strerror(rc);
  // Cleanup sends QUIT on a healthy connection: its reply is not the message's (x.quitting).
  curl_easy_cleanup(curl);
  curl_slist_free_all(rcpt);
  return x.t;
}

std::string QueueIdFromReply(std::string_view reply) {
  for (std::string_view marker : {std::string_view("queued as "), std::string_view("id=")}) {
    auto at = reply.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view rest = reply.substr(at + marker.size());
    std::size_t end = 0;
    while (end < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[end])) ||
                                 rest[end] == '-' || rest[end] == '.' || rest[end] == '_')) {
      ++end;
    }
    while (end > 0 && rest[end - 1] == '.') --end;  // a sentence's full stop
    if (end > 0) return std::string(rest.substr(0, end));
  }
  return "";
}

DeliveryResult ClassifySmtp(const SmtpTranscript& t, const std::string& message_id,
                            const std::string& server_name) {
  DeliveryResult r;
  r.http_status = t.last_code;
  r.far_code = EnhancedCode(t.last_reply);
  std::string said = fmt::format("{} {}", t.last_code, t.last_reply);

  if (t.curl_code == 0 && t.final_reply && t.last_code / 100 == 2) {
    r.outcome = Outcome::kDelivered;
    std::string queue_id = QueueIdFromReply(t.last_reply);
    r.remote_id = queue_id.empty() ? message_id : queue_id;
    r.reason = fmt::format("accepted by {}: {} (Message-ID {})", server_name, said, message_id);
    return r;
  }

  // A refusal: the server answered the step we were at with 4xx or 5xx. SMTP's first digit is
  // the contract (RFC 5321 4.2.1): 4 = try again later, 5 = do not repeat this as it is.
  bool refused = t.last_code >= 400 && t.last_reply_stage == t.stage;
  if (refused) {
    std::string what = StageWhat(t.stage);
    if (t.stage == Stage::kRcptTo && !t.rcpt.empty()) what += " <" + t.rcpt + ">";
    r.rate_limited = LooksRateLimited(t.last_code, t.last_reply);
    if (t.last_code / 100 == 4) {
      r.outcome = Outcome::kRetry;
      r.reason = fmt::format("{} deferred {}: {}", server_name, what, said);
    } else if (t.stage == Stage::kAuth) {
      r.outcome = Outcome::kFailed;
      r.reason =
          fmt::format("{} refused the login (check username and password): {}", server_name, said);
    } else {
      r.outcome = Outcome::kFailed;
      r.reason = fmt::format("{} refused {}: {}", server_name, what, said);
    }
    return r;
  }

  // No refusal, yet no final 250: the transaction broke off.
  std::string why = t.curl_error.empty() ? std::string("no answer") : t.curl_error;
  if (t.stage == Stage::kEndOfData && !t.final_reply) {
    r.outcome = Outcome::kUnconfirmed;
    r.reason = fmt::format(
        "the whole message went to {} but its final reply never came ({}): it may have been "
        "delivered",
        server_name, why);
    return r;
  }
  switch (static_cast<CURLcode>(t.curl_code)) {
    case CURLE_USE_SSL_FAILED:
      r.outcome = Outcome::kFailed;
      r.reason = fmt::format(
          "{} does not offer STARTTLS (use security: tls for port 465, or a server that offers "
          "it): {}",
          server_name, why);
      return r;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      r.outcome = Outcome::kFailed;
      r.reason = fmt::format("{}'s TLS certificate is not trusted: {}", server_name, why);
      return r;
    case CURLE_LOGIN_DENIED:
      r.outcome = Outcome::kFailed;
      r.reason = fmt::format("{} refused the login: {}", server_name, why);
      return r;
    default:
      break;
  }
  // Connection refused, DNS, timeouts, a TLS handshake cut short, a server that hung up before
  // the end of data: nothing can have been delivered, so another try is safe.
  r.outcome = Outcome::kRetry;
  r.reason = fmt::format("{} at {}: {}", server_name, StageWhat(t.stage), why);
  return r;
}

}  // namespace lifeline::channels::email
