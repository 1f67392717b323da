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
  // Columns the table already has.
  std::vector<std::string> have;
  if (backend == Backend::kSqlite) {
    soci::rowset<soci::row> rs = sql.prepare
                                 << "SELECT name FROM pragma_table_info('" + name + "')";
    for (const soci::row& r : rs) have.push_back(GetText(r, 0));
  } else {
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                        "AND table_schema = current_schema()",
         soci::use(name));
    for (const soci::row& r : rs) have.push_back(GetText(r, 0));
  }
  for (const ColumnDef& c : columns) {
    bool present = false;
    for (const std::string& h : have) present = present || h == c.name;
    if (!present) sql << "ALTER TABLE " + name + " ADD COLUMN " + ColumnSql(c);
  }
}

}  // namespace splitledger::ledger
