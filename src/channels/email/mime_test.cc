// Tests of e-mail message building: addresses, RFC 2047 words, quoted-printable, MIME structure.
#include "channels/email/mime.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

namespace lifeline::channels::email {
namespace {

std::string DecodeBase64(const std::string& b64) {
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  std::size_t padding = 0;
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);  // EVP_DecodeBlock counts padding as zeros
  return out;
}

// Decodes the "=?UTF-8?B?...?=" words of a header value and checks each line's length.
std::string DecodeWords(const std::string& value, std::size_t first_used) {
  std::string out;
  std::size_t pos = 0;
  std::size_t line_start = 0;
  bool first_line = true;
  while (true) {
    auto eol = value.find("\r\n", pos);
    std::string line =
        value.substr(line_start, eol == std::string::npos ? std::string::npos : eol - line_start);
    EXPECT_LE(line.size() + (first_line ? first_used : 0), 76u) << line;
    first_line = false;
    if (eol == std::string::npos) break;
    line_start = eol + 2;
    pos = line_start;
  }
  std::size_t at = 0;
  while ((at = value.find("=?UTF-8?B?", at)) != std::string::npos) {
    auto end = value.find("?=", at + 10);
    out += DecodeBase64(value.substr(at + 10, end - at - 10));
    at = end + 2;
  }
  return out;
}

TEST(CheckAddress, AcceptsOrdinaryAddresses) {
  EXPECT_TRUE(CheckAddress("ops@example.com").ok());
  EXPECT_TRUE(CheckAddress("first.last+tag@mail.example.co.uk").ok());
  EXPECT_TRUE(CheckAddress("root@localhost").ok());
  EXPECT_TRUE(CheckAddress("x@[127.0.0.1]").ok());
}

TEST(CheckAddress, RefusesBrokenOnesSayingWhy) {
  EXPECT_NE(CheckAddress("ops.example.com").error().message().find("no '@'"), std::string::npos);
  EXPECT_FALSE(CheckAddress("@example.com").ok());
  EXPECT_FALSE(CheckAddress("ops@").ok());
  EXPECT_FALSE(CheckAddress("ops@examplecom").ok());
  EXPECT_FALSE(CheckAddress("a..b@example.com").ok());
  EXPECT_FALSE(CheckAddress("a b@example.com").ok());
  EXPECT_FALSE(CheckAddress("ops@-bad.example.com").ok());
  EXPECT_FALSE(CheckAddress("ops@exa_mple.com").ok());
  EXPECT_FALSE(CheckAddress("ops@example.com\r\nBcc: x@y.com").ok());
  EXPECT_NE(CheckAddress("jürgen@example.com").error().message().find("SMTPUTF8"),
            std::string::npos);
}

TEST(ParseMailboxList, SplitsNamesAndAddresses) {
  auto list = ParseMailboxList("ops@example.com, \"Team, Ops\" <team@example.com>; Ana <a@x.io>");
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].address, "ops@example.com");
  EXPECT_EQ((*list)[1].name, "Team, Ops");
  EXPECT_EQ((*list)[1].address, "team@example.com");
  EXPECT_EQ((*list)[2].name, "Ana");
  EXPECT_FALSE(ParseMailboxList("ops@example.com, nope").ok());
  EXPECT_FALSE(ParseMailboxList(" , ").ok());
}

TEST(EncodeHeaderText, AsciiStaysReadable) {
  EXPECT_EQ(EncodeHeaderText("WhatsApp is down", 9), "WhatsApp is down");
  // Header injection: line breaks become spaces.
  EXPECT_EQ(EncodeHeaderText("a\r\nBcc: x@y.com", 9), "a  Bcc: x@y.com");
}

TEST(EncodeHeaderText, LongAsciiIsFoldedAtSpaces) {
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word" + std::to_string(i) + " ";
  std::string v = EncodeHeaderText(words, 9);
  EXPECT_NE(v.find("\r\n "), std::string::npos);
  std::string unfolded;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v.compare(i, 2, "\r\n") == 0) {
      ++i;
      continue;
    }
    unfolded += v[i];
  }
  EXPECT_EQ(unfolded, words.substr(0, words.size() - 1) + " ");
}

TEST(EncodeHeaderText, NonAsciiBecomesEncodedWordsOnCharacterBoundaries) {
  std::string subject =
      "Ausfall: WhatsApp ist gestört — bitte über Telegram 📣 schreiben, "
      "wir antworten dort schnell und zuverlässig";
  std::string v = EncodeHeaderText(subject, 9);
  EXPECT_EQ(v.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_NE(v.find("\r\n =?UTF-8?B?"), std::string::npos) << "long subjects span several words";
  EXPECT_EQ(DecodeWords(v, 9), subject);
}

TEST(FormatMailbox, QuotesOrEncodesNames) {
  EXPECT_EQ(FormatMailbox({"", "a@b.com"}), "a@b.com");
  EXPECT_EQ(FormatMailbox({"Lifeline", "a@b.com"}), "Lifeline <a@b.com>");
  EXPECT_EQ(FormatMailbox({"Ops, Team \"A\"", "a@b.com"}), "\"Ops, Team \\\"A\\\"\" <a@b.com>");
  std::string encoded = FormatMailbox({"Équipe Ops", "a@b.com"});
  EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_NE(encoded.find(" <a@b.com>"), std::string::npos);
}

TEST(FormatDate, IsRfc5322InUtc) {
  // 2024-12-05 01:37:09 UTC was a Thursday.
  auto t = std::chrono::system_clock::from_time_t(1733362629);
  EXPECT_EQ(FormatDate(t), "Thu, 05 Dec 2024 01:37:09 +0000");
}

TEST(MakeMessageId, IsStablePerKeyAndUniqueAcrossKeys) {
  std::string a = MakeMessageId("key-1", "example.com");
  EXPECT_EQ(a, MakeMessageId("key-1", "example.com"));
  EXPECT_NE(a, MakeMessageId("key-2", "example.com"));
  EXPECT_EQ(a.rfind("<lifeline.", 0), 0u);
  EXPECT_EQ(a.substr(a.size() - 13), "@example.com>");
  EXPECT_EQ(a.size(), std::string("<lifeline.").size() + 32 + std::string("@example.com>").size());
  EXPECT_NE(MakeMessageId("", "example.com"), MakeMessageId("", "example.com"));
}

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
  EXPECT_EQ(QuotedPrintable("plain text"), "plain text");
  EXPECT_EQ(QuotedPrintable("a=b"), "a=3Db");
  EXPECT_EQ(QuotedPrintable("é"), "=C3=A9");
  EXPECT_EQ(QuotedPrintable("trailing \nnext"), "trailing=20\r\nnext");
  EXPECT_EQ(QuotedPrintable(".hidden\nFrom here"), "=2Ehidden\r\n=46rom here");
  std::string long_line(200, 'x');
  std::string qp = QuotedPrintable(long_line);
  std::size_t pos = 0;
  std::size_t decoded = 0;
  while (pos < qp.size()) {
    auto eol = qp.find("\r\n", pos);
    std::string line = qp.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    EXPECT_LE(line.size(), 76u);
    decoded += line.size() - (line.ends_with("=") ? 1 : 0);
    pos = eol == std::string::npos ? qp.size() : eol + 2;
  }
  EXPECT_EQ(decoded, 200u);
}

TEST(SubjectFromText, UsesTheFirstLine) {
  EXPECT_EQ(SubjectFromText("\n  WhatsApp down  \nmore"), "WhatsApp down");
  EXPECT_EQ(SubjectFromText(""), "(no subject)");
  std::string long_line(100, 'y');
  EXPECT_EQ(SubjectFromText(long_line), std::string(70, 'y') + "...");
}

MessageParts Parts() {
  MessageParts p;
  p.from = {"Lifeline", "alerts@example.com"};
  p.to = {{"", "ops@example.com"}, {"Ana Lima", "ana@example.com"}};
  p.subject = "WhatsApp is down";
  p.text = "WhatsApp fails worldwide.\nWrite to us on Telegram.";
  p.message_id = "<lifeline.0123@example.com>";
  p.date = std::chrono::system_clock::from_time_t(1733362629);
  p.outbox_id = "msg-1";
  return p;
}

TEST(BuildMessage, TextOnlyIsOneQuotedPrintablePart) {
  std::string m = BuildMessage(Parts());
  EXPECT_NE(m.find("Date: Thu, 05 Dec 2024 01:37:09 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("From: Lifeline <alerts@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: ops@example.com,\r\n Ana Lima <ana@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: WhatsApp is down\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <lifeline.0123@example.com>\r\n"), std::string::npos);
  EXPECT_NE(m.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(m.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(m.find("X-Lifeline-Message: msg-1\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_EQ(m.find("multipart"), std::string::npos);
  EXPECT_NE(m.find("\r\n\r\nWhatsApp fails worldwide.\r\nWrite to us on Telegram.\r\n"),
            std::string::npos);
  // Every line ends in CRLF: no bare LF.
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(BuildMessage, TextAndHtmlAreMultipartAlternativeTextFirst) {
  MessageParts p = Parts();
  p.html = "<p>WhatsApp fails <b>worldwide</b>.</p>";
  std::string m = BuildMessage(p);
  auto ct = m.find("Content-Type: multipart/alternative; boundary=\"");
  ASSERT_NE(ct, std::string::npos);
  auto start = ct + std::string("Content-Type: multipart/alternative; boundary=\"").size();
  std::string boundary = m.substr(start, m.find('"', start) - start);
  auto first = m.find("--" + boundary + "\r\nContent-Type: text/plain");
  auto second = m.find("--" + boundary + "\r\nContent-Type: text/html");
  auto close = m.find("--" + boundary + "--\r\n");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, close);
  EXPECT_NE(m.find("<p>WhatsApp fails <b>worldwide</b>.</p>"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::channels::email
