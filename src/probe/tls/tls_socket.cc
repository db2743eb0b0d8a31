// TlsSocket: OpenSSL on the socket's descriptor through a minimal BIO (recv/send, MSG_NOSIGNAL so a
// peer's reset never raises SIGPIPE), driven by asio readiness waits on one event loop.
#include "probe/tls/tls_socket.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace lifeline::probe::tls {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

TlsSocket::Io* IoOf(BIO* bio) { return static_cast<TlsSocket::Io*>(BIO_get_data(bio)); }

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int BioWrite(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  TlsSocket::Io* io = IoOf(bio);
  ssize_t n = ::send(io->fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<std::size_t>(n);
    return 1;
  }
  if (WouldBlock(errno)) {
    BIO_set_retry_write(bio);
  } else {
    io->last_errno = errno;
  }
  return 0;
}

int BioRead(BIO* bio, char* data, std::size_t size, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  TlsSocket::Io* io = IoOf(bio);
  ssize_t n = ::recv(io->fd, data, size, 0);
  if (n > 0) {
    *read = static_cast<std::size_t>(n);
    return 1;
  }
  *read = 0;
  if (n < 0) {
    if (WouldBlock(errno)) {
      BIO_set_retry_read(bio);
    } else {
      io->last_errno = errno;
    }
  }
  return 0;  // n == 0: the peer closed
}

long BioCtrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered in this BIO
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* SocketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lifeline socket");
    BIO_meth_set_write_ex(m, &BioWrite);
    BIO_meth_set_read_ex(m, &BioRead);
    BIO_meth_set_ctrl(m, &BioCtrl);
    BIO_meth_set_create(m, &BioCreate);
    return m;
  }();
  return method;
}

}  // namespace

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, SSL_CTX* ctx) : socket_(socket) {
  error_code ignored;
  socket_.non_blocking(true, ignored);
  io_.fd = socket_.native_handle();
  ssl_ = SSL_new(ctx);
  if (!ssl_) return;
  BIO* bio = BIO_new(SocketMethod());
  if (!bio) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  BIO_set_data(bio, &io_);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_
  SSL_set_connect_state(ssl_);
}

TlsSocket::~TlsSocket() {
  if (ssl_) SSL_free(ssl_);  // sends nothing: no SSL_shutdown
}

error_code TlsSocket::Check(int ret, bool& retry, bool& want_write) {
  retry = false;
  if (ret == 1) return {};
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      retry = true;
      want_write = false;
      return {};
    case SSL_ERROR_WANT_WRITE:
      retry = true;
      want_write = true;
      return {};
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (io_.last_errno != 0) return error_code(io_.last_errno, boost::system::system_category());
      return asio::error::eof;
    case SSL_ERROR_SSL: {
      unsigned long err = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return asio::ssl::error::stream_truncated;
      }
      if (io_.last_errno != 0) return error_code(io_.last_errno, boost::system::system_category());
      return error_code(static_cast<int>(err), asio::error::get_ssl_category());
    }
    default:
      ERR_clear_error();
      return error_code(EIO, boost::system::system_category());
  }
}

asio::awaitable<error_code> TlsSocket::Wait(bool want_write) {
  error_code ec;
  co_await socket_.async_wait(
      want_write ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read,
      asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

// The three operations share one shape: try the SSL call; on WANT_READ/WANT_WRITE wait for the
// socket and try again. Before every call: is the socket still ours (a deadline closes it, and
// its descriptor number may already belong to another socket)?
asio::awaitable<error_code> TlsSocket::Handshake() {
  for (;;) {
    if (failed_ || !ssl_ || !socket_.is_open()) co_return asio::error::operation_aborted;
    ERR_clear_error();
    io_.last_errno = 0;
    bool retry = false, want_write = false;
    error_code ec = Check(SSL_do_handshake(ssl_), retry, want_write);
    if (!ec && retry) ec = co_await Wait(want_write);
    if (ec) failed_ = true;
    if (ec || !retry) co_return ec;
  }
}

asio::awaitable<error_code> TlsSocket::ReadSome(asio::mutable_buffer buffer, std::size_t& read) {
  read = 0;
  for (;;) {
    if (failed_ || !ssl_ || !socket_.is_open()) co_return asio::error::operation_aborted;
    ERR_clear_error();
    io_.last_errno = 0;
    bool retry = false, want_write = false;
    error_code ec =
        Check(SSL_read_ex(ssl_, buffer.data(), buffer.size(), &read), retry, want_write);
    if (!ec && retry) ec = co_await Wait(want_write);
    if (ec) failed_ = true;
    if (ec || !retry) co_return ec;
  }
}

asio::awaitable<error_code> TlsSocket::Write(asio::const_buffer buffer) {
  for (;;) {
    if (failed_ || !ssl_ || !socket_.is_open()) co_return asio::error::operation_aborted;
    ERR_clear_error();
    io_.last_errno = 0;
    std::size_t written = 0;
    bool retry = false, want_write = false;
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE a successful call has written everything; a retried
    // one must repeat the same arguments, which it does.
    error_code ec =
        Check(SSL_write_ex(ssl_, buffer.data(), buffer.size(), &written), retry, want_write);
    if (!ec && retry) ec = co_await Wait(want_write);
    if (ec) failed_ = true;
    if (ec || !retry) co_return ec;
  }
}

}  // namespace lifeline::probe::tls
