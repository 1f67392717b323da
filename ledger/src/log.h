// Private to the ledger module: the append-only log of committed batches, the durable record of
// everything the writer changed (DESIGN §3, docs/adr/0004-log-as-durable-record.md).
//
// A record is one batch: its payload (the batch's rows, encoded by store.cc), a CRC32C of the
// record, and a SHA-256 chained to the previous record's hash:
//     hash(n) = SHA-256(hash(n-1) || lsn(n) as 8 bytes little-endian || payload(n)),  hash(0) = 32
//     zero bytes.
// The checksum finds torn and damaged records cheaply; the chain makes any change to a past record
// (or a record removed, reordered or inserted) visible to `verify`.
//
// Two homes, one format:
//  * SQLite databases keep the log in a file beside the database (PATH.log); a record is
//      u32 crc32c (masked) | u32 payload length | u64 lsn | 32-byte hash | payload
//    written with one write(2) and made durable with fdatasync(2) before Append() returns.
//  * PostgreSQL keeps it in a table `ledger_log (lsn, crc, hash, body)`, one INSERT per record on
//    the writer's own session (synchronous_commit on): durable when the INSERT returns.
//
// Contract: Append() returns OK only once the record is durable (unless the log was opened with
// sync off, for benchmarks of the non-durable path). Scan() reads records in order and checks
// each one; it never returns a record that fails its checksum or the chain.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "splitledger/core/status.h"
#include "splitledger/ledger/store.h"  // LogPosition

struct pg_conn;

namespace splitledger::ledger {

constexpr size_t kLogHashSize = 32;

struct LogRecord {
  uint64_t lsn = 0;
  uint64_t offset = 0;  // where the record starts (file) or 0 (table)
  std::string payload;
  LogPosition end;  // the position after this record
};

// What Scan() found past the last whole record.
struct LogTail {
  uint64_t torn_bytes = 0;  // bytes of an incomplete last record (cut when `repair`)
  bool cut = false;
};

class Log {
 public:
  virtual ~Log() = default;

  // Appends one record after end() and returns once it is durable; end() moves past it. On
  // failure the record is not in the log: what may have reached the disk is cut off again, and
  // when that cannot be made certain (the cut fails; a PostgreSQL connection is lost mid-INSERT)
  // the log refuses every later append until it is reopened, so a record that may be half on
  // disk is never followed by another.
  virtual Status Append(std::string_view payload) = 0;

  // Calls `fn` for every record after `from`, in order, checking each record's checksum, its lsn
  // and its hash against the chain that ends at `from`. A damaged record is reported as
  // kCorruption naming its lsn and offset. An incomplete last record (a write cut short by a
  // crash: it was never acknowledged, since acknowledgement follows the sync of the whole
  // record) is reported in `tail` and, when `repair`, cut off. After a full Scan(), end() is the
  // position after the last whole record.
  virtual Status Scan(const LogPosition& from, bool repair, LogTail* tail,
                      const std::function<Status(LogRecord&)>& fn) = 0;

  // The position after the last record appended or scanned.
  const LogPosition& end() const { return end_; }
  // Where the log lives, for messages ("db.sqlite.log", "table ledger_log").
  virtual std::string Describe() const = 0;

 protected:
  LogPosition end_;
};

// The log file of a SQLite database at `path`. `writer` opens it for appending (the caller holds
// the database's lease); `sync` false skips fdatasync (non-durable benchmarks only);
// `fail_append` (tests) makes chosen appends fail halfway through their write.
Result<std::unique_ptr<Log>> OpenFileLog(const std::string& path, bool writer, bool sync,
                                         std::function<bool(std::string_view)> fail_append);

// The log table on a PostgreSQL connection (created when missing by a writer).
Result<std::unique_ptr<Log>> OpenTableLog(pg_conn* conn, bool writer);

// Exposed for tests and verify.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);
std::string ChainHash(std::string_view prev_hash, uint64_t lsn, std::string_view payload);

}  // namespace splitledger::ledger
