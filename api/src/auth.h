// Credentials: API keys (salted SHA-256, compared in constant time) and OAuth bearer tokens.
//
// Contracts:
//  * Neither API keys nor tokens are ever stored or logged in clear: the State keeps
//    hex SHA-256(salt || key) for keys and hex SHA-256(token) for tokens.
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
    int64_t expires_at = 0;  // unix seconds
  };
  std::optional<Entry> Find(const std::string& token_hash) const;
  void Put(const std::string& token_hash, Entry entry);
  // Drops expired entries (called now and then).
  void Sweep(int64_t now_s);

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace splitledger::api
