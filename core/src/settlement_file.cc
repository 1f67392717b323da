#include "splitledger/core/settlement_file.h"

#include <array>
#include <charconv>

namespace splitledger {
namespace {

// ---------------------------------------------------------------------------------------------
// CSV

struct CsvRow {
  std::vector<std::string> cells;
  size_t line = 0;  // physical line the row starts on, for messages
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsRowEnd(char c) { return c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Splits `text` into rows (see the dialect in the header). Fails only on quoting errors.
Status SplitCsv(std::string_view text, std::vector<CsvRow>* rows) {
  const size_t n = text.size();
  size_t i = 0;
  size_t line = 1;
  while (i < n) {
    CsvRow row;
    row.line = line;
    for (;;) {  // one cell per iteration; `i` is at the cell's first byte
      size_t j = i;
      while (j < n && IsBlank(text[j])) ++j;
      std::string cell;
      if (j < n && text[j] == '"') {
        const size_t quote_line = line;
        i = j + 1;
        for (;;) {
          if (i >= n) {
            return Status::Invalid("Quoted cell starting on line " + std::to_string(quote_line) +
                                   " is not terminated");
          }
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              cell += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          cell += c;
        }
        while (i < n && IsBlank(text[i])) ++i;
        if (i < n && text[i] != ',' && !IsRowEnd(text[i])) {
          return Status::Invalid("Text after a closing quote on line " + std::to_string(line));
        }
      } else {
        const size_t start = i;
        while (i < n && text[i] != ',' && !IsRowEnd(text[i])) ++i;
        cell = Trim(text.substr(start, i - start));
      }
      row.cells.push_back(std::move(cell));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < n) {  // at \n, \r\n or a lone \r
      if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++i;
      ++line;
    }
    rows->push_back(std::move(row));
  }
  return Status::Ok();
}

bool IsEmptyRow(const CsvRow& row) {
  for (const std::string& cell : row.cells) {
    if (!cell.empty()) return false;
  }
  return true;
}

// A cell's value, bounded for messages (the file is untrusted and may hold anything).
std::string Clip(std::string_view s) {
  constexpr size_t kMax = 64;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

// ---------------------------------------------------------------------------------------------
// Values

// A signed decimal integer with no sign but '-', no spaces, no separators, in the int64 range.
std::optional<Amount> ParseInteger(std::string_view s) {
  Amount v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// DD-MM-YYYY exactly (two, two and four digits), years 1970-9999, to unix seconds at UTC midnight.
std::optional<int64_t> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[2] != '-' || s[5] != '-') return std::nullopt;
  auto number = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t k = pos; k < pos + len; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      v = v * 10 + (s[k] - '0');
    }
    *out = v;
    return true;
  };
  int d = 0, m = 0, y = 0;
  if (!number(0, 2, &d) || !number(3, 2, &m) || !number(6, 4, &y)) return std::nullopt;
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return DaysFromCivil(y, m, d) * 86400;
}

// ---------------------------------------------------------------------------------------------
// Columns and footers

enum Column {
  kIntentId,
  kProviderReference,
  kType,
  kStatus,
  kProcessingDate,
  kAmount,
  kCurrency,
  kPaymentMethod,
  kInitialReference,
  kProviderFees,
  kColumnCount
};

struct ColumnSpec {
  const char* name;
  bool mandatory;
};

constexpr ColumnSpec kColumns[kColumnCount] = {
    {"IntentId", false},
    {"ExternalProviderReference", true},
    {"ExternalTransactionType", true},
    {"ExternalTransactionStatus", true},
    {"ExternalProcessingDate", true},
    {"Amount", true},
    {"Currency", true},
    {"ExternalPaymentMethod", false},
    {"ExternalInitialReference", false},
    {"ExternalProviderFees", false},
};

// Where each known column is in the header, and which header positions carry a name at all.
struct HeaderMap {
  std::array<int, kColumnCount> index;
  std::vector<bool> named;

  std::string_view Cell(const CsvRow& row, Column c) const {
    const int i = index[c];
    return i >= 0 && static_cast<size_t>(i) < row.cells.size() ? std::string_view(row.cells[i])
                                                               : std::string_view();
  }
};

enum Footer {
  kSettlementDate,
  kProviderName,
  kTotalFees,
  kTotalNet,
  kSettlementCurrency,
  kFooterCount
};

constexpr const char* kFooterNames[kFooterCount] = {
    "SettlementDate",           "ExternalProviderName", "TotalSettlementFeesAmount",
    "TotalNetSettlementAmount", "SettlementCurrency",
};

std::optional<Footer> FindFooter(std::string_view label) {
  for (int f = 0; f < kFooterCount; ++f) {
    if (label == kFooterNames[f]) return static_cast<Footer>(f);
  }
  if (label == "TotalSettlementAmount") return kTotalNet;  // the older name (§15.8)
  return std::nullopt;
}

struct TypeSpec {
  SettlementLineType type;
  const char* name;
  std::array<const char*, 4> statuses;  // nullptr-padded
};

constexpr TypeSpec kTypes[] = {
    {SettlementLineType::kPayment, "PAYMENT", {"SETTLED", nullptr, nullptr, nullptr}},
    {SettlementLineType::kRefund, "REFUND", {"REFUNDED", "REFUND_REVERSED", nullptr, nullptr}},
    {SettlementLineType::kDispute,
     "DISPUTE",
     {"DISPUTED", "DEFENDED", "DISPUTED_WON", "DISPUTED_LOST"}},
};

const TypeSpec* FindType(std::string_view name) {
  for (const TypeSpec& t : kTypes) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

bool StatusAllowed(const TypeSpec& type, std::string_view status) {
  for (const char* s : type.statuses) {
    if (s != nullptr && status == s) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Rows

std::string RowPrefix(size_t row) { return "Row " + std::to_string(row) + ": "; }

// Reads one transaction row into `out`, or says (with the row number) what is wrong with it.
Status ParseLine(const CsvRow& csv, const HeaderMap& header, size_t row, SettlementLine* out) {
  const std::string at = RowPrefix(row);
  for (size_t i = 0; i < csv.cells.size(); ++i) {
    const bool named = i < header.named.size() && header.named[i];
    if (!named && !csv.cells[i].empty()) {
      return Status::Invalid(at + "cell " + std::to_string(i + 1) + " ('" + Clip(csv.cells[i]) +
                             "') is under no column name");
    }
  }
  for (int c = 0; c < kColumnCount; ++c) {
    if (kColumns[c].mandatory && header.Cell(csv, static_cast<Column>(c)).empty()) {
      return Status::Invalid(at + kColumns[c].name + " is empty");
    }
  }
  const std::string_view type_name = header.Cell(csv, kType);
  const TypeSpec* type = FindType(type_name);
  if (type == nullptr) {
    return Status::Invalid(at + "ExternalTransactionType '" + Clip(type_name) +
                           "' is not PAYMENT, REFUND or DISPUTE");
  }
  const std::string_view status = header.Cell(csv, kStatus);
  if (!StatusAllowed(*type, status)) {
    return Status::Invalid(at + "ExternalTransactionStatus '" + Clip(status) +
                           "' is not a status of a " + type->name + " line");
  }
  const std::string_view date_text = header.Cell(csv, kProcessingDate);
  const std::optional<int64_t> date = ParseDate(date_text);
  if (!date) {
    return Status::Invalid(at + "ExternalProcessingDate '" + Clip(date_text) +
                           "' is not a valid DD-MM-YYYY date");
  }
  const std::string_view amount_text = header.Cell(csv, kAmount);
  const std::optional<Amount> amount = ParseInteger(amount_text);
  if (!amount) {
    return Status::Invalid(at + "Amount '" + Clip(amount_text) +
                           "' is not an integer number of minor units");
  }
  if (status == "SETTLED" && *amount <= 0) {
    return Status::Invalid(at + "Amount of a SETTLED payment must be positive");
  }
  if (status == "REFUNDED" && *amount >= 0) {
    return Status::Invalid(at + "Amount of a REFUNDED refund must be negative");
  }
  const std::string_view initial_reference = header.Cell(csv, kInitialReference);
  if (type->type != SettlementLineType::kPayment && initial_reference.empty()) {
    return Status::Invalid(at + "ExternalInitialReference is required for a " + type->name +
                           " line");
  }
  std::optional<Amount> fees;
  const std::string_view fees_text = header.Cell(csv, kProviderFees);
  if (!fees_text.empty()) {
    fees = ParseInteger(fees_text);
    if (!fees) {
      return Status::Invalid(at + "ExternalProviderFees '" + Clip(fees_text) +
                             "' is not an integer number of minor units");
    }
  }
  out->row = row;
  out->intent_id = header.Cell(csv, kIntentId);
  out->provider_reference = header.Cell(csv, kProviderReference);
  out->type = type->type;
  out->status = status;
  out->processing_date = *date;
  out->amount = *amount;
  out->currency = header.Cell(csv, kCurrency);
  out->payment_method = header.Cell(csv, kPaymentMethod);
  out->initial_reference = initial_reference;
  out->provider_fees = fees;
  return Status::Ok();
}

// Validates one footer value and stores it in `file`; returns a description on failure.
std::optional<std::string> SetFooter(Footer footer, std::string_view value, SettlementFile* file) {
  const std::string label = kFooterNames[footer];
  switch (footer) {
    case kSettlementDate: {
      const std::optional<int64_t> date = ParseDate(value);
      if (!date) return label + " '" + Clip(value) + "' is not a valid DD-MM-YYYY date";
      file->settlement_date = *date;
      return std::nullopt;
    }
    case kProviderName:
      if (value.empty()) return label + " is empty";
      file->provider_name = value;
      return std::nullopt;
    case kTotalFees:
    case kTotalNet: {
      const std::optional<Amount> amount = ParseInteger(value);
      if (!amount) return label + " '" + Clip(value) + "' is not an integer number of minor units";
      (footer == kTotalFees ? file->total_fees : file->total_net) = *amount;
      return std::nullopt;
    }
    case kSettlementCurrency:
      if (FindCurrency(value) == nullptr) {
        return label + " '" + Clip(value) + "' is not an ISO 4217 currency code";
      }
      file->currency = value;
      return std::nullopt;
    case kFooterCount:
      break;
  }
  return "unknown footer";
}

std::string Int128ToString(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

const char* SettlementLineTypeName(SettlementLineType type) {
  for (const TypeSpec& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "";
}

SettlementFile ParseSettlementFile(std::string_view bytes) {
  SettlementFile file;
  auto fail = [&file](std::string footer_name, const char* code, std::string description) {
    file.footer_errors.push_back({std::move(footer_name), code, std::move(description)});
  };

  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (bytes.substr(0, kBom.size()) == kBom) bytes.remove_prefix(kBom.size());
  std::vector<CsvRow> rows;
  if (Status st = SplitCsv(bytes, &rows); !st.ok()) {
    fail("", "INVALID_CSV", st.message());
    return file;
  }
  if (rows.empty()) {
    fail("", "EMPTY_FILE", "The file has no rows");
    return file;
  }

  // Header.
  HeaderMap header;
  header.index.fill(-1);
  const CsvRow& header_row = rows[0];
  header.named.resize(header_row.cells.size());
  for (size_t i = 0; i < header_row.cells.size(); ++i) {
    const std::string& name = header_row.cells[i];
    header.named[i] = !name.empty();
    for (int c = 0; c < kColumnCount; ++c) {
      if (name != kColumns[c].name) continue;
      if (header.index[c] >= 0) {
        fail(name, "DUPLICATE_COLUMN", "Column " + name + " appears twice in the header");
      } else {
        header.index[c] = static_cast<int>(i);
      }
    }
  }
  bool columns_ok = file.footer_errors.empty();
  for (int c = 0; c < kColumnCount; ++c) {
    if (kColumns[c].mandatory && header.index[c] < 0) {
      fail(kColumns[c].name, "MISSING_COLUMN",
           std::string("Mandatory column ") + kColumns[c].name + " is missing from the header");
      columns_ok = false;
    }
  }

  // Transaction rows, up to the separator. Without the columns every row would only repeat that
  // they are missing, so rows are read only under a usable header.
  size_t r = 1;
  std::vector<std::pair<std::string, size_t>> currencies;  // distinct, with their first row
  for (; r < rows.size() && !IsEmptyRow(rows[r]); ++r) {
    if (!columns_ok) continue;
    const size_t row = r;  // rows[0] is the header, so this is the 1-based transaction row
    const std::string_view currency = header.Cell(rows[r], kCurrency);
    if (!currency.empty()) {
      bool seen = false;
      for (const auto& [code, first_row] : currencies) seen = seen || code == currency;
      if (!seen) currencies.emplace_back(std::string(currency), row);
    }
    SettlementLine line;
    Status st = ParseLine(rows[r], header, row, &line);
    if (st.ok()) {
      file.lines.push_back(std::move(line));
    } else {
      file.line_errors.push_back({std::string(header.Cell(rows[r], kProviderReference)),
                                  std::string(header.Cell(rows[r], kType)), "INVALID_LINE",
                                  st.message()});
    }
  }
  if (r == rows.size()) {
    fail("", "MISSING_SEPARATOR", "No empty row ends the transaction rows");
  }

  // Footers.
  std::array<const CsvRow*, kFooterCount> footer_rows{};
  for (++r; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (IsEmptyRow(row)) continue;
    const std::string& label = row.cells[0];
    const std::optional<Footer> footer = FindFooter(label);
    if (!footer) {
      fail(Clip(label), "UNKNOWN_FOOTER",
           "Line " + std::to_string(row.line) + ": '" + Clip(label) + "' is not a footer label");
      continue;
    }
    const char* name = kFooterNames[*footer];
    if (footer_rows[*footer] != nullptr) {
      fail(name, "DUPLICATE_FOOTER", std::string(name) + " appears more than once");
      continue;
    }
    footer_rows[*footer] = &row;
    for (size_t i = 2; i < row.cells.size(); ++i) {
      if (!row.cells[i].empty()) {
        fail(name, "INVALID_FOOTER", std::string(name) + " row has more than one value");
        break;
      }
    }
  }
  for (int f = 0; f < kFooterCount; ++f) {
    const CsvRow* row = footer_rows[f];
    const char* name = kFooterNames[f];
    if (row == nullptr) {
      fail(name, "MISSING_FOOTER", std::string("Mandatory footer ") + name + " is missing");
      continue;
    }
    const std::string_view value = row->cells.size() > 1 ? row->cells[1] : std::string_view();
    if (auto error = SetFooter(static_cast<Footer>(f), value, &file)) {
      fail(name, "INVALID_FOOTER", std::move(*error));
    }
  }

  // One currency, the footer's.
  auto describe = [](const std::pair<std::string, size_t>& c) {
    return Clip(c.first) + " (row " + std::to_string(c.second) + ")";
  };
  if (currencies.size() > 1) {
    std::string list;
    for (const auto& c : currencies) list += (list.empty() ? "" : ", ") + describe(c);
    fail("Currency", "CURRENCY_NOT_MATCH", "The rows use more than one currency: " + list);
  }
  if (!file.currency.empty()) {
    for (const auto& c : currencies) {
      if (c.first == file.currency) continue;
      fail("SettlementCurrency", "CURRENCY_NOT_MATCH",
           "Currency " + describe(c) + " is not the SettlementCurrency " + file.currency);
    }
  }

  // The sums the totals are checked against must exist.
  CheckedSum amounts, fees;
  for (const SettlementLine& line : file.lines) {
    amounts += line.amount;
    if (line.provider_fees) fees += *line.provider_fees;
  }
  if (!amounts.ok()) fail("Amount", "AMOUNT_OVERFLOW", "The sum of the Amount column overflows");
  if (!fees.ok()) {
    fail("ExternalProviderFees", "AMOUNT_OVERFLOW",
         "The sum of the ExternalProviderFees column overflows");
  }

  file.structurally_valid = file.footer_errors.empty();
  return file;
}

std::vector<SettlementFooterError> CheckSettlementTotals(const SettlementFile& file) {
  std::vector<SettlementFooterError> errors;
  if (!file.structurally_valid) return errors;
  // 128 bits: the sums of int64 values cannot overflow, whatever the caller built.
  __int128 amounts = 0, fees = 0;
  bool fees_given = false;
  for (const SettlementLine& line : file.lines) {
    amounts += line.amount;
    if (line.provider_fees) {
      fees += *line.provider_fees;
      fees_given = true;
    }
  }
  const std::string currency = " " + file.currency;
  if (fees_given && fees != file.total_fees) {
    errors.push_back({"TotalSettlementFeesAmount", "SETTLEMENTFEES_NOT_MATCH",
                      "TotalSettlementFees amount " + std::to_string(file.total_fees) + currency +
                          " is not matching to the sum of ExternalProviderFees " +
                          Int128ToString(fees) + currency + "."});
  }
  const __int128 declared = amounts - file.total_fees;
  if (declared != file.total_net) {
    errors.push_back({"TotalNetSettlementAmount", "SETTLEMENTAMOUNT_NOT_MATCH",
                      "TotalNetSettlement amount " + std::to_string(file.total_net) + currency +
                          " is not matching to declared amount " + Int128ToString(declared) +
                          currency + "."});
  }
  return errors;
}

}  // namespace splitledger

