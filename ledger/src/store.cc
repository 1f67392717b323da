#include "splitledger/ledger/store.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
// soci-sqlite3.h includes sqlite3.h inside namespace sqlite_api.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <ctime>

#include <chrono>

#include <filesystem>
#include <thread>
#include <utility>

#include "log.h"
#include "logged_tables.h"
#include "table.h"

namespace splitledger::ledger {

using namespace sqlite_api;  // NOLINT: the raw SQLite API, as wrapped by SOCI
namespace {

// Upserts of one described entity type's changed rows.
template <class T>
void AddUpserts(PreparedWrite& w, const Table<T>& table, const std::vector<const T*>& items) {
  Rows rows = table.NewRows();
  for (const T* x : items) table.Append(rows, *x);
  w.Add(std::move(rows), WriteMode::kUpsert);
}

// Reads every row of a described table into `load`.
template <class T, class F>
void LoadAll(soci::session& sql, const Table<T>& table, const char* order_by, F&& load) {
  soci::rowset<soci::row> rs = sql.prepare << "SELECT " + table.ColumnNames() + " FROM " +
                                                  std::string(table.name) + order_by;
  for (const soci::row& r : rs) load(table.Read(r));
}

// Schema migrations, applied in order. Never edit a released migration: append a new one.
// Types are chosen to mean the same on both backends (BIGINT = int64, TEXT = UTF-8 string).
struct Migration {
  std::vector<std::string> statements;
  // Runs after the statements, in the same transaction (data conversions).
  void (*convert)(soci::session&, Backend) = nullptr;
};

const std::vector<Migration> kMigrations = {
    {{
        R"(CREATE TABLE clients (
             id TEXT PRIMARY KEY, name TEXT NOT NULL, api_key_salt TEXT NOT NULL,
             api_key_hash TEXT NOT NULL, profile TEXT NOT NULL, created_at BIGINT NOT NULL)
             {WITHOUT_ROWID})",
        R"(CREATE TABLE oauth_tokens (
             token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at BIGINT NOT NULL)
             {WITHOUT_ROWID})",
        R"(CREATE TABLE accounts (
             id {INT64_PK}, client_id TEXT NOT NULL, currency TEXT NOT NULL,
             kind TEXT NOT NULL, ref TEXT NOT NULL,
             debits_posted BIGINT NOT NULL, credits_posted BIGINT NOT NULL,
             debits_pending BIGINT NOT NULL, credits_pending BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             UNIQUE (client_id, currency, kind, ref)))",
        R"(CREATE TABLE journal_transactions (
             id {INT64_PK}, client_id TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
             created_at BIGINT NOT NULL))",
        R"(CREATE TABLE postings (
             tx_id BIGINT NOT NULL, seq BIGINT NOT NULL, account_id BIGINT NOT NULL,
             side BIGINT NOT NULL, phase BIGINT NOT NULL, amount BIGINT NOT NULL,
             posted_balance_after BIGINT NOT NULL, pending_balance_after BIGINT NOT NULL,
             PRIMARY KEY (tx_id, seq)){WITHOUT_ROWID})",
        "CREATE INDEX postings_by_account ON postings (account_id, tx_id, seq)",
        "CREATE INDEX journal_by_ref ON journal_transactions (client_id, ref)",
        R"(CREATE TABLE intents (
             id TEXT PRIMARY KEY, client_id TEXT NOT NULL, currency TEXT NOT NULL,
             status TEXT NOT NULL, amount BIGINT NOT NULL, platform_fees BIGINT NOT NULL,
             unfunded_amount BIGINT NOT NULL, buyer_id TEXT NOT NULL,
             ext_processing_date BIGINT NOT NULL, ext_provider_reference TEXT NOT NULL,
             ext_merchant_reference TEXT NOT NULL, ext_provider_name TEXT NOT NULL,
             ext_payment_method TEXT NOT NULL,
             created_at BIGINT NOT NULL, execution_date BIGINT NOT NULL){WITHOUT_ROWID})",
        "CREATE INDEX intents_by_reference ON intents (client_id, ext_provider_name, "
        "ext_provider_reference)",
        R"(CREATE TABLE intent_line_items (
             id TEXT PRIMARY KEY, intent_id TEXT NOT NULL, position BIGINT NOT NULL,
             sku TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
             category TEXT NOT NULL, quantity BIGINT NOT NULL, unit_amount BIGINT NOT NULL,
             tax_amount BIGINT NOT NULL, discount_amount BIGINT NOT NULL,
             seller_author_id TEXT NOT NULL, seller_wallet_id TEXT NOT NULL,
             seller_transfer_date BIGINT, shipping_address TEXT NOT NULL,
             total BIGINT NOT NULL, fee_initial BIGINT NOT NULL, fee BIGINT NOT NULL,
             captured BIGINT NOT NULL, cancelled BIGINT NOT NULL, refunded BIGINT NOT NULL,
             disputed BIGINT NOT NULL, split BIGINT NOT NULL){WITHOUT_ROWID})",
        "CREATE INDEX line_items_by_intent ON intent_line_items (intent_id, position)",
        R"(CREATE TABLE intent_actions (
             id TEXT PRIMARY KEY, intent_id TEXT NOT NULL, position BIGINT NOT NULL,
             kind TEXT NOT NULL, status TEXT NOT NULL, amount BIGINT NOT NULL,
             created_at BIGINT NOT NULL, ext_present BIGINT NOT NULL,
             ext_processing_date BIGINT NOT NULL, ext_provider_reference TEXT NOT NULL,
             ext_merchant_reference TEXT NOT NULL, ext_provider_name TEXT NOT NULL,
             ext_payment_method TEXT NOT NULL){WITHOUT_ROWID})",
        "CREATE INDEX actions_by_intent ON intent_actions (intent_id, position)",
        R"(CREATE TABLE intent_action_lines (
             action_id TEXT NOT NULL, position BIGINT NOT NULL, line_item_id TEXT NOT NULL,
             amount BIGINT NOT NULL, fee_removed BIGINT NOT NULL,
             PRIMARY KEY (action_id, position)){WITHOUT_ROWID})",
        R"(CREATE TABLE idempotency_keys (
             client_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL,
             status_code BIGINT NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL,
             request_url TEXT NOT NULL, resource_id TEXT NOT NULL, created_at BIGINT NOT NULL,
             PRIMARY KEY (client_id, idem_key)){WITHOUT_ROWID})",
        R"(CREATE TABLE documents (
             kind TEXT NOT NULL, id TEXT NOT NULL, client_id TEXT NOT NULL, body TEXT NOT NULL,
             created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, seq BIGINT NOT NULL,
             PRIMARY KEY (kind, id)){WITHOUT_ROWID})",
        "CREATE INDEX documents_by_client ON documents (client_id, kind, seq)",
        R"(CREATE TABLE events (
             id BIGINT PRIMARY KEY, client_id TEXT NOT NULL, event_type TEXT NOT NULL,
             resource_id TEXT NOT NULL, date BIGINT NOT NULL))",
    }},
    // 0.2: typed entities (users, wallets, client wallets, client profiles) replace the JSON
    // documents; idempotency records keep a typed result; indexes no query used are dropped.
    {{
         "ALTER TABLE idempotency_keys ADD COLUMN result TEXT NOT NULL DEFAULT ''",
         R"(CREATE TABLE wallet_owners (
              client_id TEXT NOT NULL, owner_id TEXT NOT NULL, wallet_id TEXT NOT NULL,
              PRIMARY KEY (client_id, owner_id, wallet_id)){WITHOUT_ROWID})",
         "CREATE TABLE admin_endpoint (id BIGINT PRIMARY KEY, address TEXT NOT NULL, "
         "secret TEXT NOT NULL)",
         // Events keyed by an integer rowid on SQLite (one B-tree insert per event, not two).
         R"(CREATE TABLE events_v2 (
              id {INT64_PK}, client_id TEXT NOT NULL, event_type TEXT NOT NULL,
              resource_id TEXT NOT NULL, date BIGINT NOT NULL))",
         "INSERT INTO events_v2 (id, client_id, event_type, resource_id, date) "
         "SELECT id, client_id, event_type, resource_id, date FROM events",
         "DROP TABLE events",
         "ALTER TABLE events_v2 RENAME TO events",
         "DROP INDEX journal_by_ref",
         "DROP INDEX intents_by_reference",
         "DROP INDEX line_items_by_intent",
         "DROP INDEX actions_by_intent",
     },
     &UpgradeDocumentsToEntities},
    // 0.3: no query reads postings by account yet (balances and running balances come from the
    // accounts and the postings themselves; verify reads postings in key order). The index cost
    // 13 B-tree inserts per operation on the projection, the write path's bound. The by-account
    // history (statements, balance at a past instant) brings its own access path with it.
    {{"DROP INDEX postings_by_account"}},
    // 0.4: GET /events reads a client's events from the projection, newest or oldest first.
    {{"CREATE INDEX events_by_client ON events (client_id, id)"}},
    // 0.5: the admin endpoint's secret leaves the database (only its hash stays; the lease
    // holder republishes at every start, so the row is dropped, not converted).
    {{"DROP TABLE IF EXISTS admin_endpoint"}},
    // 0.5: wallet statements and balances at a past instant read an account's postings in
    // journal order (`splitledger admin statement|balance`); the projection pays one more
    // B-tree insert per posting for it (docs/performance.md).
    {{"CREATE INDEX postings_by_account ON postings (account_id, tx_id)"}},
    // 0.7: the writer keeps a bounded number of intents in memory and reads the others back from
    // the projection (State::SetIntentCache): one intent's rows, and an intent by its PSP
    // reference. Four more B-tree inserts per two-line intent on the projection
    // (docs/performance.md); intent_splits gets its own in SyncLedgerTables (the table is
    // created there).
    {{"CREATE INDEX line_items_by_intent ON intent_line_items (intent_id, position)",
      "CREATE INDEX actions_by_intent ON intent_actions (intent_id, position)",
      "CREATE INDEX intents_by_reference ON intents (client_id, ext_provider_reference)"}},
};

}  // namespace

void PreparedWriteDeleter::operator()(PreparedWrite* w) const { delete w; }

namespace {}  // namespace

// libpq accepts URIs, but SOCI 4.0 re-parses the connection string as key=value pairs and
// mangles them, so convert postgresql://user:pass@host:port/db?k=v to "host=… port=… …".
Result<std::string> PostgresConnectString(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = url.substr(scheme + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  std::string_view dbname;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    dbname = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view userinfo, hostport = rest;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    hostport = rest.substr(at + 1);
  }
  auto quote = [](std::string_view v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\\' || c == '\'') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  };
  std::string out;
  auto add = [&](const char* k, std::string_view v) {
    if (v.empty()) return;
    if (!out.empty()) out.push_back(' ');
    out += std::string(k) + "=" + quote(v);
  };
  if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
    add("user", userinfo.substr(0, colon));
    add("password", userinfo.substr(colon + 1));
  } else {
    add("user", userinfo);
  }
  std::string_view host = hostport, port;
  if (size_t colon = hostport.rfind(':');
      colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  add("host", host);
  add("port", port);
  add("dbname", dbname);
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (size_t eq = kv.find('='); eq != std::string::npos)
      add(kv.substr(0, eq).c_str(), kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  if (dbname.empty()) return Status::Invalid("PostgreSQL URL needs a database name", "db");
  return out;
}

// Calls `attempt` until it returns true or `wait_ms` have passed.
template <typename F>
bool RetryFor(int wait_ms, F attempt) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (attempt()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<Backend> ParseBackend(std::string_view url) {
  if (url.rfind("sqlite:", 0) == 0 && url.size() > 7) return Backend::kSqlite;
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return Backend::kPostgres;
  }
  return Status::Invalid("database URL must be sqlite:PATH or postgresql://…", "db");
}

Store::Store() = default;

Store::~Store() {
  log_.reset();
  sqlite_cache_.reset();  // finalise statements before the connection closes
  sql_.reset();
  log_sql_.reset();
  read_sql_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

namespace {

// Takes PostgreSQL's writer lease on `sql`: a session advisory lock, held until the session ends
// (a crash releases it too).
bool TakePostgresLease(soci::session& sql, int wait_ms) {
  return RetryFor(wait_ms, [&] {
    int got = 0;
    sql << "SELECT CASE WHEN pg_try_advisory_lock(1397771332) THEN 1 ELSE 0 END", soci::into(got);
    return got == 1;
  });
}

PGconn* RawConnection(soci::session& sql) {
  return static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
}

std::string LogFilePath(const std::string& url) { return url.substr(7) + ".log"; }

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto backend = ParseBackend(options.url);
  if (!backend.ok()) return backend.status();
  std::unique_ptr<Store> store(new Store());
  store->backend_ = *backend;
  store->url_ = options.url;
  store->writer_ = options.writer;
  store->durable_ = options.durable;
  store->rebuild_ = options.rebuild_from_log && options.writer;
  store->fail_append_for_tests_ = options.fail_append_for_tests;
  try {
    if (*backend == Backend::kSqlite) {
      // Each connection is used by one thread at a time, so SQLite's per-call mutexes and
      // memory statistics are pure overhead. Only effective before SQLite initialises; the
      // call fails harmlessly afterwards.
      static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
      }();
      (void)configured;
      std::filesystem::path path(options.url.substr(7));
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
      if (options.writer) {
        std::string lock_path = path.string() + ".lock";
        store->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        bool locked = RetryFor(options.lease_wait_ms, [&] {
          return store->lock_fd_ >= 0 && ::flock(store->lock_fd_, LOCK_EX | LOCK_NB) == 0;
        });
        if (!locked) {
          return Status::Unavailable("database " + path.string() +
                                     " is in use by another splitledger writer (lock " + lock_path +
                                     ")");
        }
      }
      store->sql_ =
          std::make_unique<soci::session>(soci::sqlite3, "db=\"" + path.string() + "\" timeout=30");
      soci::session& sql = *store->sql_;
      std::string mode;
      sql << "PRAGMA journal_mode=WAL", soci::into(mode);
      if (mode != "wal") return Status::Internal("SQLite refused WAL mode (" + mode + ")");
      // The log is the durable record: a projection transaction lost to a power cut is replayed
      // from the log, so the tables need not be synced at each commit (WAL keeps them
      // consistent). Synced at checkpoints.
      sql << (options.durable ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF");
      sql << "PRAGMA cache_size=-65536";
      // SQLite's default size. A checkpoint writes that many pages and syncs the file, and the
      // log's next fdatasync waits behind it on the same disk: 8 000 pages (32 MB) put a 20 ms
      // stall into the latency tail of every request in flight (p99 24 ms against 8.5 ms at 16
      // connections, docs/performance-http.md) for no throughput the bench could measure.
      sql << "PRAGMA wal_autocheckpoint=1000";
      store->sqlite_cache_ = std::make_unique<SqliteStatementCache>();
    } else {
      auto conn = PostgresConnectString(options.url);
      if (!conn.ok()) return conn.status();
      if (options.writer) {
        // The lease and the log share one session, the writer thread's.
        store->log_sql_ = std::make_unique<soci::session>(soci::postgresql, *conn);
        *store->log_sql_ << "SET synchronous_commit = on";
        *store->log_sql_ << "SET client_min_messages = warning";
        if (!TakePostgresLease(*store->log_sql_, options.lease_wait_ms)) {
          return Status::Unavailable(
              "database is in use by another splitledger writer "
              "(advisory lock 1397771332)");
        }
      }
      store->sql_ = std::make_unique<soci::session>(soci::postgresql, *conn);
      *store->sql_ << "SET client_min_messages = warning";
      // As on SQLite, the projection is rebuilt from the log after a crash: its commits need not
      // wait for the WAL flush.
      if (options.writer) *store->sql_ << "SET synchronous_commit = off";
    }
    // Only the writer migrates: a reader (verify, the admin reports, a CLI looking for the
    // admin endpoint) may run beside an older server and must not change its schema.
    SL_RETURN_IF_ERROR(options.writer ? store->Migrate() : store->CheckSchemaCurrent());
    if (options.writer) {
      SL_RETURN_IF_ERROR(store->OpenLog());
      SL_RETURN_IF_ERROR(store->Recover());
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot open database: ") + e.what());
  }
  return store;
}

Result<std::unique_ptr<Log>> Store::OpenLogAs(bool writer) {
  if (backend_ == Backend::kSqlite) {
    return OpenFileLog(LogFilePath(url_), writer, durable_,
                       writer ? fail_append_for_tests_ : nullptr);
  }
  return OpenTableLog(RawConnection(writer ? *log_sql_ : *sql_), writer);
}

Status Store::OpenLog() {
  auto log = OpenLogAs(writer_);
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  return Status::Ok();
}

Result<LogPosition> Store::StoredProjectionPosition() {
  std::lock_guard<std::mutex> lock(sql_mu_);
  LogPosition pos;
  try {
    soci::rowset<soci::row> rs =
        sql_->prepare << "SELECT " + kProjectionTable.ColumnNames() + " FROM projection_state";
    for (const soci::row& r : rs) {
      ProjectionRow row = kProjectionTable.Read(r);
      pos.lsn = static_cast<uint64_t>(row.lsn);
      pos.offset = static_cast<uint64_t>(row.log_offset);
      pos.hash = HexDecode(row.hash);
      if (pos.hash.size() != kLogHashSize) return Status::Corruption("projection_state: bad hash");
      return pos;
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read projection_state: ") + e.what());
  }
  return Status::NotFound("the tables have no log position (a database older than the log)");
}

// Brings the tables up to the end of the log. A database written before the log existed (no
// projection position) first gets its contents copied into the log as snapshot records, so that
// the log alone describes everything.
Status Store::EmptyTables() {
  std::lock_guard<std::mutex> lock(sql_mu_);
  try {
    soci::transaction tx(*sql_);
    for (const TableSchema* table : LoggedTables())
      *sql_ << "DELETE FROM " + std::string(table->name);
    *sql_ << "DELETE FROM projection_state";
    Rows position = kProjectionTable.NewRows();
    kProjectionTable.Append(position, ProjectionRow{1, 0, 0, HexEncode(LogPosition{}.hash)});
    position.Insert(*sql_, backend_, sqlite_cache_.get(), WriteMode::kUpsert);
    tx.commit();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot empty the tables: ") + e.what());
  }
  recovery_.rebuilt = true;
  return Status::Ok();
}

Status Store::Recover() {
  if (rebuild_) SL_RETURN_IF_ERROR(EmptyTables());
  auto stored = StoredProjectionPosition();
  if (!stored.ok() && stored.status().code() != ErrorCode::kNotFound) return stored.status();
  if (!stored.ok()) {
    SL_RETURN_IF_ERROR(SeedLogFromTables());
    stored = StoredProjectionPosition();
    if (!stored.ok()) return stored.status();
  }
  projected_ = *stored;
  projected_lsn_.store(projected_.lsn, std::memory_order_release);
  constexpr size_t kReplayGroup = 128;  // records per projection transaction at start-up
  std::vector<std::unique_ptr<PreparedWrite>> group;
  auto flush = [&]() -> Status {
    if (group.empty()) return Status::Ok();
    std::vector<PreparedWrite*> ptrs;
    for (auto& w : group) ptrs.push_back(w.get());
    SL_RETURN_IF_ERROR(Project(ptrs));
    recovery_.replayed += group.size();
    group.clear();
    return Status::Ok();
  };
  LogTail tail;
  Status scanned = log_->Scan(projected_, /*repair=*/true, &tail, [&](LogRecord& rec) -> Status {
    auto w = std::make_unique<PreparedWrite>();
    if (!PreparedWrite::Decode(rec.payload, w.get())) {
      return Status::Corruption(log_->Describe() + ": record " + std::to_string(rec.lsn) +
                                " passes its checksum but cannot be decoded");
    }
    w->end = rec.end;
    group.push_back(std::move(w));
    return group.size() >= kReplayGroup ? flush() : Status::Ok();
  });
  SL_RETURN_IF_ERROR(scanned);
  SL_RETURN_IF_ERROR(flush());
  recovery_.torn_bytes_cut = tail.cut ? tail.torn_bytes : 0;
  recovery_.log_records = log_->end().lsn;
  durable_lsn_.store(log_->end().lsn, std::memory_order_release);
  return Status::Ok();
}

Status Store::SeedLogFromTables() {
  LogTail tail;
  uint64_t batches = 0;
  SL_RETURN_IF_ERROR(log_->Scan(LogPosition{}, /*repair=*/true, &tail, [&](LogRecord& rec) {
    PreparedWrite w;
    if (PreparedWrite::Decode(rec.payload, &w) && w.kind == PreparedWrite::Kind::kBatch) ++batches;
    return Status::Ok();
  }));
  if (batches > 0) {
    return Status::Corruption(log_->Describe() +
                              " holds batches but the tables have no log "
                              "position: is this the database the log belongs to? If the "
                              "database was lost, `splitledger rebuild` projects the log into "
                              "fresh tables");
  }
  if (log_->end().lsn > 0) {
    // A seed cut short by a crash (snapshot records only, the tables untouched): start again.
    if (backend_ == Backend::kSqlite) {
      if (::truncate(LogFilePath(url_).c_str(), 0) != 0) {
        return Status::Unavailable("cannot reset the unfinished log " + log_->Describe());
      }
    } else {
      *log_sql_ << "DELETE FROM ledger_log";
    }
    SL_RETURN_IF_ERROR(OpenLog());
  }
  // Copy every logged table in chunks of rows (bounded memory whatever the database's size).
  constexpr size_t kChunkRows = 20000;
  for (const TableSchema* table : LoggedTables()) {
    PreparedWrite chunk;
    chunk.kind = PreparedWrite::Kind::kSnapshot;
    Rows rows = table->NewRows();
    auto append = [&]() -> Status {
      chunk.Add(std::move(rows), WriteMode::kUpsert);
      rows = table->NewRows();
      SL_RETURN_IF_ERROR(log_->Append(chunk.Encode()));
      chunk.statements.clear();
      ++recovery_.snapshot_records;
      return Status::Ok();
    };
    soci::rowset<soci::row> rs = sql_->prepare
                                 << "SELECT " + table->ColumnNames() + " FROM " + table->name;
    for (const soci::row& r : rs) {
      table->AppendStored(rows, r);
      if (rows.size() >= kChunkRows) SL_RETURN_IF_ERROR(append());
    }
    if (rows.size() > 0) SL_RETURN_IF_ERROR(append());
  }
  // The tables already hold what the snapshot says: record that they are at its end.
  PreparedWrite none;
  none.end = log_->end();
  return Project({&none});
}

Status Store::Migrate() {
  soci::session& sql = *sql_;
  sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
         "applied_at BIGINT NOT NULL)";
  int current = SchemaVersion();
  for (size_t v = static_cast<size_t>(current); v < kMigrations.size(); ++v) {
    soci::transaction tx(sql);
    for (const std::string& stmt : kMigrations[v].statements) sql << ForBackend(stmt, backend_);
    if (kMigrations[v].convert != nullptr) kMigrations[v].convert(sql, backend_);
    long long version = static_cast<long long>(v + 1);
    long long now = static_cast<long long>(std::time(nullptr));
    sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)",
        soci::use(version), soci::use(now);
    tx.commit();
  }
  // Described tables follow their description (additive changes need no written migration).
  soci::transaction tx(sql);
  SyncEntityTables(sql, backend_);
  SyncLedgerTables(sql, backend_);
  tx.commit();
  return Status::Ok();
}

Status Store::CheckSchemaCurrent() {
  int current = SchemaVersion();
  if (current < static_cast<int>(kMigrations.size())) {
    return Status::Unavailable(
        "the database is at schema version " + std::to_string(current) +
        " and this release reads " + std::to_string(kMigrations.size()) +
        ": start this release's `splitledger serve` on it first (the writer migrates), then retry");
  }
  return Status::Ok();
}

int Store::SchemaVersion() {
  soci::indicator ind;
  long long v = 0;
  *sql_ << "SELECT MAX(version) FROM schema_migrations", soci::into(v, ind);
  return ind == soci::i_ok ? static_cast<int>(v) : 0;
}

namespace {
// Adds `c` to its table's entry (a linear search: a few dozen tables at most).
void AddCost(std::vector<TableWriteCost>& costs, const TableWriteCost& c) {
  for (TableWriteCost& have : costs) {
    if (have.table == c.table) {
      have.rows += c.rows;
      have.nanos += c.nanos;
      return;
    }
  }
  costs.push_back(c);
}
}  // namespace

PreparedWritePtr Store::Prepare(const ChangeSet& cs) {
  PreparedWritePtr w(new PreparedWrite());
  {
    // New accounts are plain inserts (PostgreSQL: COPY straight into the table, no staging);
    // only accounts that existed before the batch need the upsert.
    Rows new_accounts = kAccountsTable.NewRows();
    new_accounts.Reserve(cs.new_accounts.size());
    for (const Account* a : cs.new_accounts) kAccountsTable.Append(new_accounts, AccountRowRef{a});
    w->Add(std::move(new_accounts), WriteMode::kInsert);
    Rows accounts = kAccountsTable.NewRows();
    accounts.Reserve(cs.changed_accounts.size());
    for (const Account* a : cs.changed_accounts) kAccountsTable.Append(accounts, AccountRowRef{a});
    w->Add(std::move(accounts), WriteMode::kUpsert);

    Rows txs = kJournalTable.NewRows();
    Rows postings = kPostingsTable.NewRows();
    size_t posting_count = 0;
    for (const JournalTx& t : cs.transactions) posting_count += t.postings.size();
    txs.Reserve(cs.transactions.size());
    postings.Reserve(posting_count);
    for (const JournalTx& t : cs.transactions) {
      kJournalTable.Append(txs, t);
      for (size_t i = 0; i < t.postings.size(); ++i) {
        kPostingsTable.Append(postings, PostingRow{t.id, static_cast<int64_t>(i), t.postings[i]});
      }
    }
    w->Add(std::move(txs), WriteMode::kInsert);
    w->Add(std::move(postings), WriteMode::kInsert);

    // Views of the State's intents: nothing is copied but the row values themselves. Intents and
    // lines created in this batch are plain inserts (PostgreSQL: COPY straight into the table,
    // no staging); the others are upserted.
    auto add_intents = [&](const std::vector<const Intent*>& from, WriteMode mode) {
      Rows intents = kIntentsTable.NewRows();
      intents.Reserve(from.size());
      for (const Intent* in : from) {
        kIntentsTable.Append(
            intents, IntentRowRef{const_cast<Intent*>(in), in->amount(), in->platform_fees(),
                                  IntentStatusName(in->status)});
      }
      w->Add(std::move(intents), mode);
    };
    add_intents(cs.new_intents, WriteMode::kInsert);
    add_intents(cs.intents, WriteMode::kUpsert);
    auto add_lines = [&](const std::vector<std::pair<const Intent*, size_t>>& from,
                         WriteMode mode) {
      Rows lines = kLinesTable.NewRows();
      lines.Reserve(from.size());
      for (const auto& [in, idx] : from) {
        Intent* mut = const_cast<Intent*>(in);
        kLinesTable.Append(lines,
                           LineRowRef{&mut->id, static_cast<int64_t>(idx), &mut->lines[idx]});
      }
      w->Add(std::move(lines), mode);
    };
    add_lines(cs.new_lines, WriteMode::kInsert);
    add_lines(cs.lines, WriteMode::kUpsert);

    // Actions whose status changed (a refund reversed, a dispute decided) are rewritten whole.
    Rows changed_actions = kActionsTable.NewRows();
    for (const auto& [in, idx] : cs.changed_actions) {
      Intent* mut = const_cast<Intent*>(in);
      ActionRecord& a = mut->actions[idx];
      kActionsTable.Append(changed_actions, ActionRowRef{&mut->id, static_cast<int64_t>(idx), &a,
                                                         ActionKindName(a.kind)});
    }
    Rows actions = kActionsTable.NewRows();
    Rows action_lines = kActionLinesTable.NewRows();
    actions.Reserve(cs.actions.size());
    action_lines.Reserve(cs.actions.size() * 2);  // a guess: most actions touch a line or two
    for (const auto& [in, idx] : cs.actions) {
      Intent* mut = const_cast<Intent*>(in);
      ActionRecord& a = mut->actions[idx];
      kActionsTable.Append(
          actions, ActionRowRef{&mut->id, static_cast<int64_t>(idx), &a, ActionKindName(a.kind)});
      for (size_t i = 0; i < a.lines.size(); ++i) {
        kActionLinesTable.Append(
            action_lines, ActionLineRowRef{&a.id, static_cast<int64_t>(i),
                                           &mut->lines[a.lines[i].line_index].id, &a.lines[i]});
      }
    }
    w->Add(std::move(actions), WriteMode::kInsert);
    w->Add(std::move(changed_actions), WriteMode::kUpsert);
    w->Add(std::move(action_lines), WriteMode::kInsert);

    Rows splits = kSplitsTable.NewRows();
    for (const auto& [in, idx] : cs.splits) {
      Intent* mut = const_cast<Intent*>(in);
      Split& sp = mut->splits[idx];
      kSplitsTable.Append(
          splits, SplitRowRef{&mut->id, static_cast<int64_t>(idx), &mut->lines[sp.line_index].id,
                              &sp, SplitStatusName(sp.status)});
    }
    w->Add(std::move(splits), WriteMode::kUpsert);

    Rows settlements = kSettlementsTable.NewRows();
    for (const Settlement* st : cs.settlements) {
      kSettlementsTable.Append(settlements, SettlementRow::Of(*st));
    }
    w->Add(std::move(settlements), WriteMode::kUpsert);

    Rows hooks = kHooksTable.NewRows();
    for (const Hook* h : cs.hooks) kHooksTable.Append(hooks, *h);
    w->Add(std::move(hooks), WriteMode::kUpsert);
    Rows deliveries = kHookDeliveriesTable.NewRows();
    for (const HookDelivery& d : cs.deliveries) kHookDeliveriesTable.Append(deliveries, d);
    w->Add(std::move(deliveries), WriteMode::kUpsert);

    Rows clients = kClientsTable.NewRows();
    for (const Client* c : cs.clients) kClientsTable.Append(clients, *c);
    // The key columns belong to the credentials command too; a full upsert keeps them current.
    w->Add(std::move(clients), WriteMode::kUpsert);

    Rows tokens = kTokensTable.NewRows();
    for (const TokenRecord& t : cs.tokens) kTokensTable.Append(tokens, t);
    w->Add(std::move(tokens), WriteMode::kInsert);

    Rows certs = kCertificatesTable.NewRows();
    for (const ClientCertificate* c : cs.certificates) kCertificatesTable.Append(certs, *c);
    w->Add(std::move(certs), WriteMode::kUpsert);

    Rows admins = kAdminUsersTable.NewRows();
    for (const AdminUser* u : cs.admin_users) kAdminUsersTable.Append(admins, *u);
    w->Add(std::move(admins), WriteMode::kUpsert);

    AddUpserts(*w, kPaymentsTable, cs.payments);
    AddUpserts(*w, kAttemptsTable, cs.attempts);
    AddUpserts(*w, kPspOperationsTable, cs.psp_operations);
    AddUpserts(*w, kApiKeysTable, cs.api_keys);
    AddUpserts(*w, kWebhookEndpointsTable, cs.webhook_endpoints);
    // Received PSP events: a redelivery stays a duplicate after a restart.
    AddUpserts(*w, kPspEventsTable, cs.psp_events);
    Rows hooks_out = kWebhookMessagesTable.NewRows();
    for (const WebhookMessage& m : cs.webhook_messages) kWebhookMessagesTable.Append(hooks_out, m);
    w->Add(std::move(hooks_out), WriteMode::kUpsert);

    Rows idem = kIdempotencyTable.NewRows();
    for (const IdempotencyRecord* r : cs.idempotency) kIdempotencyTable.Append(idem, *r);
    w->Add(std::move(idem), WriteMode::kInsert);

    Rows users = kUsersTable.NewRows();
    for (const User* u : cs.users) kUsersTable.Append(users, *u);
    w->Add(std::move(users), WriteMode::kUpsert);
    Rows wallets = kWalletsTable.NewRows();
    for (const Wallet* x : cs.wallets) kWalletsTable.Append(wallets, *x);
    w->Add(std::move(wallets), WriteMode::kUpsert);
    Rows owners = kWalletOwnersTable.NewRows();
    for (const Wallet* x : cs.new_wallets) {
      for (const std::string& o : x->owners)
        kWalletOwnersTable.Append(owners, {x->client_id, o, x->id});
    }
    w->Add(std::move(owners), WriteMode::kInsertOrIgnore);
    Rows client_wallets = kClientWalletsTable.NewRows();
    for (const ClientWallet* x : cs.client_wallets) kClientWalletsTable.Append(client_wallets, *x);
    w->Add(std::move(client_wallets), WriteMode::kInsertOrIgnore);

    Rows events = kEventsTable.NewRows();
    events.Reserve(cs.events.size());
    for (const EventRecord& e : cs.events) kEventsTable.Append(events, e);
    w->Add(std::move(events), WriteMode::kInsert);
  }
  return w;
}

Status Store::Append(PreparedWrite& w) {
  Status st = log_->Append(w.Encode());
  if (!st.ok()) return st;
  w.end = log_->end();
  durable_lsn_.store(w.end.lsn, std::memory_order_release);
  return Status::Ok();
}

Status Store::Project(const std::vector<PreparedWrite*>& writes) {
  if (writes.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(sql_mu_);
  soci::session& sql = *sql_;
  const LogPosition& end = writes.back()->end;
  // Costs of this transaction, folded into costs_ once it commits (one lock per transaction).
  std::vector<TableWriteCost> costs;
  auto timed = [&costs](const std::string& table, size_t rows, auto&& write) {
    if (rows == 0) return;
    auto start = std::chrono::steady_clock::now();
    write();
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
    AddCost(costs, {table, rows, static_cast<uint64_t>(nanos)});
  };
  try {
    soci::transaction tx(sql);
    if (backend_ == Backend::kPostgres) {
      // One binary COPY (and one upsert) per table for the whole group.
      if (!pg_copy_) pg_copy_ = std::make_unique<PgCopyContext>();
      pg_copy_->conn = RawConnection(sql);
      pg_copy_->used_in_tx.clear();
      for (auto& [rows, mode] : MergeStatements(writes)) {
        timed(rows.table(), rows.size(), [&] { rows.CopyInto(*pg_copy_, mode); });
      }
    } else {
      // The group's rows in place, each key written once: a row changed by several records of
      // the group (an account's balance, an intent created then captured) is written in its
      // last version only.
      for (const MergedStatement& m : PlanStatements(writes)) {
        timed(m.layout->table(), m.rows.size(),
              [&] { m.layout->SqliteInsert(sql, sqlite_cache_.get(), m.mode, m.rows); });
      }
    }
    Rows position = kProjectionTable.NewRows();
    kProjectionTable.Append(
        position, ProjectionRow{1, static_cast<int64_t>(end.lsn), static_cast<int64_t>(end.offset),
                                HexEncode(end.hash)});
    position.Insert(sql, backend_, sqlite_cache_.get(), WriteMode::kUpsert);
    tx.commit();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("projection failed: ") + e.what());
  }
  projected_ = end;
  projected_lsn_.store(end.lsn, std::memory_order_release);
  std::lock_guard<std::mutex> costs_lock(costs_mu_);
  for (const TableWriteCost& c : costs) AddCost(costs_, c);
  return Status::Ok();
}

std::vector<TableWriteCost> Store::ProjectionCosts() const {
  std::lock_guard<std::mutex> lock(costs_mu_);
  return costs_;
}

Status Store::Write(const ChangeSet& cs) {
  if (cs.empty()) return Status::Ok();
  PreparedWritePtr w = Prepare(cs);
  SL_RETURN_IF_ERROR(Append(*w));
  return Project({w.get()});
}

Status Store::ScanLog(bool to_end, const std::function<Status(uint64_t, PreparedWrite&)>& fn) {
  LogPosition until;
  if (!to_end) {
    auto pos = StoredProjectionPosition();
    if (!pos.ok()) return pos.status();
    until = *pos;
  }
  auto opened = OpenLogAs(/*writer=*/false);  // its own reader: safe beside the writer's
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Log> reader = std::move(*opened);
  Status st = reader->Scan(LogPosition{}, /*repair=*/false, nullptr, [&](LogRecord& rec) -> Status {
    if (!to_end && rec.lsn > until.lsn) return Status(ErrorCode::kAlreadyExists, "");  // stop
    PreparedWrite w;
    if (!PreparedWrite::Decode(rec.payload, &w)) {
      return Status::Corruption(reader->Describe() + ": record " + std::to_string(rec.lsn) +
                                " passes its checksum but cannot be decoded");
    }
    w.end = rec.end;
    if (!to_end && rec.lsn == until.lsn && rec.end.hash != until.hash) {
      return Status::Corruption("the projection's position does not match record " +
                                std::to_string(rec.lsn) + " of the log");
    }
    return fn(rec.lsn, w);
  });
  if (st.code() == ErrorCode::kAlreadyExists) return Status::Ok();
  return st;
}

Status Store::PublishAdminEndpoint(const AdminEndpoint& endpoint) {
  try {
    std::lock_guard<std::mutex> lock(sql_mu_);
    soci::transaction tx(*sql_);
    Rows row = kAdminEndpointTable.NewRows();
    kAdminEndpointTable.Append(row, AdminEndpointRow{1, endpoint});
    row.Insert(*sql_, backend_, sqlite_cache_.get(), WriteMode::kUpsert);
    tx.commit();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot publish the admin endpoint: ") + e.what());
  }
  return Status::Ok();
}

Result<AdminEndpoint> Store::ReadAdminEndpoint() {
  std::lock_guard<std::mutex> lock(sql_mu_);
  try {
    soci::rowset<soci::row> rs =
        sql_->prepare << "SELECT " + kAdminEndpointTable.ColumnNames() + " FROM admin_endpoint";
    for (const soci::row& r : rs) {
      AdminEndpointRow row = kAdminEndpointTable.Read(r);
      return row.endpoint;
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read the admin endpoint: ") + e.what());
  }
  return Status::NotFound("no admin endpoint published");
}

Result<std::vector<WebhookMessage>> Store::QueryWebhookMessages(const std::string& client_id,
                                                                const std::string& environment,
                                                                const std::string& intent_id,
                                                                int64_t limit) {
  std::lock_guard<std::mutex> lock(sql_mu_);
  std::vector<WebhookMessage> out;
  try {
    std::string client = client_id, intent = intent_id, env = environment;
    long long lim = limit;
    std::string select = "SELECT " + kWebhookMessagesTable.ColumnNames() +
                         " FROM webhook_messages WHERE client_id = :c AND environment = :e" +
                         (intent.empty() ? "" : " AND intent_id = :i") +
                         " ORDER BY id DESC LIMIT :l";
    auto read = [&](const soci::rowset<soci::row>& rs) {
      for (const soci::row& r : rs) out.push_back(kWebhookMessagesTable.Read(r));
    };
    if (intent.empty()) {
      read((sql_->prepare << select, soci::use(client), soci::use(env), soci::use(lim)));
    } else {
      read((sql_->prepare << select, soci::use(client), soci::use(env), soci::use(intent),
            soci::use(lim)));
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read webhook messages: ") + e.what());
  }
  return out;
}

Result<EventPage> Store::QueryEvents(const EventQuery& q) {
  std::lock_guard<std::mutex> lock(sql_mu_);
  EventPage page;
  try {
    std::string client = q.client_id, type = q.event_type;
    long long after = q.after_date, before = q.before_date, limit = q.limit, offset = q.offset,
              total = 0;
    const std::string where = std::string(" FROM events WHERE client_id = :c") +
                              (type.empty() ? "" : " AND event_type = :t") +
                              " AND date >= :a AND date <= :b";
    const std::string select = "SELECT " + kEventsTable.ColumnNames() + where + " ORDER BY id " +
                               (q.newest_first ? "DESC" : "ASC") + " LIMIT :l OFFSET :o";
    auto read = [&](const soci::rowset<soci::row>& rs) {
      for (const soci::row& r : rs) page.events.push_back(kEventsTable.Read(r));
    };
    if (type.empty()) {
      *sql_ << "SELECT COUNT(*)" + where, soci::into(total), soci::use(client), soci::use(after),
          soci::use(before);
      read((sql_->prepare << select, soci::use(client), soci::use(after), soci::use(before),
            soci::use(limit), soci::use(offset)));
    } else {
      *sql_ << "SELECT COUNT(*)" + where, soci::into(total), soci::use(client), soci::use(type),
          soci::use(after), soci::use(before);
      read((sql_->prepare << select, soci::use(client), soci::use(type), soci::use(after),
            soci::use(before), soci::use(limit), soci::use(offset)));
    }
    page.total = total;
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read events: ") + e.what());
  }
  return page;
}

namespace {

// Builds whole intents from their rows: every intent at start-up, or one read back by the
// writer (IntentSource). The rows may come in any intent order; within an intent, by position.
class IntentAssembler {
 public:
  // Reads the intents whose id lies in [lo, hi] with all their rows: line items, actions and
  // their lines, splits.
  Status Read(soci::session& sql, const std::string& lo, const std::string& hi) {
    auto where = [](const std::string& column) {
      return " WHERE " + column + " >= :lo AND " + column + " <= :hi";
    };
    std::string bound_lo = lo, bound_hi = hi;
    auto rows = [&](const std::string& table, const std::string& columns,
                    const std::string& condition, const char* order, auto add) -> Status {
      soci::rowset<soci::row> rs =
          (sql.prepare << "SELECT " + columns + " FROM " + table + condition + order,
           soci::use(bound_lo, "lo"), soci::use(bound_hi, "hi"));
      for (const soci::row& r : rs) SL_RETURN_IF_ERROR(add(r));
      return Status::Ok();
    };
    std::string action_lines_where =
        " WHERE action_id IN (SELECT id FROM intent_actions" + where("intent_id") + ")";
    SL_RETURN_IF_ERROR(rows("intents", kIntentsTable.ColumnNames(), where("id"),
                            " ORDER BY created_at, id",
                            [&](const soci::row& r) { return AddIntent(kIntentsTable.Read(r)); }));
    SL_RETURN_IF_ERROR(rows("intent_line_items", kLinesTable.ColumnNames(), where("intent_id"),
                            " ORDER BY intent_id, position",
                            [&](const soci::row& r) { return AddLine(kLinesTable.Read(r)); }));
    SL_RETURN_IF_ERROR(rows("intent_actions", kActionsTable.ColumnNames(), where("intent_id"),
                            " ORDER BY intent_id, position",
                            [&](const soci::row& r) { return AddAction(kActionsTable.Read(r)); }));
    SL_RETURN_IF_ERROR(
        rows("intent_action_lines", kActionLinesTable.ColumnNames(), action_lines_where,
             " ORDER BY action_id, position",
             [&](const soci::row& r) { return AddActionLine(kActionLinesTable.Read(r)); }));
    return rows("intent_splits", kSplitsTable.ColumnNames(), where("intent_id"),
                " ORDER BY intent_id, position",
                [&](const soci::row& r) { return AddSplit(kSplitsTable.Read(r)); });
  }

  // The intents in creation order, their derived fields restored.
  std::vector<Intent> Finish() {
    std::vector<Intent> out;
    out.reserve(order_.size());
    for (const std::string& id : order_) {
      Intent& in = intents_.at(id);
      RestoreDerivedFields(in);
      out.push_back(std::move(in));
    }
    intents_.clear();
    return out;
  }

 private:
  Status AddIntent(IntentRow row) {
    auto st = ParseIntentStatus(row.status);
    if (!st) return Status::Internal("bad intent status in database for " + row.intent.id);
    row.intent.status = *st;
    order_.push_back(row.intent.id);
    intents_.emplace(row.intent.id, std::move(row.intent));
    return Status::Ok();
  }
  Status AddLine(LineRow row) {
    auto it = intents_.find(row.intent_id);
    if (it == intents_.end()) return Status::Internal("line item without intent");
    if (static_cast<size_t>(row.position) != it->second.lines.size()) {
      return Status::Internal("line item positions out of order for " + it->first);
    }
    it->second.lines.push_back(std::move(row.line));
    return Status::Ok();
  }
  Status AddAction(ActionRow row) {
    auto it = intents_.find(row.intent_id);
    if (it == intents_.end()) return Status::Internal("action without intent");
    auto kind = ParseActionKind(row.kind);
    if (!kind)
      return Status::Corruption("action " + row.action.id + " of unknown kind " + row.kind);
    row.action.kind = *kind;
    action_pos_[row.action.id] = {it->first, it->second.actions.size()};
    it->second.actions.push_back(std::move(row.action));
    return Status::Ok();
  }
  Status AddActionLine(ActionLineRow row) {
    auto pos = action_pos_.find(row.action_id);
    if (pos == action_pos_.end()) return Status::Internal("action line without action");
    Intent& in = intents_.at(pos->second.first);
    int idx = in.FindLine(row.line_item_id);
    if (idx < 0) return Status::Internal("action line for an unknown line item");
    row.line.line_index = static_cast<size_t>(idx);
    in.actions[pos->second.second].lines.push_back(row.line);
    return Status::Ok();
  }
  Status AddSplit(SplitRow row) {
    auto it = intents_.find(row.intent_id);
    if (it == intents_.end())
      return Status::Corruption("split " + row.split.id + " without intent");
    int line = it->second.FindLine(row.line_item_id);
    auto status = ParseSplitStatus(row.status);
    if (line < 0 || !status || static_cast<size_t>(row.position) != it->second.splits.size()) {
      return Status::Corruption("split " + row.split.id + " does not fit its intent");
    }
    row.split.line_index = static_cast<size_t>(line);
    row.split.status = *status;
    it->second.splits.push_back(std::move(row.split));
    return Status::Ok();
  }

  std::unordered_map<std::string, Intent> intents_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, std::pair<std::string, size_t>> action_pos_;
};

}  // namespace

Result<soci::session*> Store::ReadBackSession() {
  if (read_sql_ == nullptr) {
    if (backend_ == Backend::kSqlite) {
      read_sql_ = std::make_unique<soci::session>(soci::sqlite3,
                                                  "db=\"" + url_.substr(7) + "\" timeout=30");
      *read_sql_ << "PRAGMA query_only=1";
    } else {
      auto conn = PostgresConnectString(url_);
      if (!conn.ok()) return conn.status();
      read_sql_ = std::make_unique<soci::session>(soci::postgresql, *conn);
      *read_sql_ << "SET client_min_messages = warning";
    }
  }
  return read_sql_.get();
}

template <class T, class Fn>
Result<T> Store::ReadBack(const char* what, Fn read) {
  // A read session idle for long may have been cut (a server's idle timeout, a proxy, a
  // failover): one retry on a new session before the read counts as a storage failure, which
  // fails the batch and reloads the State.
  std::string error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      Result<soci::session*> session = ReadBackSession();
      if (!session.ok()) return session.status();
      return read(**session);
    } catch (const std::exception& e) {
      read_sql_.reset();
      error = e.what();
    }
  }
  return Status::Unavailable(std::string("cannot read ") + what + " back: " + error);
}

Result<std::optional<Intent>> Store::ReadIntent(std::string_view client_id,
                                                std::string_view intent_id) {
  using Found = std::optional<Intent>;
  std::string id(intent_id);
  return ReadBack<Found>("an intent", [&](soci::session& sql) -> Result<Found> {
    IntentAssembler assembler;
    SL_RETURN_IF_ERROR(assembler.Read(sql, id, id));
    std::vector<Intent> found = assembler.Finish();
    if (found.empty() || found[0].client_id != client_id) return Found();
    return Found(std::move(found[0]));
  });
}

Result<std::optional<std::string>> Store::FindIntentIdByReference(std::string_view client_id,
                                                                  std::string_view provider,
                                                                  std::string_view reference) {
  using Found = std::optional<std::string>;
  std::string client(client_id), ref(reference), upper_provider;
  for (char c : provider)
    upper_provider.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return ReadBack<Found>("an intent reference", [&](soci::session& sql) -> Result<Found> {
    // Providers compare case-insensitively, as in the State's index (RefKey): ASCII names.
    std::string id;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id FROM intents WHERE client_id = :c AND ext_provider_reference = :r AND "
           "UPPER(ext_provider_name) = :p ORDER BY created_at, id LIMIT 1",
        soci::use(client, "c"), soci::use(ref, "r"), soci::use(upper_provider, "p"),
        soci::into(id, ind);
    return sql.got_data() && ind == soci::i_ok ? Found(id) : Found();
  });
}

Status Store::Load(State& state) {
  std::lock_guard<std::mutex> lock(sql_mu_);
  state.Clear();
  soci::session& sql = *sql_;
  try {
    {
      soci::rowset<soci::row> rs = sql.prepare
                                   << "SELECT " + kAccountsTable.ColumnNames() + " FROM accounts";
      for (const soci::row& r : rs) {
        AccountRow row = kAccountsTable.Read(r);
        state.book().LoadAccount(row.key.View(), row.account);
      }
      soci::indicator ind;
      long long max_tx = 0;
      sql << "SELECT MAX(id) FROM journal_transactions", soci::into(max_tx, ind);
      state.book().SetNextTransactionId(ind == soci::i_ok ? max_tx + 1 : 1);
      if (ind == soci::i_ok) {
        long long last_at = 0;
        sql << "SELECT created_at FROM journal_transactions WHERE id = :id", soci::use(max_tx),
            soci::into(last_at);
        state.book().SetLastTransactionTime(last_at);
      }
    }
    {
      // In chunks of ids (through the by-intent indexes), so that a State with a bounded
      // intent cache never holds more than the bound and one chunk, however many are stored.
      std::string after;
      for (;;) {
        std::vector<std::string> ids;
        {
          soci::rowset<soci::row> rs =
              (sql.prepare << "SELECT id FROM intents WHERE id > :after ORDER BY id LIMIT 4096",
               soci::use(after, "after"));
          for (const soci::row& r : rs) ids.push_back(r.get<std::string>(0));
        }
        if (ids.empty()) break;
        IntentAssembler chunk;
        SL_RETURN_IF_ERROR(chunk.Read(sql, ids.front(), ids.back()));
        for (Intent& in : chunk.Finish()) state.LoadIntent(std::move(in));
        after = ids.back();
      }
    }
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kSettlementsTable.ColumnNames() +
                                                      " FROM settlements ORDER BY created_at, id";
      for (const soci::row& r : rs) {
        SettlementRow row = kSettlementsTable.Read(r);
        auto s = row.Restore();
        if (!s) return Status::Corruption("settlement " + row.settlement.id + " is unreadable");
        state.LoadSettlement(std::move(*s));
      }
    }
    {
      soci::rowset<soci::row> rs = sql.prepare
                                   << "SELECT " + kClientsTable.ColumnNames() + " FROM clients";
      for (const soci::row& r : rs) state.LoadClient(kClientsTable.Read(r));
    }
    {
      soci::rowset<soci::row> rs = sql.prepare
                                   << "SELECT " + kUsersTable.ColumnNames() + " FROM users";
      for (const soci::row& r : rs) state.LoadUser(kUsersTable.Read(r));
    }
    {
      // Creation order, for the owners' wallet lists.
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kWalletsTable.ColumnNames() +
                                                      " FROM wallets ORDER BY created_at, id";
      for (const soci::row& r : rs) state.LoadWallet(kWalletsTable.Read(r));
    }
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kClientWalletsTable.ColumnNames() +
                                                      " FROM client_wallets ORDER BY created_at, "
                                                      "currency, funds";
      for (const soci::row& r : rs) state.LoadClientWallet(kClientWalletsTable.Read(r));
    }
    {
      long long now = static_cast<long long>(std::time(nullptr));
      soci::rowset<soci::row> rs = (sql.prepare << "SELECT " + kTokensTable.ColumnNames() +
                                                       " FROM oauth_tokens WHERE expires_at > :now",
                                    soci::use(now));
      for (const soci::row& r : rs) state.LoadToken(kTokensTable.Read(r));
    }
    {
      soci::rowset<soci::row> rs =
          sql.prepare << "SELECT " + kCertificatesTable.ColumnNames() + " FROM client_certificates";
      for (const soci::row& r : rs) state.LoadCertificate(kCertificatesTable.Read(r));
    }
    {
      soci::rowset<soci::row> rs =
          sql.prepare << "SELECT " + kAdminUsersTable.ColumnNames() + " FROM admin_users";
      for (const soci::row& r : rs) state.LoadAdminUser(kAdminUsersTable.Read(r));
    }
    LoadAll(sql, kPaymentsTable, "", [&](Payment p) { state.LoadPayment(std::move(p)); });
    LoadAll(sql, kAttemptsTable, " ORDER BY id",
            [&](PaymentAttempt a) { state.LoadAttempt(std::move(a)); });
    LoadAll(sql, kPspOperationsTable, " ORDER BY created_at, id",
            [&](PspOperation o) { state.LoadPspOperation(std::move(o)); });
    LoadAll(sql, kApiKeysTable, "", [&](ApiKey k) { state.LoadApiKey(std::move(k)); });
    {
      // Deduplication needs the last days only: an older redelivery costs one more sync.
      long long since = static_cast<long long>(std::time(nullptr)) - 8 * 86400;
      soci::rowset<soci::row> rs = (sql.prepare << "SELECT " + kPspEventsTable.ColumnNames() +
                                                       " FROM psp_events WHERE received_at >= :s",
                                    soci::use(since));
      for (const soci::row& r : rs) state.LoadPspEvent(kPspEventsTable.Read(r));
    }
    LoadAll(sql, kWebhookEndpointsTable, "",
            [&](WebhookEndpoint e) { state.LoadWebhookEndpoint(std::move(e)); });
    // Only what is still to be delivered comes back into memory; the ids continue after all.
    LoadAll(sql, kWebhookMessagesTable, " WHERE state = 0 ORDER BY id",
            [&](WebhookMessage m) { state.LoadWebhookMessage(std::move(m)); });
    {
      soci::indicator ind;
      long long max_id = 0;
      sql << "SELECT MAX(id) FROM webhook_messages", soci::into(max_id, ind);
      if (ind == soci::i_ok) state.SetNextWebhookId(max_id + 1);
    }
    {
      soci::rowset<soci::row> rs =
          sql.prepare << "SELECT " + kIdempotencyTable.ColumnNames() + " FROM idempotency_keys";
      for (const soci::row& r : rs) state.LoadIdempotency(kIdempotencyTable.Read(r));
    }
    {
      soci::indicator ind;
      long long max_event = 0;
      sql << "SELECT MAX(id) FROM events", soci::into(max_event, ind);
      state.SetNextEventId(ind == soci::i_ok ? max_event + 1 : 1);
    }
    {
      // The references of escrow funds recorded (the escrow_bank posting comes first).
      soci::rowset<soci::row> rs =
          sql.prepare
          << "SELECT t.client_id, a.currency, t.ref, p.amount FROM journal_transactions t "
             "JOIN postings p ON p.tx_id = t.id AND p.seq = 0 "
             "JOIN accounts a ON a.id = p.account_id WHERE t.kind = 'escrow.receive'";
      for (const soci::row& r : rs) {
        state.NoteEscrowReceipt(GetText(r, 0), GetText(r, 1), GetText(r, 2), GetInt(r, 3));
      }
    }
    {
      // Hooks, and the outbox a restart must resume.
      soci::rowset<soci::row> hs = sql.prepare << "SELECT " + kHooksTable.ColumnNames() +
                                                      " FROM hooks ORDER BY created_at, id";
      for (const soci::row& r : hs) state.LoadHook(kHooksTable.Read(r));
      soci::rowset<soci::row> ds =
          sql.prepare
          << "SELECT " + kHookDeliveriesTable.ColumnNames() +
                 " FROM hook_deliveries WHERE delivered_at = 0 AND abandoned = 0 ORDER BY id";
      for (const soci::row& r : ds) state.LoadDelivery(kHookDeliveriesTable.Read(r));
      soci::indicator dind;
      long long max_delivery = 0;
      sql << "SELECT MAX(id) FROM hook_deliveries", soci::into(max_delivery, dind);
      state.SetNextDeliveryId(dind == soci::i_ok ? max_delivery + 1 : 1);
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("load failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace splitledger::ledger
