// Reading YAML config with file:line:key errors (yaml_read.h).
#include "config/yaml_read.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/core.h>

#include "config/values.h"

namespace lifeline::config::yaml {

using core::Error;
using core::ErrorCode;
using core::Result;
using core::Status;

Where Where::Key(std::string_view key, const YAML::Mark& at) const {
  return {at, path.empty() ? std::string(key) : fmt::format("{}.{}", path, key)};
}

Where Where::Item(std::string_view label, const YAML::Mark& at) const {
  return {at, fmt::format("{}[{}]", path, label)};
}

Where At(const Where& w, const YAML::Node& n) {
  if (n.IsScalar() && n.Mark().line >= 0) return {n.Mark(), w.path};
  return w;
}

Error Fail(const Doc& doc, const Where& w, std::string_view what) {
  std::string loc = w.mark.line >= 0 ? fmt::format("{}:{}", doc.file, w.mark.line + 1) : doc.file;
  if (w.path.empty()) return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", loc, what));
  return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}: {}", loc, w.path, what));
}

std::string_view TypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

const Field* Fields::Find(std::string_view key) const {
  for (const Field& f : items) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

Result<Fields> ReadMap(const Doc& doc, const YAML::Node& node, const Where& where,
                       const Keys& allowed, std::string_view what) {
  if (!node.IsMap()) {
    return Fail(doc, where,
                fmt::format("expected {} (a map of KEY: VALUE), got {}", what, TypeName(node)));
  }
  std::vector<std::string> valid(allowed.begin(), allowed.end());
  Fields fields;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator's pair is a temporary, references into it dangle.
    const YAML::Node k = it->first;
    if (!k.IsScalar()) {
      return Fail(doc, {k.Mark(), where.path}, "a key must be a plain name, not a list or map");
    }
    const std::string& key = k.Scalar();
    Where at = where.Key(key, k.Mark());
    if (!valid.empty() && std::find(valid.begin(), valid.end(), key) == valid.end()) {
      if (auto near = Closest(key, valid)) {
        return Fail(doc, at, fmt::format("unknown key '{}' (did you mean '{}'?)", key, *near));
      }
      return Fail(doc, at, fmt::format("unknown key '{}' (valid keys: {})", key, Join(valid)));
    }
    if (const Field* prev = fields.Find(key)) {
      return Fail(
          doc, at,
          fmt::format("duplicate key '{}' (first at line {})", key, prev->where.mark.line + 1));
    }
    fields.items.push_back({key, it->second, at});
  }
  return fields;
}

bool HasKey(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return false;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  }
  return false;
}

Result<std::string> GetString(const Doc& doc, const YAML::Node& n, const Where& w,
                              std::string_view what) {
  if (!n.IsScalar()) return Fail(doc, w, fmt::format("expected {}, got {}", what, TypeName(n)));
  return n.Scalar();
}

Result<std::string> GetNonEmpty(const Doc& doc, const YAML::Node& n, const Where& w,
                                std::string_view what) {
  LL_ASSIGN(std::string s, GetString(doc, n, w, what));
  if (s.empty()) return Fail(doc, At(w, n), fmt::format("must not be empty (give {})", what));
  return s;
}

Result<bool> GetBool(const Doc& doc, const YAML::Node& n, const Where& w) {
  if (n.IsScalar()) {
    std::string v = n.Scalar();
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
  }
  return Fail(doc, At(w, n), "expected true or false");
}

Result<long long> GetInt(const Doc& doc, const YAML::Node& n, const Where& w, long long lo,
                         long long hi) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) {
      if (v < lo || v > hi) {
        return Fail(doc, At(w, n), fmt::format("{} is out of range (from {} to {})", v, lo, hi));
      }
      return v;
    }
    return Fail(doc, At(w, n),
                fmt::format("'{}' is not a whole number (from {} to {})", s, lo, hi));
  }
  return Fail(doc, w, fmt::format("expected a whole number, got {}", TypeName(n)));
}

Result<std::chrono::milliseconds> GetDuration(const Doc& doc, const YAML::Node& n, const Where& w) {
  LL_ASSIGN(std::string s, GetString(doc, n, w, "a duration such as 250ms, 5s or 1m"));
  auto d = ParseDuration(s);
  if (!d.ok()) return Fail(doc, At(w, n), d.error().message());
  return *d;
}

Result<std::size_t> GetSize(const Doc& doc, const YAML::Node& n, const Where& w) {
  LL_ASSIGN(std::string s, GetString(doc, n, w, "a size such as 1048576, 512KiB or 1MiB"));
  auto size = ParseSize(s);
  if (!size.ok()) return Fail(doc, At(w, n), size.error().message());
  return *size;
}

Result<std::string> GetSecret(const Doc& doc, const YAML::Node& n, const Where& w,
                              bool allow_plain) {
  if (n.IsScalar() && allow_plain) return n.Scalar();
  if (!n.IsMap()) {
    return Fail(doc, w,
                allow_plain
                    ? fmt::format("expected a value, {{ env: NAME }} or {{ file: PATH }}, got {}",
                                  TypeName(n))
                    : fmt::format("expected {{ env: NAME }} or {{ file: PATH }} (secrets are not "
                                  "written in the config itself), got {}",
                                  TypeName(n)));
  }
  LL_ASSIGN(Fields s, ReadMap(doc, n, w, {"env", "file", "prefix"}, "a secret"));
  const Field* env = s.Find("env");
  const Field* file = s.Find("file");
  if ((env == nullptr) == (file == nullptr)) {
    return Fail(doc, w,
                "give exactly one of 'env' (an environment variable) or 'file' (a secret "
                "file), e.g. { env: FORUM_TOKEN, prefix: \"Bearer \" }");
  }
  std::string secret;
  if (env != nullptr) {
    LL_ASSIGN(std::string var,
              GetNonEmpty(doc, env->value, env->where, "an environment variable name"));
    const char* v = std::getenv(var.c_str());
    if (v == nullptr) {
      return Fail(doc, w,
                  fmt::format("environment variable {} is not set (set it, or use "
                              "{{ file: PATH }})",
                              var));
    }
    if (*v == '\0') return Fail(doc, w, fmt::format("environment variable {} is empty", var));
    secret = v;
  } else {
    LL_ASSIGN(std::string raw,
              GetNonEmpty(doc, file->value, file->where, "the path of a secret file"));
    std::string path = ResolvePath(doc, raw);
    auto data = ReadWholeFile(path);
    if (!data.ok()) {
      return Fail(doc, w,
                  fmt::format("cannot read secret file '{}': {}", path, data.error().message()));
    }
    secret = std::move(*data);
    // Files usually end in a newline the secret does not include.
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
      secret.pop_back();
    }
    if (secret.empty()) return Fail(doc, w, fmt::format("secret file '{}' is empty", path));
  }
  std::string prefix;
  if (const Field* p = s.Find("prefix")) {
    LL_ASSIGN(prefix, GetString(doc, p->value, p->where, "a prefix such as \"Bearer \""));
  }
  return prefix + secret;
}

std::string ResolvePath(const Doc& doc, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || doc.dir.empty()) return p;
  return (doc.dir / path).lexically_normal().string();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    ErrorCode code = err == ENOENT   ? ErrorCode::kNotFound
                     : err == EACCES ? ErrorCode::kPermissionDenied
                                     : ErrorCode::kUnavailable;
    return Error(code, std::strerror(err));
  }
  std::string data;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return Error(ErrorCode::kUnavailable, std::strerror(err));
  return data;
}

}  // namespace lifeline::config::yaml
