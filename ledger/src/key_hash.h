// Private to the ledger module: the hash of in-memory key indexes (the Book's accounts, the
// State's filters of stored intents).
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace splitledger::ledger {

// Mixes the parts eight bytes at a time, each part closed by its length, so ("ab","c") and
// ("a","bc") differ: one multiply and one shift per word (a bijection of the state for a given
// word, so two different prefixes never merge), and a splitmix64 finaliser once at the end, so
// the low bits the indexes use depend on every byte.
// Byte-at-a-time FNV was 8% of the sequencer; a full splitmix64 step per word was still 11% of
// its instructions (callgrind, docs/performance.md). Never 0 (callers use 0 for an empty slot).
// Not persisted: the indexes that use it are rebuilt at start-up, so it may change freely.
inline uint64_t HashParts(std::initializer_list<std::string_view> parts) {
  auto fold = [](uint64_t h, uint64_t v) {
    h = (h ^ v) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
  };
  uint64_t h = 0x243F6A8885A308D3ull;
  for (std::string_view part : parts) {
    const char* p = part.data();
    size_t n = part.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t v;
      std::memcpy(&v, p, 8);
      h = fold(h, v);
    }
    // The last 0-7 bytes in fixed-size loads (a memcpy of a variable length is a call): two
    // overlapping 4-byte loads cover 4-7 bytes, three single bytes cover 1-3; with the length
    // folded in, different tails give different words. An empty view's data() may be null.
    uint64_t tail = 0;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      tail = (static_cast<uint64_t>(hi) << 32) | lo;
    } else if (n > 0) {
      auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
      tail = byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
    }
    h = fold(h, tail ^ (static_cast<uint64_t>(part.size()) << 56));
  }
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h ? h : 1;
}

}  // namespace splitledger::ledger
