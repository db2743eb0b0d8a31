// API token helpers over the store: role names, create/list/revoke for the CLI, and bearer
// authentication by hash for the serve engine.
#include "api/tokens.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/types.h"

namespace lifeline::api {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoleNames = {{
    {Role::kNone, "none"},
    {Role::kViewer, "viewer"},
    {Role::kOperator, "operator"},
    {Role::kAdmin, "admin"},
}};

// The shape every secret the store hands out has ("llt_" + 64 lowercase hex). Anything else is
// rejected before touching the store.
bool LooksLikeSecret(std::string_view s) {
  constexpr std::string_view kPrefix = "llt_";
  if (s.size() != kPrefix.size() + 64 || !s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

nlohmann::json TimeOrNull(const std::optional<store::Time>& t) {
  if (!t) return nullptr;
  return core::FormatTime(*t);
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "none";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kRoleNames) {
    if (n == name) return r;
  }
  return std::nullopt;
}

core::Result<Role> ParseTokenRole(std::string_view name) {
  auto role = ParseRole(name);
  if (!role || *role == Role::kNone) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "role '{}' is not a token role; use viewer, operator or admin", name);
  }
  return *role;
}

Role FromStoreRole(store::Role role) {
  switch (role) {
    case store::Role::kViewer:
      return Role::kViewer;
    case store::Role::kOperator:
      return Role::kOperator;
    case store::Role::kAdmin:
      return Role::kAdmin;
  }
  return Role::kNone;
}

core::Result<store::Role> ToStoreRole(Role role) {
  switch (role) {
    case Role::kViewer:
      return store::Role::kViewer;
    case Role::kOperator:
      return store::Role::kOperator;
    case Role::kAdmin:
      return store::Role::kAdmin;
    case Role::kNone:
      break;
  }
  return core::MakeError(core::ErrorCode::kInvalidArgument,
                         "a token needs a role: viewer, operator or admin");
}

core::Result<store::CreatedToken> CreateToken(store::Store& store, std::string_view name, Role role,
                                              store::Time now) {
  auto store_role = ToStoreRole(role);
  if (!store_role) return store_role.error();
  return store.CreateToken({std::string(name), *store_role, now});
}

core::Result<std::vector<store::ApiToken>> ListTokens(store::Store& store) {
  return store.ListTokens();
}

core::Status RevokeToken(store::Store& store, std::string_view id_or_name, store::Time now) {
  if (id_or_name.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "name a token (its id or name)");
  }
  return store.RevokeToken(id_or_name, now);
}

core::Result<Role> Authenticate(store::Store& store, std::string_view bearer, store::Time now) {
  auto unknown = [] {
    return core::MakeError(core::ErrorCode::kUnauthenticated, "unknown or revoked API token");
  };
  if (!LooksLikeSecret(bearer)) return unknown();
  auto token = store.FindTokenByHash(store::HashToken(bearer));
  if (!token) {
    if (token.error().code() == core::ErrorCode::kNotFound) return unknown();
    return token.error();
  }
  (void)store.MarkTokenUsed(token->id, now);  // bookkeeping only: never deny access over it
  return FromStoreRole(token->role);
}

nlohmann::json TokenJson(const store::ApiToken& token) {
  return {
      {"id", token.id},
      {"name", token.name},
      {"role", RoleName(FromStoreRole(token.role))},
      {"created_at", core::FormatTime(token.created_at)},
      {"revoked_at", TimeOrNull(token.revoked_at)},
      {"last_used_at", TimeOrNull(token.last_used_at)},
  };
}

}  // namespace lifeline::api
