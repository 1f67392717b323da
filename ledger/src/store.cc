#include "splitledger/ledger/store.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
// soci-sqlite3.h includes sqlite3.h inside namespace sqlite_api.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>

#include "entity_tables.h"
#include "ledger_tables.h"
#include "table.h"
#include <filesystem>
#include <thread>
#include <utility>

namespace splitledger::ledger {

using namespace sqlite_api;  // NOLINT: the raw SQLite API, as wrapped by SOCI
namespace {

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
        "CREATE INDEX intents_by_reference ON intents (client_id, ext_provider_name, ext_provider_reference)",
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
};

}  // namespace

// The rows of one ChangeSet, owned, ready to be written by Execute() on any thread.
class PreparedWrite {
 public:
  void Add(Rows rows, std::string suffix = "") {
    if (rows.size() > 0) statements.emplace_back(std::move(rows), std::move(suffix));
  }
  std::vector<std::pair<Rows, std::string>> statements;
};

void PreparedWriteDeleter::operator()(PreparedWrite* w) const { delete w; }

namespace {

const char* ActionKindName(ActionKind k) { return k == ActionKind::kCapture ? "capture" : "cancel"; }

}  // namespace

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
  if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos &&
                                          hostport.find(']') == std::string_view::npos) {
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
    if (size_t eq = kv.find('='); eq != std::string::npos) add(kv.substr(0, eq).c_str(), kv.substr(eq + 1));
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

Store::~Store() {
  sqlite_cache_.reset();  // finalise statements before the connection closes
  sql_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto backend = ParseBackend(options.url);
  if (!backend.ok()) return backend.status();
  std::unique_ptr<Store> store(new Store());
  store->backend_ = *backend;
  store->url_ = options.url;
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
      store->sql_ = std::make_unique<soci::session>(
          soci::sqlite3, "db=\"" + path.string() + "\" timeout=30");
      soci::session& sql = *store->sql_;
      std::string mode;
      sql << "PRAGMA journal_mode=WAL", soci::into(mode);
      if (mode != "wal") return Status::Internal("SQLite refused WAL mode (" + mode + ")");
      sql << (options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
      sql << "PRAGMA cache_size=-65536";
      sql << "PRAGMA wal_autocheckpoint=8000";
      store->sqlite_cache_ = std::make_unique<SqliteStatementCache>();
    } else {
      auto conn = PostgresConnectString(options.url);
      if (!conn.ok()) return conn.status();
      store->sql_ = std::make_unique<soci::session>(soci::postgresql, *conn);
      *store->sql_ << "SET synchronous_commit = on";
      if (options.writer) {
        // The writer lease: held by this session until it ends (a crash releases it too).
        soci::session& sql = *store->sql_;
        bool locked = RetryFor(options.lease_wait_ms, [&] {
          int got = 0;
          sql << "SELECT CASE WHEN pg_try_advisory_lock(1397771332) THEN 1 ELSE 0 END",
              soci::into(got);
          return got == 1;
        });
        if (!locked) {
          return Status::Unavailable("database is in use by another splitledger writer "
                                     "(advisory lock 1397771332)");
        }
      }
      *store->sql_ << "SET client_min_messages = warning";
    }
    SL_RETURN_IF_ERROR(store->Migrate());
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot open database: ") + e.what());
  }
  return store;
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
    sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)", soci::use(version),
        soci::use(now);
    tx.commit();
  }
  // Described tables follow their description (additive changes need no written migration).
  soci::transaction tx(sql);
  SyncEntityTables(sql, backend_);
  SyncLedgerTables(sql, backend_);
  tx.commit();
  return Status::Ok();
}

int Store::SchemaVersion() {
  soci::indicator ind;
  long long v = 0;
  *sql_ << "SELECT MAX(version) FROM schema_migrations", soci::into(v, ind);
  return ind == soci::i_ok ? static_cast<int>(v) : 0;
}

PreparedWritePtr Store::Prepare(const ChangeSet& cs) {
  PreparedWritePtr w(new PreparedWrite());
  {

    Rows accounts = kAccountsTable.NewRows();
    for (const auto* list : {&cs.new_accounts, &cs.changed_accounts}) {
      for (const Account& a : *list) kAccountsTable.Append(accounts, a);
    }
    w->Add(std::move(accounts), kAccountsTable.UpsertSuffix());

    Rows txs = kJournalTable.NewRows();
    Rows postings = kPostingsTable.NewRows();
    for (const JournalTx& t : cs.transactions) {
      kJournalTable.Append(txs, t);
      for (size_t i = 0; i < t.postings.size(); ++i) {
        kPostingsTable.Append(postings, PostingRow{t.id, static_cast<int64_t>(i), t.postings[i]});
      }
    }
    w->Add(std::move(txs));
    w->Add(std::move(postings));

    // Views of the State's intents: nothing is copied but the row values themselves.
    Rows intents = kIntentsTable.NewRows();
    for (const Intent* in : cs.intents) {
      kIntentsTable.Append(intents, IntentRowRef{const_cast<Intent*>(in), in->amount(),
                                                 in->platform_fees(), IntentStatusName(in->status)});
    }
    w->Add(std::move(intents), kIntentsTable.UpsertSuffix());

    Rows lines = kLinesTable.NewRows();
    for (const auto& [in, idx] : cs.lines) {
      Intent* mut = const_cast<Intent*>(in);
      kLinesTable.Append(lines, LineRowRef{&mut->id, static_cast<int64_t>(idx), &mut->lines[idx]});
    }
    w->Add(std::move(lines), kLinesTable.UpsertSuffix());

    Rows actions = kActionsTable.NewRows();
    Rows action_lines = kActionLinesTable.NewRows();
    for (const auto& [in, idx] : cs.actions) {
      Intent* mut = const_cast<Intent*>(in);
      ActionRecord& a = mut->actions[idx];
      kActionsTable.Append(actions, ActionRowRef{&mut->id, static_cast<int64_t>(idx), &a,
                                                 ActionKindName(a.kind)});
      for (size_t i = 0; i < a.lines.size(); ++i) {
        kActionLinesTable.Append(action_lines,
                                 ActionLineRowRef{&a.id, static_cast<int64_t>(i),
                                                  &mut->lines[a.lines[i].line_index].id, &a.lines[i]});
      }
    }
    w->Add(std::move(actions));
    w->Add(std::move(action_lines));

    Rows clients = kClientsTable.NewRows();
    for (const Client* c : cs.clients) kClientsTable.Append(clients, *c);
    // The key columns belong to the credentials command too; a full upsert keeps them current.
    w->Add(std::move(clients), kClientsTable.UpsertSuffix());

    Rows tokens = kTokensTable.NewRows();
    for (const TokenRecord& t : cs.tokens) kTokensTable.Append(tokens, t);
    w->Add(std::move(tokens));

    Rows idem = kIdempotencyTable.NewRows();
    for (const IdempotencyRecord* r : cs.idempotency) kIdempotencyTable.Append(idem, *r);
    w->Add(std::move(idem));

    Rows users = kUsersTable.NewRows();
    for (const User* u : cs.users) kUsersTable.Append(users, *u);
    w->Add(std::move(users), kUsersTable.UpsertSuffix());
    Rows wallets = kWalletsTable.NewRows();
    for (const Wallet* x : cs.wallets) kWalletsTable.Append(wallets, *x);
    w->Add(std::move(wallets), kWalletsTable.UpsertSuffix());
    Rows owners = kWalletOwnersTable.NewRows();
    for (const Wallet* x : cs.new_wallets) {
      for (const std::string& o : x->owners) kWalletOwnersTable.Append(owners, {x->client_id, o, x->id});
    }
    w->Add(std::move(owners), "ON CONFLICT DO NOTHING");
    Rows client_wallets = kClientWalletsTable.NewRows();
    for (const ClientWallet* x : cs.client_wallets) kClientWalletsTable.Append(client_wallets, *x);
    w->Add(std::move(client_wallets), "ON CONFLICT DO NOTHING");

    Rows events = kEventsTable.NewRows();
    for (const EventRecord& e : cs.events) kEventsTable.Append(events, e);
    w->Add(std::move(events));

  }
  return w;
}

Status Store::Execute(PreparedWrite& w) {
  if (w.statements.empty()) return Status::Ok();
  soci::session& sql = *sql_;
  try {
    soci::transaction tx(sql);
    for (auto& [rows, suffix] : w.statements) rows.Insert(sql, backend_, sqlite_cache_.get(), suffix);
    tx.commit();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("commit failed: ") + e.what());
  }
  return Status::Ok();
}

Status Store::Write(const ChangeSet& cs) {
  if (cs.empty()) return Status::Ok();
  return Execute(*Prepare(cs));
}

Status Store::PublishAdminEndpoint(const std::string& address, const std::string& secret) {
  try {
    soci::transaction tx(*sql_);
    Rows row = kAdminEndpointTable.NewRows();
    kAdminEndpointTable.Append(row, AdminEndpointRow{1, address, secret});
    row.Insert(*sql_, backend_, sqlite_cache_.get(), kAdminEndpointTable.UpsertSuffix());
    tx.commit();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot publish the admin endpoint: ") + e.what());
  }
  return Status::Ok();
}

Result<std::pair<std::string, std::string>> Store::ReadAdminEndpoint() {
  try {
    soci::rowset<soci::row> rs =
        sql_->prepare << "SELECT " + kAdminEndpointTable.ColumnNames() + " FROM admin_endpoint";
    for (const soci::row& r : rs) {
      AdminEndpointRow row = kAdminEndpointTable.Read(r);
      return std::make_pair(row.address, row.secret);
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read the admin endpoint: ") + e.what());
  }
  return Status::NotFound("no admin endpoint published");
}

Status Store::Load(State& state) {
  state.Clear();
  soci::session& sql = *sql_;
  try {
    {
      soci::rowset<soci::row> rs =
          sql.prepare << "SELECT " + kAccountsTable.ColumnNames() + " FROM accounts";
      for (const soci::row& r : rs) state.book().LoadAccount(kAccountsTable.Read(r));
      soci::indicator ind;
      long long max_tx = 0;
      sql << "SELECT MAX(id) FROM journal_transactions", soci::into(max_tx, ind);
      state.book().SetNextTransactionId(ind == soci::i_ok ? max_tx + 1 : 1);
    }
    std::unordered_map<std::string, Intent> intents;
    std::vector<std::string> order;
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kIntentsTable.ColumnNames() +
                                                      " FROM intents ORDER BY created_at, id";
      for (const soci::row& r : rs) {
        IntentRow row = kIntentsTable.Read(r);
        auto st = ParseIntentStatus(row.status);
        if (!st) return Status::Internal("bad intent status in database for " + row.intent.id);
        row.intent.status = *st;
        order.push_back(row.intent.id);
        intents.emplace(row.intent.id, std::move(row.intent));
      }
    }
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kLinesTable.ColumnNames() +
                                                      " FROM intent_line_items ORDER BY intent_id, position";
      for (const soci::row& r : rs) {
        LineRow row = kLinesTable.Read(r);
        auto it = intents.find(row.intent_id);
        if (it == intents.end()) return Status::Internal("line item without intent");
        if (static_cast<size_t>(row.position) != it->second.lines.size()) {
          return Status::Internal("line item positions out of order for " + it->first);
        }
        it->second.lines.push_back(std::move(row.line));
      }
    }
    {
      std::unordered_map<std::string, std::pair<std::string, size_t>> action_pos;
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kActionsTable.ColumnNames() +
                                                      " FROM intent_actions ORDER BY intent_id, position";
      for (const soci::row& r : rs) {
        ActionRow row = kActionsTable.Read(r);
        auto it = intents.find(row.intent_id);
        if (it == intents.end()) return Status::Internal("action without intent");
        row.action.kind = row.kind == "capture" ? ActionKind::kCapture : ActionKind::kCancel;
        action_pos[row.action.id] = {it->first, it->second.actions.size()};
        it->second.actions.push_back(std::move(row.action));
      }
      soci::rowset<soci::row> ls =
          sql.prepare << "SELECT " + kActionLinesTable.ColumnNames() +
                             " FROM intent_action_lines ORDER BY action_id, position";
      for (const soci::row& r : ls) {
        ActionLineRow row = kActionLinesTable.Read(r);
        auto pos = action_pos.find(row.action_id);
        if (pos == action_pos.end()) return Status::Internal("action line without action");
        Intent& in = intents.at(pos->second.first);
        int idx = in.FindLine(row.line_item_id);
        if (idx < 0) return Status::Internal("action line for an unknown line item");
        row.line.line_index = static_cast<size_t>(idx);
        in.actions[pos->second.second].lines.push_back(row.line);
      }
    }
    for (const std::string& id : order) {
      Intent& in = intents.at(id);
      RestoreDerivedFields(in);
      state.LoadIntent(std::move(in));
    }
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kClientsTable.ColumnNames() + " FROM clients";
      for (const soci::row& r : rs) state.LoadClient(kClientsTable.Read(r));
    }
    {
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + kUsersTable.ColumnNames() + " FROM users";
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
          sql.prepare << "SELECT " + kIdempotencyTable.ColumnNames() + " FROM idempotency_keys";
      for (const soci::row& r : rs) state.LoadIdempotency(kIdempotencyTable.Read(r));
    }
    {
      soci::indicator ind;
      long long max_event = 0;
      sql << "SELECT MAX(id) FROM events", soci::into(max_event, ind);
      state.SetNextEventId(ind == soci::i_ok ? max_event + 1 : 1);
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("load failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace splitledger::ledger
