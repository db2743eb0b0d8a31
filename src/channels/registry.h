// The adapters Lifeline knows, by `type:` name and by Apprise-style URL scheme. Adding an adapter
// is one folder under src/channels/ plus one line in registry.cc.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel.h"
#include "channels/http.h"
#include "config/yaml_read.h"
#include "core/result.h"

namespace lifeline::channels {

// An Apprise-style address ("tgram://TOKEN/CHAT", "mailtos://user:pass@host?to=a@b",
// "json://host/path"), split and %-decoded. Secrets may sit in `user`, `password` and `path`:
// never print a whole URL.
struct AppriseUrl {
  std::string scheme;  // lowercase: "tgram", "mailtos", "json"...
  std::string user;
  std::string password;
  std::string host;               // may be a token (tgram://TOKEN/...): not necessarily a host name
  int port = 0;                   // 0 = none given
  std::vector<std::string> path;  // non-empty segments
  std::multimap<std::string, std::string> query;  // lowercase keys
};

// Parses "scheme://[user[:password]@]host[:port][/seg/seg...][?k=v&...]". Errors say what is
// wrong without echoing the URL (it may hold a token).
core::Result<AppriseUrl> ParseAppriseUrl(std::string_view url);

// What an adapter's factory gets. Errors it returns should be yaml::Fail(doc, <where>, ...):
// FILE:LINE: channels.NAME.KEY: what is wrong (what would be valid).
struct BuildContext {
  config::yaml::Doc doc;
  config::yaml::Where where;                 // "channels.NAME", at the name's line
  std::string name;                          // NAME
  HttpClient* http = nullptr;                // shared; outlives the channels
  std::chrono::milliseconds timeout{15000};  // per request (channels.NAME.timeout)
  // channels.NAME.platform when the config gives one: it overrides the adapter's own choice of
  // Info::platform (an e-mail server hosted by Google rides on "google"). Empty: not given.
  std::string platform;
};

struct Kind {
  std::string_view type;                  // the `type:` value: "telegram"
  std::vector<std::string_view> schemes;  // Apprise-style schemes: {"tgram"}
  std::string_view platform;              // the catalog platform it rides on by default
  // From the channel's own keys (`type`, `url`, `platform`, `timeout`, `rate` are taken out
  // before: an adapter checks the rest with yaml::ReadMap-style rules, including unknown keys).
  core::Result<std::unique_ptr<Channel>> (*from_yaml)(const BuildContext& ctx,
                                                      const config::yaml::Fields& fields);
  // From an Apprise-style URL (`url:` in the config, or a URL given on the command line).
  core::Result<std::unique_ptr<Channel>> (*from_url)(const BuildContext& ctx,
                                                     const AppriseUrl& url);
};

// Every adapter, in registry.cc order.
const std::vector<Kind>& Kinds();
const Kind* FindKind(std::string_view type);
const Kind* FindScheme(std::string_view scheme);

}  // namespace lifeline::channels
