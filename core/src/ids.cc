#include "splitledger/core/ids.h"

#include <array>
#include <cstring>
#include <mutex>
#include <random>

namespace splitledger {
namespace {

// ChaCha20 keystream (RFC 8439 block function) used as a CSPRNG, reseeded from
// std::random_device. One generator per thread: no lock on the hot path.
class ChaChaRng {
 public:
  ChaChaRng() { Reseed(); }

  void Fill(uint8_t* out, size_t n) {
    while (n > 0) {
      if (pos_ == sizeof(block_)) Refill();
      size_t take = std::min(n, sizeof(block_) - pos_);
      std::memcpy(out, block_ + pos_, take);
      // Forget what was handed out (forward secrecy inside the process).
      std::memset(block_ + pos_, 0, take);
      pos_ += take;
      out += take;
      n -= take;
    }
  }

 private:
  static uint32_t Rotl(uint32_t v, int c) { return (v << c) | (v >> (32 - c)); }
  static void QuarterRound(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b]; x[d] = Rotl(x[d] ^ x[a], 16);
    x[c] += x[d]; x[b] = Rotl(x[b] ^ x[c], 12);
    x[a] += x[b]; x[d] = Rotl(x[d] ^ x[a], 8);
    x[c] += x[d]; x[b] = Rotl(x[b] ^ x[c], 7);
  }

  void Reseed() {
    std::random_device rd;
    state_[0] = 0x61707865; state_[1] = 0x3320646e; state_[2] = 0x79622d32; state_[3] = 0x6b206574;
    for (int i = 4; i < 16; ++i) state_[i] = rd();
    state_[12] = 0;  // block counter
    blocks_since_seed_ = 0;
    pos_ = sizeof(block_);
  }

  void Refill() {
    if (++blocks_since_seed_ > (1u << 20)) Reseed();
    uint32_t x[16];
    std::memcpy(x, state_, sizeof(x));
    for (int i = 0; i < 10; ++i) {
      QuarterRound(x, 0, 4, 8, 12); QuarterRound(x, 1, 5, 9, 13);
      QuarterRound(x, 2, 6, 10, 14); QuarterRound(x, 3, 7, 11, 15);
      QuarterRound(x, 0, 5, 10, 15); QuarterRound(x, 1, 6, 11, 12);
      QuarterRound(x, 2, 7, 8, 13); QuarterRound(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; ++i) {
      uint32_t v = x[i] + state_[i];
      std::memcpy(block_ + 4 * i, &v, 4);
    }
    if (++state_[12] == 0) ++state_[13];
    pos_ = 0;
  }

  uint32_t state_[16];
  uint8_t block_[64];
  size_t pos_ = 64;
  uint32_t blocks_since_seed_ = 0;
};

ChaChaRng& ThreadRng() {
  thread_local ChaChaRng rng;
  return rng;
}

}  // namespace

void RandomBytes(void* out, size_t n) { ThreadRng().Fill(static_cast<uint8_t*>(out), n); }

std::string RandomHex(size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string bytes(n, '\0');
  RandomBytes(bytes.data(), n);
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 15];
  }
  return out;
}

std::string NewId(std::string_view prefix, int64_t unix_ms) {
  // UUIDv7 (RFC 9562): 48-bit ms timestamp, version 7, 74 random bits, variant 10.
  uint8_t b[16];
  RandomBytes(b + 6, 10);
  auto ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0f));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));
  static const char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  out.reserve(prefix.size() + 36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

}  // namespace splitledger
