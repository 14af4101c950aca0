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

#include <string>
#include <string_view>
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

template <class T>
using Result = tl::expected<T, Error>;

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
