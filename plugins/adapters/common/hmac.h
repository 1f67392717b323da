// Small crypto helpers shared by the bundled adapters (header-only, compiled into each adapter).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

namespace splitledger_adapters {

inline std::string ToHex(const unsigned char* data, size_t len) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

// A non-null pointer for empty views: OpenSSL 3 refuses HMAC(NULL key, NULL data) although both
// are empty, and a default std::string_view has a null data().
inline const unsigned char* NonNullBytes(std::string_view s) {
  static const unsigned char kEmpty[1] = {0};
  return s.data() ? reinterpret_cast<const unsigned char*>(s.data()) : kEmpty;
}

// Lower-case hex of HMAC-SHA256(key, data); "" on failure (never equal to a real MAC).
inline std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<size_t>(INT_MAX)) return {};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), NonNullBytes(key), static_cast<int>(key.size()), NonNullBytes(data),
            data.size(), mac, &len)) {
    return {};
  }
  return ToHex(mac, len);
}

// Lower-case hex of SHA-256(data); "" on failure.
inline std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(NonNullBytes(data), data.size(), md, &len, EVP_sha256(), nullptr)) return {};
  return ToHex(md, len);
}

// Decodes hex (either case); false on odd length or a non-hex character.
inline bool HexDecode(std::string_view hex, std::string* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

// Compares in time that depends only on the length (which is public: a SHA-256 MAC is 32 bytes).
inline bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace splitledger_adapters
