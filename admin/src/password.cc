#include "splitledger/admin/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdlib>
#include <vector>

namespace splitledger::admin {

namespace {

constexpr int kIterations = 310000;

bool Unhex(const std::string& s, std::vector<unsigned char>* out) {
  if (s.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    char* end = nullptr;
    std::string byte = s.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (*end != '\0') return false;
    out->push_back(static_cast<unsigned char>(v));
  }
  return true;
}

std::vector<unsigned char> Derive(const std::string& password,
                                  const std::vector<unsigned char>& salt, int iterations) {
  std::vector<unsigned char> key(32);
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(),
                    static_cast<int>(key.size()), key.data());
  return key;
}

}  // namespace

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string RandomToken() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // no entropy: never a guessable token
  return Hex(b, sizeof b);
}

std::string Sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

bool WellFormedHash(const std::string& stored) {
  // Exactly what HashPassword writes: the iterations pinned (a stored hash cannot make a sign-in
  // slower, nor faster), 16 bytes of salt, 32 of key.
  std::string prefix = "pbkdf2-sha256$" + std::to_string(kIterations) + "$";
  if (stored.size() != prefix.size() + 32 + 1 + 64 || stored.compare(0, prefix.size(), prefix) != 0)
    return false;
  if (stored[prefix.size() + 32] != '$') return false;
  for (size_t i = prefix.size(); i < stored.size(); ++i) {
    if (i == prefix.size() + 32) continue;
    if (!std::isxdigit(static_cast<unsigned char>(stored[i])) ||
        std::isupper(static_cast<unsigned char>(stored[i])))
      return false;
  }
  return true;
}

std::string HashPassword(const std::string& password) {
  std::vector<unsigned char> salt(16);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    std::abort();  // no entropy: never a weak hash
  std::vector<unsigned char> key = Derive(password, salt, kIterations);
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + Hex(salt.data(), salt.size()) +
         "$" + Hex(key.data(), key.size());
}

bool VerifyPassword(const std::string& password, const std::string& stored) {
  // pbkdf2-sha256$ITER$SALT$HASH
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t d = stored.find('$', start);
    parts.push_back(stored.substr(start, d == std::string::npos ? std::string::npos : d - start));
    if (d == std::string::npos) break;
    start = d + 1;
  }
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  char* end = nullptr;
  long iterations = std::strtol(parts[1].c_str(), &end, 10);
  std::vector<unsigned char> salt, want;
  if (!WellFormedHash(stored) || *end != '\0' || !Unhex(parts[2], &salt) ||
      !Unhex(parts[3], &want)) {
    return false;
  }
  std::vector<unsigned char> got = Derive(password, salt, static_cast<int>(iterations));
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0;
}

}  // namespace splitledger::admin
