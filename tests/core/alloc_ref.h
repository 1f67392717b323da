// An independent largest-remainder allocation, written from the rule in allocation.h with native
// __int128 (core uses Boost.Multiprecision): floor shares, then one unit each to the largest
// remainders, ties to the earliest part. Returns false where Allocate must refuse.
#pragma once

#include <cstdint>
#include <vector>

namespace splitledger::testing_util {

inline bool RefAllocate(int64_t total, const std::vector<int64_t>& weights,
                        std::vector<int64_t>* out) {
  using i128 = __int128;
  if (total < 0) return false;
  i128 w_sum = 0;
  for (int64_t w : weights) {
    if (w < 0) return false;
    w_sum += w;
  }
  out->assign(weights.size(), 0);
  if (total == 0) return true;
  if (w_sum == 0) return false;
  std::vector<i128> rem(weights.size());
  i128 given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    i128 p = static_cast<i128>(total) * weights[i];
    (*out)[i] = static_cast<int64_t>(p / w_sum);
    rem[i] = p % w_sum;
    given += p / w_sum;
  }
  std::vector<bool> got(weights.size(), false);
  for (i128 left = total - given; left > 0; --left) {
    // Selection by scanning: the first index with the strictly largest remainder.
    size_t best = weights.size();
    for (size_t i = 0; i < weights.size(); ++i) {
      if (got[i]) continue;
      if (best == weights.size() || rem[i] > rem[best]) best = i;
    }
    got[best] = true;
    (*out)[best] += 1;
  }
  return true;
}

}  // namespace splitledger::testing_util
