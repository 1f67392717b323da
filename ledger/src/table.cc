#include "table.h"

#include <endian.h>
#include <libpq-fe.h>

#include <algorithm>
#include <unordered_map>

namespace splitledger::ledger {

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    out += std::to_string(s.size());
    out.push_back(':');
    out += s;
  }
  return out;
}

std::vector<std::string> DecodeList(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t colon = text.find(':', pos);
    if (colon == std::string::npos) break;
    size_t n = std::stoull(text.substr(pos, colon - pos));
    if (n > text.size() - colon - 1) break;
    out.push_back(text.substr(colon + 1, n));
    pos = colon + 1 + n;
  }
  return out;
}

namespace {
std::string ColumnSql(const ColumnDef& c) {
  std::string out = c.name + (c.type == SqlType::kText ? " TEXT" : " BIGINT");
  if (!c.nullable) out += c.type == SqlType::kText ? " NOT NULL DEFAULT ''" : " NOT NULL DEFAULT 0";
  return out;
}
}  // namespace

void SyncTable(soci::session& sql, Backend backend, const std::string& name,
               const std::vector<ColumnDef>& columns, const std::vector<std::string>& key) {
  std::string keys;
  for (const std::string& k : key) keys += (keys.empty() ? "" : ", ") + k;
  std::string ddl = "CREATE TABLE IF NOT EXISTS " + name + " (";
  for (const ColumnDef& c : columns) ddl += ColumnSql(c) + ", ";
  ddl += "PRIMARY KEY (" + keys + "))";
  if (backend == Backend::kSqlite) ddl += " WITHOUT ROWID";
  sql << ddl;
  // Columns the table already has, with their declared types.
  std::vector<std::pair<std::string, std::string>> have;
  if (backend == Backend::kSqlite) {
    soci::rowset<soci::row> rs = sql.prepare
                                 << "SELECT name, type FROM pragma_table_info('" + name + "')";
    for (const soci::row& r : rs) have.emplace_back(GetText(r, 0), GetText(r, 1));
  } else {
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT column_name, data_type FROM information_schema.columns WHERE "
                        "table_name = :t AND table_schema = current_schema()",
         soci::use(name));
    for (const soci::row& r : rs) have.emplace_back(GetText(r, 0), GetText(r, 1));
  }
  for (const ColumnDef& c : columns) {
    const std::string* type = nullptr;
    for (const auto& [n, t] : have) {
      if (n == c.name) type = &t;
    }
    if (type == nullptr) {
      sql << "ALTER TABLE " + name + " ADD COLUMN " + ColumnSql(c);
      continue;
    }
    // A column of another type than its description is a schema slip: refuse to open rather
    // than misread every row.
    std::string t;
    for (char ch : *type)
      t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    bool is_int = t == "bigint" || t == "integer" || t == "int8";
    bool is_text = t == "text";
    if ((c.type == SqlType::kInt && !is_int) || (c.type == SqlType::kText && !is_text)) {
      throw soci::soci_error("column " + name + "." + c.name + " is " + *type +
                             ", its description says " +
                             (c.type == SqlType::kInt ? "an integer" : "text"));
    }
  }
}

std::string HexEncode(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string Rows::Suffix(WriteMode mode) const {
  switch (mode) {
    case WriteMode::kInsert: return "";
    case WriteMode::kInsertOrIgnore: return "ON CONFLICT DO NOTHING";
    case WriteMode::kUpsert: break;
  }
  std::string keys, sets;
  for (const std::string& k : key_) keys += (keys.empty() ? "" : ", ") + k;
  for (const Column& c : columns_) {
    bool is_key = false;
    for (const std::string& k : key_) is_key = is_key || k == c.name;
    if (!is_key) sets += (sets.empty() ? "" : ", ") + c.name + " = excluded." + c.name;
  }
  return "ON CONFLICT (" + keys + ") DO UPDATE SET " + sets;
}

// Layout: mode, table, key names, columns (name, is_text), row count, then column by column one
// presence byte per value followed by the value (zig-zag varint or length-prefixed bytes).
void Rows::EncodeTo(ByteWriter& w, WriteMode mode) const {
  w.U64(static_cast<uint64_t>(mode));
  w.Str(table_);
  w.U64(key_.size());
  for (const std::string& k : key_) w.Str(k);
  w.U64(columns_.size());
  for (const Column& c : columns_) {
    w.Str(c.name);
    w.U64(c.text ? 1 : 0);
  }
  w.U64(size());
  for (const Column& c : columns_) {
    for (size_t r = 0; r < c.ind.size(); ++r) {
      bool null = c.ind[r] == soci::i_null;
      w.U64(null ? 0 : 1);
      if (null) continue;
      if (c.text)
        w.Str(c.texts[r]);
      else
        w.I64(c.ints[r]);
    }
  }
}

bool Rows::DecodeFrom(ByteReader& r, Rows* out, WriteMode* mode) {
  uint64_t m = 0, nkeys = 0, ncols = 0, nrows = 0;
  *out = Rows();
  if (!r.U64(&m) || m > 2 || !r.Str(&out->table_) || !r.U64(&nkeys) || nkeys > 64) return false;
  *mode = static_cast<WriteMode>(m);
  out->key_.resize(nkeys);
  for (std::string& k : out->key_) {
    if (!r.Str(&k)) return false;
  }
  if (!r.U64(&ncols) || ncols == 0 || ncols > 1024) return false;
  out->columns_.resize(ncols);
  for (Column& c : out->columns_) {
    uint64_t text = 0;
    if (!r.Str(&c.name) || !r.U64(&text)) return false;
    c.text = text != 0;
  }
  if (!r.U64(&nrows) || nrows > (1u << 30)) return false;
  for (Column& c : out->columns_) {
    size_t hint = static_cast<size_t>(std::min<uint64_t>(nrows, 65536));  // never trust a count
    c.ind.reserve(hint);
    if (!c.text) c.ints.reserve(hint);
    for (uint64_t i = 0; i < nrows; ++i) {
      uint64_t present = 0;
      if (!r.U64(&present)) return false;
      c.ind.push_back(present ? soci::i_ok : soci::i_null);
      if (c.text) {
        std::string value;
        if (present && !r.Str(&value)) return false;
        c.texts.push_back(value);
      } else {
        int64_t v = 0;
        if (present && !r.I64(&v)) return false;
        c.ints.push_back(v);
      }
    }
  }
  return true;
}

void TableSchema::AppendStored(Rows& rows, const soci::row& r) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    bool null = r.get_indicator(i) == soci::i_null;
    if (columns_[i].type == SqlType::kText) {
      if (null)
        rows.NullT();
      else
        rows.T(GetText(r, i));
    } else {
      if (null)
        rows.NullI();
      else
        rows.I(GetInt(r, i));
    }
  }
}

namespace {

void PgExec(pg_conn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw soci::soci_error("postgresql: " + std::string(PQerrorMessage(conn)) + " in: " +
                           sql.substr(0, 120));
  }
}

void PutBe16(std::string& out, int16_t v) {
  uint16_t b = htobe16(static_cast<uint16_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 2);
}
void PutBe32(std::string& out, int32_t v) {
  uint32_t b = htobe32(static_cast<uint32_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 4);
}
void PutBe64(std::string& out, int64_t v) {
  uint64_t b = htobe64(static_cast<uint64_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 8);
}

}  // namespace

void Rows::CopyInto(PgCopyContext& pg, WriteMode mode) const {
  if (size() == 0) return;
  std::string names;
  for (size_t i = 0; i < columns_.size(); ++i) names += (i ? ", " : "") + columns_[i].name;
  std::string target = table_;
  if (mode != WriteMode::kInsert) {
    target = "sl_stage_" + table_;
    if (pg.created.insert(target).second) {
      PgExec(pg.conn, "CREATE TEMP TABLE IF NOT EXISTS " + target + " (LIKE " + table_ +
                          " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    }
    // Emptied at COMMIT; a second use in one transaction (records of two layouts) empties it.
    if (!pg.used_in_tx.insert(target).second) PgExec(pg.conn, "TRUNCATE " + target);
  }
  PGresult* r = PQexec(pg.conn, ("COPY " + target + " (" + names + ") FROM STDIN (FORMAT binary)").c_str());
  bool started = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!started) throw soci::soci_error("postgresql COPY " + target + ": " + PQerrorMessage(pg.conn));
  std::string buf("PGCOPY\n\xff\r\n\0", 11);
  PutBe32(buf, 0);  // flags
  PutBe32(buf, 0);  // header extension length
  bool sent = true;
  auto send = [&] {
    sent = sent && PQputCopyData(pg.conn, buf.data(), static_cast<int>(buf.size())) == 1;
    buf.clear();
  };
  for (size_t row = 0; row < size(); ++row) {
    PutBe16(buf, static_cast<int16_t>(columns_.size()));
    for (const Column& c : columns_) {
      if (c.ind[row] == soci::i_null) {
        PutBe32(buf, -1);
      } else if (c.text) {
        PutBe32(buf, static_cast<int32_t>(c.texts[row].size()));
        buf += c.texts[row];
      } else {
        PutBe32(buf, 8);
        PutBe64(buf, c.ints[row]);
      }
    }
    if (buf.size() >= (1u << 20)) send();
  }
  PutBe16(buf, -1);  // trailer
  send();
  sent = PQputCopyEnd(pg.conn, sent ? nullptr : "splitledger: sending rows failed") == 1 && sent;
  bool ok = true;
  while ((r = PQgetResult(pg.conn)) != nullptr) {
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!sent || !ok) throw soci::soci_error("postgresql COPY " + target + ": " + PQerrorMessage(pg.conn));
  if (mode != WriteMode::kInsert) {
    PgExec(pg.conn, "INSERT INTO " + table_ + " (" + names + ") SELECT " + names + " FROM " +
                        target + " " + Suffix(mode));
  }
}

std::string PreparedWrite::Encode() const {
  ByteWriter w;
  w.U64(static_cast<uint64_t>(kind));
  w.U64(statements.size());
  for (const auto& [rows, mode] : statements) rows.EncodeTo(w, mode);
  return w.Take();
}

bool PreparedWrite::Decode(std::string_view payload, PreparedWrite* out) {
  ByteReader r(payload);
  uint64_t kind = 0, n = 0;
  if (!r.U64(&kind) || (kind != 1 && kind != 2) || !r.U64(&n) || n > 4096) return false;
  out->kind = static_cast<Kind>(kind);
  out->statements.clear();
  for (uint64_t i = 0; i < n; ++i) {
    Rows rows;
    WriteMode mode;
    if (!Rows::DecodeFrom(r, &rows, &mode)) return false;
    out->statements.emplace_back(std::move(rows), mode);
  }
  return r.done();
}

bool Rows::SameLayout(const Rows& other) const {
  if (table_ != other.table_ || key_ != other.key_ || columns_.size() != other.columns_.size()) {
    return false;
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (columns_[c].name != other.columns_[c].name || columns_[c].text != other.columns_[c].text) {
      return false;
    }
  }
  return true;
}

void Rows::AppendRowOf(const Rows& from, size_t r) {
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& src = from.columns_[c];
    Column& dst = columns_[c];
    if (src.text)
      dst.texts.push_back(src.texts[r]);
    else
      dst.ints.push_back(src.ints[r]);
    dst.ind.push_back(src.ind[r]);
  }
}

std::string Rows::KeyOf(size_t r) const {
  ByteWriter w;
  for (const std::string& k : key_) {
    for (const Column& c : columns_) {
      if (c.name != k) continue;
      w.U64(c.ind[r] == soci::i_null ? 0 : 1);
      if (c.text)
        w.Str(c.texts[r]);
      else
        w.I64(c.ints[r]);
    }
  }
  return w.Take();
}

std::vector<MergedStatement> PlanStatements(const std::vector<PreparedWrite*>& writes) {
  struct Merging {
    MergedStatement plan;
    bool keyed = false;                                   // rows_by_key is kept
    std::unordered_map<std::string, size_t> rows_by_key;  // key -> index in plan.rows
  };
  // Layouts the group upserts into. Their plain inserts are keyed too, so that an upsert of a key
  // an earlier record of the group inserted replaces the inserted version: the row is written
  // once, by the insert. (Other inserts are never looked up: no key is built for them.)
  std::vector<const Rows*> upserted;
  auto same_as = [](const Rows& rows) {
    return [&rows](const Rows* other) { return other->SameLayout(rows); };
  };
  for (const PreparedWrite* w : writes) {
    for (const auto& [rows, mode] : w->statements) {
      if (mode == WriteMode::kUpsert && rows.size() > 0 &&
          std::none_of(upserted.begin(), upserted.end(), same_as(rows))) {
        upserted.push_back(&rows);
      }
    }
  }
  std::vector<Merging> merged;
  auto find = [&merged](WriteMode mode, const Rows& rows) -> Merging* {
    for (Merging& x : merged) {
      if (x.plan.mode == mode && x.plan.layout->SameLayout(rows)) return &x;
    }
    return nullptr;
  };
  for (const PreparedWrite* w : writes) {
    for (const auto& [rows, mode] : w->statements) {
      if (rows.size() == 0) continue;
      Merging* m = find(mode, rows);
      if (m == nullptr) {
        bool keyed = mode != WriteMode::kInsert ||
                     std::any_of(upserted.begin(), upserted.end(), same_as(rows));
        merged.push_back(Merging{MergedStatement{&rows, mode, {}}, keyed, {}});
        m = &merged.back();
      }
      Merging* inserted = mode == WriteMode::kUpsert ? find(WriteMode::kInsert, rows) : nullptr;
      Merging* upserted_before =
          mode == WriteMode::kInsert ? find(WriteMode::kUpsert, rows) : nullptr;
      std::vector<Rows::RowRef>& picked = m->plan.rows;
      for (size_t r = 0; r < rows.size(); ++r) {
        if (!m->keyed) {
          picked.emplace_back(&rows, r);
          continue;
        }
        std::string key = rows.KeyOf(r);
        if (upserted_before != nullptr && upserted_before->rows_by_key.count(key) != 0) {
          // A row the tables already hold, "inserted" again: replayed in order this insert would
          // have failed, so fail rather than let the earlier upsert's version win silently.
          throw soci::soci_error("projection: a row of " + rows.table() +
                                 " inserted after an upsert of the same key");
        }
        if (inserted != nullptr) {
          auto it = inserted->rows_by_key.find(key);
          if (it != inserted->rows_by_key.end()) {
            inserted->plan.rows[it->second] = {&rows, r};  // inserted in its last version
            continue;
          }
        }
        auto [it, fresh] = m->rows_by_key.emplace(std::move(key), picked.size());
        if (fresh || mode == WriteMode::kInsert) {
          picked.emplace_back(&rows, r);  // (an insert's duplicate key stays an error)
        } else if (mode == WriteMode::kUpsert) {
          picked[it->second] = {&rows, r};  // the last version wins, as replayed in order
        }
      }
    }
  }
  // A table's plain inserts go before its upserts: a key inserted by one record and updated by a
  // later one must exist before the upsert meets it (an upsert first would insert it, and the
  // insert would then collide). Keys of one statement are distinct, so nothing else depends on
  // the order between the two.
  std::stable_sort(merged.begin(), merged.end(), [](const Merging& a, const Merging& b) {
    return (a.plan.mode == WriteMode::kUpsert) < (b.plan.mode == WriteMode::kUpsert);
  });
  std::vector<MergedStatement> out;
  out.reserve(merged.size());
  for (Merging& m : merged) out.push_back(std::move(m.plan));
  return out;
}

std::vector<std::pair<Rows, WriteMode>> MergeStatements(const std::vector<PreparedWrite*>& writes) {
  std::vector<std::pair<Rows, WriteMode>> out;
  for (const MergedStatement& m : PlanStatements(writes)) {
    Rows rows = m.layout->EmptyCopy();
    rows.Reserve(m.rows.size());
    for (const auto& [src, r] : m.rows) rows.AppendRowOf(*src, r);
    out.emplace_back(std::move(rows), m.mode);
  }
  return out;
}

}  // namespace splitledger::ledger
