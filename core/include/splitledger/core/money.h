// Money: integer minor units with an ISO 4217 currency, and overflow-checked arithmetic.
//
// Every amount in splitledger is an int64 count of the currency's minor unit (EUR 12.60 is 1260,
// JPY 1260 is 1260, KWD 1.260 is 1260). Arithmetic never wraps: each helper returns
// kOverflow instead. Products and ratios use 128-bit intermediates (see allocation.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "splitledger/core/status.h"

namespace splitledger {

using Amount = int64_t;

// One ISO 4217 currency. `exponent` is the number of minor-unit digits.
struct Currency {
  std::string_view code;  // "EUR"
  int numeric;            // 978
  int exponent;           // 2
};

// Looks up an active ISO 4217 code (exact, upper case). Unknown codes return nullptr.
const Currency* FindCurrency(std::string_view code);

// Returns the currency for `code`, or kInvalidArgument naming `field`.
Result<const Currency*> ParseCurrency(std::string_view code, std::string_view field = "currency");

// Overflow-checked arithmetic. Each returns false (and leaves *out untouched) on overflow.
// (The builtins store the wrapped result even on overflow, hence the local.)
inline bool CheckedAdd(Amount a, Amount b, Amount* out) {
  Amount r;
  if (__builtin_add_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}
inline bool CheckedSub(Amount a, Amount b, Amount* out) {
  Amount r;
  if (__builtin_sub_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}
inline bool CheckedMul(Amount a, Amount b, Amount* out) {
  Amount r;
  if (__builtin_mul_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

// Accumulates a sum and remembers whether it ever overflowed.
class CheckedSum {
 public:
  CheckedSum& operator+=(Amount v) {
    if (ok_ && !CheckedAdd(sum_, v, &sum_)) ok_ = false;
    return *this;
  }
  bool ok() const { return ok_; }
  Amount value() const { return sum_; }

 private:
  Amount sum_ = 0;
  bool ok_ = true;
};

// An amount with its currency, for the places that carry both together.
struct Money {
  Amount amount = 0;
  std::string currency;  // ISO 4217 code, validated by ParseCurrency at the edge
  bool operator==(const Money&) const = default;
};

// Renders `amount` in major units with the currency's exponent ("12.60 EUR"); for logs and docs.
std::string FormatMoney(Amount amount, const Currency& currency);

}  // namespace splitledger
