// Orchestrated payments (core/payment.h): API keys, creation, the record of each PSP operation
// before it is sent, and its result after — with the ledger effect, which reuses the Echo intent
// handlers so both dialects post to one journal the same way.
#include <algorithm>
#include <set>

#include "handlers.h"
#include "splitledger/core/allocation.h"
#include "splitledger/ledger/intent_ops.h"

namespace splitledger::service {
namespace {

Box<PaymentView> ViewOf(const ledger::State& st, const Payment& p,
                        const PspOperation* op = nullptr) {
  PaymentView v;
  v.payment = p;
  for (const PaymentAttempt* a : st.AttemptsOf(p.id)) v.attempts.push_back(*a);
  Amount open_refunds = 0, disputed = 0;
  for (const PspOperation* o : st.PspOperationsOf(p.id)) {
    v.operations.push_back(*o);
    if (o->op() == PspOpKind::kRefund && o->open()) open_refunds += o->amount;
  }
  if (p.ledger_intent) {
    if (const Intent* in = st.FindIntent(p.client_id, p.id)) {
      IntentFigures f = ledger::DeriveIntent(st.book(), *in);
      for (const LineFigures& l : f.lines) {
        v.captured += l.captured;
        v.refunded += l.refunded;
        disputed += l.disputed;
      }
    }
  }
  v.refundable = std::max<Amount>(0, v.captured - v.refunded - disputed - open_refunds);
  if (op != nullptr) v.op = *op;
  return Box<PaymentView>(std::move(v));
}

// The payment the caller may act on: kNotFound / kPermissionDenied otherwise.
Result<const Payment*> OwnPayment(const ledger::State& st, const Caller& caller,
                                  const std::string& id) {
  const Payment* p = st.FindPayment(id);
  if (p == nullptr) return Status::NotFound("Payment intent not found", "intent_id");
  if (p->client_id != caller.client_id) {
    return Status(ErrorCode::kPermissionDenied, "Payment intent of another merchant");
  }
  return p;
}

// The Echo intent's line ids: derived from the payment's, so a replay derives the same.
std::vector<std::string> LineIds(const Payment& p, size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(p.id + "-L" + std::to_string(i + 1));
  return ids;
}

Status AsStatus(const Outcome& o) { return o.ok() ? Status::Ok() : o.status; }

// The refund spread over the lines by what each can still give back (captured − refunded −
// disputed), by the largest-remainder rule: the parts sum to the refund exactly.
Result<ActionInput> RefundLines(const Intent& in, Amount amount) {
  std::vector<Amount> weights;
  for (const LineItem& l : in.lines) {
    weights.push_back(std::max<Amount>(0, l.captured - l.refunded - l.disputed));
  }
  auto parts = Allocate(amount, weights);
  if (!parts.ok()) return parts.status();
  ActionInput input;
  input.partial = true;
  input.amount = amount;
  input.currency = in.currency;
  for (size_t i = 0; i < in.lines.size(); ++i) {
    if ((*parts)[i] > 0) input.lines.push_back({in.lines[i].id, (*parts)[i], std::nullopt});
  }
  return input;
}

// Posts what a resolved operation did to the money (LedgerEffect), through the Echo handlers.
Status PostEffect(ApplyContext& outer, Payment& p, const PspOperation& op, LedgerEffect effect,
                  const std::string& psp_payment_ref) {
  ApplyContext ctx{outer.state, outer.caller, true};
  switch (effect) {
    case LedgerEffect::kNone:
      return Status::Ok();
    case LedgerEffect::kAuthorize:
    case LedgerEffect::kAuthorizeAndCapture: {
      CreateIntent create;
      create.input->currency = p.currency;
      create.input->amount = p.amount;
      create.input->lines = PaymentLines(p);
      create.input->buyer_id = p.purchaser_id;
      ExternalData& ext = create.input->external;
      ext.present = true;
      ext.processing_date = ctx.now_s();
      ext.provider_name = p.connection;
      ext.provider_reference = psp_payment_ref.empty() ? p.id : psp_payment_ref;
      ext.merchant_reference = p.reference_id;
      ext.payment_method = "card";
      create.intent_id = p.id;
      create.line_ids = LineIds(p, create.input->lines.size());
      // Both steps must succeed or neither happen: nothing may stand in the intent's way (an
      // intent of that id, or one with the reference that a create would add the lines to).
      if (ctx.state.FindIntent(p.client_id, p.id) != nullptr ||
          ctx.state.FindIntentByReference(p.client_id, ext.provider_name, ext.provider_reference) !=
              nullptr) {
        return Status::Rule("an intent with this id or PSP reference is already in the ledger");
      }
      SL_RETURN_IF_ERROR(AsStatus(Apply(ctx, create)));
      p.ledger_intent = true;
      if (effect == LedgerEffect::kAuthorize) return Status::Ok();
      // A full capture of an intent created a moment ago cannot be refused.
      return AsStatus(Apply(ctx, CaptureIntent{p.id, ActionInput{}, op.id}));
    }
    case LedgerEffect::kCapture:
      return AsStatus(Apply(ctx, CaptureIntent{p.id, ActionInput{}, op.id}));
    case LedgerEffect::kVoid:
      return AsStatus(Apply(ctx, CancelIntent{p.id, ActionInput{}, op.id}));
    case LedgerEffect::kRefund: {
      const Intent* in = ctx.state.FindIntent(p.client_id, p.id);
      if (in == nullptr) return Status::Internal("refund of a payment with no ledger intent");
      auto input = RefundLines(*in, op.amount);
      if (!input.ok()) return input.status();
      return AsStatus(Apply(ctx, RefundIntent{p.id, *input, op.id}));
    }
  }
  return Status::Ok();
}

}  // namespace

Outcome Apply(ApplyContext& ctx, const PutApiKey& c) {
  ledger::State& st = ctx.state;
  if (st.FindClient(c.key.client_id) == nullptr) {
    return Outcome::Error(Status::NotFound("unknown client", "client_id"));
  }
  for (const ApiKey* k : st.ApiKeysOf(c.key.client_id)) {
    if (k->revoked_at == 0 && k->key_hash != c.key.key_hash &&
        k->environment == c.key.environment) {
      ApiKey revoked = *k;
      revoked.revoked_at = ctx.now_s();
      st.PutApiKey(std::move(revoked));
    }
  }
  ApiKey key = c.key;
  key.created_at = ctx.now_s();
  st.PutApiKey(key);
  return Outcome::Of(key);
}

Outcome Apply(ApplyContext& ctx, const FindApiKey& c) {
  const ApiKey* k = ctx.state.FindApiKey(c.key_hash);
  if (k == nullptr || k->revoked_at != 0 || ctx.state.FindClient(k->client_id) == nullptr) {
    return Outcome::Error(Status(ErrorCode::kUnauthenticated, "Invalid or missing API key"));
  }
  return Outcome::Of(*k);
}

Status Preflight(const CreatePayment& c, const Caller&, std::vector<FieldError>*) {
  const Payment& p = *c.payment;
  if (p.id.empty() || p.connection.empty() || p.environment.empty()) {
    return Status::Internal("a payment needs an id, a connection and an environment");
  }
  return Status::Ok();
}

Outcome Apply(ApplyContext& ctx, const CreatePayment& c) {
  ledger::State& st = ctx.state;
  Payment p = *c.payment;
  p.client_id = ctx.caller.client_id;
  if (st.FindPayment(p.id) != nullptr) {
    return Outcome::Error(Status(ErrorCode::kAlreadyExists, "intent id already used", "id"));
  }
  if (const Payment* other =
          st.FindPaymentByReference(p.client_id, p.environment, p.reference_id)) {
    return Outcome::Error(Status(ErrorCode::kAlreadyExists,
                                 "reference_id already used by intent " + other->id,
                                 "reference_id"));
  }
  // Seller wallets must exist now: the authorisation posts to them later and cannot fail then.
  std::vector<LineItemInput> lines = PaymentLines(p);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& wid = lines[i].seller.wallet_id;
    if (wid.empty() || wid == "FEES_" + p.currency || wid == "CREDIT_" + p.currency) continue;
    const Wallet* w = st.FindWallet(p.client_id, wid);
    if (w == nullptr || w->currency != p.currency) {
      return Outcome::Invalid({{FieldRef("seller_wallet_id", static_cast<int>(i)),
                                w == nullptr ? "Wallet not found."
                                             : "The wallet currency differs from the intent's."}});
    }
  }
  p.status = static_cast<int64_t>(PaymentStatus::kSelection);
  p.created_at = p.updated_at = ctx.now_s();
  st.PutPayment(p);
  return Outcome::Of(ViewOf(st, *st.FindPayment(p.id)));
}

Outcome Apply(ApplyContext& ctx, const GetPayment& c) {
  auto p = OwnPayment(ctx.state, ctx.caller, c.payment_id);
  if (!p.ok()) return Outcome::Error(p.status());
  return Outcome::Of(ViewOf(ctx.state, **p));
}

Outcome Apply(ApplyContext& ctx, const BeginPspOperation& c) {
  ledger::State& st = ctx.state;
  auto found = OwnPayment(st, ctx.caller, c.op.payment_id);
  if (!found.ok()) return Outcome::Error(found.status());
  Payment p = **found;
  if (st.FindPspOperation(c.op.id) != nullptr) {
    return Outcome::Error(Status(ErrorCode::kAlreadyExists, "operation id already used"));
  }
  // One operation at a time per payment: a second capture (or a cancel racing a capture) waits
  // for the first to be resolved instead of reaching the PSP beside it.
  // Refunds too: a sync that can only compare the PSP's refunded total with ours must know which
  // refund it is looking for.
  for (const PspOperation* o : st.PspOperationsOf(p.id)) {
    if (o->open()) {
      return Outcome::Error(Status(ErrorCode::kAlreadyExists,
                                   "Another operation on this payment is in progress; retry "
                                   "once it is resolved"));
    }
  }
  PspOperation op = c.op;
  op.client_id = p.client_id;
  Amount refundable = 0;
  if (op.op() == PspOpKind::kRefund) refundable = ViewOf(st, p)->refundable;
  if (Status s = CheckCanStart(p, op.op(), op.amount, refundable, ctx.now_s()); !s.ok()) {
    if (!(op.expiry && op.op() == PspOpKind::kVoid && p.state() == PaymentStatus::kAuthorized)) {
      return Outcome::Error(s);
    }
  }
  const int64_t now = ctx.now_s();
  if (op.op() == PspOpKind::kAuthorize) {
    PaymentAttempt a;
    a.id = st.NextAttemptId();
    a.payment_id = p.id;
    a.client_id = p.client_id;
    a.status = static_cast<int64_t>(AttemptStatus::kInitiated);
    a.psp_payment_id = c.psp_payment_id;
    a.created_at = a.updated_at = now;
    p.current_attempt = a.id;
    p.psp_payment_ref.clear();
    p.status = static_cast<int64_t>(PaymentStatus::kPending);
    st.PutAttempt(std::move(a));
    NotifyPayment(ctx, p, WebhookEvent::kStatusChange);
  }
  if (op.op() == PspOpKind::kCapture || op.op() == PspOpKind::kVoid) op.amount = p.amount;
  if (op.op() == PspOpKind::kSync) {
    p.needs_sync = false;  // the sync is recorded now: the reconciler resolves it if need be
    if (p.state() == PaymentStatus::kPending) ++p.pending_syncs;
  }
  if (op.op() == PspOpKind::kRefund) {
    op.refund_number = st.NextRefundNumber();
    op.refund_status = "pending";
  }
  op.attempt_id = p.current_attempt;
  op.state = static_cast<int64_t>(PspOpState::kRecorded);
  op.created_at = op.updated_at = now;
  p.updated_at = now;
  st.PutPspOperation(op);
  st.PutPayment(p);
  return Outcome::Of(ViewOf(st, *st.FindPayment(p.id), st.FindPspOperation(op.id)));
}

Outcome Apply(ApplyContext& ctx, const RecordPspResult& c) {
  ledger::State& st = ctx.state;
  const PspOperation* found = st.FindPspOperation(c.op_id);
  if (found == nullptr) return Outcome::Error(Status::NotFound("unknown operation", "op_id"));
  const Payment* fp = st.FindPayment(found->payment_id);
  if (fp == nullptr) return Outcome::Error(Status::Internal("operation of an unknown payment"));
  if (fp->client_id != ctx.caller.client_id) {
    return Outcome::Error(Status(ErrorCode::kPermissionDenied, "operation of another client"));
  }
  if (!found->open()) return Outcome::Of(ViewOf(st, *fp, found));
  Payment p = *fp;
  PspOperation op = *found;
  const PaymentAttempt* fa = st.FindAttempt(op.attempt_id);
  PaymentAttempt attempt = fa != nullptr ? *fa : PaymentAttempt{};
  const PspReport& r = c.report;
  if (!r.psp_payment_ref.empty() && op.op() != PspOpKind::kRefund)
    p.psp_payment_ref = r.psp_payment_ref;

  PaymentTransition t = PlanPspResult(p, attempt, op, r.verdict);
  const int64_t now = ctx.now_s();
  // The ledger first. If it refuses what the PSP did, the operation stays open with the reason,
  // for a person to look at; the reconciler looks again with backoff (never in a tight loop).
  Status posted = PostEffect(ctx, p, op, t.effect, p.psp_payment_ref);
  if (!posted.ok()) {
    op.state = static_cast<int64_t>(PspOpState::kUnknown);
    op.outcome = r.outcome;
    op.error_code = "ledger_refused";
    op.error_message = "the PSP reported it done but the ledger refused it: " + posted.message();
    ++op.syncs;
    op.next_sync_at = c.next_sync_at;
    op.updated_at = now;
    st.PutPspOperation(op);
    return Outcome::Of(ViewOf(st, *fp, st.FindPspOperation(op.id)));
  }

  op.state = static_cast<int64_t>(t.op);
  op.outcome = r.outcome;
  op.error_code = r.error_code;
  op.error_message = r.error_message;
  if (!r.psp_refund_ref.empty()) op.psp_refund_ref = r.psp_refund_ref;
  op.refund_status = t.refund_status;
  if (found->phase() == PspOpState::kUnknown) ++op.syncs;
  op.next_sync_at = c.next_sync_at;
  op.updated_at = now;

  if (fa != nullptr) {
    attempt.status = static_cast<int64_t>(t.attempt);
    if (!r.psp_payment_ref.empty() && op.op() != PspOpKind::kRefund) {
      attempt.psp_payment_ref = r.psp_payment_ref;
    }
    if (t.attempt == AttemptStatus::kFailed) attempt.failure_reason = r.failure_reason;
    if (r.verdict != PspVerdict::kActionRequired) {
      attempt.action_url.clear();
    } else if (!r.action_url.empty()) {
      attempt.action_url = r.action_url;  // a sync may not repeat it: the old one stands
    }
    attempt.updated_at = now;
    st.PutAttempt(attempt);
  }
  const PaymentStatus before = p.state();
  p.status = static_cast<int64_t>(t.payment);
  if (t.payment != before) p.pending_syncs = 0;
  if (t.attempt == AttemptStatus::kFailed && fa != nullptr) p.failure_reason = r.failure_reason;
  if (r.applied_capture_mode)
    p.applied_capture_mode = static_cast<int64_t>(*r.applied_capture_mode);
  if (!fp->ledger_intent && p.ledger_intent) p.authorized_at = now;
  if (before != PaymentStatus::kAuthorized && t.payment == PaymentStatus::kAuthorized) {
    p.expires_at = p.authorization_window_s > 0 ? now + p.authorization_window_s : 0;
  }
  p.updated_at = now;
  st.PutPspOperation(op);
  st.PutPayment(p);
  // The merchant hears of every change of status (a cancel as a Cancelation) and of every refund
  // that settled either way, in the same batch.
  if (p.state() != before) {
    NotifyPayment(ctx, p,
                  p.state() == PaymentStatus::kCanceled ? WebhookEvent::kCancelation
                                                        : WebhookEvent::kStatusChange);
  }
  if (op.op() == PspOpKind::kRefund && !op.open())
    NotifyPayment(ctx, p, WebhookEvent::kRefund, &op);
  return Outcome::Of(ViewOf(st, *st.FindPayment(p.id), st.FindPspOperation(op.id)));
}

Outcome Apply(ApplyContext& ctx, const ListDuePspWork& c) {
  const ledger::State& st = ctx.state;
  const int64_t now_ms = ctx.caller.now_ms;
  PspWork work;
  auto in_flight = [&](const std::string& id) {
    return std::find(c.in_flight.begin(), c.in_flight.end(), id) != c.in_flight.end();
  };
  std::set<std::string> busy;  // payments with an open operation
  for (const std::string& id : st.OpenPspOperations()) {
    const PspOperation* op = st.FindPspOperation(id);
    busy.insert(op->payment_id);
    if (static_cast<int64_t>(work.items.size()) >= c.limit || in_flight(id)) continue;
    // A recorded operation that is not in flight here was cut off by a crash: due at once.
    if (op->phase() == PspOpState::kUnknown && op->next_sync_at > now_ms) continue;
    const Payment* p = st.FindPayment(op->payment_id);
    // A refund's sync compares the PSP's refunded total with the ledger's: only refunds need it.
    Amount refunded = op->op() == PspOpKind::kRefund ? ViewOf(st, *p)->refunded : 0;
    PspWorkItem item{*p, std::nullopt, *op, refunded};
    if (const PaymentAttempt* a = st.FindAttempt(op->attempt_id)) item.attempt = *a;
    work.items.push_back(std::move(item));
  }
  std::set<std::string> listed;
  for (const std::string& id : st.PaymentsToSync()) {
    if (static_cast<int64_t>(work.items.size()) >= c.limit) break;
    if (busy.count(id) != 0) continue;  // its open operation's resolution syncs it
    listed.insert(id);
    work.items.push_back(PspWorkItem{*st.FindPayment(id), std::nullopt, std::nullopt, 0});
  }
  for (const std::string& id : st.PendingPayments()) {
    if (static_cast<int64_t>(work.items.size()) >= c.limit) break;
    const Payment* p = st.FindPayment(id);
    // Synced after pending_sync_s, then less and less often (a checkout the customer left).
    int64_t wait = c.pending_sync_s << std::min<int64_t>(p->pending_syncs, 10);
    if (busy.count(id) != 0 || listed.count(id) != 0 || p->updated_at + wait > now_ms / 1000) {
      continue;
    }
    work.items.push_back(PspWorkItem{*p, std::nullopt, std::nullopt, 0});
  }
  for (const auto& [at, id] : st.Expiring()) {
    if (at > now_ms / 1000 || static_cast<int64_t>(work.items.size()) >= c.limit) break;
    if (busy.count(id) != 0) continue;
    const Payment* p = st.FindPayment(id);
    PspWorkItem item{*p, std::nullopt, std::nullopt, 0};
    if (const PaymentAttempt* a = st.FindAttempt(p->current_attempt)) item.attempt = *a;
    work.items.push_back(std::move(item));
  }
  return Outcome::Of(std::move(work));
}

}  // namespace splitledger::service
