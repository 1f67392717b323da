#include "splitledger/core/allocation.h"

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <numeric>

namespace splitledger {

using boost::multiprecision::int128_t;

Result<Amount> MulDivFloor(Amount a, Amount b, Amount c) {
  if (a < 0 || b < 0 || c <= 0) return Status::Invalid("MulDivFloor needs a, b >= 0 and c > 0");
  int128_t q = int128_t(a) * int128_t(b) / int128_t(c);
  if (q > int128_t(INT64_MAX)) return Status::Overflow();
  return static_cast<Amount>(q);
}

Result<std::vector<Amount>> Allocate(Amount total, const std::vector<Amount>& weights) {
  if (total < 0) return Status::Invalid("cannot allocate a negative amount");
  int128_t weight_sum = 0;
  for (Amount w : weights) {
    if (w < 0) return Status::Invalid("allocation weights must be >= 0");
    weight_sum += w;
  }
  std::vector<Amount> parts(weights.size(), 0);
  if (total == 0) return parts;
  if (weight_sum == 0) return Status::Invalid("cannot allocate over all-zero weights");

  std::vector<int128_t> remainders(weights.size());
  int128_t allocated = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    int128_t product = int128_t(total) * int128_t(weights[i]);
    int128_t share = product / weight_sum;  // <= total, so it fits in int64
    parts[i] = static_cast<Amount>(share);
    remainders[i] = product % weight_sum;
    allocated += share;
  }
  // leftover < number of parts with a non-zero remainder.
  auto leftover = static_cast<size_t>(int128_t(total) - allocated);
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest remainder first; stable sort keeps ties in input order (earliest wins).
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return remainders[x] > remainders[y]; });
  for (size_t k = 0; k < leftover; ++k) parts[order[k]] += 1;
  return parts;
}

}  // namespace splitledger
