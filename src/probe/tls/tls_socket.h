// TLS client over an asio TCP socket, with OpenSSL reading and writing the socket itself and asio
// only waiting for readiness: no BIO pair and none of asio::ssl's 70 KiB of per-stream buffers.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>

namespace lifeline::probe::tls {

// One TLS connection on a connected, non-blocking socket that outlives it. Errors are
// boost::system::error_code: the socket's errno, asio::error::eof for a clean close,
// asio::ssl::error::stream_truncated for a close without close_notify, or an OpenSSL error in
// asio's ssl category. Once any operation failed, or the socket was closed (a deadline), no
// further operation touches the file descriptor.
class TlsSocket {
 public:
  TlsSocket(boost::asio::ip::tcp::socket& socket, SSL_CTX* ctx);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  SSL* native_handle() { return ssl_; }
  bool valid() const { return ssl_ != nullptr; }

  boost::asio::awaitable<boost::system::error_code> Handshake();
  // Reads at least one byte of application data (or fails, eof included).
  boost::asio::awaitable<boost::system::error_code> ReadSome(boost::asio::mutable_buffer buffer,
                                                             std::size_t& read);
  // Writes all of `buffer`.
  boost::asio::awaitable<boost::system::error_code> Write(boost::asio::const_buffer buffer);

  // What the BIO knows about the socket: its descriptor and the last errno of a failed call.
  struct Io {
    int fd = -1;
    int last_errno = 0;
  };

 private:
  // Maps the outcome of an SSL call; sets `wait` to wait_read/wait_write when it must be retried.
  boost::system::error_code Check(int ret, bool& retry, bool& want_write);
  boost::asio::awaitable<boost::system::error_code> Wait(bool want_write);

  boost::asio::ip::tcp::socket& socket_;
  SSL* ssl_ = nullptr;
  Io io_;
  bool failed_ = false;
};

}  // namespace lifeline::probe::tls
