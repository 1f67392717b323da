// The running service as the HTTP layer sees it: configuration, the service floor, the shared
// read-side caches, and the request context the dialect translators receive.
//
// Threading contract: HTTP worker threads never touch the ledger. Every read and write is a
// typed command run by `service` (Run), answered after its batch committed. Only `tokens`,
// `metrics` and `log` are used from worker threads directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth.h"
#include "http.h"
#include "observe.h"
#include "shards.h"
#include "splitledger/plugins/host_config.h"
#include "splitledger/service/orchestrator.h"
#include "splitledger/service/service.h"
#include "webhook_delivery.h"

namespace splitledger::api {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string db = "sqlite:./data/splitledger.db";
  int64_t max_body_bytes = 1 << 20;
  int64_t token_ttl_seconds = 3600;
  std::string log_level = "info";
  int max_threads = 256;  // workers: requests being handled at once (not connections, nor
                          // deferred requests waiting for their commit)
  int max_queued = 4096;        // complete requests waiting for a worker (503 past it)
  int max_connections = 10000;  // open connections (503 and close past it; capped by RLIMIT_NOFILE)
  int keep_alive_timeout_seconds = 15;
  int header_timeout_seconds = 10;          // a request's headers must arrive within this (408)
  int body_timeout_seconds = 30;            // and its body within this after them (408)
  int64_t rate_limit_per_window = 1000000;  // advertised in x-ratelimit-* (not enforced)
  std::string plugins_json;  // the "plugins" section (docs/plugins.md), "" = no adapters
  // TLS listeners beside the plain one (docs/operations.md): HOST:PORT, "" = none. Both use the
  // server certificate and key; the mTLS listener also requires client certificates chaining
  // to `client_ca`.
  std::string listen_tls;
  std::string listen_mtls;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  // Scale-out (docs/scaling.md): this server's shard and the deployment's shard map file.
  std::string shard;
  std::string shard_map;
  // Hook notifications (docs/api.md): the retry schedule (empty: Echo's) and failures in a row
  // before a hook turns INVALID; how often the outbox is polled.
  std::vector<int64_t> hook_retry_delays_ms;
  int64_t hook_max_failures = 100;
  int hook_poll_ms = 500;
  // Orchestration (docs/api-orchestration.md): the authorisation window of connections that do
  // not set one, and where the iauth signing key lives ("" = beside the database).
  int64_t authorization_window_seconds = 7 * 86400;
  // Intents the writer keeps in memory once the tables hold them (0: all; ServiceOptions).
  int64_t intent_cache = 100000;
  // The scheme and host customers and PSPs reach this server at (checkout links, PSP return
  // URLs), e.g. "https://pay.example.com". "" = the request's own Host header.
  std::string public_url;
  std::string iauth_key_file;
  // Outgoing webhooks: retries from 10 s doubling to 10 min for 7 days (configurable).
  WebhookOptions webhooks;
};

struct App {
  Config cfg;
  std::unique_ptr<service::Service> service;
  TokenCache tokens;
  CertRegistry certs;
  std::optional<ShardMap> shards;  // set when sharded
  Metrics metrics;
  Logger log;
  // The secret of the local admin endpoint (`client create` next to a running server).
  std::string admin_secret;
  std::string admin_secret_file;  // where the CLI reads it (admin.h); removed at stop
  // Open connections and connections refused at the limit (the front door's gauges for /metrics).
  std::function<std::pair<size_t, size_t>()> connection_counts;
  std::function<size_t()> failed_handshakes;
  // PSP adapters named in the configuration; each loaded or refused on its own.
  std::unique_ptr<plugins::AdapterRegistry> adapters;
  // The orchestration dialect: the workflows that call the adapters, and the key signing iauth
  // tokens (iauth.h).
  std::unique_ptr<service::Orchestrator> orchestrator;
  std::string iauth_key;
};

struct Request {
  std::string method;  // upper case
  Dialect dialect = Dialect::kPlain;
  std::string client_id;            // from the path (v2.01/V3.0), equals the token's client
  std::vector<std::string> params;  // the route's {Placeholders}, in order
  Query query;
  std::string body;
  std::string url;       // absolute URL of the request, for idempotency records
  std::string idem_key;  // validated Idempotency-Key, or empty
  int64_t now_ms = 0;
  std::string route;  // route template, set by the router
  Transport transport = Transport::kPlain;
  std::string client_cert;  // kMtls: the fingerprint of the certificate presented
  std::string cert_client;  // kMtls: the client that certificate is registered to
  // Orchestration dialect: the key's environment, or the payment an iauth token was issued for
  // (then usable for that payment only).
  std::string environment;
  std::string iauth_payment;
};

// A translator's answer that waits for the writer: the command to run for the request, and how
// its outcome becomes the reply. The server submits it without a thread waiting
// (Service::SubmitAsync) and renders the outcome on a completion thread, so `render` must not
// call the service: it turns the request and the outcome into the reply, nothing more.
struct Deferred {
  service::Command command;
  Reply (*render)(const Request& req, const service::Outcome& outcome);
};
using Answer = std::variant<Reply, Deferred>;

// The command as the service receives it: the request's client and time, and with an
// Idempotency-Key the key, a hash of the request and its URL (the service stores the outcome
// under the key in the same batch as the effects).
service::Envelope EnvelopeOf(const Request& req, service::Command command);

// Runs a command for the request's client (EnvelopeOf) and waits for its durable outcome.
service::Outcome Run(App& app, const Request& req, service::Command command);

// A request refused before it became a command: under its Idempotency-Key the refusal is stored
// (Service::Refuse); the outcome to render is the refusal, or the key's earlier use.
service::Outcome Refuse(App& app, const Request& req, service::Outcome refusal);

}  // namespace splitledger::api
