// Table tests of the failure classification: each low-level error maps to the detail a user sees.
#include "probe/classify.h"

#include <ares.h>
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/error.hpp>
#include <cerrno>

#include "core/types.h"

namespace lifeline::probe {
namespace {

namespace d = core::detail;

TEST(ProbeClassifyTest, AresStatusToDnsDetail) {
  struct Case {
    int status;
    std::string_view detail;
  } cases[] = {
      {ARES_SUCCESS, ""},
      {ARES_ENOTFOUND, d::kNxdomain},
      {ARES_ESERVFAIL, d::kServfail},
      {ARES_EREFUSED, d::kRefused},
      {ARES_ETIMEOUT, d::kTimeout},
      {ARES_ECONNREFUSED, d::kTimeout},
      {ARES_ENODATA, d::kNoAnswer},
      {ARES_EFORMERR, d::kError},
      {ARES_EBADRESP, d::kError},
      {ARES_ENOTIMP, d::kError},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(AresStatusDetail(c.status), c.detail) << "ares status " << c.status;
  }
}

TEST(ProbeClassifyTest, AresStatusNamesAreTheRcodes) {
  EXPECT_EQ(AresStatusName(ARES_ESERVFAIL), "SERVFAIL");
  EXPECT_EQ(AresStatusName(ARES_ENOTFOUND), "NXDOMAIN");
  EXPECT_EQ(AresStatusName(ARES_EREFUSED), "REFUSED");
}

TEST(ProbeClassifyTest, SocketErrorToTcpDetail) {
  using boost::system::error_code;
  using boost::system::system_category;
  struct Case {
    int err;
    std::string_view detail;
  } cases[] = {
      {ECONNREFUSED, d::kRefused},    {ETIMEDOUT, d::kTimeout},
      {ENETUNREACH, d::kUnreachable}, {EHOSTUNREACH, d::kUnreachable},
      {ENETDOWN, d::kUnreachable},    {EPERM, d::kUnreachable},
      {ECONNRESET, d::kReset},        {EPIPE, d::kReset},
      {ECONNABORTED, d::kReset},      {EMFILE, d::kError},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SocketErrorDetail(error_code(c.err, system_category())), c.detail)
        << "errno " << c.err;
  }
  // asio's named errors are the same system errors.
  EXPECT_EQ(SocketErrorDetail(boost::asio::error::connection_refused), d::kRefused);
  EXPECT_EQ(SocketErrorDetail(boost::asio::error::connection_reset), d::kReset);
  // Not a socket error at all.
  EXPECT_EQ(SocketErrorDetail(boost::asio::error::eof), d::kError);
}

TEST(ProbeClassifyTest, OpensslVerifyResultToTlsDetail) {
  struct Case {
    long verify;
    std::string_view detail;
  } cases[] = {
      {X509_V_OK, d::kHandshake},
      {X509_V_ERR_CERT_HAS_EXPIRED, d::kExpired},
      {X509_V_ERR_CERT_NOT_YET_VALID, d::kExpired},
      {X509_V_ERR_HOSTNAME_MISMATCH, d::kHostname},
      {X509_V_ERR_IP_ADDRESS_MISMATCH, d::kHostname},
      {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, d::kCertificate},
      {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, d::kCertificate},
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, d::kCertificate},
      {X509_V_ERR_CERT_SIGNATURE_FAILURE, d::kCertificate},
      {X509_V_ERR_CERT_REVOKED, d::kCertificate},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(TlsVerifyDetail(c.verify), c.detail) << "verify result " << c.verify;
  }
}

}  // namespace
}  // namespace lifeline::probe
