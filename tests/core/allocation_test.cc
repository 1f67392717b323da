// Allocate and MulDivFloor.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <random>
#include <vector>

#include "alloc_ref.h"
#include "splitledger/core/allocation.h"

namespace splitledger {
namespace {

using testing_util::RefAllocate;
using V = std::vector<Amount>;

V Alloc(Amount total, const V& w) {
  auto r = Allocate(total, w);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : V{};
}

TEST(Allocate, ExactProportions) {
  EXPECT_EQ(Alloc(100, {1, 1, 2}), (V{25, 25, 50}));
  EXPECT_EQ(Alloc(1000, {250, 750}), (V{250, 750}));
  EXPECT_EQ(Alloc(7, {1}), (V{7}));
}

TEST(Allocate, LargestRemainderGetsTheLeftover) {
  // 10 * {1,2,7}/10 exact; 10 over {3,3,4}: 3,3,4 exact. 10 over {1,1,1}: 3.33 each -> tie.
  // 100 over {1,2,3}: 16.67, 33.33, 50 -> floors 16,33,50 (99), remainder largest at index 0.
  EXPECT_EQ(Alloc(100, {1, 2, 3}), (V{17, 33, 50}));
  // 5 over {3,3,4} (/10): 1.5, 1.5, 2.0 -> floors 1,1,2 (4); tie between 0 and 1 -> earliest.
  EXPECT_EQ(Alloc(5, {3, 3, 4}), (V{2, 1, 2}));
  // 7 over {1,5,6} (/12): .583, 2.917, 3.5 -> floors 0,2,3 (5); leftover 2 to index 1 (.917) then 0 (.583).
  EXPECT_EQ(Alloc(7, {1, 5, 6}), (V{1, 3, 3}));
  // The later part with the larger remainder wins over an earlier one with a smaller remainder.
  // 3 over {1,2} : 1, 2 exact. 2 over {1,2}: .667, 1.333 -> floors 0,1; leftover to index 0.
  EXPECT_EQ(Alloc(2, {1, 2}), (V{1, 1}));
  // 2 over {2,1}: 1.333, .667 -> floors 1,0; leftover to index 1 (remainder .667 > .333).
  EXPECT_EQ(Alloc(2, {2, 1}), (V{1, 1}));
  // 4 over {1,1,1}: 1.33 each -> leftover 1 to index 0.
  EXPECT_EQ(Alloc(4, {1, 1, 1}), (V{2, 1, 1}));
}

TEST(Allocate, TiesGoToTheEarliestPart) {
  EXPECT_EQ(Alloc(1, {1, 1, 1}), (V{1, 0, 0}));
  EXPECT_EQ(Alloc(2, {1, 1, 1}), (V{1, 1, 0}));
  EXPECT_EQ(Alloc(1, {5, 5}), (V{1, 0}));
  EXPECT_EQ(Alloc(100, {1, 1, 1}), (V{34, 33, 33}));
  // Tie among later parts, with an earlier zero-remainder part first.
  // 2 over {2,1,1}: 1, .5, .5 -> floors 1,0,0; leftover 1, tie between 1 and 2 -> index 1.
  EXPECT_EQ(Alloc(2, {2, 1, 1}), (V{1, 1, 0}));
  // 3 over {2,1,1}: 1.5, .75, .75 -> floors 1,0,0; leftover 2 to the two .75 parts, not the .5.
  EXPECT_EQ(Alloc(3, {2, 1, 1}), (V{1, 1, 1}));
}

TEST(Allocate, ZeroWeightsGetNothing) {
  EXPECT_EQ(Alloc(10, {0, 1, 0}), (V{0, 10, 0}));
  EXPECT_EQ(Alloc(10, {0, 3, 0, 3}), (V{0, 5, 0, 5}));
  EXPECT_EQ(Alloc(1, {0, 1, 1}), (V{0, 1, 0}));
}

TEST(Allocate, ZeroTotal) {
  EXPECT_EQ(Alloc(0, {1, 2, 3}), (V{0, 0, 0}));
  EXPECT_EQ(Alloc(0, {0, 0}), (V{0, 0}));
  EXPECT_EQ(Alloc(0, {}), (V{}));
}

TEST(Allocate, RejectsNegativeAndAllZero) {
  EXPECT_EQ(Allocate(-1, {1}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Allocate(INT64_MIN, {1}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Allocate(10, {1, -1}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Allocate(0, {1, -1}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Allocate(10, {0, 0, 0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Allocate(10, {}).status().code(), ErrorCode::kInvalidArgument);
}

TEST(Allocate, HugeValues) {
  EXPECT_EQ(Alloc(INT64_MAX, {INT64_MAX}), (V{INT64_MAX}));
  EXPECT_EQ(Alloc(INT64_MAX, {INT64_MAX, INT64_MAX}), (V{INT64_MAX / 2 + 1, INT64_MAX / 2}));
  EXPECT_EQ(Alloc(INT64_MAX, {1, INT64_MAX - 1}), (V{1, INT64_MAX - 1}));
  EXPECT_EQ(Alloc(1, {INT64_MAX, INT64_MAX, INT64_MAX}), (V{1, 0, 0}));
  // Weights whose sum overflows int64 several times over.
  V w(100, INT64_MAX);
  V parts = Alloc(INT64_MAX, w);
  __int128 sum = 0;
  for (Amount p : parts) sum += p;
  EXPECT_EQ(sum, INT64_MAX);
  // INT64_MAX = 100 * 92233720368547758 + 7: the first seven parts get one more.
  for (size_t i = 0; i < parts.size(); ++i) EXPECT_EQ(parts[i], 92233720368547758 + (i < 7)) << i;
}

TEST(Allocate, RandomInputsSumExactlyAndMatchReference) {
  std::mt19937_64 rng(20240601);
  auto pick = [&](int kind) -> Amount {
    switch (kind) {
      case 0: return static_cast<Amount>(rng() % 10);
      case 1: return static_cast<Amount>(rng() % 100000);
      case 2: return INT64_MAX - static_cast<Amount>(rng() % 1000);
      default: return static_cast<Amount>(rng() >> 1);  // anything in [0, INT64_MAX]
    }
  };
  for (int iter = 0; iter < 20000; ++iter) {
    Amount total = pick(static_cast<int>(rng() % 4));
    size_t n = 1 + rng() % 12;
    V w(n);
    int wkind = static_cast<int>(rng() % 4);
    for (Amount& x : w) x = (rng() % 5 == 0) ? 0 : pick(wkind == 3 ? static_cast<int>(rng() % 4) : wkind);
    V want;
    bool ref_ok = RefAllocate(total, w, &want);
    auto got = Allocate(total, w);
    ASSERT_EQ(got.ok(), ref_ok) << "iter " << iter;
    if (!ref_ok) continue;
    __int128 sum = 0;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_GE((*got)[i], 0);
      if (w[i] == 0) {
        ASSERT_EQ((*got)[i], 0);
      }
      sum += (*got)[i];
    }
    ASSERT_EQ(sum, total) << "iter " << iter;
    ASSERT_EQ(*got, want) << "iter " << iter << " total " << total;
  }
}

TEST(MulDivFloor, Basics) {
  EXPECT_EQ(*MulDivFloor(100, 333, 1000), 33);
  EXPECT_EQ(*MulDivFloor(100, 666, 1000), 66);
  EXPECT_EQ(*MulDivFloor(100, 1000, 1000), 100);
  EXPECT_EQ(*MulDivFloor(0, 5, 7), 0);
  EXPECT_EQ(*MulDivFloor(7, 0, 7), 0);
  EXPECT_EQ(*MulDivFloor(10, 10, 3), 33);
}

TEST(MulDivFloor, NearLimits) {
  EXPECT_EQ(*MulDivFloor(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
  EXPECT_EQ(*MulDivFloor(INT64_MAX, INT64_MAX - 1, INT64_MAX), INT64_MAX - 1);
  EXPECT_EQ(*MulDivFloor(INT64_MAX, 2, 2), INT64_MAX);
  EXPECT_EQ(*MulDivFloor(INT64_MAX, 3, 4), static_cast<Amount>((__int128)INT64_MAX * 3 / 4));
  EXPECT_EQ(*MulDivFloor(INT64_MAX - 1, INT64_MAX, INT64_MAX), INT64_MAX - 1);
  // Quotient one past int64.
  auto over = MulDivFloor(INT64_MAX, 2, 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kOverflow);
  auto over2 = MulDivFloor(INT64_MAX, INT64_MAX, INT64_MAX - 1);
  ASSERT_FALSE(over2.ok());
  EXPECT_EQ(over2.status().code(), ErrorCode::kOverflow);
  // Exactly INT64_MAX from a product of 2^126-ish.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    Amount a = static_cast<Amount>(rng() >> 1), b = static_cast<Amount>(rng() >> 1);
    Amount c = static_cast<Amount>(rng() >> 1) | 1;
    __int128 q = (__int128)a * b / c;
    auto r = MulDivFloor(a, b, c);
    if (q > INT64_MAX) {
      ASSERT_FALSE(r.ok());
      ASSERT_EQ(r.status().code(), ErrorCode::kOverflow);
    } else {
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(*r, static_cast<Amount>(q));
    }
  }
}

TEST(MulDivFloor, RejectsBadArguments) {
  EXPECT_EQ(MulDivFloor(-1, 1, 1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MulDivFloor(1, -1, 1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MulDivFloor(1, 1, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MulDivFloor(1, 1, -5).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace splitledger
