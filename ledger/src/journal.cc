#include "splitledger/ledger/journal.h"

#include <map>
#include <tuple>

namespace splitledger::ledger {

std::string AccountKey::Joined() const {
  std::string s;
  s.reserve(client_id.size() + currency.size() + kind.size() + ref.size() + 3);
  s.append(client_id).push_back('|');
  s.append(currency).push_back('|');
  s.append(kind).push_back('|');
  s.append(ref);
  return s;
}

namespace {

// Adds `amount` to the total the posting moves; false on overflow or on a release that would
// take a pending total below zero.
bool Move(Account& a, Side side, Phase phase, Amount amount) {
  Amount* total = nullptr;
  switch (phase) {
    case Phase::kPosted: total = side == Side::kDebit ? &a.debits_posted : &a.credits_posted; break;
    case Phase::kPending:
    case Phase::kRelease:
      total = side == Side::kDebit ? &a.debits_pending : &a.credits_pending;
      break;
  }
  Amount next;
  if (phase == Phase::kRelease) {
    if (amount > *total) return false;
    next = *total - amount;
  } else if (!CheckedAdd(*total, amount, &next)) {
    return false;
  }
  // Balances must stay representable too.
  Amount dp = a.debits_posted, cp = a.credits_posted, dq = a.debits_pending, cq = a.credits_pending;
  *total = next;
  Amount tmp;
  bool ok = CheckedSub(a.debits_posted, a.credits_posted, &tmp) &&
            CheckedSub(a.debits_pending, a.credits_pending, &tmp);
  if (!ok) {
    a.debits_posted = dp; a.credits_posted = cp; a.debits_pending = dq; a.credits_pending = cq;
  }
  return ok;
}

}  // namespace

Status Book::Check(const std::vector<PostingSpec>& specs) const {
  if (specs.empty()) return Status::Ok();  // nothing moves (e.g. a zero-amount line)
  // A transaction has a handful of postings: flat scratch lists searched linearly beat maps and
  // allocate nothing per posting.
  // (currency, phase) -> debits - credits, in 128 bits so the check itself cannot overflow.
  struct Sum {
    std::string_view currency;
    Phase phase;
    __int128 value;
  };
  std::vector<Sum> sums;
  // Per-account scratch copies, so several postings to one account are checked cumulatively.
  struct Scratch {
    const AccountKey* key;
    Account account;
  };
  std::vector<Scratch> scratch;
  sums.reserve(4);
  scratch.reserve(specs.size());
  for (const PostingSpec& p : specs) {
    if (p.amount <= 0) return Status(ErrorCode::kUnbalanced, "posting amounts must be > 0");
    if (FindCurrency(p.account.currency) == nullptr) {
      return Status::Invalid("unknown currency " + p.account.currency, "currency");
    }
    Sum* sum = nullptr;
    for (Sum& x : sums) {
      if (x.phase == p.phase && x.currency == p.account.currency) sum = &x;
    }
    if (sum == nullptr) sum = &sums.emplace_back(Sum{p.account.currency, p.phase, 0});
    sum->value += p.side == Side::kDebit ? p.amount : -static_cast<__int128>(p.amount);
    Scratch* sc = nullptr;
    for (Scratch& x : scratch) {
      const AccountKey& k = *x.key;
      if (k.ref == p.account.ref && k.kind == p.account.kind && k.currency == p.account.currency &&
          k.client_id == p.account.client_id) {
        sc = &x;
      }
    }
    if (sc == nullptr) {
      const Account* existing = Find(p.account);
      sc = &scratch.emplace_back(Scratch{&p.account, existing ? *existing : Account{}});
    }
    if (!Move(sc->account, p.side, p.phase, p.amount)) {
      return p.phase == Phase::kRelease ? Status(ErrorCode::kUnbalanced,
                                                 "release exceeds the pending total of " +
                                                     p.account.Joined())
                                        : Status::Overflow();
    }
  }
  for (const Sum& x : sums) {
    if (x.value != 0) {
      return Status(ErrorCode::kUnbalanced, "transaction does not balance in " + std::string(x.currency));
    }
  }
  return Status::Ok();
}

Account& Book::EnsureMutable(const AccountKey& key, int64_t now) {
  if (const Account* found = Find(key)) return accounts_.at(found->id);
  std::string joined = key.Joined();
  Account a;
  a.id = next_account_id_++;
  a.key = key;
  a.created_at = now;
  index_.emplace(std::move(joined), a.id);
  created_.push_back(a.id);
  if (!dirty_set_[a.id]) {
    dirty_set_[a.id] = true;
    dirty_.push_back(a.id);
  }
  return accounts_.emplace(a.id, std::move(a)).first->second;
}

const Account& Book::Ensure(const AccountKey& key, int64_t now) { return EnsureMutable(key, now); }

const JournalTx& Book::Apply(std::string client_id, std::string kind, std::string ref, int64_t now,
                             const std::vector<PostingSpec>& specs) {
  JournalTx tx;
  tx.id = next_tx_id_++;
  tx.client_id = std::move(client_id);
  tx.kind = std::move(kind);
  tx.ref = std::move(ref);
  tx.created_at = now;
  tx.postings.reserve(specs.size());
  for (const PostingSpec& p : specs) {
    Account& a = EnsureMutable(p.account, now);
    Move(a, p.side, p.phase, p.amount);  // checked by Check()
    if (!dirty_set_[a.id]) {
      dirty_set_[a.id] = true;
      dirty_.push_back(a.id);
    }
    tx.postings.push_back(
        {a.id, p.side, p.phase, p.amount, a.posted_balance(), a.pending_balance()});
  }
  new_txs_.push_back(std::move(tx));
  return new_txs_.back();
}

Status Book::Post(std::string client_id, std::string kind, std::string ref, int64_t now,
                  const std::vector<PostingSpec>& specs) {
  SL_RETURN_IF_ERROR(Check(specs));
  Apply(std::move(client_id), std::move(kind), std::move(ref), now, specs);
  return Status::Ok();
}

const Account* Book::Find(const AccountKey& key) const {
  return Find(key.client_id, key.currency, key.kind, key.ref);
}

const Account* Book::Find(std::string_view client, std::string_view currency, std::string_view kind,
                          std::string_view ref) const {
  // Reads are frequent (every derived figure) and keys short: join into a reused buffer rather
  // than allocating a key per lookup.
  thread_local std::string joined;
  joined.clear();
  joined.append(client).push_back('|');
  joined.append(currency).push_back('|');
  joined.append(kind).push_back('|');
  joined.append(ref);
  auto it = index_.find(joined);
  return it == index_.end() ? nullptr : &accounts_.at(it->second);
}

const Account* Book::FindById(int64_t id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

Amount Book::CreditBalance(const AccountKey& key) const {
  const Account* a = Find(key);
  return a ? a->credit_balance() : 0;
}

std::vector<JournalTx> Book::TakeNewTransactions() {
  std::vector<JournalTx> out;
  out.swap(new_txs_);
  return out;
}

std::vector<int64_t> Book::TakeDirtyAccounts(std::vector<int64_t>* created) {
  std::vector<int64_t> out;
  out.swap(dirty_);
  dirty_set_.clear();
  if (created) created->swap(created_);
  created_.clear();
  return out;
}

void Book::LoadAccount(Account account) {
  if (account.id >= next_account_id_) next_account_id_ = account.id + 1;
  index_[account.key.Joined()] = account.id;
  accounts_[account.id] = std::move(account);
}

void Book::Clear() {
  accounts_.clear();
  index_.clear();
  next_account_id_ = 1;
  next_tx_id_ = 1;
  new_txs_.clear();
  dirty_.clear();
  created_.clear();
  dirty_set_.clear();
}

}  // namespace splitledger::ledger
