// Settlements (Echo §9.5, §10.8, §11.2): upload URLs, a file matched against the client's intent
// actions, and funds on the escrow wallet given to the oldest settlement waiting for them. A fully
// matched settlement marks its captures SETTLED_NOT_PAID and its intents' splits
// PENDING_FUNDS_RECEPTION; once funded (RECONCILED) the captures are PAID, the splits AVAILABLE,
// and splits whose TransferDate has passed are executed.
#include <algorithm>

#include "handlers.h"
#include "splitledger/core/intent_describe.h"
#include "splitledger/ledger/intent_ops.h"

namespace splitledger::service {
namespace {

Outcome NoSettlement() {
  return Outcome::Error(Status::NotFound("Settlement not found", "settlement_id"));
}

// A settlement past matching (or cancelled) takes no new file or upload URL.
Outcome NoNewFile(const Settlement& s) {
  return Outcome::Error(Status::Rule(std::string("A settlement in status ") +
                                         SettlementStatusName(s.status) +
                                         " takes no new file; create a new settlement",
                                     "status"));
}

Box<SettlementView> ViewOf(const ledger::State& st, const Settlement& s) {
  SettlementView v{s, ledger::SettlementFunded(st.book(), s), 0};
  if (s.awaits_funds()) v.funds_missing = std::max<Amount>(0, s.actual_amount - v.funded);
  return v;
}

// A status change of an intent's action or split, outside a plan (the money moved elsewhere).
void SetActionStatus(ledger::State& st, Intent& in, size_t index, const char* status, int64_t now) {
  in.actions[index].status = status;
  in.actions[index].updated_at = now;
  st.MarkIntentChanged(in, {}, false, in.lines.size(), index);
}
void SetSplitStatus(ledger::State& st, Intent& in, size_t k, SplitStatus status, int64_t now) {
  in.splits[k].status = status;
  in.splits[k].updated_at = now;
  st.MarkIntentChanged(in, {}, false, in.lines.size(), std::nullopt, {k});
}

// The action a file line names, or why none: PAYMENT → a capture (its own reference, or the
// intent's for a capture made without one), REFUND → a refund or its reversal, DISPUTE → a
// dispute; IntentId, when given, must be that action's intent.
struct Found {
  Intent* intent = nullptr;
  size_t action = 0;
};
// `taken(action id)`: already matched, by this file or another settlement.
template <class Taken>
Found FindLineAction(ledger::State& st, const std::string& client, const std::string& provider,
                     const SettlementLine& line, Taken taken) {
  size_t index = 0;
  const Intent* in = st.FindActionByReference(client, provider, line.provider_reference, &index);
  if (in == nullptr && line.type == SettlementLineType::kPayment) {
    // Captures without their own reference: the intent's reference names them. The line takes
    // the first one not yet settled, one of its amount if there is one.
    in = st.FindIntentByReference(client, provider, line.provider_reference);
    if (in != nullptr) {
      int first = -1, same_amount = -1;
      for (size_t i = 0; i < in->actions.size(); ++i) {
        const ActionRecord& a = in->actions[i];
        if (a.kind != ActionKind::kCapture || !a.external.provider_reference.empty() || taken(a.id)) {
          continue;
        }
        if (first < 0) first = static_cast<int>(i);
        if (same_amount < 0 && a.amount == line.amount) same_amount = static_cast<int>(i);
      }
      int k = same_amount >= 0 ? same_amount : first;
      if (k < 0) return {};
      index = static_cast<size_t>(k);
    }
  }
  if (in == nullptr) return {};
  if (!line.intent_id.empty() && line.intent_id != in->id) return {};
  const ActionRecord& a = in->actions[index];
  bool kind_fits = false;
  switch (line.type) {
    case SettlementLineType::kPayment: kind_fits = a.kind == ActionKind::kCapture; break;
    case SettlementLineType::kRefund:
      kind_fits = a.kind == ActionKind::kRefund || a.kind == ActionKind::kRefundReversal;
      break;
    case SettlementLineType::kDispute: kind_fits = a.kind == ActionKind::kDispute; break;
  }
  if (!kind_fits || in->currency != line.currency) return {};
  return {st.MutableIntent(client, in->id), index};
}

// The signed amount a line must show for its action: captures and reversals bring money in,
// refunds and open or lost disputes take it out, defended and won disputes bring it back.
Amount ExpectedAmount(const ActionRecord& a, const SettlementLine& line) {
  switch (a.kind) {
    case ActionKind::kCapture: return a.amount;
    case ActionKind::kRefund: return -a.amount;
    case ActionKind::kRefundReversal: return a.amount;
    case ActionKind::kDispute:
      return line.status == "DISPUTED" || line.status == "DISPUTED_LOST" ? -a.amount : a.amount;
    default: return 0;
  }
}

SettlementLineError LineError(const SettlementLine& line, const char* code, std::string text) {
  return {line.provider_reference, SettlementLineTypeName(line.type), code, std::move(text)};
}

// Whether an action is already settled by another settlement (a line matches it once).
bool AlreadySettled(const ledger::State& st, const std::string& client, const std::string& self,
                    const std::string& action_id) {
  for (const Settlement* s : st.SettlementsOf(client)) {
    if (s->id == self || s->status == SettlementStatus::kCancelled) continue;
    if (s->awaits_funds() || s->status == SettlementStatus::kReconciled) {
      for (const SettlementMatch& m : s->matches) {
        if (m.action_id == action_id) return true;
      }
    }
  }
  return false;
}

// Every split of the intent in `from` moves to `to`.
void MoveSplits(ledger::State& st, Intent& in, SplitStatus from, SplitStatus to, const char* event,
                int64_t now) {
  for (size_t k = 0; k < in.splits.size(); ++k) {
    if (in.splits[k].status != from) continue;
    SetSplitStatus(st, in, k, to, now);
    st.AddEvent(in.client_id, event, in.splits[k].id, now);
  }
}

// What a RECONCILED settlement does: captures PAID, intents funded, splits AVAILABLE, and the
// splits whose TransferDate has passed executed.
void CompleteSettlement(ApplyContext& ctx, const Settlement& s) {
  ledger::State& st = ctx.state;
  std::vector<std::pair<std::string, Amount>> per_intent;  // net amount per intent, in file order
  for (const SettlementMatch& m : s.matches) {
    auto it = std::find_if(per_intent.begin(), per_intent.end(),
                           [&](const auto& p) { return p.first == m.intent_id; });
    if (it == per_intent.end()) {
      per_intent.emplace_back(m.intent_id, m.amount);
    } else {
      it->second += m.amount;  // bounded by the file's checked totals
    }
    Intent* in = st.MutableIntent(s.client_id, m.intent_id);
    int a = in == nullptr ? -1 : in->FindAction(ActionKind::kCapture, m.action_id);
    if (a >= 0) SetActionStatus(st, *in, static_cast<size_t>(a), "PAID", ctx.now_s());
  }
  for (const auto& [intent_id, net] : per_intent) {
    Intent* in = st.MutableIntent(s.client_id, intent_id);
    if (in == nullptr) continue;
    if (net != 0) (void)ledger::RecordIntentFunding(st, *in, net, s.id, ctx.caller.now_ms);
    st.AddEvent(s.client_id, "INTENT_PAID", in->id, ctx.now_s());
    MoveSplits(st, *in, SplitStatus::kCreated, SplitStatus::kAvailable, "SPLIT_AVAILABLE", ctx.now_s());
    MoveSplits(st, *in, SplitStatus::kPendingFundsReception, SplitStatus::kAvailable,
               "SPLIT_AVAILABLE", ctx.now_s());
    ExecuteDueSplitsOf(ctx, *in);
  }
}

}  // namespace

std::vector<std::string> AllocateEscrowFunds(ApplyContext& ctx, const std::string& client_id,
                                             const std::string& currency) {
  ledger::State& st = ctx.state;
  std::vector<std::string> completed;
  for (const Settlement* ptr : st.SettlementsOf(client_id)) {
    if (!ptr->awaits_funds() || ptr->currency != currency) continue;
    Settlement s = *ptr;
    Amount missing = s.actual_amount - ledger::SettlementFunded(st.book(), s);
    Amount take = std::min(missing, ledger::UnallocatedFunds(st.book(), client_id, currency));
    // A posting refused (it cannot be, short of an overflow) funds nothing and stops here.
    if (take > 0 && !ledger::FundSettlement(st, s, take, ctx.caller.now_ms).ok()) break;
    if (take < missing) {
      // Oldest first: a settlement short of funds holds back the later ones.
      if (ledger::SettlementFunded(st.book(), s) > 0 && s.status != SettlementStatus::kInsufficientFunds) {
        s.status = SettlementStatus::kInsufficientFunds;
        s.updated_at = ctx.now_s();
        st.PutSettlement(s);
      }
      break;
    }
    s.status = SettlementStatus::kReconciled;
    s.updated_at = ctx.now_s();
    st.PutSettlement(s);
    CompleteSettlement(ctx, s);
    completed.push_back(s.id);
  }
  return completed;
}

Status Preflight(const CreateSettlement& c, const Caller&, std::vector<FieldError>*) {
  if (c.settlement_id.empty() || c.upload_token_hash.empty()) {
    return Status::Internal("a settlement id and a token hash are required");
  }
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const CreateSettlement& c) {
  if (ctx.state.FindSettlementById(c.settlement_id) != nullptr) {
    return Outcome::Error(Status(ErrorCode::kAlreadyExists, "Settlement already exists"));
  }
  Settlement s;
  s.id = c.settlement_id;
  s.client_id = ctx.caller.client_id;
  s.file_name = c.file_name;
  s.created_at = s.updated_at = ctx.now_s();
  s.upload_token_hashes.push_back(c.upload_token_hash);
  ctx.state.PutSettlement(s);
  return Outcome::Of(ViewOf(ctx.state, s));
}

Outcome Apply(ApplyContext& ctx, const NewSettlementUploadUrl& c) {
  const Settlement* found = ctx.state.FindSettlement(ctx.caller.client_id, c.settlement_id);
  if (found == nullptr) return NoSettlement();
  if (!found->accepts_upload()) return NoNewFile(*found);
  Settlement s = *found;
  s.file_name = c.file_name;
  s.upload_token_hashes.push_back(c.upload_token_hash);
  s.updated_at = ctx.now_s();
  ctx.state.PutSettlement(s);
  return Outcome::Of(ViewOf(ctx.state, s));
}

Outcome Apply(ApplyContext& ctx, const GetSettlement& c) {
  const Settlement* s = ctx.state.FindSettlement(ctx.caller.client_id, c.settlement_id);
  if (s == nullptr) return NoSettlement();
  return Outcome::Of(ViewOf(ctx.state, *s));
}

Outcome Apply(ApplyContext& ctx, const CancelSettlement& c) {
  const Settlement* found = ctx.state.FindSettlement(ctx.caller.client_id, c.settlement_id);
  if (found == nullptr) return NoSettlement();
  if (found->status == SettlementStatus::kReconciled || found->status == SettlementStatus::kCancelled ||
      ledger::SettlementFunded(ctx.state.book(), *found) > 0) {
    return Outcome::Error(Status::Rule(std::string("A settlement in status ") +
                                           SettlementStatusName(found->status) +
                                           (found->status == SettlementStatus::kInsufficientFunds
                                                ? " that has received funds"
                                                : "") +
                                           " can't be cancelled",
                                       "status"));
  }
  Settlement s = *found;
  // A matched settlement gives its captures and splits back their earlier status.
  if (s.awaits_funds()) {
    for (const SettlementMatch& m : s.matches) {
      Intent* in = ctx.state.MutableIntent(s.client_id, m.intent_id);
      int a = in == nullptr ? -1 : in->FindAction(ActionKind::kCapture, m.action_id);
      if (a < 0) continue;
      SetActionStatus(ctx.state, *in, static_cast<size_t>(a), "CAPTURED", ctx.now_s());
      for (size_t k = 0; k < in->splits.size(); ++k) {
        if (in->splits[k].status == SplitStatus::kPendingFundsReception) {
          SetSplitStatus(ctx.state, *in, k, SplitStatus::kCreated, ctx.now_s());
        }
      }
    }
  }
  s.status = SettlementStatus::kCancelled;
  s.updated_at = ctx.now_s();
  ctx.state.PutSettlement(s);
  return Outcome::Of(ViewOf(ctx.state, s));
}

Outcome Apply(ApplyContext& ctx, const UploadSettlementFile& c) {
  ledger::State& st = ctx.state;
  const Settlement* found = st.FindSettlementById(c.settlement_id);
  if (found == nullptr ||
      std::find(found->upload_token_hashes.begin(), found->upload_token_hashes.end(),
                c.upload_token_hash) == found->upload_token_hashes.end()) {
    // One answer for an unknown settlement and a wrong token: the URL is the credential.
    return Outcome::Error(Status(ErrorCode::kPermissionDenied, "This upload URL is not valid"));
  }
  if (!found->accepts_upload()) return NoNewFile(*found);
  Settlement s = *found;
  const SettlementFile& f = *c.file;
  const std::string& client = s.client_id;
  s.updated_at = ctx.now_s();
  s.footer_errors = f.footer_errors;
  s.line_errors = f.line_errors;
  s.matches.clear();
  s.declared_intent_amount = 0;
  if (!f.structurally_valid) {
    s.status = SettlementStatus::kFailed;
    st.PutSettlement(s);
    return Outcome::Of(ViewOf(st, s));
  }
  s.settlement_date = f.settlement_date;
  s.provider_name = f.provider_name;
  s.currency = f.currency;
  s.processor_fees = f.total_fees;
  s.actual_amount = std::max<Amount>(0, f.total_net);
  for (SettlementFooterError& e : CheckSettlementTotals(f)) s.footer_errors.push_back(std::move(e));
  // Match each line to one unsettled action (§11.2 step 5).
  std::vector<std::string> used;
  CheckedSum declared;
  for (const SettlementLine& line : f.lines) {
    Found hit = FindLineAction(st, client, f.provider_name, line, [&](const std::string& action_id) {
      return std::find(used.begin(), used.end(), action_id) != used.end() ||
             AlreadySettled(st, client, s.id, action_id);
    });
    if (hit.intent == nullptr) {
      s.line_errors.push_back(LineError(line, "MATCH_REF_NOT_FOUND",
                                        "ExternalProviderReference not found for any existing "
                                        "Intent in the system"));
      continue;
    }
    const ActionRecord& a = hit.intent->actions[hit.action];
    if (std::find(used.begin(), used.end(), a.id) != used.end() ||
        AlreadySettled(st, client, s.id, a.id)) {
      s.line_errors.push_back(LineError(line, "ALREADY_SETTLED",
                                        "The transaction was already settled"));
      continue;
    }
    Amount expected = ExpectedAmount(a, line);
    if (line.amount != expected) {
      s.line_errors.push_back(LineError(line, "AMOUNT_NOT_MATCH",
                                        "Amount " + std::to_string(line.amount) +
                                            " is not the transaction's amount " +
                                            std::to_string(expected)));
      continue;
    }
    used.push_back(a.id);
    declared += line.amount;
    s.matches.push_back({hit.intent->id, a.id, line.amount});
  }
  s.declared_intent_amount = declared.ok() ? declared.value() : 0;
  if (s.matches.empty()) {
    s.status = SettlementStatus::kUnmatched;
  } else if (!s.line_errors.empty() || !s.footer_errors.empty()) {
    s.status = SettlementStatus::kPartiallyMatched;
  } else {
    // Every line matched: the effects of §9.5 PENDING_FUNDS_RECEPTION.
    s.status = SettlementStatus::kPendingFundsReception;
    std::vector<std::string> intents;
    for (const SettlementMatch& m : s.matches) {
      Intent* in = st.MutableIntent(client, m.intent_id);
      int a = in->FindAction(ActionKind::kCapture, m.action_id);
      if (a >= 0) SetActionStatus(st, *in, static_cast<size_t>(a), "SETTLED_NOT_PAID", ctx.now_s());
      if (std::find(intents.begin(), intents.end(), in->id) != intents.end()) continue;
      intents.push_back(in->id);
      st.AddEvent(client, "INTENT_SETTLED_NOT_PAID", in->id, ctx.now_s());
      MoveSplits(st, *in, SplitStatus::kCreated, SplitStatus::kPendingFundsReception,
                 "SPLIT_PENDING_FUNDS_RECEPTION", ctx.now_s());
    }
  }
  st.PutSettlement(s);
  if (s.status == SettlementStatus::kPendingFundsReception) {
    ApplyContext as_client{st, ctx.caller};
    AllocateEscrowFunds(as_client, client, s.currency);
  }
  return Outcome::Of(ViewOf(st, *st.FindSettlementById(s.id)));
}

}  // namespace splitledger::service
