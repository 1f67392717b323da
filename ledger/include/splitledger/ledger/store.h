// Store: the durable side of the ledger, through SOCI, on SQLite or PostgreSQL.
//
// The durable record is an append-only, hash-chained log of committed batches (DESIGN §3;
// docs/adr/0004-log-as-durable-record.md): a file beside a SQLite database, a table on
// PostgreSQL. The relational tables are projections of that log: written after the log, off the
// acknowledgement path, each projection transaction storing the last log position it applied,
// so that a crash between the two is repaired by replaying the log at the next open.
//
// The write path is three steps, each on its own thread in the sequencer:
//   Prepare  (sequencer thread)  copies what a ChangeSet writes into owned rows;
//   Append   (writer thread)     encodes them as one log record and returns once it is durable:
//                                from then on the batch may be acknowledged;
//   Project  (projector thread)  writes records' rows into the tables in one transaction.
// Start-up (Open, as the writer) replays into the tables every record they lack, so a Load()
// after Open() reads everything ever acknowledged.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/ledger/state.h"

namespace soci {
class session;
}

namespace splitledger::ledger {

class SqliteStatementCache;
struct PgCopyContext;
class Log;
class PreparedWrite;
struct PreparedWriteDeleter {
  void operator()(PreparedWrite* w) const;
};
using PreparedWritePtr = std::unique_ptr<PreparedWrite, PreparedWriteDeleter>;

enum class Backend { kSqlite, kPostgres };

struct EventQuery {
  std::string client_id;
  std::string event_type;  // empty: every type
  int64_t after_date = INT64_MIN;
  int64_t before_date = INT64_MAX;
  bool newest_first = false;
  int64_t offset = 0;
  int64_t limit = 10;
};
struct EventPage {
  std::vector<EventRecord> events;
  int64_t total = 0;  // matching events, all pages
};

// A place in the log: the lsn of the last record before it, the byte offset just past that
// record (log files; 0 for the PostgreSQL table) and its chained hash. The zero position is the
// log's start.
struct LogPosition {
  uint64_t lsn = 0;
  uint64_t offset = 0;
  std::string hash = std::string(32, '\0');
};

// Where the writer holding the lease accepts admin commands (api/src/admin.h).
struct AdminEndpoint {
  std::string address;      // its plain listener
  std::string secret_hash;  // hex SHA-256 of the secret
  std::string secret_file;  // the 0600 file holding the secret, on the server's host
};

struct StoreOptions {
  // "sqlite:PATH" (PATH may be relative) or "postgresql://user@host:port/db".
  std::string url;
  // The log is synced before Append() returns unless false (benchmarks of the non-durable path
  // only).
  bool durable = true;
  // The single writer of a database holds its lease for the store's lifetime: an exclusive
  // flock on PATH.lock (SQLite) or a session advisory lock (PostgreSQL). A second writer is
  // refused with kUnavailable. Readers (verify, client create, lookups) pass false: they read the
  // projection as far as it has got, and never write.
  bool writer = true;
  // How long to wait for the lease (a previous writer may still be shutting down).
  int lease_wait_ms = 5000;
  // Writer only: empty every table the log writes and project the whole log again, from its
  // first record (`splitledger rebuild`: a lost or damaged database beside an intact log).
  bool rebuild_from_log = false;
  // Tests only (SQLite's log file): called before each append; returning true makes that append
  // fail halfway through its write, as a full disk or a failing device would.
  std::function<bool(std::string_view payload)> fail_append_for_tests;
};

// What Open() found in the log and did about it (for the start-up log line and tests).
struct RecoveryReport {
  uint64_t log_records = 0;       // the log's last lsn
  uint64_t replayed = 0;          // records projected at start-up (the projection lagged)
  uint64_t snapshot_records = 0;  // records written to seed the log from an older database
  uint64_t torn_bytes_cut = 0;    // an unacknowledged, incomplete last record cut off
  bool rebuilt = false;           // the tables were emptied and projected from the whole log
};

// What writing one table of the projection has cost since the store opened: rows written and
// the time their statements took (committed transactions only; the commit itself, its sync and
// any checkpoint are not any one table's).
struct TableWriteCost {
  std::string table;
  uint64_t rows = 0;
  uint64_t nanos = 0;
};

class Store : public IntentSource {
 public:
  // Opens the database, applies pending migrations and, as the writer, brings the projection up
  // to the end of the log.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Backend backend() const { return backend_; }
  const std::string& url() const { return url_; }
  const RecoveryReport& recovery() const { return recovery_; }

  // Replaces `state` with the projection's contents (complete after a writer's Open(), and
  // whenever projected_lsn() == durable_lsn()).
  Status Load(State& state);

  // Prepare + Append + Project, on the calling thread (tests and tools).
  Status Write(const ChangeSet& changes);

  // Copies what a change set writes into owned rows. Reads the State the change set points into,
  // so it runs on the thread that owns the State.
  PreparedWritePtr Prepare(const ChangeSet& changes);
  // Appends the rows as one log record; returns once the record is durable. After a failure
  // every later Append fails too (the log must be reopened). Writer thread only.
  Status Append(PreparedWrite& write);
  // Writes appended records' rows into the tables in one transaction with their log position.
  // On failure nothing is written and the same writes may be projected again. Projector thread
  // only (and never concurrently with Load).
  Status Project(const std::vector<PreparedWrite*>& writes);

  // Each table's share of the projection so far, in the order tables were first written. Safe
  // from any thread.
  std::vector<TableWriteCost> ProjectionCosts() const;

  // The last durable record, and the last one the tables hold.
  uint64_t durable_lsn() const { return durable_lsn_.load(std::memory_order_acquire); }
  uint64_t projected_lsn() const { return projected_lsn_.load(std::memory_order_acquire); }

  // Reads the log from its start up to the projection's position (or to its end, `to_end`),
  // checking every checksum and the hash chain, and calls `fn` with each record decoded
  // (verify's replay). Read-only; safe beside a running writer.
  Status ScanLog(bool to_end, const std::function<Status(uint64_t lsn, PreparedWrite&)>& fn);
  // The position the projection has reached, as stored with it.
  Result<LogPosition> StoredProjectionPosition();

  // Schema version after migrations.
  int SchemaVersion();
  // kUnavailable when the database needs migrations this release has (a reader never migrates).
  Status CheckSchemaCurrent();

  // Where the running writer accepts admin commands (loopback address, and the hex SHA-256 of
  // its secret: the secret itself never enters the database), so that a CLI that cannot take the
  // lease sends its writes through that writer's sequencer. Operational metadata, like the lease
  // itself: written by the lease holder at start, outside the log.
  Status PublishAdminEndpoint(const AdminEndpoint& endpoint);
  Result<AdminEndpoint> ReadAdminEndpoint();

  // A page of a client's events from the projection (GET /events). The projection may lag the
  // log: callers that must see their own writes wait for projected_lsn() first.
  Result<EventPage> QueryEvents(const EventQuery& query);
  // A client's webhook messages, newest first (of one intent when `intent_id` is set).
  Result<std::vector<WebhookMessage>> QueryWebhookMessages(const std::string& client_id,
                                                           const std::string& environment,
                                                           const std::string& intent_id,
                                                           int64_t limit);

  soci::session& session() { return *sql_; }

  // IntentSource: intents the writer dropped from memory, read back from the tables on a
  // session of their own. The writer's sequencer thread only; a dropped intent's rows are all
  // projected (State::TrimIntents), so the tables hold its last version.
  Result<std::optional<Intent>> ReadIntent(std::string_view client_id,
                                           std::string_view intent_id) override;
  Result<std::optional<std::string>> FindIntentIdByReference(std::string_view client_id,
                                                             std::string_view provider,
                                                             std::string_view reference) override;

 private:
  Store();
  Status Migrate();
  // The log of this database, for appending (the lease holder) or for reading.
  Result<std::unique_ptr<Log>> OpenLogAs(bool writer);
  Status OpenLog();
  Status Recover();
  Status SeedLogFromTables();
  Status EmptyTables();
  Result<soci::session*> ReadBackSession();
  // Runs `read` on the read-back session, once more on a new session if the first one fails.
  template <class T, class Fn>
  Result<T> ReadBack(const char* what, Fn read);

  Backend backend_ = Backend::kSqlite;
  std::string url_;
  bool writer_ = false;
  bool durable_ = true;
  bool rebuild_ = false;
  std::function<bool(std::string_view)> fail_append_for_tests_;
  std::unique_ptr<soci::session> sql_;       // the tables: projection writes and reads
  std::unique_ptr<soci::session> log_sql_;   // PostgreSQL writer: the lease and the log table
  std::unique_ptr<soci::session> read_sql_;  // intents read back (sequencer thread, lazily)
  std::unique_ptr<SqliteStatementCache> sqlite_cache_;
  std::unique_ptr<PgCopyContext> pg_copy_;  // the projection session's staging tables
  std::unique_ptr<Log> log_;
  std::mutex sql_mu_;  // sql_ is shared by the projector and the admin-endpoint calls
  mutable std::mutex costs_mu_;
  std::vector<TableWriteCost> costs_;  // guarded by costs_mu_; one entry per table
  LogPosition projected_;
  std::atomic<uint64_t> durable_lsn_{0};
  std::atomic<uint64_t> projected_lsn_{0};
  RecoveryReport recovery_;
  int lock_fd_ = -1;  // SQLite writer lease
};

// Parses a database URL; kInvalidArgument for anything else.
Result<Backend> ParseBackend(std::string_view url);

}  // namespace splitledger::ledger
