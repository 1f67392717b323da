// Store (SOCI, SQLite and PostgreSQL): round trips, migrations, verify and tampering, and the
// ledger derivation of intent figures across random operations and reloads.
#include <soci/soci.h>

#include <map>

#include "backend_fixture.h"
#include "splitledger/core/codec.h"
#include "splitledger/ledger/verify.h"

namespace splitledger::ledger::testing {
namespace {

constexpr int64_t kNowMs = 1700000000000;

// Writes what changed in `state`.
void Flush(Store& store, State& state) {
  ChangeSet cs = state.TakeChanges();
  Status st = store.Write(cs);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

// Everything of two states that the store persists.
std::vector<std::string> CompareStates(const State& a, const State& b) {
  std::vector<std::string> d = CompareBooks(a.book(), b.book());
  if (a.intents().size() != b.intents().size()) d.push_back("intent count differs");
  for (const auto& [k, in] : a.intents()) {
    const Intent* other = b.FindIntent(in.client_id, in.id);
    if (other == nullptr) {
      d.push_back("intent " + in.id + " missing");
      continue;
    }
    auto x = CompareIntents(in, *other);
    d.insert(d.end(), x.begin(), x.end());
  }
  // Described entities compare by their binary form: every described field, nothing else.
  if (a.clients().size() != b.clients().size()) d.push_back("client count differs");
  for (const auto& [id, c] : a.clients()) {
    const Client* o = b.FindClient(id);
    if (o == nullptr || Encode(*o) != Encode(c)) d.push_back("client " + id + " differs");
  }
  if (a.next_event_id() != b.next_event_id()) d.push_back("next event id differs");
  return d;
}

class StoreTest : public BackendTest {};

TEST_P(StoreTest, RoundTripsEverything) {
  auto store = Open();
  ASSERT_TRUE(store);
  State state;
  ASSERT_TRUE(store->Load(state).ok());
  std::mt19937_64 rng(42);

  Client a;
  a.id = "cli_a";
  a.name = "Shop A";
  a.api_key_salt = "00ff";
  a.api_key_hash = "abcd";
  a.created_at = 1700000000;
  a.tech_emails = {"a@x", "with:colon@x", ""};
  a.headquarters_address.present = true;
  a.headquarters_address.line1 = "1 Main St";
  a.headquarters_address.line2 = "";  // given empty: kept apart from never given (region)
  a.headquarters_address.city = "Paris";
  state.PutClient(a);
  state.PutClient(a);  // twice in one batch: one row (PostgreSQL refuses a row twice per upsert)
  Client b;
  b.id = "cli_b";
  b.name = "Shop \"B\" \\ ünïcödé";
  b.api_key_salt = "11";
  b.api_key_hash = "22";
  b.created_at = 1700000001;
  state.PutClient(b);
  state.PutToken({"tokhash1", "cli_a", 4102444800, ""});  // 2100-01-01
  state.PutIdempotency({"cli_a", "key-1", "reqhash", 200, "application/json", R"({"Id":"x"})",
                        "/v3.0/cli_a/intents", "int_x", 1700000002, Bytes{std::string("\0\x01\xffz", 4)}});
  auto user = [](std::string id, std::string client, std::string first, int64_t at) {
    User u;
    u.id = std::move(id);
    u.client_id = std::move(client);
    u.first_name = std::move(first);
    u.birthday = 188301600;
    u.income_range = 3;
    u.created_at = u.updated_at = at;
    return u;
  };
  state.PutUser(user("user_m_1", "cli_a", "Ann", 10));
  state.PutUser(user("user_m_2", "cli_a", "Bob", 12));
  state.PutUser(user("user_m_3", "cli_b", "Cy", 13));
  Wallet w1{"wlt_m_1", "cli_a", {"user_m_1", "user_m_2"}, "EUR", "shop", std::nullopt, 11, 11};
  Wallet w2{"wlt_m_2", "cli_a", {"user_m_2"}, "GBP", "", std::string(""), 14, 14};
  state.PutWallet(w1);
  state.PutWallet(w2);
  state.PutClientWallet({"cli_a", static_cast<int64_t>(ClientFunds::kFees), "EUR", 11});
  state.PutClientWallet({"cli_a", static_cast<int64_t>(ClientFunds::kCredit), "EUR", 11});
  state.AddEvent("cli_a", "USER_CREATED", "user_m_1", 10);

  // Intents: one captured fully, one captured partially twice, one cancelled partially then
  // fully, one mixed basket (same provider reference), one untouched; two clients.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto in = RandomCreate(rng, 1 + i % 3, "buyer" + std::to_string(i));
    if (i == 4) in.external.provider_reference = "psp-ref-1";
    auto r = CreateIntent(state, i == 3 ? "cli_b" : "cli_a", in, kNowMs + i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ids.push_back(r->intent->id);
  }
  Flush(*store, state);  // a first batch: then later batches update rows written before
  ASSERT_TRUE(CaptureIntent(state, "cli_a", ids[0], Full(), kNowMs).ok());
  for (int k = 0; k < 2; ++k) {
    auto in = RandomPartial(rng, *state.FindIntent("cli_a", ids[1]), false);
    auto r = CaptureIntent(state, "cli_a", ids[1], in, kNowMs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  {
    auto in = RandomPartial(rng, *state.FindIntent("cli_a", ids[2]), true);
    auto r = CancelIntent(state, "cli_a", ids[2], in, kNowMs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (state.FindIntent("cli_a", ids[2])->status == IntentStatus::kAuthorized) {
      ASSERT_TRUE(CancelIntent(state, "cli_a", ids[2], Full(), kNowMs).ok());
    }
  }
  state.AddEvent("cli_a", "INTENT_CAPTURED", ids[0], 20);
  {
    User u = *state.FindUser("cli_a", "user_m_1");  // update
    u.first_name = "Anne";
    u.updated_at = 30;
    state.PutUser(u);
    Wallet w = *state.FindWallet("cli_a", "wlt_m_1");
    w.tag = "t";
    w.owners = {"ignored"};  // owners are fixed at creation
    state.PutWallet(w);
  }
  a.name = "Shop A renamed";
  state.PutClient(a);
  Flush(*store, state);
  {
    auto add = RandomCreate(rng, 2, "buyer4");
    add.external.provider_reference = "psp-ref-1";
    auto r = CreateIntent(state, "cli_a", add, kNowMs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->added_to_existing);
    EXPECT_EQ(r->intent->id, ids[4]);
  }
  // Refunds and disputes on the fully captured intent: the refund reversed and the dispute
  // decided in later batches, so their rows are rewritten with the new status.
  std::string refund_id = NewId(id_prefix::kRefund, kNowMs);
  std::string dispute_id = NewId(id_prefix::kDispute, kNowMs);
  {
    const Intent& in0 = *state.FindIntent("cli_a", ids[0]);
    ActionInput part;
    part.partial = true;
    part.amount = 1;
    part.lines.push_back({in0.lines[0].id, 1, std::nullopt});
    ASSERT_TRUE(RefundIntent(state, "cli_a", ids[0], part, refund_id, kNowMs).ok());
    ASSERT_TRUE(DisputeCapture(state, "cli_a", ids[0], in0.actions[0].id, part, dispute_id, kNowMs).ok());
  }
  Flush(*store, state);
  {
    std::string capture_id = state.FindIntent("cli_a", ids[0])->actions[0].id;
    auto r = ReverseRefund(state, "cli_a", ids[0], refund_id, Full(),
                           NewId(id_prefix::kRefundReversal, kNowMs), kNowMs + 1000);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto d = DecideDispute(state, "cli_a", ids[0], capture_id, dispute_id, DisputeDecision::kDefended,
                           kNowMs + 2000);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }
  Flush(*store, state);
  {
    std::string capture_id = state.FindIntent("cli_a", ids[0])->actions[0].id;
    ASSERT_TRUE(DecideDispute(state, "cli_a", ids[0], capture_id, dispute_id, DisputeDecision::kWon,
                              kNowMs + 3000)
                    .ok());
  }
  Flush(*store, state);
  {
    const Intent& in0 = *state.FindIntent("cli_a", ids[0]);
    EXPECT_EQ(in0.actions[in0.FindAction(ActionKind::kRefund, refund_id)].status, "REFUND_REVERSED");
    EXPECT_EQ(in0.actions[in0.FindAction(ActionKind::kDispute, dispute_id)].status, "DISPUTED_WON");
    EXPECT_EQ(in0.status, IntentStatus::kRefundReversed);
    EXPECT_EQ(in0.lines[0].refunded, 0);
    EXPECT_EQ(in0.lines[0].disputed, 0);
  }
  EXPECT_EQ(state.FindIntent("cli_a", ids[0])->actions.size(), 4u);
  EXPECT_EQ(state.FindIntent("cli_a", ids[2])->status, IntentStatus::kCancelled);
  EXPECT_EQ(state.FindIntent("cli_a", ids[4])->lines.size(), 2u + 2u);

  // Load into a fresh state, through a fresh connection.
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  State loaded;
  ASSERT_TRUE(store->Load(loaded).ok());
  auto diffs = CompareStates(state, loaded);
  for (const auto& d : diffs) ADD_FAILURE() << d;

  const TokenRecord* tok = loaded.FindToken("tokhash1");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->client_id, "cli_a");
  EXPECT_EQ(tok->expires_at, 4102444800);
  const IdempotencyRecord* idem = loaded.FindIdempotency("cli_a", "key-1");
  ASSERT_NE(idem, nullptr);
  EXPECT_EQ(idem->request_hash, "reqhash");
  EXPECT_EQ(idem->status_code, 200);
  EXPECT_EQ(idem->content_type, "application/json");
  EXPECT_EQ(idem->body, R"({"Id":"x"})");
  EXPECT_EQ(idem->request_url, "/v3.0/cli_a/intents");
  EXPECT_EQ(idem->resource_id, "int_x");
  EXPECT_EQ(idem->created_at, 1700000002);
  EXPECT_EQ(idem->result.data, std::string("\0\x01\xffz", 4)) << "binary results survive the TEXT column";
  EXPECT_EQ(loaded.FindIdempotency("cli_b", "key-1"), nullptr);
  for (const char* id : {"user_m_1", "user_m_2"}) {
    const User* u = loaded.FindUser("cli_a", id);
    ASSERT_NE(u, nullptr) << id;
    EXPECT_EQ(Encode(*u), Encode(*state.FindUser("cli_a", id))) << id;
  }
  EXPECT_EQ(loaded.FindUser("cli_a", "user_m_1")->first_name, "Anne");
  EXPECT_EQ(loaded.FindUser("cli_a", "user_m_1")->created_at, 10);
  EXPECT_EQ(loaded.FindUser("cli_a", "user_m_3"), nullptr) << "a user of another client";
  EXPECT_NE(loaded.FindUser("cli_b", "user_m_3"), nullptr);
  const Wallet* lw1 = loaded.FindWallet("cli_a", "wlt_m_1");
  ASSERT_NE(lw1, nullptr);
  EXPECT_EQ(Encode(*lw1), Encode(*state.FindWallet("cli_a", "wlt_m_1")));
  EXPECT_EQ(lw1->tag, std::optional<std::string>("t"));
  EXPECT_EQ(lw1->owners, (std::vector<std::string>{"user_m_1", "user_m_2"}));
  EXPECT_EQ(loaded.FindWallet("cli_a", "wlt_m_2")->tag, std::optional<std::string>(""));
  EXPECT_FALSE(loaded.FindWallet("cli_a", "wlt_m_1")->tag == std::nullopt);
  // The owner index: user_m_2 owns both, in creation order; user_m_1 one.
  auto of2 = loaded.WalletsOfOwner("cli_a", "user_m_2");
  ASSERT_EQ(of2.size(), 2u);
  EXPECT_EQ(of2[0]->id, "wlt_m_1");
  EXPECT_EQ(of2[1]->id, "wlt_m_2");
  EXPECT_EQ(loaded.WalletsOfOwner("cli_a", "user_m_1").size(), 1u);
  EXPECT_TRUE(loaded.WalletsOfOwner("cli_b", "user_m_2").empty());
  auto cw = loaded.ClientWallets("cli_a");
  ASSERT_EQ(cw.size(), 2u);
  EXPECT_EQ(cw[0]->id(), "FEES_EUR");
  EXPECT_EQ(cw[1]->id(), "CREDIT_EUR");
  EXPECT_EQ(loaded.FindClient("cli_a")->tech_emails, a.tech_emails);
  EXPECT_EQ(loaded.FindClient("cli_a")->headquarters_address.line2, std::optional<std::string>(""));
  EXPECT_EQ(loaded.FindClient("cli_a")->headquarters_address.region, std::nullopt);
  EXPECT_EQ(loaded.FindClient("cli_a")->name, "Shop A renamed");
  EXPECT_EQ(loaded.FindIntentByReference("cli_a", "STRIPE", "psp-ref-1")->id, ids[4]);
  // New rows after a reload get fresh ids (no collision with loaded rows).
  loaded.AddEvent("cli_a", "X", "y", 1);
  EXPECT_EQ(loaded.TakeChanges().events.back().id, 3);
  ASSERT_TRUE(CaptureIntent(loaded, "cli_a", ids[3 + 1], Full(), kNowMs).ok());
  Flush(*store, loaded);
  auto rep = Verify(*store);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  for (const auto& d : rep->differences) ADD_FAILURE() << d;
  EXPECT_GT(rep->postings, 0u);
  EXPECT_EQ(rep->intents, 5u);
}

TEST_P(StoreTest, MigrationsAreIdempotent) {
  int version = 0;
  {
    auto store = Open();
    ASSERT_TRUE(store);
    version = store->SchemaVersion();
    EXPECT_GE(version, 1);
    State s;
    std::mt19937_64 rng(1);
    ASSERT_TRUE(CreateIntent(s, "cli", RandomCreate(rng, 2, "b"), kNowMs).ok());
    Flush(*store, s);
  }
  for (int i = 0; i < 2; ++i) {
    auto store = Open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->SchemaVersion(), version);
    State s;
    ASSERT_TRUE(store->Load(s).ok());
    EXPECT_EQ(s.intents().size(), 1u);  // data survives reopening
  }
  auto rows = db_->QueryInt("SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, version);
}

// The projection's per-table costs (/metrics, bench ledger) count the rows each table received:
// postings and journal transactions are only ever inserted, so their counts equal the tables';
// intents are upserted once per batch that changed them.
TEST_P(StoreTest, ProjectionCostsCountTheRowsEachTableReceived) {
  auto store = Open();
  ASSERT_TRUE(store);
  State s;
  std::mt19937_64 rng(3);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = CreateIntent(s, "cli", RandomCreate(rng, 2, "b" + std::to_string(i)), kNowMs);
    ASSERT_TRUE(r.ok());
    ids.push_back(r->intent->id);
  }
  Flush(*store, s);
  ASSERT_TRUE(CaptureIntent(s, "cli", ids[0], Full(), kNowMs).ok());
  Flush(*store, s);
  std::map<std::string, TableWriteCost> costs;
  for (const TableWriteCost& c : store->ProjectionCosts()) {
    EXPECT_TRUE(costs.emplace(c.table, c).second) << c.table << " listed twice";
  }
  for (const char* table : {"postings", "journal_transactions"}) {
    auto rows = db_->QueryInt(std::string("SELECT COUNT(*) FROM ") + table);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_GT(*rows, 0) << table;
    EXPECT_EQ(costs[table].rows, static_cast<uint64_t>(*rows)) << table;
  }
  EXPECT_EQ(costs["intents"].rows, 4u);  // three created, then one captured
  EXPECT_EQ(costs.count("settlements"), 0u) << "a table never written has no entry";
}

// The projector writes a group of records in one transaction, each key once in its last version
// (an intent created by one record and captured by the next is one row write, not two), and the
// tables then hold exactly what the state holds.
TEST_P(StoreTest, AGroupOfRecordsWritesEachRowOnceInItsLastVersion) {
  auto store = Open();
  ASSERT_TRUE(store);
  State s;
  ASSERT_TRUE(store->Load(s).ok());
  std::mt19937_64 rng(11);
  std::vector<PreparedWritePtr> records;
  auto record = [&] {
    records.push_back(store->Prepare(s.TakeChanges()));
    Status st = store->Append(*records.back());
    ASSERT_TRUE(st.ok()) << st.ToString();
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = CreateIntent(s, "cli", RandomCreate(rng, 2, "b" + std::to_string(i)), kNowMs);
    ASSERT_TRUE(r.ok());
    ids.push_back(r->intent->id);
  }
  ASSERT_NO_FATAL_FAILURE(record());
  ASSERT_TRUE(CaptureIntent(s, "cli", ids[0], Full(), kNowMs).ok());
  ASSERT_NO_FATAL_FAILURE(record());
  auto partial = RandomPartial(rng, *s.FindIntent("cli", ids[1]), false);
  ASSERT_TRUE(CaptureIntent(s, "cli", ids[1], partial, kNowMs).ok());
  if (s.FindIntent("cli", ids[1])->status == IntentStatus::kAuthorized) {
    ASSERT_TRUE(CancelIntent(s, "cli", ids[1], Full(), kNowMs).ok());  // the rest
  }
  ASSERT_NO_FATAL_FAILURE(record());
  std::vector<PreparedWrite*> group;
  for (PreparedWritePtr& w : records) group.push_back(w.get());
  Status st = store->Project(group);
  ASSERT_TRUE(st.ok()) << st.ToString();

  std::map<std::string, uint64_t> rows;
  for (const TableWriteCost& c : store->ProjectionCosts()) rows[c.table] = c.rows;
  EXPECT_EQ(rows["intents"], 2u);
  EXPECT_EQ(rows["intent_line_items"], 4u);
  State loaded;
  ASSERT_TRUE(store->Load(loaded).ok());
  for (const std::string& d : CompareStates(s, loaded)) ADD_FAILURE() << d;
  auto rep = Verify(*store);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  for (const auto& d : rep->differences) ADD_FAILURE() << d;
}

TEST_P(StoreTest, OpenRefusesBadUrls) {
  EXPECT_FALSE(OpenStore("mysql://x").ok());
  EXPECT_FALSE(OpenStore("sqlite:").ok());
}

// A populated database for the verify tests: captured, partially captured, cancelled intents.
class VerifyTest : public BackendTest {
 protected:
  void Populate() {
    auto store = Open();
    ASSERT_TRUE(store);
    State s;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 6; ++i) {
      auto r = CreateIntent(s, "cli", RandomCreate(rng, 2, "b" + std::to_string(i)), kNowMs);
      ASSERT_TRUE(r.ok());
      ids_.push_back(r->intent->id);
    }
    ASSERT_TRUE(CaptureIntent(s, "cli", ids_[0], Full(), kNowMs).ok());
    ASSERT_TRUE(CaptureIntent(s, "cli", ids_[1], RandomPartial(rng, *s.FindIntent("cli", ids_[1]), false), kNowMs).ok());
    ASSERT_TRUE(CancelIntent(s, "cli", ids_[2], RandomPartial(rng, *s.FindIntent("cli", ids_[2]), true), kNowMs).ok());
    ASSERT_TRUE(CancelIntent(s, "cli", ids_[3], Full(), kNowMs).ok());
    Flush(*store, s);
    auto rep = Verify(*store);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    for (const auto& d : rep->differences) ADD_FAILURE() << "before tampering: " << d;
    EXPECT_EQ(rep->intents, 6u);
    EXPECT_EQ(rep->line_items, 12u);
    EXPECT_GT(rep->transactions, 9u);
    EXPECT_GT(rep->accounts, 0u);
  }
  // Verify after tampering: returns the differences.
  std::vector<std::string> VerifyDiffs() {
    auto store = Open();
    if (!store) return {"open failed"};
    auto rep = Verify(*store);
    EXPECT_TRUE(rep.ok()) << rep.status().ToString();
    return rep.ok() ? rep->differences : std::vector<std::string>{"verify failed"};
  }
  static bool Mentions(const std::vector<std::string>& diffs, const std::string& what) {
    for (const auto& d : diffs) {
      if (d.find(what) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> ids_;
};

TEST_P(VerifyTest, ReportsNothingOnAGoodDatabase) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  EXPECT_TRUE(VerifyDiffs().empty());
}

TEST_P(VerifyTest, ReportsTamperedAccountTotals) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE kind = 'line_fee' "
                        "AND id = (SELECT MIN(id) FROM accounts WHERE kind = 'line_fee')").ok());
  auto diffs = VerifyDiffs();
  EXPECT_TRUE(Mentions(diffs, "credits_posted")) << ::testing::PrintToString(diffs);
}

TEST_P(VerifyTest, ReportsTamperedLineItemAmounts) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("UPDATE intent_line_items SET captured = captured + 7 WHERE intent_id = '" +
                        ids_[4] + "' AND position = 0").ok());
  auto diffs = VerifyDiffs();
  EXPECT_TRUE(Mentions(diffs, "CapturedAmount")) << ::testing::PrintToString(diffs);
}

TEST_P(VerifyTest, ReportsTamperedIntentAmount) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("UPDATE intents SET platform_fees = platform_fees + 1 WHERE id = '" + ids_[5] + "'").ok());
  auto diffs = VerifyDiffs();
  EXPECT_TRUE(Mentions(diffs, "PlatformFeesAmount")) << ::testing::PrintToString(diffs);
}

TEST_P(VerifyTest, ReportsADeletedPosting) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("DELETE FROM postings WHERE tx_id = (SELECT MAX(tx_id) FROM postings) AND seq = 0").ok());
  auto diffs = VerifyDiffs();
  EXPECT_TRUE(Mentions(diffs, "does not balance")) << ::testing::PrintToString(diffs);
}

TEST_P(VerifyTest, ReportsATamperedRunningBalance) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("UPDATE postings SET posted_balance_after = posted_balance_after + 1 "
                        "WHERE tx_id = 1 AND seq = 0").ok());
  auto diffs = VerifyDiffs();
  EXPECT_TRUE(Mentions(diffs, "running posted balance")) << ::testing::PrintToString(diffs);
}

TEST_P(VerifyTest, ReportsAnAmountMovedBetweenPostings) {
  // Balanced tampering: both legs of a transaction changed alike. The journal still balances,
  // but the account totals and running balances no longer match it.
  ASSERT_NO_FATAL_FAILURE(Populate());
  ASSERT_TRUE(db_->Exec("UPDATE postings SET amount = amount + 1 WHERE tx_id = 1").ok());
  auto diffs = VerifyDiffs();
  EXPECT_FALSE(diffs.empty());
}

// Random create / capture / cancel sequences (full and partial, stated fee parts): after every
// step the ledger derivation equals the aggregate; every few steps the state goes through the
// store and the sequence continues on the loaded copy.
class DeriveTest : public BackendTest {};

TEST_P(DeriveTest, DeriveIntentEqualsAggregateAcrossRandomOperationsAndReloads) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto state = std::make_unique<State>();
  ASSERT_TRUE(store->Load(*state).ok());
  std::mt19937_64 rng(GetParam() == Backend::kSqlite ? 1234 : 4321);
  std::vector<std::string> ids;
  int ok_ops = 0, refused = 0, reloads = 0;
  const int kSteps = 400;
  for (int step = 0; step < kSteps; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (ids.empty() || op < 3) {
      auto r = CreateIntent(*state, "cli", RandomCreate(rng, 1 + static_cast<int>(rng() % 4), "b"),
                            kNowMs + step);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ids.push_back(r->intent->id);
      ok_ops++;
    } else {
      const std::string& id = ids[rng() % ids.size()];
      const Intent& in = *state->FindIntent("cli", id);
      bool any_remaining = false;
      for (const auto& l : in.lines) any_remaining |= l.remaining() > 0;
      bool cancel = op >= 7;
      bool partial = any_remaining && rng() % 3 != 0;
      ActionInput input = partial ? RandomPartial(rng, in, cancel) : Full();
      Intent before = in;
      auto r = cancel ? CancelIntent(*state, "cli", id, input, kNowMs + step)
                      : CaptureIntent(*state, "cli", id, input, kNowMs + step);
      if (r.ok()) {
        ok_ops++;
        EXPECT_EQ(state->FindIntent("cli", id)->actions.size(), before.actions.size() + 1);
      } else {
        refused++;
        // A refused operation changes nothing.
        EXPECT_NE(r.status().code(), ErrorCode::kInternal) << r.status().ToString();
        auto d = CompareIntents(before, *state->FindIntent("cli", id));
        ASSERT_TRUE(d.empty()) << d[0];
      }
    }
    for (const auto& id : ids) {
      const Intent& in = *state->FindIntent("cli", id);
      auto d = CompareWithLedger(state->book(), in);
      ASSERT_TRUE(d.empty()) << "step " << step << ": " << d[0];
      Status inv = CheckInvariants(in);
      ASSERT_TRUE(inv.ok()) << inv.ToString();
    }
    if (rng() % 8 == 0 || step == kSteps - 1) {
      Flush(*store, *state);
      if (rng() % 2) {  // sometimes through a new connection
        store.reset();
        store = Open();
        ASSERT_TRUE(store);
      }
      auto loaded = std::make_unique<State>();
      ASSERT_TRUE(store->Load(*loaded).ok());
      auto d = CompareStates(*state, *loaded);
      ASSERT_TRUE(d.empty()) << "after reload at step " << step << ": " << d[0];
      for (const auto& id : ids) {
        auto dd = CompareWithLedger(loaded->book(), *loaded->FindIntent("cli", id));
        ASSERT_TRUE(dd.empty()) << dd[0];
      }
      state = std::move(loaded);
      reloads++;
    }
  }
  EXPECT_GT(ok_ops, kSteps / 2);
  EXPECT_GT(refused, 0);
  EXPECT_GT(reloads, 10);
  // Statuses reached: every kind appears.
  std::set<IntentStatus> seen;
  for (const auto& [k, in] : state->intents()) seen.insert(in.status);
  EXPECT_TRUE(seen.count(IntentStatus::kCaptured));
  EXPECT_TRUE(seen.count(IntentStatus::kPartiallyCaptured));
  EXPECT_TRUE(seen.count(IntentStatus::kCancelled));
  auto rep = Verify(*store);
  ASSERT_TRUE(rep.ok());
  for (const auto& d : rep->differences) ADD_FAILURE() << d;
}

SL_INSTANTIATE_BACKENDS(StoreTest);
SL_INSTANTIATE_BACKENDS(VerifyTest);
SL_INSTANTIATE_BACKENDS(DeriveTest);

}  // namespace
}  // namespace splitledger::ledger::testing
