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
// so that every amount an intent shows is a ledger figure (DeriveLine).
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
  std::string action_id;  // the capture / cancel id; empty for create
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

}  // namespace splitledger::ledger
