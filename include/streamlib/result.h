// Errors as values on the control plane.
//
// Every fallible control-plane call returns `Result<T>` (a `tl::expected<T, Error>`). An
// `Error` carries a code and one line of text that names what was wrong: the processor, port,
// link, file, or JSON location. Nothing on the control plane throws; a processor's exception
// is caught at its thread boundary and turned into an `Error`.
//
//   streamlib::Result<Graph> g = Graph::from_json(text);
//   if (!g) std::cerr << g.error().message() << "\n";   // "links[0].to: unknown port ..."
//
//   Result<void> Foo() {
//     STREAMLIB_RETURN_IF_ERROR(Bar());
//     STREAMLIB_ASSIGN_OR_RETURN(auto v, Baz());
//     ...
//   }
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace streamlib {

// What kind of failure an Error is. `is_input_error()` groups the codes that mean "the
// caller's input was bad" (the CLI maps them to exit code 2).
enum class ErrorCode {
  kInvalidArgument,     // a value is malformed or out of range
  kParse,               // text could not be parsed (JSON with line and column)
  kNotFound,            // no such processor, port, link, type or file
  kAlreadyExists,       // duplicate id, second link into an input
  kTypeMismatch,        // message types of two ports differ
  kCycle,               // a link would close a cycle
  kFailedPrecondition,  // illegal state transition
  kUnsupported,         // the operation is not offered by this processor
  kTimeout,             // a thread did not answer in time
  kIo,                  // the operating system refused (file, device)
  kProcessorFailed,     // a processor's setup/process/teardown failed
  kInternal,            // a bug in StreamLib
};

std::string_view to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>". Used to add the JSON location or
  // the processor name as an error travels outward.
  Error with_context(std::string_view context) const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

// True for errors caused by the caller's input (bad file, unknown name, wrong type, ...).
bool is_input_error(const Error& error);

// Thrown by Result<T>::value() on a Result that holds an error; what() is the error's message
// ("not found: no processor 'src'"), so an uncaught one still says what went wrong.
class BadResultAccess : public std::exception {
 public:
  explicit BadResultAccess(Error error);
  const char* what() const noexcept override { return what_.c_str(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  std::string what_;
};

// tl::expected<T, Error> that must not be ignored: dropping the Result of a fallible call
// (`rt.connect("src.out", "cuont.in");`) is a compile-time warning. value() on an error throws
// BadResultAccess carrying the error's message instead of tl's bare "Bad expected access".
template <class T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
  using Base = tl::expected<T, Error>;

 public:
  using Base::Base;
  using Base::operator=;
  Result() = default;
  Result(const Base& other) : Base(other) {}                 // NOLINT(google-explicit-constructor)
  Result(Base&& other) noexcept : Base(std::move(other)) {}  // NOLINT(google-explicit-constructor)

  // value() of a Result<void> only checks (tl::expected<void, E> has none of its own). Every
  // overload is ref-qualified: clang does not overload with and without a ref-qualifier.
  void value() const& requires std::is_void_v<T> { check(); }
  void value() const&& requires std::is_void_v<T> { check(); }
  decltype(auto) value() & requires(!std::is_void_v<T>) {
    check();
    return Base::value();
  }
  decltype(auto) value() const& requires(!std::is_void_v<T>) {
    check();
    return Base::value();
  }
  decltype(auto) value() && requires(!std::is_void_v<T>) {
    check();
    return std::move(*this).Base::value();
  }
  decltype(auto) value() const&& requires(!std::is_void_v<T>) {
    check();
    return std::move(*this).Base::value();
  }

 private:
  void check() const {
    if (!this->has_value()) throw BadResultAccess(this->error());
  }
};

// Builds an unexpected Error with a fmt-formatted message:
//   return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
template <class... Args>
tl::unexpected<Error> make_error(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return tl::unexpected<Error>(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

inline tl::unexpected<Error> make_error(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace streamlib

// Returns the error of `expr` (a Result) from the enclosing function if it holds one.
#define STREAMLIB_RETURN_IF_ERROR(expr)                                                  \
  do {                                                                                   \
    if (auto streamlib_status_ = (expr); !streamlib_status_) {                           \
      return ::tl::unexpected<::streamlib::Error>(std::move(streamlib_status_).error()); \
    }                                                                                    \
  } while (false)

#define STREAMLIB_INTERNAL_CONCAT_INNER(a, b) a##b
#define STREAMLIB_INTERNAL_CONCAT(a, b) STREAMLIB_INTERNAL_CONCAT_INNER(a, b)

// `STREAMLIB_ASSIGN_OR_RETURN(auto x, f())` declares x from the value of f(), or returns its
// error from the enclosing function.
#define STREAMLIB_ASSIGN_OR_RETURN(lhs, expr) \
  STREAMLIB_INTERNAL_ASSIGN_OR_RETURN(STREAMLIB_INTERNAL_CONCAT(streamlib_result_, __LINE__), lhs, expr)
#define STREAMLIB_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr)                      \
  auto tmp = (expr);                                                             \
  if (!tmp) return ::tl::unexpected<::streamlib::Error>(std::move(tmp).error()); \
  lhs = std::move(*tmp)
