// Tests for `device_probes` (device_probes.h): the bundled catalog's, a user's override, and the
// FILE:LINE: KEY: message of each mistake.
#include "config/device_probes.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/values.h"

namespace lifeline::config {
namespace {

std::string LoadError(std::string_view yaml) {
  auto c = LoadString(yaml, "lifeline.yaml");
  if (c.ok()) return "<loaded>";
  EXPECT_EQ(c.error().code(), core::ErrorCode::kInvalidArgument) << c.error().message();
  return c.error().message();
}

TEST(DeviceProbes, EveryBundledPlatformAndMostControlSitesHaveSome) {
  auto config = LoadBundled();
  ASSERT_TRUE(config.ok()) << config.error().message();
  for (const core::Platform& p : config->platforms) {
    SCOPED_TRACE(p.id);
    ASSERT_GE(p.device_probes.size(), 1u);
    EXPECT_LE(p.device_probes.size(), kMaxDeviceProbes);
    for (const std::string& url : p.device_probes) {
      auto parts = ParseUrl(url);
      ASSERT_TRUE(parts.ok()) << url;
      EXPECT_EQ(parts->scheme, "https") << url;
    }
  }
  // A device is offline only when it reaches none of several independent sites.
  EXPECT_GE(config->device_controls.size(), 3u);
  for (const DeviceControl& c : config->device_controls) {
    SCOPED_TRACE(c.id);
    bool known = false;
    for (const core::ProbeSpec& s : config->control) known |= s.id == c.id;
    EXPECT_TRUE(known) << "device probes of an unknown control endpoint";
    ASSERT_FALSE(c.urls.empty());
    for (const std::string& url : c.urls) EXPECT_TRUE(url.starts_with("https://")) << url;
  }
}

TEST(DeviceProbes, AUserFileReplacesAPlatformsAndAddsANewOnes) {
  auto c = LoadString(R"(platforms:
  whatsapp:
    device_probes: https://static.whatsapp.net/rsrc.php/favicon.ico
  forum:
    name: Our forum
    domain: self-hosted
    probes: [{ id: web, url: "https://forum.example.com/" }]
    device_probes: [https://forum.example.com/favicon.ico, https://cdn.example.com/f.png]
  telegram:
    device_probes: []
)",
                      "lifeline.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  const core::Platform* wa = FindPlatform(*c, "whatsapp");
  ASSERT_NE(wa, nullptr);
  EXPECT_EQ(wa->device_probes,
            std::vector<std::string>{"https://static.whatsapp.net/rsrc.php/favicon.ico"});
  const core::Platform* forum = FindPlatform(*c, "forum");
  ASSERT_NE(forum, nullptr);
  EXPECT_EQ(forum->device_probes.size(), 2u);
  EXPECT_TRUE(FindPlatform(*c, "telegram")->device_probes.empty()) << "[] removes them";
}

TEST(DeviceProbes, AUserControlListBringsItsOwnDeviceProbes) {
  auto c = LoadString(R"(control:
  - id: site
    url: http://198.51.100.80/ok
    expect: { status: [200] }
    device_probes: [https://check.example.net/ok.txt]
  - id: other
    url: https://203.0.113.9/
)",
                      "lifeline.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->device_controls.size(), 1u) << "only endpoints with device probes are listed";
  EXPECT_EQ(c->device_controls[0].id, "site");
  EXPECT_EQ(c->device_controls[0].urls,
            std::vector<std::string>{"https://check.example.net/ok.txt"});
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* error;  // the start of the message
};

class DeviceProbesErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(DeviceProbesErrors, NameFileLineAndKey) {
  const BadCase& c = GetParam();
  std::string message = LoadError(c.yaml);
  EXPECT_TRUE(message.starts_with(c.error)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, DeviceProbesErrors,
    ::testing::Values(
        BadCase{"http", "platforms:\n  whatsapp:\n    device_probes: [http://www.whatsapp.com/]\n",
                "lifeline.yaml:3: platforms.whatsapp.device_probes[0]: 'http://www.whatsapp.com/' "
                "must be an https:// URL"},
        BadCase{"not_a_url", "platforms:\n  whatsapp:\n    device_probes:\n      - favicon.ico\n",
                "lifeline.yaml:4: platforms.whatsapp.device_probes[0]: 'favicon.ico' is not a URL"},
        BadCase{"too_many", R"(platforms:
  x:
    device_probes:
      - https://a.example/1
      - https://a.example/2
      - https://a.example/3
      - https://a.example/4
)",
                "lifeline.yaml:3: platforms.x.device_probes: lists 4 URLs; at most 3"},
        BadCase{"twice",
                "platforms:\n  x:\n    device_probes: [https://a.example/f, https://a.example/f]\n",
                "lifeline.yaml:3: platforms.x.device_probes[1]: 'https://a.example/f' is listed "
                "twice"},
        BadCase{"fragment", "platforms:\n  x:\n    device_probes: ['https://a.example/f#x']\n",
                "lifeline.yaml:3: platforms.x.device_probes[0]: 'https://a.example/f#x' has a "
                "fragment"},
        BadCase{"credentials", "platforms:\n  x:\n    device_probes: ['https://u:p@a.example/f']\n",
                "lifeline.yaml:3: platforms.x.device_probes[0]: 'https://u:p@a.example/f' carries "
                "credentials"},
        BadCase{"map", "platforms:\n  x:\n    device_probes: { url: https://a.example/f }\n",
                "lifeline.yaml:3: platforms.x.device_probes: expected a list of https URLs"},
        BadCase{"control_http", R"(control:
  - id: site
    url: https://198.51.100.80/
    device_probes: [http://check.example.net/]
)",
                "lifeline.yaml:4: control[site].device_probes[0]: 'http://check.example.net/' must "
                "be an https:// URL"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lifeline::config
