#include "table.h"

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

}  // namespace splitledger::ledger
