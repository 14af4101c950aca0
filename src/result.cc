#include "streamlib/result.h"

namespace streamlib {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kParse:
      return "parse error";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kTypeMismatch:
      return "type mismatch";
    case ErrorCode::kCycle:
      return "cycle";
    case ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kProcessorFailed:
      return "processor failed";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Error Error::with_context(std::string_view context) const {
  if (context.empty()) return *this;
  return Error(code_, fmt::format("{}: {}", context, message_));
}

BadResultAccess::BadResultAccess(Error error)
    : error_(std::move(error)), what_(fmt::format("{}: {}", to_string(error_.code()), error_.message())) {}

bool is_input_error(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kTypeMismatch:
    case ErrorCode::kCycle:
      return true;
    default:
      return false;
  }
}

}  // namespace streamlib
