// Splits of an intent (Echo §8.6, §9.4): the plans that reserve, change and release a line's
// money for its seller. Moving money between wallets is the ledger's (ledger/split_ops.h).
#include <algorithm>

#include "splitledger/core/intent.h"

namespace splitledger {
namespace {

constexpr const char* kSplitStatusNames[] = {
    "CREATED",  "PENDING_FUNDS_RECEPTION", "AVAILABLE",           "PENDING",
    "COMPLETED", "REJECTED",               "FAILED",              "REVERSED",
    "REFUND_SPLIT_PENDING", "REFUND_SPLIT_REJECTED", "REFUND_SPLIT_COMPLETED",
};

// A field of the i-th split of a create request; i = -1: of an update's bare body.
FieldRef SplitField(int i, const char* name) { return FieldRef(name, i); }

// What line `index` can still give to splits: captured, not refunded, disputed or split.
Amount Splittable(const LineItem& l) { return l.captured - l.refunded - l.disputed - l.split; }

// The fees a split still holds: a refund reaching into an executed split takes its share back.
Amount HeldFees(const Split& sp) { return sp.fees - sp.fees_refunded; }

// Σ fees held by the intent's active splits but the one at `skip` (SIZE_MAX: none).
Amount ActiveSplitFees(const Intent& intent, size_t skip = SIZE_MAX) {
  Amount sum = 0;  // bounded: every split's fees <= its amount <= a line total
  for (size_t k = 0; k < intent.splits.size(); ++k) {
    if (k != skip && intent.splits[k].active()) sum += HeldFees(intent.splits[k]);
  }
  return sum;
}

// The line's fee not yet held by its active splits: the default FeesAmount of a new split.
Amount UnassignedLineFee(const Intent& intent, size_t line_index) {
  Amount given = 0;
  for (const Split& sp : intent.splits) {
    if (sp.line_index == line_index && sp.active()) given += HeldFees(sp);
  }
  return std::max<Amount>(0, intent.lines[line_index].fee - given);
}

Status CheckAmounts(Amount amount, Amount fees, int i) {
  if (amount <= 0) return Status::Invalid("SplitAmount must be greater than 0", SplitField(i, "split_amount"));
  if (fees < 0) return Status::Invalid("FeesAmount must be >= 0", SplitField(i, "split_fees"));
  if (fees > amount) {
    return Status::Rule("FeesAmount can't exceed SplitAmount", SplitField(i, "split_fees"));
  }
  return Status::Ok();
}

Status CheckFeesWithinPlatformFees(const Intent& intent, Amount fees_after) {
  if (fees_after > intent.platform_fees()) {
    return Status::Rule("The sum of the splits' FeesAmount (" + std::to_string(fees_after) +
                            ") can't exceed the intent's PlatformFeesAmount (" +
                            std::to_string(intent.platform_fees()) + ")",
                        "split_fees");
  }
  return Status::Ok();
}

}  // namespace

const char* SplitStatusName(SplitStatus status) { return kSplitStatusNames[static_cast<int>(status)]; }

std::optional<SplitStatus> ParseSplitStatus(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kSplitStatusNames)); ++i) {
    if (name == kSplitStatusNames[i]) return static_cast<SplitStatus>(i);
  }
  return std::nullopt;
}

int Intent::FindSplit(std::string_view split_id) const {
  for (size_t i = 0; i < splits.size(); ++i) {
    if (splits[i].id == split_id) return static_cast<int>(i);
  }
  return -1;
}

Result<IntentPlan> PlanSplits(const Intent& intent, const std::vector<SplitInput>& inputs,
                              const std::vector<std::string>& ids, int64_t now) {
  if (inputs.empty()) return Status::Invalid("At least one split is required", "splits");
  if (ids.size() != inputs.size()) return Status::Internal("one split id per split expected");
  if (inputs.size() > kMaxLineItems) {
    return Status::Invalid("A maximum of " + std::to_string(kMaxLineItems) + " splits per call", "splits");
  }
  std::vector<Amount> left(intent.lines.size());  // per line, what later splits of the call may take
  std::vector<Amount> fee_left(intent.lines.size());
  for (size_t i = 0; i < intent.lines.size(); ++i) {
    left[i] = Splittable(intent.lines[i]);
    fee_left[i] = UnassignedLineFee(intent, i);
  }
  IntentPlan plan;
  plan.new_status = intent.status;
  Amount fees_after = ActiveSplitFees(intent);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const SplitInput& in = inputs[i];
    int line = intent.FindLine(in.line_item_id);
    if (line < 0) {
      return Status::Invalid("Unknown line item '" + in.line_item_id.substr(0, 64) + "'",
                             SplitField(static_cast<int>(i), "split_line_item_id"));
    }
    Amount fees = in.fees.value_or(std::min(in.amount, fee_left[line]));
    const int at = static_cast<int>(i);
    SL_RETURN_IF_ERROR(CheckAmounts(in.amount, fees, at));
    if (in.amount > left[line]) {
      return Status::Rule("SplitAmount can't exceed what the line item can still split (" +
                              std::to_string(left[line]) + ")",
                          SplitField(at, "split_amount"));
    }
    left[line] -= in.amount;
    fee_left[line] = std::max<Amount>(0, fee_left[line] - fees);
    fees_after += fees;  // each <= a line total: no overflow over 100 splits
    Split sp;
    sp.id = ids[i];
    sp.line_index = static_cast<size_t>(line);
    sp.amount = in.amount;
    sp.fees = fees;
    sp.transfer_date = in.transfer_date ? in.transfer_date : intent.lines[line].input.seller.transfer_date;
    sp.description = in.description;
    sp.status = SplitStatus::kCreated;
    sp.created_at = sp.updated_at = now;
    plan.new_splits.push_back(std::move(sp));
    plan.deltas.push_back({.line_index = static_cast<size_t>(line), .split_reserved = in.amount});
  }
  SL_RETURN_IF_ERROR(CheckFeesWithinPlatformFees(intent, fees_after));
  return plan;
}

Result<IntentPlan> PlanSplitUpdate(const Intent& intent, std::string_view split_id,
                                   const SplitPatch& patch, int64_t now) {
  int k = intent.FindSplit(split_id);
  if (k < 0) return Status::NotFound("Split not found", "split_id");
  const Split& sp = intent.splits[k];
  if (patch.line_item_id != intent.lines[sp.line_index].id) {
    return Status::Invalid("LineItemId must be the split's line item", "line_item_id");
  }
  switch (sp.status) {
    case SplitStatus::kCreated:
    case SplitStatus::kPendingFundsReception:
    case SplitStatus::kAvailable:
    case SplitStatus::kFailed:
      break;
    default:
      return Status::Rule(
          "Update split requires a status in [CREATED, PENDING_FUNDS_RECEPTION, AVAILABLE, FAILED]",
          "status");
  }
  SplitChange ch;
  ch.index = static_cast<size_t>(k);
  ch.after = sp;
  Split& after = ch.after;
  if (patch.amount) after.amount = *patch.amount;
  if (patch.fees) after.fees = *patch.fees;
  if (patch.transfer_date) after.transfer_date = patch.transfer_date;
  if (patch.description) after.description = *patch.description;
  SL_RETURN_IF_ERROR(CheckAmounts(after.amount, after.fees, -1));
  IntentPlan plan;
  plan.new_status = intent.status;
  const LineItem& l = intent.lines[sp.line_index];
  // A FAILED split holds nothing: updating it takes its amount from the line again.
  Amount held = sp.active() ? sp.amount : 0;
  Amount can_hold = Splittable(l) + held;
  if (after.amount > can_hold) {
    return Status::Rule("SplitAmount can't exceed what the line item can still split (" +
                            std::to_string(can_hold) + ")",
                        "split_amount");
  }
  // Only new amounts are held to the fee limit: a description or a date can always change (a
  // refund may have shrunk PlatformFeesAmount below fees given to splits before).
  if (patch.amount || patch.fees) {
    SL_RETURN_IF_ERROR(CheckFeesWithinPlatformFees(intent, ActiveSplitFees(intent, ch.index) + after.fees));
  }
  if (after.amount > held) {
    plan.deltas.push_back({.line_index = sp.line_index, .split_reserved = after.amount - held});
  } else if (after.amount < held) {
    plan.deltas.push_back({.line_index = sp.line_index, .split_released = held - after.amount});
  }
  if (after.status == SplitStatus::kFailed) after.status = SplitStatus::kCreated;
  after.updated_at = now;
  plan.split_changes.push_back(std::move(ch));
  return plan;
}

Result<IntentPlan> PlanSplitReverse(const Intent& intent, std::string_view split_id, int64_t now) {
  int k = intent.FindSplit(split_id);
  if (k < 0) return Status::NotFound("Split not found", "split_id");
  const Split& sp = intent.splits[k];
  switch (sp.status) {
    case SplitStatus::kCreated:
    case SplitStatus::kPendingFundsReception:
    case SplitStatus::kAvailable:
    case SplitStatus::kRejected:
      break;
    default:
      return Status::Rule(
          "Reverse split requires a status in [CREATED, PENDING_FUNDS_RECEPTION, AVAILABLE, "
          "REJECTED]",
          "Status");
  }
  IntentPlan plan;
  plan.new_status = intent.status;
  plan.deltas.push_back({.line_index = sp.line_index, .split_released = sp.amount});
  SplitChange ch;
  ch.index = static_cast<size_t>(k);
  ch.after = sp;
  ch.after.status = SplitStatus::kReversed;
  ch.after.updated_at = now;
  plan.split_changes.push_back(std::move(ch));
  return plan;
}

Status CheckSplitExecutable(const Intent& intent, std::string_view split_id) {
  int k = intent.FindSplit(split_id);
  if (k < 0) return Status::NotFound("Split not found", "split_id");
  SplitStatus s = intent.splits[k].status;
  if (s != SplitStatus::kAvailable && s != SplitStatus::kRejected) {
    return Status::Rule("Execute split requires a status in [AVAILABLE, REJECTED]", "Split");
  }
  return Status::Ok();
}

}  // namespace splitledger
