#include "splitledger/ledger/verify.h"

#include "splitledger/ledger/chart.h"

#include <soci/soci.h>

#include <openssl/evp.h>

#include <cstring>
#include <map>
#include <unordered_map>

#include "splitledger/ledger/intent_ops.h"
#include "log.h"
#include "logged_tables.h"
#include "read_snapshot.h"
#include "table.h"

namespace splitledger::ledger {
namespace {

void Diff(VerifyReport& rep, const std::string& what, long long stored, long long derived) {
  if (stored != derived) {
    rep.differences.push_back(what + ": stored " + std::to_string(stored) + ", journal gives " +
                              std::to_string(derived));
  }
}

// ---- the log replay ----------------------------------------------------------------------------
//
// A row's digest: SHA-256 (first 16 bytes) of its values in the table's column order, each tagged
// (null, integer, text), so the log's rows and the projection's compare whatever order their
// columns come in. A table's contents are compared as the sum of its rows' digests (order-free,
// no row kept in memory) for append-only tables; rows of the others are kept per key, as only
// the last version counts, and are named when they differ.
struct Digest {
  uint64_t a = 0, b = 0;
  bool operator==(const Digest& o) const { return a == o.a && b == o.b; }
  bool operator!=(const Digest& o) const { return !(*this == o); }
  void Add(const Digest& o) {
    a += o.a;
    b += o.b;
  }
  void Sub(const Digest& o) {
    a -= o.a;
    b -= o.b;
  }
};

Digest DigestOf(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  Digest d;
  std::memcpy(&d.a, md, 8);
  std::memcpy(&d.b, md + 8, 8);
  return d;
}

struct Value {
  bool null = true;
  bool text = false;
  long long i = 0;
  std::string t;
};
void Put(ByteWriter& w, const Value& v) {
  w.U64(v.null ? 0 : v.text ? 2 : 1);
  if (v.null) return;
  if (v.text)
    w.Str(v.t);
  else
    w.I64(v.i);
}
// The value a column takes in a row written before the column existed (SyncTable's default).
Value DefaultFor(const ColumnDef& c) {
  Value v;
  v.null = c.nullable;
  v.text = c.type == SqlType::kText;
  return v;
}

struct TableReplay {
  const TableSchema* schema = nullptr;
  std::vector<size_t> key_index;  // positions of the key columns among schema columns
  Digest inserted;                // rows written by plain inserts
  uint64_t inserted_count = 0;
  std::unordered_map<std::string, Digest> by_key;  // rows written by key: the last version
};

// Digest and key of one row given as schema-ordered values.
std::pair<std::string, Digest> RowIdentity(const TableReplay& t, const std::vector<Value>& values) {
  ByteWriter row, key;
  for (const Value& v : values) Put(row, v);
  for (size_t k : t.key_index) Put(key, values[k]);
  return {key.Take(), DigestOf(row.bytes())};
}

class LogReplay {
 public:
  LogReplay() {
    for (const TableSchema* s : LoggedTables()) {
      TableReplay& t = tables_[s->name];
      t.schema = s;
      for (const std::string& k : s->key) {
        for (size_t i = 0; i < s->Columns().size(); ++i) {
          if (s->Columns()[i].name == k) t.key_index.push_back(i);
        }
      }
    }
  }

  Status Apply(uint64_t lsn, PreparedWrite& w) {
    for (const auto& [rows, mode] : w.statements) {
      auto it = tables_.find(rows.table());
      if (it == tables_.end()) {
        return Status::Corruption("log record " + std::to_string(lsn) + " writes unknown table " +
                                  rows.table());
      }
      TableReplay& t = it->second;
      const auto& cols = t.schema->Columns();
      std::vector<int> from(cols.size(), -1);
      for (size_t c = 0; c < cols.size(); ++c) {
        for (size_t r = 0; r < rows.columns().size(); ++r) {
          if (rows.columns()[r].name == cols[c].name) from[c] = static_cast<int>(r);
        }
      }
      std::vector<Value> values(cols.size());
      for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < cols.size(); ++c) {
          if (from[c] < 0) {
            values[c] = DefaultFor(cols[c]);
            continue;
          }
          const Rows::Column& col = rows.columns()[static_cast<size_t>(from[c])];
          Value& v = values[c];
          v.null = col.ind[r] == soci::i_null;
          v.text = col.text;
          if (!v.null) {
            if (col.text)
              v.t.assign(col.texts[r]);
            else
              v.i = col.ints[r];
          }
        }
        auto [key, digest] = RowIdentity(t, values);
        ++rows_;
        if (AppendOnly(*t.schema)) {
          t.inserted.Add(digest);
          ++t.inserted_count;
        } else if (mode != WriteMode::kInsertOrIgnore) {  // an insert or an upsert: this version
          t.by_key[key] = digest;
        } else {
          t.by_key.emplace(key, digest);
        }
      }
    }
    return Status::Ok();
  }

  // Compares every logged table with the projection; appends the differences.
  void Compare(soci::session& sql, VerifyReport& rep) {
    for (const TableSchema* s : LoggedTables()) {
      TableReplay& t = tables_[s->name];
      Digest log_sum = t.inserted, stored_sum;
      uint64_t log_count = t.inserted_count + t.by_key.size(), stored_count = 0;
      for (const auto& [k, d] : t.by_key) log_sum.Add(d);
      std::vector<std::string> named;
      std::unordered_map<std::string, Digest> unseen = t.by_key;
      soci::rowset<soci::row> rs = sql.prepare << "SELECT " + s->ColumnNames() + " FROM " + s->name;
      std::vector<Value> values(s->Columns().size());
      for (const soci::row& r : rs) {
        for (size_t c = 0; c < values.size(); ++c) {
          Value& v = values[c];
          v.null = r.get_indicator(c) == soci::i_null;
          v.text = s->Columns()[c].type == SqlType::kText;
          if (!v.null) {
            if (v.text)
              v.t = GetText(r, c);
            else
              v.i = GetInt(r, c);
          }
        }
        auto [key, digest] = RowIdentity(t, values);
        stored_sum.Add(digest);
        ++stored_count;
        auto it = unseen.find(key);
        if (it != unseen.end()) {
          if (it->second != digest && named.size() < 10) {
            named.push_back("row " + Printable(key) + " differs from its last version in the log");
          }
          unseen.erase(it);
        }
      }
      if (log_sum == stored_sum && log_count == stored_count) continue;
      rep.differences.push_back("table " + std::string(s->name) + ": the log replay gives " +
                                std::to_string(log_count) + " rows, the projection holds " +
                                std::to_string(stored_count) +
                                (log_count == stored_count ? " with different contents" : ""));
      for (std::string& n : named) rep.differences.push_back("table " + std::string(s->name) + ": " + n);
      size_t listed = 0;
      for (const auto& [k, d] : unseen) {
        if (listed++ == 10) break;
        rep.differences.push_back("table " + std::string(s->name) + ": row " + Printable(k) +
                                  " is in the log but not in the projection");
      }
    }
  }

  uint64_t rows() const { return rows_; }

 private:
  // A key's bytes for a message: printable characters kept, the rest as dots.
  static std::string Printable(const std::string& key) {
    std::string out;
    for (char c : key) out.push_back(c >= 0x20 && c < 0x7f ? c : '.');
    return out;
  }
  std::unordered_map<std::string, TableReplay> tables_;
  uint64_t rows_ = 0;
};

Status VerifyLog(Store& store, VerifyReport& rep) {
  auto projected = store.StoredProjectionPosition();
  if (!projected.ok()) {
    if (projected.status().code() == ErrorCode::kNotFound) return Status::Ok();  // no log yet
    return projected.status();
  }
  rep.log_checked = true;
  // The chain and checksums of every record, including those the projection has not reached.
  Status chain = store.ScanLog(/*to_end=*/true, [&](uint64_t lsn, PreparedWrite&) {
    rep.log_records = lsn;
    return Status::Ok();
  });
  if (chain.code() == ErrorCode::kCorruption) {
    rep.differences.push_back("log: " + chain.message());
    return Status::Ok();
  }
  SL_RETURN_IF_ERROR(chain);
  LogReplay replay;
  Status replayed = store.ScanLog(/*to_end=*/false, [&](uint64_t lsn, PreparedWrite& w) {
    return replay.Apply(lsn, w);
  });
  if (replayed.code() == ErrorCode::kCorruption) {
    rep.differences.push_back("log: " + replayed.message());
    return Status::Ok();
  }
  SL_RETURN_IF_ERROR(replayed);
  if (rep.log_records < projected->lsn) {
    rep.differences.push_back("log: ends at record " + std::to_string(rep.log_records) +
                              " but the projection has applied up to " +
                              std::to_string(projected->lsn));
  }
  try {
    replay.Compare(store.session(), rep);
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }
  rep.replayed_rows = replay.rows();
  return Status::Ok();
}

}  // namespace

Result<VerifyReport> Verify(Store& store,
                            const std::function<void(const std::string& step)>& progress) {
  auto step = [&](const char* what) {
    if (progress) progress(what);
  };
  VerifyReport rep;
  std::unique_ptr<ReadSnapshot> snapshot;
  try {
    snapshot = std::make_unique<ReadSnapshot>(store);
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }
  step("the log: checksums, hash chain, replay against the tables");
  SL_RETURN_IF_ERROR(VerifyLog(store, rep));
  step("loading the ledger");
  State stored;
  SL_RETURN_IF_ERROR(store.Load(stored));
  rep.accounts = stored.book().account_count();

  step("replaying the journal");
  // 1. Replay the journal into a fresh book, checking balance and running balances.
  std::unordered_map<int64_t, Account> replay;
  try {
    soci::session& sql = store.session();
    soci::rowset<soci::row> rs = sql.prepare
        << "SELECT p.tx_id, p.account_id, p.side, p.phase, p.amount, p.posted_balance_after, "
           "p.pending_balance_after FROM postings p ORDER BY p.tx_id, p.seq";
    long long current_tx = -1;
    std::map<std::pair<std::string, int>, __int128> sums;
    auto close_tx = [&] {
      for (const auto& [k, s] : sums) {
        if (s != 0) {
          rep.differences.push_back("transaction " + std::to_string(current_tx) +
                                    " does not balance in " + k.first + " (phase " +
                                    std::to_string(k.second) + ")");
        }
      }
      sums.clear();
    };
    for (const soci::row& r : rs) {
      long long tx = GetInt(r, 0);
      if (tx != current_tx) {
        if (current_tx >= 0) close_tx();
        current_tx = tx;
        rep.transactions++;
      }
      rep.postings++;
      int64_t account_id = GetInt(r, 1);
      auto side = static_cast<Side>(GetInt(r, 2));
      auto phase = static_cast<Phase>(GetInt(r, 3));
      Amount amount = GetInt(r, 4);
      const Account* meta = stored.book().FindById(account_id);
      if (meta == nullptr) {
        rep.differences.push_back("posting of tx " + std::to_string(tx) + " names unknown account " +
                                  std::to_string(account_id));
        continue;
      }
      Account& a = replay[account_id];
      a.id = account_id;
      Amount* total = nullptr;
      if (phase == Phase::kPosted) {
        total = side == Side::kDebit ? &a.debits_posted : &a.credits_posted;
      } else {
        total = side == Side::kDebit ? &a.debits_pending : &a.credits_pending;
      }
      *total += phase == Phase::kRelease ? -amount : amount;
      __int128& s = sums[{std::string(meta->key().currency), static_cast<int>(phase)}];
      s += side == Side::kDebit ? amount : -static_cast<__int128>(amount);
      Diff(rep, "running posted balance of account " + std::to_string(account_id) + " at tx " +
                    std::to_string(tx), GetInt(r, 5), a.posted_balance());
      Diff(rep, "running pending balance of account " + std::to_string(account_id) + " at tx " +
                    std::to_string(tx), GetInt(r, 6), a.pending_balance());
    }
    if (current_tx >= 0) close_tx();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }

  step("account totals against the journal");
  // 2. Account totals against the replay.
  Book derived;
  for (const Account& a : stored.book().accounts()) {
    if (a.id == 0) continue;  // a gap in the ids
    const int64_t id = a.id;
    Account r = replay.count(id) ? replay.at(id) : Account{};
    std::string name = "account " + std::to_string(id) + " (" + a.key().Joined() + ")";
    Diff(rep, name + " debits_posted", a.debits_posted, r.debits_posted);
    Diff(rep, name + " credits_posted", a.credits_posted, r.credits_posted);
    Diff(rep, name + " debits_pending", a.debits_pending, r.debits_pending);
    Diff(rep, name + " credits_pending", a.credits_pending, r.credits_pending);
    r.id = id;
    r.created_at = a.created_at;
    derived.LoadAccount(a.key(), r);
  }

  step("intent amounts against the ledger");
  // 3. Every intent amount against its ledger derivation.
  std::map<std::string, std::pair<long long, long long>> intent_rows;  // id -> (amount, fees)
  try {
    soci::rowset<soci::row> rs = store.session().prepare
                                 << "SELECT id, amount, platform_fees FROM intents";
    for (const soci::row& r : rs) intent_rows[r.get<std::string>(0)] = {GetInt(r, 1), GetInt(r, 2)};
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }
  for (const auto& [key, intent] : stored.intents()) {
    rep.intents++;
    IntentFigures f = DeriveIntent(derived, intent);
    auto row = intent_rows[intent.id];
    Diff(rep, "intent " + intent.id + " Amount", row.first, f.amount);
    Diff(rep, "intent " + intent.id + " PlatformFeesAmount", row.second, f.platform_fees);
    for (size_t i = 0; i < intent.lines.size(); ++i) {
      rep.line_items++;
      const LineItem& l = intent.lines[i];
      const LineFigures& lf = f.lines[i];
      std::string n = "line " + l.id;
      Diff(rep, n + " TotalLineItemAmount", l.total, lf.total);
      Diff(rep, n + " CapturedAmount", l.captured, lf.captured);
      Diff(rep, n + " CancelledAmount", l.cancelled, lf.cancelled);
      Diff(rep, n + " Seller.FeesAmount", l.fee, lf.fee);
      Diff(rep, n + " RefundedAmount", l.refunded, lf.refunded);
      Diff(rep, n + " DisputedAmount", l.disputed, lf.disputed);
      Diff(rep, n + " SplitAmount", l.split, lf.split);
      Diff(rep, n + " remaining authorised", l.remaining(), lf.remaining);
      Diff(rep, n + " available to split", l.captured - l.refunded - l.disputed - l.split,
           lf.available);
    }
    Status inv = CheckInvariants(intent);
    if (!inv.ok()) rep.differences.push_back("invariant: " + inv.message());
  }

  step("settlements and wallets");
  // 4. Settlements against their funding, and the wallets against the money behind them.
  for (const auto& [client_id, client] : stored.clients()) {
    for (const Settlement* s : stored.SettlementsOf(client_id)) {
      rep.settlements++;
      Amount funded = SettlementFunded(derived, *s);
      std::string n = "settlement " + s->id;
      CheckedSum declared;
      for (const SettlementMatch& m : s->matches) declared += m.amount;
      Diff(rep, n + " DeclaredIntentAmount", s->declared_intent_amount, declared.value());
      if (funded > s->actual_amount) Diff(rep, n + " funds received (at most ActualSettlementAmount)", s->actual_amount, funded);
      if (s->status == SettlementStatus::kReconciled) {
        Diff(rep, n + " funds received (RECONCILED)", s->actual_amount, funded);
      }
    }
  }
  // Σ(escrow + seller wallets + FEES + CREDIT) == escrow_bank, per client and currency: money
  // moves between wallets, it only enters with escrow funds.
  std::map<std::pair<std::string, std::string>, __int128> held;
  for (const Account& a : derived.accounts()) {
    if (a.id == 0) continue;
    const std::string_view kind = a.key().kind;
    auto k = std::make_pair(std::string(a.key().client_id), std::string(a.key().currency));
    if (kind == chart::kEscrow || kind == chart::kSellerWallet || kind == chart::kFeesWallet ||
        kind == chart::kCreditWallet) {
      held[k] += a.credit_balance();
    } else if (kind == chart::kEscrowBank) {
      held[k] -= a.posted_balance();
    }
  }
  for (const auto& [k, v] : held) {
    if (v != 0) {
      rep.differences.push_back("wallets of " + k.first + " in " + k.second + " hold " +
                                std::to_string(static_cast<long long>(v)) +
                                " more than the escrow bank account");
    }
  }
  return rep;
}

}  // namespace splitledger::ledger
