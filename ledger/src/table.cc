#include "table.h"

#include <algorithm>

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
        c.texts.emplace_back();
        if (present && !r.Str(&c.texts.back())) return false;
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

}  // namespace splitledger::ledger
