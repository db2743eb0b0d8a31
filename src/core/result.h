// Error and Result<T>: the one error type of the codebase and the value-or-error every fallible
// call returns. A failed probe or delivery is data, not an Error: Error means our machinery failed.
#pragma once

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/core.h>

// Returns the error of a failed Status or Result<T> from the enclosing function.
#define LL_TRY(expr)                            \
  do {                                          \
    if (auto ll_try_ = (expr); !ll_try_.ok()) { \
      return ll_try_.error();                   \
    }                                           \
  } while (0)

#define LL_CONCAT_INNER(a, b) a##b
#define LL_CONCAT(a, b) LL_CONCAT_INNER(a, b)
// `lhs = value of expr`, or returns its error from the enclosing function. `lhs` may declare a
// variable ("LL_ASSIGN(std::string s, ReadIt());"), so this is not wrapped in do/while.
#define LL_ASSIGN(lhs, expr)                        \
  auto LL_CONCAT(ll_assign_, __LINE__) = (expr);    \
  if (!LL_CONCAT(ll_assign_, __LINE__).ok()) {      \
    return LL_CONCAT(ll_assign_, __LINE__).error(); \
  }                                                 \
  lhs = std::move(LL_CONCAT(ll_assign_, __LINE__)).value()

namespace lifeline::core {

// One small set of codes for the whole codebase; use the most specific that applies.
enum class ErrorCode {
  kInvalidArgument,     // the caller's input is wrong (config, request, flag)
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a thing to create exists
  kPermissionDenied,    // authenticated but not allowed, or a file we may not read
  kUnauthenticated,     // no or bad credentials
  kResourceExhausted,   // a size or rate cap was hit
  kFailedPrecondition,  // the system is not in a state to do this
  kUnavailable,         // a dependency (file, server) cannot be reached right now
  kDeadlineExceeded,    // a time limit ran out
  kDataLoss,            // stored data is corrupt
  kInternal,            // a bug or an unexpected library failure
};

const char* ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>"
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename... Args>
Error MakeError(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// Holds a T or an Error. Accessing the wrong alternative is a broken invariant and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Check(), std::get<0>(v_); }
  const T& value() const& { return Check(), std::get<0>(v_); }
  T&& value() && { return Check(), std::move(std::get<0>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) std::abort();
    return std::get<1>(v_);
  }

 private:
  void Check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) std::abort();
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;
inline Status Ok() { return Status(); }

}  // namespace lifeline::core
