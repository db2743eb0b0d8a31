// Reading one e-mail with GMime (imap_mail.h).
#include "inbox/imap_mail.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace lifeline::inbox {
namespace {

using core::ErrorCode;
using core::MakeError;

// GMime keeps global tables (charsets, parser options); g_mime_init is not thread-safe.
void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns one GObject reference.
template <typename T>
struct Ref {
  T* p = nullptr;
  explicit Ref(T* ptr) : p(ptr) {}
  ~Ref() {
    if (p != nullptr) g_object_unref(p);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
};

std::string Trim(std::string s) {
  auto sp = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && sp(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && sp(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// UTF-8 as it came, else read as Latin-1 (what an undeclared 8-bit body most often is).
std::string AsUtf8(std::string s) {
  if (g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return s;
  gsize written = 0;
  gchar* out = g_convert(s.data(), static_cast<gssize>(s.size()), "UTF-8", "ISO-8859-1", nullptr,
                         &written, nullptr);
  if (out == nullptr) return std::string();
  std::string r(out, written);
  g_free(out);
  return r;
}

std::string CrlfToLf(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

// An HTML-only mail's words: tags dropped, a few entities read, block ends as line breaks.
std::string StripHtml(const std::string& html) {
  std::string out;
  bool in_tag = false;
  std::string tag;
  for (char c : html) {
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        const std::string t = Lower(tag);
        if (t.starts_with("br") || t.starts_with("/p") || t.starts_with("/div") ||
            t.starts_with("/li") || t.starts_with("/tr")) {
          out += '\n';
        }
        tag.clear();
      } else {
        tag += c;
      }
    } else if (c == '<') {
      in_tag = true;
    } else {
      out += c;
    }
  }
  const std::pair<const char*, const char*> entities[] = {{"&nbsp;", " "}, {"&lt;", "<"},
                                                          {"&gt;", ">"},   {"&quot;", "\""},
                                                          {"&#39;", "'"},  {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    const std::string f(from);
    for (auto pos = out.find(f); pos != std::string::npos; pos = out.find(f, pos + 1)) {
      out.replace(pos, f.size(), to);
    }
  }
  return out;
}

struct Found {
  GMimeTextPart* plain = nullptr;
  GMimeTextPart* html = nullptr;
};

// Depth first, in order: the first inline text/plain and text/html parts. Attached messages
// (message/rfc822) and attachments are not the customer's words.
void Walk(GMimeObject* obj, Found& f, int depth) {
  if (obj == nullptr || depth > 20) return;
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    const int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) Walk(g_mime_multipart_get_part(mp, i), f, depth + 1);
    return;
  }
  if (!GMIME_IS_TEXT_PART(obj)) return;
  if (g_mime_part_is_attachment(GMIME_PART(obj))) return;
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct == nullptr) return;
  if (g_mime_content_type_is_type(ct, "text", "plain") && f.plain == nullptr) {
    f.plain = GMIME_TEXT_PART(obj);
  } else if (g_mime_content_type_is_type(ct, "text", "html") && f.html == nullptr) {
    f.html = GMIME_TEXT_PART(obj);
  }
}

std::string TextOf(GMimeTextPart* part) {
  char* t = g_mime_text_part_get_text(part);
  if (t == nullptr) return std::string();
  std::string s(t);
  g_free(t);
  return CrlfToLf(AsUtf8(std::move(s)));
}

std::string HeaderOf(GMimeMessage* msg, const char* name) {
  const char* v = g_mime_object_get_header(GMIME_OBJECT(msg), name);
  return v == nullptr ? std::string() : Trim(v);
}

}  // namespace

core::Result<ParsedMail> ParseMail(std::string_view raw) {
  InitOnce();
  if (raw.empty()) return MakeError(ErrorCode::kInvalidArgument, "the mail is empty");
  Ref<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(raw.data(), static_cast<std::size_t>(raw.size())));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, nullptr));
  if (msg.p == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "not an e-mail message (RFC 5322)");
  }
  ParsedMail m;
  InternetAddressList* from = g_mime_message_get_from(msg.p);
  for (int i = 0; from != nullptr && i < internet_address_list_length(from); ++i) {
    InternetAddress* a = internet_address_list_get_address(from, i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(a)) continue;
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
    if (addr == nullptr || *addr == '\0') continue;
    m.from_address = Lower(Trim(addr));
    const char* name = internet_address_get_name(a);
    if (name != nullptr) m.from_name = AsUtf8(Trim(name));
    break;
  }
  if (m.from_address.empty() || m.from_address.find('@') == std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "the mail has no From address");
  }
  if (const char* id = g_mime_message_get_message_id(msg.p); id != nullptr) {
    m.message_id = Trim(id);
  }
  m.header_id = HeaderOf(msg.p, "Message-ID");
  m.references = HeaderOf(msg.p, "References");
  if (const char* s = g_mime_message_get_subject(msg.p); s != nullptr) {
    m.subject = AsUtf8(Trim(s));
  }
  if (GDateTime* d = g_mime_message_get_date(msg.p); d != nullptr) {
    const std::int64_t ms = g_date_time_to_unix(d) * 1000 + g_date_time_get_microsecond(d) / 1000;
    m.date = store::FromMillis(ms);
  }
  const std::string automatic = Lower(HeaderOf(msg.p, "Auto-Submitted"));
  m.automatic = !automatic.empty() && automatic != "no";
  Found f;
  Walk(g_mime_message_get_mime_part(msg.p), f, 0);
  if (f.plain != nullptr) {
    m.text = Trim(TextOf(f.plain));
  } else if (f.html != nullptr) {
    m.text = Trim(StripHtml(TextOf(f.html)));
    m.kind = "html";
  } else {
    m.kind = "email";
  }
  return m;
}

std::string ReplySubject(std::string_view subject) {
  if (subject.empty()) return "Re: your message";
  if (subject.size() >= 3 && std::tolower(static_cast<unsigned char>(subject[0])) == 'r' &&
      std::tolower(static_cast<unsigned char>(subject[1])) == 'e' && subject[2] == ':') {
    return std::string(subject);
  }
  return "Re: " + std::string(subject);
}

}  // namespace lifeline::inbox
