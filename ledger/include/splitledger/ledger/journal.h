// The double-entry book: accounts, journal transactions and postings, held in memory by the
// single writer and persisted by the Store in the same database transaction.
//
// Conventions (docs/ledger.md):
//  * An account is identified by (client, currency, kind, ref); kinds are listed in chart.h.
//  * Every posting is a debit or a credit of a positive amount, in one of three phases:
//      kPosted   moves the posted totals;
//      kPending  adds to the pending totals (an authorisation hold);
//      kRelease  takes back from the pending totals (a hold captured or voided).
//    A transaction balances when, for every currency and every phase, Σ debits == Σ credits.
//  * Nothing is updated or deleted: corrections are new transactions.
//  * Each posting records the account's balances after it (running balance), so the balance at
//    any point in time is one indexed query.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "splitledger/core/money.h"
#include "splitledger/core/status.h"
#include "splitledger/ledger/string_arena.h"

namespace splitledger::ledger {

enum class Side : uint8_t { kDebit = 0, kCredit = 1 };
enum class Phase : uint8_t { kPosted = 0, kPending = 1, kRelease = 2 };

// An account key seen through storage that outlives it (the Book's, or an AccountKey's).
struct AccountKeyView {
  std::string_view client_id;
  std::string_view currency;
  std::string_view kind;
  std::string_view ref;

  // "client|currency|kind|ref".
  std::string Joined() const;
};

struct AccountKey {
  std::string client_id;
  std::string currency;
  std::string kind;
  std::string ref;  // e.g. a line item id, a wallet id, a provider name; may be empty

  AccountKeyView View() const { return {client_id, currency, kind, ref}; }
  std::string Joined() const { return View().Joined(); }
};

// The part of a key that few accounts differ in, held once by the Book for all its accounts.
struct AccountKeyPrefix {
  std::string client_id;
  std::string currency;
  std::string kind;
};

// An account as the Book holds it: 72 bytes, its key interned (the prefix shared, the ref in the
// Book's arena) rather than four strings of its own. The writer keeps every account, two or more
// per intent line, so their size is most of its memory per stored intent (docs/performance.md,
// "Memory").
struct Account {
  int64_t id = 0;
  int64_t created_at = 0;
  Amount debits_posted = 0;
  Amount credits_posted = 0;
  Amount debits_pending = 0;
  Amount credits_pending = 0;
  // The key; empty for an account no Book holds (a copy keeps its Book's key).
  AccountKeyView key() const {
    if (prefix_ == nullptr) return {};
    return {prefix_->client_id, prefix_->currency, prefix_->kind,
            std::string_view(ref_, ref_size_)};
  }

  // Signed balances, debit-positive. Liabilities (wallets, payables) are negative here and are
  // shown negated by the API.
  Amount posted_balance() const { return debits_posted - credits_posted; }
  Amount pending_balance() const { return debits_pending - credits_pending; }
  // Credit-normal views, for liability and memo accounts.
  Amount credit_balance() const { return credits_posted - debits_posted; }

 private:
  friend class Book;
  const AccountKeyPrefix* prefix_ = nullptr;
  const char* ref_ = nullptr;
  uint32_t ref_size_ = 0;

 public:
  // Touched since the last TakeDirtyAccounts() (the Book's bookkeeping, not stored): a flag on
  // the account rather than a set beside it, which a batch touching thousands of accounts would
  // rehash and clear every time. Last, beside ref_size_, so that it costs no padding.
  bool dirty = false;
};
static_assert(sizeof(Account) <= 72, "an account's size is the writer's memory per intent");

// An account as the tables and the log hold it: the key owned.
struct AccountRow {
  Account account;  // totals, id, created_at (its key() is empty)
  AccountKey key;
};

struct PostingSpec {
  AccountKey account;
  Side side = Side::kDebit;
  Phase phase = Phase::kPosted;
  Amount amount = 0;
};

struct Posting {
  int64_t account_id = 0;
  Side side = Side::kDebit;
  Phase phase = Phase::kPosted;
  Amount amount = 0;
  Amount posted_balance_after = 0;   // the account's posted_balance() after this posting
  Amount pending_balance_after = 0;  // the account's pending_balance() after this posting
};

struct JournalTx {
  int64_t id = 0;
  std::string client_id;
  std::string kind;  // "intent.create", "intent.capture", …
  std::string ref;   // the business object: an intent id, an action id
  int64_t created_at = 0;
  std::vector<Posting> postings;
};

// In-memory book. Not thread-safe: owned by the sequencer thread.
class Book {
 public:
  Book() = default;
  // Accounts point into the Book's interned keys: a copy would point into the original. A move
  // keeps every address (the containers hand their nodes and blocks over).
  Book(const Book&) = delete;
  Book& operator=(const Book&) = delete;
  Book(Book&&) = default;
  Book& operator=(Book&&) = default;

  // Checks that `specs` form a valid transaction against the current totals: positive amounts,
  // known currencies, balanced per (currency, phase), releases not above the pending totals, and
  // no total overflowing. Does not modify anything.
  Status Check(const std::vector<PostingSpec>& specs) const;

  // Applies a transaction that passed Check: creates missing accounts, updates totals, records
  // running balances, assigns the transaction id, and marks the touched accounts dirty.
  // Returns the stored transaction (owned by the Book until TakeNew()).
  const JournalTx& Apply(std::string client_id, std::string kind, std::string ref, int64_t now,
                         const std::vector<PostingSpec>& specs);

  // Check + Apply.
  Status Post(std::string client_id, std::string kind, std::string ref, int64_t now,
              const std::vector<PostingSpec>& specs);

  const Account* Find(const AccountKey& key) const;
  // The same, without building an AccountKey.
  const Account* Find(std::string_view client, std::string_view currency, std::string_view kind,
                      std::string_view ref = {}) const;
  const Account* FindById(int64_t id) const;
  // Returns the account, creating an empty one if needed (e.g. a wallet at creation).
  const Account& Ensure(const AccountKey& key, int64_t now);

  // Credit-normal posted balance of an account, 0 if it does not exist.
  Amount CreditBalance(const AccountKey& key) const;

  // Every account, in id order (ids are dense from 1; a slot with id 0 is a gap).
  const std::deque<Account>& accounts() const { return accounts_; }
  size_t account_count() const { return count_; }

  // --- persistence support (Store / State) ---
  // Transactions applied since the last TakeNew(), and ids of accounts created or changed.
  std::vector<JournalTx> TakeNewTransactions();
  std::vector<int64_t> TakeDirtyAccounts(std::vector<int64_t>* created);
  bool HasChanges() const { return !new_txs_.empty() || !dirty_.empty(); }
  // At start-up: an account as stored (its id, key and totals; `values.key()` is not read).
  void LoadAccount(const AccountKeyView& key, const Account& values);
  void SetNextTransactionId(int64_t next) { next_tx_id_ = next; }
  // Transactions are stamped in their order: a command submitted earlier but sequenced later
  // gets the time of the one before it, so "the balance at an instant" is a prefix of the
  // journal (reports.h).
  void SetLastTransactionTime(int64_t t) { last_tx_time_ = t; }
  void Clear();

 private:
  Account& EnsureMutable(const AccountKey& key, int64_t now);
  void MarkDirty(Account& a);
  // Points `a`'s key at interned copies of `key`.
  void InternKey(Account& a, const AccountKeyView& key);

  // Flat storage: account id N lives at accounts_[N - 1] (a deque, so references stay valid as
  // accounts are added), and the key index is an open-addressing table of (hash, id): one probe
  // of a flat array per lookup instead of a string-keyed node walk (perf: that walk and its
  // rehashes were a third of the sequencer thread).
  struct Slot {
    uint64_t hash = 0;
    int64_t id = 0;  // 0: empty
  };
  Account* At(int64_t id);
  const Account* At(int64_t id) const;
  void IndexInsert(uint64_t hash, int64_t id);
  std::deque<Account> accounts_;
  size_t count_ = 0;
  std::vector<Slot> index_;  // capacity a power of two, at most half full
  // Interned keys: the prefixes (a handful per client), found by hash; the refs back to back in
  // blocks that never move (an account's view points into them).
  std::deque<AccountKeyPrefix> prefixes_;
  std::unordered_multimap<uint64_t, const AccountKeyPrefix*> prefix_index_;
  StringArena refs_;
  int64_t next_account_id_ = 1;
  int64_t next_tx_id_ = 1;
  int64_t last_tx_time_ = 0;
  std::vector<JournalTx> new_txs_;
  std::vector<int64_t> dirty_;    // touched accounts, in first-touch order
  std::vector<int64_t> created_;  // accounts created since the last take
};

}  // namespace splitledger::ledger
