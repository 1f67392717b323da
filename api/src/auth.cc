#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include <Poco/Base64Decoder.h>

#include <mutex>
#include <sstream>

namespace splitledger::api {

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return ToHex(md, len);
}

std::string ToHex(const unsigned char* bytes, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string HashApiKey(std::string_view salt_hex, std::string_view key) {
  std::string buf(salt_hex);
  buf.append(key);
  return Sha256Hex(buf);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ParseBasic(std::string_view header, std::string* id, std::string* key) {
  if (header.size() < 6 || strncasecmp(header.data(), "basic ", 6) != 0) return false;
  std::string b64(header.substr(6));
  while (!b64.empty() && b64.front() == ' ') b64.erase(b64.begin());
  std::string decoded;
  try {
    std::istringstream in(b64);
    Poco::Base64Decoder dec(in);
    std::ostringstream out;
    out << dec.rdbuf();
    decoded = out.str();
  } catch (...) {
    return false;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *id = decoded.substr(0, colon);
  *key = decoded.substr(colon + 1);
  return !id->empty();
}

std::string ParseBearer(std::string_view header) {
  if (header.size() < 7 || strncasecmp(header.data(), "bearer ", 7) != 0) return {};
  std::string_view t = header.substr(7);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return std::string(t);
}

std::optional<TokenCache::Entry> TokenCache::Find(const std::string& token_hash) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(token_hash);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void TokenCache::Put(const std::string& token_hash, Entry entry) {
  std::unique_lock lock(mu_);
  map_[token_hash] = std::move(entry);
}

void TokenCache::Sweep(int64_t now_s) {
  std::unique_lock lock(mu_);
  for (auto it = map_.begin(); it != map_.end();) {
    if (it->second.expires_at <= now_s) it = map_.erase(it); else ++it;
  }
}

}  // namespace splitledger::api

namespace splitledger::api {

std::optional<CertRegistry::Entry> CertRegistry::Find(const std::string& fingerprint) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(fingerprint);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void CertRegistry::Remember(const std::string& fingerprint, Entry entry) {
  std::unique_lock lock(mu_);
  map_.emplace(fingerprint, std::move(entry));
}

void CertRegistry::Put(const std::string& fingerprint, Entry entry) {
  std::unique_lock lock(mu_);
  map_[fingerprint] = std::move(entry);
}

}  // namespace splitledger::api
