// The settlement CSV file a platform uploads to reconcile PSP payouts (echo-api.md §11).
//
// ParseSettlementFile turns the raw bytes into lines and footer totals and runs the structure
// checks of §11.2 step 2; CheckSettlementTotals is the amount check of step 4. Both are pure: no
// IO, and the only spellings here are the file format's own column and footer labels.
//
// File layout:
//
//   <header row of column names>
//   <one row per transaction>
//   ,,,,,,,,                      <- the transaction block ends at the first empty row
//   SettlementDate,19-06-2025     <- footer rows: label in the first cell, value in the second
//   ...
//
// CSV dialect: an optional UTF-8 BOM; rows end with \n or \r\n; comma-separated cells. A cell may
// be double-quoted (then it may hold commas and newlines, and "" stands for one quote); unquoted
// cells are trimmed of spaces and tabs, quoted ones are kept as written. A row whose cells are all
// empty is an empty row. Rows may be ragged: missing cells read as empty, extra empty cells are
// ignored. Columns are found by header name (exact case, as listed below); unknown columns are
// ignored, and their order does not matter.
//
// Columns: ExternalProviderReference, ExternalTransactionType, ExternalTransactionStatus,
// ExternalProcessingDate (DD-MM-YYYY), Amount (signed integer, minor units) and Currency are
// mandatory; IntentId, ExternalPaymentMethod, ExternalInitialReference (mandatory in a REFUND or
// DISPUTE line) and ExternalProviderFees (integer) are optional.
// Footers, all mandatory: SettlementDate (DD-MM-YYYY), ExternalProviderName (non-empty),
// TotalSettlementFeesAmount (integer), TotalNetSettlementAmount (integer; the older label
// TotalSettlementAmount is accepted and reported under the current one), SettlementCurrency
// (ISO 4217). Empty rows between footers are skipped.
//
// Two kinds of error. A *line error* (code INVALID_LINE, one per row, naming the row and the
// first problem found) leaves that row out of `lines` but not the file: §9.5 says a badly
// formatted line keeps the settlement PARTIALLY_MATCHED, so this parser reads §11.1's "every
// mandatory field must be non-empty in every row" as a per-line rule. A *footer error* from the
// parser is fatal: the file is not structurally valid and the settlement becomes FAILED.
// Footer error codes (footer_name is the column or footer label concerned, empty for the
// whole file):
//   EMPTY_FILE          the file has no rows at all
//   INVALID_CSV         an unterminated quoted cell, or text after a closing quote
//   MISSING_COLUMN      a mandatory column is not in the header
//   DUPLICATE_COLUMN    a known column name appears twice in the header
//   MISSING_SEPARATOR   no empty row ends the transaction block
//   MISSING_FOOTER      a mandatory footer row is absent
//   DUPLICATE_FOOTER    a footer row appears twice (the two spellings of the net total count as
//   one) UNKNOWN_FOOTER      a row after the separator has an unknown label (it may be a
//   transaction
//                       that would otherwise be lost)
//   INVALID_FOOTER      a footer value does not parse, or the row has a third non-empty cell
//   CURRENCY_NOT_MATCH  the rows use more than one currency, or one other than SettlementCurrency
//                       (every row with a Currency counts, well-formed or not)
//   AMOUNT_OVERFLOW     Σ Amount or Σ ExternalProviderFees leaves the int64 range
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "splitledger/core/money.h"

namespace splitledger {

enum class SettlementLineType { kPayment, kRefund, kDispute };
const char* SettlementLineTypeName(SettlementLineType type);  // "PAYMENT", "REFUND", "DISPUTE"

// One well-formed transaction row. Allowed statuses: PAYMENT: SETTLED; REFUND: REFUNDED,
// REFUND_REVERSED; DISPUTE: DISPUTED, DEFENDED, DISPUTED_WON, DISPUTED_LOST. Signs: a SETTLED
// amount is > 0 and a REFUNDED amount < 0 (§11.1); the other statuses may carry any sign.
struct SettlementLine {
  size_t row = 0;                  // 1-based among the transaction rows (the header is not counted)
  std::string intent_id;           // may be empty
  std::string provider_reference;  // non-empty
  SettlementLineType type = SettlementLineType::kPayment;
  std::string status;             // one of the statuses allowed for `type`, as written
  int64_t processing_date = 0;    // unix seconds, UTC midnight
  Amount amount = 0;              // signed minor units
  std::string currency;           // equals SettlementFile::currency in a valid file
  std::string payment_method;     // may be empty
  std::string initial_reference;  // non-empty for REFUND and DISPUTE
  std::optional<Amount> provider_fees;
};

struct SettlementFooterError {
  std::string footer_name;  // footer label or column name; empty for the whole file
  std::string code;
  std::string description;
};

struct SettlementLineError {
  std::string provider_reference;  // the row's ExternalProviderReference, as written (may be empty)
  std::string transaction_type;    // the row's ExternalTransactionType, as written (may be empty)
  std::string code;                // INVALID_LINE
  std::string description;
};

struct SettlementFile {
  std::vector<SettlementLine> lines;  // the well-formed rows, in file order
  // The footers. Meaningful only when structurally_valid.
  int64_t settlement_date = 0;  // unix seconds, UTC midnight
  std::string provider_name;  // as written: checking it is a supported provider is the caller's job
  Amount total_fees = 0;      // TotalSettlementFeesAmount
  Amount total_net = 0;       // TotalNetSettlementAmount
  std::string currency;       // SettlementCurrency
  std::vector<SettlementFooterError> footer_errors;  // from the parser: all fatal
  std::vector<SettlementLineError> line_errors;      // malformed rows
  bool structurally_valid = false;  // == footer_errors.empty(); false: the settlement FAILS
};

// Parses the raw content of an uploaded file. Never fails as a call: every problem is recorded in
// the result. Safe on arbitrary bytes.
SettlementFile ParseSettlementFile(std::string_view bytes);

// The footer checks of §11.2 step 4, on a structurally valid file (returns nothing otherwise).
// These errors do not fail the file; the caller adds them to the validations:
//   SETTLEMENTAMOUNT_NOT_MATCH on TotalNetSettlementAmount when it is not
//     Σ Amount − TotalSettlementFeesAmount ("TotalNetSettlement amount 999999 EUR is not matching
//     to declared amount 1000 EUR.");
//   SETTLEMENTFEES_NOT_MATCH on TotalSettlementFeesAmount when some line gives
//     ExternalProviderFees and their sum differs from it.
// The sums run over the well-formed lines only.
std::vector<SettlementFooterError> CheckSettlementTotals(const SettlementFile& file);

}  // namespace splitledger
