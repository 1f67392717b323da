#include "splitledger/ledger/journal.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "key_hash.h"

namespace splitledger::ledger {

std::string AccountKeyView::Joined() const {
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
    case Phase::kPosted:
      total = side == Side::kDebit ? &a.debits_posted : &a.credits_posted;
      break;
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
    a.debits_posted = dp;
    a.credits_posted = cp;
    a.debits_pending = dq;
    a.credits_pending = cq;
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
      return p.phase == Phase::kRelease
                 ? Status(ErrorCode::kUnbalanced,
                          "release exceeds the pending total of " + p.account.Joined())
                 : Status::Overflow();
    }
  }
  for (const Sum& x : sums) {
    if (x.value != 0) {
      return Status(ErrorCode::kUnbalanced,
                    "transaction does not balance in " + std::string(x.currency));
    }
  }
  return Status::Ok();
}

namespace {

uint64_t KeyHash(std::string_view client, std::string_view currency, std::string_view kind,
                 std::string_view ref) {
  return HashParts({client, currency, kind, ref});
}

}  // namespace

Account* Book::At(int64_t id) {
  if (id <= 0 || static_cast<size_t>(id) > accounts_.size()) return nullptr;
  Account& a = accounts_[static_cast<size_t>(id - 1)];
  return a.id == 0 ? nullptr : &a;
}

const Account* Book::At(int64_t id) const { return const_cast<Book*>(this)->At(id); }

void Book::IndexInsert(uint64_t hash, int64_t id) {
  if ((count_ + 1) * 2 > index_.size()) {
    std::vector<Slot> old;
    old.swap(index_);
    index_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    for (const Slot& s : old) {
      if (s.id == 0) continue;
      size_t i = s.hash & (index_.size() - 1);
      while (index_[i].id != 0) i = (i + 1) & (index_.size() - 1);
      index_[i] = s;
    }
  }
  size_t i = hash & (index_.size() - 1);
  while (index_[i].id != 0) i = (i + 1) & (index_.size() - 1);
  index_[i] = Slot{hash, id};
}

void Book::InternKey(Account& a, const AccountKeyView& key) {
  uint64_t h = HashParts({key.client_id, key.currency, key.kind});
  const AccountKeyPrefix* prefix = nullptr;
  for (auto [it, end] = prefix_index_.equal_range(h); it != end && prefix == nullptr; ++it) {
    const AccountKeyPrefix& p = *it->second;
    if (p.kind == key.kind && p.currency == key.currency && p.client_id == key.client_id) {
      prefix = &p;
    }
  }
  if (prefix == nullptr) {
    prefix = &prefixes_.emplace_back(AccountKeyPrefix{
        std::string(key.client_id), std::string(key.currency), std::string(key.kind)});
    prefix_index_.emplace(h, prefix);
  }
  a.prefix_ = prefix;
  const std::string_view ref = refs_.Add(key.ref);
  a.ref_ = ref.data();
  a.ref_size_ = static_cast<uint32_t>(ref.size());
}

Account& Book::EnsureMutable(const AccountKey& key, int64_t now) {
  if (const Account* found = Find(key)) return *At(found->id);
  int64_t id = next_account_id_++;
  if (accounts_.size() < static_cast<size_t>(id)) accounts_.resize(static_cast<size_t>(id));
  Account& a = accounts_[static_cast<size_t>(id - 1)];
  a = Account{};
  a.id = id;
  a.created_at = now;
  InternKey(a, key.View());
  IndexInsert(KeyHash(key.client_id, key.currency, key.kind, key.ref), id);
  ++count_;
  created_.push_back(id);
  Account& stored = *At(id);
  MarkDirty(stored);
  return stored;
}

const Account& Book::Ensure(const AccountKey& key, int64_t now) { return EnsureMutable(key, now); }

void Book::MarkDirty(Account& a) {
  if (a.dirty) return;
  a.dirty = true;
  dirty_.push_back(a.id);
}

const JournalTx& Book::Apply(std::string client_id, std::string kind, std::string ref, int64_t now,
                             const std::vector<PostingSpec>& specs) {
  JournalTx tx;
  tx.id = next_tx_id_++;
  tx.client_id = std::move(client_id);
  tx.kind = std::move(kind);
  tx.ref = std::move(ref);
  tx.created_at = std::max(now, last_tx_time_);
  last_tx_time_ = tx.created_at;
  tx.postings.reserve(specs.size());
  for (const PostingSpec& p : specs) {
    Account& a = EnsureMutable(p.account, now);
    Move(a, p.side, p.phase, p.amount);  // checked by Check()
    MarkDirty(a);
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
  if (index_.empty()) return nullptr;
  uint64_t h = KeyHash(client, currency, kind, ref);
  for (size_t i = h & (index_.size() - 1);; i = (i + 1) & (index_.size() - 1)) {
    const Slot& s = index_[i];
    if (s.id == 0) return nullptr;
    if (s.hash != h) continue;
    const Account& a = accounts_[static_cast<size_t>(s.id - 1)];
    AccountKeyView k = a.key();
    if (k.ref == ref && k.kind == kind && k.currency == currency && k.client_id == client) {
      return &a;
    }
  }
}

const Account* Book::FindById(int64_t id) const { return At(id); }

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
  for (int64_t id : out) {
    if (Account* a = At(id)) a->dirty = false;
  }
  if (created) created->swap(created_);
  created_.clear();
  return out;
}

void Book::LoadAccount(const AccountKeyView& key, const Account& values) {
  const int64_t id = values.id;
  if (id <= 0) return;
  if (id >= next_account_id_) next_account_id_ = id + 1;
  if (accounts_.size() < static_cast<size_t>(id)) accounts_.resize(static_cast<size_t>(id));
  Account& slot = accounts_[static_cast<size_t>(id - 1)];
  const bool fresh = slot.id == 0;
  const Account interned = slot;  // a reload keeps the key it has
  slot = values;
  slot.dirty = false;
  if (fresh) {
    InternKey(slot, key);
    IndexInsert(KeyHash(key.client_id, key.currency, key.kind, key.ref), id);
    ++count_;
  } else {
    slot.prefix_ = interned.prefix_;
    slot.ref_ = interned.ref_;
    slot.ref_size_ = interned.ref_size_;
  }
}

void Book::Clear() {
  accounts_.clear();
  index_.clear();
  prefixes_.clear();
  prefix_index_.clear();
  refs_.Clear();
  count_ = 0;
  next_account_id_ = 1;
  next_tx_id_ = 1;
  last_tx_time_ = 0;
  new_txs_.clear();
  dirty_.clear();
  created_.clear();
}

}  // namespace splitledger::ledger
