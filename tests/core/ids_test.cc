// Ids (prefix + UUIDv7) and the CSPRNG helpers.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "splitledger/core/ids.h"

namespace splitledger {
namespace {

// Checks the 36-character UUID text after `prefix` and returns its 16 bytes.
std::vector<uint8_t> UuidBytes(const std::string& id, std::string_view prefix) {
  std::vector<uint8_t> out;
  EXPECT_EQ(id.size(), prefix.size() + 36) << id;
  EXPECT_EQ(id.compare(0, prefix.size(), prefix), 0) << id;
  if (id.size() != prefix.size() + 36) return out;
  std::string u = id.substr(prefix.size());
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(u[i], '-') << id;
      continue;
    }
    EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(u[i])) &&
                !std::isupper(static_cast<unsigned char>(u[i])))
        << id;
  }
  std::string hex;
  for (char c : u) {
    if (c != '-') hex.push_back(c);
  }
  for (size_t i = 0; i < 32; i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(Ids, PrefixShapeVersionVariantTimestamp) {
  const int64_t ms = 1700000000123;  // 0x018BCFE5687B
  for (std::string_view prefix :
       {id_prefix::kIntent, id_prefix::kLineItem, id_prefix::kCapture, id_prefix::kCancel,
        id_prefix::kRefund, id_prefix::kDispute, id_prefix::kSplit, id_prefix::kUser,
        id_prefix::kWallet, id_prefix::kTransaction}) {
    std::string id = NewId(prefix, ms);
    auto b = UuidBytes(id, prefix);
    ASSERT_EQ(b.size(), 16u);
    EXPECT_EQ(b[6] >> 4, 7) << "version 7: " << id;
    EXPECT_EQ(b[8] >> 6, 2) << "variant 10: " << id;
    uint64_t t = 0;
    for (int i = 0; i < 6; ++i) t = (t << 8) | b[i];
    EXPECT_EQ(t, static_cast<uint64_t>(ms)) << id;
  }
  EXPECT_EQ(NewId("int_", ms).substr(0, 17), "int_018bcfe5-687b");
  EXPECT_EQ(NewId("", 0).substr(0, 13), "00000000-0000");
}

TEST(Ids, UniqueOver100k) {
  std::unordered_set<std::string> seen;
  seen.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    // Same millisecond for all: uniqueness must come from the random bits alone.
    ASSERT_TRUE(seen.insert(NewId(id_prefix::kIntent, 1700000000000)).second) << i;
  }
}

TEST(Ids, UniqueAcrossThreads) {
  // One generator per thread, each seeded on its own: no two threads may produce the same stream.
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> out(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&out, t] {
      for (int i = 0; i < kEach; ++i) out[t].push_back(NewId(id_prefix::kSplit, 1700000000000));
    });
  }
  for (auto& th : threads) th.join();
  std::unordered_set<std::string> seen;
  for (const auto& v : out) {
    for (const auto& id : v) ASSERT_TRUE(seen.insert(id).second) << id;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(Ids, RandomBitsVary) {
  // Every one of the 74 random bit positions takes both values over a few hundred ids.
  std::vector<int> ones(128, 0);
  const int n = 400;
  for (int i = 0; i < n; ++i) {
    auto b = UuidBytes(NewId("", 1), "");
    for (int bit = 0; bit < 128; ++bit) ones[bit] += (b[bit / 8] >> (7 - bit % 8)) & 1;
  }
  for (int bit = 48; bit < 128; ++bit) {
    bool fixed = (bit >= 48 && bit < 52) || bit == 64 || bit == 65;  // version, variant
    if (fixed) continue;
    EXPECT_GT(ones[bit], 0) << bit;
    EXPECT_LT(ones[bit], n) << bit;
  }
}

TEST(Ids, OrderedByMillisecond) {
  int64_t base = 1700000000000;
  std::string prev = NewId(id_prefix::kIntent, base);
  for (int64_t step : {int64_t{1}, int64_t{1}, int64_t{2}, int64_t{255}, int64_t{256}, int64_t{65535},
                       int64_t{65536}, int64_t{1000000}, int64_t{1} << 32, int64_t{1} << 40}) {
    base += step;
    for (int k = 0; k < 20; ++k) {
      std::string next = NewId(id_prefix::kIntent, base);
      EXPECT_LT(prev, next) << "ms " << base;
      if (k == 19) prev = next;
    }
  }
  // The full 48-bit range.
  EXPECT_LT(NewId("", 0), NewId("", 1));
  EXPECT_LT(NewId("", (1LL << 48) - 2), NewId("", (1LL << 48) - 1));
  EXPECT_EQ(NewId("", (1LL << 48) - 1).substr(0, 13), "ffffffff-ffff");
}

TEST(RandomHex, LengthAndAlphabet) {
  EXPECT_EQ(RandomHex(0), "");
  for (size_t n : {1u, 2u, 16u, 32u, 63u, 64u, 65u, 200u}) {
    std::string h = RandomHex(n);
    ASSERT_EQ(h.size(), 2 * n);
    for (char c : h) EXPECT_NE(std::string("0123456789abcdef").find(c), std::string::npos) << h;
  }
  EXPECT_NE(RandomHex(32), RandomHex(32));
}

TEST(RandomBytes, FillsAcrossBlockBoundaries) {
  // Sizes around the 64-byte keystream block; no two draws repeat and not all bytes are zero.
  std::unordered_set<std::string> seen;
  for (size_t n : {1u, 7u, 63u, 64u, 65u, 127u, 128u, 129u, 1000u}) {
    std::string buf(n, '\0');
    RandomBytes(buf.data(), n);
    if (n >= 16) {
      EXPECT_NE(buf, std::string(n, '\0')) << n;
    }
    if (n >= 7) {
      EXPECT_TRUE(seen.insert(buf.substr(0, 7)).second) << n;
    }
  }
  // Byte histogram over 64 KiB: every value appears (expected 256 each).
  std::vector<uint8_t> big(1 << 16);
  RandomBytes(big.data(), big.size());
  std::vector<int> hist(256, 0);
  for (uint8_t v : big) ++hist[v];
  for (int v = 0; v < 256; ++v) {
    EXPECT_GT(hist[v], 128) << v;
    EXPECT_LT(hist[v], 400) << v;
  }
}

}  // namespace
}  // namespace splitledger
