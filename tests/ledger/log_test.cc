// The log as the durable record (docs/adr/0004-log-as-durable-record.md), on both backends:
// replay of records the tables lack, the torn tail that may be cut and the acknowledged records
// that may never be, damage found by `verify` and named, a tampered projection found by the
// replay, and an older database's contents seeded into the log.
#include <soci/soci.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backend_fixture.h"
#include "splitledger/ledger/verify.h"

namespace splitledger::ledger::testing {
namespace {

constexpr int64_t kNowMs = 1700000000000;
constexpr size_t kHeader = 48;  // crc, length, lsn, hash (log.h)

class LogTest : public BackendTest {
 protected:
  std::unique_ptr<Store> OpenWriter() { return Open(/*writer=*/true); }

  // One intent per batch; `project` false stops after the append (a crash before projection).
  void WriteBatch(Store& store, State& state, const std::string& tag, bool project = true) {
    std::mt19937_64 rng(std::hash<std::string>()(tag));
    auto r = CreateIntent(state, "cli", RandomCreate(rng, 2, tag), kNowMs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ChangeSet cs = state.TakeChanges();
    if (project) {
      ASSERT_TRUE(store.Write(cs).ok());
      return;
    }
    PreparedWritePtr w = store.Prepare(cs);
    ASSERT_TRUE(store.Append(*w).ok());
  }

  // Opens a writer, writes `n` batches (all projected), closes it.
  void Seed(int n) {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    for (int i = 0; i < n; ++i)
      ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "b" + std::to_string(i)));
  }

  std::vector<std::string> VerifyDifferences() {
    auto store = Open(/*writer=*/false);
    auto rep = Verify(*store);
    EXPECT_TRUE(rep.ok()) << rep.status().ToString();
    if (!rep.ok()) return {"verify failed"};
    EXPECT_TRUE(rep->log_checked);
    return rep->differences;
  }

  size_t IntentCount() {
    auto store = Open(/*writer=*/false);
    State s;
    EXPECT_TRUE(store->Load(s).ok());
    return s.intents().size();
  }

  std::string LogPath() const { return db_->url().substr(7) + ".log"; }
  // Byte offsets where each record of the log file starts.
  std::vector<uint64_t> RecordStarts() {
    std::ifstream in(LogPath(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<uint64_t> starts;
    uint64_t pos = 0;
    while (pos + kHeader <= bytes.size()) {
      uint32_t len;
      std::memcpy(&len, bytes.data() + pos + 4, 4);
      starts.push_back(pos);
      pos += kHeader + len;
    }
    return starts;
  }
  void FlipFileByte(uint64_t offset) {
    std::fstream f(LogPath(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x10));
  }
  void TruncateFileBy(uint64_t bytes) {
    auto size = std::filesystem::file_size(LogPath());
    std::filesystem::resize_file(LogPath(), size - bytes);
  }
  static bool AnyContains(const std::vector<std::string>& v, const std::string& what) {
    for (const std::string& s : v) {
      if (s.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_P(LogTest, EveryBatchIsOneChainedRecordAndVerifyReplaysIt) {
  ASSERT_NO_FATAL_FAILURE(Seed(5));
  auto store = Open(/*writer=*/false);
  auto rep = Verify(*store);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->log_checked);
  EXPECT_EQ(rep->log_records, 5u);
  EXPECT_GT(rep->replayed_rows, 5u * 10) << "each batch writes accounts, journal, intent, lines";
  EXPECT_TRUE(rep->differences.empty()) << rep->differences[0];
  auto pos = store->StoredProjectionPosition();
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(pos->lsn, 5u);
}

TEST_P(LogTest, RecordsTheTablesLackAreReplayedAtOpen) {
  ASSERT_NO_FATAL_FAILURE(Seed(2));
  {
    auto store = OpenWriter();
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    // Durable in the log, never projected: the process "dies" here.
    ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "unprojected", /*project=*/false));
    EXPECT_EQ(store->durable_lsn(), 3u);
    EXPECT_EQ(store->projected_lsn(), 2u);
  }
  EXPECT_EQ(IntentCount(), 2u) << "a reader sees the projection as far as it got";
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->recovery().replayed, 1u);
    EXPECT_EQ(store->recovery().torn_bytes_cut, 0u);
    EXPECT_EQ(store->projected_lsn(), 3u);
  }
  EXPECT_EQ(IntentCount(), 3u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

TEST_P(LogTest, AFlippedByteInAnOldRecordIsNamedByVerify) {
  ASSERT_NO_FATAL_FAILURE(Seed(4));
  std::string where;
  if (GetParam() == Backend::kSqlite) {
    auto starts = RecordStarts();
    ASSERT_EQ(starts.size(), 4u);
    FlipFileByte(starts[1] + kHeader + 7);
    where = "record 2 at byte " + std::to_string(starts[1]) + " fails its checksum";
  } else {
    ASSERT_TRUE(db_->Exec("UPDATE ledger_log SET body = set_byte(body, 7, get_byte(body, 7) # 16) "
                          "WHERE lsn = 2")
                    .ok());
    where = "record 2 fails its checksum";
  }
  auto d = VerifyDifferences();
  EXPECT_TRUE(AnyContains(d, where)) << (d.empty() ? "no difference" : d[0]);
}

TEST_P(LogTest, ARemovedRecordBreaksTheChain) {
  ASSERT_NO_FATAL_FAILURE(Seed(4));
  if (GetParam() == Backend::kSqlite) {
    // Splice record 2 out of the file: record 3 then follows record 1.
    auto starts = RecordStarts();
    std::ifstream in(LogPath(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    bytes.erase(starts[1], starts[2] - starts[1]);
    std::ofstream(LogPath(), std::ios::binary | std::ios::trunc) << bytes;
    auto d = VerifyDifferences();
    EXPECT_TRUE(AnyContains(d, "record 2 at byte " + std::to_string(starts[1]) + " carries lsn 3"))
        << (d.empty() ? "no difference" : d[0]);
  } else {
    ASSERT_TRUE(db_->Exec("DELETE FROM ledger_log WHERE lsn = 2").ok());
    auto d = VerifyDifferences();
    EXPECT_TRUE(AnyContains(d, "record 2 is missing")) << (d.empty() ? "no difference" : d[0]);
  }
}

TEST_P(LogTest, ATamperedProjectionDiffersFromTheReplay) {
  ASSERT_NO_FATAL_FAILURE(Seed(3));
  ASSERT_TRUE(db_->Exec("UPDATE intents SET buyer_id = 'mallory' WHERE buyer_id = 'b1'").ok());
  auto d = VerifyDifferences();
  EXPECT_TRUE(AnyContains(d, "table intents")) << (d.empty() ? "no difference" : d[0]);
  // A row the log never wrote is found too.
  ASSERT_TRUE(db_->Exec("DELETE FROM events").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO events (id, client_id, event_type, resource_id, date) "
                        "VALUES (999, 'cli', 'FORGED', 'x', 1)")
                  .ok());
  d = VerifyDifferences();
  EXPECT_TRUE(AnyContains(d, "table events")) << (d.empty() ? "no difference" : d[0]);
}

TEST_P(LogTest, AnOlderDatabaseIsSeededIntoTheLogOnce) {
  ASSERT_NO_FATAL_FAILURE(Seed(3));
  // What a database written before the log looks like: tables, no log, no projection position.
  if (GetParam() == Backend::kSqlite) {
    std::filesystem::remove(LogPath());
  } else {
    ASSERT_TRUE(db_->Exec("DROP TABLE ledger_log").ok());
  }
  ASSERT_TRUE(db_->Exec("DELETE FROM projection_state").ok());
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    EXPECT_GE(store->recovery().snapshot_records, 1u);
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    EXPECT_EQ(state.intents().size(), 3u);
    ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "after"));
  }
  {
    auto store = OpenWriter();
    EXPECT_EQ(store->recovery().snapshot_records, 0u) << "seeded once";
    EXPECT_EQ(store->recovery().replayed, 0u);
  }
  EXPECT_EQ(IntentCount(), 4u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

TEST_P(LogTest, RebuildProjectsTheWholeLogIntoEmptiedTables) {
  ASSERT_NO_FATAL_FAILURE(Seed(3));
  // Damage the projection every way at once: rows lost, rows edited, a row forged.
  ASSERT_TRUE(db_->Exec("DELETE FROM journal_transactions WHERE id = 1").ok());
  ASSERT_TRUE(db_->Exec("UPDATE accounts SET credits_posted = credits_posted + 7").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO events (id, client_id, event_type, resource_id, date) "
                        "VALUES (999, 'cli', 'FORGED', 'x', 1)").ok());
  EXPECT_FALSE(VerifyDifferences().empty());
  StoreOptions o;
  o.url = db_->url();
  o.rebuild_from_log = true;
  {
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE((*store)->recovery().rebuilt);
    EXPECT_EQ((*store)->recovery().replayed, 3u);
  }
  EXPECT_EQ(IntentCount(), 3u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

SL_INSTANTIATE_BACKENDS(LogTest);

// --- the log file (SQLite databases): its fault seam and its tail. A table row (PostgreSQL) is
// never half written; a failed INSERT there is covered by sequencer_test's FailedCommitTest.
class LogFileTest : public LogTest {};
INSTANTIATE_TEST_SUITE_P(Sqlite, LogFileTest, ::testing::Values(Backend::kSqlite), BackendName);

TEST_P(LogFileTest, AFailedAppendLeavesNothingAndTheNextOneWorks) {
  ASSERT_NO_FATAL_FAILURE(Seed(1));
  StoreOptions o;
  o.url = db_->url();
  o.fail_append_for_tests = [](std::string_view p) {
    return p.find("doomed") != std::string_view::npos;
  };
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  State state;
  ASSERT_TRUE((*store)->Load(state).ok());
  std::mt19937_64 rng(3);
  ASSERT_TRUE(CreateIntent(state, "cli", RandomCreate(rng, 1, "doomed"), kNowMs).ok());
  auto size_before = std::filesystem::file_size(LogPath());
  Status st = (*store)->Write(state.TakeChanges());
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(std::filesystem::file_size(LogPath()), size_before)
      << "the half-written record was cut";
  EXPECT_EQ((*store)->durable_lsn(), 1u);
  State fresh;
  ASSERT_TRUE((*store)->Load(fresh).ok());
  ASSERT_NO_FATAL_FAILURE(WriteBatch(**store, fresh, "fine"));
  store->reset();
  EXPECT_EQ(IntentCount(), 2u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

TEST_P(LogFileTest, ALostDatabaseIsRebuiltFromItsLog) {
  ASSERT_NO_FATAL_FAILURE(Seed(3));
  std::string path = db_->url().substr(7);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  // A fresh database beside a log full of batches: never guessed at.
  auto refused = OpenStore(db_->url(), /*writer=*/true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(refused.status().message().find("splitledger rebuild"), std::string::npos);
  StoreOptions o;
  o.url = db_->url();
  o.rebuild_from_log = true;
  ASSERT_TRUE(Store::Open(o).ok());
  EXPECT_EQ(IntentCount(), 3u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

// A record the crash cut short is not one anybody was told about.
TEST_P(LogFileTest, ATornUnacknowledgedTailIsCutAtOpen) {
  ASSERT_NO_FATAL_FAILURE(Seed(2));
  {
    auto store = OpenWriter();
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "torn", /*project=*/false));
  }
  // The write of record 3 stopped partway (its sync never returned, nobody was answered).
  TruncateFileBy(9);
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    EXPECT_GT(store->recovery().torn_bytes_cut, 0u);
    EXPECT_EQ(store->recovery().log_records, 2u);
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "next"));
  }
  EXPECT_EQ(IntentCount(), 3u);
  EXPECT_EQ(RecordStarts().size(), 3u);
  auto d = VerifyDifferences();
  EXPECT_TRUE(d.empty()) << d[0];
}

TEST_P(LogFileTest, AnAcknowledgedRecordIsNeverDroppedSilently) {
  ASSERT_NO_FATAL_FAILURE(Seed(3));
  // Record 3 is in the tables, so it was acknowledged: losing its tail is damage, not a tear.
  TruncateFileBy(9);
  auto opened = OpenStore(db_->url(), /*writer=*/true);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kCorruption) << opened.status().ToString();
}

TEST_P(LogFileTest, AWholeRecordWithABadChecksumIsNeverCut) {
  ASSERT_NO_FATAL_FAILURE(Seed(2));
  {
    auto store = OpenWriter();
    State state;
    ASSERT_TRUE(store->Load(state).ok());
    ASSERT_NO_FATAL_FAILURE(WriteBatch(*store, state, "damaged", /*project=*/false));
  }
  auto starts = RecordStarts();
  FlipFileByte(starts.back() + kHeader + 3);
  auto opened = OpenStore(db_->url(), /*writer=*/true);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(opened.status().message().find("record 3"), std::string::npos)
      << opened.status().ToString();
}

}  // namespace
}  // namespace splitledger::ledger::testing
