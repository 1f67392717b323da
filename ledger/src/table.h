// Private to the ledger module: how rows reach the database.
//
//  * Rows: column-major values for one bulk statement (SQLite: a cached prepared statement on the
//    raw API; PostgreSQL: one INSERT … SELECT FROM unnest(arrays) round trip).
//  * Table<T>: a table derived from an entity's Describe() (core/entities.h): its DDL, its
//    upsert, its row codec. A described entity is stored, loaded and migrated from that one
//    list of fields; the column types follow the C++ member types, so a type slip does not
//    compile instead of misreading a column.
#pragma once

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

struct pg_conn;

#include "splitledger/core/codec.h"
#include "splitledger/core/entities.h"
#include "splitledger/ledger/store.h"

namespace splitledger::ledger {

using namespace sqlite_api;  // NOLINT: the raw SQLite API, as wrapped by SOCI

// Prepared statements of the SQLite write path, keyed by SQL text, finalised with the store.
class SqliteStatementCache {
 public:
  ~SqliteStatementCache() {
    for (auto& [text, st] : statements_) sqlite3_finalize(st);
  }
  sqlite3_stmt* Get(soci::session& sql, const std::string& text) {
    auto it = statements_.find(text);
    if (it != statements_.end()) return it->second;
    auto* backend = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(backend->conn_, text.c_str(), static_cast<int>(text.size()),
                                SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
      throw soci::soci_error("sqlite prepare failed: " +
                             std::string(sqlite3_errmsg(backend->conn_)));
    }
    statements_.emplace(text, st);
    return st;
  }

 private:
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// Fills the per-backend parts of the portable DDL: on SQLite an INTEGER PRIMARY KEY is the rowid
// itself and tables keyed by text are clustered (WITHOUT ROWID), which saves one B-tree insert
// per row on the write path; PostgreSQL has neither notion.
inline std::string ForBackend(std::string stmt, Backend backend) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t p; (p = stmt.find(from)) != std::string::npos;) stmt.replace(p, from.size(), to);
  };
  bool sqlite = backend == Backend::kSqlite;
  replace("{INT64_PK}", sqlite ? "INTEGER PRIMARY KEY" : "BIGINT PRIMARY KEY");
  replace("{WITHOUT_ROWID}", sqlite ? " WITHOUT ROWID" : "");
  return stmt;
}

// A PostgreSQL connection's staging tables for Rows::CopyInto.
struct PgCopyContext {
  pg_conn* conn = nullptr;
  std::unordered_set<std::string> created;      // staging tables of this session
  std::unordered_set<std::string> used_in_tx;   // staging tables holding rows until COMMIT
};

// How a batch's rows meet the rows already stored.
enum class WriteMode : uint8_t {
  kInsert = 0,          // new rows only (a duplicate key is an error)
  kUpsert = 1,          // insert, or replace every non-key column of the existing row
  kInsertOrIgnore = 2,  // insert unless the key exists (immutable rows written more than once)
};

// The text values of one column, back to back in one buffer (a batch's thousands of values cost
// two allocations, not one each; the projector binds them in place).
class TextColumn {
 public:
  void push_back(std::string_view v) {
    data_.append(v);
    ends_.push_back(data_.size());
  }
  void emplace_back() { ends_.push_back(data_.size()); }  // an empty (or NULL) value
  void reserve(size_t values) { ends_.reserve(values); }
  std::string_view operator[](size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  size_t size() const { return ends_.size(); }
  std::vector<std::string> ToVector() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < size(); ++i) out.emplace_back((*this)[i]);
    return out;
  }

 private:
  std::string data_;
  std::vector<size_t> ends_;
};

// Column-major rows for one bulk statement. Values are appended row by row, column by column.
class Rows {
 public:
  struct Column {
    std::string name;
    bool text;
    std::vector<long long> ints;
    TextColumn texts;
    std::vector<soci::indicator> ind;
  };

  Rows() = default;
  // `key`: the primary-key columns, for kUpsert.
  Rows(std::string table, const std::vector<std::pair<std::string, char>>& cols,
       std::vector<std::string> key)
      : table_(std::move(table)), key_(std::move(key)) {
    for (auto& [name, type] : cols) columns_.push_back({name, type == 't', {}, {}, {}});
  }
  Rows& I(long long v) {
    Col(false).ints.push_back(v);
    Next(soci::i_ok);
    return *this;
  }
  Rows& T(std::string_view v) {
    Col(true).texts.push_back(v);
    Next(soci::i_ok);
    return *this;
  }
  Rows& NullI() {
    Col(false).ints.push_back(0);
    Next(soci::i_null);
    return *this;
  }
  Rows& NullT() {
    Col(true).texts.emplace_back();
    Next(soci::i_null);
    return *this;
  }
  size_t size() const { return columns_.empty() ? 0 : columns_[0].ind.size(); }
  // Room for `rows` rows in every column: a batch's thousands of values then append without
  // regrowing (each regrowth copies the column and was a tenth of the sequencer's instructions).
  void Reserve(size_t rows) {
    for (Column& c : columns_) {
      c.ind.reserve(rows);
      if (c.text) {
        c.texts.reserve(rows);
      } else {
        c.ints.reserve(rows);
      }
    }
  }

  const std::string& table() const { return table_; }
  const std::vector<Column>& columns() const { return columns_; }

  // True when `other` holds rows of the same table with the same columns, so its rows can join
  // these in one statement.
  bool SameLayout(const Rows& other) const;
  // No rows, the same table and columns.
  Rows EmptyCopy() const {
    Rows out;
    out.table_ = table_;
    out.key_ = key_;
    for (const Column& c : columns_) out.columns_.push_back({c.name, c.text, {}, {}, {}});
    return out;
  }
  // Appends row `r` of `from` (SameLayout).
  void AppendRowOf(const Rows& from, size_t r);
  // Row `r`'s key columns, encoded (for deduplication).
  std::string KeyOf(size_t r) const;

  // PostgreSQL: the rows through binary COPY, in the current transaction of `pg`. Plain inserts
  // go straight into the table; upserts and insert-or-ignore go through a temporary staging
  // table and one INSERT … SELECT … ON CONFLICT (the rows must be deduplicated by key:
  // MergeStatements). Two round trips per table, no text parsing on the server.
  void CopyInto(PgCopyContext& pg, WriteMode mode) const;

  // The rows in the log's binary form (self-describing: table, key, column names and types).
  void EncodeTo(ByteWriter& w, WriteMode mode) const;
  // Reads what EncodeTo() wrote; false for anything malformed.
  static bool DecodeFrom(ByteReader& r, Rows* out, WriteMode* mode);

  // A row of some Rows: (rows, index).
  using RowRef = std::pair<const Rows*, size_t>;

  // SQLite: `rows` (each of this layout: SameLayout), one step of a cached prepared statement
  // each, meeting existing rows as `mode` says.
  void SqliteInsert(soci::session& sql, SqliteStatementCache* cache, WriteMode mode,
                    const std::vector<RowRef>& rows) const {
    if (rows.empty()) return;
    sqlite3_stmt* st = SqliteStatement(sql, cache, mode);
    for (const auto& [src, r] : rows) SqliteStep(st, *src, r);
    sqlite3_clear_bindings(st);
  }

  // INSERT all rows in one statement execution, meeting existing rows as `mode` says.
  void Insert(soci::session& sql, Backend backend, SqliteStatementCache* cache, WriteMode mode) {
    if (size() == 0) return;
    if (backend == Backend::kSqlite) {
      sqlite3_stmt* st = SqliteStatement(sql, cache, mode);
      for (size_t r = 0; r < size(); ++r) SqliteStep(st, *this, r);
      sqlite3_clear_bindings(st);
    } else {
      // One round trip per table: the rows travel as PostgreSQL array literals through unnest().
      const std::string suffix = Suffix(mode);
      std::string names;
      for (size_t i = 0; i < columns_.size(); ++i) names += (i ? ", " : "") + columns_[i].name;
      std::vector<std::string> arrays;
      arrays.reserve(columns_.size());
      std::string args;
      for (size_t i = 0; i < columns_.size(); ++i) {
        arrays.push_back(ArrayLiteral(columns_[i]));
        args += std::string(i ? ", " : "") + "CAST(:a" + std::to_string(i) + " AS " +
                (columns_[i].text ? "text[]" : "bigint[]") + ")";
      }
      soci::statement st(sql);
      for (std::string& a : arrays) st.exchange(soci::use(a));
      st.alloc();
      st.prepare("INSERT INTO " + table_ + " (" + names + ") SELECT * FROM unnest(" + args + ") " +
                 suffix);
      st.define_and_bind();
      st.execute(true);
    }
  }

 private:
  // SOCI's vector binding allocates per row; the raw API with a cached prepared statement is ~3x
  // faster on the hot path, and this is the hot path (see docs/performance.md).
  sqlite3_stmt* SqliteStatement(soci::session& sql, SqliteStatementCache* cache,
                                WriteMode mode) const {
    std::string names, values;
    for (size_t i = 0; i < columns_.size(); ++i) {
      names += (i ? ", " : "") + columns_[i].name;
      values += (i ? ", ?" : "?");
    }
    return cache->Get(
        sql, "INSERT INTO " + table_ + " (" + names + ") VALUES (" + values + ") " + Suffix(mode));
  }
  // Binds row `r` of `src` (this layout) to `st` and runs it.
  void SqliteStep(sqlite3_stmt* st, const Rows& src, size_t r) const {
    for (size_t c = 0; c < src.columns_.size(); ++c) {
      const Column& col = src.columns_[c];
      int idx = static_cast<int>(c + 1);
      if (col.ind[r] == soci::i_null) {
        sqlite3_bind_null(st, idx);
      } else if (col.text) {
        sqlite3_bind_text(st, idx, col.texts[r].data(), static_cast<int>(col.texts[r].size()),
                          SQLITE_STATIC);
      } else {
        sqlite3_bind_int64(st, idx, col.ints[r]);
      }
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      throw soci::soci_error(std::string("sqlite insert into ") + table_ + ": " +
                             sqlite3_errstr(rc));
    }
  }

  Column& Col(bool text) {
    Column& c = columns_[cursor_];
    (void)text;
    return c;
  }
  void Next(soci::indicator i) {
    columns_[cursor_].ind.push_back(i);
    if (++cursor_ == columns_.size()) cursor_ = 0;  // no division per value
  }
  static std::string ArrayLiteral(const Column& c) {
    std::string out = "{";
    for (size_t r = 0; r < c.ind.size(); ++r) {
      if (r) out.push_back(',');
      if (c.ind[r] == soci::i_null) {
        out += "NULL";
      } else if (!c.text) {
        out += std::to_string(c.ints[r]);
      } else {
        out.push_back('"');
        for (char ch : c.texts[r]) {
          if (ch == '"' || ch == '\\') out.push_back('\\');
          out.push_back(ch);
        }
        out.push_back('"');
      }
    }
    out.push_back('}');
    return out;
  }

  std::string Suffix(WriteMode mode) const;

  std::string table_;
  std::vector<std::string> key_;
  std::vector<Column> columns_;
  size_t cursor_ = 0;
};

// Reads an integer column whatever type the backend reports for it.
inline long long GetInt(const soci::row& r, size_t i) {
  if (r.get_indicator(i) == soci::i_null) return 0;
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return r.get<int>(i);
    case soci::dt_long_long:
      return r.get<long long>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(r.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<long long>(r.get<double>(i));
    case soci::dt_string:
      return std::stoll(r.get<std::string>(i));
    default:
      throw soci::soci_error("unexpected column type for an integer");
  }
}
inline std::optional<long long> GetOptInt(const soci::row& r, size_t i) {
  if (r.get_indicator(i) == soci::i_null) return std::nullopt;
  return GetInt(r, i);
}
inline std::string GetText(const soci::row& r, size_t i) {
  if (r.get_indicator(i) == soci::i_null) return {};
  return r.get<std::string>(i);
}

// Binary <-> hex, for Bytes fields kept in TEXT columns (portable across both backends).
std::string HexEncode(std::string_view bytes);
std::string HexDecode(std::string_view hex);

// String lists in one TEXT column: each element as "<length>:<bytes>", so any content survives.
std::string EncodeList(const std::vector<std::string>& items);
std::vector<std::string> DecodeList(const std::string& text);

enum class SqlType { kText, kInt };
struct ColumnDef {
  std::string name;
  SqlType type;
  bool nullable;
};

// The columns of a described type, in Describe() order.
struct ColumnLister : NamingVisitor<ColumnLister> {
  std::vector<ColumnDef> out;
  void Add(const char* n, SqlType type, bool nullable) { out.push_back({Name(n), type, nullable}); }
  void Field(const char* n, std::string&) { Add(n, SqlType::kText, false); }
  void Field(const char* n, int64_t&) { Add(n, SqlType::kInt, false); }
  void Field(const char* n, bool&) { Add(n, SqlType::kInt, false); }
  void Field(const char* n, std::optional<int64_t>&) { Add(n, SqlType::kInt, true); }
  void Field(const char* n, std::optional<std::string>&) { Add(n, SqlType::kText, true); }
  void Field(const char* n, std::vector<std::string>&) { Add(n, SqlType::kText, false); }
  void Field(const char* n, Bytes&) { Add(n, SqlType::kText, false); }
};

// Appends one value per described field to Rows.
struct RowAppender {
  Rows* rows;
  void Field(const char*, std::string& v) { rows->T(v); }
  void Field(const char*, std::string_view& v) { rows->T(v); }  // views (written, never read)
  void Field(const char*, int64_t& v) { rows->I(v); }
  void Field(const char*, bool& v) { rows->I(v ? 1 : 0); }
  void Field(const char*, std::optional<int64_t>& v) {
    if (v)
      rows->I(*v);
    else
      rows->NullI();
  }
  void Field(const char*, std::optional<std::string>& v) {
    if (v)
      rows->T(*v);
    else
      rows->NullT();
  }
  void Field(const char*, std::vector<std::string>& v) { rows->T(EncodeList(v)); }
  void Field(const char*, Bytes& b) { rows->T(HexEncode(b.data)); }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }
};

// Reads the described fields from consecutive columns of a row.
struct RowReader {
  const soci::row* row;
  size_t i = 0;
  void Field(const char*, std::string& v) { v = GetText(*row, i++); }
  void Field(const char*, int64_t& v) { v = GetInt(*row, i++); }
  void Field(const char*, bool& v) { v = GetInt(*row, i++) != 0; }
  void Field(const char*, std::optional<int64_t>& v) {
    auto x = GetOptInt(*row, i++);
    if (x)
      v = *x;
    else
      v.reset();
  }
  void Field(const char*, std::optional<std::string>& v) {
    if (row->get_indicator(i) == soci::i_null)
      v.reset();
    else
      v = GetText(*row, i);
    ++i;
  }
  void Field(const char*, std::vector<std::string>& v) { v = DecodeList(GetText(*row, i++)); }
  void Field(const char*, Bytes& b) { b.data = HexDecode(GetText(*row, i++)); }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }
};

// A table's shape, whatever it holds: enough to copy, encode and compare its rows generically
// (the log's snapshot records and `verify`'s replay).
class TableSchema {
 public:
  TableSchema(const char* table_name, std::vector<std::string> primary_key,
              std::vector<ColumnDef> columns)
      : name(table_name), key(std::move(primary_key)), columns_(std::move(columns)) {
    for (const ColumnDef& c : columns_) {
      column_names_ += (column_names_.empty() ? "" : ", ") + c.name;
      row_layout_.emplace_back(c.name, c.type == SqlType::kText ? 't' : 'i');
    }
  }

  const char* const name;
  const std::vector<std::string> key;  // primary-key columns

  const std::vector<ColumnDef>& Columns() const { return columns_; }
  const std::string& ColumnNames() const { return column_names_; }
  Rows NewRows() const { return Rows(name, row_layout_, key); }
  // Appends one stored row, column by column, as read by "SELECT ColumnNames()".
  void AppendStored(Rows& rows, const soci::row& r) const;

 private:
  std::vector<ColumnDef> columns_;
  std::string column_names_;
  std::vector<std::pair<std::string, char>> row_layout_;
};

// The columns of a described type, in Describe() order.
template <class T>
std::vector<ColumnDef> ColumnsOf() {
  ColumnLister l;
  T probe{};
  Describe(l, probe);
  return std::move(l.out);
}

// A table holding one described entity type.
template <class T>
class Table : public TableSchema {
 public:
  // Derives the columns and the SELECT list once: Prepare asks for them every batch.
  Table(const char* table_name, std::vector<std::string> primary_key)
      : TableSchema(table_name, std::move(primary_key), ColumnsOf<T>()) {}

  // Appends a row from `value`: a T, or a view of the same columns (a type whose Describe()
  // goes through the same column function as T's, e.g. a row that points into the State).
  template <class U = T>
  void Append(Rows& rows, const U& value) const {
    RowAppender a{&rows};
    Describe(a, const_cast<U&>(value));
  }
  T Read(const soci::row& r) const {
    T value{};
    RowReader reader{&r, 0};
    Describe(reader, value);
    return value;
  }
};

// Creates the table when missing and adds the columns the description has and the table lacks
// (additive evolution: NULL for nullable columns, '' or 0 otherwise). Removing or retyping a
// column still needs a written migration.
void SyncTable(soci::session& sql, Backend backend, const std::string& name,
               const std::vector<ColumnDef>& columns, const std::vector<std::string>& key);

template <class T>
void SyncTable(soci::session& sql, Backend backend, const Table<T>& table) {
  SyncTable(sql, backend, table.name, table.Columns(), table.key);
}

// The rows of one batch, owned, ready to be logged and projected on any thread. A log record's
// payload is Encode() of one PreparedWrite.
class PreparedWrite {
 public:
  enum class Kind : uint8_t {
    kBatch = 1,     // what one batch of commands changed
    kSnapshot = 2,  // rows that existed before the log did (an upgraded database's contents)
  };
  void Add(Rows rows, WriteMode mode) {
    if (rows.size() > 0) statements.emplace_back(std::move(rows), mode);
  }
  std::string Encode() const;
  // False for a payload Encode() did not produce.
  static bool Decode(std::string_view payload, PreparedWrite* out);

  Kind kind = Kind::kBatch;
  std::vector<std::pair<Rows, WriteMode>> statements;
  LogPosition end;  // where its log record ends, once appended
};

// The rows of several writes as one statement per table and mode, in replay order: an upserted
// key keeps its last version, an insert-or-ignore key its first (PostgreSQL refuses to touch a
// row twice in one statement; each row written once is less work for either backend). A key
// inserted by one write and upserted by a later one is inserted once, in its last version; and
// inserts come before upserts. The plan points into the writes' rows; MergeStatements copies
// them into one Rows each.
struct MergedStatement {
  const Rows* layout = nullptr;  // the first of the writes' statements of this table and mode
  WriteMode mode = WriteMode::kInsert;
  std::vector<Rows::RowRef> rows;
};
std::vector<MergedStatement> PlanStatements(const std::vector<PreparedWrite*>& writes);
std::vector<std::pair<Rows, WriteMode>> MergeStatements(const std::vector<PreparedWrite*>& writes);

}  // namespace splitledger::ledger
