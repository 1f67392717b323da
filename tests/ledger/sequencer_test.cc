// The sequencer on both backends: concurrent submitters, rule violations inside a batch, and a
// failed commit (a trigger raising inside the batch's transaction).
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "backend_fixture.h"
#include "splitledger/ledger/sequencer.h"
#include "splitledger/ledger/verify.h"

namespace splitledger::ledger::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Creates an intent and, with it, the idempotency record of the request.
auto CreateCmd(std::string client, CreateIntentInput in, std::string idem_key = {}) {
  return [client = std::move(client), in = std::move(in),
          idem_key = std::move(idem_key)](CommandContext& ctx) -> Result<std::string> {
    auto r = CreateIntent(ctx.state(), client, in, NowMs());
    if (!r.ok()) return r.status();
    if (!idem_key.empty()) {
      ctx.state().PutIdempotency({client, idem_key, "h-" + in.buyer_id, 200, "application/json",
                                  "{\"Id\":\"" + r->intent->id + "\"}", "/intents", r->intent->id,
                                  NowMs() / 1000, Bytes{}});
    }
    return r->intent->id;
  };
}

auto ActionCmd(std::string client, std::string id, bool cancel, ActionInput in) {
  return [=](CommandContext& ctx) -> Result<std::string> {
    auto r = cancel ? CancelIntent(ctx.state(), client, id, in, NowMs())
                    : CaptureIntent(ctx.state(), client, id, in, NowMs());
    if (!r.ok()) return r.status();
    return r->action_id;
  };
}

// Holds the sequencer thread inside a command until released, so that what is submitted
// meanwhile forms the next batch, together.
class Gate {
 public:
  template <typename Seq>
  void Close(Seq& seq) {
    entered_ = std::promise<void>();
    release_ = std::promise<void>();
    auto entered = entered_.get_future();
    auto release = release_.get_future().share();
    done_ = SubmitFn(seq, [this, release](CommandContext&) -> Result<int> {
      entered_.set_value();
      release.wait();
      return 0;
    });
    entered.wait();
  }
  void Open() {
    release_.set_value();
    (void)done_.get();
  }

 private:
  std::promise<void> entered_, release_;
  std::future<Result<int>> done_;
};

class SequencerTest : public BackendTest {
 protected:
  void Start() {
    store_ = Open();
    ASSERT_TRUE(store_);
    ASSERT_TRUE(store_->Load(state_).ok());
    seq_ = std::make_unique<Sequencer>(*store_, state_);
  }
  // Stops the sequencer and loads the database afresh, through a new connection.
  std::unique_ptr<State> StopAndReload() {
    seq_->Stop();
    auto store = Open(/*writer=*/false);  // the test's writer store is still open
    auto s = std::make_unique<State>();
    EXPECT_TRUE(store->Load(*s).ok());
    auto rep = Verify(*store);
    EXPECT_TRUE(rep.ok());
    if (rep.ok()) {
      for (const auto& d : rep->differences) ADD_FAILURE() << "verify: " << d;
    }
    return s;
  }
  static const Intent* ByBuyer(const State& s, const std::string& buyer) {
    for (const auto& [k, in] : s.intents()) {
      if (in.buyer_id == buyer) return &in;
    }
    return nullptr;
  }
  void TearDown() override {
    seq_.reset();
    store_.reset();
    BackendTest::TearDown();
  }

  std::unique_ptr<Store> store_;
  State state_;
  std::unique_ptr<Sequencer> seq_;
};

TEST_P(SequencerTest, ConcurrentSubmittersEveryCompletedEffectIsDurable) {
  ASSERT_NO_FATAL_FAILURE(Start());
  constexpr int kThreads = 8, kOpsPerThread = 60;
  struct Outcome {
    std::vector<std::pair<std::string, std::string>> created;  // buyer tag, intent id
    std::vector<std::string> failed_creates;                   // buyer tags
    std::map<std::string, std::vector<std::string>> actions;   // intent id -> action ids
    int failed_actions = 0;
  };
  std::vector<Outcome> out(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      Outcome& o = out[t];
      std::vector<std::string> mine;
      for (int i = 0; i < kOpsPerThread; ++i) {
        std::string tag = "t" + std::to_string(t) + "_" + std::to_string(i);
        int op = static_cast<int>(rng() % 10);
        if (mine.empty() || op < 4) {
          auto in = RandomCreate(rng, 1 + static_cast<int>(rng() % 3), tag);
          bool bad = rng() % 6 == 0;
          if (bad) in.platform_fees = -1;  // Σ fees mismatch: a rule violation
          // Several in flight at once from one thread, too.
          auto f = SubmitFn(*seq_, CreateCmd("cli", in, "idem-" + tag));
          auto r = f.get();
          if (bad) {
            EXPECT_FALSE(r.ok());
            EXPECT_NE(r.status().code(), ErrorCode::kUnavailable);
            o.failed_creates.push_back(tag);
          } else {
            EXPECT_TRUE(r.ok()) << r.status().ToString();
            if (r.ok()) {
              o.created.emplace_back(tag, *r);
              mine.push_back(*r);
            }
          }
        } else {
          const std::string id = mine[rng() % mine.size()];
          bool cancel = op >= 8;
          // Random full/partial; partial needs the current intent: read it through the
          // sequencer (a read-only command), then act. May be refused (status, nothing left).
          auto snap = SubmitFn(*seq_, [&](CommandContext& ctx) -> Result<Intent> {
                        const Intent* in = ctx.state().FindIntent("cli", id);
                        if (!in) return Status::NotFound("gone");
                        return *in;
                      }).get();
          ASSERT_TRUE(snap.ok()) << snap.status().ToString();
          bool any = false;
          for (const auto& l : snap->lines) any |= l.remaining() > 0;
          ActionInput in = any && rng() % 2 ? RandomPartial(rng, *snap, cancel) : Full();
          // Sometimes also an action that must fail: over-capture of the first line.
          if (rng() % 5 == 0) {
            ActionInput over;
            over.partial = true;
            over.amount = snap->lines[0].total + 1;
            over.lines.push_back({snap->lines[0].id, snap->lines[0].total + 1, std::nullopt});
            auto bad = SubmitFn(*seq_, ActionCmd("cli", id, false, over));
            auto good = SubmitFn(*seq_, ActionCmd("cli", id, cancel, in));
            auto rb = bad.get();
            EXPECT_EQ(rb.status().code(), ErrorCode::kRuleViolation) << rb.status().ToString();
            o.failed_actions++;
            auto rg = good.get();
            EXPECT_NE(rg.status().code(), ErrorCode::kUnavailable);
            if (rg.ok()) o.actions[id].push_back(*rg);
          } else {
            auto r = SubmitFn(*seq_, ActionCmd("cli", id, cancel, in)).get();
            EXPECT_NE(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
            if (r.ok()) {
              o.actions[id].push_back(*r);
            } else {
              o.failed_actions++;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  SequencerStats stats = seq_->stats();
  EXPECT_EQ(stats.failed_commits, 0u);
  auto loaded = StopAndReload();

  size_t creates = 0, actions = 0, failed_creates = 0, failed_actions = 0;
  std::set<std::string> created_ids;
  for (const Outcome& o : out) {
    for (const auto& [tag, id] : o.created) {
      creates++;
      created_ids.insert(id);
      const Intent* in = loaded->FindIntent("cli", id);
      ASSERT_NE(in, nullptr) << "acknowledged intent " << id << " missing after reload";
      EXPECT_EQ(in->buyer_id, tag);
      const IdempotencyRecord* idem = loaded->FindIdempotency("cli", "idem-" + tag);
      ASSERT_NE(idem, nullptr) << "idempotency record of " << tag << " missing";
      EXPECT_EQ(idem->resource_id, id);
      EXPECT_EQ(idem->request_hash, "h-" + tag);
    }
    for (const std::string& tag : o.failed_creates) {
      failed_creates++;
      EXPECT_EQ(ByBuyer(*loaded, tag), nullptr) << "failed create " << tag << " left an intent";
      EXPECT_EQ(loaded->FindIdempotency("cli", "idem-" + tag), nullptr);
    }
    for (const auto& [id, acts] : o.actions) {
      const Intent* in = loaded->FindIntent("cli", id);
      ASSERT_NE(in, nullptr);
      // Exactly the acknowledged actions, in order: failed ones left no record.
      ASSERT_EQ(in->actions.size(), acts.size()) << id;
      for (size_t i = 0; i < acts.size(); ++i) EXPECT_EQ(in->actions[i].id, acts[i]);
      actions += acts.size();
    }
    failed_actions += o.failed_actions;
  }
  EXPECT_EQ(loaded->intents().size(), created_ids.size());  // nothing else
  for (const auto& [k, in] : loaded->intents()) {
    if (!created_ids.count(in.id)) continue;
    bool has_actions = false;
    for (const Outcome& o : out) has_actions |= o.actions.count(in.id) > 0;
    if (!has_actions) {
      EXPECT_TRUE(in.actions.empty()) << in.id;
    }
  }
  // The in-memory state equals the database.
  for (const auto& [k, in] : state_.intents()) {
    const Intent* other = loaded->FindIntent(in.client_id, in.id);
    ASSERT_NE(other, nullptr);
    auto d = CompareIntents(in, *other);
    EXPECT_TRUE(d.empty()) << d[0];
  }
  auto bd = CompareBooks(state_.book(), loaded->book());
  EXPECT_TRUE(bd.empty()) << bd[0];
  EXPECT_GT(creates, 100u);
  EXPECT_GT(actions, 50u);
  EXPECT_GT(failed_creates, 10u);
  EXPECT_GT(failed_actions, 10u);
  std::cout << "[ info ] " << stats.commands << " commands in " << stats.batches << " batches\n";
}

TEST_P(SequencerTest, RuleViolationDoesNotAffectBatchMates) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::mt19937_64 rng(9);
  auto first = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 2, "first"))).get();
  ASSERT_TRUE(first.ok());
  seq_->TakeBatchSizes();

  Gate gate;
  gate.Close(*seq_);
  auto a = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 2, "a"), "ka"));
  auto bad_in = RandomCreate(rng, 2, "bad");
  bad_in.amount = 1;  // does not match Σ totals
  auto bad = SubmitFn(*seq_, CreateCmd("cli", bad_in, "kbad"));
  auto bad_capture = SubmitFn(*seq_, ActionCmd("cli", "int_nope", false, Full()));
  auto cap = SubmitFn(*seq_, ActionCmd("cli", *first, false, Full()));
  auto bad_cancel = SubmitFn(*seq_, ActionCmd("cli", *first, true, Full()));  // after the capture
  auto c = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 1, "c"), "kc"));
  gate.Open();

  auto ra = a.get(), rbad = bad.get(), rbc = bad_capture.get(), rcap = cap.get(),
       rbcan = bad_cancel.get(), rc = c.get();
  EXPECT_TRUE(ra.ok()) << ra.status().ToString();
  EXPECT_EQ(rbad.status().code(), ErrorCode::kRuleViolation) << rbad.status().ToString();
  EXPECT_EQ(rbc.status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(rcap.ok()) << rcap.status().ToString();
  EXPECT_EQ(rbcan.status().code(), ErrorCode::kRuleViolation) << rbcan.status().ToString();
  EXPECT_TRUE(rc.ok()) << rc.status().ToString();
  auto sizes = seq_->TakeBatchSizes();
  EXPECT_NE(std::find(sizes.begin(), sizes.end(), 6u), sizes.end())
      << "the six commands did not share a batch";

  auto loaded = StopAndReload();
  ASSERT_NE(loaded->FindIntent("cli", *ra), nullptr);
  ASSERT_NE(loaded->FindIntent("cli", *rc), nullptr);
  EXPECT_EQ(ByBuyer(*loaded, "bad"), nullptr);
  EXPECT_EQ(loaded->FindIdempotency("cli", "kbad"), nullptr);
  EXPECT_NE(loaded->FindIdempotency("cli", "ka"), nullptr);
  EXPECT_NE(loaded->FindIdempotency("cli", "kc"), nullptr);
  const Intent* f = loaded->FindIntent("cli", *first);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, IntentStatus::kCaptured);
  ASSERT_EQ(f->actions.size(), 1u);
  EXPECT_EQ(f->actions[0].id, *rcap);
  EXPECT_EQ(loaded->intents().size(), 3u);
}

class FailedCommitTest : public SequencerTest {
 protected:
  // Starts the sequencer on a log whose append fails for every batch that creates an intent whose
  // buyer is 'poison': on SQLite the log file's write fails halfway (the store's fault seam, as
  // a full disk would); on PostgreSQL a trigger on the log table raises inside the INSERT.
  void StartPoisoned() {
    if (GetParam() == Backend::kSqlite) {
      StoreOptions o;
      o.url = db_->url();
      o.fail_append_for_tests = [](std::string_view payload) {
        return payload.find("poison") != std::string_view::npos;
      };
      auto s = Store::Open(o);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(*s);
      ASSERT_TRUE(store_->Load(state_).ok());
      seq_ = std::make_unique<Sequencer>(*store_, state_);
      return;
    }
    ASSERT_NO_FATAL_FAILURE(Start());
    ASSERT_TRUE(db_->Exec("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                          "IF position('\\x706f69736f6e'::bytea in NEW.body) > 0 THEN "
                          "RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$").ok());
    ASSERT_TRUE(db_->Exec("CREATE TRIGGER poison BEFORE INSERT ON ledger_log FOR EACH ROW "
                          "EXECUTE FUNCTION poison()").ok());
  }
};

TEST_P(FailedCommitTest, FailsTheWholeBatchRestoresStateAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(StartPoisoned());
  std::mt19937_64 rng(11);
  // Committed before the failure.
  std::vector<std::string> committed;
  for (int i = 0; i < 3; ++i) {
    auto r = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 2, "early" + std::to_string(i)))).get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    committed.push_back(*r);
  }
  auto partial = RandomPartial(rng, *state_.FindIntent("cli", committed[1]), false);
  ASSERT_TRUE(SubmitFn(*seq_, ActionCmd("cli", committed[1], false, partial)).get().ok());
  const Intent before1 = *state_.FindIntent("cli", committed[1]);  // sequencer idle: safe to read

  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Gate gate;
    gate.Close(*seq_);
    auto ok1 = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 2, "doomed"), "k-doomed"));
    auto cap0 = SubmitFn(*seq_, ActionCmd("cli", committed[0], false, Full()));
    auto poison = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 1, "poison"), "k-poison"));
    auto can2 = SubmitFn(*seq_, ActionCmd("cli", committed[2], true, Full()));
    auto cap1 = SubmitFn(*seq_, ActionCmd("cli", committed[1], false, RandomPartial(rng, before1, false)));
    gate.Open();
    for (auto* f : {&ok1, &cap0, &poison, &can2, &cap1}) {
      auto r = f->get();
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
    }
    // The very next command sees the state restored from the database: the failed effects are
    // gone, earlier committed ones present.
    auto check = SubmitFn(*seq_, [&](CommandContext& ctx) -> Result<std::string> {
                   const State& s = ctx.state();
                   if (ByBuyer(s, "doomed") || ByBuyer(s, "poison")) return std::string("failed intent in memory");
                   if (s.FindIdempotency("cli", "k-doomed")) return std::string("failed idempotency record in memory");
                   for (const auto& id : committed) {
                     if (!s.FindIntent("cli", id)) return "committed intent " + id + " missing";
                   }
                   if (s.FindIntent("cli", committed[0])->status != IntentStatus::kAuthorized) return std::string("capture 0 not undone");
                   if (s.FindIntent("cli", committed[2])->status != IntentStatus::kAuthorized) return std::string("cancel 2 not undone");
                   auto d = CompareIntents(before1, *s.FindIntent("cli", committed[1]));
                   if (!d.empty()) return d[0];
                   for (const auto& id : committed) {
                     auto dd = CompareWithLedger(s.book(), *s.FindIntent("cli", id));
                     if (!dd.empty()) return dd[0];
                   }
                   return std::string();
                 }).get();
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ(*check, "");
  }
  EXPECT_EQ(seq_->stats().failed_commits, 10u);

  // The next batches work.
  auto late = SubmitFn(*seq_, CreateCmd("cli", RandomCreate(rng, 1, "late"), "k-late")).get();
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  auto cap = SubmitFn(*seq_, ActionCmd("cli", committed[0], false, Full())).get();
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();

  auto loaded = StopAndReload();
  EXPECT_EQ(loaded->intents().size(), 4u);
  EXPECT_EQ(ByBuyer(*loaded, "doomed"), nullptr);
  EXPECT_EQ(ByBuyer(*loaded, "poison"), nullptr);
  EXPECT_EQ(loaded->FindIdempotency("cli", "k-doomed"), nullptr);
  EXPECT_NE(loaded->FindIdempotency("cli", "k-late"), nullptr);
  EXPECT_EQ(loaded->FindIntent("cli", committed[0])->status, IntentStatus::kCaptured);
  EXPECT_EQ(loaded->FindIntent("cli", committed[2])->status, IntentStatus::kAuthorized);
  auto d = CompareIntents(before1, *loaded->FindIntent("cli", committed[1]));
  EXPECT_TRUE(d.empty()) << d[0];
  auto bd = CompareBooks(state_.book(), loaded->book());
  EXPECT_TRUE(bd.empty()) << bd[0];
}

SL_INSTANTIATE_BACKENDS(SequencerTest);
SL_INSTANTIATE_BACKENDS(FailedCommitTest);

}  // namespace
}  // namespace splitledger::ledger::testing
