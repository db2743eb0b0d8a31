// Validation, ids, hashing, percentiles and cursors shared by every SQL implementation.
#include "store/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <tuple>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <nlohmann/json.hpp>

namespace lifeline::store::internal {
namespace {

using core::ErrorCode;
using core::MakeError;

constexpr char kHex[] = "0123456789abcdef";
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kMaxName = 128;

std::string ToHex(const unsigned char* p, std::size_t n) {
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 0xf];
  }
  return out;
}

core::Status RequireName(std::string_view field, std::string_view value) {
  if (value.empty()) return MakeError(ErrorCode::kInvalidArgument, "{} is empty", field);
  if (value.size() > kMaxName) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field, kMaxName);
  }
  return core::Ok();
}

bool IsSnake(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

core::Status RequirePlatforms(const std::vector<std::string>& platforms) {
  if (platforms.empty()) return MakeError(ErrorCode::kInvalidArgument, "platforms is empty");
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    if (auto s = RequireName("platforms[" + std::to_string(i) + "]", platforms[i]); !s) return s;
    for (std::size_t j = 0; j < i; ++j) {
      if (platforms[j] == platforms[i]) {
        return MakeError(ErrorCode::kInvalidArgument, "platforms lists {} twice", platforms[i]);
      }
    }
  }
  return core::Ok();
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) std::abort();
  return ToHex(md, len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    std::abort();  // only fails on allocation failure or a broken OpenSSL
  }
  return ToHex(md, len);
}

core::Result<std::string> RandomHex(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return MakeError(ErrorCode::kInternal, "the system random generator failed (OpenSSL RAND)");
  }
  return ToHex(reinterpret_cast<const unsigned char*>(bytes.data()), n);
}

core::Result<std::string> NewId(std::string_view prefix, Time at) {
  unsigned char rnd[10];
  if (RAND_bytes(rnd, sizeof rnd) != 1) {
    return MakeError(ErrorCode::kInternal, "the system random generator failed (OpenSSL RAND)");
  }
  std::string id(prefix);
  // 48 bits of milliseconds, big-endian base32: lexicographic order is time order until 10889.
  auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, ToMillis(at)));
  for (int i = 9; i >= 0; --i) id += kCrockford[(ms >> (5 * i)) & 31];
  // 80 random bits as 16 base32 characters.
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  for (int i = 0; i < 5; ++i) hi = (hi << 8) | rnd[i];
  for (int i = 5; i < 10; ++i) lo = (lo << 8) | rnd[i];
  for (int i = 7; i >= 0; --i) id += kCrockford[(hi >> (5 * i)) & 31];
  for (int i = 7; i >= 0; --i) id += kCrockford[(lo >> (5 * i)) & 31];
  return id;
}

core::Result<std::string> NewTokenSecret() {
  auto hex = RandomHex(32);
  if (!hex) return hex.error();
  return "llt_" + *hex;
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

double NearestRank(std::span<const double> sorted, double p) {
  if (sorted.empty()) std::abort();
  auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::vector<MinuteAggregate> Aggregate(std::vector<ProbeSample> samples) {
  using Key = std::tuple<std::string, std::int64_t, std::string, std::string>;
  struct Acc {
    std::int64_t count = 0;
    std::int64_t ok = 0;
    std::vector<double> latencies;
  };
  std::map<Key, Acc> groups;
  for (auto& s : samples) {
    auto& acc = groups[Key{std::move(s.platform), ToMillis(MinuteOf(s.at)), std::move(s.probe_id),
                           std::move(s.from)}];
    ++acc.count;
    if (s.ok) {
      ++acc.ok;
      if (s.total_ms) acc.latencies.push_back(*s.total_ms);
    }
  }
  std::vector<MinuteAggregate> out;
  out.reserve(groups.size());
  for (auto& [key, acc] : groups) {
    MinuteAggregate a;
    a.platform = std::get<0>(key);
    a.minute = FromMillis(std::get<1>(key));
    a.probe_id = std::get<2>(key);
    a.from = std::get<3>(key);
    a.count = acc.count;
    a.ok_count = acc.ok;
    a.latency_count = static_cast<std::int64_t>(acc.latencies.size());
    if (!acc.latencies.empty()) {
      std::sort(acc.latencies.begin(), acc.latencies.end());
      a.latency_min = acc.latencies.front();
      a.latency_max = acc.latencies.back();
      a.latency_p50 = NearestRank(acc.latencies, 50);
      a.latency_p95 = NearestRank(acc.latencies, 95);
      a.latency_p99 = NearestRank(acc.latencies, 99);
    }
    out.push_back(std::move(a));
  }
  return out;
}

core::Status ValidateJson(std::string_view field, std::string_view text) {
  if (!nlohmann::json::accept(text)) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is not valid JSON", field);
  }
  return core::Ok();
}

core::Status ValidateSample(const ProbeSample& s) {
  if (auto r = RequireName("sample platform", s.platform); !r) return r;
  if (auto r = RequireName("sample probe_id", s.probe_id); !r) return r;
  if (auto r = RequireName("sample from", s.from); !r) return r;
  if (s.total_ms && !(std::isfinite(*s.total_ms) && *s.total_ms >= 0)) {
    return MakeError(ErrorCode::kInvalidArgument, "sample total_ms must be >= 0 (got {})",
                     *s.total_ms);
  }
  return core::Ok();
}

core::Status ValidatePlatformState(const PlatformState& s) {
  if (auto r = RequireName("platform", s.platform); !r) return r;
  if (!(s.confidence >= 0 && s.confidence <= 1)) {
    return MakeError(ErrorCode::kInvalidArgument, "confidence must be in [0, 1] (got {})",
                     s.confidence);
  }
  return ValidateJson("evidence_json", s.evidence_json);
}

core::Status ValidateNewIncident(const NewIncident& i) {
  if (auto r = RequirePlatforms(i.platforms); !r) return r;
  if (i.kind == IncidentKind::kDomain && i.domain.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a domain incident needs its domain");
  }
  if (i.title.empty()) return MakeError(ErrorCode::kInvalidArgument, "title is empty");
  return ValidateJson("data_json", i.data_json);
}

core::Status ValidatePatch(const IncidentPatch& p) {
  if (p.platforms) {
    if (auto r = RequirePlatforms(*p.platforms); !r) return r;
  }
  if (p.title && p.title->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "title is empty");
  }
  return core::Ok();
}

core::Status ValidateEvent(const NewEvent& e) {
  if (!IsSnake(e.type)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "event type \"{}\" is not a lower_snake_case name of 1-64 characters", e.type);
  }
  return ValidateJson("event data_json", e.data_json);
}

core::Status ValidateReport(const CrowdReport& r) {
  if (auto s = RequireName("report platform", r.platform); !s) return s;
  if (!r.kind.empty() && !IsSnake(r.kind)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "report kind \"{}\" is not a lower_snake_case name of 1-64 characters",
                     r.kind);
  }
  if (!IsHex64(r.client_key)) {
    // Guards the promise that no raw address is stored.
    return MakeError(ErrorCode::kInvalidArgument,
                     "report client_key must be Store::ClientKey() of the address (64 hex "
                     "characters), never the address itself");
  }
  return core::Ok();
}

core::Status ValidateNewToken(const NewToken& t) { return RequireName("token name", t.name); }

core::Status ValidateStatusPage(const StatusPageState& s) {
  if (auto r = RequireName("platform", s.platform); !r) return r;
  return ValidateJson("raw_json", s.raw_json);
}

core::Status ValidateRange(TimeRange range) {
  if (range.end < range.begin) {
    return MakeError(ErrorCode::kInvalidArgument, "time range ends before it begins");
  }
  return core::Ok();
}

std::string EncodeCursor(const IncidentCursor& c) {
  return std::to_string(c.closed) + "." + std::to_string(c.opened_at) + "." + c.id;
}

core::Result<IncidentCursor> DecodeCursor(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cursor \"{}\" is not a next_cursor this server returned", text);
  };
  auto dot1 = text.find('.');
  if (dot1 == std::string_view::npos) return bad();
  auto dot2 = text.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return bad();
  IncidentCursor c;
  auto closed = text.substr(0, dot1);
  auto at = text.substr(dot1 + 1, dot2 - dot1 - 1);
  c.id = std::string(text.substr(dot2 + 1));
  if (closed != "0" && closed != "1") return bad();
  c.closed = closed == "1" ? 1 : 0;
  auto [p, ec] = std::from_chars(at.data(), at.data() + at.size(), c.opened_at);
  if (ec != std::errc() || p != at.data() + at.size() || c.id.empty()) return bad();
  return c;
}

}  // namespace lifeline::store::internal
