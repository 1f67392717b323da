// Store: the durable side of the ledger, through SOCI, on SQLite or PostgreSQL.
//
// One schema (migrations in store.cc) serves both backends. The store is used by one thread at a
// time: the sequencer writes, `verify` and start-up read. Write() puts a whole ChangeSet in one
// database transaction and returns only after COMMIT (SQLite: WAL + synchronous=FULL;
// PostgreSQL: synchronous_commit on), so a caller answered after Write() has durable effects.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "splitledger/core/status.h"
#include "splitledger/ledger/state.h"

namespace soci {
class session;
}

namespace splitledger::ledger {

class SqliteStatementCache;
class PreparedWrite;
struct PreparedWriteDeleter {
  void operator()(PreparedWrite* w) const;
};
using PreparedWritePtr = std::unique_ptr<PreparedWrite, PreparedWriteDeleter>;

enum class Backend { kSqlite, kPostgres };

struct StoreOptions {
  // "sqlite:PATH" (PATH may be relative) or "postgresql://user@host:port/db".
  std::string url;
  // SQLite only: synchronous=FULL unless false (benchmarks of the non-durable path only).
  bool durable = true;
  // The single writer of a database holds its lease for the store's lifetime: an exclusive
  // flock on PATH.lock (SQLite) or a session advisory lock (PostgreSQL). A second writer is
  // refused with kUnavailable. Readers (verify, client create, lookups) pass false.
  bool writer = true;
  // How long to wait for the lease (a previous writer may still be shutting down).
  int lease_wait_ms = 5000;
};

class Store {
 public:
  // Opens the database and applies pending migrations.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Backend backend() const { return backend_; }
  const std::string& url() const { return url_; }

  // Replaces `state` with the database contents.
  Status Load(State& state);

  // Writes a change set in one transaction and commits it: Execute(*Prepare(changes)).
  Status Write(const ChangeSet& changes);

  // Copies what a change set writes into owned rows. Reads the State the change set points into,
  // so it runs on the thread that owns the State.
  PreparedWritePtr Prepare(const ChangeSet& changes);
  // Writes prepared rows in one transaction and commits. May run on another thread than
  // Prepare(), but never concurrently with another use of this Store.
  Status Execute(PreparedWrite& write);

  // Schema version after migrations.
  int SchemaVersion();


  // Where the running writer accepts admin commands (loopback address and secret), so that a CLI
  // that cannot take the lease sends its writes through that writer's sequencer. Operational
  // metadata, like the lease itself: written by the lease holder at start, outside the journal.
  Status PublishAdminEndpoint(const std::string& address, const std::string& secret);
  Result<std::pair<std::string, std::string>> ReadAdminEndpoint();

  soci::session& session() { return *sql_; }

 private:
  Store() = default;
  Status Migrate();

  Backend backend_ = Backend::kSqlite;
  std::string url_;
  std::unique_ptr<soci::session> sql_;
  std::unique_ptr<SqliteStatementCache> sqlite_cache_;
  int lock_fd_ = -1;  // SQLite writer lease
};

// Parses a database URL; kInvalidArgument for anything else.
Result<Backend> ParseBackend(std::string_view url);

}  // namespace splitledger::ledger
