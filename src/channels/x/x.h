// The X channel: posts with X API v2 (POST /2/tweets) on behalf of the brand's account, signed with
// OAuth 1.0a user context (the default: its tokens do not expire) or sent with an OAuth 2.0
// user-context access token. Length by X's weighted count (280; links count 23). Config from YAML
// (`type: x`) or an Apprise-style x:// / twitter:// URL.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"
#include "channels/registry.h"

namespace lifeline::channels::x {

// OAuth 1.0a user context: the app's consumer key and secret, and the posting account's access
// token and secret (X's developer portal issues them for the app owner's account).
struct OAuth1Credentials {
  std::string consumer_key;
  std::string consumer_secret;
  std::string token;
  std::string token_secret;
};

struct XConfig {
  OAuth1Credentials oauth1;  // used when bearer_token is empty
  // OAuth 2.0 Authorization Code with PKCE user token. It expires after two hours unless
  // refreshed outside Lifeline; given as { file: PATH } it is read again before every post, so a
  // refresher that rewrites the file keeps the channel working.
  std::string bearer_token;
  std::string bearer_file;  // "" unless the token came from a file
  std::string api = "https://api.x.com";
  std::size_t max_length = 280;  // weighted; X Premium accounts may post longer
  std::string platform = "x";
  std::chrono::milliseconds timeout{15000};
};

// YAML keys: consumer_key, consumer_secret, access_token, access_token_secret (all secrets), or
// bearer_token (a secret); api; max_length.
core::Result<XConfig> ConfigFromYaml(const BuildContext& ctx, const config::yaml::Fields& fields);
// Apprise: x://CKEY/CSECRET/AKEY/ASECRET?mode=tweet (twitter:// and tweet:// too). Lifeline also
// takes x://USER-ACCESS-TOKEN?mode=tweet (OAuth 2.0). mode=tweet is required: without it Apprise
// sends a private direct message, and Lifeline would post publicly instead.
core::Result<XConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

// RFC 3986 percent-encoding as OAuth 1.0a requires it (unreserved characters stay).
std::string PercentEncode(std::string_view s);

// The Authorization header value for an OAuth 1.0a HMAC-SHA1 signed request (RFC 5849). `params`
// are the query and form parameters (none for a JSON body).
std::string OAuth1Header(std::string_view method, std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& params,
                         const OAuth1Credentials& creds, std::string_view nonce,
                         long long timestamp);

class XChannel : public adapter::HttpChannel<XConfig> {
 public:
  XChannel(std::string name, XConfig config, HttpClient* http);

  core::Status Check(const OutgoingMessage& message) const override;
  // GET /2/tweets/:id: data.id present; an errors[] entry titled "Not Found Error" (X answers
  // 200 with it) or a 404 missing; no answer, 401/403, 429 and 5xx unknown.
  LookupResult Lookup(const std::string& remote_id) override;

  HttpRequest BuildRequest(const OutgoingMessage& message) const;

 private:
  DeliveryResult Deliver(const OutgoingMessage& message) override;
  // The Authorization header for `method` on `url` (the bearer token, re-read from its file, or
  // an OAuth 1.0a signature).
  std::string Authorization(std::string_view method, const std::string& url) const;
};

// X's answer to POST /2/tweets. `attempt` matters for 403 duplicate content: on a retry it means
// an earlier attempt whose answer was lost probably posted it.
DeliveryResult ClassifyAnswer(const HttpResponse& response, int attempt, bool bearer,
                              std::chrono::system_clock::time_point now);

// type "x", schemes x, twitter, tweet.
extern const Kind kKind;

}  // namespace lifeline::channels::x
