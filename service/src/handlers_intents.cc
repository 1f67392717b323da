// Echo-style intents: create (with mixed basket), capture, cancel, get, refunds and their
// reversals, disputes and their decisions. The money rules are the
// core aggregate's (core/intent.h) and their postings the ledger's (ledger/intent_ops.h); this
// adds what needs the other entities: seller wallets, the client's wallets, events.
#include "handlers.h"
#include "outcome_codec.h"
#include "splitledger/ledger/intent_ops.h"

namespace splitledger::service {
namespace {

IntentSnapshot ViewOf(const ledger::State& st, const Intent& in,
                      IntentAction action = IntentAction::kNone,
                      const std::string& action_id = {}) {
  return EncodeIntentView(in, ledger::DeriveIntent(st.book(), in), action, action_id);
}

// The outcome of an intent action, with its event (Echo §13) fired once it succeeded.
Outcome Acted(ApplyContext& ctx, const Result<ledger::IntentActionResult>& r, IntentAction action,
              const char* event) {
  if (!r.ok()) return Outcome::Error(r.status());
  ctx.state.AddEvent(ctx.caller.client_id, event, r->intent->id, ctx.now_s());
  return Outcome::Of(ViewOf(ctx.state, *r->intent, action, r->action_id));
}

// An intent the orchestration dialect drives moves money only when its PSP did (ApplyContext).
Status CheckNotOrchestrated(const ApplyContext& ctx, const std::string& intent_id) {
  const Payment* p = ctx.state.FindPayment(intent_id);
  if (ctx.from_orchestration || p == nullptr || p->client_id != ctx.caller.client_id) {
    return Status::Ok();
  }
  return Status::Rule(
      "This intent is paid through the orchestration dialect: capture, cancel and refund it "
      "there (/api/v2/intents/{id}/capture, …/cancel-authorization, /api/intents/{id}/refund)",
      "intent_id");
}

}  // namespace

Status Preflight(const CreateIntent& c, const Caller&, std::vector<FieldError>*) {
  if (c.intent_id.empty() || c.line_ids.size() != c.input->lines.size()) {
    return Status::Internal("an intent id and one id per line are required");
  }
  // The rules that need no state (amounts, sums, fees) fail here, off the writer.
  return CheckCreate(*c.input);
}

Outcome Apply(ApplyContext& ctx, const CreateIntent& c) {
  ledger::State& st = ctx.state;
  const std::string& client = ctx.caller.client_id;
  const std::string& currency = c.input->currency;
  // A seller wallet is a wallet of this client in the intent's currency, or the client's own
  // FEES_/CREDIT_ wallet for first-party items.
  for (size_t i = 0; i < c.input->lines.size(); ++i) {
    const std::string& wid = c.input->lines[i].seller.wallet_id;
    if (wid.empty() || wid == "FEES_" + currency || wid == "CREDIT_" + currency) continue;
    FieldRef field("seller_wallet_id", static_cast<int>(i));
    const Wallet* w = st.FindWallet(client, wid);
    if (w == nullptr) return Outcome::Invalid({{field, "Wallet not found."}});
    if (w->currency != currency) {
      return Outcome::Invalid({{field, "The wallet currency differs from the Intent currency."}});
    }
  }
  if (const Intent* existing = st.FindIntentByReference(client, c.input->external.provider_name,
                                                        c.input->external.provider_reference);
      existing != nullptr && !c.input->external.provider_reference.empty()) {
    // A mixed basket may not add lines to an orchestrated intent (its PSP knows nothing of them).
    if (Status s = CheckNotOrchestrated(ctx, existing->id); !s.ok()) return Outcome::Error(s);
  }
  auto r = ledger::CreateIntent(st, client, *c.input, c.intent_id, c.line_ids, ctx.caller.now_ms);
  if (!r.ok()) return Outcome::Error(r.status());
  EnsureClientWallets(ctx, client, currency);
  if (!r->added_to_existing) st.AddEvent(client, "INTENT_AUTHORIZED", r->intent->id, ctx.now_s());
  return Outcome::Of(ViewOf(st, *r->intent));
}

Outcome Apply(ApplyContext& ctx, const CaptureIntent& c) {
  if (Status s = CheckNotOrchestrated(ctx, c.intent_id); !s.ok()) return Outcome::Error(s);
  return Acted(ctx,
               ledger::CaptureIntent(ctx.state, ctx.caller.client_id, c.intent_id, c.input,
                                     c.capture_id, ctx.caller.now_ms),
               IntentAction::kCapture, "INTENT_CAPTURED");
}

Outcome Apply(ApplyContext& ctx, const CancelIntent& c) {
  if (Status s = CheckNotOrchestrated(ctx, c.intent_id); !s.ok()) return Outcome::Error(s);
  auto r = ledger::CancelIntent(ctx.state, ctx.caller.client_id, c.intent_id, c.input, c.cancel_id,
                                ctx.caller.now_ms);
  if (!r.ok()) return Outcome::Error(r.status());
  return Outcome::Of(ViewOf(ctx.state, *r->intent, IntentAction::kCancel, r->action_id));
}

Outcome Apply(ApplyContext& ctx, const GetIntent& c) {
  const Intent* in = ctx.state.FindIntent(ctx.caller.client_id, c.intent_id);
  if (in == nullptr) return Outcome::Error(Status::NotFound("Intent not found", "intent_id"));
  return Outcome::Of(ViewOf(ctx.state, *in));
}

Outcome Apply(ApplyContext& ctx, const RefundIntent& c) {
  if (Status s = CheckNotOrchestrated(ctx, c.intent_id); !s.ok()) return Outcome::Error(s);
  return Acted(ctx,
               ledger::RefundIntent(ctx.state, ctx.caller.client_id, c.intent_id, c.input,
                                    c.refund_id, ctx.caller.now_ms),
               IntentAction::kRefund, "INTENT_REFUNDED");
}

Outcome Apply(ApplyContext& ctx, const ReverseRefund& c) {
  if (Status s = CheckNotOrchestrated(ctx, c.intent_id); !s.ok()) return Outcome::Error(s);
  return Acted(ctx,
               ledger::ReverseRefund(ctx.state, ctx.caller.client_id, c.intent_id, c.refund_id,
                                     c.input, c.reversal_id, ctx.caller.now_ms),
               IntentAction::kRefundReversal, "INTENT_REFUND_REVERSED");
}

Outcome Apply(ApplyContext& ctx, const DisputeCapture& c) {
  return Acted(ctx,
               ledger::DisputeCapture(ctx.state, ctx.caller.client_id, c.intent_id, c.capture_id,
                                      c.input, c.dispute_id, ctx.caller.now_ms),
               IntentAction::kDispute, "INTENT_DISPUTE_CREATED");
}

Outcome Apply(ApplyContext& ctx, const DecideDispute& c) {
  static constexpr const char* kEvents[] = {"INTENT_DISPUTE_DEFENDED", "INTENT_DISPUTE_WON",
                                            "INTENT_DISPUTE_LOST"};
  return Acted(ctx,
               ledger::DecideDispute(ctx.state, ctx.caller.client_id, c.intent_id, c.capture_id,
                                     c.dispute_id, c.decision, ctx.caller.now_ms),
               IntentAction::kDisputeDecision, kEvents[static_cast<int>(c.decision)]);
}

}  // namespace splitledger::service
