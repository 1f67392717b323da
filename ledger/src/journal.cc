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
  // (currency, phase) -> debits - credits, in 128 bits so the check itself cannot overflow.
  std::map<std::pair<std::string, int>, __int128> sums;
  // Per-account scratch copies, so several postings to one account are checked cumulatively.
  std::unordered_map<std::string, Account> scratch;
  for (const PostingSpec& p : specs) {
    if (p.amount <= 0) return Status(ErrorCode::kUnbalanced, "posting amounts must be > 0");
    if (FindCurrency(p.account.currency) == nullptr) {
      return Status::Invalid("unknown currency " + p.account.currency, "Currency");
    }
    __int128& s = sums[{p.account.currency, static_cast<int>(p.phase)}];
    s += p.side == Side::kDebit ? p.amount : -static_cast<__int128>(p.amount);
    std::string joined = p.account.Joined();
    auto it = scratch.find(joined);
    if (it == scratch.end()) {
      const Account* existing = Find(p.account);
      it = scratch.emplace(joined, existing ? *existing : Account{}).first;
    }
    if (!Move(it->second, p.side, p.phase, p.amount)) {
      return p.phase == Phase::kRelease
                 ? Status(ErrorCode::kUnbalanced, "release exceeds the pending total of " + joined)
                 : Status::Overflow();
    }
  }
  for (const auto& [k, s] : sums) {
    if (s != 0) {
      return Status(ErrorCode::kUnbalanced, "transaction does not balance in " + k.first);
    }
  }
  return Status::Ok();
}

Account& Book::EnsureMutable(const AccountKey& key, int64_t now) {
  std::string joined = key.Joined();
  auto it = index_.find(joined);
  if (it != index_.end()) return accounts_.at(it->second);
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
  auto it = index_.find(key.Joined());
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
