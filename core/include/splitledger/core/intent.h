// The Intent aggregate: a PSP-authorised payment with per-seller line items and fees.
//
// Rules are those of Mangopay's Echo API (shared/reference/echo-api.md §8.1–8.3, §9.1) plus the
// fee reallocation rule of DESIGN §4. Every state change is two steps:
//
//   1. Plan*(intent, request)   validates against the current state and returns an IntentPlan
//                               (or a Status). Pure: the intent is not modified.
//   2. ApplyPlan(intent, plan)  applies a plan produced from the *same* state. Cannot fail.
//
// Splitting validation from mutation is what lets the sequencer fail one command without undoing
// anything, and lets the ledger turn the plan's LineDeltas into postings before anything changes.
//
// Invariants, per line item, after every applied plan:
//   0 <= captured, cancelled;  captured + cancelled <= total;  0 <= fee <= fee_initial
//   refunded + disputed + split <= captured;  fee <= total − cancelled − refunded
// and PlatformFeesAmount == Σ line fees, Amount == Σ line totals.
//
// Fees follow the money that stays: after cancelling C and refunding R (net of reversals) of a
// line of total T and initial fee F, the fee is at most F − floor(F·(C+R)/T) (pro rata from
// running totals, so cancelling or refunding a whole line removes exactly its whole fee). A
// request may state the fee part instead (see PlanCancel). Disputes leave the fee alone: a
// dispute may still be won.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "splitledger/core/money.h"
#include "splitledger/core/status.h"

namespace splitledger {

inline constexpr size_t kMaxLineItems = 100;

enum class IntentStatus {
  kAuthorized,
  kPartiallyCaptured,
  kCaptured,
  kCancelled,
  kRefunded,
  kRefundReversed,
  kDisputed,
  kDefended,
  kDisputedWon,
  kDisputedLost,
};
const char* IntentStatusName(IntentStatus status);  // "AUTHORIZED", "CANCELLED", …
std::optional<IntentStatus> ParseIntentStatus(std::string_view name);
// Echo's NextActions for a status ("CAPTURE, CANCEL"); nullptr when the field is omitted.
const char* IntentNextActions(IntentStatus status);

// What the PSP told the platform about a transaction (Echo `ExternalData`).
struct ExternalData {
  bool present = false;
  int64_t processing_date = 0;  // unix seconds
  std::string provider_reference;
  std::string merchant_reference;
  std::string provider_name;
  std::string payment_method;
};

struct Seller {
  std::string author_id;
  std::string wallet_id;
  Amount fees_amount = 0;
  std::optional<int64_t> transfer_date;
};

// A line item as requested on create.
struct LineItemInput {
  std::string sku;
  std::string name;
  std::string description;
  std::string category;
  int64_t quantity = 0;
  Amount unit_amount = 0;
  Amount tax_amount = 0;  // informational, included in unit_amount
  Amount discount_amount = 0;
  Seller seller;
  std::string shipping_address_json;  // opaque JSON object, echoed back; empty if absent
};

struct LineItem {
  std::string id;
  LineItemInput input;
  Amount total = 0;        // TotalLineItemAmount = UnitAmount × Quantity − DiscountAmount
  Amount fee_initial = 0;  // Seller.FeesAmount as created: the basis of pro-rata reductions
  Amount fee = 0;          // current Seller.FeesAmount
  Amount captured = 0;
  Amount cancelled = 0;
  Amount refunded = 0;
  Amount disputed = 0;
  Amount split = 0;

  // Amount still authorised: neither captured nor cancelled.
  Amount remaining() const { return total - captured - cancelled; }
};

// One line of a capture/cancel record.
struct ActionLine {
  size_t line_index = 0;
  Amount amount = 0;
  Amount fee_removed = 0;   // cancels and refunds: the line's fee taken away
  Amount fee_restored = 0;  // refund reversals: the line's fee given back
};

enum class ActionKind { kCapture, kCancel, kRefund, kRefundReversal, kDispute };
const char* ActionKindName(ActionKind kind);  // "capture", "cancel", "refund", …
std::optional<ActionKind> ParseActionKind(std::string_view name);

// A dispute's decision (Echo §8.5); its name is also the dispute's status.
enum class DisputeDecision { kDefended, kWon, kLost };
const char* DisputeDecisionName(DisputeDecision d);  // "DEFENDED", "DISPUTED_WON", "DISPUTED_LOST"
std::optional<DisputeDecision> ParseDisputeDecision(std::string_view name);

struct ActionRecord {
  ActionKind kind = ActionKind::kCapture;
  std::string id;
  int64_t created_at = 0;  // unix seconds
  Amount amount = 0;
  // "CAPTURED", "CANCELLED"; a refund "REFUNDED" then "REFUND_REVERSED"; a reversal
  // "REFUND_REVERSED"; a dispute "DISPUTED" then its decision.
  std::string status;
  std::vector<ActionLine> lines;
  ExternalData external;
  std::string parent_id;  // a reversal: its refund; a dispute: the capture disputed
  int64_t updated_at = 0; // the last status change (a reversal, a decision)

  // A dispute still counts against its lines unless it was won.
  bool ActiveDispute() const { return kind == ActionKind::kDispute && status != "DISPUTED_WON"; }
};

// A split (Echo §7.4, §9.4): part of a line's captured money promised to the line's seller,
// `fees` of it to the platform. Reserved from the line when created; moved from the escrow
// wallet to the seller's wallet (amount − fees) and the platform's FEES wallet (fees) when
// executed.
enum class SplitStatus {
  kCreated,
  kPendingFundsReception,
  kAvailable,
  kPending,
  kCompleted,
  kRejected,
  kFailed,
  kReversed,
  kRefundSplitPending,
  kRefundSplitRejected,
  kRefundSplitCompleted,
};
const char* SplitStatusName(SplitStatus status);  // "CREATED", …
std::optional<SplitStatus> ParseSplitStatus(std::string_view name);

struct Split {
  std::string id;
  size_t line_index = 0;
  Amount amount = 0;  // SplitAmount
  Amount fees = 0;    // FeesAmount: 0 <= fees <= amount
  std::optional<int64_t> transfer_date;
  std::string description;
  SplitStatus status = SplitStatus::kCreated;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t executed_at = 0;   // when its money left the escrow wallet (0: not yet)
  Amount refunded = 0;       // of an executed split: taken back by refunds of its line
  Amount fees_refunded = 0;  // the part of `refunded` charged to the FEES wallet (pro rata)
  // What take-backs really moved back to the escrow wallet (from the seller's wallet, from the
  // FEES wallet): less than `refunded` when a wallet could not cover a take-back.
  Amount taken_back = 0;
  Amount fees_taken_back = 0;
  std::string note;          // why the last execution or take-back could not move money

  // Counts against its line (SplitAmount, AvailableAmountToSplit): not reversed or failed.
  bool active() const { return status != SplitStatus::kReversed && status != SplitStatus::kFailed; }
  // Its money left the escrow wallet (and part of it may have come back).
  bool executed() const {
    return status == SplitStatus::kCompleted || status == SplitStatus::kRefundSplitPending ||
           status == SplitStatus::kRefundSplitRejected ||
           status == SplitStatus::kRefundSplitCompleted;
  }
};

struct Intent {
  std::string id;
  std::string client_id;
  std::string currency;
  IntentStatus status = IntentStatus::kAuthorized;
  int64_t created_at = 0;
  int64_t execution_date = 0;
  ExternalData external;
  std::string buyer_id;
  Amount unfunded_amount = 0;
  std::vector<LineItem> lines;
  std::vector<ActionRecord> actions;  // captures, cancels, refunds, reversals, disputes in order
  std::vector<Split> splits;          // in creation order

  // Σ line totals and Σ line fees. Sums are bounded at creation, so they cannot overflow.
  Amount amount() const;
  Amount platform_fees() const;
  // Σ (captured − refunded − disputed − split): what can still be split to sellers.
  Amount available_to_split() const;
  // Index of the line with this id, or -1.
  int FindLine(std::string_view line_id) const;
  // Index of the action of this kind with this id, or -1.
  int FindAction(ActionKind kind, std::string_view action_id) const;
  // Index of the split with this id, or -1.
  int FindSplit(std::string_view split_id) const;
  bool HasCapture() const;
};

struct CreateIntentInput {
  std::string currency;
  std::optional<Amount> amount;         // must equal Σ totals when given
  std::optional<Amount> platform_fees;  // must equal Σ fees when given
  ExternalData external;
  std::string buyer_id;
  Amount unfunded_amount = 0;
  std::vector<LineItemInput> lines;
};

// A line of a partial action request.
struct LineAmountInput {
  std::string line_item_id;
  Amount amount = 0;
  std::optional<Amount> fees_amount;  // cancel: explicit fee part for this line
};

struct ActionInput {
  bool partial = false;  // false: full capture / full cancel
  std::optional<Amount> amount;
  std::optional<std::string> currency;
  std::optional<Amount> platform_fees;
  ExternalData external;
  std::vector<LineAmountInput> lines;
};

// What a plan does to one line. All fields are >= 0.
struct LineDelta {
  size_t line_index = 0;
  Amount authorized = 0;   // a new line: its total enters the authorisation hold
  Amount fee_added = 0;    // a new line: its fee
  Amount captured = 0;
  Amount cancelled = 0;
  Amount fee_removed = 0;
  Amount refunded = 0;     // a refund takes captured money back to the buyer
  Amount unrefunded = 0;   // a refund reversal gives it back
  Amount disputed = 0;     // a dispute holds captured money
  Amount released = 0;     // a dispute won releases it
  Amount fee_restored = 0; // a refund reversal gives back fee its refund took
  Amount split_reserved = 0;  // a split takes this much from what the line can split
  Amount split_released = 0;  // a reversed (or shrunk, or refunded) split gives it back
};

// A split changed by a plan: its new value (the ledger moves the money that goes with it).
struct SplitChange {
  size_t index = 0;  // in Intent::splits
  Split after;
  // An executed split a refund reaches into: how much comes back from the seller's wallet and
  // from the FEES wallet (the ledger decides whether it can, and sets the status).
  Amount seller_take_back = 0;
  Amount fees_take_back = 0;
};

// A change of status of an existing action (a refund reversed, a dispute decided).
struct ActionUpdate {
  size_t index = 0;  // in Intent::actions
  std::string status;
  int64_t at = 0;  // unix seconds
};

struct IntentPlan {
  std::vector<LineItem> new_lines;      // appended first (create / mixed basket)
  std::vector<LineDelta> deltas;        // indices refer to lines after new_lines are appended
  std::optional<ActionRecord> action;   // the action record to append
  std::optional<ActionUpdate> update;   // an existing action whose status changes
  std::vector<Split> new_splits;        // appended
  std::vector<SplitChange> split_changes;
  IntentStatus new_status = IntentStatus::kAuthorized;
};

// A line's amounts as the ledger derives them (ledger/intent_ops.h DeriveLine): what the API
// shows, never the Intent struct's own counters.
struct LineFigures {
  Amount total = 0;      // remaining + captured + cancelled
  Amount remaining = 0;  // line_payable credits_pending: still authorised
  Amount captured = 0;   // line_payable credits_posted
  Amount available = 0;  // line_payable credit balance: captured, not refunded/disputed/split
  Amount cancelled = 0;  // line_cancelled credit balance
  Amount fee = 0;        // line_fee credit balance
  Amount refunded = 0;   // line_refunded credit balance (net of reversals)
  Amount disputed = 0;   // line_disputed credit balance (disputes not won)
  Amount split = 0;      // line_split credit balance (splits not reversed)
  Amount unfunded = 0;   // UnfundedSellerAmount: the line's share of the intent's unfunded amount
};

struct IntentFigures {
  Amount amount = 0;
  Amount platform_fees = 0;
  Amount available_to_split = 0;
  Amount unfunded = 0;  // captured − refunded − disputed − funds settlements brought in, >= 0
  std::vector<LineFigures> lines;
};

// Validates a create request and builds the intent with its lines, plus the plan whose deltas
// authorise each line. `line_ids` supplies one fresh id per line (size must match).
Result<IntentPlan> PlanCreate(const CreateIntentInput& input, const std::vector<std::string>& line_ids);
// The checks of PlanCreate that need neither ids nor an intent (amounts, lines, stated sums),
// without building anything: what a create can be refused for before it reaches the writer.
Status CheckCreate(const CreateIntentInput& input);
// Builds the intent shell (no lines yet) for a create; ApplyPlan then adds the lines.
Intent NewIntent(const CreateIntentInput& input, std::string id, std::string client_id,
                 int64_t now);

// Mixed basket: adds the lines of `input` to an existing AUTHORIZED intent.
Result<IntentPlan> PlanAddLines(const Intent& intent, const CreateIntentInput& input,
                                const std::vector<std::string>& line_ids);

// Full or partial capture (§8.2).
Result<IntentPlan> PlanCapture(const Intent& intent, const ActionInput& input,
                               std::string capture_id, int64_t now);

// Full or partial cancel (§8.3). On a partial cancel each line's fee shrinks pro rata to the
// cancelled share, from running totals: after cancelling C of a line of total T and initial fee
// F the remaining fee is at most F − floor(F·C/T), so cancelling the whole line removes exactly its
// whole fee. A stated fee part (LineAmountInput::fees_amount, or a top-level PlatformFeesAmount
// allocated over the lines by cancelled amount) replaces the computed part; it may never exceed
// the line's remaining fee.
Result<IntentPlan> PlanCancel(const Intent& intent, const ActionInput& input, std::string cancel_id,
                              int64_t now);

// Full or partial refund (§8.4) of captured money still refundable per line: captured − refunded
// − disputed − splits not yet executed (reverse those first). A full refund takes all of it.
// What a line holds unsplit goes first; the rest is taken back from the line's executed splits,
// newest first, each giving back its fees pro rata (SplitChange: the ledger takes the money from
// the seller's and the FEES wallet, or records why it could not). Fees shrink pro rata as for
// cancels (see the top of this file); a stated fee part (per line FeesAmount, or a top-level
// PlatformFeesAmount allocated by refunded amount) replaces the computed one. The intent becomes
// REFUNDED when nothing captured or authorised is left; otherwise it keeps its status.
Result<IntentPlan> PlanRefund(const Intent& intent, const ActionInput& input, std::string refund_id,
                              int64_t now);

// Full or partial reversal of refund `refund_id`: per line at most what that refund took and
// earlier reversals did not give back. Each line gets back fee up to the pro-rata fee of what is
// gone from it afterwards, F − floor(F·(C+R')/T), and at most the fee that refund took and has
// not given back. A refund wholly reversed with nothing in between leaves the fee as it was,
// unless an earlier stated fee part had left it above its pro-rata share: it then comes back to
// that share at most.
// The refund and the intent become REFUND_REVERSED.
Result<IntentPlan> PlanRefundReversal(const Intent& intent, std::string_view refund_id,
                                      const ActionInput& input, std::string reversal_id,
                                      int64_t now);

// Full or partial dispute (§8.5) of capture `capture_id`: per line at most what that capture took
// and earlier disputes of it still hold, and at most what the line holds unsplit (captured −
// refunded − disputed − split): money promised to a seller must be freed first. The intent becomes DISPUTED when nothing captured is left undisputed.
Result<IntentPlan> PlanDispute(const Intent& intent, std::string_view capture_id,
                               const ActionInput& input, std::string dispute_id, int64_t now);

// A decision on dispute `dispute_id` of capture `capture_id`: DISPUTED → DEFENDED | DISPUTED_WON
// | DISPUTED_LOST, DEFENDED → DISPUTED_WON | DISPUTED_LOST. Winning gives the disputed amounts
// back to the lines. The intent takes the decision as its status when it was DISPUTED or
// DEFENDED and no other dispute is still open (DISPUTED or DEFENDED).
Result<IntentPlan> PlanDisputeDecision(const Intent& intent, std::string_view capture_id,
                                       std::string_view dispute_id, DisputeDecision decision,
                                       int64_t now);

// A split as requested (Echo §10.5). Absent fields take the line's: FeesAmount the line's fee not
// yet held by its other active splits (at most SplitAmount; a refund reaching into an executed
// split takes its fee share back), TransferDate the seller's.
struct SplitInput {
  std::string line_item_id;
  Amount amount = 0;
  std::optional<Amount> fees;
  std::optional<int64_t> transfer_date;
  std::string description;
};

// Creates splits (§8.6): each amount > 0 and within what its line can still split (captured −
// refunded − disputed − active splits, counting the earlier splits of the same request), 0 <=
// fees <= amount, and Σ fees of the intent's active splits <= PlatformFeesAmount. `ids` holds one
// fresh id per input. All or none.
Result<IntentPlan> PlanSplits(const Intent& intent, const std::vector<SplitInput>& inputs,
                              const std::vector<std::string>& ids, int64_t now);

// A partial update (§10.5) of a split in CREATED, PENDING_FUNDS_RECEPTION, AVAILABLE or FAILED:
// only the fields set in `patch` change (line_item_id must name the split's line); new amounts
// are checked as on create. A FAILED split updated becomes CREATED again.
struct SplitPatch {
  std::string line_item_id;
  std::optional<Amount> amount;
  std::optional<Amount> fees;
  std::optional<int64_t> transfer_date;
  std::optional<std::string> description;
};
Result<IntentPlan> PlanSplitUpdate(const Intent& intent, std::string_view split_id,
                                   const SplitPatch& patch, int64_t now);

// Reverses a split not yet executed (CREATED, PENDING_FUNDS_RECEPTION, AVAILABLE, REJECTED): it
// gives its amount back to its line and becomes REVERSED.
Result<IntentPlan> PlanSplitReverse(const Intent& intent, std::string_view split_id, int64_t now);

// Checks that a split may be executed (AVAILABLE or REJECTED; the Echo text otherwise). The
// ledger moves the money, or marks it REJECTED when the escrow wallet cannot pay.
Status CheckSplitExecutable(const Intent& intent, std::string_view split_id);

// Applies a plan produced from this very state.
void ApplyPlan(Intent& intent, IntentPlan plan);

// Checks the per-line and per-intent invariants listed at the top; for tests and `verify`.
Status CheckInvariants(const Intent& intent);

}  // namespace splitledger
