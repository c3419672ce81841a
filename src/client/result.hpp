// Errors as values for the client. A failure is either an ordinary refusal
// (the server said "not found"; the session goes on) or fatal (the connection
// is gone or the peer broke the protocol; the program must exit 1). C++20 has
// no std::expected, so result<T> is the small subset the client needs.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ferry::client {

struct failure {
  bool fatal = false;  ///< connection lost or protocol broken: stop everything
  std::string text;    ///< human words, e.g. "not found", "connection closed by server"
};

/// Builds a non-fatal failure.
inline failure refused(std::string text) { return failure{false, std::move(text)}; }
/// Builds a fatal failure.
inline failure broken(std::string text) { return failure{true, std::move(text)}; }

/// Either a T or a failure.
template <class T = void>
class result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(failure f) : v_(std::move(f)) {}    // NOLINT(google-explicit-constructor)

  explicit operator bool() const noexcept { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  /// Precondition: !*this.
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

/// Success carries nothing.
template <>
class result<void> {
 public:
  result() = default;
  result(failure f) : f_(std::move(f)) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const noexcept { return !f_.has_value(); }
  /// Precondition: !*this.
  const failure& error() const { return *f_; }

 private:
  std::optional<failure> f_;
};

}  // namespace ferry::client
