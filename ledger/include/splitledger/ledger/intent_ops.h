// Intent commands on the ledger: each validates with the core aggregate, turns the plan into a
// balanced journal transaction (chart.h), and applies both, or changes nothing.
//
// Postings per plan delta (client and currency of the intent, P = upper-case provider name):
//   line authorised a:  pending  Dr psp_receivable:P a / Cr line_payable:LI a
//   line fee f:         posted   Dr fee_memo f           / Cr line_fee:LI f
//   captured c:         release  Dr psp_receivable:P c / Cr line_payable:LI c
//                       posted   Dr psp_receivable:P c / Cr line_payable:LI c
//   cancelled x:        release  Dr psp_receivable:P x / Cr line_payable:LI x
//                       posted   Dr cancel_memo x        / Cr line_cancelled:LI x
//   fee removed f:      posted   Dr line_fee:LI f        / Cr fee_memo f
//   fee restored f:     posted   Dr fee_memo f           / Cr line_fee:LI f
//   refunded r:         posted   Dr line_payable:LI r    / Cr psp_receivable:P r
//                       posted   Dr refund_memo r        / Cr line_refunded:LI r
//   refund reversed u:  the two refund pairs the other way round
//   disputed d:         posted   Dr line_payable:LI d    / Cr psp_receivable:P d
//                       posted   Dr dispute_memo d       / Cr line_disputed:LI d
//   dispute won w:      the two dispute pairs the other way round
//   split reserved s:   posted   Dr line_payable:LI s    / Cr line_split:LI s
//   split released s:   the other way round (reversed, shrunk, or taken by a refund)
// Money between wallets (real balances, not the intent's sub-ledger above):
//   split executed:     posted   Dr escrow s / Cr seller wallet (s − f) / Cr client_fees f
//   refund taking back: posted   Dr seller wallet b / Dr client_fees g / Cr escrow (b + g)
//   escrow funds n:     posted   Dr escrow_bank n / Cr escrow n
//                       memo     Dr funds_memo n / Cr escrow_unallocated n
//   settlement funded:  memo     Dr escrow_unallocated x / Cr settlement_funded:S x
//   intent funded:      memo     Dr funding_memo y / Cr intent_funded:I y (signed: the other way
//                                round for a negative net, e.g. a refund settled later)
// so that every amount an intent shows is a ledger figure (DeriveLine): the line_payable credit
// balance is what the line can still split, and its captured amount is that plus what refunds,
// disputes and splits hold.
#pragma once

#include <string>
#include <vector>

#include "splitledger/core/intent.h"
#include "splitledger/ledger/state.h"

namespace splitledger::ledger {

// A line's and an intent's amounts as the ledger derives them (figures: core/intent.h).
LineFigures DeriveLine(const Book& book, const Intent& intent, const LineItem& line);

IntentFigures DeriveIntent(const Book& book, const Intent& intent);

// The postings of a plan (see the table above).
std::vector<PostingSpec> PlanPostings(const Intent& intent, const IntentPlan& plan);

struct IntentActionResult {
  const Intent* intent = nullptr;
  std::string action_id;  // the capture / cancel / refund / dispute / split id; empty for create
  bool added_to_existing = false;  // mixed basket
};

// Creates an intent with id `intent_id`, or adds the lines to the AUTHORIZED intent with the same
// provider reference (mixed basket, Echo §8.1). `line_ids` holds one fresh id per input line.
// Ids come from the caller so that applying a command is deterministic.
Result<IntentActionResult> CreateIntent(State& state, const std::string& client_id,
                                        const CreateIntentInput& input, const std::string& intent_id,
                                        const std::vector<std::string>& line_ids, int64_t now_ms);
Result<IntentActionResult> CaptureIntent(State& state, const std::string& client_id,
                                         const std::string& intent_id, const ActionInput& input,
                                         const std::string& capture_id, int64_t now_ms);
Result<IntentActionResult> CancelIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        const std::string& cancel_id, int64_t now_ms);
Result<IntentActionResult> RefundIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        const std::string& refund_id, int64_t now_ms);
Result<IntentActionResult> ReverseRefund(State& state, const std::string& client_id,
                                         const std::string& intent_id, const std::string& refund_id,
                                         const ActionInput& input, const std::string& reversal_id,
                                         int64_t now_ms);
Result<IntentActionResult> DisputeCapture(State& state, const std::string& client_id,
                                          const std::string& intent_id,
                                          const std::string& capture_id, const ActionInput& input,
                                          const std::string& dispute_id, int64_t now_ms);
// The result's action_id is the dispute's id.
Result<IntentActionResult> DecideDispute(State& state, const std::string& client_id,
                                         const std::string& intent_id, const std::string& capture_id,
                                         const std::string& dispute_id, DisputeDecision decision,
                                         int64_t now_ms);

// Splits (core/intent.h PlanSplits …). The result's action_id is the (first) split's id.
Result<IntentActionResult> CreateSplits(State& state, const std::string& client_id,
                                        const std::string& intent_id,
                                        const std::vector<SplitInput>& inputs,
                                        const std::vector<std::string>& split_ids, int64_t now_ms);
Result<IntentActionResult> UpdateSplit(State& state, const std::string& client_id,
                                       const std::string& intent_id, const std::string& split_id,
                                       const SplitPatch& patch, int64_t now_ms);
Result<IntentActionResult> ReverseSplit(State& state, const std::string& client_id,
                                        const std::string& intent_id, const std::string& split_id,
                                        int64_t now_ms);
// Moves the split's money out of the escrow wallet: COMPLETED, or REJECTED (with the reason in
// its note, nothing moved) when the escrow wallet holds less than SplitAmount.
Result<IntentActionResult> ExecuteSplit(State& state, const std::string& client_id,
                                        const std::string& intent_id, const std::string& split_id,
                                        int64_t now_ms);

// The account a line's seller is paid into: its wallet, or the client's FEES_/CREDIT_ wallet for
// first-party items. Empty kind when the line names no wallet.
AccountKey SellerAccount(const Intent& intent, const LineItem& line);

// Money arriving on the client's escrow wallet (a bank wire from the PSP): `reference` names it
// in the journal (the escrow_bank posting first) and in State::FindEscrowReceipt.
Status ReceiveEscrowFunds(State& state, const std::string& client_id, const std::string& currency,
                          Amount amount, const std::string& reference, int64_t now_ms);
// The escrow wallet's balance.
Amount EscrowBalance(const Book& book, const std::string& client_id, const std::string& currency);
// Funds received on the escrow wallet not yet given to a settlement.
Amount UnallocatedFunds(const Book& book, const std::string& client_id, const std::string& currency);
// What a settlement has received so far.
Amount SettlementFunded(const Book& book, const Settlement& settlement);
// Gives `amount` (> 0, <= UnallocatedFunds) of the received funds to a settlement.
Status FundSettlement(State& state, const Settlement& settlement, Amount amount, int64_t now_ms);
// Records `amount` (signed, != 0) of a funded settlement as money received for an intent.
Status RecordIntentFunding(State& state, const Intent& intent, Amount amount,
                           const std::string& settlement_id, int64_t now_ms);

}  // namespace splitledger::ledger
