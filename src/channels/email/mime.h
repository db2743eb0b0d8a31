// The e-mail message itself (RFC 5322 headers, RFC 2047 encoded words, MIME multipart/alternative
// with quoted-printable parts), built as bytes for the SMTP DATA phase. Pure functions: no I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lifeline::channels::email {

// A mailbox: an address and an optional display name ("Lifeline <alerts@example.com>").
struct Mailbox {
  std::string name;     // may be empty; any Unicode (encoded as RFC 2047 when not ASCII)
  std::string address;  // local@domain, ASCII (IsValidAddress)
};

// An address we can hand to an SMTP server without SMTPUTF8: local@domain in dot-atom form, a
// domain of letters, digits and hyphens (at least one dot, or "localhost"), or a bracketed IP
// literal. kInvalidArgument says what is wrong with it (never for a valid one).
core::Status CheckAddress(std::string_view address);

// "a@b.com, Ops <c@d.com>" -> mailboxes; also splits on ';' and whitespace around commas. Each
// address is checked (CheckAddress).
core::Result<std::vector<Mailbox>> ParseMailboxList(std::string_view text);

// A header value for display: ASCII text stays as it is, anything else becomes RFC 2047
// encoded-words (=?UTF-8?B?...?=) of at most 75 characters each, split on UTF-8 character
// boundaries and folded with CRLF SP. CR and LF in `text` become spaces (no header injection).
// `used` is the length of "Name: " already on the first line, for folding.
std::string EncodeHeaderText(std::string_view text, std::size_t used);

// "Name <addr>" (the name quoted when it has specials, encoded when it is not ASCII) or "addr".
std::string FormatMailbox(const Mailbox& mailbox);

// RFC 5322 date in UTC: "Thu, 05 Dec 2024 01:37:00 +0000" (locale-independent).
std::string FormatDate(std::chrono::system_clock::time_point t);

// "<lifeline.HEX32@domain>": HEX32 is derived from `key` (the outbox message's idempotency key),
// so every attempt of one message carries the same Message-ID and mailbox providers that drop
// repeated Message-IDs (Gmail does) hide a duplicate a lost answer may have caused. An empty key
// gets a random id.
std::string MakeMessageId(std::string_view key, std::string_view domain);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text with CRLF line ends: lines of at most 76
// characters, soft breaks, trailing white space and a leading '.' encoded.
std::string QuotedPrintable(std::string_view text);

struct MessageParts {
  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> reply_to;  // optional
  std::string subject;
  std::string text;  // required
  std::string html;  // optional: with it the message is multipart/alternative
  std::string message_id;
  std::chrono::system_clock::time_point date;
  std::string outbox_id;  // X-Lifeline-Message: ties a mail in a mailbox to its outbox record
};

// The whole message as sent after DATA (CRLF line ends; the SMTP client adds dot-stuffing).
std::string BuildMessage(const MessageParts& parts);

// The subject used when a message has none: its first non-empty line, cut to 70 characters.
std::string SubjectFromText(std::string_view text);

}  // namespace lifeline::channels::email
