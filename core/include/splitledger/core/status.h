// Status and Result<T>: the closed set of error outcomes, returned as values.
//
// No exception crosses a module boundary. Functions that can fail return Status (or Result<T>)
// and callers must look at it. A Status carries a code from the closed ErrorCode set, a human
// message, and optionally a neutral reference to the request field the error is about (a domain
// name such as "fees_amount", plus the line index for per-line fields). Core and service never
// spell a wire field: each dialect renders the reference its own way (v2.01 `errors`, V3.0
// `Errors` with "LineItems[1].Seller.FeesAmount", orchestration `detail`).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace splitledger {

// The request field an error is about: a neutral domain name and, for a field of one line item,
// that line's index in the request (or in the intent, for lines named by id).
struct FieldRef {
  std::string name;
  int line = -1;  // -1: not a per-line field
  FieldRef() = default;
  FieldRef(const char* n) : name(n) {}                          // NOLINT: implicit by design
  FieldRef(std::string n, int l = -1) : name(std::move(n)), line(l) {}  // NOLINT
};

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,    // malformed or out-of-range input (400 param_error)
  kRuleViolation,      // a business rule refused the operation (400 param_error)
  kNotFound,           // unknown id (404 ressource_not_found)
  kAlreadyExists,      // duplicate id or reused idempotency key (409)
  kUnauthenticated,    // bad credentials or token (401)
  kPermissionDenied,   // authenticated but not allowed (403)
  kOverflow,           // an amount left the int64 range (400)
  kUnbalanced,         // a journal transaction does not balance (internal invariant)
  kUnavailable,        // retryable: commit failed, shutting down, queue closed (503)
  kInternal,           // a bug or an unexpected storage error (500, never for bad input)
  kCorruption,         // stored data failed its checksum or hash chain (never cut silently)
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message, FieldRef field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string message, FieldRef field = {}) {
    return Status(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Status Rule(std::string message, FieldRef field = {}) {
    return Status(ErrorCode::kRuleViolation, std::move(message), std::move(field));
  }
  static Status NotFound(std::string message, FieldRef field = {}) {
    return Status(ErrorCode::kNotFound, std::move(message), std::move(field));
  }
  static Status Overflow(FieldRef field = {}) {
    return Status(ErrorCode::kOverflow, "amount out of range", std::move(field));
  }
  static Status Unavailable(std::string message) {
    return Status(ErrorCode::kUnavailable, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(ErrorCode::kInternal, std::move(message));
  }
  static Status Corruption(std::string message) {
    return Status(ErrorCode::kCorruption, std::move(message));
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The neutral name of the request field the error refers to ("amount"), or empty, and the
  // index of the line item it belongs to (-1 when it is not a per-line field).
  const std::string& field() const { return field_.name; }
  int line() const { return field_.line; }
  const FieldRef& field_ref() const { return field_; }
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  FieldRef field_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define SL_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::splitledger::Status _st = (expr);   \
    if (!_st.ok()) return _st;            \
  } while (0)

}  // namespace splitledger
