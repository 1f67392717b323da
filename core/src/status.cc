#include "splitledger/core/status.h"

namespace splitledger {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kRuleViolation: return "rule_violation";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kOverflow: return "overflow";
    case ErrorCode::kUnbalanced: return "unbalanced";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kCorruption: return "corruption";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = ErrorCodeName(code_);
  s += ": ";
  s += message_;
  if (!field_.name.empty()) {
    s += " (" + field_.name;
    if (field_.line >= 0) s += " of line " + std::to_string(field_.line);
    s += ")";
  }
  return s;
}

}  // namespace splitledger
