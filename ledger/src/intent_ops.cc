#include "splitledger/ledger/intent_ops.h"

#include <cctype>

#include "splitledger/ledger/chart.h"

namespace splitledger::ledger {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void Add(std::vector<PostingSpec>& out, AccountKey key, Side side, Phase phase, Amount amount) {
  if (amount > 0) out.push_back({std::move(key), side, phase, amount});
}

// Applies plan + postings atomically: postings are checked first, then both are applied.
// `specs` are the plan's postings, already checked by the caller.
IntentActionResult Commit(State& state, Intent& intent, IntentPlan plan,
                          const std::vector<PostingSpec>& specs, const char* kind, int64_t now_s,
                          bool added) {
  std::string action_id = plan.action ? plan.action->id : std::string();
  size_t lines_before = intent.lines.size();
  std::vector<LineDelta> deltas = plan.deltas;
  bool has_action = plan.action.has_value();
  ApplyPlan(intent, std::move(plan));
  if (!specs.empty()) {
    state.book().Apply(intent.client_id, kind, action_id.empty() ? intent.id : action_id, now_s,
                       specs);
  }
  state.MarkIntentChanged(intent, deltas, has_action, lines_before);
  return IntentActionResult{&intent, action_id, added};
}

}  // namespace

std::vector<PostingSpec> PlanPostings(const Intent& intent, const IntentPlan& plan) {
  const std::string& c = intent.client_id;
  const std::string& cur = intent.currency;
  AccountKey receivable = chart::Key(c, cur, chart::kPspReceivable, Upper(intent.external.provider_name));
  std::vector<PostingSpec> out;
  Amount pending = 0, release = 0, posted = 0;  // receivable legs, aggregated
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
  }
  Add(out, receivable, Side::kDebit, Phase::kPending, pending);
  Add(out, receivable, Side::kDebit, Phase::kRelease, release);
  Add(out, receivable, Side::kDebit, Phase::kPosted, posted);
  return out;
}

LineFigures DeriveLine(const Book& book, const Intent& intent, const LineItem& line) {
  LineFigures f;
  const std::string& c = intent.client_id;
  const std::string& cur = intent.currency;
  if (const Account* p = book.Find(c, cur, chart::kLinePayable, line.id)) {
    f.remaining = p->credits_pending;
    f.captured = p->credits_posted;
    f.available = p->credit_balance();
  }
  if (const Account* x = book.Find(c, cur, chart::kLineCancelled, line.id)) f.cancelled = x->credit_balance();
  if (const Account* x = book.Find(c, cur, chart::kLineFee, line.id)) f.fee = x->credit_balance();
  f.total = f.remaining + f.captured + f.cancelled;
  return f;
}

IntentFigures DeriveIntent(const Book& book, const Intent& intent) {
  IntentFigures out;
  out.lines.reserve(intent.lines.size());
  for (const LineItem& l : intent.lines) {
    LineFigures f = DeriveLine(book, intent, l);
    out.amount += f.total;
    out.platform_fees += f.fee;
    out.available_to_split += f.available;
    out.lines.push_back(f);
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

Result<IntentActionResult> CaptureIntent(State& state, const std::string& client_id,
                                         const std::string& intent_id, const ActionInput& input,
                                         const std::string& capture_id, int64_t now_ms) {
  Intent* intent = state.MutableIntent(client_id, intent_id);
  if (intent == nullptr) return Status::NotFound("Intent not found", "intent_id");
  auto plan = PlanCapture(*intent, input, capture_id, now_ms / 1000);
  if (!plan.ok()) return plan.status();
  std::vector<PostingSpec> specs = PlanPostings(*intent, *plan);
  SL_RETURN_IF_ERROR(state.book().Check(specs));
  return Commit(state, *intent, std::move(*plan), specs, "intent.capture", now_ms / 1000, false);
}

Result<IntentActionResult> CancelIntent(State& state, const std::string& client_id,
                                        const std::string& intent_id, const ActionInput& input,
                                        const std::string& cancel_id, int64_t now_ms) {
  Intent* intent = state.MutableIntent(client_id, intent_id);
  if (intent == nullptr) return Status::NotFound("Intent not found", "intent_id");
  auto plan = PlanCancel(*intent, input, cancel_id, now_ms / 1000);
  if (!plan.ok()) return plan.status();
  std::vector<PostingSpec> specs = PlanPostings(*intent, *plan);
  SL_RETURN_IF_ERROR(state.book().Check(specs));
  return Commit(state, *intent, std::move(*plan), specs, "intent.cancel", now_ms / 1000, false);
}

}  // namespace splitledger::ledger
