// The running service: configuration, the ledger (store, state, sequencer) and the shared
// read-side caches, plus the request context the dialect handlers receive.
//
// Threading contract: HTTP worker threads never touch `state` directly. Every read and write of
// the State runs as a sequencer command (RunCommand), which completes only after its batch has
// committed. Only `tokens`, `metrics` and `log` are used from worker threads directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth.h"
#include "http.h"
#include "observe.h"
#include "splitledger/ledger/sequencer.h"
#include "splitledger/ledger/state.h"
#include "splitledger/ledger/store.h"
#include "splitledger/plugins/host_config.h"

namespace splitledger::api {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string db = "sqlite:./data/splitledger.db";
  int64_t max_body_bytes = 1 << 20;
  int64_t token_ttl_seconds = 3600;
  std::string log_level = "info";
  int max_threads = 256;
  int max_queued = 4096;
  int keep_alive_timeout_seconds = 15;
  int64_t rate_limit_per_window = 1000000;  // advertised in x-ratelimit-* (not enforced)
  std::string plugins_json;  // the "plugins" section (docs/plugins.md), "" = no adapters
};

struct App {
  Config cfg;
  std::unique_ptr<ledger::Store> store;
  ledger::State state;
  std::unique_ptr<ledger::Sequencer> seq;
  TokenCache tokens;
  Metrics metrics;
  Logger log;
  // PSP adapters named in the configuration; each loaded or refused on its own.
  std::unique_ptr<plugins::AdapterRegistry> adapters;

  // Reads a client's row from the database through a reader connection (opened on first use),
  // for credentials written by `splitledger client create` while this server runs. nullopt when
  // the client does not exist or the database cannot be read.
  std::optional<ledger::ClientRecord> ReadClient(const std::string& id);

 private:
  std::mutex reader_mu_;
  std::unique_ptr<ledger::Store> reader_;
};

struct Request {
  std::string method;        // upper case
  Dialect dialect = Dialect::kPlain;
  std::string client_id;     // from the path (v2.01/V3.0), equals the token's client
  std::vector<std::string> segs;  // path segments after {ClientId}
  Query query;
  std::string body;
  std::string url;           // absolute URL of the request, for idempotency records
  std::string idem_key;      // validated Idempotency-Key, or empty
  int64_t now_ms = 0;
  std::string route;         // route template, set by the handler that matched
};

using Command = std::function<Reply(ledger::CommandContext&)>;

// Runs `fn` as one sequencer command and waits for its commit. When req.idem_key is set, the
// command first refuses a reused key (409 idempotent_creation_conflict) and otherwise stores the
// reply it produced as the key's record, in the same batch as the effects.
Reply RunCommand(App& app, const Request& req, Command fn);

// Makes sure the client's FEES_<CUR> and CREDIT_<CUR> wallets exist (accounts + documents).
// Call only after the command has validated everything (it mutates the State).
void EnsureClientCurrency(ledger::State& state, const std::string& client_id, const std::string& currency,
                          int64_t now_s);

// The default client profile served by GET /clients.
std::string DefaultClientProfile(const std::string& client_id);

}  // namespace splitledger::api
