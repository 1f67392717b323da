// A settlement (Echo §7.5, §9.5, §11): a PSP's statement of the transactions it paid out, matched
// against the intents' captures, refunds and disputes, then funded by money arriving on the
// escrow wallet. This header is the entity and its described form; matching lives in the service
// (it needs the intents), the money in the ledger (ledger/settlement_ops.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "splitledger/core/entities.h"
#include "splitledger/core/intent_describe.h"
#include "splitledger/core/money.h"
#include "splitledger/core/settlement_file.h"

namespace splitledger {

enum class SettlementStatus {
  kPendingUpload,
  kUploaded,
  kCreated,
  kFailed,
  kUnmatched,
  kPartiallyMatched,
  kPendingFundsReception,
  kInsufficientFunds,
  kReconciled,
  kCancelled,
};
const char* SettlementStatusName(SettlementStatus status);  // "PENDING_UPLOAD", …

// A file line matched to an intent action: a capture (PAYMENT), a refund or reversal (REFUND),
// a dispute (DISPUTE).
struct SettlementMatch {
  std::string intent_id;
  std::string action_id;
  Amount amount = 0;  // the line's signed amount
};

struct Settlement {
  std::string id;
  std::string client_id;
  SettlementStatus status = SettlementStatus::kPendingUpload;
  std::string file_name;  // as sent, with the creation time appended
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // From the last file uploaded (meaningful from CREATED on).
  int64_t settlement_date = 0;
  std::string provider_name;
  std::string currency;
  Amount declared_intent_amount = 0;  // Σ matched line amounts
  Amount processor_fees = 0;          // TotalSettlementFeesAmount
  Amount actual_amount = 0;           // max(0, TotalNetSettlementAmount): what the escrow must get
  std::vector<std::string> upload_token_hashes;  // every upload URL issued keeps working
  std::vector<SettlementFooterError> footer_errors;
  std::vector<SettlementLineError> line_errors;
  std::vector<SettlementMatch> matches;

  // A file may still be uploaded (none matched fully yet, not cancelled).
  bool accepts_upload() const {
    return status == SettlementStatus::kPendingUpload || status == SettlementStatus::kUploaded ||
           status == SettlementStatus::kCreated || status == SettlementStatus::kFailed ||
           status == SettlementStatus::kUnmatched || status == SettlementStatus::kPartiallyMatched;
  }
  // Waiting for money on the escrow wallet.
  bool awaits_funds() const {
    return status == SettlementStatus::kPendingFundsReception ||
           status == SettlementStatus::kInsufficientFunds;
  }
};

template <class V>
void Describe(V& v, SettlementFooterError& e) {
  v.Field("footer_name", e.footer_name);
  v.Field("code", e.code);
  v.Field("description", e.description);
}
template <class V>
void Describe(V& v, SettlementLineError& e) {
  v.Field("provider_reference", e.provider_reference);
  v.Field("transaction_type", e.transaction_type);
  v.Field("code", e.code);
  v.Field("description", e.description);
}
template <class V>
void Describe(V& v, SettlementMatch& m) {
  v.Field("intent_id", m.intent_id);
  v.Field("action_id", m.action_id);
  v.Field("amount", m.amount);
}
// The lists of a settlement, as one binary column of its row.
struct SettlementDetails {
  std::vector<std::string> upload_token_hashes;
  std::vector<SettlementFooterError> footer_errors;
  std::vector<SettlementLineError> line_errors;
  std::vector<SettlementMatch> matches;
};
template <class V>
void Describe(V& v, SettlementDetails& d) {
  v.Field("upload_token_hashes", d.upload_token_hashes);
  describe_detail::Each(v, "footer_errors", d.footer_errors);
  describe_detail::Each(v, "line_errors", d.line_errors);
  describe_detail::Each(v, "matches", d.matches);
}
template <class V>
void Describe(V& v, Settlement& s) {
  v.Field("id", s.id);
  v.Field("client_id", s.client_id);
  describe_detail::AsInt(v, "status", s.status);
  v.Field("file_name", s.file_name);
  v.Field("created_at", s.created_at);
  v.Field("updated_at", s.updated_at);
  v.Field("settlement_date", s.settlement_date);
  v.Field("provider_name", s.provider_name);
  v.Field("currency", s.currency);
  v.Field("declared_intent_amount", s.declared_intent_amount);
  v.Field("processor_fees", s.processor_fees);
  v.Field("actual_amount", s.actual_amount);
  v.Field("upload_token_hashes", s.upload_token_hashes);
  describe_detail::Each(v, "footer_errors", s.footer_errors);
  describe_detail::Each(v, "line_errors", s.line_errors);
  describe_detail::Each(v, "matches", s.matches);
}

}  // namespace splitledger
