// The chart of accounts (docs/ledger.md). Every account is per platform client and currency.
#pragma once

#include <string>
#include <string_view>

#include "splitledger/ledger/journal.h"

namespace splitledger::ledger::chart {

// Account kinds. Balances are debit-positive in storage; "credit-normal" kinds are liabilities or
// memo accounts whose meaningful figure is credits − debits.
inline constexpr std::string_view kPspReceivable = "psp_receivable";  // ref: provider (upper case)
inline constexpr std::string_view kLinePayable = "line_payable";      // ref: line item id
inline constexpr std::string_view kLineCancelled = "line_cancelled";  // ref: line item id (memo)
inline constexpr std::string_view kCancelMemo = "cancel_memo";        // contra of line_cancelled
inline constexpr std::string_view kLineFee = "line_fee";              // ref: line item id (memo)
inline constexpr std::string_view kFeeMemo = "fee_memo";              // contra of line_fee
inline constexpr std::string_view kLineRefunded = "line_refunded";    // ref: line item id (memo)
inline constexpr std::string_view kRefundMemo = "refund_memo";        // contra of line_refunded
inline constexpr std::string_view kLineDisputed = "line_disputed";    // ref: line item id (memo)
inline constexpr std::string_view kDisputeMemo = "dispute_memo";      // contra of line_disputed
inline constexpr std::string_view kLineSplit = "line_split";          // ref: line item id
inline constexpr std::string_view kEscrow = "escrow";                 // platform escrow wallet
inline constexpr std::string_view kEscrowBank = "escrow_bank";        // money at the bank behind it
inline constexpr std::string_view kEscrowUnallocated = "escrow_unallocated";  // memo: funds not yet given to a settlement
inline constexpr std::string_view kFundsMemo = "funds_memo";          // contra of escrow_unallocated
inline constexpr std::string_view kSettlementFunded = "settlement_funded";  // ref: settlement id (memo)
inline constexpr std::string_view kIntentFunded = "intent_funded";    // ref: intent id (memo)
inline constexpr std::string_view kFundingMemo = "funding_memo";      // contra of intent_funded
inline constexpr std::string_view kSellerWallet = "wallet";           // ref: wallet id
inline constexpr std::string_view kFeesWallet = "client_fees";        // FEES_<CUR>
inline constexpr std::string_view kCreditWallet = "client_credit";    // CREDIT_<CUR>
inline constexpr std::string_view kPspFees = "psp_fees";              // ref: provider

inline AccountKey Key(std::string_view client, std::string_view currency, std::string_view kind,
                      std::string_view ref = {}) {
  return AccountKey{std::string(client), std::string(currency), std::string(kind), std::string(ref)};
}

}  // namespace splitledger::ledger::chart
