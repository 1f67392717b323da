// Reports for platform admins (`splitledger admin …`): trial balance, wallet statements,
// balances at a past instant, reconciliation, export. Read from the tables (the projection of the
// log) inside one read snapshot each, by a reader that never takes the lease: they run beside a
// running server as well as on a database no server holds. A running server's last
// acknowledgements may not be projected yet; every report states the log position it reflects.
//
// Amounts are integer minor units. Account balances are debit-positive in storage (journal.h);
// wallets (seller, FEES_, CREDIT_, escrow) are shown credit-normal, as the API shows them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/core/settlement.h"
#include "splitledger/ledger/journal.h"
#include "splitledger/ledger/state.h"
#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

// Platform client ids, sorted.
Result<std::vector<std::string>> ListClients(Store& store);

// Wallet kinds are credit-normal: their shown balance is credits − debits.
bool CreditNormal(std::string_view kind);

struct TrialBalanceLine {
  int64_t account_id = 0;
  AccountKey key;
  Amount debits = 0;  // posted, up to the instant
  Amount credits = 0;
  Amount balance() const { return debits - credits; }  // debit-positive
};
struct CurrencyTotals {
  std::string currency;
  Amount debits = 0;
  Amount credits = 0;
};
struct TrialBalance {
  std::vector<TrialBalanceLine> accounts;  // by currency, kind, ref
  std::vector<CurrencyTotals> totals;      // by currency; debits == credits when the books balance
  int64_t as_of_lsn = 0;
};
// Every account of `client_id` (of `currency` when not empty) with its posted debits and credits,
// now or as of the end of second `at` (unix seconds).
Result<TrialBalance> ComputeTrialBalance(Store& store, const std::string& client_id,
                                         const std::string& currency, std::optional<int64_t> at);

// The account a wallet id names: a seller wallet, or FEES_<CUR> / CREDIT_<CUR> / ESCROW_<CUR> of
// `client_id`. kNotFound when no posting ever reached it.
Result<TrialBalanceLine> FindWalletAccount(Store& store, const std::string& client_id,
                                           const std::string& wallet_id);
// An account by its id.
Result<TrialBalanceLine> FindAccount(Store& store, int64_t account_id);

struct Movement {
  int64_t tx_id = 0;
  int64_t at = 0;      // unix seconds
  std::string kind;    // the journal transaction's kind ("split.execute", …)
  std::string cause;   // for people: "split", "refund", "escrow funds", …
  std::string ref;     // the business object (intent, action, settlement, wire reference)
  Amount amount = 0;   // signed, in the account's normal direction
  Amount balance = 0;  // after it, in the account's normal direction
};
struct Statement {
  TrialBalanceLine account;
  bool credit_normal = false;
  std::optional<int64_t> from, to;  // inclusive, unix seconds
  Amount opening_balance = 0;       // just before `from`
  std::vector<Movement> movements;  // posted, in journal order
  Amount closing_balance = 0;       // after the last movement up to `to`
  int64_t as_of_lsn = 0;
};
Result<Statement> ComputeStatement(Store& store, int64_t account_id, std::optional<int64_t> from,
                                   std::optional<int64_t> to);
// The account's posted balance (normal direction) at the end of second `at`.
Result<Amount> BalanceAt(Store& store, int64_t account_id, int64_t at);

// The client's journal entries whose business object is `ref`, with their postings.
struct JournalPosting {
  int64_t account_id = 0;
  AccountKey key;
  bool debit = false;
  Amount amount = 0;
};
struct JournalEntry {
  int64_t tx_id = 0;
  std::string kind;
  int64_t at = 0;
  std::vector<JournalPosting> postings;
};
Result<std::vector<JournalEntry>> JournalEntries(Store& store, const std::string& client_id,
                                                 const std::string& ref);

// A client's settlements, newest first (their validation errors and matches included).
Result<std::vector<Settlement>> ListSettlements(Store& store, const std::string& client_id);
// A client's hook deliveries (the outbox and its attempts), newest first, at most `limit`.
Result<std::vector<HookDelivery>> ListDeliveries(Store& store, const std::string& client_id,
                                                 int64_t limit);

struct Difference {
  std::string
      check;  // "settlement_funding", "settlement_lines", "seller_wallet", "escrow_unallocated"
  std::string object;  // the object that differs (a settlement id, a wallet id, a currency)
  std::string currency;
  Amount expected = 0;
  Amount actual = 0;
  std::string detail;  // for people
  std::vector<std::string>
      related;  // the objects behind it (journal transactions, intents, splits)
};
struct Reconciliation {
  std::vector<Difference> differences;
  int64_t settlements_checked = 0;
  int64_t wallets_checked = 0;
  int64_t escrow_currencies_checked = 0;
  int64_t as_of_lsn = 0;
};
// Escrow funds received vs settlements, settlements vs the intents their lines matched, executed
// splits vs seller wallets. `progress(done, total)` is called now and then.
Result<Reconciliation> Reconcile(Store& store, const std::string& client_id,
                                 const std::function<void(int64_t, int64_t)>& progress = {});

struct ExportedFile {
  std::string name;  // in the directory
  int64_t rows = 0;
  std::string sha256;  // hex, of the file's bytes
};
// Writes journal.csv, postings.csv, wallets.csv, intents.csv, settlements.csv (the client's rows;
// journal entries and their postings from `from` to `to` inclusive) and manifest.json into `dir`
// (created if missing).
Result<std::vector<ExportedFile>> ExportClient(
    Store& store, const std::string& client_id, int64_t from, int64_t to, const std::string& dir,
    const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace splitledger::ledger
