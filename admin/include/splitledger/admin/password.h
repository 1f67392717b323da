// Console passwords: PBKDF2-HMAC-SHA256, a random 16-byte salt, 310 000 iterations (OWASP's
// figure for this function), stored as "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX".
#pragma once

#include <string>

namespace splitledger::admin {

std::string HashPassword(const std::string& password);
// `stored` is exactly of HashPassword's form (these iterations, 16-byte salt, 32-byte key).
bool WellFormedHash(const std::string& stored);
// True when `password` matches `stored` (constant-time comparison); false for a malformed one.
bool VerifyPassword(const std::string& password, const std::string& stored);

// Lower-case hex; 256 random bits as hex (session tokens, nonces); hex SHA-256.
std::string Hex(const unsigned char* bytes, size_t n);
std::string RandomToken();
std::string Sha256(const std::string& data);

}  // namespace splitledger::admin
