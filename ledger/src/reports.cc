#include "splitledger/ledger/reports.h"

#include <openssl/evp.h>
#include <soci/soci.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "entity_tables.h"
#include "read_snapshot.h"
#include "splitledger/core/settlement.h"
#include "splitledger/ledger/chart.h"
#include "splitledger/ledger/intent_ops.h"
#include "splitledger/ledger/state.h"
#include "table.h"

namespace splitledger::ledger {

namespace {

// Runs `body` inside one read snapshot; storage errors become kUnavailable.
template <class T, class F>
Result<T> InSnapshot(Store& store, const char* what, F&& body) {
  try {
    ReadSnapshot snapshot(store);
    return body(store.session());
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string(what) + ": " + e.what());
  }
}

int64_t ProjectedLsn(Store& store) {
  auto pos = store.StoredProjectionPosition();
  return pos.ok() ? static_cast<int64_t>(pos->lsn) : 0;
}

TrialBalanceLine LineOf(const soci::row& r) {
  TrialBalanceLine l;
  l.account_id = GetInt(r, 0);
  l.key = AccountKey{GetText(r, 1), GetText(r, 2), GetText(r, 3), GetText(r, 4)};
  return l;
}
const char* kAccountColumns = "id, client_id, currency, kind, ref";

// A transaction kind as people name the cause of a movement.
std::string CauseOf(const std::string& kind) {
  static const std::map<std::string, std::string> kCauses = {
      {"intent.create", "intent"},
      {"intent.add_lines", "intent"},
      {"intent.capture", "capture"},
      {"intent.cancel", "cancel"},
      {"intent.refund", "refund"},
      {"intent.refund_reversal", "refund reversal"},
      {"intent.dispute", "dispute"},
      {"intent.dispute_decision", "dispute decision"},
      {"intent.funded", "settlement funds for an intent"},
      {"split.create", "split"},
      {"split.update", "split"},
      {"split.execute", "split transfer"},
      {"split.reverse", "split reversal"},
      {"split.take_back", "split take-back (refund)"},
      {"escrow.receive", "escrow funds"},
      {"settlement.funded", "settlement funding"},
  };
  auto it = kCauses.find(kind);
  return it == kCauses.end() ? kind : it->second;
}

std::string HexSha256(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace

Result<std::vector<std::string>> ListClients(Store& store) {
  return InSnapshot<std::vector<std::string>>(store, "clients", [&](soci::session& sql) {
    std::vector<std::string> ids;
    soci::rowset<soci::row> rs = sql.prepare << "SELECT id FROM clients ORDER BY id";
    for (const soci::row& r : rs) ids.push_back(GetText(r, 0));
    return ids;
  });
}

bool CreditNormal(std::string_view kind) {
  return kind == chart::kSellerWallet || kind == chart::kFeesWallet ||
         kind == chart::kCreditWallet || kind == chart::kEscrow;
}

Result<TrialBalance> ComputeTrialBalance(Store& store, const std::string& client_id,
                                         const std::string& currency, std::optional<int64_t> at) {
  return InSnapshot<TrialBalance>(store, "trial balance", [&](soci::session& sql) {
    TrialBalance tb;
    tb.as_of_lsn = ProjectedLsn(store);
    std::map<int64_t, TrialBalanceLine> lines;
    std::string filter = currency.empty() ? "" : " AND currency = :cur";
    {
      soci::rowset<soci::row> rs =
          currency.empty()
              ? (sql.prepare
                     << "SELECT " << kAccountColumns
                     << ", debits_posted, credits_posted FROM accounts WHERE client_id = :c",
                 soci::use(client_id))
              : (sql.prepare << "SELECT " << kAccountColumns
                             << ", debits_posted, credits_posted FROM accounts WHERE client_id = :c"
                             << filter,
                 soci::use(client_id), soci::use(currency));
      for (const soci::row& r : rs) {
        TrialBalanceLine l = LineOf(r);
        if (!at) {
          l.debits = GetInt(r, 5);
          l.credits = GetInt(r, 6);
        }
        lines[l.account_id] = l;
      }
    }
    if (at) {
      // The posted postings of the client's transactions up to the end of second `at`.
      long long until = *at;
      soci::rowset<soci::row> rs =
          (sql.prepare << "SELECT p.account_id, p.side, CAST(SUM(p.amount) AS BIGINT) "
                          "FROM postings p JOIN journal_transactions t ON t.id = p.tx_id "
                          "WHERE t.client_id = :c AND t.created_at <= :at AND p.phase = 0 "
                          "GROUP BY p.account_id, p.side",
           soci::use(client_id), soci::use(until));
      for (const soci::row& r : rs) {
        auto it = lines.find(GetInt(r, 0));
        if (it == lines.end()) continue;  // another currency
        Amount sum = GetInt(r, 2);
        if (GetInt(r, 1) == static_cast<int>(Side::kDebit)) {
          it->second.debits += sum;
        } else {
          it->second.credits += sum;
        }
      }
    }
    std::map<std::string, CurrencyTotals> totals;
    for (auto& [id, l] : lines) {
      if (at && l.debits == 0 && l.credits == 0) continue;  // not opened yet at that instant
      CurrencyTotals& t = totals[l.key.currency];
      t.currency = l.key.currency;
      t.debits += l.debits;
      t.credits += l.credits;
      tb.accounts.push_back(l);
    }
    std::sort(tb.accounts.begin(), tb.accounts.end(),
              [](const TrialBalanceLine& a, const TrialBalanceLine& b) {
                return std::tie(a.key.currency, a.key.kind, a.key.ref, a.account_id) <
                       std::tie(b.key.currency, b.key.kind, b.key.ref, b.account_id);
              });
    for (auto& [cur, t] : totals) tb.totals.push_back(t);
    return tb;
  });
}

Result<TrialBalanceLine> FindWalletAccount(Store& store, const std::string& client_id,
                                           const std::string& wallet_id) {
  return InSnapshot<TrialBalanceLine>(
      store, "wallet account", [&](soci::session& sql) -> Result<TrialBalanceLine> {
        // FEES_EUR, CREDIT_EUR, ESCROW_EUR: the client's own wallets.
        static const std::pair<const char*, std::string_view> kClientWallets[] = {
            {"FEES_", chart::kFeesWallet},
            {"CREDIT_", chart::kCreditWallet},
            {"ESCROW_", chart::kEscrow}};
        AccountKey key;
        for (const auto& [prefix, kind] : kClientWallets) {
          std::string_view p(prefix);
          if (wallet_id.size() == p.size() + 3 && wallet_id.compare(0, p.size(), p) == 0) {
            if (client_id.empty())
              return Status::Invalid("--client is needed for " + wallet_id, "client");
            key = AccountKey{client_id, wallet_id.substr(p.size()), std::string(kind), ""};
          }
        }
        if (key.kind.empty()) {
          // A seller wallet: its client and currency from the wallets table.
          soci::rowset<soci::row> rs =
              (sql.prepare << "SELECT client_id, currency FROM wallets WHERE id = :w",
               soci::use(wallet_id));
          for (const soci::row& r : rs) {
            key = AccountKey{GetText(r, 0), GetText(r, 1), std::string(chart::kSellerWallet),
                             wallet_id};
          }
          if (key.kind.empty() || (!client_id.empty() && key.client_id != client_id))
            return Status::NotFound("no wallet " + wallet_id, "wallet");
        }
        TrialBalanceLine line;
        line.key = key;
        soci::rowset<soci::row> rs =
            (sql.prepare << "SELECT " << kAccountColumns << ", debits_posted, credits_posted "
                         << "FROM accounts WHERE client_id = :c AND currency = :cur AND kind = :k "
                            "AND ref = :r",
             soci::use(key.client_id), soci::use(key.currency), soci::use(key.kind),
             soci::use(key.ref));
        for (const soci::row& r : rs) {
          line = LineOf(r);
          line.debits = GetInt(r, 5);
          line.credits = GetInt(r, 6);
        }
        return line;  // account_id 0: the wallet exists and no money ever moved through it
      });
}

Result<TrialBalanceLine> FindAccount(Store& store, int64_t account_id) {
  return InSnapshot<TrialBalanceLine>(
      store, "account", [&](soci::session& sql) -> Result<TrialBalanceLine> {
        long long id = account_id;
        soci::rowset<soci::row> rs =
            (sql.prepare << "SELECT " << kAccountColumns
                         << ", debits_posted, credits_posted FROM accounts WHERE id = :id",
             soci::use(id));
        for (const soci::row& r : rs) {
          TrialBalanceLine l = LineOf(r);
          l.debits = GetInt(r, 5);
          l.credits = GetInt(r, 6);
          return l;
        }
        return Status::NotFound("no account " + std::to_string(account_id), "account");
      });
}

Result<Statement> ComputeStatement(Store& store, int64_t account_id, std::optional<int64_t> from,
                                   std::optional<int64_t> to) {
  auto account = FindAccount(store, account_id);
  if (!account.ok()) return account.status();
  return InSnapshot<Statement>(store, "statement", [&](soci::session& sql) {
    Statement st;
    st.account = *account;
    st.credit_normal = CreditNormal(st.account.key.kind);
    st.from = from;
    st.to = to;
    st.as_of_lsn = ProjectedLsn(store);
    int sign = st.credit_normal ? -1 : 1;
    long long id = account_id;
    // The account's posted postings in journal order (index postings_by_account).
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT p.tx_id, t.created_at, t.kind, t.ref, p.side, p.amount, "
                        "p.posted_balance_after FROM postings p "
                        "JOIN journal_transactions t ON t.id = p.tx_id "
                        "WHERE p.account_id = :a AND p.phase = 0 ORDER BY p.tx_id, p.seq",
         soci::use(id));
    Amount balance = 0;
    for (const soci::row& r : rs) {
      int64_t at = GetInt(r, 1);
      Amount after = sign * GetInt(r, 6);
      if (from && at < *from) {
        st.opening_balance = after;
        balance = after;
        continue;
      }
      if (to && at > *to) break;
      Movement m;
      m.tx_id = GetInt(r, 0);
      m.at = at;
      m.kind = GetText(r, 2);
      m.cause = CauseOf(m.kind);
      m.ref = GetText(r, 3);
      bool debit = GetInt(r, 4) == static_cast<int>(Side::kDebit);
      m.amount = (debit ? 1 : -1) * sign * GetInt(r, 5);
      m.balance = after;
      balance = after;
      st.movements.push_back(std::move(m));
    }
    st.closing_balance = balance;
    return st;
  });
}

Result<Amount> BalanceAt(Store& store, int64_t account_id, int64_t at) {
  auto account = FindAccount(store, account_id);
  if (!account.ok()) return account.status();
  return InSnapshot<Amount>(store, "balance", [&](soci::session& sql) {
    long long id = account_id, until = at;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT p.posted_balance_after FROM postings p "
                        "JOIN journal_transactions t ON t.id = p.tx_id "
                        "WHERE p.account_id = :a AND p.phase = 0 AND t.created_at <= :at "
                        "ORDER BY p.tx_id DESC, p.seq DESC LIMIT 1",
         soci::use(id), soci::use(until));
    Amount balance = 0;
    for (const soci::row& r : rs) balance = GetInt(r, 0);
    return CreditNormal(account->key.kind) ? -balance : balance;
  });
}

Result<std::vector<JournalEntry>> JournalEntries(Store& store, const std::string& client_id,
                                                 const std::string& ref) {
  return InSnapshot<std::vector<JournalEntry>>(store, "journal", [&](soci::session& sql) {
    std::vector<JournalEntry> entries;
    // A scan of the client's entries (no index on ref: lookups by reference are the writer's,
    // in memory); postings then by their primary key.
    soci::rowset<soci::row> rs =
        (sql.prepare
             << "SELECT t.id, t.kind, t.created_at, p.account_id, a.currency, a.kind, a.ref, "
                "p.side, p.amount FROM journal_transactions t "
                "JOIN postings p ON p.tx_id = t.id JOIN accounts a ON a.id = p.account_id "
                "WHERE t.client_id = :c AND t.ref = :r AND p.phase = 0 ORDER BY t.id, p.seq",
         soci::use(client_id), soci::use(ref));
    for (const soci::row& r : rs) {
      int64_t id = GetInt(r, 0);
      if (entries.empty() || entries.back().tx_id != id)
        entries.push_back(JournalEntry{id, GetText(r, 1), GetInt(r, 2), {}});
      entries.back().postings.push_back(JournalPosting{
          GetInt(r, 3), AccountKey{client_id, GetText(r, 4), GetText(r, 5), GetText(r, 6)},
          GetInt(r, 7) == static_cast<int>(Side::kDebit), GetInt(r, 8)});
    }
    return entries;
  });
}

Result<std::vector<Settlement>> ListSettlements(Store& store, const std::string& client_id) {
  return InSnapshot<std::vector<Settlement>>(store, "settlements", [&](soci::session& sql) {
    std::vector<Settlement> out;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " + kSettlementsTable.ColumnNames() +
                            " FROM settlements WHERE client_id = :c ORDER BY created_at DESC, id DESC",
         soci::use(client_id));
    for (const soci::row& r : rs) {
      if (auto s = kSettlementsTable.Read(r).Restore()) out.push_back(std::move(*s));
    }
    return out;
  });
}

Result<std::vector<HookDelivery>> ListDeliveries(Store& store, const std::string& client_id,
                                                 int64_t limit) {
  return InSnapshot<std::vector<HookDelivery>>(store, "deliveries", [&](soci::session& sql) {
    std::vector<HookDelivery> out;
    long long n = limit;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " + kHookDeliveriesTable.ColumnNames() +
                            " FROM hook_deliveries WHERE client_id = :c ORDER BY id DESC LIMIT :n",
         soci::use(client_id), soci::use(n));
    for (const soci::row& r : rs) out.push_back(kHookDeliveriesTable.Read(r));
    return out;
  });
}

Result<Reconciliation> Reconcile(Store& store, const std::string& client_id,
                                 const std::function<void(int64_t, int64_t)>& progress) {
  Reconciliation rec;
  State state;
  std::map<std::string, std::vector<std::string>>
      receipts;  // currency -> "escrow.receive REF (tx N)"
  try {
    ReadSnapshot snapshot(store);
    rec.as_of_lsn = ProjectedLsn(store);
    SL_RETURN_IF_ERROR(store.Load(state));
    soci::rowset<soci::row> rs =
        (store.session().prepare
             << "SELECT t.id, t.ref, a.currency FROM journal_transactions t "
                "JOIN postings p ON p.tx_id = t.id AND p.seq = 0 "
                "JOIN accounts a ON a.id = p.account_id "
                "WHERE t.client_id = :c AND t.kind = 'escrow.receive' ORDER BY t.id",
         soci::use(client_id));
    for (const soci::row& r : rs) {
      receipts[GetText(r, 2)].push_back("escrow.receive " + GetText(r, 1) + " (journal tx " +
                                        std::to_string(GetInt(r, 0)) + ")");
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("reconcile: ") + e.what());
  }
  const Book& book = state.book();
  std::vector<const Settlement*> settlements = state.SettlementsOf(client_id);
  std::vector<const Intent*> intents;
  for (const auto& [key, intent] : state.intents()) {
    if (intent.client_id == client_id) intents.push_back(&intent);
  }
  std::sort(intents.begin(), intents.end(),
            [](const Intent* a, const Intent* b) { return a->id < b->id; });
  const int64_t total = static_cast<int64_t>(settlements.size() + intents.size());
  int64_t done = 0;
  auto tick = [&] {
    ++done;
    if (progress && (done % 256 == 0 || done == total)) progress(done, total);
  };

  // 1. Escrow funds received vs settlements: each settlement waiting for or given funds has
  //    received exactly what its file says the escrow must get.
  for (const Settlement* s : settlements) {
    tick();
    bool funded_state = s->status == SettlementStatus::kPendingFundsReception ||
                        s->status == SettlementStatus::kInsufficientFunds ||
                        s->status == SettlementStatus::kReconciled;
    if (!funded_state) continue;
    ++rec.settlements_checked;
    Amount funded = SettlementFunded(book, *s);
    // Waiting for its wire with nothing received yet is the normal state between the file and
    // the money, not a difference; a part received, or a reconciled one off, is.
    bool waiting = s->status == SettlementStatus::kPendingFundsReception && funded == 0;
    if (funded != s->actual_amount && !waiting) {
      Difference d{"settlement_funding", s->id, s->currency, s->actual_amount, funded, "", {}};
      d.detail = "settlement " + std::string(SettlementStatusName(s->status)) + " received " +
                 std::to_string(funded) + " of " + std::to_string(s->actual_amount) + " (" +
                 std::to_string(s->actual_amount - funded) + " missing)";
      d.related = receipts[s->currency];
      rec.differences.push_back(std::move(d));
    }
    // 2. Settlements vs intents: every matched line is the action it names, for its amount.
    Amount matched = 0;  // signed, as the settlement declares it (refunds and disputes negative)
    for (const SettlementMatch& m : s->matches) {
      matched += m.amount;
      const Intent* intent = state.FindIntent(client_id, m.intent_id);
      const ActionRecord* action = nullptr;
      if (intent != nullptr) {
        for (const ActionRecord& a : intent->actions) {
          if (a.id == m.action_id) action = &a;
        }
      }
      Amount line = m.amount < 0 ? -m.amount : m.amount;
      if (action == nullptr || action->amount != line) {
        Difference d{"settlement_lines",
                     s->id,
                     s->currency,
                     line,
                     action == nullptr ? 0 : action->amount,
                     "",
                     {m.intent_id, m.action_id}};
        d.detail = action == nullptr ? "a settlement line matches an action that does not exist"
                                     : "a settlement line's amount differs from its action's";
        rec.differences.push_back(std::move(d));
      }
    }
    if (matched != s->declared_intent_amount) {
      Difference d{"settlement_lines",
                   s->id,
                   s->currency,
                   s->declared_intent_amount,
                   matched,
                   "the matched lines do not add up to the settlement's intent amount",
                   {}};
      rec.differences.push_back(std::move(d));
    }
  }

  // 3. Executed splits vs seller wallets: a seller wallet holds what its executed splits paid
  //    in (SplitAmount − FeesAmount) less what refunds took back from it.
  std::map<std::string, std::pair<Amount, std::vector<std::string>>> expected;  // Joined key
  for (const Intent* intent : intents) {
    tick();
    for (const Split& sp : intent->splits) {
      if (!sp.executed() || sp.line_index >= intent->lines.size()) continue;
      // A refund that reached into the split but could not take the money back: the escrow
      // wallet is short of it.
      Amount short_by = sp.refunded - sp.taken_back - sp.fees_taken_back;
      if (short_by != 0) {
        rec.differences.push_back(
            Difference{"split_take_back",
                       sp.id,
                       intent->currency,
                       sp.refunded,
                       sp.taken_back + sp.fees_taken_back,
                       "a refund of an executed split could not take all of it back" +
                           (sp.note.empty() ? std::string() : ": " + sp.note),
                       {intent->id + "/" + sp.id}});
      }
      AccountKey key = SellerAccount(*intent, intent->lines[sp.line_index]);
      if (key.kind != chart::kSellerWallet) continue;
      auto& e = expected[key.Joined()];
      e.first += sp.amount - sp.fees - sp.taken_back;
      e.second.push_back(intent->id + "/" + sp.id);
    }
  }
  for (const Account& a : book.accounts()) {
    const AccountKeyView key = a.key();
    if (key.client_id != client_id || key.kind != chart::kSellerWallet) continue;
    ++rec.wallets_checked;
    auto it = expected.find(key.Joined());
    Amount want = it == expected.end() ? 0 : it->second.first;
    if (want != a.credit_balance()) {
      Difference d{"seller_wallet",
                   std::string(key.ref),
                   std::string(key.currency),
                   want,
                   a.credit_balance(),
                   "the wallet's balance differs from its executed splits net of take-backs",
                   it == expected.end() ? std::vector<std::string>{} : it->second.second};
      rec.differences.push_back(std::move(d));
    }
  }

  // 4. Funds received that no settlement explains.
  std::set<std::string> currencies;
  for (const Account& a : book.accounts()) {
    const AccountKeyView key = a.key();
    if (key.client_id == client_id && key.kind == chart::kEscrow) currencies.emplace(key.currency);
  }
  for (const std::string& cur : currencies) {
    ++rec.escrow_currencies_checked;
    Amount unallocated = UnallocatedFunds(book, client_id, cur);
    if (unallocated != 0) {
      rec.differences.push_back(
          Difference{"escrow_unallocated", "ESCROW_" + cur, cur, 0, unallocated,
                     "escrow funds received that no settlement was waiting for", receipts[cur]});
    }
  }
  if (progress) progress(total, total);
  return rec;
}

Result<std::vector<ExportedFile>> ExportClient(
    Store& store, const std::string& client_id, int64_t from, int64_t to, const std::string& dir,
    const std::function<void(int64_t, int64_t)>& progress) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Invalid("cannot create " + dir + ": " + ec.message(), "dir");
  long long lo = from, hi = to;
  struct Query {
    const char* file;
    const char* header;  // the CSV's first line, there even when no row follows
    std::string sql;
    bool ranged;  // binds (client, from, to), else (client)
  };
  const std::vector<Query> queries = {
      {"journal.csv", "id,client_id,kind,ref,created_at",
       "SELECT id, client_id, kind, ref, created_at FROM journal_transactions "
       "WHERE client_id = :c AND created_at >= :lo AND created_at <= :hi ORDER BY id",
       true},
      {"postings.csv",
       "tx_id,seq,account_id,currency,kind,ref,side,phase,amount,posted_balance_after",
       "SELECT p.tx_id, p.seq, p.account_id, a.currency, a.kind, a.ref, p.side, p.phase, "
       "p.amount, p.posted_balance_after FROM postings p "
       "JOIN journal_transactions t ON t.id = p.tx_id JOIN accounts a ON a.id = p.account_id "
       "WHERE t.client_id = :c AND t.created_at >= :lo AND t.created_at <= :hi "
       "ORDER BY p.tx_id, p.seq",
       true},
      {"wallets.csv", "account_id,currency,kind,ref,debits_posted,credits_posted",
       "SELECT a.id AS account_id, a.currency, a.kind, a.ref, a.debits_posted, a.credits_posted "
       "FROM accounts a WHERE a.client_id = :c AND a.kind IN ('wallet', 'client_fees', "
       "'client_credit', 'escrow') ORDER BY a.currency, a.kind, a.ref",
       false},
      {"intents.csv", "id,status,amount,platform_fees,created_at",
       "SELECT id, status, amount, platform_fees, created_at FROM intents WHERE client_id = :c "
       "ORDER BY created_at, id",
       false},
      {"settlements.csv",
       "id,status,currency,declared_intent_amount,processor_fees,actual_amount,settlement_date,"
       "created_at",
       "SELECT id, status, currency, declared_intent_amount, processor_fees, actual_amount, "
       "settlement_date, created_at FROM settlements WHERE client_id = :c ORDER BY created_at, id",
       false},
  };
  std::vector<ExportedFile> files;
  try {
    ReadSnapshot snapshot(store);
    soci::session& sql = store.session();
    int64_t step = 0;
    for (const Query& q : queries) {
      if (progress) progress(step++, static_cast<int64_t>(queries.size()));
      std::string out = std::string(q.header) + "\n";
      soci::rowset<soci::row> rs =
          q.ranged ? (sql.prepare << q.sql, soci::use(client_id), soci::use(lo), soci::use(hi))
                   : (sql.prepare << q.sql, soci::use(client_id));
      int64_t rows = 0;
      for (const soci::row& r : rs) {
        for (size_t i = 0; i < r.size(); ++i) {
          if (i) out += ",";
          if (r.get_properties(i).get_data_type() == soci::dt_string) {
            std::string v = GetText(r, i);
            bool quote = v.find_first_of(",\"\r\n") != std::string::npos;
            if (!quote) {
              out += v;
            } else {
              out += '"';
              for (char ch : v) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
              out += '"';
            }
          } else {
            out += std::to_string(GetInt(r, i));
          }
        }
        out += "\n";
        ++rows;
      }
      std::ofstream f(std::filesystem::path(dir) / q.file, std::ios::binary | std::ios::trunc);
      f << out;
      if (!f) return Status::Unavailable(std::string("cannot write ") + q.file);
      files.push_back({q.file, rows, HexSha256(out)});
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("export: ") + e.what());
  }
  // Client ids are [A-Za-z0-9._-]; escaped anyway.
  std::string quoted_client;
  for (char ch : client_id) {
    if (ch == '"' || ch == '\\') quoted_client += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) quoted_client += ch;
  }
  std::string manifest = "{\"client_id\":\"" + quoted_client +
                         "\",\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
                         ",\"files\":[";
  for (size_t i = 0; i < files.size(); ++i) {
    manifest += std::string(i ? "," : "") + "{\"name\":\"" + files[i].name +
                "\",\"rows\":" + std::to_string(files[i].rows) + ",\"sha256\":\"" +
                files[i].sha256 + "\"}";
  }
  manifest += "]}\n";
  std::ofstream m(std::filesystem::path(dir) / "manifest.json", std::ios::trunc);
  m << manifest;
  if (!m) return Status::Unavailable("cannot write manifest.json");
  if (progress)
    progress(static_cast<int64_t>(queries.size()), static_cast<int64_t>(queries.size()));
  return files;
}

}  // namespace splitledger::ledger
