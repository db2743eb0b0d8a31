# Turns the text file IN into a C++ source OUT defining `std::string_view NAMESPACE::NAME()`.
# Usage: cmake -DIN=... -DOUT=... -DNAMESPACE=lifeline::api -DNAME=OpenApiDocument -P embed_text.cmake
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "namespace ${NAMESPACE} {\nnamespace {\nconstexpr char kData[] = {${bytes} 0};\n}\n"
  "std::string_view ${NAME}() { return {kData, sizeof(kData) - 1}; }\n}\n")
