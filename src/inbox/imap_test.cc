// E-mail as a source without servers: mail read by GMime (quoted-printable, base64, Latin-1,
// HTML only, machine-sent), the `type: imap` config and its mistakes, and the poller against a
// fake mailbox on a real SQLite store: the first poll starts at the end, a mail is stored once by
// its Message-ID before the cursor moves, a restart resumes, a renumbered mailbox is read again
// without duplicates. Then the catch-up: an incident's end makes the Messenger source read the
// Conversations API (a fake HTTP client) and keeps the gap with the incident.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "channels/testing_http.h"
#include "config/config.h"
#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "inbox/catch_up.h"
#include "inbox/imap.h"
#include "inbox/imap_mail.h"

namespace lifeline::inbox {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kT0 =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'773'600'000));

TEST(ParseMail, DecodesQuotedPrintableUtf8AndRfc2047) {
  auto m = ParseMail(
      "From: =?UTF-8?Q?Ana_L=C3=ADma?= <Ana@Example.COM>\r\nSubject: =?UTF-8?B?Q2Fmw6k=?=\r\n"
      "Message-ID: <abc@example.com>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n"
      "References: <x@y> <z@w>\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 ol=C3=A9, a long "
      "=\r\nline\r\n");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->from_address, "ana@example.com");
  EXPECT_EQ(m->from_name, "Ana Líma");
  EXPECT_EQ(m->subject, "Café");
  EXPECT_EQ(m->message_id, "abc@example.com");
  EXPECT_EQ(m->header_id, "<abc@example.com>");
  EXPECT_EQ(m->references, "<x@y> <z@w>");
  EXPECT_EQ(m->text, "Café olé, a long line");
  ASSERT_TRUE(m->date);
  EXPECT_EQ(store::ToMillis(*m->date), 1'795'770'000'000);  // 09:00 UTC
  EXPECT_FALSE(m->automatic);
}

TEST(ParseMail, Base64Latin1InMultipartAndHtmlOnly) {
  auto m = ParseMail(
      "From: bob@example.com\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\n"
      "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "R3L832UgYXVzIEv2bG4=\r\n--a\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--a--\r\n--o\r\n"
      "Content-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment\r\n\r\n"
      "not the words\r\n--o--\r\n");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->text, "Grüße aus Köln");
  EXPECT_EQ(m->kind, "text");
  auto html = ParseMail(
      "From: c@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<p>Hello&nbsp;there</p><p>Second &amp; last</p>");
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(html->text, "Hello there\nSecond & last");
  EXPECT_EQ(html->kind, "html");
  // 8-bit text without a charset: Latin-1.
  auto raw = ParseMail(std::string("From: d@example.com\r\n\r\nna\xefve\r\n"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->text, "naïve");
}

TEST(ParseMail, MachineSentAndBrokenMail) {
  auto ooo = ParseMail("From: e@example.com\r\nAuto-Submitted: auto-replied\r\n\r\nAway\r\n");
  ASSERT_TRUE(ooo.ok());
  EXPECT_TRUE(ooo->automatic);
  auto no_from = ParseMail("Subject: x\r\n\r\nbody\r\n");
  ASSERT_FALSE(no_from.ok());
  EXPECT_THAT(no_from.error().message(), HasSubstr("no From address"));
  EXPECT_EQ(ReplySubject("Order 12"), "Re: Order 12");
  EXPECT_EQ(ReplySubject("RE: Order 12"), "RE: Order 12");
  EXPECT_EQ(ReplySubject(""), "Re: your message");
}

core::Result<InboxConfig> Load(const std::string& yaml) {
  auto c = config::LoadString(yaml, "lifeline.yaml");
  if (!c.ok()) return c.error();
  return LoadInboxConfig(*c, {.channels = {"brand-mail"}});
}

// What the IMAP client reads in STATUS and UID SEARCH answers. The overflowing run of digits was
// found by fuzz/webhooks_fuzz.cc: signed overflow (undefined behaviour, a garbage UID).
TEST(ImapAnswers, StatusAndSearchNumbersAre32Bit) {
  ImapStatus st = ReadImapStatus("* STATUS \"INBOX\" (UIDVALIDITY 1700000000 UIDNEXT 42)\r\n");
  EXPECT_EQ(st.uidvalidity, 1700000000);
  EXPECT_EQ(st.uidnext, 42);
  EXPECT_EQ(ReadImapStatus("* STATUS INBOX (UIDNEXT 42)").uidvalidity, -1);
  EXPECT_EQ(ReadImapStatus("* STATUS INBOX (UIDVALIDITY 99999999999999999999 UIDNEXT 4294967295)")
                .uidvalidity,
            -1);
  EXPECT_EQ(ReadImapStatus("* STATUS INBOX (UIDVALIDITY 1 UIDNEXT 4294967295)").uidnext,
            4294967295);
  EXPECT_EQ(ReadSearchUids("* SEARCH 12 3 7 3\r\n* SEARCH 40\r\n"),
            (std::vector<std::int64_t>{3, 7, 12, 40}));
  EXPECT_EQ(ReadSearchUids("* SEARCH 3 99999999999999999999 4294967296 5\r\n"),
            (std::vector<std::int64_t>{3, 5}));
  EXPECT_TRUE(ReadSearchUids("* OK nothing\r\n").empty());
}

TEST(ImapConfig, GoodAndEachMistakeNamed) {
  setenv("LL_IMAP_UNIT_PW", "unit-pa55word", 1);
  const std::string head =
      "inbox:\n  sources:\n    mail:\n      type: imap\n      channel: brand-mail\n"
      "      username: support@example.com\n      password: { env: LL_IMAP_UNIT_PW }\n";
  auto good = Load(head + "      url: imaps://imap.example.com:993/INBOX\n      interval: 5s\n");
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ(good->sources[0].kind, SourceKind::kImap);
  EXPECT_EQ(good->sources[0].interval, 5s);
  EXPECT_EQ(good->sources[0].password, "unit-pa55word");
  auto idle = Load(head + "      url: imaps://imap.example.com/INBOX\n      mode: idle\n");
  ASSERT_FALSE(idle.ok());
  EXPECT_THAT(idle.error().message(), HasSubstr("lifeline.yaml:"));
  EXPECT_THAT(idle.error().message(), HasSubstr("libcurl has no IDLE"));
  auto clear = Load(head + "      url: imap://imap.example.com/INBOX\n");
  ASSERT_FALSE(clear.ok());
  EXPECT_THAT(clear.error().message(), HasSubstr("would send the password in clear"));
  EXPECT_TRUE(Load(head + "      url: imap://127.0.0.1:1143/INBOX\n").ok());
  auto login = Load(head + "      url: imaps://u:p@imap.example.com/INBOX\n");
  ASSERT_FALSE(login.ok());
  EXPECT_THAT(login.error().message(), HasSubstr("not in the URL"));
  auto missing = Load(
      "inbox:\n  sources:\n    mail: { type: imap, channel: brand-mail, url: "
      "\"imaps://h/INBOX\", username: u }\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("missing 'password'"));
  EXPECT_THAT(missing.error().message(), Not(HasSubstr("unit-pa55word")));
}

// A mailbox in memory: UIDs, raw mail, \Seen flags.
class FakeMailbox final : public ImapClient {
 public:
  core::Result<ImapStatus> Status() override {
    if (!error.empty()) return core::MakeError(core::ErrorCode::kUnauthenticated, "{}", error);
    return ImapStatus{validity, next};
  }
  core::Result<std::vector<std::int64_t>> Search(std::string_view criteria) override {
    std::vector<std::int64_t> out;
    const bool unseen = criteria.starts_with("UNSEEN");
    std::int64_t from = 0;
    if (auto p = criteria.find("UID "); p != std::string_view::npos) {
      from = std::stoll(std::string(criteria.substr(p + 4)));
    }
    for (const auto& [uid, raw] : mail) {
      if (uid >= from && (!unseen || !seen.contains(uid))) out.push_back(uid);
    }
    if (out.empty() && !mail.empty() && from > 0 && !unseen) out.push_back(mail.rbegin()->first);
    return out;
  }
  core::Result<std::string> Fetch(std::int64_t v, std::int64_t uid) override {
    ++fetches;
    if (v != validity || !mail.contains(uid)) {
      return core::MakeError(core::ErrorCode::kNotFound, "gone");
    }
    seen.insert(uid);
    return mail[uid];
  }
  core::Status MarkUnseen(std::int64_t uid) override {
    seen.erase(uid);
    return core::Ok();
  }
  void Deliver(const std::string& raw) { mail[next++] = raw; }

  std::int64_t validity = 7;
  std::int64_t next = 1;
  std::map<std::int64_t, std::string> mail;
  std::set<std::int64_t> seen;
  std::string error;
  int fetches = 0;
};

std::string Mail(const std::string& from, const std::string& id, const std::string& text) {
  return "From: " + from + "\r\nMessage-ID: <" + id +
         ">\r\nSubject: Help\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n" + text + "\r\n";
}

class FakeOutlet final : public Outlet {
 public:
  core::Result<SentRef> Send(const OutMessage& m) override {
    sent.push_back(m);
    return SentRef{"out_" + std::to_string(sent.size()), m.idempotency_key};
  }
  std::string Platform(std::string_view channel) const override {
    return channel == "brand-messenger" ? "messenger" : "google";
  }
  bool Accepting(std::string_view) const override { return true; }
  std::vector<OutMessage> sent;
};

class ImapPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.File("db.sqlite"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    InboxConfig c;
    c.configured = true;
    Source mail;
    mail.name = "mail";
    mail.kind = SourceKind::kImap;
    mail.channel = "brand-mail";
    c.sources.push_back(mail);
    Source fb;
    fb.name = "fb-page";
    fb.kind = SourceKind::kMessenger;
    fb.channel = "brand-messenger";
    fb.account = "1234567890";
    fb.page_token = "page-token";
    fb.api_base = "https://graph.test";
    c.sources.push_back(fb);
    inbox_ =
        std::make_unique<Inbox>(std::move(c), *store_, outlet_, InboxOptions{.clock = &clock_});
  }
  const Source& Mailbox() { return inbox_->config().sources[0]; }
  std::size_t Messages() {
    auto m = store_->Inbox().Messages({.direction = store::Direction::kIn});
    return m.ok() ? m->size() : 0;
  }

  testing::TempDir dir_{"lifeline-imap-test"};
  core::FakeClock clock_{kT0};
  FakeOutlet outlet_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Inbox> inbox_;
};

TEST_F(ImapPollerTest, StoresEachMailOnceAfterTheCursorAndResumes) {
  FakeMailbox box;
  box.Deliver(Mail("old@example.com", "old@x", "from before Lifeline"));
  ImapPoller poller(*inbox_, nullptr, nullptr, &clock_);
  ASSERT_TRUE(poller.PollOnce(Mailbox(), box).ok());
  EXPECT_EQ(Messages(), 0u) << "the first poll starts at the mailbox's end";
  box.Deliver(Mail("Ana <ana@example.com>", "a1@x", "where is my order?"));
  box.Deliver(Mail("ana@example.com", "a1@x", "the same mail, delivered twice"));
  ASSERT_TRUE(poller.PollOnce(Mailbox(), box).ok());
  EXPECT_EQ(Messages(), 1u);
  EXPECT_TRUE(box.seen.empty()) << "unread mail stays unread";
  auto cursor = store_->Inbox().GetImapCursor("mail");
  ASSERT_TRUE(cursor.ok() && *cursor);
  EXPECT_EQ((*cursor)->last_uid, 3);
  // A restart (a new poller) resumes after the cursor: nothing is fetched again.
  const int fetched = box.fetches;
  ImapPoller again(*inbox_, nullptr, nullptr, &clock_);
  ASSERT_TRUE(again.PollOnce(Mailbox(), box).ok());
  EXPECT_EQ(box.fetches, fetched);
  // The reply answers the subject.
  auto convs = store_->Inbox().List({});
  ASSERT_TRUE(convs.ok() && convs->size() == 1u);
  ASSERT_TRUE(inbox_->Reply((*convs)[0].id, "It ships today", "ana").ok());
  ASSERT_EQ(outlet_.sent.size(), 1u);
  EXPECT_EQ(outlet_.sent[0].subject, "Re: Help");
  EXPECT_EQ(outlet_.sent[0].to, "ana@example.com");
  // The server renumbers the mailbox: read again, stored once.
  box.validity = 8;
  box.Deliver(Mail("bob@example.com", "b1@x", "new"));
  ASSERT_TRUE(poller.PollOnce(Mailbox(), box).ok());
  EXPECT_EQ(Messages(), 3u) << "old@x (within the day looked back), a1@x once, b1@x";
  cursor = store_->Inbox().GetImapCursor("mail");
  EXPECT_EQ((*cursor)->uidvalidity, 8);
  // A refused login is an error with the server's words.
  box.error = "refused the login for 'support'";
  auto failed = poller.PollOnce(Mailbox(), box);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), core::ErrorCode::kUnauthenticated);
}

class FakeFeed final : public core::IncidentFeed {
 public:
  std::unique_ptr<Subscription> SubscribeIncidents(
      std::function<void(const core::IncidentNotice&)> sink) override {
    return subs_.Add(std::move(sink));
  }
  void Publish(const core::IncidentNotice& n) { subs_.Publish(n); }

 private:
  core::Listeners<core::IncidentNotice> subs_;
};

TEST_F(ImapPollerTest, AnIncidentsEndMakesMessengerCatchUpAndKeepsTheGapWithIt) {
  const auto opened = kT0 - 2h;
  auto inc = store_->OpenIncident({.platforms = {"messenger"},
                                   .verdict = core::Verdict::kOutage,
                                   .title = "Messenger outage",
                                   .opened_at = store::FromSystem(opened)});
  ASSERT_TRUE(inc.ok()) << inc.error().ToString();
  // One message came by webhook; the API lists it and one that never came.
  ParsedBatch came;
  came.messages.push_back({.account = "1234567890",
                           .platform_id = "m_1",
                           .address = "7001",
                           .sent_at = store::FromSystem(kT0 - 90min),
                           .text = "came"});
  ASSERT_TRUE(inbox_->IngestPolled("fb-page", came).ok());
  channels::testing::FakeHttp http;
  http.Answer(200, json{{"data",
                         {{{"id", "t_1"},
                           {"updated_time", "2026-11-27T08:40:00+0000"},
                           {"messages",
                            {{"data",
                              {{{"id", "m_2"},
                                {"message", "lost"},
                                {"from", {{"id", "7001"}}},
                                {"created_time", "2026-11-27T08:40:00+0000"}},
                               {{"id", "m_1"},
                                {"message", "came"},
                                {"from", {{"id", "7001"}}},
                                {"created_time", "2026-11-27T08:30:00+0000"}}}}}}}}}}
                       .dump());
  CatchUp catch_up(*inbox_, http, outlet_, nullptr, nullptr, {.clock = &clock_});
  FakeFeed feed;
  auto watch = catch_up.Watch(feed);
  feed.Publish({.change = core::IncidentNotice::Change::kClosed,
                .incident_id = inc->id,
                .platforms = {"messenger"},
                .opened_at = opened,
                .at = kT0});
  ASSERT_TRUE(catch_up.WaitIdle(5s));
  auto records = store_->Inbox().CatchUps(inc->id);
  ASSERT_TRUE(records.ok());
  std::map<std::string, store::CatchUpRecord> by;
  for (const auto& r : *records) by[r.source] = r;
  ASSERT_TRUE(by.contains("fb-page")) << "only the sources riding the platform";
  EXPECT_FALSE(by.contains("mail"));
  EXPECT_TRUE(by["fb-page"].looked) << by["fb-page"].reason;
  EXPECT_EQ(by["fb-page"].found, 2);
  EXPECT_EQ(by["fb-page"].fresh, 1);
  const json j = CatchUpJson(by["fb-page"]);
  EXPECT_EQ(j["new"], 1);
  EXPECT_EQ(j["new_messages"].size(), 1u);
  EXPECT_THAT(j["line"].get<std::string>(), HasSubstr("found 2, 1 new (the gap)"));
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_THAT(http.requests()[0].url,
              HasSubstr("https://graph.test/v21.0/1234567890/conversations?platform=messenger"));
  EXPECT_EQ(channels::testing::HeaderOf(http.requests()[0], "Authorization"), "Bearer page-token");
  EXPECT_EQ(Messages(), 2u);
  catch_up.Stop();
}

TEST(ParseGraphTime, GraphAndRfc3339) {
  EXPECT_EQ(store::ToMillis(*ParseGraphTime("2026-11-27T10:00:00+0000")), 1'795'773'600'000);
  EXPECT_EQ(store::ToMillis(*ParseGraphTime("2026-11-27T11:00:00+01:00")), 1'795'773'600'000);
  EXPECT_EQ(store::ToMillis(*ParseGraphTime("2026-11-27T10:00:00.250Z")), 1'795'773'600'000);
  EXPECT_FALSE(ParseGraphTime("yesterday"));
}

// Found by fuzz/webhooks_fuzz.cc (its crash input, verbatim): std::stoi threw on an offset that is
// not digits, out of the catch-up's worker thread.
TEST(ParseGraphTime, OffsetThatIsNotDigitsIsUnreadable) {
  EXPECT_FALSE(ParseGraphTime("2026-11-27T10:00:00+\xd0\xcf\xcf\xd6"));
  EXPECT_FALSE(ParseGraphTime("2026-11-27T10:00:00+ab:cd"));
  EXPECT_FALSE(ParseGraphTime("2026-11-27T10:00:00-1x:00"));
}

}  // namespace
}  // namespace lifeline::inbox
