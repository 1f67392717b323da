#include "splitledger/service/orchestrator.h"

#include <algorithm>
#include <chrono>

#include "splitledger/core/ids.h"
#include "splitledger/plugins/loader.h"

namespace splitledger::service {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// NjiaPay's spelling of a failure reason ("CardDeclined") from a normalised code.
std::string FailureReason(const plugins::OpResult& r) {
  std::string code = r.error
                         ? (r.error->unified_code.empty() ? r.error->code : r.error->unified_code)
                         : std::string();
  if (code.empty()) code = r.outcome == PSP_OUT_NOT_SUBMITTED ? "not_submitted" : "declined";
  std::string out;
  bool up = true;
  for (char ch : code) {
    if (ch == '_' || ch == '-' || ch == ' ') {
      up = true;
      continue;
    }
    out.push_back(up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch);
    up = false;
  }
  return out;
}

PspVerdict FromState(psp_state s) {
  switch (s) {
    case PSP_STATE_AUTHORIZED:
      return PspVerdict::kAuthorized;
    case PSP_STATE_CAPTURED:
    case PSP_STATE_CHARGEBACK:
      return PspVerdict::kCaptured;
    case PSP_STATE_VOIDED:
    case PSP_STATE_EXPIRED:
      return PspVerdict::kVoided;
    case PSP_STATE_DECLINED:
    case PSP_STATE_FAILED:
    case PSP_STATE_REFUND_FAILED:
      return PspVerdict::kDeclined;
    case PSP_STATE_PENDING:
    case PSP_STATE_REFUND_PENDING:
      return PspVerdict::kPending;
    case PSP_STATE_REQUIRES_ACTION:
      return PspVerdict::kActionRequired;
    case PSP_STATE_REFUNDED:
      return PspVerdict::kRefunded;
    default:
      return PspVerdict::kUnknown;
  }
}

// What an adapter's answer means for an operation of `kind`. `sync`: the answer of a
// SYNC_PAYMENT / SYNC_REFUND, whose SUCCEEDED only says "the state is known".
PspVerdict VerdictOf(PspOpKind kind, bool sync, const plugins::OpResult& r) {
  if (!r.contract_violations.empty() || r.integrity_failure) return PspVerdict::kUnknown;
  switch (r.outcome) {
    case PSP_OUT_SUCCEEDED:
      if (sync) return FromState(r.state);
      switch (kind) {
        case PspOpKind::kCapture:
          return PspVerdict::kCaptured;
        case PspOpKind::kVoid:
          return PspVerdict::kVoided;
        case PspOpKind::kRefund:
          return r.state == PSP_STATE_REFUND_PENDING ? PspVerdict::kPending : PspVerdict::kRefunded;
        default:
          return r.state == PSP_STATE_AUTHORIZED ? PspVerdict::kAuthorized : PspVerdict::kCaptured;
      }
    case PSP_OUT_AUTHORIZED:
      return PspVerdict::kAuthorized;
    case PSP_OUT_PENDING:
      return PspVerdict::kPending;
    case PSP_OUT_ACTION_REQUIRED:
      return PspVerdict::kActionRequired;
    case PSP_OUT_DECLINED:
      return PspVerdict::kDeclined;
    case PSP_OUT_FAILED:
      // A sync that finds no such payment: the PSP never received it.
      if (sync && r.error &&
          (r.error->unified_code == "not_found" || r.error->code == "not_found")) {
        return PspVerdict::kNotSubmitted;
      }
      return sync ? PspVerdict::kUnknown : PspVerdict::kDeclined;
    case PSP_OUT_NOT_SUBMITTED:
      return PspVerdict::kNotSubmitted;
    default:
      return PspVerdict::kUnknown;
  }
}

PspReport ReportOf(PspVerdict verdict, const plugins::OpResult& r) {
  PspReport rep;
  rep.verdict = verdict;
  rep.outcome = plugins::OutcomeName(r.outcome);
  rep.psp_payment_ref = r.Field("psp_payment_ref");
  rep.psp_refund_ref = r.Field("psp_refund_ref");
  if (verdict == PspVerdict::kDeclined || verdict == PspVerdict::kNotSubmitted) {
    rep.failure_reason = FailureReason(r);
  }
  if (r.error) {
    rep.error_code = r.error->code;
    rep.error_message = r.error->message;
  }
  if (!r.contract_violations.empty())
    rep.error_message = "adapter broke the ABI: " + r.contract_violations.front();
  if (r.integrity_failure) rep.error_message = "integrity failure: " + *r.integrity_failure;
  if (r.action) rep.action_url = r.action->url;
  std::string mode = r.Field("capture_mode");
  if (mode == "immediate") rep.applied_capture_mode = CaptureMode::kImmediate;
  if (mode == "manual" || mode == "prefer_delay")
    rep.applied_capture_mode = CaptureMode::kPreferDelay;
  return rep;
}

// An adapter call that failed as a call (unsupported, invalid input, a bug): unknown if anything
// was sent, otherwise never submitted.
plugins::OpResult CallFailed(const Status& st, int requests_sent) {
  plugins::OpResult r;
  r.outcome = requests_sent > 0 ? PSP_OUT_UNKNOWN : PSP_OUT_NOT_SUBMITTED;
  r.error = plugins::AdapterError{"adapter_error", st.message(), "processing_error", false, 0};
  return r;
}

psp_op_kind AdapterKind(PspOpKind k) {
  switch (k) {
    case PspOpKind::kAuthorize:
      return PSP_OP_AUTHORIZE;
    case PspOpKind::kCompleteAuth:
      return PSP_OP_COMPLETE_AUTH;
    case PspOpKind::kCapture:
      return PSP_OP_CAPTURE;
    case PspOpKind::kVoid:
      return PSP_OP_VOID;
    case PspOpKind::kRefund:
      return PSP_OP_REFUND;
    case PspOpKind::kSync:
      return PSP_OP_SYNC_PAYMENT;
  }
  return PSP_OP_SYNC_PAYMENT;
}

Result<PaymentView> ViewOrError(Outcome o) {
  if (!o.ok()) return o.status;
  return std::move(*std::get<Box<PaymentView>>(o.value));
}

}  // namespace

Orchestrator::Orchestrator(Service& service, plugins::Transport* transport,
                           std::vector<Connection> connections, OrchestratorOptions options)
    : service_(service),
      transport_(transport),
      connections_(std::move(connections)),
      options_(options) {}

Orchestrator::~Orchestrator() { Stop(); }

const Connection* Orchestrator::Find(const std::string& name) const {
  for (const Connection& c : connections_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool Orchestrator::TryTrack(const std::string& op_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.insert(op_id).second;
}

void Orchestrator::Track(const std::string& op_id, bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  if (on) {
    in_flight_.insert(op_id);
  } else {
    in_flight_.erase(op_id);
  }
}

int64_t Orchestrator::NextSyncAt(const PspOperation& op) const {
  int64_t delay = options_.first_sync_delay_ms;
  for (int64_t i = 0; i < op.syncs && delay < options_.max_sync_delay_ms; ++i) delay *= 2;
  return NowMs() + std::min(delay, options_.max_sync_delay_ms);
}

Result<PaymentView> Orchestrator::Record(const Caller& caller, const PspOperation& op,
                                         PspReport report) {
  RecordPspResult rec;
  rec.op_id = op.id;
  rec.report = std::move(report);
  rec.next_sync_at = NextSyncAt(op);
  return ViewOrError(service_.Execute({{caller.client_id, NowMs()}, rec, std::nullopt}));
}

Result<PaymentView> Orchestrator::SendAndRecord(const Caller& caller, const PaymentView& view,
                                                const PspOperation& op,
                                                const std::string& return_url,
                                                const std::string& resume_params) {
  const Payment& p = view.payment;
  const Connection* conn = Find(p.connection);
  plugins::OpResult result;
  if (conn == nullptr || conn->adapter == nullptr || transport_ == nullptr) {
    // Nothing can be sent: the connection is gone from the configuration.
    result.outcome = PSP_OUT_NOT_SUBMITTED;
    result.error = plugins::AdapterError{"connection_unavailable",
                                         "connection '" + p.connection + "' is not loaded",
                                         "config_error", true, 0};
  } else {
    plugins::OpRequest req;
    req.kind = AdapterKind(op.op());
    req.operation_id = op.id;
    const PaymentAttempt* a = view.Attempt(op.attempt_id);
    req.payment_id = a != nullptr ? a->psp_payment_id : p.id;
    req.attempt_id = std::to_string(op.attempt_id);
    req.psp_payment_ref = p.psp_payment_ref;
    req.psp_refund_ref = op.psp_refund_ref;
    req.amount = plugins::Money{op.op() == PspOpKind::kRefund ? op.amount : p.amount, p.currency};
    req.customer_ref = p.purchaser_id;
    req.return_url = return_url;
    req.capture_mode = p.capture_mode == static_cast<int64_t>(CaptureMode::kImmediate)
                           ? PSP_CAPTURE_IMMEDIATE
                           : PSP_CAPTURE_PREFER_DELAY;
    req.properties = {
        {"reference_id", p.reference_id},
        {"allow_remember_credentials", p.allow_remember_credentials ? "true" : "false"}};
    if (op.op() == PspOpKind::kRefund) req.properties.emplace_back("reason", op.reason);
    req.resume_params = resume_params;
    auto run = conn->adapter->Run(req, *transport_);
    result = run.ok() ? std::move(*run) : CallFailed(run.status(), 1);
  }
  PspVerdict verdict = VerdictOf(op.op(), op.op() == PspOpKind::kSync, result);
  return Record(caller, op, ReportOf(verdict, result));
}

Result<PaymentView> Orchestrator::Run(const Caller& caller, PspOperation op,
                                      const std::string& payment_id_suffix,
                                      const std::string& return_url,
                                      const std::string& resume_params) {
  op.id = NewId("op_", caller.now_ms);
  // In flight before it is recorded: the reconciler must never sync an operation being sent.
  Track(op.id, true);
  BeginPspOperation begin{op, op.id + payment_id_suffix};
  Result<PaymentView> started =
      ViewOrError(service_.Execute({caller, std::move(begin), std::nullopt}));
  if (!started.ok()) {
    Track(op.id, false);
    return started;
  }
  Result<PaymentView> done =
      SendAndRecord(caller, *started, *started->op, return_url, resume_params);
  Track(op.id, false);
  if (!done.ok()) return started;  // recorded, its result not: the reconciler takes over
  return done;
}

Result<PaymentView> Orchestrator::CaptureIfImmediate(const Caller& caller,
                                                     Result<PaymentView> view) {
  if (!view.ok()) return view;
  const Payment& p = view->payment;
  if (p.state() == PaymentStatus::kAuthorized &&
      p.capture_mode == static_cast<int64_t>(CaptureMode::kImmediate)) {
    Result<PaymentView> captured = Capture(caller, p.id);
    if (captured.ok()) return captured;
  }
  return view;
}

Result<PaymentView> Orchestrator::Authorize(const Caller& caller, const std::string& payment_id,
                                            const AuthorizeRequest& request) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kAuthorize);
  return CaptureIfImmediate(
      caller, Run(caller, op, request.payment_id_suffix, request.return_url, std::string()));
}

Result<PaymentView> Orchestrator::CompleteAction(const Caller& caller,
                                                 const std::string& payment_id,
                                                 const std::string& resume_params) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kCompleteAuth);
  return CaptureIfImmediate(caller, Run(caller, op, "", "", resume_params));
}

Result<PaymentView> Orchestrator::Capture(const Caller& caller, const std::string& payment_id) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kCapture);
  return Run(caller, op, "", "", "");
}

Result<PaymentView> Orchestrator::Cancel(const Caller& caller, const std::string& payment_id) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kVoid);
  return Run(caller, op, "", "", "");
}

Result<PaymentView> Orchestrator::Refund(const Caller& caller, const std::string& payment_id,
                                         Amount amount, const std::string& reason) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kRefund);
  op.amount = amount;
  op.reason = reason;
  return Run(caller, op, "", "", "");
}

Result<PaymentView> Orchestrator::Sync(const Caller& caller, const std::string& payment_id) {
  PspOperation op;
  op.payment_id = payment_id;
  op.kind = static_cast<int64_t>(PspOpKind::kSync);
  return CaptureIfImmediate(caller, Run(caller, op, "", "", ""));
}

// An open operation whose outcome is not known: ask the PSP what happened, and send it again only
// when the PSP's state proves it never happened.
void Orchestrator::Resolve(const PspWorkItem& item) {
  const PspOperation& op = *item.op;
  const Payment& p = item.payment;
  Caller caller{p.client_id, NowMs()};
  // The list was taken before a request thread may have recorded this operation and started
  // sending it: that thread marked it first, so it is skipped here.
  if (!TryTrack(op.id)) return;
  PaymentView view;
  view.payment = p;
  if (item.attempt) view.attempts.push_back(*item.attempt);
  const Connection* conn = Find(p.connection);
  plugins::OpResult result;
  if (conn == nullptr || conn->adapter == nullptr || transport_ == nullptr) {
    Track(op.id, false);
    // Leave it open: it is resolved once the connection is configured again.
    (void)Record(caller, op, PspReport{});
    return;
  }
  plugins::OpRequest req;
  req.operation_id = op.id + ".sync" + std::to_string(op.syncs);
  req.payment_id = item.attempt ? item.attempt->psp_payment_id : p.id;
  req.attempt_id = std::to_string(op.attempt_id);
  req.psp_payment_ref =
      p.psp_payment_ref.empty() && item.attempt ? item.attempt->psp_payment_ref : p.psp_payment_ref;
  req.psp_refund_ref = op.psp_refund_ref;
  req.amount = plugins::Money{op.op() == PspOpKind::kRefund ? op.amount : p.amount, p.currency};
  req.kind = op.op() == PspOpKind::kRefund && !op.psp_refund_ref.empty() ? PSP_OP_SYNC_REFUND
                                                                         : PSP_OP_SYNC_PAYMENT;
  auto run = conn->adapter->Run(req, *transport_);
  result = run.ok() ? std::move(*run) : CallFailed(run.status(), 1);
  PspVerdict verdict = VerdictOf(op.op(), true, result);
  // Whether the PSP's state shows the operation did not happen (yet).
  bool not_done = false;
  switch (op.op()) {
    case PspOpKind::kAuthorize:
    case PspOpKind::kCompleteAuth:
    case PspOpKind::kSync:
      // The PSP does not know the payment: it may still be creating it (a slow or cold PSP).
      not_done = verdict == PspVerdict::kNotSubmitted;
      break;
    case PspOpKind::kCapture:
    case PspOpKind::kVoid:
      not_done = verdict == PspVerdict::kAuthorized;
      // "Captured" may mean part of it: a different amount is for a person, not for the ledger.
      if (verdict == PspVerdict::kCaptured) {
        auto it = result.amounts.find("captured");
        if (it != result.amounts.end() && it->second.minor != p.amount) {
          verdict = PspVerdict::kUnknown;
          result.integrity_failure = "the PSP captured " + std::to_string(it->second.minor) +
                                     " of " + std::to_string(p.amount);
        }
      }
      break;
    case PspOpKind::kRefund:
      if (req.kind == PSP_OP_SYNC_PAYMENT && result.outcome == PSP_OUT_SUCCEEDED) {
        auto it = result.amounts.find("refunded");
        if (it == result.amounts.end()) {
          verdict = PspVerdict::kUnknown;
        } else if (it->second.minor >= item.refunded + op.amount) {
          verdict = PspVerdict::kRefunded;
        } else {
          verdict = PspVerdict::kUnknown;
          not_done = it->second.minor <= item.refunded;
        }
      }
      break;
    default:
      break;
  }
  PspReport report = ReportOf(verdict, result);
  if (not_done) {
    // Never sent again (one request, one operation at the PSP): a request still in flight there
    // may yet be performed. Once it cannot be any more, it never happened: failed, and the
    // merchant may ask again.
    if (NowMs() - op.created_at * 1000 > options_.settle_ms) {
      report.verdict = PspVerdict::kNotSubmitted;
      report.error_code = "not_performed";
      report.error_message = "the payment provider never performed the operation";
    } else {
      report.verdict = PspVerdict::kUnknown;
    }
  }
  (void)Record(caller, op, std::move(report));
  Track(op.id, false);
  // Resolved to an authorisation of a payment to capture at once: capture it now.
  if (op.op() != PspOpKind::kCapture && op.op() != PspOpKind::kVoid &&
      op.op() != PspOpKind::kRefund && verdict == PspVerdict::kAuthorized) {
    (void)CaptureIfImmediate(
        caller, ViewOrError(service_.Execute({caller, GetPayment{p.id}, std::nullopt})));
  }
}

void Orchestrator::Expire(const PspWorkItem& item) {
  Caller caller{item.payment.client_id, NowMs()};
  PspOperation op;
  op.payment_id = item.payment.id;
  op.kind = static_cast<int64_t>(PspOpKind::kVoid);
  op.expiry = true;
  (void)Run(caller, op, "", "", "");
}

void Orchestrator::WakeUp() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

size_t Orchestrator::ReconcileOnce() {
  ListDuePspWork list;
  {
    std::lock_guard<std::mutex> lock(mu_);
    list.in_flight.assign(in_flight_.begin(), in_flight_.end());
  }
  list.pending_sync_s = options_.pending_sync_s;
  Outcome o = service_.Execute({{"", NowMs()}, list, std::nullopt});
  if (!o.ok()) return 0;
  const PspWork& work = std::get<PspWork>(o.value);
  for (const PspWorkItem& item : work.items) {
    if (item.op) {
      Resolve(item);
    } else if (item.payment.needs_sync || item.payment.state() == PaymentStatus::kPending) {
      // A PSP webhook said it changed; or pending with nothing open: the customer is on a PSP's
      // page or never came back from it.
      (void)Sync({item.payment.client_id, NowMs()}, item.payment.id);
    } else {
      Expire(item);
    }
  }
  return work.items.size();
}

void Orchestrator::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      size_t handled = ReconcileOnce();
      lock.lock();
      if (handled < 64 && !wake_) {
        cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                     [this] { return wake_ || stop_; });
      }
      wake_ = false;
    }
  });
}

void Orchestrator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace splitledger::service
