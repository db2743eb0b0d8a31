// The Bluesky channel: logs in once with an app password (com.atproto.server.createSession),
// keeps and refreshes the session, and posts app.bsky.feed.post records
// (com.atproto.repo.createRecord) with link and hashtag facets at UTF-8 byte offsets. Config from
// YAML (`type: bluesky`) or an Apprise-style bluesky:// / bsky:// URL.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"
#include "channels/registry.h"

namespace lifeline::channels::bluesky {

struct BlueskyConfig {
  std::string identifier;    // the handle ("brand.bsky.social") or DID that logs in
  std::string app_password;  // a secret: an app password, not the account password
  std::string service = "https://bsky.social";  // the account's PDS or the entryway
  std::string language;                         // "en": the post's langs, or "" for none
  std::string platform = "bluesky";
  std::chrono::milliseconds timeout{15000};
};

// YAML keys: handle, app_password (a secret), service, language.
core::Result<BlueskyConfig> ConfigFromYaml(const BuildContext& ctx,
                                           const config::yaml::Fields& fields);
// bluesky://HANDLE@APP-PASSWORD[?service=https://pds.example&language=en] (Apprise's form; bsky://
// too). A handle without a dot is taken as HANDLE.bsky.social, as Apprise does.
core::Result<BlueskyConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

// The app.bsky.feed.post record for `text`: facets for every http(s) link and #hashtag, with
// byteStart/byteEnd in UTF-8 bytes as the lexicon requires.
nlohmann::json BuildRecord(const std::string& text, const std::string& language,
                           std::chrono::system_clock::time_point created_at);

class BlueskyChannel : public adapter::HttpChannel<BlueskyConfig> {
 public:
  BlueskyChannel(std::string name, BlueskyConfig config, HttpClient* http);

  core::Status Check(const OutgoingMessage& message) const override;
  // app.bsky.feed.getPosts?uris=AT-URI with the session (the at:// URI the delivery returned):
  // the post in `posts` present (with its bsky.app link); an empty `posts`, NotFound or
  // RecordNotFound missing; no answer, a failed login, 429 and 5xx unknown.
  LookupResult Lookup(const std::string& remote_id) override;

 private:
  struct Session {
    std::string access_jwt;  // secrets, like the app password
    std::string refresh_jwt;
    std::string did;
  };
  enum class Renew { kRefresh, kLogin };

  // The current session, logging in first when there is none. A failed login is the result.
  std::optional<Session> CurrentSession(DeliveryResult* failure);
  // A new session after the far side refused `stale`'s access token: refreshSession first (cheap,
  // and createSession is limited to 30 per 5 minutes), createSession when that fails too.
  std::optional<Session> Renewed(const Session& stale, Renew how, DeliveryResult* failure);
  std::optional<Session> Login(DeliveryResult* failure);  // with mu_ held
  HttpResponse CreateRecord(const Session& session, const OutgoingMessage& message);
  HttpResponse GetPosts(const Session& session, const std::string& uri);
  DeliveryResult Deliver(const OutgoingMessage& message) override;

  std::mutex mu_;  // guards session_, and serializes logins so that parallel sends share one
  std::optional<Session> session_;
};

// The reason and classification of an XRPC error answer ({"error": NAME, "message": ...}).
DeliveryResult ClassifyRecordAnswer(const HttpResponse& response,
                                    std::chrono::system_clock::time_point now);

// type "bluesky", schemes bluesky and bsky.
extern const Kind kKind;

}  // namespace lifeline::channels::bluesky
