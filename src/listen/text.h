// Text helpers of the listening part: whitespace splitting, case mapping and case tests on UTF-8
// that behave like Python's str.split(), str.lower() and str.isupper() for ASCII and Latin-1.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lifeline::listen::text {

// Splits on the characters Python's str.split() treats as whitespace (ASCII blanks and control
// separators, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000);
// empty pieces are dropped. The views point into `s`.
std::vector<std::string_view> SplitWhitespace(std::string_view s);

// Lower-cases A-Z and the Latin-1 capitals (U+00C0-U+00DE except U+00D7); every other byte is
// copied unchanged (other scripts keep their case: VADER's lexicon is English).
std::string Lower(std::string_view s);

// Python's str.isupper() restricted to ASCII and Latin-1 letters: at least one cased letter and
// no lower-case one. Characters outside Latin-1 count as uncased.
bool IsUpper(std::string_view s);

// The code point starting at s[i] (i < s.size()) and its length in bytes in `len`. A malformed
// sequence is one byte long and decodes to U+FFFD.
char32_t Decode(std::string_view s, std::size_t i, std::size_t& len);

// The number of code points (bytes that do not continue a UTF-8 sequence).
std::size_t CodePoints(std::string_view s);

// ASCII punctuation, as Python's string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
bool IsAsciiPunct(char c);

}  // namespace lifeline::listen::text
