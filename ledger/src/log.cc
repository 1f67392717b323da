#include "log.h"

#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace splitledger::ledger {

// ---------------------------------------------------------------- checksum and chain

namespace {

// CRC32C (Castagnoli), the checksum of LevelDB's log: SSE4.2 has it in hardware.
std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

uint32_t Crc32cSoftware(uint32_t crc, const uint8_t* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  crc = ~crc;
  while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const uint8_t* p,
                                                          size_t n) {
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}

// LevelDB masks stored CRCs so that a CRC of data holding CRCs is not degenerate.
uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

constexpr size_t kHeaderSize = 4 + 4 + 8 + kLogHashSize;  // crc, length, lsn, hash
constexpr uint32_t kMaxPayload = 1u << 30;

void PutU32(char* p, uint32_t v) {
  v = htole32(v);
  std::memcpy(p, &v, 4);
}
void PutU64(char* p, uint64_t v) {
  v = htole64(v);
  std::memcpy(p, &v, 8);
}
uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return le32toh(v);
}
uint64_t GetU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return le64toh(v);
}

// The record's checksum covers everything after the checksum field: length, lsn, hash, payload.
uint32_t RecordCrc(const char* header_after_crc, std::string_view payload) {
  uint32_t c = Crc32c(0, header_after_crc, kHeaderSize - 4);
  return Mask(Crc32c(c, payload.data(), payload.size()));
}

std::string Where(uint64_t lsn, uint64_t offset, bool file) {
  return "record " + std::to_string(lsn) + (file ? " at byte " + std::to_string(offset) : "");
}

// Links `rec` (lsn and payload read, its checksum already verified) to the chain ending at `pos`:
// its stored hash must be ChainHash(pos.hash, lsn, payload). On success `pos` and `rec.end` move
// past it (`stored_bytes` further in the file; 0 for the table).
bool Link(LogPosition& pos, LogRecord& rec, std::string_view stored_hash, uint64_t stored_bytes) {
  std::string hash = ChainHash(pos.hash, rec.lsn, rec.payload);
  if (hash != stored_hash) return false;
  pos.lsn = rec.lsn;
  pos.offset += stored_bytes;
  pos.hash = std::move(hash);
  rec.end = pos;
  return true;
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  static const bool hw = __builtin_cpu_supports("sse4.2");
  auto* p = static_cast<const uint8_t*>(data);
  return hw ? Crc32cHardware(crc, p, n) : Crc32cSoftware(crc, p, n);
}

std::string ChainHash(std::string_view prev_hash, uint64_t lsn, std::string_view payload) {
  char lsn_le[8];
  PutU64(lsn_le, lsn);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, prev_hash.data(), prev_hash.size());
  EVP_DigestUpdate(ctx, lsn_le, 8);
  EVP_DigestUpdate(ctx, payload.data(), payload.size());
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(out), len);
}

// ---------------------------------------------------------------- the file (SQLite databases)

namespace {

class FileLog final : public Log {
 public:
  FileLog(std::string path, int fd, bool writer, bool sync,
          std::function<bool(std::string_view)> fail_append)
      : path_(std::move(path)),
        fd_(fd),
        writer_(writer),
        sync_(sync),
        fail_append_(std::move(fail_append)) {}
  ~FileLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  std::string Describe() const override { return path_; }

  Status Append(std::string_view payload) override {
    if (!writer_) return Status::Internal("log opened read-only");
    if (broken_) return Status::Unavailable("the log failed an earlier append; restart the server");
    if (payload.size() > kMaxPayload) return Status::Internal("log record too large");
    uint64_t lsn = end_.lsn + 1;
    std::string hash = ChainHash(end_.hash, lsn, payload);
    buf_.resize(kHeaderSize + payload.size());
    char* h = buf_.data();
    PutU32(h + 4, static_cast<uint32_t>(payload.size()));
    PutU64(h + 8, lsn);
    std::memcpy(h + 16, hash.data(), kLogHashSize);
    std::memcpy(h + kHeaderSize, payload.data(), payload.size());
    PutU32(h, RecordCrc(h + 4, payload));
    if (fail_append_ && fail_append_(payload)) {
      // A write that fails halfway, as on a full disk: half the record reaches the file.
      (void)!::pwrite(fd_, buf_.data(), buf_.size() / 2, static_cast<off_t>(end_.offset));
      return Fail("write", EIO);
    }
    // One write at the end (pwrite: the offset is ours, whatever a failed write left behind).
    size_t done = 0;
    while (done < buf_.size()) {
      ssize_t w = ::pwrite(fd_, buf_.data() + done, buf_.size() - done,
                           static_cast<off_t>(end_.offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Fail("write", errno);
      done += static_cast<size_t>(w);
    }
    if (sync_ && ::fdatasync(fd_) != 0) return Fail("fdatasync", errno);
    end_.lsn = lsn;
    end_.offset += buf_.size();
    end_.hash = std::move(hash);
    if (buf_.capacity() > (16u << 20)) std::string().swap(buf_);  // keep the buffer bounded
    return Status::Ok();
  }

  Status Scan(const LogPosition& from, bool repair, LogTail* tail,
              const std::function<Status(LogRecord&)>& fn) override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Status::Unavailable("cannot stat " + path_);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (from.offset > size) {
      return Status::Corruption(path_ + " ends at byte " + std::to_string(size) + " but record " +
                                std::to_string(from.lsn) + " was known to end at byte " +
                                std::to_string(from.offset) + ": acknowledged records are missing");
    }
    LogPosition pos = from;
    char header[kHeaderSize];
    LogRecord rec;
    while (pos.offset < size) {
      uint64_t left = size - pos.offset;
      uint32_t len = 0;
      bool whole = left >= kHeaderSize;
      if (whole) {
        SL_RETURN_IF_ERROR(ReadAt(header, kHeaderSize, pos.offset));
        len = GetU32(header + 4);
        whole = len <= kMaxPayload && left - kHeaderSize >= len;
      }
      if (!whole) {
        // The last record was cut short: its write never finished, so its batch was never
        // acknowledged (Append syncs the whole record before anyone is answered).
        if (tail) tail->torn_bytes = left;
        if (repair) {
          if (::ftruncate(fd_, static_cast<off_t>(pos.offset)) != 0 || ::fdatasync(fd_) != 0) {
            return Status::Unavailable("cannot cut the torn tail of " + path_);
          }
          if (tail) tail->cut = true;
        }
        break;
      }
      rec.lsn = GetU64(header + 8);
      rec.offset = pos.offset;
      rec.payload.resize(len);
      SL_RETURN_IF_ERROR(ReadAt(rec.payload.data(), len, pos.offset + kHeaderSize));
      if (GetU32(header) != RecordCrc(header + 4, rec.payload)) {
        return Status::Corruption(path_ + ": " + Where(pos.lsn + 1, pos.offset, true) +
                                  " fails its checksum");
      }
      if (rec.lsn != pos.lsn + 1) {
        return Status::Corruption(path_ + ": " + Where(pos.lsn + 1, pos.offset, true) +
                                  " carries lsn " + std::to_string(rec.lsn));
      }
      if (!Link(pos, rec, std::string_view(header + 16, kLogHashSize), kHeaderSize + len)) {
        return Status::Corruption(path_ + ": " + Where(rec.lsn, pos.offset, true) +
                                  " breaks the hash chain");
      }
      SL_RETURN_IF_ERROR(fn(rec));
    }
    end_ = pos;
    return Status::Ok();
  }

 private:
  Status ReadAt(char* out, size_t n, uint64_t offset) {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return Status::Unavailable("cannot read " + path_);
      done += static_cast<size_t>(r);
    }
    return Status::Ok();
  }
  // Cuts what the failed append may have left after the last whole record. Only when that cut
  // is itself durable may later records follow; otherwise the log refuses them until reopened
  // (and the reopening Scan cuts the torn tail).
  Status Fail(const char* what, int err) {
    if (::ftruncate(fd_, static_cast<off_t>(end_.offset)) != 0 || ::fdatasync(fd_) != 0) {
      broken_ = true;
    }
    return Status::Unavailable(std::string("log ") + what + " failed: " + std::strerror(err));
  }

  std::string path_;
  int fd_;
  bool writer_;
  bool sync_;
  std::function<bool(std::string_view)> fail_append_;
  bool broken_ = false;
  std::string buf_;
};

}  // namespace

Result<std::unique_ptr<Log>> OpenFileLog(const std::string& path, bool writer, bool sync,
                                         std::function<bool(std::string_view)> fail_append) {
  int fd = ::open(path.c_str(), (writer ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (!writer && errno == ENOENT) return Status::NotFound("no log at " + path);
    return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  }
  if (writer) {
    // The new file's directory entry must be durable too, or a crash could lose the whole log.
    std::string dir =
        path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return std::unique_ptr<Log>(new FileLog(path, fd, writer, sync, std::move(fail_append)));
}

// ---------------------------------------------------------------- the table (PostgreSQL)

namespace {

class TableLog final : public Log {
 public:
  TableLog(PGconn* conn, bool writer) : conn_(conn), writer_(writer) {}

  std::string Describe() const override { return "table ledger_log"; }

  Status Append(std::string_view payload) override {
    if (!writer_) return Status::Internal("log opened read-only");
    if (broken_) return Status::Unavailable("the log failed an earlier append; restart the server");
    uint64_t lsn = end_.lsn + 1;
    std::string hash = ChainHash(end_.hash, lsn, payload);
    char lsn_be[8], crc_be[8];
    uint64_t v = htobe64(lsn);
    std::memcpy(lsn_be, &v, 8);
    uint64_t c = htobe64(TableCrc(lsn, hash, payload));
    std::memcpy(crc_be, &c, 8);
    const char* values[4] = {lsn_be, crc_be, hash.data(), payload.data()};
    int lengths[4] = {8, 8, static_cast<int>(hash.size()), static_cast<int>(payload.size())};
    int formats[4] = {1, 1, 1, 1};
    PGresult* r = PQexecPrepared(conn_, "splitledger_log_append", 4, values, lengths, formats, 1);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string err = ok ? "" : PQerrorMessage(conn_);
    PQclear(r);
    if (!ok) {
      // Refused by a live server: the INSERT rolled back and the log is unchanged. A lost
      // connection leaves it unknown whether the INSERT committed: only a restart, which reads
      // the table, can tell, so every later append is refused until then.
      if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
      return Status::Unavailable("log append failed: " + err);
    }
    end_.lsn = lsn;
    end_.hash = std::move(hash);
    return Status::Ok();
  }

  Status Scan(const LogPosition& from, bool /*repair*/, LogTail* /*tail*/,
              const std::function<Status(LogRecord&)>& fn) override {
    // Transactions make a torn record impossible here: a record is wholly there or not at all.
    LogPosition pos = from;
    LogRecord rec;
    for (;;) {
      std::string after = std::to_string(pos.lsn);
      const char* values[1] = {after.c_str()};
      PGresult* r =
          PQexecParams(conn_,
                       "SELECT lsn, crc, hash, body FROM ledger_log WHERE lsn > $1::bigint "
                       "ORDER BY lsn LIMIT 256",
                       1, nullptr, values, nullptr, nullptr, 1);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::string err = PQerrorMessage(conn_);
        PQclear(r);
        return Status::Unavailable("cannot read the log: " + err);
      }
      int n = PQntuples(r);
      Status st;
      for (int i = 0; i < n && st.ok(); ++i) {
        rec.lsn = GetBe64(PQgetvalue(r, i, 0));
        uint64_t crc = GetBe64(PQgetvalue(r, i, 1));
        std::string_view stored_hash(PQgetvalue(r, i, 2),
                                     static_cast<size_t>(PQgetlength(r, i, 2)));
        rec.payload.assign(PQgetvalue(r, i, 3), static_cast<size_t>(PQgetlength(r, i, 3)));
        if (rec.lsn != pos.lsn + 1) {
          st = Status::Corruption("ledger_log: record " + std::to_string(pos.lsn + 1) +
                                  " is missing (next is " + std::to_string(rec.lsn) + ")");
          break;
        }
        if (crc != TableCrc(rec.lsn, stored_hash, rec.payload)) {
          st =
              Status::Corruption("ledger_log: " + Where(rec.lsn, 0, false) + " fails its checksum");
          break;
        }
        if (!Link(pos, rec, stored_hash, 0)) {
          st = Status::Corruption("ledger_log: " + Where(rec.lsn, 0, false) +
                                  " breaks the hash chain");
          break;
        }
        st = fn(rec);
      }
      PQclear(r);
      SL_RETURN_IF_ERROR(st);
      if (n < 256) break;
    }
    end_ = pos;
    return Status::Ok();
  }

  Status Prepare() {
    if (!writer_) return Status::Ok();
    PGresult* r = PQexec(conn_,
                         "CREATE TABLE IF NOT EXISTS ledger_log (lsn BIGINT PRIMARY KEY, "
                         "crc BIGINT NOT NULL, hash BYTEA NOT NULL, body BYTEA NOT NULL)");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
      return Status::Unavailable(std::string("cannot create ledger_log: ") + PQerrorMessage(conn_));
    // Bodies are already compact binary: compressing them would only burn the server's CPU.
    r = PQexec(conn_, "ALTER TABLE ledger_log ALTER COLUMN body SET STORAGE EXTERNAL");
    PQclear(r);
    // A session-level prepared statement: one round trip per append, parsed once.
    r = PQprepare(conn_, "splitledger_log_append",
                  "INSERT INTO ledger_log (lsn, crc, hash, body) VALUES ($1::bigint, $2::bigint, "
                  "$3::bytea, $4::bytea)",
                  4, nullptr);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
      return Status::Unavailable(std::string("cannot prepare the log append: ") +
                                 PQerrorMessage(conn_));
    return Status::Ok();
  }

 private:
  static uint64_t GetBe64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return be64toh(v);
  }
  // The row's checksum covers its lsn, hash and body, like the file record's.
  static uint64_t TableCrc(uint64_t lsn, std::string_view hash, std::string_view payload) {
    char lsn_le[8];
    PutU64(lsn_le, lsn);
    uint32_t c = Crc32c(0, lsn_le, 8);
    c = Crc32c(c, hash.data(), hash.size());
    return Mask(Crc32c(c, payload.data(), payload.size()));
  }

  PGconn* conn_;
  bool writer_;
  bool broken_ = false;
};

}  // namespace

Result<std::unique_ptr<Log>> OpenTableLog(pg_conn* conn, bool writer) {
  auto log = std::make_unique<TableLog>(conn, writer);
  SL_RETURN_IF_ERROR(log->Prepare());
  return std::unique_ptr<Log>(std::move(log));
}

}  // namespace splitledger::ledger
