// One e-mail, as an IMAP source fetched it (RFC 5322 bytes), read into what the inbox stores:
// the sender, the text/plain part decoded to UTF-8, the Date and the threading headers. MIME is
// read by GMime (quoted-printable, base64, charsets, RFC 2047 words, multipart nesting); nothing
// here parses MIME by hand. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::inbox {

struct ParsedMail {
  std::string message_id;           // the Message-ID without its angle brackets; "" = none
  std::string header_id;            // the Message-ID as written, with them ("<...>"); "" = none
  std::string references;           // the References header as written; "" = none
  std::string from_address;         // the first From mailbox, lowercased
  std::string from_name;            // its display name, decoded; "" = none
  std::string subject;              // decoded; "" = none
  std::optional<store::Time> date;  // the Date header; nullopt when absent or unreadable
  // The first text/plain part that is not an attachment, decoded (transfer encoding and charset)
  // to UTF-8; else the first text/html part with its tags taken out; else "".
  std::string text;
  std::string kind = "text";  // "text", "html" (only an HTML part), "email" (no text part)
  // Auto-Submitted says a machine sent it (an out-of-office, a bounce: RFC 3834); the inbox
  // skips such mail, so two robots never answer each other.
  bool automatic = false;
};

// kInvalidArgument when the bytes are not a message or it has no From address.
core::Result<ParsedMail> ParseMail(std::string_view raw);

// "Re: " + subject, unless it already starts with "Re:" (any case); "Re: your message" for none.
std::string ReplySubject(std::string_view subject);

}  // namespace lifeline::inbox
