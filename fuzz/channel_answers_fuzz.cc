// Fuzzes the relay's reading of what each channel's far side answers (src/channels/): every HTTP
// adapter, built from its Apprise-style URL as the config does, sends one message and reads the
// fuzzer's answers through its own Send. The first byte picks the adapter.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/instagram/instagram.h"
#include "channels/registry.h"
#include "core/fake_clock.h"
#include "fuzz/fuzz_http.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace lifeline;
using namespace lifeline::channels;

// One URL per HTTP adapter (e-mail speaks SMTP through libcurl, not HttpClient). The secrets all
// contain "SECRET", which no result may repeat.
constexpr std::string_view kUrls[] = {
    "tgram://123456789:SECRETaaHdqTcvCH1vGWJxfSeofSAs0K5PAL/-1001234567890",
    "whatsapp://SECRETEAAGtok@106540352242922/15551234567",
    "whatsapp://lifeline_alert:SECRETEAAGtok@106540352242922/15551234567?lang=es",
    "messenger://SECRETEAAtok@1122334455/6789012345?tag=HUMAN_AGENT",
    "instagram://SECRETEAAtok@17841400000000/5566778899",
    "twilio://AC0123456789abcdef0123456789abcdef:SECRETauthtok@15551234567/15557654321",
    "slack://T1JJ3T3L2/A1BRTD4JD/SECRETiajkdnlazkcOXrId/#general",
    "slack://T1/B1/SECRETC1?api_base=http://127.0.0.1:9999",
    "discord://112233445566778899/SECRETwebhooktokenwebhooktokenwebhooktoken",
    "workflows://prod.westeurope.logic.azure.com/abc123/SECRETsig",
    "jsons://hooks.example.com/in?secret=SECRETk1",
    "mastodons://SECRETtok123@mastodon.example?visibility=unlisted",
    "x://CK/SECRETCS/AT/SECRETAS?mode=tweet",
    "bluesky://brand.example.com@SECRET-pass-word-here",
    "facebook://SECRETEAAPtok@1122334455",
    "igpost://SECRETIGtok@17841400000000",
};
constexpr std::size_t kAdapters = sizeof(kUrls) / sizeof(kUrls[0]);

std::unique_ptr<Channel> Build(std::string_view url_text, HttpClient* http,
                               core::FakeClock* clock) {
  auto url = ParseAppriseUrl(url_text);
  LL_FUZZ_CHECK(url.ok());
  const Kind* kind = FindScheme(url->scheme);
  LL_FUZZ_CHECK(kind != nullptr);
  BuildContext ctx;
  ctx.doc = {"fuzz.yaml", {}};
  ctx.where.path = "channels.fuzz";
  ctx.name = "fuzz";
  ctx.http = http;
  ctx.timeout = std::chrono::milliseconds(3000);
  if (url->scheme == "igpost") {  // waits between status polls on a fake clock, not for real
    auto config = instagram::ConfigFromUrl(ctx, *url);
    LL_FUZZ_CHECK(config.ok());
    instagram::Waiting waiting{clock, [clock](std::chrono::milliseconds d) { clock->Advance(d); }};
    return std::make_unique<instagram::InstagramChannel>("fuzz", std::move(*config), http,
                                                         std::move(waiting));
  }
  auto channel = kind->from_url(ctx, *url);
  if (!channel.ok()) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(url_text.size()), url_text.data(),
                 channel.error().message().c_str());
  }
  LL_FUZZ_CHECK(channel.ok());
  return std::move(channel).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::Text(data, size);
  const unsigned selector = fuzz::TakeByte(in);
  const bool secret_in_input = in.find("SECRET") != std::string_view::npos;
  fuzz::FuzzHttp http(in);
  core::FakeClock clock(std::chrono::sys_days(std::chrono::year(2026) / 11 / 27));
  auto channel = Build(kUrls[selector % kAdapters], &http, &clock);

  OutgoingMessage m;
  m.id = "msg_1";
  m.idempotency_key = "key_1";
  m.text = "Instagram is down for everyone. We answer on Telegram meanwhile: https://t.me/acme";
  if (selector & 0x80) m.media = {"https://cdn.example.com/outage.jpg"};
  m.attempt = 1 + (selector >> 4 & 1);
  DeliveryResult r = channel->Send(m);

  if (r.retry_after) LL_FUZZ_CHECK(r.retry_after->count() >= 0);
  if (!secret_in_input) {  // results go to logs and the API: never a credential
    LL_FUZZ_CHECK(r.reason.find("SECRET") == std::string::npos);
    LL_FUZZ_CHECK(r.far_code.find("SECRET") == std::string::npos);
    LL_FUZZ_CHECK(r.remote_id.find("SECRET") == std::string::npos);
  }
  return 0;
}
