// Failure classification tables: one place that decides what a low-level error means to a user.
// Kept free of I/O so it is unit-tested exhaustively (classify_test.cc).
#include "probe/classify.h"

#include <ares.h>
#include <openssl/x509_vfy.h>

#include <cerrno>

#include "core/types.h"

namespace lifeline::probe {

namespace d = core::detail;

std::string_view AresStatusDetail(int status) {
  switch (status) {
    case ARES_SUCCESS:
      return "";
    case ARES_ENOTFOUND:
      return d::kNxdomain;
    case ARES_ESERVFAIL:
      return d::kServfail;
    case ARES_EREFUSED:
      return d::kRefused;
    case ARES_ETIMEOUT:
    case ARES_ECONNREFUSED:  // no server could be sent the query or none answered
      return d::kTimeout;
    case ARES_ENODATA:
      return d::kNoAnswer;
    default:
      return d::kError;
  }
}

std::string_view AresStatusName(int status) {
  switch (status) {
    case ARES_SUCCESS:
      return "NOERROR";
    case ARES_ENOTFOUND:
      return "NXDOMAIN";
    case ARES_ESERVFAIL:
      return "SERVFAIL";
    case ARES_EREFUSED:
      return "REFUSED";
    case ARES_ETIMEOUT:
      return "timeout";
    case ARES_ECONNREFUSED:
      return "no reachable server";
    case ARES_ENODATA:
      return "no answer";
    case ARES_EFORMERR:
      return "FORMERR";
    case ARES_ENOTIMP:
      return "NOTIMP";
    case ARES_EBADNAME:
      return "bad name";
    default:
      return "error";
  }
}

std::string_view SocketErrorDetail(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return d::kError;
  switch (ec.value()) {
    case ECONNREFUSED:
      return d::kRefused;
    case ETIMEDOUT:
      return d::kTimeout;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
    case EPERM:  // netfilter dropped the packet on this host
    case EACCES:
      return d::kUnreachable;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
      return d::kReset;
    default:
      return d::kError;
  }
}

std::string_view TlsVerifyDetail(long verify_result) {
  switch (verify_result) {
    case X509_V_OK:
      return d::kHandshake;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return d::kExpired;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return d::kHostname;
    default:
      return d::kCertificate;
  }
}

}  // namespace lifeline::probe
