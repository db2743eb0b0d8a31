// Building e-mail messages: addresses, RFC 2047 header words, quoted-printable, MIME (mime.h).
#include "channels/email/mime.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cctype>
#include <ctime>

#include <fmt/core.h>

namespace lifeline::channels::email {

using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

bool IsAtext(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Hex(const unsigned char* data, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::abort();  // the CSPRNG failing is not something to work around
  }
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

// Length of the UTF-8 sequence starting with `lead` (1 for a stray continuation byte, so that
// malformed input still advances).
std::size_t Utf8Len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

// RFC 5322 "specials" force a display name into a quoted-string.
bool NeedsQuoting(std::string_view name) {
  for (char c : name) {
    if (std::string_view("()<>[]:;@\\,.\"").find(c) != std::string_view::npos) return true;
  }
  return false;
}

std::string NormalizeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Status CheckAddress(std::string_view address) {
  if (address.empty()) return Error(ErrorCode::kInvalidArgument, "empty e-mail address");
  auto at = address.rfind('@');
  if (at == std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("'{}' is not an e-mail address (no '@')", OneLine(address)));
  }
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("'{}' is not a valid e-mail address: {}", OneLine(address), why));
  };
  if (!IsAscii(address)) {
    return bad("non-ASCII addresses need SMTPUTF8, which Lifeline does not use");
  }
  if (local.empty() || local.size() > 64) return bad("the part before '@' must be 1 to 64 long");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return bad("misplaced '.' before '@'");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) return bad(fmt::format("'{}' is not allowed before '@'", c));
  }
  if (domain.empty() || domain.size() > 253) return bad("no domain after '@'");
  if (domain.front() == '[') {
    if (domain.back() != ']' || domain.size() < 3) return bad("unclosed address literal");
    for (char c : domain.substr(1, domain.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') {
        return bad("malformed address literal");
      }
    }
    return core::Ok();
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return bad("empty or over-long domain label");
    if (label.front() == '-' || label.back() == '-')
      return bad("a domain label starts or ends with '-'");
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return bad(fmt::format("'{}' is not allowed in a domain", c));
      }
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2 && domain != "localhost") return bad("the domain has no '.'");
  return core::Ok();
}

Result<std::vector<Mailbox>> ParseMailboxList(std::string_view text) {
  std::vector<Mailbox> out;
  std::size_t start = 0;
  // Separators inside a quoted display name ("Ops, Team" <ops@example.com>) do not split.
  auto next_separator = [&](std::size_t from) {
    bool quoted = false;
    for (std::size_t i = from; i < text.size(); ++i) {
      if (text[i] == '"') quoted = !quoted;
      if (!quoted && (text[i] == ',' || text[i] == ';')) return i;
    }
    return std::string_view::npos;
  };
  while (start <= text.size()) {
    auto end = next_separator(start);
    std::string_view item =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
      item.remove_prefix(1);
    }
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      Mailbox m;
      auto lt = item.rfind('<');
      if (lt != std::string_view::npos && item.back() == '>') {
        std::string_view name = item.substr(0, lt);
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
          name.remove_suffix(1);
        }
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
          name = name.substr(1, name.size() - 2);
        }
        m.name = std::string(name);
        m.address = std::string(item.substr(lt + 1, item.size() - lt - 2));
      } else {
        m.address = std::string(item);
      }
      LL_TRY(CheckAddress(m.address));
      out.push_back(std::move(m));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (out.empty()) return Error(ErrorCode::kInvalidArgument, "no e-mail address given");
  return out;
}

std::string EncodeHeaderText(std::string_view text, std::size_t used) {
  std::string flat = OneLine(text);
  // Plain ASCII without anything a decoder could mistake for an encoded word stays readable.
  if (IsAscii(flat) && flat.find("=?") == std::string::npos) {
    std::string out;
    std::size_t line = used;
    std::size_t pos = 0;
    while (pos < flat.size()) {
      auto space = flat.find(' ', pos + 1);
      std::string_view word(flat.data() + pos,
                            (space == std::string::npos ? flat.size() : space) - pos);
      // Fold before a space (RFC 5322 2.2.3) when the line would pass 78 characters.
      if (line + word.size() > 78 && pos > 0 && word.front() == ' ') {
        out += "\r\n";
        line = 0;
      }
      out += word;
      line += word.size();
      pos += word.size();
    }
    return out;
  }
  std::string out;
  std::size_t pos = 0;
  bool first = true;
  while (pos < flat.size()) {
    // An encoded word's line may not pass 76 characters (RFC 2047 2): "=?UTF-8?B?" and "?=" take
    // 12 of them, and every 3 bytes take 4 characters of base64.
    std::size_t room = 76 - (first ? std::min<std::size_t>(used, 40) : 1);
    std::size_t max_bytes = 3 * ((room - 12) / 4);
    std::size_t end = pos;
    while (end < flat.size()) {
      std::size_t n = Utf8Len(static_cast<unsigned char>(flat[end]));
      if (end + n - pos > max_bytes) break;
      end += n;
    }
    if (end == pos) end = std::min(flat.size(), pos + max_bytes);  // cannot happen for UTF-8
    if (!first) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(flat).substr(pos, end - pos)) + "?=";
    pos = end;
    first = false;
  }
  return out;
}

std::string FormatMailbox(const Mailbox& mailbox) {
  std::string name = OneLine(mailbox.name);
  if (name.empty()) return mailbox.address;
  if (!IsAscii(name) || name.find("=?") != std::string::npos) {
    return EncodeHeaderText(name, 6) + " <" + mailbox.address + ">";
  }
  if (NeedsQuoting(name)) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    return quoted + " <" + mailbox.address + ">";
  }
  return name + " <" + mailbox.address + ">";
}

std::string FormatDate(std::chrono::system_clock::time_point t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{}, {:02d} {} {} {:02d}:{:02d}:{:02d} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string MakeMessageId(std::string_view key, std::string_view domain) {
  std::string id;
  if (key.empty()) {
    id = RandomHex(16);
  } else {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    id = Hex(digest, 16);
  }
  return fmt::format("<lifeline.{}@{}>", id, domain.empty() ? "lifeline.invalid" : domain);
}

std::string QuotedPrintable(std::string_view text) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string normalized = NormalizeNewlines(text);
  std::string out;
  out.reserve(normalized.size() + normalized.size() / 8);
  std::size_t pos = 0;
  while (pos <= normalized.size()) {
    auto eol = normalized.find("\r\n", pos);
    std::string_view line(normalized.data() + pos,
                          (eol == std::string::npos ? normalized.size() : eol) - pos);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      // A '.' opening a line is encoded so that no transport can mistake it for the end of data;
      // "From " opening a line is encoded so that mbox storage does not mangle it.
      if (i == 0 && (c == '.' || (c == 'F' && line.substr(0, 5) == "From "))) literal = false;
      std::string token = literal ? std::string(1, static_cast<char>(c))
                                  : std::string{'=', kDigits[c >> 4], kDigits[c & 0xf]};
      // Soft line break: the encoded line, with its trailing '=', stays within 76 characters.
      if (column + token.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
    if (eol == std::string::npos) break;
    out += "\r\n";
    pos = eol + 2;
  }
  return out;
}

std::string SubjectFromText(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      // Cut on a character boundary, counting code points.
      std::size_t bytes = 0;
      std::size_t chars = 0;
      while (bytes < line.size() && chars < 70) {
        bytes += Utf8Len(static_cast<unsigned char>(line[bytes]));
        ++chars;
      }
      std::string out(line.substr(0, std::min(bytes, line.size())));
      if (bytes < line.size()) out += "...";
      return out;
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return "(no subject)";
}

std::string BuildMessage(const MessageParts& parts) {
  std::string out;
  auto header = [&out](std::string_view name, const std::string& value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  header("Date", FormatDate(parts.date));
  header("From", FormatMailbox(parts.from));
  std::string to;
  for (const Mailbox& m : parts.to) {
    if (!to.empty()) to += ",\r\n ";
    to += FormatMailbox(m);
  }
  header("To", to);
  if (!parts.reply_to.empty()) {
    std::string reply;
    for (const Mailbox& m : parts.reply_to) {
      if (!reply.empty()) reply += ",\r\n ";
      reply += FormatMailbox(m);
    }
    header("Reply-To", reply);
  }
  header("Subject", EncodeHeaderText(parts.subject, 9));
  header("Message-ID", parts.message_id);
  header("MIME-Version", "1.0");
  // RFC 3834: an automatic message; well-behaved responders send no vacation replies to it.
  header("Auto-Submitted", "auto-generated");
  if (!parts.outbox_id.empty()) header("X-Lifeline-Message", OneLine(parts.outbox_id));

  const std::string text_part_headers =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
  if (parts.html.empty()) {
    out += text_part_headers;
    out += "\r\n";
    out += QuotedPrintable(parts.text);
    out += "\r\n";
    return out;
  }
  // Quoted-printable output never holds "=_", so this boundary cannot occur inside a part.
  std::string boundary = "=_lifeline_" + RandomHex(12);
  header("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  out += "\r\nThis is a multi-part message in MIME format.\r\n";
  // Plain text first, HTML last: the last alternative is the preferred one (RFC 2046 5.1.4).
  out += "\r\n--" + boundary + "\r\n";
  out += text_part_headers;
  out += "\r\n";
  out += QuotedPrintable(parts.text);
  out += "\r\n--" + boundary + "\r\n";
  out +=
      "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += QuotedPrintable(parts.html);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace lifeline::channels::email
