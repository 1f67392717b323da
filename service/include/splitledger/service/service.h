// The service: opens the ledger of one shard (store, state, sequencer) and runs typed commands
// through its single writer. The only way into the ledger for the dialects and the CLI.
//
// Threading: Submit/Execute are thread-safe. Preflight runs on the calling thread; Apply on the
// sequencer thread; the returned Outcome is complete only after the batch holding the command is
// durable (or failed: kUnavailable, retryable, and nothing of the command remains).
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/service/commands.h"

namespace splitledger::ledger {
class Store;
class State;
class Sequencer;
}  // namespace splitledger::ledger

namespace splitledger::service {

struct ServiceOptions {
  std::string db_url;        // "sqlite:PATH" or "postgresql://…"
  bool durable = true;       // the log synced before each answer (benchmarks may turn it off)
  int lease_wait_ms = 5000;  // how long to wait for the writer lease
  size_t max_batch = 4096;   // commands per commit
  // Intents the writer keeps in memory once the tables hold them (least recently used leave
  // first and are read back on demand; ledger::State::SetIntentCache). 0: every intent.
  size_t max_cached_intents = 100000;
};

// An Idempotency-Key as the dialect saw it: the key, a hash of the request (method, URL, body)
// and the URL, computed on the request thread.
struct IdempotencyStamp {
  std::string key;
  std::string request_hash;
  std::string request_url;
};

struct Envelope {
  Caller caller;
  Command command;
  std::optional<IdempotencyStamp> idempotency;
};

// One table's share of the projection since the service opened (committed transactions).
struct TableCost {
  std::string table;
  uint64_t rows = 0;
  uint64_t nanos = 0;  // time in its statements; commits and syncs belong to no table
};

struct ServiceStats {
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t failed_commits = 0;
  uint64_t apply_micros_total = 0;   // the sequencer thread: applying commands, copying rows
  uint64_t commit_micros_total = 0;  // appending batches to the log, syncs included
  uint64_t durable_lsn = 0;          // the log's last durable record
  uint64_t projected_lsn = 0;        // the last record the tables hold
  uint64_t projection_micros_total = 0;
  uint64_t projection_failures = 0;
  uint64_t projections = 0;     // table transactions (each holds one or more log records)
  uint64_t intent_reads = 0;    // intents the writer read back from the tables (a bounded cache)
  uint64_t intents_cached = 0;  // intents in the writer's memory after its last batch
  std::vector<TableCost> projection_tables;  // in the order the tables were first written
};

struct StartReport {
  uint64_t log_records = 0;       // the log's last lsn
  uint64_t replayed = 0;          // records the tables lacked, replayed into them
  uint64_t torn_bytes_cut = 0;    // an incomplete, never acknowledged last record cut off
  uint64_t snapshot_records = 0;  // records seeding the log of a database older than the log
};

// Where the writer holding the lease accepts admin commands (see ReadAdminEndpoint).
struct AdminEndpoint {
  std::string address;      // its plain listener
  std::string secret_hash;  // hex SHA-256 of the secret
  std::string secret_file;  // the 0600 file holding the secret, on the server's host
};

// Receives one command's outcome (Service::SubmitAsync), instead of a thread waiting for it.
class OutcomeSink {
 public:
  virtual ~OutcomeSink() = default;
  // Hands `outcome` to `sink`, which owns itself from then on.
  static void Take(std::unique_ptr<OutcomeSink> sink, Outcome outcome) {
    OutcomeSink* s = sink.release();
    s->Receive(std::unique_ptr<OutcomeSink>(s), std::move(outcome));
  }

 protected:
  // Called exactly once, with the sink's own ownership: on the writer thread after the batch is
  // durable (or failed), or on the submitting thread when the command was answered at once.
  // Keep it short (hand the work to another thread): the writer's next batch waits for it.
  virtual void Receive(std::unique_ptr<OutcomeSink> self, Outcome outcome) = 0;
};

class Service {
 public:
  // Opens the database (migrating it), takes the writer lease, loads the state and starts the
  // sequencer. kUnavailable when another writer holds the lease.
  static Result<std::unique_ptr<Service>> Open(const ServiceOptions& options);
  ~Service();  // Stop()s

  // Preflights and queues the command; the future completes after commit.
  std::future<Outcome> Submit(Envelope envelope);
  // Submit and wait.
  Outcome Execute(Envelope envelope);
  // Submit without a thread waiting: the same outcome as Submit's, given to `sink`
  // (OutcomeSink::Receive says on which thread). Batch-mates complete in their batch's order.
  void SubmitAsync(Envelope envelope, std::unique_ptr<OutcomeSink> sink);
  // A refusal decided before any command (its envelope holds `Refused`): without a key it is
  // returned as is; with one it is stored under the key (or meets the key's earlier use: an
  // IdempotencyConflict), through the writer like any outcome.
  Outcome Refuse(Envelope envelope, Outcome refusal);

  // A page of the client's events. Reads the projection after it has caught up with every
  // batch durable when the call began (so a caller sees its own writes); kUnavailable if it does
  // not within a few seconds.
  Result<EventList> ListEvents(const std::string& client_id, const EventFilter& filter);

  // A client's webhook messages of one environment with their delivery state, newest first (of one
  // intent when `intent_id` is set); reads the projection, like ListEvents.
  Result<std::vector<WebhookMessage>> ListWebhookMessages(const std::string& client_id,
                                                          const std::string& environment,
                                                          const std::string& intent_id,
                                                          int64_t limit);

  // Flushes everything queued and stops the writer. Later submissions get kUnavailable.
  void Stop();

  // Records where this writer accepts admin commands (see ReadAdminEndpoint).
  Status PublishAdminEndpoint(const AdminEndpoint& endpoint);

  ServiceStats stats() const;
  // What opening found in the log and did (replayed records, a torn tail cut, a seeded log).
  StartReport start_report() const;
  std::vector<uint32_t> TakeBatchSizes();
  bool sqlite() const;

 private:
  Service() = default;
  // Preflights the command: nullopt when it may run; else its refusal, and `answered` when that
  // refusal is the whole answer (no key to record it under).
  static std::optional<Outcome> RunPreflight(Envelope& envelope, bool* answered);
  // Queues the envelope for the writer; `refused` set: record that outcome, run no handler.
  std::future<Outcome> Queue(Envelope envelope, std::optional<Outcome> refused);
  // Waits (a few seconds at most) until the tables hold every batch durable now.
  Status CatchUpProjection();
  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<ledger::State> state_;
  std::unique_ptr<ledger::Sequencer> seq_;
};

// The admin endpoint published by the writer holding the database's lease:
// {address, hex SHA-256 of its secret}.
// kNotFound when none was published. Opens the database as a reader.
Result<AdminEndpoint> ReadAdminEndpoint(const std::string& db_url);

// Pure checks of a command (what Submit runs first); exposed for tests.
Status Preflight(const Command& command, const Caller& caller, std::vector<FieldError>* errors);

}  // namespace splitledger::service
