// Splits (create, get, update, execute, reverse) and escrow funds. The rules are the core
// aggregate's (core/intent.h PlanSplits …), the money the ledger's (ledger/intent_ops.h); this
// adds the events of Echo §13 and the views the dialects render.
#include "handlers.h"
#include "splitledger/ledger/intent_ops.h"

namespace splitledger::service {
namespace {

SplitView ViewOf(const Intent& in, const Split& sp) {
  const LineItem& l = in.lines[sp.line_index];
  return SplitView{sp, in.id, l.id, l.input.seller.author_id, l.input.seller.wallet_id};
}

Outcome NoIntent() { return Outcome::Error(Status::NotFound("Intent not found", "intent_id")); }

// The view of the split a ledger operation acted on, with `event` fired for it.
Outcome SplitActed(ApplyContext& ctx, const Result<ledger::IntentActionResult>& r,
                   const char* event) {
  if (!r.ok()) return Outcome::Error(r.status());
  const Intent& in = *r->intent;
  const Split& sp = in.splits[in.FindSplit(r->action_id)];
  if (event != nullptr) ctx.state.AddEvent(ctx.caller.client_id, event, sp.id, ctx.now_s());
  return Outcome::Of(ViewOf(in, sp));
}

}  // namespace

Status Preflight(const CreateSplits& c, const Caller&, std::vector<FieldError>*) {
  if (c.split_ids.size() != c.splits.size()) return Status::Internal("one id per split expected");
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const CreateSplits& c) {
  const Intent* in = ctx.state.FindIntent(ctx.caller.client_id, c.intent_id);
  if (in == nullptr) return NoIntent();
  // A split pays a wallet: the line must name one.
  for (size_t i = 0; i < c.splits.size(); ++i) {
    int line = in->FindLine(c.splits[i].line_item_id);
    if (line >= 0 && ledger::SellerAccount(*in, in->lines[line]).kind.empty()) {
      return Outcome::Error(Status::Rule("The line item names no seller wallet to split to",
                                         FieldRef("split_line_item_id", static_cast<int>(i))));
    }
  }
  auto r = ledger::CreateSplits(ctx.state, ctx.caller.client_id, c.intent_id, c.splits, c.split_ids,
                                ctx.caller.now_ms);
  if (!r.ok()) return Outcome::Error(r.status());
  // On an intent whose captures a settlement already matched, new splits start where the older
  // ones are: waiting for the funds, or available once every capture is PAID.
  Intent& mut = *ctx.state.MutableIntent(ctx.caller.client_id, c.intent_id);
  bool any_capture = false, all_paid = true, any_settled = false;
  for (const ActionRecord& a : mut.actions) {
    if (a.kind != ActionKind::kCapture) continue;
    any_capture = true;
    all_paid = all_paid && a.status == "PAID";
    any_settled = any_settled || a.status == "SETTLED_NOT_PAID" || a.status == "PAID";
  }
  SplitStatus start = any_capture && all_paid ? SplitStatus::kAvailable
                      : any_settled           ? SplitStatus::kPendingFundsReception
                                              : SplitStatus::kCreated;
  if (start != SplitStatus::kCreated) {
    std::vector<size_t> touched;
    for (const std::string& id : c.split_ids) {
      size_t k = static_cast<size_t>(mut.FindSplit(id));
      mut.splits[k].status = start;
      touched.push_back(k);
    }
    ctx.state.MarkIntentChanged(mut, {}, false, mut.lines.size(), std::nullopt, touched);
  }
  SplitList list;
  for (const std::string& id : c.split_ids) {
    const Split& sp = r->intent->splits[r->intent->FindSplit(id)];
    ctx.state.AddEvent(ctx.caller.client_id, "SPLIT_CREATED", sp.id, ctx.now_s());
    list.items.push_back(ViewOf(*r->intent, sp));
  }
  return Outcome::Of(std::move(list));
}

Outcome Apply(ApplyContext& ctx, const GetSplit& c) {
  const Intent* in = ctx.state.FindIntent(ctx.caller.client_id, c.intent_id);
  if (in == nullptr) return NoIntent();
  int k = in->FindSplit(c.split_id);
  if (k < 0) return Outcome::Error(Status::NotFound("Split not found", "split_id"));
  return Outcome::Of(ViewOf(*in, in->splits[k]));
}

Outcome Apply(ApplyContext& ctx, const UpdateSplit& c) {
  return SplitActed(ctx,
                    ledger::UpdateSplit(ctx.state, ctx.caller.client_id, c.intent_id, c.split_id,
                                        c.patch, ctx.caller.now_ms),
                    nullptr);
}

Outcome Apply(ApplyContext& ctx, const ExecuteSplit& c) {
  auto r = ledger::ExecuteSplit(ctx.state, ctx.caller.client_id, c.intent_id, c.split_id,
                                ctx.caller.now_ms);
  bool rejected = r.ok() && r->intent->splits[r->intent->FindSplit(c.split_id)].status ==
                                SplitStatus::kRejected;
  return SplitActed(ctx, r, rejected ? "SPLIT_REJECTED" : nullptr);
}

Outcome Apply(ApplyContext& ctx, const ReverseSplit& c) {
  return SplitActed(ctx,
                    ledger::ReverseSplit(ctx.state, ctx.caller.client_id, c.intent_id, c.split_id,
                                         ctx.caller.now_ms),
                    "SPLIT_REVERSED");
}

void ExecuteDueSplitsOf(ApplyContext& ctx, const Intent& intent) {
  const std::string client = intent.client_id, intent_id = intent.id;
  std::vector<std::string> due;
  for (const Split& sp : intent.splits) {
    if (sp.status == SplitStatus::kAvailable && sp.transfer_date &&
        *sp.transfer_date <= ctx.now_s()) {
      due.push_back(sp.id);
    }
  }
  for (const std::string& id : due) {
    auto r = ledger::ExecuteSplit(ctx.state, client, intent_id, id, ctx.caller.now_ms);
    if (r.ok() && r->intent->splits[r->intent->FindSplit(id)].status == SplitStatus::kRejected) {
      ctx.state.AddEvent(client, "SPLIT_REJECTED", id, ctx.now_s());
    }
  }
}

Outcome Apply(ApplyContext& ctx, const ExecuteDueSplits&) {
  // Only intents with a split due now: those waiting for a later date stay where they are (in
  // the tables, if the writer dropped them from memory).
  for (const std::string& key : ctx.state.DueIntents(ctx.now_s())) {
    Intent* in = ctx.state.MutableIntentByKey(key);
    if (in == nullptr) {
      ctx.state.Unschedule(key);
      continue;
    }
    ExecuteDueSplitsOf(ctx, *in);
    // Its next date, if a split waits for a later one (a due split that could not run is not
    // retried by the sweep: as before, it waits for its intent to change).
    ctx.state.Schedule(key, *in, ctx.now_s());
  }
  return Outcome::Of(std::monostate{});
}

Status Preflight(const ReceiveEscrowFunds& c, const Caller&, std::vector<FieldError>*) {
  auto cur = ParseCurrency(c.currency);
  if (!cur.ok()) return cur.status();
  if (c.amount <= 0) return Status::Invalid("Amount must be greater than 0", "amount");
  if (c.reference.empty() || c.reference.size() > 255) {
    return Status::Invalid("A reference of 1 to 255 characters is required", "reference");
  }
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const ReceiveEscrowFunds& c) {
  const std::string& client = ctx.caller.client_id;
  if (ctx.state.FindClient(client) == nullptr) {
    return Outcome::Error(Status::NotFound("Client not found", "client_id"));
  }
  EscrowReceipt receipt{c.currency, c.amount, 0, 0, {}, false};
  if (const Amount* earlier = ctx.state.FindEscrowReceipt(client, c.currency, c.reference)) {
    if (*earlier != c.amount) {
      return Outcome::Error(Status(
          ErrorCode::kAlreadyExists,
          "Reference " + c.reference + " was recorded with amount " + std::to_string(*earlier),
          "reference"));
    }
    receipt.already_recorded = true;  // a retry: the wire is in the books once
  } else {
    Status st = ledger::ReceiveEscrowFunds(ctx.state, client, c.currency, c.amount, c.reference,
                                           ctx.caller.now_ms);
    if (!st.ok()) return Outcome::Error(st);
    receipt.reconciled = AllocateEscrowFunds(ctx, client, c.currency);
  }
  receipt.balance = ledger::EscrowBalance(ctx.state.book(), client, c.currency);
  receipt.unallocated = ledger::UnallocatedFunds(ctx.state.book(), client, c.currency);
  return Outcome::Of(std::move(receipt));
}

}  // namespace splitledger::service
