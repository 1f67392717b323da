// Exact allocation of an amount across weights.
//
// Rule (documented in docs/ledger.md): each part gets floor(total * w_i / W) computed in 128-bit
// arithmetic, then the leftover units (total - sum of floors, always < number of parts) go one
// each to the parts with the largest remainders; equal remainders go to the earliest part. The
// parts always sum exactly to `total`.
#pragma once

#include <vector>

#include "splitledger/core/money.h"

namespace splitledger {

// Splits `total` (>= 0) proportionally to `weights` (each >= 0, not all zero unless total is 0).
// Returns kInvalidArgument on negative inputs or all-zero weights with a non-zero total.
Result<std::vector<Amount>> Allocate(Amount total, const std::vector<Amount>& weights);

// floor(a * b / c) without overflow in the product; requires a, b >= 0 and c > 0. The result is
// returned only if it fits in int64.
Result<Amount> MulDivFloor(Amount a, Amount b, Amount c);

}  // namespace splitledger
