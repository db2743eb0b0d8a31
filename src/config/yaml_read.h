// Reading YAML config with errors that name the file, line and key ("lifeline.yaml:12:
// channels.team.token: environment variable TG_TOKEN is not set"). Used by config.cc for the core
// settings and by each response part (channels, playbook, ...) for its own section.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lifeline::config::yaml {

// One YAML document being read: its name in messages and the folder relative paths start from.
struct Doc {
  std::string file;
  std::filesystem::path dir;
};

// Where a value sits: the line (from yaml-cpp's Mark, 0-based) and the dotted key path.
struct Where {
  YAML::Mark mark;
  std::string path;

  Where Key(std::string_view key, const YAML::Mark& at) const;
  Where Item(std::string_view label, const YAML::Mark& at) const;
};

// A scalar's own line is the most precise place to point at; a null or block value's mark is
// often the next line, so those keep the key's line.
Where At(const Where& w, const YAML::Node& n);

// kInvalidArgument "FILE:LINE: KEY.PATH: what".
core::Error Fail(const Doc& doc, const Where& w, std::string_view what);

// "a single value", "a list", "a map", "nothing".
std::string_view TypeName(const YAML::Node& n);
std::string Join(const std::vector<std::string>& items);

struct Field {
  std::string key;
  YAML::Node value;
  Where where;  // the key's line; path ends in the key
};

struct Fields {
  std::vector<Field> items;

  const Field* Find(std::string_view key) const;
};

using Keys = std::vector<std::string_view>;

// Reads a map's entries in order. Keys outside `allowed` (unless it is empty) and repeated keys
// are errors (with "did you mean" for a near miss); `what` names the map in the "expected ..."
// message.
core::Result<Fields> ReadMap(const Doc& doc, const YAML::Node& node, const Where& where,
                             const Keys& allowed, std::string_view what);

bool HasKey(const YAML::Node& map, std::string_view key);

core::Result<std::string> GetString(const Doc& doc, const YAML::Node& n, const Where& w,
                                    std::string_view what = "a text value");
core::Result<std::string> GetNonEmpty(const Doc& doc, const YAML::Node& n, const Where& w,
                                      std::string_view what = "a text value");
core::Result<bool> GetBool(const Doc& doc, const YAML::Node& n, const Where& w);
core::Result<long long> GetInt(const Doc& doc, const YAML::Node& n, const Where& w, long long lo,
                               long long hi);
core::Result<std::chrono::milliseconds> GetDuration(const Doc& doc, const YAML::Node& n,
                                                    const Where& w);
core::Result<std::size_t> GetSize(const Doc& doc, const YAML::Node& n, const Where& w);

// A secret given as { env: NAME } or { file: PATH } (optionally with prefix: "Bearer "), or, when
// `allow_plain`, as a plain value. The value never appears in any message: errors name the
// variable or the file only. A file's trailing whitespace is dropped.
core::Result<std::string> GetSecret(const Doc& doc, const YAML::Node& n, const Where& w,
                                    bool allow_plain);

// `p` relative to the document's folder (unless absolute or the document has none).
std::string ResolvePath(const Doc& doc, const std::string& p);

// Reads a whole file; the error message is strerror's (kNotFound, kPermissionDenied, kUnavailable).
core::Result<std::string> ReadWholeFile(const std::string& path);

// A single value or a list of values; each element is handed to `check` with its own place.
template <typename Check>
core::Result<std::vector<std::string>> GetStringList(const Doc& doc, const YAML::Node& n,
                                                     const Where& w, std::string_view what,
                                                     Check check) {
  std::vector<std::string> out;
  auto one = [&](const YAML::Node& item, const Where& iw) -> core::Status {
    LL_ASSIGN(std::string s, GetNonEmpty(doc, item, iw, what));
    LL_TRY(check(s, At(iw, item)));
    out.push_back(std::move(s));
    return core::Ok();
  };
  if (n.IsScalar()) {
    LL_TRY(one(n, w));
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      LL_TRY(one(n[i], w.Item(std::to_string(i), n[i].Mark())));
    }
  } else {
    return Fail(doc, w, fmt::format("expected a list of {}, got {}", what, TypeName(n)));
  }
  return out;
}

}  // namespace lifeline::config::yaml
