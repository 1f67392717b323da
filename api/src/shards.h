// Scale-out by platform client (docs/scaling.md): each shard is one database with its one writer
// (the database's lease), and every server of the deployment is given the same shard map. A
// request for a client that another shard owns is forwarded to that shard and its answer relayed
// (a redirect would not do: HTTP clients drop the Authorization header when a redirect changes
// the origin). Clients the map does not name belong to the shard that receives them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "front_door.h"
#include "http.h"

namespace splitledger::api {

class ShardMap {
 public:
  // Reads `path`: {"shards": {"NAME": "BASE_URL", …}, "clients": {"CLIENT_ID": "NAME", …}}.
  // `self` must be one of the shards. nullopt with `*error` set when the file is unreadable or
  // inconsistent (a client mapped to an unknown shard).
  static std::optional<ShardMap> Load(const std::string& path, const std::string& self,
                                      std::string* error);
  // The base URL of the shard owning `client_id`, when it is another shard than this one.
  std::optional<std::string> Elsewhere(const std::string& client_id) const;
  // Sends the request to the shard at `base` (http://host:port) with its Host header unchanged
  // (URLs the owner builds, like a settlement's UploadUrl, stay public) and returns its reply,
  // with X-Splitledger-Shard naming who answered. In the dialect's error format: a request
  // already forwarded once is 421 (the shards' maps disagree); a shard that cannot be reached is
  // 503 (nothing was sent); one that took the request but did not answer in time is 504 (the
  // outcome is unknown: retry with the same Idempotency-Key, or read the object).
  Reply Forward(const std::string& base, const HttpRequest& request, Dialect errors) const;
  // Every other shard's base URL (the settlement upload URL carries no client id).
  std::vector<std::string> Others() const;
  static bool Forwarded(const HttpRequest& request);
  const std::string& self() const { return self_; }

 private:
  std::string self_;
  std::map<std::string, std::string> shard_urls_;
  std::map<std::string, std::string> client_shard_;
};

}  // namespace splitledger::api
