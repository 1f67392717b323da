// iauth: the intent-scoped token of the orchestration dialect. Issued with each payment, carried
// in its hosted checkout link, usable instead of the API key for that payment only, until it
// expires. A JWT (RFC 7519) signed with HS256 under a key only the servers hold:
//   header  {"alg":"HS256","typ":"JWT"}
//   claims  {"sub": payment id, "cid": client id, "env": "test"|"live", "exp": unix seconds,
//            "scope": "intent" | "checkout"}
// Two scopes: "intent", given to the merchant (read the intent, cancel its authorisation), and
// "checkout", carried in the link the customer sees (the checkout pages and reading the intent:
// a customer holding the link cannot cancel what the merchant is about to capture).
// Verification recomputes the signature over the raw header and claims and compares it in
// constant time before anything in the token is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "splitledger/core/status.h"

namespace splitledger::api {

struct IauthClaims {
  std::string payment_id;
  std::string client_id;
  std::string environment;
  int64_t expires_at = 0;
  std::string scope = "intent";
};

std::string IssueIauth(const std::string& key, const IauthClaims& claims);
// The claims of a well-signed, unexpired token; nullopt otherwise.
std::optional<IauthClaims> VerifyIauth(const std::string& key, const std::string& token,
                                       int64_t now_s);

// The signing key: read from `path` (a 0600 file of this user), or created there (32 random
// bytes, O_EXCL) when it does not exist. Servers sharing a database must share the file.
Result<std::string> LoadOrCreateIauthKey(const std::string& path);
// Where the key lives by default: beside an SQLite database, or in ~/.splitledger for
// PostgreSQL (one file per database URL).
std::string DefaultIauthKeyPath(const std::string& db_url);

}  // namespace splitledger::api
