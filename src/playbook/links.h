// Acknowledgement links: a signed one-time token in a URL that lets a person acknowledge a task,
// mark it done, or approve or refuse a request from the alert itself, on any channel. The token
// is HMAC-SHA256-signed with a secret kept beside the database (or given by the environment);
// the store keeps only its hash, what it does and when it expires, and marks it used once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lifeline::store {
class ClusterStore;
}  // namespace lifeline::store

namespace lifeline::playbook {

enum class LinkAction { kAcknowledge, kDone, kApprove, kRefuse };
std::string_view LinkActionName(LinkAction a);  // "acknowledge", "done", "approve", "refuse"
std::optional<LinkAction> ParseLinkAction(std::string_view name);

// The path links are served under: "<base>/ack/<token>". The route that serves it should answer
// GET with a page that asks to confirm and perform the action on POST only: chat apps and mail
// scanners open links to preview them, and a preview must not acknowledge anything.
inline constexpr std::string_view kLinkPath = "/ack/";

// The environment variable that gives the link secret (at least 32 characters) instead of the
// file beside the database.
inline constexpr const char* kLinkSecretEnv = "LIFELINE_LINK_SECRET";
// Its name among the secrets the instances on one database share (ClusterStore::SharedSecret).
inline constexpr std::string_view kLinkSecretName = "playbook.link";

// The secret from $LIFELINE_LINK_SECRET when set, else the file at `path`: read when it exists,
// created (mode 0600, 32 random bytes as hex, written before it is used) when it does not.
// Errors: a secret shorter than 32 characters, a file that cannot be read or created, a file that
// others may read (kPermissionDenied: chmod 600 it).
core::Result<std::string> LoadOrCreateLinkSecret(const std::string& path);

// An installation's link secret: LoadOrCreateLinkSecret(path); with several instances on one
// database (`cluster` non-null, $LIFELINE_LINK_SECRET unset) the one kept there for all, which the
// first instance to ask gives (its own file's: links sent before the move to PostgreSQL keep
// working). So a link in a message any instance sent is honoured by every instance.
core::Result<std::string> InstallationLinkSecret(const std::string& path,
                                                 store::ClusterStore* cluster);

// The pieces of a token, and the signature over what it grants.
struct LinkSigner {
  std::string secret;  // non-empty

  // A fresh token "NONCE.MAC" (39 URL-safe characters) granting `action` on `assignment` to
  // `person` until `expires_ms`; `mac` receives its MAC part (what the store keeps beside it).
  core::Result<std::string> Issue(std::string_view assignment, std::string_view action,
                                  std::string_view person, std::int64_t expires_ms,
                                  std::string* mac) const;
  // Whether `token` is well formed and its MAC matches what the store says it grants (constant
  // time). False for a damaged, forged or altered token.
  bool Verify(std::string_view token, std::string_view assignment, std::string_view action,
              std::string_view person, std::int64_t expires_ms) const;
};

// SHA-256 of the token, lowercase hex: what the store looks tokens up by.
std::string LinkTokenHash(std::string_view token);

// The token in a link: the text after the last "/ack/" (or the whole text when there is none),
// without a query string or fragment.
std::string_view TokenOfLink(std::string_view link_or_token);

}  // namespace lifeline::playbook
