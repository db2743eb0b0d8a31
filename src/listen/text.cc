// UTF-8 text helpers (text.h).
#include "listen/text.h"

#include <cstdint>

namespace lifeline::listen::text {

char32_t Decode(std::string_view s, std::size_t i, std::size_t& len) {
  const auto b = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto at = [&](std::size_t k) { return static_cast<char32_t>(s[i + k] & 0x3F); };
  len = 1;
  if (b < 0x80) return b;
  if ((b & 0xE0) == 0xC0 && b >= 0xC2 && cont(1)) {
    len = 2;
    return (static_cast<char32_t>(b & 0x1F) << 6) | at(1);
  }
  if ((b & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    len = 3;
    return (static_cast<char32_t>(b & 0x0F) << 12) | (at(1) << 6) | at(2);
  }
  if ((b & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    len = 4;
    return (static_cast<char32_t>(b & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3);
  }
  return 0xFFFD;
}

namespace {

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool IsUpperLetter(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

bool IsLowerLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || c == 0xAA || c == 0xB5 || c == 0xBA ||
         (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

}  // namespace

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0, i = 0;
  bool in_word = false;
  while (i < s.size()) {
    std::size_t len;
    const bool space = IsSpace(Decode(s, i, len));
    if (space && in_word) out.push_back(s.substr(start, i - start));
    if (!space && !in_word) start = i;
    in_word = !space;
    i += len;
  }
  if (in_word) out.push_back(s.substr(start));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto b = static_cast<unsigned char>(out[i]);
    if (b >= 'A' && b <= 'Z') {
      out[i] = static_cast<char>(b + 32);
    } else if (b == 0xC3 && i + 1 < out.size()) {
      // U+00C0-U+00DE is C3 80-C3 9E; its lower case is 0x20 higher (C3 A0-C3 BE); U+00D7 is x.
      const auto c = static_cast<unsigned char>(out[i + 1]);
      if (c >= 0x80 && c <= 0x9E && c != 0x97) out[i + 1] = static_cast<char>(c + 0x20);
      ++i;
    }
  }
  return out;
}

bool IsUpper(std::string_view s) {
  bool cased = false;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len;
    const char32_t c = Decode(s, i, len);
    if (IsLowerLetter(c)) return false;
    if (IsUpperLetter(c)) cased = true;
    i += len;
  }
  return cased;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsAsciiPunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

}  // namespace lifeline::listen::text
