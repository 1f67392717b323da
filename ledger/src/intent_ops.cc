#include "splitledger/ledger/intent_ops.h"

#include <cctype>

#include "splitledger/core/allocation.h"
#include "splitledger/ledger/chart.h"

namespace splitledger::ledger {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A posting of `amount` when it is positive. The key is copied only then: most calls pass a
// line's payable account for legs that are often zero.
void Add(std::vector<PostingSpec>& out, const AccountKey& key, Side side, Phase phase,
         Amount amount) {
  if (amount > 0) out.push_back({key, side, phase, amount});
}
void Add(std::vector<PostingSpec>& out, AccountKey&& key, Side side, Phase phase, Amount amount) {
  if (amount > 0) out.push_back({std::move(key), side, phase, amount});
}

// Applies plan + postings atomically: postings are checked first, then both are applied.
// `specs` are the plan's postings, already checked by the caller.
IntentActionResult Commit(State& state, Intent& intent, IntentPlan plan,
                          const std::vector<PostingSpec>& specs, const char* kind, int64_t now_s,
                          bool added) {
  std::string action_id = plan.action ? plan.action->id : std::string();
  if (action_id.empty() && plan.update) action_id = intent.actions[plan.update->index].id;
  size_t lines_before = intent.lines.size();
  std::vector<LineDelta> deltas = plan.deltas;
  bool has_action = plan.action.has_value();
  std::optional<size_t> updated;
  if (plan.update) updated = plan.update->index;
  std::vector<size_t> touched_splits;
  for (const SplitChange& ch : plan.split_changes) touched_splits.push_back(ch.index);
  for (size_t k = 0; k < plan.new_splits.size(); ++k) touched_splits.push_back(intent.splits.size() + k);
  if (action_id.empty() && !plan.new_splits.empty()) action_id = plan.new_splits.front().id;
  if (action_id.empty() && !plan.split_changes.empty()) {
    action_id = intent.splits[plan.split_changes.front().index].id;
  }
  ApplyPlan(intent, std::move(plan));
  if (!specs.empty()) {
    state.book().Apply(intent.client_id, kind, action_id.empty() ? intent.id : action_id, now_s,
                       specs);
  }
  state.MarkIntentChanged(intent, deltas, has_action, lines_before, updated, touched_splits);
  return IntentActionResult{&intent, action_id, added};
}

// A refund reaching into executed splits takes their money back from the sellers' (and the FEES)
// wallets to the escrow wallet when they hold it: REFUND_SPLIT_COMPLETED; otherwise nothing moves
// and the split says why: REFUND_SPLIT_REJECTED.
void SettleTakeBacks(const Book& book, const Intent& intent, IntentPlan& plan,
                     std::vector<PostingSpec>& specs) {
  const std::string& c = intent.client_id;
  const std::string& cur = intent.currency;
  // Several splits of one wallet in one refund: count what earlier ones already take.
  std::vector<std::pair<AccountKey, Amount>> taken;
  auto available = [&](const AccountKey& key) {
    Amount t = 0;
    for (const auto& [k, a] : taken) {
      if (k.kind == key.kind && k.ref == key.ref) t += a;
    }
    return book.CreditBalance(key) - t;
  };
  for (SplitChange& ch : plan.split_changes) {
    if (ch.seller_take_back == 0 && ch.fees_take_back == 0) continue;
    AccountKey seller = SellerAccount(intent, intent.lines[ch.after.line_index]);
    AccountKey fees = chart::Key(c, cur, chart::kFeesWallet);
    Amount seller_has = available(seller);
    Amount fees_has = available(fees);
    if (seller.kind.empty() || seller_has < ch.seller_take_back || fees_has < ch.fees_take_back) {
      ch.after.status = SplitStatus::kRefundSplitRejected;
      ch.after.note = "refund of " + std::to_string(ch.seller_take_back + ch.fees_take_back) +
                      " not taken back: the seller wallet holds " + std::to_string(seller_has) +
                      " of " + std::to_string(ch.seller_take_back) + ", the FEES wallet " +
                      std::to_string(fees_has) + " of " + std::to_string(ch.fees_take_back);
      continue;
    }
    Add(specs, seller, Side::kDebit, Phase::kPosted, ch.seller_take_back);
    Add(specs, fees, Side::kDebit, Phase::kPosted, ch.fees_take_back);
    Add(specs, chart::Key(c, cur, chart::kEscrow), Side::kCredit, Phase::kPosted,
        ch.seller_take_back + ch.fees_take_back);
    taken.emplace_back(seller, ch.seller_take_back);
    taken.emplace_back(fees, ch.fees_take_back);
    ch.after.status = SplitStatus::kRefundSplitCompleted;
    ch.after.taken_back += ch.seller_take_back;
    ch.after.fees_taken_back += ch.fees_take_back;
    ch.after.note.clear();
  }
}

// Checks a plan's postings and applies both, or returns why not having changed nothing.
Result<IntentActionResult> CheckAndCommit(State& state, Intent& intent, Result<IntentPlan> plan,
                                          const char* kind, int64_t now_ms) {
  if (!plan.ok()) return plan.status();
  std::vector<PostingSpec> specs = PlanPostings(intent, *plan);
  SettleTakeBacks(state.book(), intent, *plan, specs);
  SL_RETURN_IF_ERROR(state.book().Check(specs));
  return Commit(state, intent, std::move(*plan), specs, kind, now_ms / 1000, false);
}

}  // namespace

std::vector<PostingSpec> PlanPostings(const Intent& intent, const IntentPlan& plan) {
  const std::string& c = intent.client_id;
  const std::string& cur = intent.currency;
  AccountKey receivable = chart::Key(c, cur, chart::kPspReceivable, Upper(intent.external.provider_name));
  std::vector<PostingSpec> out;
  out.reserve(plan.deltas.size() * 4 + 4);  // a capture or a create: three or four per line
  Amount pending = 0, release = 0, posted = 0;  // receivable debit legs, aggregated
  Amount receivable_credit = 0;                 // and its posted credit leg
  auto line_id = [&](size_t idx) -> const std::string& {
    size_t existing = intent.lines.size();
    return idx < existing ? intent.lines[idx].id : plan.new_lines[idx - existing].id;
  };
  for (const LineDelta& d : plan.deltas) {
    const std::string& li = line_id(d.line_index);
    AccountKey payable = chart::Key(c, cur, chart::kLinePayable, li);
    Add(out, payable, Side::kCredit, Phase::kPending, d.authorized);
    pending += d.authorized;
    Add(out, payable, Side::kCredit, Phase::kRelease, d.captured + d.cancelled);
    release += d.captured + d.cancelled;
    Add(out, payable, Side::kCredit, Phase::kPosted, d.captured);
    posted += d.captured;
    if (d.cancelled > 0) {
      Add(out, chart::Key(c, cur, chart::kCancelMemo), Side::kDebit, Phase::kPosted, d.cancelled);
      Add(out, chart::Key(c, cur, chart::kLineCancelled, li), Side::kCredit, Phase::kPosted,
          d.cancelled);
    }
    if (d.fee_added > 0) {
      Add(out, chart::Key(c, cur, chart::kFeeMemo), Side::kDebit, Phase::kPosted, d.fee_added);
      Add(out, chart::Key(c, cur, chart::kLineFee, li), Side::kCredit, Phase::kPosted, d.fee_added);
    }
    if (d.fee_removed > 0) {
      Add(out, chart::Key(c, cur, chart::kLineFee, li), Side::kDebit, Phase::kPosted, d.fee_removed);
      Add(out, chart::Key(c, cur, chart::kFeeMemo), Side::kCredit, Phase::kPosted, d.fee_removed);
    }
    if (d.fee_restored > 0) {
      Add(out, chart::Key(c, cur, chart::kFeeMemo), Side::kDebit, Phase::kPosted, d.fee_restored);
      Add(out, chart::Key(c, cur, chart::kLineFee, li), Side::kCredit, Phase::kPosted, d.fee_restored);
    }
    // Money leaving the line (refund, dispute) and coming back (reversal, dispute won), each
    // with its memo pair so that the line shows how much is refunded and disputed.
    auto out_of_line = [&](Amount amount, std::string_view memo_line, std::string_view memo) {
      if (amount <= 0) return;
      Add(out, payable, Side::kDebit, Phase::kPosted, amount);
      receivable_credit += amount;
      Add(out, chart::Key(c, cur, memo), Side::kDebit, Phase::kPosted, amount);
      Add(out, chart::Key(c, cur, memo_line, li), Side::kCredit, Phase::kPosted, amount);
    };
    auto back_to_line = [&](Amount amount, std::string_view memo_line, std::string_view memo) {
      if (amount <= 0) return;
      Add(out, payable, Side::kCredit, Phase::kPosted, amount);
      posted += amount;
      Add(out, chart::Key(c, cur, memo_line, li), Side::kDebit, Phase::kPosted, amount);
      Add(out, chart::Key(c, cur, memo), Side::kCredit, Phase::kPosted, amount);
    };
    if (d.split_released > 0) {  // before a refund that takes from it
      Add(out, chart::Key(c, cur, chart::kLineSplit, li), Side::kDebit, Phase::kPosted, d.split_released);
      Add(out, payable, Side::kCredit, Phase::kPosted, d.split_released);
    }
    if (d.split_reserved > 0) {
      Add(out, payable, Side::kDebit, Phase::kPosted, d.split_reserved);
      Add(out, chart::Key(c, cur, chart::kLineSplit, li), Side::kCredit, Phase::kPosted, d.split_reserved);
    }
    out_of_line(d.refunded, chart::kLineRefunded, chart::kRefundMemo);
    back_to_line(d.unrefunded, chart::kLineRefunded, chart::kRefundMemo);
    out_of_line(d.disputed, chart::kLineDisputed, chart::kDisputeMemo);
    back_to_line(d.released, chart::kLineDisputed, chart::kDisputeMemo);
  }
  Add(out, receivable, Side::kDebit, Phase::kPending, pending);
  Add(out, receivable, Side::kDebit, Phase::kRelease, release);
  Add(out, receivable, Side::kDebit, Phase::kPosted, posted);
  Add(out, receivable, Side::kCredit, Phase::kPosted, receivable_credit);
  return out;
}

LineFigures DeriveLine(const Book& book, const Intent& intent, const LineItem& line) {
  LineFigures f;
  const std::string& c = intent.client_id;
  const std::string& cur = intent.currency;
  if (const Account* p = book.Find(c, cur, chart::kLinePayable, line.id)) {
    f.remaining = p->credits_pending;
    f.available = p->credit_balance();
  }
  auto memo = [&](std::string_view kind) {
    const Account* x = book.Find(c, cur, kind, line.id);
    return x == nullptr ? Amount{0} : x->credit_balance();
  };
  f.cancelled = memo(chart::kLineCancelled);
  f.fee = memo(chart::kLineFee);
  f.refunded = memo(chart::kLineRefunded);
  f.disputed = memo(chart::kLineDisputed);
  f.split = memo(chart::kLineSplit);
  f.captured = f.available + f.refunded + f.disputed + f.split;
  f.total = f.remaining + f.captured + f.cancelled;
  return f;
}

IntentFigures DeriveIntent(const Book& book, const Intent& intent) {
  IntentFigures out;
  out.lines.reserve(intent.lines.size());
  Amount held = 0;  // captured and neither refunded nor disputed: what the PSP owes for it
  std::vector<Amount> weights;
  for (const LineItem& l : intent.lines) {
    LineFigures f = DeriveLine(book, intent, l);
    out.amount += f.total;
    out.platform_fees += f.fee;
    out.available_to_split += f.available;
    Amount w = f.captured - f.refunded - f.disputed;
    held += w;
    weights.push_back(w);
    out.lines.push_back(f);
  }
  // Strict model (§8.6): what settlements have not yet brought in, spread over the lines by what
  // each holds (exact: the parts sum to the whole).
  const Account* funded = book.Find(intent.client_id, intent.currency, chart::kIntentFunded, intent.id);
  out.unfunded = std::max<Amount>(0, held - (funded == nullptr ? 0 : funded->credit_balance()));
  if (out.unfunded > 0 && out.lines.size() == 1) {
    out.lines[0].unfunded = out.unfunded;  // the common case, without the 128-bit allocation
  } else if (out.unfunded > 0) {
    auto parts = Allocate(out.unfunded, weights);
    if (parts.ok()) {
      for (size_t i = 0; i < parts->size(); ++i) out.lines[i].unfunded = (*parts)[i];
    }
  }
  return out;
}

Result<IntentActionResult> CreateIntent(State& state, const std::string& client_id,
                                        const CreateIntentInput& input, const std::string& intent_id,
                                        const std::vector<std::string>& line_ids, int64_t now_ms) {
  if (intent_id.empty()) return Status::Internal("an intent id is required");
  if (state.FindIntent(client_id, intent_id) != nullptr) {
    return Status(ErrorCode::kAlreadyExists, "Intent " + intent_id + " already exists");
  }
  int64_t now_s = now_ms / 1000;

  if (!input.external.provider_reference.empty()) {
    const Intent* existing = state.FindIntentByReference(client_id, input.external.provider_name,
                                                         input.external.provider_reference);
    if (existing != nullptr) {
      auto plan = PlanAddLines(*existing, input, line_ids);
      if (!plan.ok()) return plan.status();
      Intent* intent = state.MutableIntent(client_id, existing->id);
      std::vector<PostingSpec> specs = PlanPostings(*intent, *plan);
      SL_RETURN_IF_ERROR(state.book().Check(specs));
      return Commit(state, *intent, std::move(*plan), specs, "intent.add_lines", now_s, true);
    }
  }
  auto plan = PlanCreate(input, line_ids);
  if (!plan.ok()) return plan.status();
  // Check the postings against a shell before inserting anything.
  Intent shell = NewIntent(input, intent_id, client_id, now_s);
  std::vector<PostingSpec> specs = PlanPostings(shell, *plan);
  SL_RETURN_IF_ERROR(state.book().Check(specs));
  Intent& intent = state.InsertIntent(std::move(shell));
  return Commit(state, intent, std::move(*plan), specs, "intent.create", now_s, false);
}

namespace {
// Runs `plan_of(intent)` on the client's intent and commits the plan with its postings.
template <class PlanOf>
Result<IntentActionResult> OnIntent(State& state, const std::string& client_id,
                                    const std::string& intent_id, const char* kind, int64_t now_ms,
                                    PlanOf plan_of) {
  Intent* intent = state.MutableIntent(client_id, intent_id);
  if (intent == nullptr) return Status::NotFound("Intent not found", "intent_id");
  return CheckAndCommit(state, *intent, plan_of(*intent), kind, now_ms);
}
}  // namespace

Result<IntentActionResult> CaptureIntent(State& state, const std::string& client_id,
                                         const std::string& intent_id, const ActionInput& input,
                                         const std::string& capture_id, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.capture", now_ms, [&](const Intent& in) {
    return PlanCapture(in, input, capture_id, now_ms / 1000);
  });
}

Result<IntentActionResult> CancelIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        const std::string& cancel_id, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.cancel", now_ms, [&](const Intent& in) {
    return PlanCancel(in, input, cancel_id, now_ms / 1000);
  });
}

Result<IntentActionResult> RefundIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        const std::string& refund_id, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.refund", now_ms, [&](const Intent& in) {
    return PlanRefund(in, input, refund_id, now_ms / 1000);
  });
}

Result<IntentActionResult> ReverseRefund(State& state, const std::string& client_id,
                                         const std::string& intent_id, const std::string& refund_id,
                                         const ActionInput& input, const std::string& reversal_id,
                                         int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.refund_reversal", now_ms,
                  [&](const Intent& in) {
                    return PlanRefundReversal(in, refund_id, input, reversal_id, now_ms / 1000);
                  });
}

Result<IntentActionResult> DisputeCapture(State& state, const std::string& client_id,
                                          const std::string& intent_id,
                                          const std::string& capture_id, const ActionInput& input,
                                          const std::string& dispute_id, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.dispute", now_ms, [&](const Intent& in) {
    return PlanDispute(in, capture_id, input, dispute_id, now_ms / 1000);
  });
}

Result<IntentActionResult> DecideDispute(State& state, const std::string& client_id,
                                         const std::string& intent_id, const std::string& capture_id,
                                         const std::string& dispute_id, DisputeDecision decision,
                                         int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "intent.dispute_decision", now_ms,
                  [&](const Intent& in) {
                    return PlanDisputeDecision(in, capture_id, dispute_id, decision, now_ms / 1000);
                  });
}

AccountKey SellerAccount(const Intent& intent, const LineItem& line) {
  const std::string& wid = line.input.seller.wallet_id;
  const std::string& cur = intent.currency;
  if (wid.empty()) return {};
  if (wid == "FEES_" + cur) return chart::Key(intent.client_id, cur, chart::kFeesWallet);
  if (wid == "CREDIT_" + cur) return chart::Key(intent.client_id, cur, chart::kCreditWallet);
  return chart::Key(intent.client_id, cur, chart::kSellerWallet, wid);
}

Amount EscrowBalance(const Book& book, const std::string& client_id, const std::string& currency) {
  const Account* a = book.Find(client_id, currency, chart::kEscrow);
  return a == nullptr ? 0 : a->credit_balance();
}

Result<IntentActionResult> CreateSplits(State& state, const std::string& client_id,
                                        const std::string& intent_id,
                                        const std::vector<SplitInput>& inputs,
                                        const std::vector<std::string>& split_ids, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "split.create", now_ms, [&](const Intent& in) {
    return PlanSplits(in, inputs, split_ids, now_ms / 1000);
  });
}

Result<IntentActionResult> UpdateSplit(State& state, const std::string& client_id,
                                       const std::string& intent_id, const std::string& split_id,
                                       const SplitPatch& patch, int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "split.update", now_ms, [&](const Intent& in) {
    return PlanSplitUpdate(in, split_id, patch, now_ms / 1000);
  });
}

Result<IntentActionResult> ReverseSplit(State& state, const std::string& client_id,
                                        const std::string& intent_id, const std::string& split_id,
                                        int64_t now_ms) {
  return OnIntent(state, client_id, intent_id, "split.reverse", now_ms, [&](const Intent& in) {
    return PlanSplitReverse(in, split_id, now_ms / 1000);
  });
}

Result<IntentActionResult> ExecuteSplit(State& state, const std::string& client_id,
                                        const std::string& intent_id, const std::string& split_id,
                                        int64_t now_ms) {
  Intent* intent = state.MutableIntent(client_id, intent_id);
  if (intent == nullptr) return Status::NotFound("Intent not found", "intent_id");
  SL_RETURN_IF_ERROR(CheckSplitExecutable(*intent, split_id));
  size_t k = static_cast<size_t>(intent->FindSplit(split_id));
  const Split& sp = intent->splits[k];
  const std::string& c = intent->client_id;
  const std::string& cur = intent->currency;
  IntentPlan plan;
  plan.new_status = intent->status;
  SplitChange ch{k, sp, 0, 0};
  ch.after.updated_at = now_ms / 1000;
  std::vector<PostingSpec> specs;
  AccountKey seller = SellerAccount(*intent, intent->lines[sp.line_index]);
  Amount escrow = EscrowBalance(state.book(), c, cur);
  if (seller.kind.empty()) {
    ch.after.status = SplitStatus::kRejected;
    ch.after.note = "the line item names no seller wallet";
  } else if (escrow < sp.amount) {
    ch.after.status = SplitStatus::kRejected;
    ch.after.note = "the escrow wallet holds " + std::to_string(escrow) + ", the split needs " +
                    std::to_string(sp.amount);
  } else {
    Add(specs, chart::Key(c, cur, chart::kEscrow), Side::kDebit, Phase::kPosted, sp.amount);
    Add(specs, seller, Side::kCredit, Phase::kPosted, sp.amount - sp.fees);
    Add(specs, chart::Key(c, cur, chart::kFeesWallet), Side::kCredit, Phase::kPosted, sp.fees);
    ch.after.status = SplitStatus::kCompleted;
    ch.after.executed_at = now_ms / 1000;
    ch.after.note.clear();
  }
  bool completed = ch.after.status == SplitStatus::kCompleted;
  plan.split_changes.push_back(std::move(ch));
  SL_RETURN_IF_ERROR(state.book().Check(specs));
  auto r = Commit(state, *intent, std::move(plan), specs, "split.execute", now_ms / 1000, false);
  if (completed) state.NoteExecutedSplit(*intent, intent->splits[k]);
  return r;
}

Status ReceiveEscrowFunds(State& state, const std::string& client_id, const std::string& currency,
                          Amount amount, const std::string& reference, int64_t now_ms) {
  if (amount <= 0) return Status::Invalid("Amount must be greater than 0", "amount");
  std::vector<PostingSpec> specs;
  Add(specs, chart::Key(client_id, currency, chart::kEscrowBank), Side::kDebit, Phase::kPosted, amount);
  Add(specs, chart::Key(client_id, currency, chart::kEscrow), Side::kCredit, Phase::kPosted, amount);
  Add(specs, chart::Key(client_id, currency, chart::kFundsMemo), Side::kDebit, Phase::kPosted, amount);
  Add(specs, chart::Key(client_id, currency, chart::kEscrowUnallocated), Side::kCredit, Phase::kPosted,
      amount);
  SL_RETURN_IF_ERROR(state.book().Post(client_id, "escrow.receive", reference, now_ms / 1000, specs));
  state.NoteEscrowReceipt(client_id, currency, reference, amount);
  return Status::Ok();
}

namespace {
Amount CreditBalanceOf(const Book& book, std::string_view client, std::string_view currency,
                       std::string_view kind, std::string_view ref = {}) {
  const Account* a = book.Find(client, currency, kind, ref);
  return a == nullptr ? 0 : a->credit_balance();
}
}  // namespace

Amount UnallocatedFunds(const Book& book, const std::string& client_id, const std::string& currency) {
  return CreditBalanceOf(book, client_id, currency, chart::kEscrowUnallocated);
}

Amount SettlementFunded(const Book& book, const Settlement& s) {
  return CreditBalanceOf(book, s.client_id, s.currency, chart::kSettlementFunded, s.id);
}

Status FundSettlement(State& state, const Settlement& s, Amount amount, int64_t now_ms) {
  std::vector<PostingSpec> specs;
  Add(specs, chart::Key(s.client_id, s.currency, chart::kEscrowUnallocated), Side::kDebit,
      Phase::kPosted, amount);
  Add(specs, chart::Key(s.client_id, s.currency, chart::kSettlementFunded, s.id), Side::kCredit,
      Phase::kPosted, amount);
  return state.book().Post(s.client_id, "settlement.funded", s.id, now_ms / 1000, specs);
}

Status RecordIntentFunding(State& state, const Intent& intent, Amount amount,
                           const std::string& settlement_id, int64_t now_ms) {
  std::vector<PostingSpec> specs;
  AccountKey memo = chart::Key(intent.client_id, intent.currency, chart::kFundingMemo);
  AccountKey funded = chart::Key(intent.client_id, intent.currency, chart::kIntentFunded, intent.id);
  if (amount > 0) {
    Add(specs, memo, Side::kDebit, Phase::kPosted, amount);
    Add(specs, funded, Side::kCredit, Phase::kPosted, amount);
  } else {
    Add(specs, funded, Side::kDebit, Phase::kPosted, -amount);
    Add(specs, memo, Side::kCredit, Phase::kPosted, -amount);
  }
  return state.book().Post(intent.client_id, "intent.funded", settlement_id, now_ms / 1000, specs);
}

}  // namespace splitledger::ledger
