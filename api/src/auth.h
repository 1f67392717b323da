// Credentials: API keys (salted SHA-256, compared in constant time) and OAuth bearer tokens.
//
// Contracts:
//  * Neither API keys nor tokens are ever stored or logged in clear: the State keeps
//    hex SHA-256(salt || key) for keys and hex SHA-256(token) for tokens.
//  * Keys, tokens and settlement upload tokens are looked up by their hash; a presented key is
//    compared with its stored hash in constant time (ConstantTimeEquals).
//  * TokenCache is the HTTP threads' read path for bearer tokens (no sequencer round trip per
//    request). It is filled lazily (on a miss, a FindToken command) and after an IssueToken
//    command's outcome, which arrives only once its batch committed: a cached token is always a
//    committed one.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace splitledger::api {

std::string Sha256Hex(std::string_view data);
std::string ToHex(const unsigned char* bytes, size_t n);  // lower case
std::string HashApiKey(std::string_view salt_hex, std::string_view key);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Parses "Basic base64(id:key)"; false if malformed.
bool ParseBasic(std::string_view header, std::string* id, std::string* key);
// Returns the token of "Bearer <token>" (scheme word in any case), or empty.
std::string ParseBearer(std::string_view header);

class TokenCache {
 public:
  struct Entry {
    std::string client_id;
    int64_t expires_at = 0;         // unix seconds
    std::string cert_fingerprint;  // RFC 8705: usable only with this client certificate
  };
  std::optional<Entry> Find(const std::string& token_hash) const;
  void Put(const std::string& token_hash, Entry entry);
  // Drops expired entries (called now and then).
  void Sweep(int64_t now_s);

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

// Client certificates as the request threads see them (the mTLS listener): fingerprint → owner
// and whether it is still active. Filled on a miss by a FindClientCertificate command (Remember:
// never overwrites); an add or revoke run by this server Puts its committed result (overwrites).
// So a lookup racing a revocation cannot bring the certificate back: revocation is effective at
// once on the server that holds the database, which every CLI write goes through.
class CertRegistry {
 public:
  struct Entry {
    std::string client_id;
    bool active = false;
  };
  std::optional<Entry> Find(const std::string& fingerprint) const;
  void Remember(const std::string& fingerprint, Entry entry);
  void Put(const std::string& fingerprint, Entry entry);

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace splitledger::api
