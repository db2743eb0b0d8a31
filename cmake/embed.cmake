# Turns the YAML file IN into a C++ source OUT defining lifeline::config::kBundledCatalog.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "namespace lifeline::config {\nnamespace {\nconstexpr char kData[] = {${bytes} 0};\n}\n"
  "extern const std::string_view kBundledCatalog{kData, sizeof(kData) - 1};\n}\n")
