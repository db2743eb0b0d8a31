// Tests of the SMTP answer classification, from canned transcripts (no server).
#include "channels/email/smtp.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

namespace lifeline::channels::email {
namespace {

using Stage = SmtpTranscript::Stage;

SmtpTranscript Reply(Stage stage, int code, std::string text, int curl_code) {
  SmtpTranscript t;
  t.stage = stage;
  t.last_code = code;
  t.last_reply = std::move(text);
  t.last_reply_stage = stage;
  t.curl_code = curl_code;
  t.final_reply = stage == Stage::kEndOfData;
  return t;
}

const std::string kId = "<lifeline.abc@example.com>";

TEST(QueueIdFromReply, FindsCommonForms) {
  EXPECT_EQ(QueueIdFromReply("2.0.0 Ok: queued as 4F2B81C0A"), "4F2B81C0A");
  EXPECT_EQ(QueueIdFromReply("OK id=1rAbCd-000Xyz-2E"), "1rAbCd-000Xyz-2E");
  EXPECT_EQ(QueueIdFromReply("2.0.0 OK  1733362629 a1si123 - gsmtp"), "");
}

TEST(ClassifySmtp, FinalTwoFiftyIsDeliveredWithTheQueueId) {
  auto r = ClassifySmtp(Reply(Stage::kEndOfData, 250, "2.0.0 Ok: queued as Q1", CURLE_OK), kId,
                        "smtp.example.com:587 (starttls)");
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, "Q1");
  EXPECT_EQ(r.http_status, 250);
  EXPECT_NE(r.reason.find(kId), std::string::npos);
}

TEST(ClassifySmtp, WithoutAQueueIdTheMessageIdIsTheRemoteId) {
  auto r = ClassifySmtp(Reply(Stage::kEndOfData, 250, "OK", CURLE_OK), kId, "s");
  EXPECT_EQ(r.outcome, Outcome::kDelivered);
  EXPECT_EQ(r.remote_id, kId);
}

TEST(ClassifySmtp, MailboxUnavailableFailsForGoodNamingTheRecipient) {
  SmtpTranscript t = Reply(Stage::kRcptTo, 550, "5.1.1 <nobody@example.com>: Mailbox unavailable",
                           CURLE_SEND_ERROR);
  t.rcpt = "nobody@example.com";
  auto r = ClassifySmtp(t, kId, "smtp.example.com:587 (starttls)");
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(r.http_status, 550);
  EXPECT_EQ(r.far_code, "5.1.1");
  EXPECT_NE(r.reason.find("RCPT TO <nobody@example.com>"), std::string::npos) << r.reason;
}

TEST(ClassifySmtp, FourHundredsAreRetriedAtAnyStage) {
  for (Stage s : {Stage::kConnect, Stage::kGreeting, Stage::kMailFrom, Stage::kRcptTo, Stage::kData,
                  Stage::kEndOfData}) {
    auto r =
        ClassifySmtp(Reply(s, 451, "4.3.0 Try again later", CURLE_WEIRD_SERVER_REPLY), kId, "s");
    EXPECT_EQ(r.outcome, Outcome::kRetry) << StageName(s);
    EXPECT_FALSE(r.rate_limited);
  }
  auto greylisted = ClassifySmtp(
      Reply(Stage::kRcptTo, 450, "4.7.1 Rate limit exceeded", CURLE_SEND_ERROR), kId, "s");
  EXPECT_EQ(greylisted.outcome, Outcome::kRetry);
  EXPECT_TRUE(greylisted.rate_limited);
}

TEST(ClassifySmtp, RejectedAfterDataFailsForGood) {
  auto r = ClassifySmtp(Reply(Stage::kEndOfData, 554, "5.6.0 Message rejected", CURLE_RECV_ERROR),
                        kId, "s");
  EXPECT_EQ(r.outcome, Outcome::kFailed);
}

TEST(ClassifySmtp, BadLoginFailsForGood) {
  auto r = ClassifySmtp(
      Reply(Stage::kAuth, 535, "5.7.8 Authentication credentials invalid", CURLE_LOGIN_DENIED), kId,
      "s");
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("login"), std::string::npos);
}

TEST(ClassifySmtp, TimeoutAfterTheEndOfDataIsUnconfirmed) {
  SmtpTranscript t;
  t.stage = Stage::kEndOfData;
  t.last_code = 354;
  t.last_reply_stage = Stage::kData;
  t.curl_code = CURLE_OPERATION_TIMEDOUT;
  t.curl_error = "Operation timed out after 2000 milliseconds";
  auto r = ClassifySmtp(t, kId, "s");
  EXPECT_EQ(r.outcome, Outcome::kUnconfirmed);
  EXPECT_NE(r.reason.find("may have been delivered"), std::string::npos);
}

TEST(ClassifySmtp, TimeoutBeforeTheEndOfDataIsRetried) {
  for (Stage s : {Stage::kConnect, Stage::kGreeting, Stage::kRcptTo, Stage::kData, Stage::kBody}) {
    SmtpTranscript t;
    t.stage = s;
    t.curl_code = CURLE_OPERATION_TIMEDOUT;
    t.curl_error = "timed out";
    EXPECT_EQ(ClassifySmtp(t, kId, "s").outcome, Outcome::kRetry) << StageName(s);
  }
  SmtpTranscript refused;
  refused.curl_code = CURLE_COULDNT_CONNECT;
  refused.curl_error = "Failed to connect to 127.0.0.1 port 1: Connection refused";
  EXPECT_EQ(ClassifySmtp(refused, kId, "s").outcome, Outcome::kRetry);
}

TEST(ClassifySmtp, NoStartTlsAndUntrustedCertificatesFailForGood) {
  SmtpTranscript t;
  t.stage = Stage::kGreeting;
  t.last_code = 250;
  t.last_reply_stage = Stage::kGreeting;
  t.curl_code = CURLE_USE_SSL_FAILED;
  auto r = ClassifySmtp(t, kId, "s");
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("STARTTLS"), std::string::npos);
  t.curl_code = CURLE_PEER_FAILED_VERIFICATION;
  EXPECT_EQ(ClassifySmtp(t, kId, "s").outcome, Outcome::kFailed);
}

}  // namespace
}  // namespace lifeline::channels::email
