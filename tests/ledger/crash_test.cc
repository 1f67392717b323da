// Crash test (issue 2, "Tests"): a child process drives random create / capture / cancel
// operations through the Sequencer from several threads and prints, line by line, what it submits
// ("S …", before Submit) and what was acknowledged ("A …", after the future completed OK). The
// parent kills it with SIGKILL at a random moment, several times on the same database, and after
// each kill checks: every acknowledged operation is present; nothing is present that was never
// submitted; the journal balances; `Verify` reports no difference; every intent's figures equal
// its ledger derivation. SQLite (WAL, synchronous=FULL) for several rounds, then PostgreSQL.
//
//   ledger_crash_test                      parent (the ctest entry point)
//   ledger_crash_test --child URL SEED     child (started by the parent)
// Environment: SPLITLEDGER_TEST_PG_URL (required unless SPLITLEDGER_ALLOW_NO_PG=1),
// CRASH_ROUNDS (SQLite rounds, default 8), CRASH_SEED, CRASH_FAULT (see AckEarly).
#include <algorithm>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "splitledger/ledger/sequencer.h"
#include "splitledger/ledger/verify.h"
#include "test_db.h"

namespace splitledger::ledger {
Result<std::string> PostgresConnectString(std::string_view url);  // store.cc
}

namespace splitledger::ledger::testing {
namespace {

constexpr const char* kClient = "cli";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One whole line per write(2): lines are < PIPE_BUF, so they never interleave.
void Emit(const std::string& line) {
  std::string l = line + "\n";
  const char* p = l.data();
  size_t n = l.size();
  while (n > 0) {
    ssize_t w = ::write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::_Exit(3);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// CRASH_FAULT=ack-early (a self-check, expected to FAIL): the child acknowledges creates when
// they are applied, before their batch commits.
bool AckEarly() {
  static const bool v = std::getenv("CRASH_FAULT") && std::string(std::getenv("CRASH_FAULT")) == "ack-early";
  return v;
}

bool IsFinal(IntentStatus s) { return s == IntentStatus::kCaptured || s == IntentStatus::kCancelled; }

// ---------------------------------------------------------------- child

struct ActionOutcome {
  std::string action_id;
  Amount amount = 0;
  bool final = false;
};

int RunChild(const std::string& url, uint64_t seed) {
  StoreOptions o;
  o.url = url;
  o.durable = true;
  auto store = Store::Open(o);
  if (!store.ok()) {
    std::cerr << "child: open: " << store.status().ToString() << "\n";
    return 2;
  }
  State state;
  Status loaded = (*store)->Load(state);
  if (!loaded.ok()) {
    std::cerr << "child: load: " << loaded.ToString() << "\n";
    return 2;
  }
  constexpr int kThreads = 6;
  // Intents from earlier rounds that can still move are shared out among the threads.
  std::vector<std::vector<std::string>> open(kThreads);
  {
    size_t i = 0;
    for (const auto& [k, in] : state.intents()) {
      if (!IsFinal(in.status)) open[i++ % kThreads].push_back(in.id);
    }
  }
  // Every other round the writer keeps only a handful of intents in memory (the rest is read
  // back from the tables: State::SetIntentCache), so kills also land between a drop and a read.
  if (seed % 2 == 1) state.SetIntentCache(8, store->get());
  Sequencer seq(**store, state, SequencerOptions{});
  // Most of the time another connection holds a lock the projector needs (a backup, a long
  // report), so the tables lag the log and the kill often lands with records durable in the log
  // but not in the tables: the reopening writer must replay them. The lock is let go 40% of the
  // time, so the child still gets work done on a loaded machine (and under sanitizers).
  std::thread blocker([url] {
    try {
      const bool sqlite = url.rfind("sqlite:", 0) == 0;
      soci::session other;
      if (sqlite)
        other.open(soci::sqlite3, "db=" + url.substr(7) + " timeout=30");
      else
        other.open(soci::postgresql, *PostgresConnectString(url));
      for (;;) {
        if (sqlite) {
          other << "BEGIN IMMEDIATE";
        } else {
          other << "BEGIN";
          other << "LOCK TABLE intents IN SHARE ROW EXCLUSIVE MODE";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
        other << "COMMIT";
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
      }
    } catch (const std::exception& e) {
      std::cerr << "child: blocker: " << e.what() << "\n";
    }
  });
  blocker.detach();
  Emit("READY");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(t));
      std::vector<std::string>& mine = open[t];
      uint64_t n = 0;
      for (;;) {
        // A burst of operations in flight at once, on distinct intents.
        int burst = 1 + static_cast<int>(rng() % 6);
        std::set<std::string> used;
        struct Pending {
          bool create;
          std::string tag, intent_id, kind;
          std::future<Result<std::string>> created;
          std::future<Result<ActionOutcome>> acted;
        };
        std::vector<Pending> pending;
        for (int b = 0; b < burst; ++b) {
          std::string tag = "s" + std::to_string(seed) + "t" + std::to_string(t) + "n" + std::to_string(n++);
          bool create = mine.empty() || rng() % 10 < 4;
          std::string id;
          if (!create) {
            id = mine[rng() % mine.size()];
            if (!used.insert(id).second) create = true;
          }
          Pending p;
          p.create = create;
          p.tag = tag;
          if (create) {
            CreateIntentInput in = RandomCreate(rng, 1 + static_cast<int>(rng() % 3), tag);
            Emit("S C " + tag);
            p.created = SubmitFn(seq, [in = std::move(in), tag](CommandContext& ctx) -> Result<std::string> {
              auto r = CreateIntent(ctx.state(), kClient, in, NowMs());
              if (!r.ok()) return r.status();
              // Self-check of the checker: acknowledging before the commit must be caught.
              if (AckEarly()) Emit("A C " + tag + " " + r->intent->id);
              return r->intent->id;
            });
          } else {
            bool cancel = rng() % 10 < 3;
            bool partial = rng() % 3 != 0;
            uint64_t op_seed = rng();
            p.intent_id = id;
            p.kind = cancel ? "cancel" : "capture";
            Emit("S A " + id + " " + p.kind + " " + tag);
            p.acted = SubmitFn(seq, [=](CommandContext& ctx) -> Result<ActionOutcome> {
              const Intent* cur = ctx.state().FindIntent(kClient, id);
              if (cur == nullptr) return Status::NotFound("intent");
              ActionInput in = Full();
              bool any = false;
              for (const auto& l : cur->lines) any |= l.remaining() > 0;
              if (partial && any) {
                std::mt19937_64 r(op_seed);
                in = RandomPartial(r, *cur, cancel);
              }
              in.external.present = true;
              in.external.merchant_reference = tag;  // how the parent recognises the action
              in.external.provider_name = "Stripe";
              auto res = cancel ? CancelIntent(ctx.state(), kClient, id, in, NowMs())
                                : CaptureIntent(ctx.state(), kClient, id, in, NowMs());
              if (!res.ok()) return res.status();
              return ActionOutcome{res->action_id, res->intent->actions.back().amount,
                                   IsFinal(res->intent->status)};
            });
          }
          pending.push_back(std::move(p));
        }
        for (Pending& p : pending) {
          if (p.create) {
            auto r = p.created.get();
            if (r.ok()) {
              if (!AckEarly()) Emit("A C " + p.tag + " " + *r);
              mine.push_back(*r);
            } else if (r.status().code() == ErrorCode::kUnavailable) {
              std::cerr << "child: " << r.status().ToString() << "\n";
            }
          } else {
            auto r = p.acted.get();
            if (r.ok()) {
              Emit("A A " + p.intent_id + " " + r->action_id + " " + p.kind + " " + p.tag + " " +
                   std::to_string(r->amount));
            }
            if ((r.ok() && r->final) || r.status().code() == ErrorCode::kRuleViolation) {
              // Final (or refused: usually final too): stop picking it, mostly.
              if (r.ok() || rng() % 2) mine.erase(std::find(mine.begin(), mine.end(), p.intent_id));
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();  // never: the parent kills us
  return 0;
}

// ---------------------------------------------------------------- parent

struct Ledger {
  std::set<std::string> submitted_creates;                        // tags
  std::map<std::string, std::string> submitted_actions;           // tag -> intent id
  std::map<std::string, std::string> acked_creates;               // tag -> intent id
  struct AckedAction { std::string intent_id, action_id, kind; Amount amount; };
  std::map<std::string, AckedAction> acked_actions;               // tag -> action
};

struct RoundResult {
  bool ok = true;
  size_t acks = 0, submits = 0;
};

// Parses the child's complete lines into `led`.
void Parse(const std::string& line, Ledger& led, RoundResult& rr) {
  std::istringstream is(line);
  std::string a, b;
  is >> a >> b;
  if (a == "S" && b == "C") {
    std::string tag;
    is >> tag;
    led.submitted_creates.insert(tag);
    rr.submits++;
  } else if (a == "S" && b == "A") {
    std::string id, kind, tag;
    is >> id >> kind >> tag;
    led.submitted_actions[tag] = id;
    rr.submits++;
  } else if (a == "A" && b == "C") {
    std::string tag, id;
    is >> tag >> id;
    led.acked_creates[tag] = id;
    rr.acks++;
  } else if (a == "A" && b == "A") {
    Ledger::AckedAction x;
    std::string tag;
    is >> x.intent_id >> x.action_id >> x.kind >> tag >> x.amount;
    led.acked_actions[tag] = x;
    rr.acks++;
  }
}

#define CHECK_OR(cond, msg)                                           \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::cerr << "FAIL: " << msg << "\n";                           \
      if (++failures > 20) return false;                              \
    }                                                                 \
  } while (0)

// Opens the database after a kill and checks everything against what the child said.
bool CheckDatabase(const std::string& url, const Ledger& led, size_t* intents_out,
                   RecoveryReport* recovery) {
  int failures = 0;
  auto store = OpenStore(url);
  if (!store.ok()) {
    std::cerr << "FAIL: reopen: " << store.status().ToString() << "\n";
    return false;
  }
  *recovery = (*store)->recovery();
  State s;
  Status st = (*store)->Load(s);
  if (!st.ok()) {
    std::cerr << "FAIL: load: " << st.ToString() << "\n";
    return false;
  }
  *intents_out = s.intents().size();
  // 1. Every acknowledged operation is present.
  for (const auto& [tag, id] : led.acked_creates) {
    const Intent* in = s.FindIntent(kClient, id);
    CHECK_OR(in != nullptr, "acknowledged create " << tag << " (" << id << ") missing");
    if (in) CHECK_OR(in->buyer_id == tag, "intent " << id << " has buyer " << in->buyer_id << ", acked as " << tag);
  }
  for (const auto& [tag, x] : led.acked_actions) {
    const Intent* in = s.FindIntent(kClient, x.intent_id);
    CHECK_OR(in != nullptr, "intent " << x.intent_id << " of acknowledged action " << tag << " missing");
    if (!in) continue;
    const ActionRecord* rec = nullptr;
    for (const auto& a : in->actions) {
      if (a.id == x.action_id) rec = &a;
    }
    CHECK_OR(rec != nullptr, "acknowledged " << x.kind << " " << x.action_id << " (" << tag << ") missing");
    if (!rec) continue;
    CHECK_OR((rec->kind == ActionKind::kCancel) == (x.kind == "cancel"), "action " << tag << " has the wrong kind");
    CHECK_OR(rec->amount == x.amount, "action " << tag << " amount " << rec->amount << " != acked " << x.amount);
    CHECK_OR(rec->external.merchant_reference == tag, "action " << x.action_id << " has tag " << rec->external.merchant_reference);
  }
  // 2. Nothing is present that was never submitted (and nothing twice).
  std::set<std::string> seen_creates, seen_actions;
  for (const auto& [k, in] : s.intents()) {
    CHECK_OR(in.client_id == kClient, "intent " << in.id << " of unknown client " << in.client_id);
    CHECK_OR(led.submitted_creates.count(in.buyer_id), "intent " << in.id << " (" << in.buyer_id << ") was never submitted");
    CHECK_OR(seen_creates.insert(in.buyer_id).second, "create " << in.buyer_id << " present twice");
    auto acked = led.acked_creates.find(in.buyer_id);
    if (acked != led.acked_creates.end()) {
      CHECK_OR(acked->second == in.id, "create " << in.buyer_id << " present as " << in.id << ", acked as " << acked->second);
    }
    for (const auto& a : in.actions) {
      const std::string& tag = a.external.merchant_reference;
      auto sub = led.submitted_actions.find(tag);
      CHECK_OR(sub != led.submitted_actions.end(), "action " << a.id << " (" << tag << ") was never submitted");
      if (sub != led.submitted_actions.end()) {
        CHECK_OR(sub->second == in.id, "action " << tag << " submitted for " << sub->second << ", present on " << in.id);
      }
      CHECK_OR(seen_actions.insert(tag).second, "action " << tag << " present twice");
    }
    // 3. The aggregate equals the ledger, and its invariants hold.
    auto d = CompareWithLedger(s.book(), in);
    CHECK_OR(d.empty(), (d.empty() ? std::string() : d[0]));
    Status inv = CheckInvariants(in);
    CHECK_OR(inv.ok(), (inv.ToString()));
  }
  // 4. The journal balances: per currency, the accounts sum to zero in each phase.
  std::map<std::string, std::pair<__int128, __int128>> sums;
  for (const Account& a : s.book().accounts()) {
    sums[std::string(a.key().currency)].first += a.posted_balance();
    sums[std::string(a.key().currency)].second += a.pending_balance();
  }
  for (const auto& [cur, p] : sums) {
    CHECK_OR(p.first == 0 && p.second == 0, "accounts do not sum to zero in " << cur);
  }
  // 5. verify: no difference.
  auto rep = Verify(**store);
  CHECK_OR(rep.ok(), "verify: " << rep.status().ToString());
  if (rep.ok()) {
    for (const auto& d : rep->differences) CHECK_OR(false, "verify: " << d);
    CHECK_OR(rep->intents == s.intents().size(), "verify saw " << rep->intents << " intents");
  }
  return failures == 0;
}

// One round: start the child, let it run for a random time after READY, SIGKILL it, collect
// every complete line it wrote.
RoundResult RunRound(const std::string& self, const std::string& url, uint64_t seed, int delay_ms,
                     Ledger& led) {
  RoundResult rr;
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    rr.ok = false;
    return rr;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(4);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::string seed_s = std::to_string(seed);
    execl(self.c_str(), self.c_str(), "--child", url.c_str(), seed_s.c_str(), (char*)nullptr);
    _exit(5);
  }
  close(fds[1]);
  std::string buf;
  auto handle_lines = [&](bool* ready) {
    size_t pos;
    while ((pos = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, pos);
      buf.erase(0, pos + 1);
      if (line == "READY") {
        if (ready) *ready = true;
      } else {
        Parse(line, led, rr);
      }
    }
  };
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  std::optional<Clock::time_point> kill_at;
  bool ready = false, eof = false;
  char chunk[65536];
  while (!eof) {
    if (!kill_at && ready) kill_at = Clock::now() + std::chrono::milliseconds(delay_ms);
    if (kill_at && Clock::now() >= *kill_at) break;
    if (!ready && Clock::now() - start > std::chrono::seconds(60)) {
      std::cerr << "FAIL: the child did not get ready within 60 s\n";
      rr.ok = false;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int rc = poll(&p, 1, 5);
    if (rc > 0) {
      ssize_t n = read(fds[0], chunk, sizeof chunk);
      if (n <= 0) {
        eof = true;
      } else {
        buf.append(chunk, static_cast<size_t>(n));
        handle_lines(&ready);
      }
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Drain what the child wrote before it died: complete lines only.
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  close(fds[0]);
  handle_lines(nullptr);
  if (eof || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    std::cerr << "FAIL: the child ended on its own (status " << status << ")\n";
    rr.ok = false;
  }
  return rr;
}

bool RunBackend(const std::string& self, const std::string& url, const std::string& name, int rounds,
                std::mt19937_64& rng) {
  Ledger led;
  size_t total_acks = 0, rounds_with_acks = 0;
  uint64_t total_replayed = 0;
  bool ok = true;
  for (int r = 0; r < rounds; ++r) {
    int delay = 50 + static_cast<int>(rng() % 451);
    auto t0 = std::chrono::steady_clock::now();
    // An odd seed bounds the child's intent cache (RunChild): every other round, on both backends.
    uint64_t child_seed = (rng() & ~uint64_t{1}) | static_cast<uint64_t>(r & 1);
    RoundResult rr = RunRound(self, url, child_seed, delay, led);
    size_t intents = 0;
    RecoveryReport recovery;
    bool checked = CheckDatabase(url, led, &intents, &recovery);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << name << " round " << r << ": killed after " << delay << " ms, " << rr.submits
              << " submitted, " << rr.acks << " acknowledged; reopened with " << recovery.replayed
              << " log records replayed into the tables, " << recovery.torn_bytes_cut
              << " torn bytes cut; " << intents << " intents in the database; "
              << (rr.ok && checked ? "ok" : "FAILED") << " (" << ms << " ms)" << std::endl;
    total_replayed += recovery.replayed;
    ok = ok && rr.ok && checked;
    total_acks += rr.acks;
    rounds_with_acks += rr.acks > 0;
    if (!ok) break;
  }
  // Not vacuous: the child did real work in most rounds.
  if (ok && (total_acks < 20u * static_cast<size_t>(rounds) ||
             2 * rounds_with_acks < static_cast<size_t>(rounds))) {
    std::cerr << "FAIL: too little work acknowledged (" << total_acks << " acks, "
              << rounds_with_acks << " rounds with acks)\n";
    ok = false;
  }
  // Not vacuous either: some kills landed between the log and the tables (the projector is
  // blocked 60% of the time, so over several rounds this is all but certain).
  if (ok && rounds >= 4 && total_replayed == 0) {
    std::cerr << "FAIL: no round left log records for the reopening writer to replay\n";
    ok = false;
  }
  return ok;
}

int RunParent(const std::string& self) {
  uint64_t seed = std::getenv("CRASH_SEED") ? std::strtoull(std::getenv("CRASH_SEED"), nullptr, 10)
                                            : std::random_device{}();
  int rounds = std::getenv("CRASH_ROUNDS") ? std::atoi(std::getenv("CRASH_ROUNDS")) : 8;
  std::cout << "crash test: seed " << seed << " (CRASH_SEED to replay)" << std::endl;
  std::mt19937_64 rng(seed);
  bool ok = true;
  {
    auto db = TestDatabase::Create(Backend::kSqlite);
    if (!db.ok()) {
      std::cerr << "FAIL: " << db.status().ToString() << "\n";
      return 1;
    }
    ok = RunBackend(self, (*db)->url(), "sqlite", rounds, rng) && ok;
  }
  if (PgAdminUrl().empty()) {
    if (PgMayBeMissing()) {
      std::cout << "postgresql: skipped (SPLITLEDGER_TEST_PG_URL unset, SPLITLEDGER_ALLOW_NO_PG=1)\n";
    } else {
      std::cerr << "FAIL: SPLITLEDGER_TEST_PG_URL is not set (set SPLITLEDGER_ALLOW_NO_PG=1 to skip)\n";
      ok = false;
    }
  } else {
    auto db = TestDatabase::Create(Backend::kPostgres);
    if (!db.ok()) {
      std::cerr << "FAIL: " << db.status().ToString() << "\n";
      return 1;
    }
    ok = RunBackend(self, (*db)->url(), "postgresql", 2, rng) && ok;
  }
  std::cout << (ok ? "crash test: passed" : "crash test: FAILED") << std::endl;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace splitledger::ledger::testing

int main(int argc, char** argv) {
  using namespace splitledger::ledger::testing;
  if (argc == 4 && std::string(argv[1]) == "--child") {
    return RunChild(argv[2], std::strtoull(argv[3], nullptr, 10));
  }
  signal(SIGPIPE, SIG_IGN);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = 0;
  return RunParent(self);
}
