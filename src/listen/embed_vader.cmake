# Turns VADER's lexicon LEXICON and its LICENSE into OUT, a C++ source defining
# lifeline::listen::BundledVaderLexicon() and BundledVaderLicense() (declared in listen/vader.h).
# Only the first two columns of the lexicon (token, mean valence) are kept: the standard deviation
# and the ten raters' scores are not used for scoring and would quadruple the binary's share.
file(READ ${LEXICON} lexicon)
string(REGEX REPLACE "([^\t\n]*\t[^\t\n]*)\t[^\n]*" "\\1" lexicon "${lexicon}")
string(HEX "${lexicon}" lexicon)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," lexicon "${lexicon}")
file(READ ${LICENSE} license HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," license "${license}")
string(CONCAT content "// Generated from ${LEXICON} and ${LICENSE}; do not edit.\n"
  "#include <string_view>\nnamespace lifeline::listen {\nnamespace {\n"
  "constexpr unsigned char kLexicon[] = {${lexicon} 0};\n"
  "constexpr unsigned char kLicense[] = {${license} 0};\n}  // namespace\n"
  "std::string_view BundledVaderLexicon() {\n"
  "  return {reinterpret_cast<const char*>(kLexicon), sizeof(kLexicon) - 1};\n}\n"
  "std::string_view BundledVaderLicense() {\n"
  "  return {reinterpret_cast<const char*>(kLicense), sizeof(kLicense) - 1};\n}\n"
  "}  // namespace lifeline::listen\n")
# Rewrite only on change so an unchanged lexicon does not rebuild the library.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE ${OUT} "${content}")
