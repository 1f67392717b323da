// Book: validation of journal transactions (Check) and running balances. No database.
#include <gtest/gtest.h>

#include <limits>

#include "splitledger/ledger/chart.h"
#include "splitledger/ledger/journal.h"
#include "test_db.h"

namespace splitledger::ledger {
namespace {

constexpr Amount kMax = std::numeric_limits<Amount>::max();

AccountKey K(const std::string& kind, const std::string& cur = "EUR") {
  return chart::Key("cli", cur, kind);
}
PostingSpec P(AccountKey k, Side s, Phase ph, Amount a) { return {std::move(k), s, ph, a}; }

// A snapshot of everything a refused transaction must leave alone.
struct Snapshot {
  std::vector<std::string> accounts;
  bool has_changes;
  explicit Snapshot(const Book& b) : has_changes(b.HasChanges()) {
    for (const Account& a : b.accounts()) {
      accounts.push_back(std::to_string(a.id) + " " + a.key().Joined() + " " +
                         std::to_string(a.debits_posted) + " " + std::to_string(a.credits_posted) +
                         " " + std::to_string(a.debits_pending) + " " +
                         std::to_string(a.credits_pending));
    }
    std::sort(accounts.begin(), accounts.end());
  }
  bool operator==(const Snapshot&) const = default;
};

class BookTest : public ::testing::Test {
 protected:
  // Posts, expecting a refusal with `code`, and checks nothing changed.
  void ExpectRefused(const std::vector<PostingSpec>& specs, ErrorCode code) {
    Snapshot before(book_);
    Status check = book_.Check(specs);
    EXPECT_EQ(check.code(), code) << check.ToString();
    Status post = book_.Post("cli", "test", "ref", 1, specs);
    EXPECT_EQ(post.code(), code) << post.ToString();
    EXPECT_EQ(Snapshot(book_), before) << "a refused transaction changed the book";
    // No transaction was recorded either.
    EXPECT_EQ(book_.TakeNewTransactions().size(), new_before_);
  }
  void Commit(const std::vector<PostingSpec>& specs) {
    ASSERT_TRUE(book_.Post("cli", "test", "ref", 1, specs).ok());
    book_.TakeNewTransactions();
    book_.TakeDirtyAccounts(nullptr);
  }
  Book book_;
  size_t new_before_ = 0;
};

TEST_F(BookTest, AcceptsBalancedTransactionAndMovesTotals) {
  ASSERT_TRUE(book_.Post("cli", "test", "r", 1,
                         {P(K("a"), Side::kDebit, Phase::kPosted, 70),
                          P(K("a"), Side::kDebit, Phase::kPosted, 30),
                          P(K("b"), Side::kCredit, Phase::kPosted, 100),
                          P(K("c"), Side::kCredit, Phase::kPending, 5),
                          P(K("d"), Side::kDebit, Phase::kPending, 5)})
                  .ok());
  EXPECT_EQ(book_.Find(K("a"))->debits_posted, 100);
  EXPECT_EQ(book_.Find(K("b"))->credits_posted, 100);
  EXPECT_EQ(book_.Find(K("c"))->credits_pending, 5);
  EXPECT_EQ(book_.Find(K("d"))->debits_pending, 5);
  EXPECT_EQ(book_.CreditBalance(K("b")), 100);
  auto txs = book_.TakeNewTransactions();
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].postings.size(), 5u);
  std::vector<int64_t> created;
  auto dirty = book_.TakeDirtyAccounts(&created);
  EXPECT_EQ(dirty.size(), 4u);
  EXPECT_EQ(created.size(), 4u);
}

TEST_F(BookTest, RefusesUnbalancedPerCurrency) {
  // Balanced in total, but not per currency.
  ExpectRefused({P(K("a", "EUR"), Side::kDebit, Phase::kPosted, 100),
                 P(K("b", "USD"), Side::kCredit, Phase::kPosted, 100)},
                ErrorCode::kUnbalanced);
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, 100),
                 P(K("b"), Side::kCredit, Phase::kPosted, 99)},
                ErrorCode::kUnbalanced);
  // Balanced in EUR, not in USD.
  ExpectRefused({P(K("a", "EUR"), Side::kDebit, Phase::kPosted, 10),
                 P(K("b", "EUR"), Side::kCredit, Phase::kPosted, 10),
                 P(K("a", "USD"), Side::kDebit, Phase::kPosted, 10)},
                ErrorCode::kUnbalanced);
}

TEST_F(BookTest, RefusesUnbalancedPerPhase) {
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, 100),
                 P(K("b"), Side::kCredit, Phase::kPending, 100)},
                ErrorCode::kUnbalanced);
  Commit({P(K("a"), Side::kDebit, Phase::kPending, 50), P(K("b"), Side::kCredit, Phase::kPending, 50)});
  // A release against a posting in another phase does not balance.
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kRelease, 50),
                 P(K("b"), Side::kCredit, Phase::kPosted, 50)},
                ErrorCode::kUnbalanced);
}

TEST_F(BookTest, RefusesNonPositiveAmounts) {
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, 0), P(K("b"), Side::kCredit, Phase::kPosted, 0)},
                ErrorCode::kUnbalanced);
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, -5),
                 P(K("b"), Side::kCredit, Phase::kPosted, -5)},
                ErrorCode::kUnbalanced);
  // One bad leg among good ones.
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, 5), P(K("b"), Side::kCredit, Phase::kPosted, 5),
                 P(K("c"), Side::kDebit, Phase::kPosted, -1), P(K("d"), Side::kCredit, Phase::kPosted, -1)},
                ErrorCode::kUnbalanced);
}

TEST_F(BookTest, RefusesUnknownCurrency) {
  ExpectRefused({P(K("a", "ZZZ"), Side::kDebit, Phase::kPosted, 10),
                 P(K("b", "ZZZ"), Side::kCredit, Phase::kPosted, 10)},
                ErrorCode::kInvalidArgument);
  ExpectRefused({P(K("a", "eur"), Side::kDebit, Phase::kPosted, 10),
                 P(K("b", "eur"), Side::kCredit, Phase::kPosted, 10)},
                ErrorCode::kInvalidArgument);
}

TEST_F(BookTest, RefusesReleaseAbovePending) {
  // Nothing pending at all: a release on unknown accounts.
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kRelease, 1), P(K("b"), Side::kCredit, Phase::kRelease, 1)},
                ErrorCode::kUnbalanced);
  Commit({P(K("a"), Side::kDebit, Phase::kPending, 100), P(K("b"), Side::kCredit, Phase::kPending, 100)});
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kRelease, 101),
                 P(K("b"), Side::kCredit, Phase::kRelease, 101)},
                ErrorCode::kUnbalanced);
  // Cumulative within one transaction: 60 + 41 > 100.
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kRelease, 60), P(K("a"), Side::kDebit, Phase::kRelease, 41),
                 P(K("b"), Side::kCredit, Phase::kRelease, 101)},
                ErrorCode::kUnbalanced);
  // Releasing the debit-side hold from the credit side.
  ExpectRefused({P(K("b"), Side::kDebit, Phase::kRelease, 10), P(K("a"), Side::kCredit, Phase::kRelease, 10)},
                ErrorCode::kUnbalanced);
  // Exactly the pending total is fine.
  ASSERT_TRUE(book_.Post("cli", "t", "r", 1,
                         {P(K("a"), Side::kDebit, Phase::kRelease, 100),
                          P(K("b"), Side::kCredit, Phase::kRelease, 100)})
                  .ok());
  EXPECT_EQ(book_.Find(K("a"))->debits_pending, 0);
  EXPECT_EQ(book_.Find(K("b"))->credits_pending, 0);
}

TEST_F(BookTest, RefusesOverflowAtInt64Edges) {
  // The largest single amounts are fine, and the balance check itself does not overflow.
  Commit({P(K("a"), Side::kDebit, Phase::kPosted, kMax), P(K("b"), Side::kDebit, Phase::kPosted, kMax),
          P(K("c"), Side::kCredit, Phase::kPosted, kMax), P(K("d"), Side::kCredit, Phase::kPosted, kMax)});
  EXPECT_EQ(book_.Find(K("a"))->posted_balance(), kMax);
  EXPECT_EQ(book_.Find(K("c"))->posted_balance(), -kMax);
  // One more unit on a full total overflows.
  ExpectRefused({P(K("a"), Side::kDebit, Phase::kPosted, 1), P(K("e"), Side::kCredit, Phase::kPosted, 1)},
                ErrorCode::kOverflow);
  ExpectRefused({P(K("e"), Side::kDebit, Phase::kPosted, 1), P(K("c"), Side::kCredit, Phase::kPosted, 1)},
                ErrorCode::kOverflow);
  // Cumulative within one transaction on a fresh account.
  ExpectRefused({P(K("f"), Side::kDebit, Phase::kPosted, kMax), P(K("f"), Side::kDebit, Phase::kPosted, 1),
                 P(K("g"), Side::kCredit, Phase::kPosted, kMax), P(K("h"), Side::kCredit, Phase::kPosted, 1)},
                ErrorCode::kOverflow);
  // Pending totals too.
  Commit({P(K("p"), Side::kDebit, Phase::kPending, kMax - 1), P(K("q"), Side::kCredit, Phase::kPending, kMax - 1)});
  ExpectRefused({P(K("p"), Side::kDebit, Phase::kPending, 2), P(K("r"), Side::kCredit, Phase::kPending, 2)},
                ErrorCode::kOverflow);
  // Crediting the full account back down is fine (no overflow on the way).
  ASSERT_TRUE(book_.Post("cli", "t", "r", 1,
                         {P(K("a"), Side::kCredit, Phase::kPosted, kMax),
                          P(K("c"), Side::kDebit, Phase::kPosted, kMax)})
                  .ok());
  EXPECT_EQ(book_.Find(K("a"))->posted_balance(), 0);
}

TEST_F(BookTest, RecordsRunningBalancesOnPostings) {
  // a: +100 posted, then -30 posted and +40 pending, then release 15, in three transactions;
  // the last also posts to `a` twice.
  ASSERT_TRUE(book_.Post("cli", "t", "1", 1,
                         {P(K("a"), Side::kDebit, Phase::kPosted, 100), P(K("b"), Side::kCredit, Phase::kPosted, 100)})
                  .ok());
  ASSERT_TRUE(book_.Post("cli", "t", "2", 2,
                         {P(K("b"), Side::kDebit, Phase::kPosted, 30), P(K("a"), Side::kCredit, Phase::kPosted, 30),
                          P(K("a"), Side::kDebit, Phase::kPending, 40), P(K("b"), Side::kCredit, Phase::kPending, 40)})
                  .ok());
  ASSERT_TRUE(book_.Post("cli", "t", "3", 3,
                         {P(K("a"), Side::kDebit, Phase::kRelease, 15), P(K("b"), Side::kCredit, Phase::kRelease, 15),
                          P(K("a"), Side::kDebit, Phase::kPosted, 15), P(K("a"), Side::kDebit, Phase::kPosted, 1),
                          P(K("b"), Side::kCredit, Phase::kPosted, 16)})
                  .ok());
  auto txs = book_.TakeNewTransactions();
  ASSERT_EQ(txs.size(), 3u);
  EXPECT_LT(txs[0].id, txs[1].id);
  EXPECT_LT(txs[1].id, txs[2].id);
  int64_t a = book_.Find(K("a"))->id, b = book_.Find(K("b"))->id;
  struct Want { size_t tx, idx; int64_t account; Amount posted, pending; };
  std::vector<Want> want = {
      {0, 0, a, 100, 0},  {0, 1, b, -100, 0},
      {1, 0, b, -70, 0},  {1, 1, a, 70, 0},   {1, 2, a, 70, 40}, {1, 3, b, -70, -40},
      {2, 0, a, 70, 25},  {2, 1, b, -70, -25}, {2, 2, a, 85, 25}, {2, 3, a, 86, 25}, {2, 4, b, -86, -25},
  };
  for (const Want& w : want) {
    const Posting& p = txs[w.tx].postings[w.idx];
    SCOPED_TRACE("tx " + std::to_string(w.tx) + " posting " + std::to_string(w.idx));
    EXPECT_EQ(p.account_id, w.account);
    EXPECT_EQ(p.posted_balance_after, w.posted);
    EXPECT_EQ(p.pending_balance_after, w.pending);
  }
  EXPECT_EQ(book_.Find(K("a"))->posted_balance(), 86);
  EXPECT_EQ(book_.Find(K("a"))->pending_balance(), 25);
}

// Keys are interned (shared prefixes, refs in an arena of blocks): every account keeps its own
// key across many blocks, a ref longer than a block, empty refs, a reload and a Clear.
TEST_F(BookTest, AccountsKeepTheirKeysAcrossTheInternedStorage) {
  std::vector<AccountKey> keys;
  for (int i = 0; i < 6000; ++i) {
    // ~40-byte refs: several 64 KiB blocks; clients, currencies and kinds repeat. Every key is
    // distinct (an empty ref comes with a kind of its own).
    bool empty = i % 7 == 0;
    std::string ref = empty ? "" : "line-" + std::to_string(i) + std::string(30, 'x');
    std::string kind = empty ? "kind-" + std::to_string(i) : i % 5 ? "line_payable" : "line_fee";
    keys.push_back(chart::Key(i % 3 ? "cli" : "other", i % 2 ? "EUR" : "GBP", kind, ref));
  }
  keys.push_back(chart::Key("cli", "EUR", "wallet", std::string(100000, 'w')));  // > one block
  // Short refs differing in one byte at each position (the hash reads 1-7 byte tails in
  // pieces), and the same characters split differently between kind and ref.
  for (size_t len = 1; len <= 9; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::string ref(len, 'r');
      ref[at] = 's';
      keys.push_back(chart::Key("cli", "EUR", "short", ref));
    }
    keys.push_back(chart::Key("cli", "EUR", "short", std::string(len, 'r')));
  }
  keys.push_back(chart::Key("cli", "EUR", "ab", "c"));
  keys.push_back(chart::Key("cli", "EUR", "a", "bc"));
  int64_t at = 1;
  for (const AccountKey& k : keys) book_.Ensure(k, at++);
  EXPECT_EQ(book_.account_count(), keys.size()) << "distinct keys must be distinct accounts";
  for (const AccountKey& k : keys) {
    const Account* a = book_.Find(k);
    ASSERT_NE(a, nullptr) << k.Joined();
    EXPECT_EQ(a->key().Joined(), k.Joined());
    EXPECT_EQ(book_.FindById(a->id), a);
    Account copy = *a;  // a copy reads the Book's key
    EXPECT_EQ(copy.key().ref, k.ref);
  }
  // Keys that differ in one part only are different accounts.
  EXPECT_EQ(book_.Find("cli", "EUR", "line_payable", "line-1"), nullptr);
  EXPECT_EQ(Account{}.key().Joined(), "|||");

  // A reload of a known id keeps its key and takes the totals.
  const Account* first = book_.Find(keys[1]);
  Account values;
  values.id = first->id;
  values.created_at = 99;
  values.credits_posted = 42;
  book_.LoadAccount(first->key(), values);
  EXPECT_EQ(book_.Find(keys[1])->credits_posted, 42);
  EXPECT_EQ(book_.Find(keys[1])->key().Joined(), keys[1].Joined());

  // After a Clear, loading accounts by key interns them afresh.
  const size_t count = book_.account_count();
  book_.Clear();
  EXPECT_EQ(book_.Find(keys[1]), nullptr);
  for (size_t i = 0; i < keys.size(); ++i) {
    Account v;
    v.id = static_cast<int64_t>(i + 1);
    v.debits_posted = static_cast<Amount>(i);
    book_.LoadAccount(keys[i].View(), v);
  }
  EXPECT_EQ(book_.account_count(), count);
  for (size_t i = 0; i < keys.size(); ++i) {
    const Account* a = book_.Find(keys[i]);
    ASSERT_NE(a, nullptr) << keys[i].Joined();
    EXPECT_EQ(a->key().Joined(), keys[i].Joined());
    EXPECT_EQ(a->debits_posted, static_cast<Amount>(i));
  }
}
// The intent postings (intent_ops) always pass Check and give back the aggregate's figures.
TEST(IntentOpsTest, RefusedCommandChangesNothing) {
  State state;
  std::mt19937_64 rng(7);
  auto created = testing::CreateIntent(state, "cli", testing::RandomCreate(rng, 3, "b"), 1700000000000);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::string id = created->intent->id;
  state.TakeChanges();
  Snapshot before(state.book());
  Intent copy = *state.FindIntent("cli", id);
  // Over-capture of a line.
  ActionInput over;
  over.partial = true;
  over.amount = copy.lines[0].total + 1;
  over.lines.push_back({copy.lines[0].id, copy.lines[0].total + 1, std::nullopt});
  EXPECT_EQ(testing::CaptureIntent(state, "cli", id, over, 1).status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(testing::CancelIntent(state, "cli", id, over, 1).status().code(), ErrorCode::kRuleViolation);
  EXPECT_EQ(testing::CaptureIntent(state, "other", id, testing::Full(), 1).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(testing::CompareIntents(copy, *state.FindIntent("cli", id)).empty());
  EXPECT_EQ(Snapshot(state.book()), before);
  EXPECT_FALSE(state.HasChanges());
  // Unknown currency on create: nothing inserted.
  auto bad = testing::RandomCreate(rng, 1, "c");
  bad.currency = "ZZZ";
  EXPECT_FALSE(testing::CreateIntent(state, "cli", bad, 1).ok());
  EXPECT_EQ(state.intents().size(), 1u);
  EXPECT_FALSE(state.HasChanges());
}

// The due-split schedule: only intents with a split due by `now` are handed to the sweep, each
// by its earliest AVAILABLE TransferDate; an intent waiting for a later date is not (so a bounded
// writer does not read it back), and the sweep's reschedule drops what has nothing later.
TEST(StateScheduleTest, OnlyIntentsWithASplitDueAreDue) {
  State state;
  auto with_splits = [](std::string id, std::vector<std::pair<SplitStatus, std::optional<int64_t>>> s) {
    Intent in;
    in.id = std::move(id);
    in.client_id = "cli";
    in.currency = "EUR";
    in.lines.emplace_back();
    in.lines[0].id = in.id + "-l";
    for (size_t k = 0; k < s.size(); ++k) {
      Split sp;
      sp.id = in.id + "-s" + std::to_string(k);
      sp.status = s[k].first;
      sp.transfer_date = s[k].second;
      in.splits.push_back(sp);
    }
    return in;
  };
  state.LoadIntent(with_splits("due", {{SplitStatus::kAvailable, 100}, {SplitStatus::kAvailable, 500}}));
  state.LoadIntent(with_splits("later", {{SplitStatus::kAvailable, 900}}));
  state.LoadIntent(with_splits("created", {{SplitStatus::kCreated, 50}}));  // not AVAILABLE
  state.LoadIntent(with_splits("undated", {{SplitStatus::kAvailable, std::nullopt}}));
  EXPECT_EQ(state.DueIntents(99), std::vector<std::string>{});
  EXPECT_EQ(state.DueIntents(100), std::vector<std::string>{"cli|due"});
  EXPECT_EQ(state.DueIntents(900), (std::vector<std::string>{"cli|due", "cli|later"}));
  // The sweep at 200 ran the first split of "due" (say it failed to run: still AVAILABLE) and
  // reschedules after 200: its next date is 500.
  state.Schedule("cli|due", *state.FindIntent("cli", "due"), 200);
  EXPECT_EQ(state.DueIntents(499), std::vector<std::string>{});
  EXPECT_EQ(state.DueIntents(500), std::vector<std::string>{"cli|due"});
  // Nothing after 600: dropped.
  state.Schedule("cli|due", *state.FindIntent("cli", "due"), 600);
  EXPECT_EQ(state.DueIntents(10000), std::vector<std::string>{"cli|later"});
  state.Unschedule("cli|later");
  EXPECT_TRUE(state.DueIntents(INT64_MAX).empty());
}

}  // namespace
}  // namespace splitledger::ledger

namespace splitledger::ledger {
namespace {

// Splits and the wallets (intent_ops.h): an executed split pays the seller and the FEES wallet out
// of the escrow wallet; a refund reaching into it takes the money back when the wallets hold it,
// and otherwise records why not and moves nothing.
class SplitMoneyTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1700000000000;
  State state_;
  std::string intent_id_ = "int_1", line_id_ = "int_li_1";

  void SetUp() override {
    CreateIntentInput in;
    in.currency = "EUR";
    in.external.provider_name = "Stripe";
    in.external.provider_reference = "ref-1";
    LineItemInput l;
    l.sku = "a";
    l.quantity = 1;
    l.unit_amount = 1000;
    l.seller.wallet_id = "wlt_1";
    l.seller.fees_amount = 100;
    in.lines.push_back(l);
    ASSERT_TRUE(ledger::CreateIntent(state_, "cli", in, intent_id_, {line_id_}, kNow).ok());
    ASSERT_TRUE(ledger::CaptureIntent(state_, "cli", intent_id_, ActionInput{}, "cap_1", kNow).ok());
    ASSERT_TRUE(ledger::CreateSplits(state_, "cli", intent_id_, {{line_id_, 1000, std::nullopt, {}, ""}},
                                     {"sp_1"}, kNow)
                    .ok());
    // A settlement would make it AVAILABLE; here directly.
    state_.MutableIntent("cli", intent_id_)->splits[0].status = SplitStatus::kAvailable;
  }
  Amount Wallet(std::string_view kind, std::string_view ref = {}) {
    const Account* a = state_.book().Find("cli", "EUR", kind, ref);
    return a == nullptr ? 0 : a->credit_balance();
  }
  const Split& TheSplit() { return state_.FindIntent("cli", intent_id_)->splits[0]; }
  ActionInput Refund(Amount a) {
    ActionInput r;
    r.partial = true;
    r.amount = a;
    r.lines.push_back({line_id_, a, std::nullopt});
    return r;
  }
};

TEST_F(SplitMoneyTest, TheEscrowWalletMustHoldTheSplitElseItIsRejected) {
  ASSERT_TRUE(ledger::ExecuteSplit(state_, "cli", intent_id_, "sp_1", kNow).ok());
  EXPECT_EQ(TheSplit().status, SplitStatus::kRejected);
  EXPECT_NE(TheSplit().note.find("escrow wallet holds 0"), std::string::npos) << TheSplit().note;
  EXPECT_EQ(Wallet(chart::kSellerWallet, "wlt_1"), 0);
  ASSERT_TRUE(ReceiveEscrowFunds(state_, "cli", "EUR", 1000, "wire", kNow).ok());
  ASSERT_TRUE(ledger::ExecuteSplit(state_, "cli", intent_id_, "sp_1", kNow).ok());
  EXPECT_EQ(TheSplit().status, SplitStatus::kCompleted);
  EXPECT_EQ(Wallet(chart::kSellerWallet, "wlt_1"), 900);
  EXPECT_EQ(Wallet(chart::kFeesWallet), 100);
  EXPECT_EQ(Wallet(chart::kEscrow), 0);
  EXPECT_EQ(ledger::ExecuteSplit(state_, "cli", intent_id_, "sp_1", kNow).status().code(),
            ErrorCode::kRuleViolation);
}

TEST_F(SplitMoneyTest, ARefundTakesTheMoneyBackOrRecordsWhyItCannot) {
  ASSERT_TRUE(ReceiveEscrowFunds(state_, "cli", "EUR", 1000, "wire", kNow).ok());
  ASSERT_TRUE(ledger::ExecuteSplit(state_, "cli", intent_id_, "sp_1", kNow).ok());
  // 250 refunded: 25 of the fees (pro rata) from FEES, 225 from the seller, back to escrow.
  ASSERT_TRUE(ledger::RefundIntent(state_, "cli", intent_id_, Refund(250), "rf_1", kNow).ok());
  EXPECT_EQ(TheSplit().status, SplitStatus::kRefundSplitCompleted);
  EXPECT_EQ(TheSplit().refunded, 250);
  EXPECT_EQ(TheSplit().fees_refunded, 25);
  EXPECT_EQ(TheSplit().taken_back, 225);
  EXPECT_EQ(TheSplit().fees_taken_back, 25);
  EXPECT_EQ(Wallet(chart::kSellerWallet, "wlt_1"), 675);
  EXPECT_EQ(Wallet(chart::kFeesWallet), 75);
  EXPECT_EQ(Wallet(chart::kEscrow), 250);
  // The seller spends most of it (an outflow the API does not have yet: posted directly).
  ASSERT_TRUE(state_.book()
                  .Post("cli", "test.payout", "po_1", 1,
                        {{chart::Key("cli", "EUR", chart::kSellerWallet, "wlt_1"), Side::kDebit, Phase::kPosted, 600},
                         {chart::Key("cli", "EUR", chart::kEscrowBank), Side::kCredit, Phase::kPosted, 600}})
                  .ok());
  ASSERT_TRUE(ledger::RefundIntent(state_, "cli", intent_id_, Refund(750), "rf_2", kNow).ok());
  const Split& sp = TheSplit();
  EXPECT_EQ(sp.status, SplitStatus::kRefundSplitRejected);
  EXPECT_NE(sp.note.find("seller wallet holds 75 of 675"), std::string::npos) << sp.note;
  EXPECT_EQ(Wallet(chart::kSellerWallet, "wlt_1"), 75) << "nothing moved";
  EXPECT_EQ(sp.taken_back, 225) << "only the first take-back moved money";
  EXPECT_EQ(sp.fees_taken_back, 25);
  EXPECT_EQ(sp.refunded, 1000);
  EXPECT_EQ(Wallet(chart::kFeesWallet), 75);
  const Intent& in = *state_.FindIntent("cli", intent_id_);
  EXPECT_EQ(in.lines[0].refunded, 1000) << "the refund itself happened: the buyer got the money";
  EXPECT_EQ(in.lines[0].split, 0);
  EXPECT_EQ(in.status, IntentStatus::kRefunded);
  EXPECT_TRUE(CheckInvariants(in).ok());
}

}  // namespace
}  // namespace splitledger::ledger
