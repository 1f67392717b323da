#include "splitledger/core/payment.h"

#include "splitledger/core/codec.h"
#include "splitledger/core/intent_describe.h"

namespace splitledger {

const char* PaymentStatusName(PaymentStatus s) {
  switch (s) {
    case PaymentStatus::kSelection:
      return "selection";
    case PaymentStatus::kPending:
      return "pending";
    case PaymentStatus::kAuthorized:
      return "authorized";
    case PaymentStatus::kSuccess:
      return "success";
    case PaymentStatus::kCanceled:
      return "canceled";
    case PaymentStatus::kExpired:
      return "expired";
    case PaymentStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

const char* AttemptStatusName(AttemptStatus s) {
  switch (s) {
    case AttemptStatus::kInitiated:
      return "initiated";
    case AttemptStatus::kPending:
      return "pending";
    case AttemptStatus::kAuthorized:
      return "authorized";
    case AttemptStatus::kSuccess:
      return "success";
    case AttemptStatus::kFailed:
      return "failed";
    case AttemptStatus::kCanceled:
      return "canceled";
    case AttemptStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

const char* CaptureModeName(CaptureMode m) {
  return m == CaptureMode::kImmediate ? "immediate" : "prefer_delay";
}

std::optional<CaptureMode> ParseCaptureMode(std::string_view name) {
  if (name == "immediate") return CaptureMode::kImmediate;
  if (name == "prefer_delay") return CaptureMode::kPreferDelay;
  return std::nullopt;
}

const char* PspOpKindName(PspOpKind k) {
  switch (k) {
    case PspOpKind::kAuthorize:
      return "authorize";
    case PspOpKind::kCompleteAuth:
      return "complete_auth";
    case PspOpKind::kCapture:
      return "capture";
    case PspOpKind::kVoid:
      return "void";
    case PspOpKind::kRefund:
      return "refund";
    case PspOpKind::kSync:
      return "sync";
  }
  return "unknown";
}

const char* PspOpStateName(PspOpState s) {
  switch (s) {
    case PspOpState::kRecorded:
      return "recorded";
    case PspOpState::kUnknown:
      return "unknown";
    case PspOpState::kDone:
      return "done";
    case PspOpState::kFailed:
      return "failed";
  }
  return "unknown";
}

bool Payment::terminal() const {
  PaymentStatus s = state();
  return s == PaymentStatus::kCanceled || s == PaymentStatus::kExpired ||
         s == PaymentStatus::kFailed;
}

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The lines of a payment as stored: a count, then each line's described fields.
struct LineList {
  std::vector<LineItem> lines;
};
template <class V>
void Describe(V& v, LineList& l) {
  describe_detail::Each(v, "line", l.lines);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CheckPayment(const PaymentInput& in,
                                                              std::string_view environment) {
  std::vector<std::pair<std::string, std::string>> errors;
  if (in.amount <= 0) errors.emplace_back("amount", "must be a positive integer (minor units)");
  if (!ParseCurrency(in.currency).ok()) {
    errors.emplace_back("currency", "must be an ISO 4217 currency code");
  }
  if (in.reference_id.empty() || in.reference_id.size() > 255) {
    errors.emplace_back("reference_id", "must have 1 to 255 characters");
  }
  if (in.purchaser_id.size() < 3 || in.purchaser_id.size() > 255) {
    errors.emplace_back("purchaser_id", "must have 3 to 255 characters");
  }
  bool https = StartsWith(in.return_url, "https://");
  bool http = StartsWith(in.return_url, "http://");
  if (in.return_url.size() > 2048 || !(https || (http && environment != "live")) ||
      in.return_url.find_first_of(" \t\r\n\"<>") != std::string::npos) {
    errors.emplace_back("return_url",
                        environment == "live" ? "must be an https URL" : "must be an http(s) URL");
  }
  if (!in.lines.empty() && errors.empty()) {
    CreateIntentInput ci;
    ci.currency = in.currency;
    ci.amount = in.amount;
    ci.lines = in.lines;
    Status st = CheckCreate(ci);
    if (!st.ok()) {
      std::string field = "line_items";
      if (st.line() >= 0) field += "[" + std::to_string(st.line()) + "]";
      if (!st.field().empty() && st.field() != "amount") field += "." + st.field();
      errors.emplace_back(field, st.message());
    }
  }
  return errors;
}

std::vector<LineItemInput> PaymentLines(const Payment& p) {
  std::vector<LineItemInput> lines;
  if (p.lines_given && DecodeLines(p.lines, &lines)) return lines;
  LineItemInput whole;
  whole.name = p.reference_id;
  whole.quantity = 1;
  whole.unit_amount = p.amount;
  return {whole};
}

Bytes EncodeLines(const std::vector<LineItemInput>& lines) {
  LineList list;
  for (const LineItemInput& in : lines) {
    LineItem l;
    l.input = in;
    l.fee_initial = in.seller.fees_amount;
    list.lines.push_back(std::move(l));
  }
  return Bytes{Encode(list)};
}

bool DecodeLines(const Bytes& bytes, std::vector<LineItemInput>* out) {
  LineList list;
  if (!Decode(bytes.data, &list)) return false;
  out->clear();
  for (LineItem& l : list.lines) {
    l.input.seller.fees_amount = l.fee_initial;
    out->push_back(std::move(l.input));
  }
  return true;
}

PaymentTransition PlanPspResult(const Payment& p, const PaymentAttempt& attempt,
                                const PspOperation& op, PspVerdict verdict) {
  PaymentTransition t{p.state(), attempt.state(), PspOpState::kUnknown, LedgerEffect::kNone,
                      op.refund_status};
  const bool held = p.ledger_intent;  // the authorisation is in the ledger
  const bool live_auth = p.state() == PaymentStatus::kAuthorized;
  switch (op.op()) {
    case PspOpKind::kAuthorize:
    case PspOpKind::kCompleteAuth:
    case PspOpKind::kSync:
      switch (verdict) {
        case PspVerdict::kAuthorized:
          t.op = PspOpState::kDone;
          if (p.state() == PaymentStatus::kSelection || p.state() == PaymentStatus::kPending) {
            t.payment = PaymentStatus::kAuthorized;
            t.attempt = AttemptStatus::kAuthorized;
            t.effect = held ? LedgerEffect::kNone : LedgerEffect::kAuthorize;
          }
          return t;
        case PspVerdict::kCaptured:
          t.op = PspOpState::kDone;
          if (!held && !p.terminal()) {
            t.payment = PaymentStatus::kSuccess;
            t.attempt = AttemptStatus::kSuccess;
            t.effect = LedgerEffect::kAuthorizeAndCapture;
          } else if (live_auth) {
            t.payment = PaymentStatus::kSuccess;
            t.attempt = AttemptStatus::kSuccess;
            t.effect = LedgerEffect::kCapture;
          }
          return t;
        case PspVerdict::kVoided:
          t.op = PspOpState::kDone;
          if (live_auth) {
            t.payment = PaymentStatus::kExpired;  // voided by the PSP, not by us: it lapsed
            t.attempt = AttemptStatus::kExpired;
            t.effect = LedgerEffect::kVoid;
          }
          return t;
        case PspVerdict::kActionRequired:
          t.op = PspOpState::kDone;  // the customer's step comes back as kCompleteAuth
          if (!held && !p.terminal()) {
            t.payment = PaymentStatus::kPending;
            t.attempt = AttemptStatus::kPending;
          }
          return t;
        case PspVerdict::kPending:
        case PspVerdict::kUnknown:
          t.op = PspOpState::kUnknown;
          if (!held && !p.terminal()) {
            t.payment = PaymentStatus::kPending;
            t.attempt = AttemptStatus::kPending;
          }
          return t;
        case PspVerdict::kDeclined:
        case PspVerdict::kNotSubmitted:
          t.op = PspOpState::kFailed;
          if (!held && !p.terminal()) {
            t.payment = PaymentStatus::kSelection;  // the customer may try again
            t.attempt = AttemptStatus::kFailed;
          }
          return t;
        case PspVerdict::kRefunded:
          return t;
      }
      return t;
    case PspOpKind::kCapture:
      switch (verdict) {
        case PspVerdict::kCaptured:
          t.op = PspOpState::kDone;
          if (live_auth) {
            t.payment = PaymentStatus::kSuccess;
            t.attempt = AttemptStatus::kSuccess;
            t.effect = LedgerEffect::kCapture;
          }
          return t;
        case PspVerdict::kVoided:
          t.op = PspOpState::kFailed;
          if (live_auth) {
            t.payment = PaymentStatus::kExpired;
            t.attempt = AttemptStatus::kExpired;
            t.effect = LedgerEffect::kVoid;
          }
          return t;
        case PspVerdict::kDeclined:
        case PspVerdict::kNotSubmitted:
        case PspVerdict::kAuthorized:  // a sync: the capture did not happen
          t.op = PspOpState::kFailed;
          return t;
        default:
          return t;
      }
    case PspOpKind::kVoid:
      switch (verdict) {
        case PspVerdict::kVoided:
          t.op = PspOpState::kDone;
          if (live_auth) {
            t.payment = op.expiry ? PaymentStatus::kExpired : PaymentStatus::kCanceled;
            t.attempt = op.expiry ? AttemptStatus::kExpired : AttemptStatus::kCanceled;
            t.effect = LedgerEffect::kVoid;
          }
          return t;
        case PspVerdict::kCaptured:  // a sync: captured before the void arrived
          t.op = PspOpState::kFailed;
          if (live_auth) {
            t.payment = PaymentStatus::kSuccess;
            t.attempt = AttemptStatus::kSuccess;
            t.effect = LedgerEffect::kCapture;
          }
          return t;
        case PspVerdict::kDeclined:
        case PspVerdict::kNotSubmitted:
        case PspVerdict::kAuthorized:
          t.op = PspOpState::kFailed;
          // An authorisation past its window is released here even when the PSP would not void
          // it: it will lapse there too, and holding it in the ledger would be a fiction.
          if (op.expiry && live_auth) {
            t.payment = PaymentStatus::kExpired;
            t.attempt = AttemptStatus::kExpired;
            t.effect = LedgerEffect::kVoid;
          }
          return t;
        default:
          return t;
      }
    case PspOpKind::kRefund:
      switch (verdict) {
        case PspVerdict::kRefunded:
          t.op = PspOpState::kDone;
          t.refund_status = "success";
          t.effect = LedgerEffect::kRefund;
          return t;
        case PspVerdict::kPending:
        case PspVerdict::kUnknown:
          t.refund_status = "pending";
          return t;
        case PspVerdict::kDeclined:
        case PspVerdict::kNotSubmitted:
          t.op = PspOpState::kFailed;
          t.refund_status = "failed";
          return t;
        default:
          return t;
      }
  }
  return t;
}

Status CheckCanStart(const Payment& p, PspOpKind kind, Amount amount, Amount refundable,
                     int64_t now_s) {
  const PaymentStatus s = p.state();
  const bool lapsed = s == PaymentStatus::kExpired || (s == PaymentStatus::kAuthorized &&
                                                       p.expires_at > 0 && now_s >= p.expires_at);
  switch (kind) {
    case PspOpKind::kAuthorize:
      if (s != PaymentStatus::kSelection) {
        return Status::Rule("Payment intent is not awaiting payment (status " +
                                std::string(PaymentStatusName(s)) + ")",
                            "status");
      }
      return Status::Ok();
    case PspOpKind::kCompleteAuth:
      if (s != PaymentStatus::kPending) {
        return Status::Rule("Payment intent is not waiting for the customer", "status");
      }
      return Status::Ok();
    case PspOpKind::kCapture:
      if (s == PaymentStatus::kSuccess) {
        return Status::Rule("Payment intent has already been captured", "status");
      }
      if (lapsed) return Status::Rule("Capture failed: Authorization already expired", "status");
      if (s != PaymentStatus::kAuthorized) {
        return Status::Rule("Payment intent is not in authorized status", "status");
      }
      return Status::Ok();
    case PspOpKind::kVoid:
      if (s == PaymentStatus::kSuccess) {
        return Status::Rule("Cannot cancel a captured payment. Use refund endpoint instead.",
                            "status");
      }
      if (lapsed)
        return Status::Rule("Cancellation failed: Authorization already expired", "status");
      if (s != PaymentStatus::kAuthorized) {
        return Status::Rule("Payment intent is not in authorized status", "status");
      }
      return Status::Ok();
    case PspOpKind::kRefund:
      if (s != PaymentStatus::kSuccess) {
        return Status::Rule("Only a captured payment (status success) can be refunded", "status");
      }
      if (amount <= 0) return Status::Invalid("amount must be a positive integer", "amount");
      if (amount > refundable) {
        return Status::Rule(
            "Refund amount exceeds the refundable amount (" + std::to_string(refundable) + ")",
            "amount");
      }
      return Status::Ok();
    case PspOpKind::kSync:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace splitledger
