// One SMTP transaction with libcurl (STARTTLS, implicit TLS or plain), recorded as a transcript of
// the stages reached and the server's replies, and the classification of that transcript into a
// DeliveryResult. The classification is a pure function, so it is unit-tested without a server.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "channels/channel.h"

namespace lifeline::channels::email {

enum class Security {
  kStartTls,  // plain connection upgraded with STARTTLS, which the server must offer
  kTls,       // TLS from the first byte (SMTPS, usually port 465)
  kNone,      // no TLS at all: only for a relay on a trusted network
};

struct SmtpServer {
  std::string host;
  int port = 587;
  Security security = Security::kStartTls;
  std::string username;                      // empty: no AUTH
  std::string password;                      // a secret: never logged, never in a DeliveryResult
  std::string ca_file;                       // "" = the system's CAs
  std::chrono::milliseconds timeout{15000};  // the whole transaction
};

// How far one transaction got. Filled from libcurl's protocol trace (commands out, replies in);
// commands are only ever looked at by their verb, never stored, since AUTH carries credentials.
struct SmtpTranscript {
  enum class Stage {
    kConnect,   // before the server's greeting
    kGreeting,  // EHLO/HELO
    kStartTls,
    kAuth,
    kMailFrom,
    kRcptTo,
    kData,      // DATA sent, waiting for 354
    kBody,      // 354 received; the message is being sent
    kEndOfData  // the whole message and the final "." left; waiting for the final reply
  };
  Stage stage = Stage::kConnect;
  int curl_code = 0;       // CURLcode of the transfer (0 = CURLE_OK)
  std::string curl_error;  // libcurl's error text (never holds credentials)
  int last_code = 0;       // the last complete reply code from the server, 0 if none
  std::string last_reply;  // the last reply's text (one line: multi-line replies are joined)
  Stage last_reply_stage = Stage::kConnect;  // the stage that reply answered
  std::string rcpt;                          // the recipient the last RCPT TO was for
  bool final_reply = false;                  // a reply to the end of data came (last_code holds it)
};

std::string_view StageName(SmtpTranscript::Stage stage);

// Runs one transaction. Never throws; everything that happened is in the transcript.
SmtpTranscript SendSmtp(const SmtpServer& server, const std::string& from,
                        const std::vector<std::string>& recipients, const std::string& message);

// The server's queue id from a final "250 2.0.0 Ok: queued as 4F2B81C0A" (Postfix, Exim "id=",
// aiosmtpd and others say "queued as"); empty when the reply names none.
std::string QueueIdFromReply(std::string_view reply);

// Classifies a transcript (see smtp.cc for the rules). `message_id` is our Message-ID, the remote
// id when the server names no queue id.
DeliveryResult ClassifySmtp(const SmtpTranscript& t, const std::string& message_id,
                            const std::string& server_name);

}  // namespace lifeline::channels::email
