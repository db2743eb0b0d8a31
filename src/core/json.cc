// Conversions between the domain types and JSON; parsing errors name the offending field.
#include "core/json.h"

#include <ctime>

namespace lifeline::core {
namespace {

using nlohmann::json;

void PutTiming(json& out, const char* name, const std::optional<double>& v) {
  if (v) out[name] = static_cast<double>(static_cast<long long>(*v * 10 + 0.5)) / 10;
}

// Reads an optional field of type T, failing with the field's name when the type is wrong.
template <typename T>
Status Get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "field '{}' has the wrong type ({})", key,
                     it->type_name());
  }
  return Ok();
}

#define LL_GET(j, key, out)                                                         \
  do {                                                                              \
    if (auto ll_status_ = Get(j, key, out); !ll_status_) return ll_status_.error(); \
  } while (0)

}  // namespace

json ToJson(const ProbeSpec& s) {
  json j{{"id", s.id}, {"kind", ProbeKindName(s.kind)}};
  switch (s.kind) {
    case ProbeKind::kDns:
      j["host"] = s.host;
      if (!s.resolver.empty()) j["resolver"] = s.resolver;
      break;
    case ProbeKind::kTcp:
      j["host"] = s.host;
      j["port"] = s.port;
      break;
    case ProbeKind::kHttp: {
      j["url"] = s.url;
      j["method"] = s.method;
      if (!s.headers.empty()) {
        json h = json::array();
        for (const auto& [k, v] : s.headers) h.push_back({k, v});
        j["headers"] = h;
      }
      j["max_redirects"] = s.max_redirects;
      j["max_body_bytes"] = s.max_body_bytes;
      json e = json::object();
      if (!s.expect.status.empty()) e["status"] = s.expect.status;
      if (!s.expect.body_contains.empty()) e["body_contains"] = s.expect.body_contains;
      if (!s.expect.body_regex.empty()) e["body_regex"] = s.expect.body_regex;
      if (!s.expect.json_pointer.empty()) e["json_pointer"] = s.expect.json_pointer;
      if (s.expect.json_equals) e["json_equals"] = *s.expect.json_equals;
      if (!e.empty()) j["expect"] = e;
      break;
    }
  }
  if (s.api) j["api"] = true;
  return j;
}

Result<ProbeSpec> ProbeSpecFromJson(const json& j) {
  if (!j.is_object()) return MakeError(ErrorCode::kInvalidArgument, "a target must be an object");
  ProbeSpec s;
  std::string kind = "http";
  LL_GET(j, "id", s.id);
  LL_GET(j, "kind", kind);
  auto k = ParseProbeKind(kind);
  if (!k) {
    return MakeError(ErrorCode::kInvalidArgument, "field 'kind': '{}' is not one of dns, tcp, http",
                     kind);
  }
  s.kind = *k;
  LL_GET(j, "host", s.host);
  LL_GET(j, "port", s.port);
  LL_GET(j, "resolver", s.resolver);
  LL_GET(j, "url", s.url);
  LL_GET(j, "method", s.method);
  LL_GET(j, "api", s.api);
  LL_GET(j, "max_redirects", s.max_redirects);
  LL_GET(j, "max_body_bytes", s.max_body_bytes);
  if (auto it = j.find("headers"); it != j.end()) {
    if (!it->is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "field 'headers' must be an array of pairs");
    }
    for (const auto& h : *it) {
      if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "field 'headers' must hold [name, value] string pairs");
      }
      s.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    }
  }
  if (auto it = j.find("expect"); it != j.end() && it->is_object()) {
    LL_GET(*it, "status", s.expect.status);
    LL_GET(*it, "body_contains", s.expect.body_contains);
    LL_GET(*it, "body_regex", s.expect.body_regex);
    LL_GET(*it, "json_pointer", s.expect.json_pointer);
    if (auto eq = it->find("json_equals"); eq != it->end() && !eq->is_null()) {
      s.expect.json_equals = eq->is_string() ? eq->get<std::string>() : eq->dump();
    }
  }
  if (s.kind == ProbeKind::kHttp && s.url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "an http target needs 'url'");
  }
  if (s.kind != ProbeKind::kHttp && s.host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a {} target needs 'host'", kind);
  }
  return s;
}

json ToJson(const ProbeResult& r) {
  json j{{"id", r.probe_id},   {"kind", ProbeKindName(r.kind)},
         {"target", r.target}, {"from", r.from},
         {"ok", r.ok},         {"layer", LayerName(r.layer)},
         {"detail", r.detail}, {"message", r.message}};
  json t = json::object();
  PutTiming(t, "dns", r.timings.dns);
  PutTiming(t, "connect", r.timings.connect);
  PutTiming(t, "tls", r.timings.tls);
  PutTiming(t, "first_byte", r.timings.first_byte);
  PutTiming(t, "total", r.timings.total);
  j["timings_ms"] = t;
  if (r.api) j["api"] = true;
  if (r.slow) j["slow"] = true;
  if (r.http_status) j["http_status"] = r.http_status;
  if (!r.resolver.empty()) j["resolver"] = r.resolver;
  if (!r.addresses.empty()) j["addresses"] = r.addresses;
  if (r.cert_not_after) j["cert_not_after"] = FormatTime(*r.cert_not_after);
  return j;
}

Result<ProbeResult> ProbeResultFromJson(const json& j) {
  if (!j.is_object()) return MakeError(ErrorCode::kInvalidArgument, "a result must be an object");
  ProbeResult r;
  std::string kind = "http", layer;
  LL_GET(j, "id", r.probe_id);
  LL_GET(j, "kind", kind);
  LL_GET(j, "target", r.target);
  LL_GET(j, "from", r.from);
  LL_GET(j, "ok", r.ok);
  LL_GET(j, "layer", layer);
  LL_GET(j, "detail", r.detail);
  LL_GET(j, "message", r.message);
  LL_GET(j, "api", r.api);
  LL_GET(j, "slow", r.slow);
  LL_GET(j, "http_status", r.http_status);
  LL_GET(j, "resolver", r.resolver);
  LL_GET(j, "addresses", r.addresses);
  auto k = ParseProbeKind(kind);
  auto l = ParseLayer(layer);
  if (!k) return MakeError(ErrorCode::kInvalidArgument, "field 'kind': unknown kind '{}'", kind);
  if (!l) return MakeError(ErrorCode::kInvalidArgument, "field 'layer': unknown layer '{}'", layer);
  r.kind = *k;
  r.layer = *l;
  if (auto it = j.find("timings_ms"); it != j.end() && it->is_object()) {
    auto get = [&](const char* name, std::optional<double>& out) {
      if (auto v = it->find(name); v != it->end() && v->is_number()) out = v->get<double>();
    };
    get("dns", r.timings.dns);
    get("connect", r.timings.connect);
    get("tls", r.timings.tls);
    get("first_byte", r.timings.first_byte);
    get("total", r.timings.total);
  }
  if (auto it = j.find("cert_not_after"); it != j.end() && it->is_string()) {
    std::tm tm{};
    if (strptime(it->get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
      r.cert_not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
    }
  }
  return r;
}

}  // namespace lifeline::core
