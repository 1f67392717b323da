#include "test_db.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "splitledger/core/ids.h"

namespace splitledger::ledger {
// Defined in ledger/src/store.cc (external linkage, not in a public header).
Result<std::string> PostgresConnectString(std::string_view url);
}  // namespace splitledger::ledger

namespace splitledger::ledger::testing {
namespace {

// URL with the database name replaced (postgresql://u@h:p/NAME[?q]).
std::string WithDatabase(const std::string& url, const std::string& name) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t q = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, q) : url.substr(0, slash);
  std::string query = q == std::string::npos ? "" : url.substr(q);
  return base + "/" + name + query;
}

std::unique_ptr<soci::session> Connect(Backend backend, const std::string& url) {
  if (backend == Backend::kSqlite) {
    return std::make_unique<soci::session>(soci::sqlite3, "db=\"" + url.substr(7) + "\" timeout=30");
  }
  auto conn = PostgresConnectString(url);
  if (!conn.ok()) throw soci::soci_error(conn.status().message());
  return std::make_unique<soci::session>(soci::postgresql, *conn);
}

}  // namespace

std::string PgAdminUrl() {
  const char* v = std::getenv("SPLITLEDGER_TEST_PG_URL");
  return v ? std::string(v) : std::string();
}

bool PgMayBeMissing() {
  const char* v = std::getenv("SPLITLEDGER_ALLOW_NO_PG");
  return v != nullptr && std::string(v) == "1";
}

Result<std::unique_ptr<TestDatabase>> TestDatabase::Create(Backend backend) {
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  db->backend_ = backend;
  if (backend == Backend::kSqlite) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "splitledger-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return Status::Internal("mkdtemp failed");
    db->dir_ = tmpl;
    db->url_ = "sqlite:" + tmpl + "/ledger.db";
    return db;
  }
  std::string admin = PgAdminUrl();
  if (admin.empty()) return Status::Unavailable("SPLITLEDGER_TEST_PG_URL is not set");
  db->db_name_ = "t_" + RandomHex(8);
  try {
    auto s = Connect(Backend::kPostgres, admin);
    *s << "CREATE DATABASE " + db->db_name_;
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("CREATE DATABASE failed: ") + e.what());
  }
  db->url_ = WithDatabase(admin, db->db_name_);
  return db;
}

TestDatabase::~TestDatabase() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!db_name_.empty()) {
    try {
      auto s = Connect(Backend::kPostgres, PgAdminUrl());
      *s << "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)";
    } catch (const std::exception&) {
      // the server is throwaway; a leftover database harms nothing
    }
  }
}

Status TestDatabase::Exec(const std::string& sql) {
  try {
    auto s = Connect(backend_, url_);
    *s << sql;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("exec failed: ") + e.what());
  }
  return Status::Ok();
}

Result<long long> TestDatabase::QueryInt(const std::string& sql) {
  try {
    auto s = Connect(backend_, url_);
    long long v = 0;
    soci::indicator ind;
    *s << sql, soci::into(v, ind);
    return ind == soci::i_ok ? v : 0;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("query failed: ") + e.what());
  }
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool writer) {
  StoreOptions o;
  o.url = url;
  o.writer = writer;
  return Store::Open(o);
}

CreateIntentInput RandomCreate(std::mt19937_64& rng, int n_lines, const std::string& tag) {
  CreateIntentInput in;
  in.currency = "EUR";
  in.buyer_id = tag;
  in.external.present = true;
  in.external.processing_date = 1700000000;
  in.external.provider_name = "Stripe";
  in.external.payment_method = "CARD";
  in.external.merchant_reference = "m-" + tag;
  for (int i = 0; i < n_lines; ++i) {
    LineItemInput l;
    l.sku = "sku" + std::to_string(i);
    l.name = "item " + std::to_string(i);
    l.description = "d";
    l.category = "c";
    l.quantity = 1 + static_cast<int64_t>(rng() % 3);
    l.unit_amount = 1 + static_cast<Amount>(rng() % 5000);
    l.discount_amount = static_cast<Amount>(rng() % 2) ? static_cast<Amount>(rng() % l.unit_amount) : 0;
    Amount total = l.unit_amount * l.quantity - l.discount_amount;
    l.seller.author_id = "user_" + std::to_string(i);
    l.seller.wallet_id = "wlt_" + std::to_string(i % 2);
    l.seller.fees_amount = total > 0 ? static_cast<Amount>(rng() % (total + 1)) : 0;
    if (rng() % 2) l.seller.transfer_date = 1700000100 + i;
    if (rng() % 2) l.shipping_address_json = R"({"City":"Paris"})";
    in.lines.push_back(std::move(l));
  }
  return in;
}

ActionInput Full() { return ActionInput{}; }

ActionInput RandomPartial(std::mt19937_64& rng, const Intent& intent, bool cancel) {
  ActionInput in;
  in.partial = true;
  in.currency = intent.currency;
  Amount sum = 0;
  for (const LineItem& l : intent.lines) {
    Amount rem = l.remaining();
    if (rem <= 0 || rng() % 3 == 0) continue;
    LineAmountInput la;
    la.line_item_id = l.id;
    la.amount = 1 + static_cast<Amount>(rng() % rem);
    if (cancel && rng() % 4 == 0) {
      // A stated fee part within the rules: never above the remaining fee, the rest of the fee
      // must fit in what remains, and cancelling the rest removes the whole fee.
      Amount remaining_after = rem - la.amount;
      Amount lo = l.fee > remaining_after ? l.fee - remaining_after : 0;
      la.fees_amount = remaining_after == 0 ? l.fee : lo + static_cast<Amount>(rng() % (l.fee - lo + 1));
    }
    sum += la.amount;
    in.lines.push_back(std::move(la));
  }
  if (in.lines.empty()) {
    for (const LineItem& l : intent.lines) {
      if (l.remaining() > 0) {
        in.lines.push_back({l.id, l.remaining(), std::nullopt});
        sum += l.remaining();
        if (cancel) in.lines.back().fees_amount = l.fee;
        break;
      }
    }
  }
  in.amount = sum;
  return in;
}

namespace {
template <typename T>
void Cmp(std::vector<std::string>& out, const std::string& what, const T& a, const T& b) {
  if (!(a == b)) out.push_back(what + " differs");
}
}  // namespace

std::vector<std::string> CompareIntents(const Intent& a, const Intent& b) {
  std::vector<std::string> d;
  std::string p = "intent " + a.id + ": ";
  Cmp(d, p + "id", a.id, b.id);
  Cmp(d, p + "client", a.client_id, b.client_id);
  Cmp(d, p + "currency", a.currency, b.currency);
  Cmp(d, p + "status", std::string(IntentStatusName(a.status)), std::string(IntentStatusName(b.status)));
  Cmp(d, p + "created_at", a.created_at, b.created_at);
  Cmp(d, p + "execution_date", a.execution_date, b.execution_date);
  Cmp(d, p + "buyer", a.buyer_id, b.buyer_id);
  Cmp(d, p + "unfunded", a.unfunded_amount, b.unfunded_amount);
  Cmp(d, p + "ext.processing_date", a.external.processing_date, b.external.processing_date);
  Cmp(d, p + "ext.provider_reference", a.external.provider_reference, b.external.provider_reference);
  Cmp(d, p + "ext.merchant_reference", a.external.merchant_reference, b.external.merchant_reference);
  Cmp(d, p + "ext.provider_name", a.external.provider_name, b.external.provider_name);
  Cmp(d, p + "ext.payment_method", a.external.payment_method, b.external.payment_method);
  Cmp(d, p + "amount", a.amount(), b.amount());
  Cmp(d, p + "platform_fees", a.platform_fees(), b.platform_fees());
  Cmp(d, p + "line count", a.lines.size(), b.lines.size());
  for (size_t i = 0; i < std::min(a.lines.size(), b.lines.size()); ++i) {
    const LineItem& x = a.lines[i];
    const LineItem& y = b.lines[i];
    std::string q = p + "line " + std::to_string(i) + " ";
    Cmp(d, q + "id", x.id, y.id);
    Cmp(d, q + "sku", x.input.sku, y.input.sku);
    Cmp(d, q + "name", x.input.name, y.input.name);
    Cmp(d, q + "description", x.input.description, y.input.description);
    Cmp(d, q + "category", x.input.category, y.input.category);
    Cmp(d, q + "quantity", x.input.quantity, y.input.quantity);
    Cmp(d, q + "unit_amount", x.input.unit_amount, y.input.unit_amount);
    Cmp(d, q + "tax_amount", x.input.tax_amount, y.input.tax_amount);
    Cmp(d, q + "discount", x.input.discount_amount, y.input.discount_amount);
    Cmp(d, q + "seller.author", x.input.seller.author_id, y.input.seller.author_id);
    Cmp(d, q + "seller.wallet", x.input.seller.wallet_id, y.input.seller.wallet_id);
    Cmp(d, q + "seller.fees_amount", x.input.seller.fees_amount, y.input.seller.fees_amount);
    Cmp(d, q + "seller.transfer_date", x.input.seller.transfer_date, y.input.seller.transfer_date);
    Cmp(d, q + "shipping", x.input.shipping_address_json, y.input.shipping_address_json);
    Cmp(d, q + "total", x.total, y.total);
    Cmp(d, q + "fee_initial", x.fee_initial, y.fee_initial);
    Cmp(d, q + "fee", x.fee, y.fee);
    Cmp(d, q + "captured", x.captured, y.captured);
    Cmp(d, q + "cancelled", x.cancelled, y.cancelled);
    Cmp(d, q + "refunded", x.refunded, y.refunded);
    Cmp(d, q + "disputed", x.disputed, y.disputed);
    Cmp(d, q + "split", x.split, y.split);
  }
  Cmp(d, p + "action count", a.actions.size(), b.actions.size());
  for (size_t i = 0; i < std::min(a.actions.size(), b.actions.size()); ++i) {
    const ActionRecord& x = a.actions[i];
    const ActionRecord& y = b.actions[i];
    std::string q = p + "action " + std::to_string(i) + " ";
    Cmp(d, q + "id", x.id, y.id);
    Cmp(d, q + "kind", static_cast<int>(x.kind), static_cast<int>(y.kind));
    Cmp(d, q + "status", x.status, y.status);
    Cmp(d, q + "amount", x.amount, y.amount);
    Cmp(d, q + "created_at", x.created_at, y.created_at);
    Cmp(d, q + "updated_at", x.updated_at, y.updated_at);
    Cmp(d, q + "parent", x.parent_id, y.parent_id);
    Cmp(d, q + "ext.present", x.external.present, y.external.present);
    Cmp(d, q + "ext.merchant_reference", x.external.merchant_reference, y.external.merchant_reference);
    Cmp(d, q + "line count", x.lines.size(), y.lines.size());
    for (size_t k = 0; k < std::min(x.lines.size(), y.lines.size()); ++k) {
      std::string r = q + "line " + std::to_string(k) + " ";
      Cmp(d, r + "index", x.lines[k].line_index, y.lines[k].line_index);
      Cmp(d, r + "amount", x.lines[k].amount, y.lines[k].amount);
      Cmp(d, r + "fee_removed", x.lines[k].fee_removed, y.lines[k].fee_removed);
      Cmp(d, r + "fee_restored", x.lines[k].fee_restored, y.lines[k].fee_restored);
    }
  }
  return d;
}

std::vector<std::string> CompareWithLedger(const Book& book, const Intent& intent) {
  std::vector<std::string> d;
  IntentFigures f = DeriveIntent(book, intent);
  std::string p = "intent " + intent.id + ": ledger ";
  Cmp(d, p + "Amount", f.amount, intent.amount());
  Cmp(d, p + "PlatformFeesAmount", f.platform_fees, intent.platform_fees());
  Cmp(d, p + "AvailableAmountToSplit", f.available_to_split, intent.available_to_split());
  for (size_t i = 0; i < intent.lines.size(); ++i) {
    const LineItem& l = intent.lines[i];
    const LineFigures& lf = f.lines[i];
    std::string q = p + "line " + std::to_string(i) + " ";
    Cmp(d, q + "total", lf.total, l.total);
    Cmp(d, q + "remaining", lf.remaining, l.remaining());
    Cmp(d, q + "captured", lf.captured, l.captured);
    Cmp(d, q + "cancelled", lf.cancelled, l.cancelled);
    Cmp(d, q + "fee", lf.fee, l.fee);
  }
  return d;
}

std::vector<std::string> CompareBooks(const Book& a, const Book& b) {
  std::vector<std::string> d;
  Cmp(d, "account count", a.account_count(), b.account_count());
  for (const Account& x : a.accounts()) {
    if (x.id == 0) continue;
    const int64_t id = x.id;
    const Account* y = b.FindById(id);
    std::string p = "account " + std::to_string(id) + " ";
    if (y == nullptr) {
      d.push_back(p + "missing");
      continue;
    }
    Cmp(d, p + "key", x.key().Joined(), y->key().Joined());
    Cmp(d, p + "created_at", x.created_at, y->created_at);
    Cmp(d, p + "debits_posted", x.debits_posted, y->debits_posted);
    Cmp(d, p + "credits_posted", x.credits_posted, y->credits_posted);
    Cmp(d, p + "debits_pending", x.debits_pending, y->debits_pending);
    Cmp(d, p + "credits_pending", x.credits_pending, y->credits_pending);
  }
  return d;
}

Result<IntentActionResult> CreateIntent(State& state, const std::string& client_id,
                                        const CreateIntentInput& input, int64_t now_ms) {
  std::vector<std::string> line_ids;
  for (size_t i = 0; i < input.lines.size(); ++i) line_ids.push_back(NewId(id_prefix::kLineItem, now_ms));
  return ledger::CreateIntent(state, client_id, input, NewId(id_prefix::kIntent, now_ms), line_ids, now_ms);
}

Result<IntentActionResult> CaptureIntent(State& state, const std::string& client_id,
                                         const std::string& intent_id, const ActionInput& input,
                                         int64_t now_ms) {
  return ledger::CaptureIntent(state, client_id, intent_id, input, NewId(id_prefix::kCapture, now_ms), now_ms);
}

Result<IntentActionResult> CancelIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        int64_t now_ms) {
  return ledger::CancelIntent(state, client_id, intent_id, input, NewId(id_prefix::kCancel, now_ms), now_ms);
}

}  // namespace splitledger::ledger::testing
