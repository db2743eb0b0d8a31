// The Facebook Page channel: publishes a post on the brand's Page with the Graph API
// (POST /{version}/{page-id}/feed, `message` and, when the message carries media, `link` = the
// first link) using a Page access token, and looks posts up (GET /{post-id}). Config from YAML
// (`type: facebook_page`) or Lifeline's facebook://PAGE_TOKEN@PAGE_ID URL (Apprise has none).
// https://developers.facebook.com/docs/pages-api/posts
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"
#include "channels/registry.h"

namespace lifeline::channels::facebook {

// A Page post's message: Facebook documents 63,206 characters.
inline constexpr std::size_t kMaxChars = 63206;

struct FacebookPageConfig {
  std::string page_id;     // digits
  std::string page_token;  // a Page access token with pages_manage_posts (secret)
  std::string api_version = "v21.0";
  std::string api_base = "https://graph.facebook.com";
  std::string platform = "facebook";
  std::chrono::milliseconds timeout{15000};
};

// YAML keys: page_id, page_token (a secret), api_version, api_base.
core::Result<FacebookPageConfig> ConfigFromYaml(const BuildContext& ctx,
                                                const config::yaml::Fields& fields);
// facebook://PAGE_TOKEN@PAGE_ID[?api_version=v21.0&api_base=...]
core::Result<FacebookPageConfig> ConfigFromUrl(const BuildContext& ctx, const AppriseUrl& url);

class FacebookPageChannel : public adapter::HttpChannel<FacebookPageConfig> {
 public:
  FacebookPageChannel(std::string name, FacebookPageConfig config, HttpClient* http);

  core::Status Check(const OutgoingMessage& message) const override;
  // GET /{post-id}?fields=id,is_published,permalink_url: present with the permalink; an
  // unpublished post, error 100/33 ("does not exist") or 404 missing; anything else unknown.
  LookupResult Lookup(const std::string& remote_id) override;

  // The request Send makes (tests). Holds the token: never log it.
  HttpRequest BuildRequest(const OutgoingMessage& message) const;

 private:
  DeliveryResult Deliver(const OutgoingMessage& message) override;
};

// Facebook's answer to POST /{page-id}/feed: {"id": "PAGEID_POSTID"} delivered; Graph errors as
// meta_graph.h's ReadFailure classifies them (80001, the Page rate limit, among the limits).
DeliveryResult ClassifyAnswer(const HttpResponse& response);

// type "facebook_page", scheme facebook.
extern const Kind kKind;

}  // namespace lifeline::channels::facebook
