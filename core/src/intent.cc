#include "splitledger/core/intent.h"

#include <algorithm>
#include <map>

#include "splitledger/core/allocation.h"

namespace splitledger {
namespace {

constexpr const char* kStatusNames[] = {
    "AUTHORIZED", "PARTIALLY_CAPTURED", "CAPTURED",  "CANCELLED",    "REFUNDED",
    "REFUND_REVERSED", "DISPUTED",      "DEFENDED",  "DISPUTED_WON", "DISPUTED_LOST",
};

// A field of the i-th line of the request (neutral names: dialects spell them).
FieldRef LineField(size_t i, const char* name) { return FieldRef(name, static_cast<int>(i)); }

// Validates one requested line and computes its total.
Status CheckLine(const LineItemInput& in, size_t i, Amount* total_out) {
  if (in.quantity < 1) return Status::Invalid("Quantity must be at least 1", LineField(i, "quantity"));
  if (in.unit_amount < 0) return Status::Invalid("UnitAmount must be >= 0", LineField(i, "unit_amount"));
  if (in.tax_amount < 0) return Status::Invalid("TaxAmount must be >= 0", LineField(i, "tax_amount"));
  if (in.discount_amount < 0) {
    return Status::Invalid("DiscountAmount must be >= 0", LineField(i, "discount_amount"));
  }
  if (in.seller.fees_amount < 0) {
    return Status::Invalid("Seller.FeesAmount must be >= 0", LineField(i, "fees_amount"));
  }
  Amount gross = 0;
  if (!CheckedMul(in.unit_amount, in.quantity, &gross)) {
    return Status::Overflow(LineField(i, "unit_amount"));
  }
  if (in.discount_amount > gross) {
    return Status::Invalid("DiscountAmount can't exceed UnitAmount x Quantity",
                           LineField(i, "discount_amount"));
  }
  Amount total = gross - in.discount_amount;
  if (in.seller.fees_amount > total) {
    return Status::Invalid("Seller.FeesAmount can't exceed the line item's TotalLineItemAmount",
                           LineField(i, "fees_amount"));
  }
  *total_out = total;
  return Status::Ok();
}

// Builds the lines of a create / add-lines request. `base` is the number of existing lines.
// With `ids` null it only validates (nothing is copied): the request-thread preflight.
Result<IntentPlan> PlanNewLines(const CreateIntentInput& input, const std::vector<std::string>* ids,
                                size_t base, Amount existing_amount, Amount existing_fees) {
  if (input.lines.empty()) return Status::Invalid("At least one line item is required", "line_items");
  if (base + input.lines.size() > kMaxLineItems) {
    return Status::Invalid("A maximum of 100 line items can be created per Intent", "line_items");
  }
  if (ids != nullptr && ids->size() != input.lines.size()) {
    return Status::Internal("one line id per line expected");
  }
  IntentPlan plan;
  CheckedSum amount, fees;
  amount += existing_amount;
  fees += existing_fees;
  CheckedSum request_amount, request_fees;
  for (size_t i = 0; i < input.lines.size(); ++i) {
    const LineItemInput& in = input.lines[i];
    Amount total = 0;
    SL_RETURN_IF_ERROR(CheckLine(in, i, &total));
    amount += total;
    fees += in.seller.fees_amount;
    request_amount += total;
    request_fees += in.seller.fees_amount;
    if (!amount.ok() || !fees.ok()) return Status::Overflow("amount");
    if (ids == nullptr) continue;
    LineItem line;
    line.id = (*ids)[i];
    line.input = in;
    line.total = total;
    line.fee_initial = in.seller.fees_amount;
    line.fee = in.seller.fees_amount;
    LineDelta delta;
    delta.line_index = base + i;
    delta.authorized = line.total;
    delta.fee_added = line.fee;
    plan.deltas.push_back(delta);
    plan.new_lines.push_back(std::move(line));
  }
  if (input.amount && *input.amount != request_amount.value()) {
    return Status::Rule("Amount must equal the sum of the line items' TotalLineItemAmount (" +
                            std::to_string(request_amount.value()) + ")",
                        "amount");
  }
  if (input.platform_fees && *input.platform_fees != request_fees.value()) {
    return Status::Rule("PlatformFeesAmount must equal the sum of the line items' "
                        "Seller.FeesAmount (" + std::to_string(request_fees.value()) + ")",
                        "platform_fees");
  }
  plan.new_status = IntentStatus::kAuthorized;
  return plan;
}

// Per-line amounts of a partial action: resolves ids, sums duplicates, checks the total.
struct ResolvedLine {
  size_t index;
  Amount amount;
  std::optional<Amount> fees_amount;
};

Result<std::vector<ResolvedLine>> ResolvePartialLines(const Intent& intent, const ActionInput& in) {
  if (in.lines.empty()) {
    return Status::Invalid("LineItems are required for a partial action", "line_items");
  }
  if (!in.amount) return Status::Invalid("Amount is required for a partial action", "amount");
  if (*in.amount <= 0) return Status::Invalid("Amount must be greater than 0", "amount");
  if (in.currency && *in.currency != intent.currency) {
    return Status::Invalid("Currency must be the intent's currency (" + intent.currency + ")",
                           "currency");
  }
  std::map<size_t, size_t> slot_of;  // line index -> position in `out`, keeps request order
  std::vector<ResolvedLine> out;
  CheckedSum sum;
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const LineAmountInput& l = in.lines[i];
    int idx = intent.FindLine(l.line_item_id);
    if (idx < 0) {
      return Status::Invalid("Unknown line item '" + l.line_item_id.substr(0, 64) + "'",
                             LineField(i, "line_item_id"));
    }
    if (l.amount <= 0) return Status::Invalid("Amount must be greater than 0", LineField(i, "amount"));
    if (l.fees_amount && *l.fees_amount < 0) {
      return Status::Invalid("FeesAmount must be >= 0", LineField(i, "fee_part"));
    }
    sum += l.amount;
    if (!sum.ok()) return Status::Overflow("amount");
    auto [it, inserted] = slot_of.emplace(static_cast<size_t>(idx), out.size());
    if (inserted) {
      out.push_back({static_cast<size_t>(idx), l.amount, l.fees_amount});
    } else {
      ResolvedLine& r = out[it->second];
      r.amount += l.amount;  // bounded by `sum`, cannot overflow
      if (l.fees_amount) {
        Amount f = r.fees_amount.value_or(0);
        if (!CheckedAdd(f, *l.fees_amount, &f)) return Status::Overflow(LineField(i, "fee_part"));
        r.fees_amount = f;
      }
    }
  }
  if (sum.value() != *in.amount) {
    return Status::Rule("Amount must equal LineItems amounts (" + std::to_string(sum.value()) + ")",
                        "amount");
  }
  return out;
}

bool AllRemainingZero(const Intent& intent, const std::vector<LineDelta>& deltas) {
  std::vector<Amount> remaining;
  remaining.reserve(intent.lines.size());
  for (const LineItem& l : intent.lines) remaining.push_back(l.remaining());
  for (const LineDelta& d : deltas) remaining[d.line_index] -= d.captured + d.cancelled;
  for (Amount r : remaining) {
    if (r != 0) return false;
  }
  return true;
}

ActionRecord MakeRecord(ActionKind kind, std::string id, int64_t now, const ActionInput& in,
                        const std::vector<LineDelta>& deltas) {
  static constexpr const char* kRecordStatus[] = {"CAPTURED", "CANCELLED", "REFUNDED",
                                                  "REFUND_REVERSED", "DISPUTED"};
  ActionRecord rec;
  rec.kind = kind;
  rec.id = std::move(id);
  rec.created_at = now;
  rec.updated_at = now;
  rec.status = kRecordStatus[static_cast<int>(kind)];
  rec.external = in.external;
  for (const LineDelta& d : deltas) {
    Amount a = 0;
    switch (kind) {
      case ActionKind::kCapture: a = d.captured; break;
      case ActionKind::kCancel: a = d.cancelled; break;
      case ActionKind::kRefund: a = d.refunded; break;
      case ActionKind::kRefundReversal: a = d.unrefunded; break;
      case ActionKind::kDispute: a = d.disputed; break;
    }
    rec.amount += a;
    rec.lines.push_back({d.line_index, a, d.fee_removed, d.fee_restored});
  }
  return rec;
}

}  // namespace

const char* ActionKindName(ActionKind kind) {
  static constexpr const char* kNames[] = {"capture", "cancel", "refund", "refund_reversal", "dispute"};
  return kNames[static_cast<int>(kind)];
}

std::optional<ActionKind> ParseActionKind(std::string_view name) {
  for (ActionKind k : {ActionKind::kCapture, ActionKind::kCancel, ActionKind::kRefund,
                       ActionKind::kRefundReversal, ActionKind::kDispute}) {
    if (name == ActionKindName(k)) return k;
  }
  return std::nullopt;
}

const char* DisputeDecisionName(DisputeDecision d) {
  static constexpr const char* kNames[] = {"DEFENDED", "DISPUTED_WON", "DISPUTED_LOST"};
  return kNames[static_cast<int>(d)];
}

std::optional<DisputeDecision> ParseDisputeDecision(std::string_view name) {
  for (DisputeDecision d : {DisputeDecision::kDefended, DisputeDecision::kWon, DisputeDecision::kLost}) {
    if (name == DisputeDecisionName(d)) return d;
  }
  return std::nullopt;
}

const char* IntentStatusName(IntentStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

std::optional<IntentStatus> ParseIntentStatus(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i) {
    if (name == kStatusNames[i]) return static_cast<IntentStatus>(i);
  }
  return std::nullopt;
}

const char* IntentNextActions(IntentStatus status) {
  switch (status) {
    case IntentStatus::kAuthorized: return "CAPTURE, CANCEL";
    case IntentStatus::kPartiallyCaptured: return "CAPTURE, REFUND, DISPUTE";
    case IntentStatus::kCaptured: return "REFUND, DISPUTE";
    case IntentStatus::kCancelled: return nullptr;
    case IntentStatus::kRefunded: return "REVERSE_REFUND";
    case IntentStatus::kRefundReversed: return "REFUND, DISPUTE";
    case IntentStatus::kDisputed: return "DEFEND, WIN_DISPUTE, LOSE_DISPUTE";
    case IntentStatus::kDefended: return "WIN_DISPUTE, LOSE_DISPUTE";
    case IntentStatus::kDisputedWon: return "REFUND, DISPUTE";
    case IntentStatus::kDisputedLost: return "";
  }
  return nullptr;
}

Amount Intent::amount() const {
  Amount s = 0;
  for (const LineItem& l : lines) s += l.total;
  return s;
}

Amount Intent::platform_fees() const {
  Amount s = 0;
  for (const LineItem& l : lines) s += l.fee;
  return s;
}

Amount Intent::available_to_split() const {
  Amount s = 0;
  for (const LineItem& l : lines) s += l.captured - l.refunded - l.disputed - l.split;
  return s;
}

int Intent::FindLine(std::string_view line_id) const {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].id == line_id) return static_cast<int>(i);
  }
  return -1;
}

int Intent::FindAction(ActionKind kind, std::string_view action_id) const {
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind == kind && actions[i].id == action_id) return static_cast<int>(i);
  }
  return -1;
}

bool Intent::HasCapture() const {
  for (const ActionRecord& a : actions) {
    if (a.kind == ActionKind::kCapture) return true;
  }
  return false;
}

Intent NewIntent(const CreateIntentInput& input, std::string id, std::string client_id,
                 int64_t now) {
  Intent intent;
  intent.id = std::move(id);
  intent.client_id = std::move(client_id);
  intent.currency = input.currency;
  intent.status = IntentStatus::kAuthorized;
  intent.created_at = now;
  intent.execution_date = now;
  intent.external = input.external;
  intent.buyer_id = input.buyer_id;
  intent.unfunded_amount = input.unfunded_amount;
  return intent;
}

namespace {
Result<IntentPlan> PlanCreateOrCheck(const CreateIntentInput& input, const std::vector<std::string>* line_ids) {
  auto currency = ParseCurrency(input.currency);
  if (!currency.ok()) return currency.status();
  if (input.amount && *input.amount < 0) return Status::Invalid("Amount must be >= 0", "amount");
  if (input.unfunded_amount < 0) return Status::Invalid("UnfundedAmount must be >= 0", "unfunded_amount");
  return PlanNewLines(input, line_ids, 0, 0, 0);
}
}  // namespace

Result<IntentPlan> PlanCreate(const CreateIntentInput& input, const std::vector<std::string>& line_ids) {
  return PlanCreateOrCheck(input, &line_ids);
}

Status CheckCreate(const CreateIntentInput& input) { return PlanCreateOrCheck(input, nullptr).status(); }

Result<IntentPlan> PlanAddLines(const Intent& intent, const CreateIntentInput& input,
                                const std::vector<std::string>& line_ids) {
  if (intent.status != IntentStatus::kAuthorized) {
    return Status::Rule("Line items can only be added to an AUTHORIZED intent", "status");
  }
  if (input.currency != intent.currency) {
    return Status::Rule("Currency must be the existing intent's currency (" + intent.currency + ")",
                        "currency");
  }
  auto plan = PlanNewLines(input, &line_ids, intent.lines.size(), intent.amount(),
                           intent.platform_fees());
  if (plan.ok()) plan->new_status = intent.status;
  return plan;
}

Result<IntentPlan> PlanCapture(const Intent& intent, const ActionInput& input, std::string capture_id,
                               int64_t now) {
  IntentPlan plan;
  if (!input.partial) {
    if (intent.HasCapture()) {
      return Status::Rule("Partial capture already done so full capture not allowed", "status");
    }
    if (intent.status != IntentStatus::kAuthorized) {
      return Status::Rule("Intent must be AUTHORIZED to be captured", "status");
    }
    for (size_t i = 0; i < intent.lines.size(); ++i) {
      Amount r = intent.lines[i].remaining();
      if (r > 0) plan.deltas.push_back({.line_index = i, .captured = r});
    }
  } else {
    if (intent.status != IntentStatus::kAuthorized &&
        intent.status != IntentStatus::kPartiallyCaptured) {
      return Status::Rule("Intent must be AUTHORIZED or PARTIALLY_CAPTURED to be captured",
                          "status");
    }
    auto lines = ResolvePartialLines(intent, input);
    if (!lines.ok()) return lines.status();
    for (const ResolvedLine& r : *lines) {
      if (r.amount > intent.lines[r.index].remaining()) {
        return Status::Rule("Capture Amount for a line item can't exceed authorized amount for the "
                            "same line item",
                            "line_items");
      }
      plan.deltas.push_back({.line_index = r.index, .captured = r.amount});
    }
  }
  if (plan.deltas.empty()) return Status::Rule("Nothing left to capture", "amount");
  plan.new_status = AllRemainingZero(intent, plan.deltas) ? IntentStatus::kCaptured
                                                          : IntentStatus::kPartiallyCaptured;
  plan.action = MakeRecord(ActionKind::kCapture, std::move(capture_id), now, input, plan.deltas);
  return plan;
}

namespace {

// The fee parts a partial cancel or refund states: per line (FeesAmount) or top-level
// (PlatformFeesAmount, allocated over the lines by amount). Empty optionals: compute pro rata.
Result<std::vector<std::optional<Amount>>> StatedFeeParts(const std::vector<ResolvedLine>& lines,
                                                          const ActionInput& input) {
  std::vector<std::optional<Amount>> out;
  bool any_line_fee = false;
  for (const ResolvedLine& r : lines) {
    any_line_fee |= r.fees_amount.has_value();
    out.push_back(r.fees_amount);
  }
  if (!input.platform_fees) return out;
  if (!any_line_fee) {
    if (*input.platform_fees < 0) {
      return Status::Invalid("PlatformFeesAmount must be >= 0", "platform_fees");
    }
    // A top-level fee part with no per-line parts is spread over the lines by amount.
    std::vector<Amount> weights;
    for (const ResolvedLine& r : lines) weights.push_back(r.amount);
    auto parts = Allocate(*input.platform_fees, weights);
    if (!parts.ok()) return parts.status();
    for (size_t k = 0; k < lines.size(); ++k) out[k] = (*parts)[k];
    return out;
  }
  // Stated parts are only bounded by the line fees later: sum them checked.
  CheckedSum sum;
  for (const ResolvedLine& r : lines) sum += r.fees_amount.value_or(0);
  if (!sum.ok()) return Status::Overflow("platform_fees");
  if (sum.value() != *input.platform_fees) {
    return Status::Rule("PlatformFeesAmount must equal the sum of the line items' FeesAmount",
                        "platform_fees");
  }
  return out;
}

// The fee a cancel or refund takes from line `l`, given how much of the line is gone afterwards
// (cancelled + refunded, `gone_after`). `verb` names the action in messages ("Cancelling").
Result<Amount> FeeRemoved(const LineItem& l, Amount gone_after, std::optional<Amount> stated,
                          const char* verb) {
  Amount kept_after = l.total - gone_after;
  if (stated) {
    if (*stated > l.fee) {
      return Status::Rule(std::string("The fee part can't exceed the line item's remaining fee (") +
                              std::to_string(l.fee) + ")",
                          "line_items");
    }
    if (kept_after == 0 && *stated != l.fee) {
      return Status::Rule(std::string(verb) + " the rest of a line item removes its whole remaining fee (" +
                              std::to_string(l.fee) + ")",
                          "line_items");
    }
    if (l.fee - *stated > kept_after) {
      return Status::Rule("The line item's fee can't exceed its remaining amount", "line_items");
    }
    return *stated;
  }
  // Running totals: the removed share is floor(F·G/T) of the initial fee, so the whole line gone
  // removes exactly F. Earlier stated parts may have removed more already.
  auto removed_so_far = MulDivFloor(l.fee_initial, gone_after, l.total);
  if (!removed_so_far.ok()) return removed_so_far.status();
  Amount target_fee = l.fee_initial - *removed_so_far;
  return l.fee > target_fee ? l.fee - target_fee : 0;
}

// What line `l` holds of its captured money that no split promised: what a dispute can hold.
Amount Disputable(const LineItem& l) { return l.captured - l.refunded - l.disputed - l.split; }

// What a refund can take from line `index`: what a dispute can hold, plus what executed splits
// paid out (taken back from the seller). Splits not executed yet must be reversed first.
Amount Refundable(const Intent& intent, size_t index) {
  Amount executed = 0;
  for (const Split& sp : intent.splits) {
    if (sp.line_index == index && sp.executed()) executed += sp.amount - sp.refunded;
  }
  return Disputable(intent.lines[index]) + executed;
}

// A refund of `excess` beyond what line `index` holds unsplit is taken back from the line's
// executed splits, newest first; each gives back its fee share pro rata (running totals).
void TakeBackFromSplits(const Intent& intent, size_t index, Amount excess, int64_t now,
                        IntentPlan& plan) {
  for (size_t k = intent.splits.size(); k-- > 0 && excess > 0;) {
    const Split& sp = intent.splits[k];
    if (sp.line_index != index || !sp.executed()) continue;
    Amount t = std::min(excess, sp.amount - sp.refunded);
    if (t <= 0) continue;
    excess -= t;
    SplitChange ch;
    ch.index = k;
    ch.after = sp;
    ch.after.refunded += t;
    // fees·refunded/amount, floored: the whole split refunded gives back exactly its fees.
    Amount fees_after = static_cast<Amount>(static_cast<__int128>(sp.fees) * ch.after.refunded / sp.amount);
    ch.fees_take_back = fees_after - sp.fees_refunded;
    ch.seller_take_back = t - ch.fees_take_back;
    ch.after.fees_refunded = fees_after;
    ch.after.status = SplitStatus::kRefundSplitPending;  // the ledger settles it
    ch.after.updated_at = now;
    plan.split_changes.push_back(std::move(ch));
  }
}

// The lines of a partial cancel or refund: each requested amount at most `limit(line)` (else
// the rule `too_much(limit)`), each line's fee part stated or pro rata, each delta built by
// `delta(line index, amount, fee removed)`. `verb` names the action in messages.
// `limit(line index)`.
template <class Limit, class TooMuch, class Delta>
Status PlanPartialWithFees(const Intent& intent, const ActionInput& input, IntentPlan& plan,
                           const char* verb, Limit limit, TooMuch too_much, Delta delta) {
  auto lines = ResolvePartialLines(intent, input);
  if (!lines.ok()) return lines.status();
  auto stated = StatedFeeParts(*lines, input);
  if (!stated.ok()) return stated.status();
  for (size_t k = 0; k < lines->size(); ++k) {
    const ResolvedLine& r = (*lines)[k];
    const LineItem& l = intent.lines[r.index];
    Amount most = limit(r.index);
    if (r.amount > most) return Status::Rule(too_much(most), "line_items");
    // What is gone from the line afterwards: cancelled + refunded, this action included.
    auto fee = FeeRemoved(l, l.cancelled + l.refunded + r.amount, (*stated)[k], verb);
    if (!fee.ok()) return fee.status();
    plan.deltas.push_back(delta(r.index, r.amount, *fee));
  }
  return Status::Ok();
}

}  // namespace

Result<IntentPlan> PlanCancel(const Intent& intent, const ActionInput& input, std::string cancel_id,
                              int64_t now) {
  if (intent.status != IntentStatus::kAuthorized) {
    return Status::Rule("Intent must be AUTHORIZED to be canceled", "status");
  }
  IntentPlan plan;
  if (!input.partial) {
    for (size_t i = 0; i < intent.lines.size(); ++i) {
      const LineItem& l = intent.lines[i];
      if (l.remaining() > 0 || l.fee > 0) {
        plan.deltas.push_back({.line_index = i, .cancelled = l.remaining(), .fee_removed = l.fee});
      }
    }
  } else {
    SL_RETURN_IF_ERROR(PlanPartialWithFees(
        intent, input, plan, "Cancelling",
        [&](size_t i) { return intent.lines[i].remaining(); },
        [](Amount) {
          return std::string(
              "Cancel Amount for a line item can't exceed its amount still to be captured or "
              "cancelled");
        },
        [](size_t i, Amount a, Amount fee) {
          return LineDelta{.line_index = i, .cancelled = a, .fee_removed = fee};
        }));
  }
  if (plan.deltas.empty()) return Status::Rule("Nothing left to cancel", "amount");
  plan.new_status =
      AllRemainingZero(intent, plan.deltas) ? IntentStatus::kCancelled : IntentStatus::kAuthorized;
  plan.action = MakeRecord(ActionKind::kCancel, std::move(cancel_id), now, input, plan.deltas);
  return plan;
}

Result<IntentPlan> PlanRefund(const Intent& intent, const ActionInput& input, std::string refund_id,
                              int64_t now) {
  if (!intent.HasCapture()) {
    return Status::Rule("Intent must be captured to be refunded; cancel it instead", "status");
  }
  IntentPlan plan;
  if (!input.partial) {
    for (size_t i = 0; i < intent.lines.size(); ++i) {
      const LineItem& l = intent.lines[i];
      Amount r = Refundable(intent, i);
      if (r <= 0) continue;
      auto fee = FeeRemoved(l, l.cancelled + l.refunded + r, std::nullopt, "Refunding");
      if (!fee.ok()) return fee.status();
      plan.deltas.push_back({.line_index = i, .fee_removed = *fee, .refunded = r});
    }
  } else {
    SL_RETURN_IF_ERROR(PlanPartialWithFees(
        intent, input, plan, "Refunding", [&](size_t i) { return Refundable(intent, i); },
        [](Amount limit) {
          return "Refund Amount for a line item can't exceed its captured amount not yet refunded, "
                 "disputed or promised to a split not yet executed (" + std::to_string(limit) + ")";
        },
        [](size_t i, Amount a, Amount fee) {
          return LineDelta{.line_index = i, .fee_removed = fee, .refunded = a};
        }));
  }
  if (plan.deltas.empty()) return Status::Rule("Nothing left to refund", "amount");
  for (LineDelta& d : plan.deltas) {
    Amount excess = d.refunded - Disputable(intent.lines[d.line_index]);
    if (excess <= 0) continue;
    d.split_released = excess;
    TakeBackFromSplits(intent, d.line_index, excess, now, plan);
  }
  // REFUNDED once nothing captured or authorised is left.
  std::vector<Amount> left(intent.lines.size());
  for (size_t i = 0; i < intent.lines.size(); ++i) {
    left[i] = intent.lines[i].captured - intent.lines[i].refunded + intent.lines[i].remaining();
  }
  for (const LineDelta& d : plan.deltas) left[d.line_index] -= d.refunded;
  bool all_refunded = std::all_of(left.begin(), left.end(), [](Amount a) { return a == 0; });
  plan.new_status = all_refunded ? IntentStatus::kRefunded : intent.status;
  plan.action = MakeRecord(ActionKind::kRefund, std::move(refund_id), now, input, plan.deltas);
  return plan;
}

Result<IntentPlan> PlanRefundReversal(const Intent& intent, std::string_view refund_id,
                                      const ActionInput& input, std::string reversal_id,
                                      int64_t now) {
  int refund_index = intent.FindAction(ActionKind::kRefund, refund_id);
  if (refund_index < 0) return Status::NotFound("Refund not found", "refund_id");
  const ActionRecord& refund = intent.actions[refund_index];
  // Per line: what the refund took and earlier reversals of it did not give back.
  std::map<size_t, std::pair<Amount, Amount>> open;  // line -> (amount, fee) still reversible
  for (const ActionLine& al : refund.lines) {
    auto& o = open[al.line_index];
    o.first += al.amount;
    o.second += al.fee_removed;
  }
  for (const ActionRecord& a : intent.actions) {
    if (a.kind != ActionKind::kRefundReversal || a.parent_id != refund.id) continue;
    for (const ActionLine& al : a.lines) {
      auto& o = open[al.line_index];
      o.first -= al.amount;
      o.second -= al.fee_restored;
    }
  }
  std::vector<ResolvedLine> wanted;
  if (!input.partial) {
    for (const auto& [idx, o] : open) {
      if (o.first > 0) wanted.push_back({idx, o.first, std::nullopt});
    }
  } else {
    auto lines = ResolvePartialLines(intent, input);
    if (!lines.ok()) return lines.status();
    wanted = std::move(*lines);
  }
  IntentPlan plan;
  for (const ResolvedLine& r : wanted) {
    auto it = open.find(r.index);
    Amount reversible = it == open.end() ? 0 : it->second.first;
    if (r.amount > reversible) {
      return Status::Rule("Reversal Amount for a line item can't exceed what the refund took and was "
                          "not yet reversed (" + std::to_string(reversible) + ")",
                          "line_items");
    }
    const LineItem& l = intent.lines[r.index];
    Amount fee_left = it->second.second;  // fee this refund took and has not given back
    // The fee the line may hold once less of it is gone, pro rata, and never more than the refund
    // took: with nothing else in between, a whole reversal gives back exactly what it took.
    auto removed = MulDivFloor(l.fee_initial, l.cancelled + l.refunded - r.amount, l.total);
    if (!removed.ok()) return removed.status();
    Amount target = l.fee_initial - *removed;
    Amount restored = std::clamp<Amount>(target - l.fee, 0, fee_left);
    plan.deltas.push_back({.line_index = r.index, .unrefunded = r.amount, .fee_restored = restored});
  }
  if (plan.deltas.empty()) return Status::Rule("Nothing left to reverse on this refund", "amount");
  plan.new_status = IntentStatus::kRefundReversed;
  plan.action = MakeRecord(ActionKind::kRefundReversal, std::move(reversal_id), now, input, plan.deltas);
  plan.action->parent_id = refund.id;
  plan.update = ActionUpdate{static_cast<size_t>(refund_index), "REFUND_REVERSED", now};
  return plan;
}

Result<IntentPlan> PlanDispute(const Intent& intent, std::string_view capture_id,
                               const ActionInput& input, std::string dispute_id, int64_t now) {
  int capture_index = intent.FindAction(ActionKind::kCapture, capture_id);
  if (capture_index < 0) return Status::NotFound("Capture not found", "capture_id");
  const ActionRecord& capture = intent.actions[capture_index];
  // Per line: what the capture took less what its disputes still hold.
  std::map<size_t, Amount> open;
  for (const ActionLine& al : capture.lines) open[al.line_index] += al.amount;
  for (const ActionRecord& a : intent.actions) {
    if (!a.ActiveDispute() || a.parent_id != capture.id) continue;
    for (const ActionLine& al : a.lines) open[al.line_index] -= al.amount;
  }
  IntentPlan plan;
  if (!input.partial) {
    for (const auto& [idx, o] : open) {
      Amount d = std::min(o, Disputable(intent.lines[idx]));
      if (d > 0) plan.deltas.push_back({.line_index = idx, .disputed = d});
    }
  } else {
    auto lines = ResolvePartialLines(intent, input);
    if (!lines.ok()) return lines.status();
    for (const ResolvedLine& r : *lines) {
      auto it = open.find(r.index);
      Amount limit = std::min(it == open.end() ? 0 : it->second, Disputable(intent.lines[r.index]));
      if (r.amount > limit) {
        return Status::Rule("Dispute Amount for a line item can't exceed what the capture took and "
                            "is neither refunded, disputed nor split (" + std::to_string(limit) + ")",
                            "line_items");
      }
      plan.deltas.push_back({.line_index = r.index, .disputed = r.amount});
    }
  }
  if (plan.deltas.empty()) return Status::Rule("Nothing left to dispute on this capture", "amount");
  std::vector<Amount> left(intent.lines.size());
  for (size_t i = 0; i < intent.lines.size(); ++i) {
    left[i] = intent.lines[i].captured - intent.lines[i].refunded - intent.lines[i].disputed;
  }
  for (const LineDelta& d : plan.deltas) left[d.line_index] -= d.disputed;
  bool all_disputed = std::all_of(left.begin(), left.end(), [](Amount a) { return a == 0; });
  plan.new_status = all_disputed ? IntentStatus::kDisputed : intent.status;
  plan.action = MakeRecord(ActionKind::kDispute, std::move(dispute_id), now, input, plan.deltas);
  plan.action->parent_id = capture.id;
  return plan;
}

Result<IntentPlan> PlanDisputeDecision(const Intent& intent, std::string_view capture_id,
                                       std::string_view dispute_id, DisputeDecision decision,
                                       int64_t now) {
  if (intent.FindAction(ActionKind::kCapture, capture_id) < 0) {
    return Status::NotFound("Capture not found", "capture_id");
  }
  int index = intent.FindAction(ActionKind::kDispute, dispute_id);
  if (index < 0 || intent.actions[index].parent_id != capture_id) {
    return Status::NotFound("Dispute not found", "dispute_id");
  }
  const ActionRecord& dispute = intent.actions[index];
  bool allowed = (dispute.status == "DISPUTED") ||
                 (dispute.status == "DEFENDED" && decision != DisputeDecision::kDefended);
  if (!allowed) {
    return Status::Rule(std::string("A dispute in status ") + dispute.status + " can't be decided " +
                            DisputeDecisionName(decision),
                        "decision");
  }
  IntentPlan plan;
  if (decision == DisputeDecision::kWon) {
    for (const ActionLine& al : dispute.lines) {
      plan.deltas.push_back({.line_index = al.line_index, .released = al.amount});
    }
  }
  bool other_open = false;
  for (const ActionRecord& a : intent.actions) {
    // Open: not decided for good (DISPUTED, or DEFENDED and still to be won or lost).
    if (a.kind == ActionKind::kDispute && a.id != dispute.id &&
        (a.status == "DISPUTED" || a.status == "DEFENDED")) {
      other_open = true;
    }
  }
  bool takes_decision = (intent.status == IntentStatus::kDisputed ||
                         intent.status == IntentStatus::kDefended) && !other_open;
  static constexpr IntentStatus kDecisionStatus[] = {IntentStatus::kDefended, IntentStatus::kDisputedWon,
                                                     IntentStatus::kDisputedLost};
  plan.new_status = takes_decision ? kDecisionStatus[static_cast<int>(decision)] : intent.status;
  plan.update = ActionUpdate{static_cast<size_t>(index), DisputeDecisionName(decision), now};
  return plan;
}

void ApplyPlan(Intent& intent, IntentPlan plan) {
  for (LineItem& l : plan.new_lines) intent.lines.push_back(std::move(l));
  for (const LineDelta& d : plan.deltas) {
    LineItem& l = intent.lines[d.line_index];
    l.captured += d.captured;
    l.cancelled += d.cancelled;
    l.fee += d.fee_restored - d.fee_removed;
    l.refunded += d.refunded - d.unrefunded;
    l.disputed += d.disputed - d.released;
    l.split += d.split_reserved - d.split_released;
  }
  for (Split& sp : plan.new_splits) intent.splits.push_back(std::move(sp));
  for (SplitChange& ch : plan.split_changes) intent.splits[ch.index] = std::move(ch.after);
  intent.status = plan.new_status;
  if (plan.update) {
    ActionRecord& a = intent.actions[plan.update->index];
    a.status = std::move(plan.update->status);
    a.updated_at = plan.update->at;
  }
  if (plan.action) intent.actions.push_back(std::move(*plan.action));
}

Status CheckInvariants(const Intent& intent) {
  if (intent.lines.size() > kMaxLineItems) return Status::Internal("too many line items");
  for (size_t i = 0; i < intent.lines.size(); ++i) {
    const LineItem& l = intent.lines[i];
    std::string where = intent.id + " line " + std::to_string(i) + ": ";
    if (l.captured < 0 || l.cancelled < 0 || l.refunded < 0 || l.disputed < 0 || l.split < 0) {
      return Status::Internal(where + "negative running total");
    }
    if (l.captured + l.cancelled > l.total) return Status::Internal(where + "captured+cancelled > total");
    if (l.fee < 0 || l.fee > l.fee_initial) return Status::Internal(where + "fee out of [0, initial]");
    if (l.fee > l.total - l.cancelled - l.refunded) {
      return Status::Internal(where + "fee exceeds the amount neither cancelled nor refunded");
    }
    if (l.refunded + l.disputed + l.split > l.captured) {
      return Status::Internal(where + "refunded+disputed+split > captured");
    }
  }
  return Status::Ok();
}

}  // namespace splitledger
