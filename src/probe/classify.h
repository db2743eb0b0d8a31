// Maps low-level failures (c-ares statuses, socket errno values, OpenSSL verify results) to the
// stable failure details of core::detail, and names them for the one-line probe messages.
#pragma once

#include <string_view>

#include <boost/system/error_code.hpp>

namespace lifeline::probe {

// c-ares status -> dns detail: ENOTFOUND (NXDOMAIN) -> nxdomain, ESERVFAIL -> servfail,
// EREFUSED -> refused, ETIMEOUT and ECONNREFUSED (no answer at all) -> timeout, ENODATA (NOERROR,
// empty answer) -> noanswer, anything else -> error. ARES_SUCCESS -> "".
std::string_view AresStatusDetail(int ares_status);

// The DNS answer code as people know it: "NXDOMAIN", "SERVFAIL", "REFUSED", "timeout", ...
std::string_view AresStatusName(int ares_status);

// Socket error -> tcp detail: ECONNREFUSED -> refused; ETIMEDOUT -> timeout; ENETUNREACH,
// EHOSTUNREACH, ENETDOWN, EHOSTDOWN, EADDRNOTAVAIL and EPERM/EACCES (a local firewall dropping the
// packet) -> unreachable; ECONNRESET, ECONNABORTED, EPIPE -> reset; anything else -> error.
std::string_view SocketErrorDetail(const boost::system::error_code& ec);

// OpenSSL X509_V_* verify result -> tls detail: expired or not yet valid -> expired; hostname or
// IP mismatch -> hostname; X509_V_OK (the handshake failed for another reason) -> handshake; every
// other verify failure (untrusted, self-signed, bad signature, unusable chain) -> certificate.
std::string_view TlsVerifyDetail(long verify_result);

}  // namespace lifeline::probe
