// Tests for loading the configuration: the bundled catalog, merging a user's file over it, and
// the FILE:LINE: KEY: messages every kind of mistake produces.
#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/values.h"
#include "core/temp_dir.h"

namespace lifeline::config {
namespace {

using lifeline::testing::TempDir;

namespace fs = std::filesystem;

// The load error's message, or "<loaded>" when the YAML loaded.
std::string LoadError(std::string_view yaml, std::string_view name = "lifeline.yaml") {
  auto c = LoadString(yaml, name);
  if (c.ok()) return "<loaded>";
  EXPECT_EQ(c.error().code(), core::ErrorCode::kInvalidArgument) << c.error().message();
  return c.error().message();
}

Config MustLoad(std::string_view yaml, std::string_view name = "lifeline.yaml") {
  auto c = LoadString(yaml, name);
  EXPECT_TRUE(c.ok()) << c.error().message();
  return c.ok() ? std::move(c).value() : Config{};
}

const core::ProbeSpec* FindProbe(const core::Platform& p, std::string_view id) {
  for (const core::ProbeSpec& s : p.probes) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

// A fresh folder under the system temp dir, removed at the end of the test.
// --- The bundled catalog ----------------------------------------------------------------------

const char* const kRequiredIds[] = {
    "facebook",  "instagram", "whatsapp",
    "messenger", "threads",   "x",
    "tiktok",    "youtube",   "google_business_profile",
    "linkedin",  "telegram",  "snapchat",
    "pinterest", "reddit",    "discord",
    "signal",    "bluesky",   "mastodon",
    "twitch",    "tumblr",
};

TEST(Bundled, LoadsWithEveryRequiredPlatform) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->source, "<bundled>");
  for (const char* id : kRequiredIds) {
    const core::Platform* p = FindPlatform(*config, id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_TRUE(p->enabled) << id;
  }
  EXPECT_GE(config->platforms.size(), 20u);
  std::set<std::string> ids;
  for (const core::Platform& p : config->platforms) {
    EXPECT_TRUE(ids.insert(p.id).second) << "duplicate " << p.id;
  }
}

TEST(Bundled, EveryPlatformHasWhatACheckNeeds) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok()) << config.error().message();
  for (const core::Platform& p : config->platforms) {
    SCOPED_TRACE(p.id);
    EXPECT_FALSE(p.name.empty());
    EXPECT_FALSE(p.domain.empty());
    EXPECT_FALSE(p.dns_names.empty());
    ASSERT_FALSE(p.probes.empty());
    bool https = false;
    for (const core::ProbeSpec& s : p.probes) {
      SCOPED_TRACE(s.id);
      for (const std::string& name : p.dns_names) EXPECT_TRUE(IsValidHostname(name)) << name;
      if (s.kind == core::ProbeKind::kTcp) {
        EXPECT_FALSE(s.host.empty());
        EXPECT_GT(s.port, 0);
        continue;
      }
      ASSERT_EQ(s.kind, core::ProbeKind::kHttp);
      auto url = ParseUrl(s.url);
      ASSERT_TRUE(url.ok()) << url.error().message();
      EXPECT_EQ(url->scheme, "https");
      https = true;
      // Every catalog probe states its healthy statuses explicitly.
      ASSERT_FALSE(s.expect.status.empty());
      for (int code : s.expect.status) {
        EXPECT_GE(code, 100);
        EXPECT_LE(code, 599);
      }
      EXPECT_FALSE(s.api) << "catalog probes carry no credentials";
      EXPECT_TRUE(s.headers.empty());
    }
    EXPECT_TRUE(https) << "at least one HTTPS probe";
    if (p.status_page) {
      auto url = ParseUrl(p.status_page->url);
      ASSERT_TRUE(url.ok());
      EXPECT_EQ(url->scheme, "https");
      EXPECT_TRUE(p.status_page->url.ends_with("/api/v2/summary.json")) << p.status_page->url;
      EXPECT_EQ(p.status_page->kind, "statuspage");
    }
  }
}

TEST(Bundled, MetaPlatformsShareOneFailureDomain) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok());
  for (const char* id : {"facebook", "instagram", "whatsapp", "messenger", "threads"}) {
    EXPECT_EQ(FindPlatform(*config, id)->domain, "meta") << id;
  }
  std::vector<std::string> meta;
  for (const core::Platform& p : config->platforms) {
    if (p.domain == "meta") meta.push_back(p.id);
  }
  EXPECT_EQ(meta.size(), 5u);
  EXPECT_EQ(FindPlatform(*config, "youtube")->domain,
            FindPlatform(*config, "google_business_profile")->domain);
  EXPECT_NE(FindPlatform(*config, "x")->domain, "meta");
}

TEST(Bundled, DefaultsForControlResolversAndTimeouts) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok());
  EXPECT_GE(config->control.size(), 4u);
  std::set<std::string> hosts;
  for (const core::ProbeSpec& s : config->control) {
    SCOPED_TRACE(s.id);
    auto url = ParseUrl(s.url);
    ASSERT_TRUE(url.ok());
    hosts.insert(url->host);
    EXPECT_FALSE(s.expect.status.empty()) << "a control answer must be stated precisely";
  }
  EXPECT_EQ(hosts.size(), config->control.size()) << "control sites are independent";
  ASSERT_GE(config->resolvers.size(), 4u);
  bool ipv6 = false;
  for (const std::string& r : config->resolvers) {
    EXPECT_TRUE(CheckResolver(r).ok()) << r;
    if (r.find(':') != std::string::npos && r.find('.') == std::string::npos) ipv6 = true;
  }
  EXPECT_TRUE(ipv6);
  EXPECT_NE(std::find(config->resolvers.begin(), config->resolvers.end(), "1.1.1.1"),
            config->resolvers.end());
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(config->slow_threshold, std::chrono::milliseconds(2000));
  EXPECT_EQ(config->concurrency, 256u);
  EXPECT_TRUE(config->vantage_points.empty());
  EXPECT_FALSE(config->agent.name.empty()) << "defaults to the host name";
  EXPECT_TRUE(config->agent.allow_private.empty()) << "agents probe public hosts only by default";
}

TEST(Bundled, EmbeddedTextIsTheCatalogFile) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/config/catalog.yaml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), kBundledCatalog);
}

TEST(Load, EmptyFileIsTheCatalog) {
  Config c = MustLoad("");
  auto bundled = LoadBundled();
  ASSERT_TRUE(bundled.ok());
  EXPECT_EQ(c.platforms.size(), bundled->platforms.size());
  EXPECT_EQ(c.source, "lifeline.yaml");
  MustLoad("# only a comment\n");
}

// --- Response parts' sections ----------------------------------------------------------------

TEST(PartSections, AreKeptWithTheirPlaceForThePartToParse) {
  Config c = MustLoad("timeout: 3s\nchannels:\n  team:\n    telegram: { chat: \"@ops\" }\n");
  const PartSection* s = c.Section("channels");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->doc.file, "lifeline.yaml");
  EXPECT_EQ(s->where.path, "channels");
  EXPECT_EQ(s->where.mark.line + 1, 2);
  ASSERT_TRUE(s->node.IsMap());
  EXPECT_EQ(s->node["team"]["telegram"]["chat"].Scalar(), "@ops");
  EXPECT_EQ(c.Section("contacts"), nullptr);
}

TEST(PartSections, AMisspeltPartKeyIsStillAnError) {
  EXPECT_EQ(LoadError("chanels:\n  a: 1\n"),
            "lifeline.yaml:1: chanels: unknown key 'chanels' (did you mean 'channels'?)");
}

// --- Merging a user's file over the catalog --------------------------------------------------

constexpr std::string_view kOverrides = R"(timeout: 3s
slow_threshold: 750ms
concurrency: 64
resolv_conf: /dev/null
resolvers: ["198.51.100.53", "[2001:db8::53]:5353"]
control:
  - url: http://198.51.100.80/ok
    expect: { status: [204] }
  - id: second
    url: https://203.0.113.80/
vantage_points:
  - name: eu-west
    region: eu
    url: https://203.0.113.10:8089
    token_file: /nonexistent/eu.token
agent:
  name: probe-1
  region: us
  max_request_bytes: 512KiB
  max_targets: 100
  allow_private: [10.20.0.0/16, "fd00::/8", 192.0.2.7]
platforms:
  instagram:
    dns: [www.instagram.com]
    probes:
      - id: web
        url: https://www.instagram.com/explore/
        expect: { status: [200], body_contains: ["Instagram"] }
      - id: api
        url: https://i.instagram.com/api/v1/me
        method: post
        api: true
        headers:
          Authorization: "Bearer plain-value"
        expect: { status: 200, json_pointer: /ok, json_equals: "true" }
        max_redirects: 0
        max_body: 64KiB
  facebook:
    probes:
      - { id: graph, enabled: false }
  x:
    name: Twitter
  reddit:
    status_page: null
  tumblr: { enabled: false }
  myforum:
    name: My Forum
    domain: self-hosted
    dns: forum.example.com
    status_page: { url: https://status.example.com/api/v2/summary.json, kind: statuspage }
    probes:
      - id: chat
        tcp: chat.example.com:5222
      - id: web
        url: https://forum.example.com/
        expect: { body_regex: "Welcome|Hello" }
)";

TEST(Merge, ScalarsAndListsReplaceTheDefaults) {
  Config c = MustLoad(kOverrides);
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(c.slow_threshold, std::chrono::milliseconds(750));
  EXPECT_EQ(c.concurrency, 64u);
  EXPECT_EQ(c.resolv_conf, "/dev/null");
  EXPECT_EQ(c.resolvers, (std::vector<std::string>{"198.51.100.53", "[2001:db8::53]:5353"}));
  ASSERT_EQ(c.control.size(), 2u);
  EXPECT_EQ(c.control[0].id, "198.51.100.80") << "default id is the URL's host";
  EXPECT_EQ(c.control[0].expect.status, std::vector<int>{204});
  EXPECT_EQ(c.control[1].id, "second");
  ASSERT_EQ(c.vantage_points.size(), 1u);
  EXPECT_EQ(c.vantage_points[0].name, "eu-west");
  EXPECT_EQ(c.vantage_points[0].region, "eu");
  EXPECT_EQ(c.vantage_points[0].url, "https://203.0.113.10:8089");
  EXPECT_EQ(c.vantage_points[0].ca_file, "") << "no ca: the default trust";
  EXPECT_FALSE(c.vantage_points[0].insecure_http);
  EXPECT_EQ(c.vantage_points[0].token_file, "/nonexistent/eu.token")
      << "a missing token file is not a load error";
  EXPECT_EQ(c.agent.name, "probe-1");
  EXPECT_EQ(c.agent.region, "us");
  EXPECT_EQ(c.agent.max_request_bytes, 512u * 1024);
  EXPECT_EQ(c.agent.max_targets, 100u);
  ASSERT_EQ(c.agent.allow_private.size(), 3u);
  EXPECT_EQ(c.agent.allow_private[0].ToString(), "10.20.0.0/16");
  EXPECT_EQ(c.agent.allow_private[1].ToString(), "fd00::/8");
  EXPECT_EQ(c.agent.allow_private[2].ToString(), "192.0.2.7/32") << "one address: a /32";
}

TEST(Merge, ProbesByIdReplaceAddAndRemove) {
  Config c = MustLoad(kOverrides);
  const core::Platform* ig = FindPlatform(c, "instagram");
  ASSERT_NE(ig, nullptr);
  EXPECT_EQ(ig->name, "Instagram") << "fields not given keep the catalog's value";
  EXPECT_EQ(ig->domain, "meta");
  EXPECT_EQ(ig->dns_names, std::vector<std::string>{"www.instagram.com"});
  ASSERT_EQ(ig->probes.size(), 2u);
  EXPECT_EQ(ig->probes[0].id, "web") << "a replaced probe keeps its place";
  EXPECT_EQ(ig->probes[0].url, "https://www.instagram.com/explore/");
  EXPECT_EQ(ig->probes[0].expect.status, std::vector<int>{200});
  EXPECT_EQ(ig->probes[0].expect.body_contains, std::vector<std::string>{"Instagram"});
  EXPECT_EQ(ig->probes[0].max_body_bytes, 1u << 20) << "replaced whole, not merged field-wise";
  const core::ProbeSpec& api = ig->probes[1];
  EXPECT_EQ(api.id, "api");
  EXPECT_EQ(api.method, "POST");
  EXPECT_TRUE(api.api);
  ASSERT_EQ(api.headers.size(), 1u);
  EXPECT_EQ(api.headers[0].first, "Authorization");
  EXPECT_EQ(api.headers[0].second, "Bearer plain-value");
  EXPECT_EQ(api.expect.status, std::vector<int>{200});
  EXPECT_EQ(api.expect.json_pointer, "/ok");
  EXPECT_EQ(api.expect.json_equals, "true");
  EXPECT_EQ(api.max_redirects, 0);
  EXPECT_EQ(api.max_body_bytes, 64u * 1024);

  const core::Platform* fb = FindPlatform(c, "facebook");
  ASSERT_NE(fb, nullptr);
  EXPECT_EQ(FindProbe(*fb, "graph"), nullptr) << "enabled: false removes the catalog probe";
  EXPECT_NE(FindProbe(*fb, "web"), nullptr);
}

TEST(Merge, PlatformFieldsStatusPageAndNewPlatforms) {
  Config c = MustLoad(kOverrides);
  auto bundled = LoadBundled();
  ASSERT_TRUE(bundled.ok());
  ASSERT_EQ(c.platforms.size(), bundled->platforms.size() + 1);
  for (std::size_t i = 0; i < bundled->platforms.size(); ++i) {
    EXPECT_EQ(c.platforms[i].id, bundled->platforms[i].id) << "catalog order first";
  }
  const core::Platform* x = FindPlatform(c, "x");
  EXPECT_EQ(x->name, "Twitter");
  EXPECT_EQ(x->probes.size(), FindPlatform(*bundled, "x")->probes.size());

  ASSERT_TRUE(FindPlatform(*bundled, "reddit")->status_page.has_value());
  EXPECT_FALSE(FindPlatform(c, "reddit")->status_page.has_value()) << "status_page: null";
  EXPECT_FALSE(FindPlatform(c, "tumblr")->enabled);
  EXPECT_FALSE(FindPlatform(c, "tumblr")->probes.empty()) << "disabled, not emptied";

  const core::Platform& forum = c.platforms.back();
  EXPECT_EQ(forum.id, "myforum");
  EXPECT_EQ(forum.name, "My Forum");
  EXPECT_EQ(forum.domain, "self-hosted");
  EXPECT_EQ(forum.dns_names, std::vector<std::string>{"forum.example.com"});
  ASSERT_TRUE(forum.status_page.has_value());
  EXPECT_EQ(forum.status_page->url, "https://status.example.com/api/v2/summary.json");
  ASSERT_EQ(forum.probes.size(), 2u);
  EXPECT_EQ(forum.probes[0].kind, core::ProbeKind::kTcp);
  EXPECT_EQ(forum.probes[0].host, "chat.example.com");
  EXPECT_EQ(forum.probes[0].port, 5222);
  EXPECT_EQ(forum.probes[1].expect.body_regex, "Welcome|Hello");
}

TEST(Merge, StatusPageAsPlainUrlAndEnabledAgain) {
  Config c = MustLoad(R"(platforms:
  telegram:
    status_page: https://status.example.org/api/v2/summary.json
    enabled: yes
)");
  const core::Platform* t = FindPlatform(c, "telegram");
  ASSERT_TRUE(t->status_page.has_value());
  EXPECT_EQ(t->status_page->url, "https://status.example.org/api/v2/summary.json");
  EXPECT_EQ(t->status_page->kind, "statuspage");
}

TEST(Merge, StatusPageAsFeedWithWindow) {
  Config c = MustLoad(R"(platforms:
  telegram:
    status_page: {url: "https://status.example.org/history.atom", kind: atom, window: 3h}
  reddit:
    status_page:
      url: https://status.example.org/feed.xml
      kind: feed
)");
  const core::Platform* t = FindPlatform(c, "telegram");
  ASSERT_TRUE(t->status_page.has_value());
  EXPECT_EQ(t->status_page->kind, "atom");
  EXPECT_EQ(t->status_page->window, std::chrono::hours(3));
  const core::Platform* r = FindPlatform(c, "reddit");
  ASSERT_TRUE(r->status_page.has_value());
  EXPECT_EQ(r->status_page->kind, "feed");
  EXPECT_EQ(r->status_page->window, std::chrono::hours(12)) << "the documented default";
}

// --- Errors: file, line, key and what would be valid -----------------------------------------

struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* want;  // a substring of the message, starting with FILE:LINE: KEY
};

class LoadErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LoadErrors, NameFileLineAndKey) {
  const ErrorCase& c = GetParam();
  std::string message = LoadError(c.yaml);
  EXPECT_NE(message.find(c.want), std::string::npos) << "got:  " << message << "\nwant: " << c.want;
}

const ErrorCase kErrorCases[] = {
    {"syntax_tab", "timeout: 5s\n\tslow_threshold: 2s\n",
     "lifeline.yaml:2:1: invalid YAML: illegal tab"},
    {"syntax_flow", "timeout: 5s\nresolvers: [1.1.1.1, 9.9.9.9\nconcurrency: 3\n",
     "lifeline.yaml:3:12: invalid YAML: end of sequence flow not found"},
    {"top_level_list", "- a\n- b\n", "lifeline.yaml:1: the file must be a map of settings"},
    {"unknown_top_key", "timeout: 5s\ntimout: 5s\n",
     "lifeline.yaml:2: timout: unknown key 'timout' (did you mean 'timeout'?)"},
    {"unknown_key_no_suggestion", "agent:\n  colour: blue\n",
     "lifeline.yaml:2: agent.colour: unknown key 'colour' (valid keys: name, region, "
     "max_request_bytes, max_targets, allow_private)"},
    {"unknown_probe_key", R"(platforms:
  instagram:
    probes:
      - id: web
        url: https://www.instagram.com/
        expekt: { status: [200] }
)",
     "lifeline.yaml:6: platforms.instagram.probes[web].expekt: unknown key 'expekt' (did you "
     "mean 'expect'?)"},
    {"unknown_expect_key", R"(platforms:
  instagram:
    probes:
      - id: web
        url: https://www.instagram.com/
        expect:
          status: [200]
          body_contain: ["x"]
)",
     "lifeline.yaml:8: platforms.instagram.probes[web].expect.body_contain: unknown key "
     "'body_contain' (did you mean 'body_contains'?)"},
    {"unknown_platform_key", "platforms:\n  x:\n    nmae: X\n",
     "lifeline.yaml:3: platforms.x.nmae: unknown key 'nmae' (did you mean 'name'?)"},
    {"duplicate_key", "timeout: 5s\nconcurrency: 3\ntimeout: 6s\n",
     "lifeline.yaml:3: timeout: duplicate key 'timeout' (first at line 1)"},
    {"wrong_type_int", "concurrency: lots\n",
     "lifeline.yaml:1: concurrency: 'lots' is not a whole number (from 1 to 100000)"},
    {"out_of_range_int", "concurrency: 0\n",
     "lifeline.yaml:1: concurrency: 0 is out of range (from 1 to 100000)"},
    {"wrong_type_list", "resolvers: { a: 1 }\n",
     "lifeline.yaml:1: resolvers: expected a list of resolver addresses, got a map"},
    {"wrong_type_duration", "timeout:\n  - 5s\n",
     "lifeline.yaml:1: timeout: expected a duration such as 250ms, 5s or 1m, got a list"},
    {"wrong_type_bool", "platforms:\n  tumblr: { enabled: maybe }\n",
     "lifeline.yaml:2: platforms.tumblr.enabled: expected true or false"},
    {"wrong_type_platform", "platforms:\n  tumblr: false\n",
     "lifeline.yaml:2: platforms.tumblr: expected the platform's settings"},
    {"wrong_type_probes", "platforms:\n  tumblr:\n    probes: { id: web }\n",
     "lifeline.yaml:3: platforms.tumblr.probes: expected a list of probes"},
    {"bad_duration", "timeout: 5s\nslow_threshold: 2 secs\n",
     "lifeline.yaml:2: slow_threshold: '2 secs' has an unknown unit 'secs' (use ms, s, m or h"},
    {"zero_duration", "timeout: 0s\n", "lifeline.yaml:1: timeout: '0s' must be greater than zero"},
    {"bad_size", "agent:\n  max_request_bytes: 1 TB\n",
     "lifeline.yaml:2: agent.max_request_bytes: '1 TB' has an unknown unit 'TB'"},
    {"allow_private_not_a_range", "agent:\n  allow_private: [10.0.0.0/8, intranet]\n",
     "lifeline.yaml:2: agent.allow_private[1]: 'intranet' is not an IP address range (a range "
     "such as 10.0.0.0/8 or fd00::/8, or one address)"},
    {"allow_private_bad_prefix", "agent:\n  allow_private:\n    - 10.0.0.0/8\n    - fd00::/200\n",
     "lifeline.yaml:4: agent.allow_private[1]: 'fd00::/200' has a bad prefix length (after the "
     "'/': a number from 0 to 128 for IPv6"},
    {"allow_private_host_bits", "agent:\n  allow_private: 10.1.2.3/8\n",
     "lifeline.yaml:2: agent.allow_private: '10.1.2.3/8' has address bits set past the /8 prefix "
     "(did you mean 10.0.0.0/8?)"},
    {"allow_private_map", "agent:\n  allow_private: { office: 10.0.0.0/8 }\n",
     "lifeline.yaml:2: agent.allow_private: expected a list of address ranges (CIDR), got a map"},
    {"allow_private_empty_item", "agent:\n  allow_private: [\"\"]\n",
     "lifeline.yaml:2: agent.allow_private[0]:"},
    {"url_scheme", R"(control:
  - id: site
    url: ftp://example.com/
)",
     "lifeline.yaml:3: control[site].url: 'ftp://example.com/' has scheme 'ftp' (use http:// or "
     "https://)"},
    {"url_no_scheme", "control:\n  - url: www.example.com\n",
     "lifeline.yaml:2: control[0].url: 'www.example.com' is not a URL"},
    {"url_no_host", "control:\n  - id: a\n    url: https:///x\n",
     "lifeline.yaml:3: control[a].url: 'https:///x' has no host"},
    {"url_bad_port", R"(vantage_points:
  - name: eu
    url: http://203.0.113.10:80890
)",
     "lifeline.yaml:3: vantage_points[0].url: 'http://203.0.113.10:80890' has an invalid port "
     "'80890' (a number from 1 to 65535)"},
    {"status_page_url", "platforms:\n  reddit:\n    status_page: redditstatus.com\n",
     "lifeline.yaml:3: platforms.reddit.status_page: 'redditstatus.com' is not a URL"},
    {"status_page_kind", R"(platforms:
  reddit:
    status_page:
      url: https://www.redditstatus.com/api/v2/summary.json
      kind: json
)",
     "lifeline.yaml:5: platforms.reddit.status_page.kind: unknown status page kind 'json' "
     "(supported: statuspage, the Atlassian Statuspage v2 summary.json; rss, atom, or feed for "
     "either, an incident feed)"},
    {"status_page_window_for_summary", R"(platforms:
  reddit:
    status_page:
      url: https://www.redditstatus.com/api/v2/summary.json
      window: 2h
)",
     "lifeline.yaml:5: platforms.reddit.status_page.window: window applies only to feeds"},
    {"status_page_window_short", R"(platforms:
  reddit:
    status_page: {url: "https://www.redditstatus.com/history.atom", kind: atom, window: 10s}
)",
     "lifeline.yaml:3: platforms.reddit.status_page.window: must be at least 1m"},
    {"status_page_feed_key", R"(platforms:
  reddit:
    status_page: {url: "https://www.redditstatus.com/history.atom", kind: atom, look_back: 2h}
)",
     "lifeline.yaml:3: platforms.reddit.status_page.look_back: unknown key"},
    {"tcp_no_port", R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: chat
        tcp: chat.example.com
)",
     "lifeline.yaml:7: platforms.myforum.probes[chat].tcp: 'chat.example.com' needs a port "
     "(write HOST:PORT"},
    {"tcp_bad_port",
     "platforms:\n  signal:\n    probes:\n      - { id: chat, tcp: "
     "\"chat.signal.org:70000\" }\n",
     "lifeline.yaml:4: platforms.signal.probes[chat].tcp: 'chat.signal.org:70000' has an invalid "
     "port '70000'"},
    {"tcp_with_expect", R"(platforms:
  signal:
    probes:
      - id: chat
        tcp: chat.signal.org:443
        expect: { status: [200] }
)",
     "lifeline.yaml:6: platforms.signal.probes[chat].expect: 'expect' applies to url probes "
     "only; this probe has 'tcp'"},
    {"url_and_tcp", R"(platforms:
  signal:
    probes:
      - id: chat
        url: https://chat.signal.org/
        tcp: chat.signal.org:443
)",
     "lifeline.yaml:6: platforms.signal.probes[chat].tcp: give either 'url' or 'tcp', not both"},
    {"probe_without_target", "platforms:\n  signal:\n    probes:\n      - id: chat\n",
     "lifeline.yaml:4: platforms.signal.probes[chat]: a probe needs 'url'"},
    {"probe_without_id", R"(platforms:
  signal:
    probes:
      - url: https://signal.org/
)",
     "lifeline.yaml:4: platforms.signal.probes[0]: a probe needs an 'id'"},
    {"duplicate_probe_id", R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: web
        url: https://forum.example.com/
      - id: web
        url: https://forum.example.com/latest
)",
     "lifeline.yaml:8: platforms.myforum.probes[web].id: duplicate probe id 'web' (first at line "
     "6)"},
    {"bad_probe_id",
     "platforms:\n  signal:\n    probes:\n      - { id: \"my probe\", tcp: "
     "a.example:1 }\n",
     "lifeline.yaml:4: platforms.signal.probes[0].id: probe id 'my probe' may only contain"},
    {"disable_unknown_probe", R"(platforms:
  instagram:
    probes:
      - { id: wbe, enabled: false }
)",
     "lifeline.yaml:4: platforms.instagram.probes[wbe].id: no probe 'wbe' in platform "
     "'instagram' to disable; did you mean 'web'?"},
    {"platform_id_chars", R"(platforms:
  My Forum:
    name: My Forum
    domain: self-hosted
)",
     "lifeline.yaml:2: platforms.My Forum: platform id 'My Forum' may only contain lowercase "
     "letters, digits, '_' and '-' (e.g. 'my_forum')"},
    {"platform_id_case", "platforms:\n  Instagram:\n    enabled: false\n",
     "lifeline.yaml:2: platforms.Instagram: platform id 'Instagram' may only contain lowercase "
     "letters, digits, '_' and '-'; did you mean 'instagram'?"},
    {"misspelt_platform", R"(timeout: 5s
platforms:
  instgram:
    probes:
      - id: web
        url: https://www.instagram.com/
)",
     "lifeline.yaml:3: platforms.instgram: unknown platform id 'instgram' — a new platform needs "
     "'name' and 'domain'; did you mean 'instagram'?"},
    {"new_platform_no_suggestion", "platforms:\n  myforum:\n    dns: [forum.example.com]\n",
     "lifeline.yaml:2: platforms.myforum: unknown platform id 'myforum' — a new platform needs "
     "'name' and 'domain'"},
    {"new_platform_no_domain", "platforms:\n  myforum:\n    name: My Forum\n",
     "lifeline.yaml:2: platforms.myforum: new platform 'myforum' also needs 'domain'"},
    {"new_platform_nothing_to_check",
     "platforms:\n  myforum:\n    name: My Forum\n    domain: self-hosted\n",
     "lifeline.yaml:2: platforms.myforum: platform 'myforum' has nothing to check"},
    {"bad_domain", "platforms:\n  x:\n    domain: Elon Musk\n",
     "lifeline.yaml:3: platforms.x.domain: failure domain 'Elon Musk' may only contain"},
    {"bad_dns_name", "platforms:\n  x:\n    dns: [x.com, \"https://x.com/\"]\n",
     "lifeline.yaml:3: platforms.x.dns[1]: 'https://x.com/' is a URL; 'dns' takes host names"},
    {"bad_resolver_host", "resolvers: [1.1.1.1, dns.google]\n",
     "lifeline.yaml:1: resolvers[1]: 'dns.google' is a host name; a resolver must be an IP "
     "address"},
    {"bad_resolver_port", "resolvers:\n  - 1.1.1.1\n  - 9.9.9.9:99999\n",
     "lifeline.yaml:3: resolvers[1]: '9.9.9.9:99999' has an invalid port"},
    {"json_pointer_slash", R"(platforms:
  discord:
    probes:
      - id: gateway
        url: https://discord.com/api/v10/gateway
        expect: { json_pointer: url }
)",
     "lifeline.yaml:6: platforms.discord.probes[gateway].expect.json_pointer: 'url' must start "
     "with '/'"},
    {"json_pointer_escape", R"(platforms:
  discord:
    probes:
      - id: gateway
        url: https://discord.com/api/v10/gateway
        expect:
          json_pointer: /a~2b
)",
     "lifeline.yaml:7: platforms.discord.probes[gateway].expect.json_pointer: '/a~2b' has '~' "
     "not followed by 0 or 1"},
    {"json_equals_alone", R"(platforms:
  discord:
    probes:
      - id: gateway
        url: https://discord.com/api/v10/gateway
        expect:
          json_equals: "true"
)",
     "lifeline.yaml:7: platforms.discord.probes[gateway].expect.json_equals: needs "
     "'json_pointer'"},
    {"status_out_of_range", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        expect:
          status:
            - 200
            - 700
)",
     "lifeline.yaml:9: platforms.discord.probes[web].expect.status[1]: 700 is out of range (from "
     "100 to 599)"},
    {"status_not_number", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        expect: { status: [2xx] }
)",
     "lifeline.yaml:6: platforms.discord.probes[web].expect.status[0]: '2xx' is not a whole "
     "number (from 100 to 599)"},
    {"status_empty", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        expect: { status: [] }
)",
     "lifeline.yaml:6: platforms.discord.probes[web].expect.status: needs at least one status "
     "code"},
    {"bad_regex", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        expect:
          body_regex: "(unclosed"
)",
     "lifeline.yaml:7: platforms.discord.probes[web].expect.body_regex: invalid regular "
     "expression"},
    {"bad_method", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        method: FETCH
)",
     "lifeline.yaml:6: platforms.discord.probes[web].method: unknown method 'FETCH' (use one of "
     "GET, HEAD"},
    {"max_redirects_range", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        max_redirects: 50
)",
     "lifeline.yaml:6: platforms.discord.probes[web].max_redirects: 50 is out of range (from 0 "
     "to 20)"},
    {"bad_header_name", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        headers:
          "X Token": abc
)",
     "lifeline.yaml:7: platforms.discord.probes[web].headers.X Token: 'X Token' is not a valid "
     "header name"},
    {"header_secret_both", R"(platforms:
  discord:
    probes:
      - id: web
        url: https://discord.com/
        headers:
          Authorization: { env: A, file: b.txt }
)",
     "lifeline.yaml:7: platforms.discord.probes[web].headers.Authorization: give exactly one of "
     "'env'"},
    {"header_missing_env", R"(platforms:
  discord:
    probes:
      - id: api
        url: https://discord.com/api/v10/users/@me
        api: true
        headers:
          Authorization: { env: LIFELINE_TEST_SURELY_UNSET, prefix: "Bot " }
)",
     "lifeline.yaml:8: platforms.discord.probes[api].headers.Authorization: environment variable "
     "LIFELINE_TEST_SURELY_UNSET is not set"},
    {"vantage_without_name", "vantage_points:\n  - url: http://203.0.113.10:8089\n",
     "lifeline.yaml:2: vantage_points[0]: a vantage point needs a 'name'"},
    {"vantage_without_url", "vantage_points:\n  - name: eu\n    token_file: eu.token\n",
     "lifeline.yaml:2: vantage_points[0]: vantage point 'eu' needs a 'url'"},
    {"vantage_duplicate", R"(vantage_points:
  - { name: eu, url: "https://203.0.113.10:8089" }
  - { name: eu, url: "https://203.0.113.11:8089" }
)",
     "lifeline.yaml:3: vantage_points[1].name: duplicate vantage point name 'eu' (first at line "
     "2)"},
    {"vantage_plain_http", "vantage_points:\n  - name: eu\n    url: http://203.0.113.10:8089\n",
     "lifeline.yaml:3: vantage_points[0].url: vantage point 'eu' uses plain http: its token and "
     "answers could be read or forged on the way. Use https:// (lifeline agent "
     "--tls-cert/--tls-key, and ca: FILE here), or add 'insecure_http: true'"},
    {"vantage_plain_http_false", R"(vantage_points:
  - name: eu
    url: HTTP://203.0.113.10:8089
    insecure_http: false
)",
     "lifeline.yaml:3: vantage_points[0].url: vantage point 'eu' uses plain http"},
    {"vantage_insecure_not_bool", R"(vantage_points:
  - name: eu
    url: http://203.0.113.10:8089
    insecure_http: maybe
)",
     "lifeline.yaml:4: vantage_points[0].insecure_http: "},
    {"vantage_ca_missing", R"(vantage_points:
  - name: eu
    url: https://203.0.113.10:8089
    ca: /nonexistent/agent-ca.pem
)",
     "lifeline.yaml:4: vantage_points[0].ca: cannot read '/nonexistent/agent-ca.pem'"},
    {"vantage_ca_on_http", R"(vantage_points:
  - name: eu
    url: http://203.0.113.10:8089
    insecure_http: true
    ca: /dev/null
)",
     "lifeline.yaml:5: vantage_points[0].ca: vantage point 'eu': 'ca' applies to an https:// url "
     "only"},
    {"control_empty", "control: []\n", "lifeline.yaml:1: control: needs at least one endpoint"},
    {"control_tcp", "control:\n  - id: a\n    tcp: a.example:1\n",
     "lifeline.yaml:3: control[a].tcp: unknown key 'tcp'"},
    {"control_duplicate", R"(control:
  - url: https://a.example/
  - url: https://a.example/other
)",
     "lifeline.yaml:3: control[1]: duplicate control id 'a.example' (first at line 2"},
    {"ca_file_missing", "ca_file: /nonexistent/ca.pem\n",
     "lifeline.yaml:1: ca_file: cannot read '/nonexistent/ca.pem': No such file or directory"},
    {"public_url_scheme", "api:\n  public_url: lifeline.example.com\n",
     "lifeline.yaml:2: api.public_url: 'lifeline.example.com' is not an http:// or https:// URL"},
    {"public_url_no_host", "api:\n  public_url: https://\n",
     "lifeline.yaml:2: api.public_url: 'https://' is not an http:// or https:// URL"},
};

INSTANTIATE_TEST_SUITE_P(Table, LoadErrors, ::testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Load, VantagePointCaAndInsecureHttp) {
  TempDir dir;
  dir.Write("agent-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto c = LoadFile(dir.Write("lifeline.yaml", R"(vantage_points:
  - { name: eu, url: "https://203.0.113.10:8089", ca: agent-ca.pem }
  - { name: lab, url: "http://203.0.113.11:8089", insecure_http: true }
)"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->vantage_points.size(), 2u);
  EXPECT_EQ(c->vantage_points[0].ca_file, dir.File("agent-ca.pem"))
      << "relative to the config's folder";
  EXPECT_FALSE(c->vantage_points[0].insecure_http);
  EXPECT_EQ(c->vantage_points[1].ca_file, "");
  EXPECT_TRUE(c->vantage_points[1].insecure_http);
}

TEST(Load, ApiPublicUrlStartsTheLinksWithoutTrailingSlash) {
  Config c = MustLoad("api:\n  public_url: https://lifeline.example.com/\n");
  EXPECT_EQ(c.api.public_url, "https://lifeline.example.com");
  EXPECT_EQ(MustLoad("timeout: 5s\n").api.public_url, "") << "none: the listen address";
}

TEST(LoadErrors, UseTheGivenFileName) {
  EXPECT_EQ(
      LoadError("timeout: x\n", "/etc/lifeline/site.yaml").rfind("/etc/lifeline/site.yaml:1:", 0),
      0u);
}

TEST(LoadErrors, MissingFile) {
  auto c = LoadFile("/nonexistent/lifeline.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(c.error().message().find("/nonexistent/lifeline.yaml: cannot read config file"),
            std::string::npos)
      << c.error().message();
}

// --- Suggestions ------------------------------------------------------------------------------

TEST(SuggestPlatform, TyposCaseAndFormerNames) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(SuggestPlatform(*config, "instgram"), "instagram");
  EXPECT_EQ(SuggestPlatform(*config, "instagarm"), "instagram");
  EXPECT_EQ(SuggestPlatform(*config, "Facebook"), "facebook");
  EXPECT_EQ(SuggestPlatform(*config, "whatsap"), "whatsapp");
  EXPECT_EQ(SuggestPlatform(*config, "youtbue"), "youtube");
  EXPECT_EQ(SuggestPlatform(*config, "twitter"), "x");
  EXPECT_EQ(SuggestPlatform(*config, "google_business"), std::nullopt);
  EXPECT_EQ(SuggestPlatform(*config, "myforum"), std::nullopt);
  EXPECT_EQ(SuggestPlatform(*config, "zz"), std::nullopt);
}

// --- Secrets and relative paths ---------------------------------------------------------------

TEST(Secrets, FromEnvironmentWithPrefix) {
  ::setenv("LIFELINE_TEST_TOKEN", "s3cr3t-from-env", 1);
  Config c = MustLoad(R"(platforms:
  discord:
    probes:
      - id: api
        url: https://discord.com/api/v10/users/@me
        api: true
        headers:
          Authorization: { env: LIFELINE_TEST_TOKEN, prefix: "Bot " }
          Accept: application/json
)");
  ::unsetenv("LIFELINE_TEST_TOKEN");
  const core::ProbeSpec* api = FindProbe(*FindPlatform(c, "discord"), "api");
  ASSERT_NE(api, nullptr);
  ASSERT_EQ(api->headers.size(), 2u);
  EXPECT_EQ(api->headers[0],
            (std::pair<std::string, std::string>{"Authorization", "Bot s3cr3t-from-env"}));
  EXPECT_EQ(api->headers[1].second, "application/json");
}

TEST(Secrets, FromFileRelativeToTheConfigFolder) {
  TempDir dir;
  dir.Write("forum.token", "s3cr3t-from-file\n");
  dir.Write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  std::string cfg = dir.Write("lifeline.yaml", R"(ca_file: ca.pem
vantage_points:
  - { name: eu, url: "https://203.0.113.10:8089", token_file: tokens/eu.token }
platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        api: true
        headers:
          Authorization: { file: forum.token, prefix: "Bearer " }
)");
  auto c = LoadFile(cfg);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->source, cfg);
  EXPECT_EQ(c->ca_file, dir.File("ca.pem"));
  EXPECT_EQ(c->vantage_points[0].token_file, dir.File("tokens/eu.token"));
  const core::ProbeSpec& api = FindPlatform(*c, "myforum")->probes[0];
  ASSERT_EQ(api.headers.size(), 1u);
  EXPECT_EQ(api.headers[0].second, "Bearer s3cr3t-from-file") << "trailing newline dropped";
}

TEST(Secrets, NeverAppearInErrors) {
  TempDir dir;
  dir.Write("two-lines.token", "s3cr3t-line-one\ns3cr3t-line-two\n");
  ::setenv("LIFELINE_TEST_BAD_TOKEN", "s3cr3t-env\r\nInjected: yes", 1);
  const std::string name = dir.File("lifeline.yaml");
  struct Case {
    std::string yaml;
    std::string want;
  };
  const Case cases[] = {
      {R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        headers:
          Authorization: { file: two-lines.token }
)",
       name + ":9: platforms.myforum.probes[api].headers.Authorization: secret file '" +
           dir.File("two-lines.token") +
           "' contains a line break; a header value must be one line"},
      {R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        headers:
          X-Token: { env: LIFELINE_TEST_BAD_TOKEN }
)",
       name + ":9: platforms.myforum.probes[api].headers.X-Token: environment variable "
              "LIFELINE_TEST_BAD_TOKEN contains a line break"},
      {R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        headers:
          X-Token: "s3cr3t-inline\nInjected: yes"
)",
       name + ":9: platforms.myforum.probes[api].headers.X-Token: the value contains a line "
              "break"},
      {R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        headers:
          X-Token: { file: missing.token }
)",
       name + ":9: platforms.myforum.probes[api].headers.X-Token: cannot read secret file '" +
           dir.File("missing.token") + "': No such file or directory"},
  };
  for (const Case& c : cases) {
    std::string message = LoadError(c.yaml, name);
    EXPECT_NE(message.find(c.want), std::string::npos)
        << "got:  " << message << "\nwant: " << c.want;
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  }
  ::unsetenv("LIFELINE_TEST_BAD_TOKEN");
}

TEST(Secrets, EmptySecretsAreErrors) {
  TempDir dir;
  dir.Write("empty.token", "\n");
  ::setenv("LIFELINE_TEST_EMPTY", "", 1);
  const std::string name = dir.File("lifeline.yaml");
  const std::string base = R"(platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes:
      - id: api
        url: https://forum.example.com/api/me
        headers:
)";
  EXPECT_NE(LoadError(base + "          X: { file: empty.token }\n", name).find("is empty"),
            std::string::npos);
  EXPECT_NE(LoadError(base + "          X: { env: LIFELINE_TEST_EMPTY }\n", name)
                .find("environment variable LIFELINE_TEST_EMPTY is empty"),
            std::string::npos);
  ::unsetenv("LIFELINE_TEST_EMPTY");
}

}  // namespace
}  // namespace lifeline::config
