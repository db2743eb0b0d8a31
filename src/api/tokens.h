// API tokens for `lifeline serve`: role names, and the functions `lifeline token
// create|list|revoke` and the engine's Backend::Authenticate call. Secrets are generated and hashed
// by the store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/backend.h"
#include "core/result.h"
#include "store/records.h"
#include "store/store.h"

namespace lifeline::api {

// "none", "viewer", "operator", "admin".
std::string_view RoleName(Role role);
// Parses the four names above; nullopt for anything else (names are lower case, exact).
std::optional<Role> ParseRole(std::string_view name);
// A token role: viewer, operator or admin ("none" is only an anonymous role, never a token's).
core::Result<Role> ParseTokenRole(std::string_view name);

Role FromStoreRole(store::Role role);
// kNone has no store form: kInvalidArgument.
core::Result<store::Role> ToStoreRole(Role role);

// Creates a token and returns it with its secret: the only time the secret exists outside the
// caller, so print it once. The store keeps only HashToken(secret). Errors: kInvalidArgument (empty
// name, role none), kAlreadyExists (an active token has this name), the store's own errors.
core::Result<store::CreatedToken> CreateToken(store::Store& store, std::string_view name, Role role,
                                              store::Time now);
// Every token, active and revoked, oldest first. Hashes included (not secrets): callers printing
// them should use TokenJson, which leaves the hash out.
core::Result<std::vector<store::ApiToken>> ListTokens(store::Store& store);
// Revokes by id ("tok_...") or by active name. Revoking twice is OK; kNotFound when nothing
// matches.
core::Status RevokeToken(store::Store& store, std::string_view id_or_name, store::Time now);

// The role of an active token. kUnauthenticated for a malformed, unknown or revoked token (one
// message for all, so an answer tells nothing about which tokens exist); other codes when the
// store fails (kUnavailable: answer 503, not 401). Looks the token up by its SHA-256 hash through
// an index, so the time taken does not depend on how much of a secret a guess gets right. Records
// use (the store throttles that to once a minute per token); a failure to record is ignored.
core::Result<Role> Authenticate(store::Store& store, std::string_view bearer, store::Time now);

// {"id","name","role","created_at","revoked_at","last_used_at"} (times RFC 3339 or null): for
// `lifeline token list --json`. Never the hash.
nlohmann::json TokenJson(const store::ApiToken& token);

}  // namespace lifeline::api
