// The smallest complete PSP adapter: copy this folder to start your own (docs/plugins.md).
//
// Its "PSP" is a table in memory that approves everything, so it needs no network and passes
// `splitledger plugin check` as it is. A real adapter replaces Execute() with an Op that returns
// PSP_STEP_SEND with a request, then maps the response it gets back in the next Step() — see
// docs/plugins.md, "From here to a real PSP", and plugins/adapters/njiapay for a full example.
#include <map>
#include <mutex>
#include <string>

#include "splitledger/psp_adapter.hpp"

namespace {

struct Payment {
  psp::Money amount;
  int64_t captured = 0, refunded = 0;
  bool voided = false;
};

class MinimalInstance;

class MinimalOp : public psp::Op {
 public:
  MinimalOp(MinimalInstance* instance, psp::OpInput in) : instance_(instance), in_(std::move(in)) {}
  // One step, no request: the answer is known at once.
  psp_step Step(const psp::Response*, const psp::Sink& sink, psp::Request&) override;

 private:
  MinimalInstance* instance_;
  psp::OpInput in_;
};

class MinimalInstance : public psp::Instance {
 public:
  psp_rc Begin(const psp::OpInput& in, std::unique_ptr<psp::Op>* out) override {
    if (in.kind != PSP_OP_AUTHORIZE && in.kind != PSP_OP_SYNC_PAYMENT && in.psp_payment_ref.empty()) {
      return PSP_E_INVALID_ARG;  // every later operation names the payment
    }
    if (in.kind == PSP_OP_SYNC_REFUND || in.kind == PSP_OP_COMPLETE_AUTH) return PSP_E_UNSUPPORTED;
    *out = std::make_unique<MinimalOp>(this, in);
    return PSP_OK;
  }

  // No PSP_CAP_WEBHOOKS: nothing is ever accepted.
  psp_rc Webhook(std::string_view, std::string_view, const psp::Headers&, std::string_view,
                 const psp::Sink& sink) override {
    sink.WebhookReply(404, "{}");
    return PSP_OK;
  }

  void Execute(const psp::OpInput& in, const psp::Sink& sink) {
    std::lock_guard<std::mutex> lock(mu_);  // ops may run on many threads at once
    if (in.kind == PSP_OP_AUTHORIZE) {
      std::string ref = "min_" + std::to_string(payments_.size() + 1);
      payments_[ref] = Payment{in.amount};
      by_id_[in.payment_id] = ref;
      sink.Field("psp_payment_ref", ref);
      sink.Outcome(PSP_OUT_AUTHORIZED);
      sink.State(PSP_STATE_AUTHORIZED);
      return;
    }
    std::string ref = in.psp_payment_ref.empty() ? by_id_[in.payment_id] : in.psp_payment_ref;
    auto it = payments_.find(ref);
    if (it == payments_.end()) {
      sink.Outcome(PSP_OUT_FAILED);
      sink.Error("not_found", "no such payment", "not_found");
      return;
    }
    Payment& p = it->second;
    switch (in.kind) {
      case PSP_OP_CAPTURE:
        if (p.voided || in.amount.minor > p.amount.minor - p.captured) {
          sink.Outcome(PSP_OUT_DECLINED);
          sink.Error("invalid_amount", "nothing left to capture", "invalid_amount");
          return;
        }
        p.captured += in.amount.minor;
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.Amount("processed", in.amount);  // the host checks it against the request
        break;
      case PSP_OP_VOID:
        if (p.captured > 0) {
          sink.Outcome(PSP_OUT_DECLINED);
          sink.Error("invalid_state", "already captured", "invalid_state");
          return;
        }
        p.voided = true;
        sink.Outcome(PSP_OUT_SUCCEEDED);
        break;
      case PSP_OP_REFUND:
        if (in.amount.minor > p.captured - p.refunded) {
          sink.Outcome(PSP_OUT_DECLINED);
          sink.Error("invalid_amount", "refund exceeds the captured amount", "invalid_amount");
          return;
        }
        p.refunded += in.amount.minor;
        sink.Field("psp_refund_ref", ref + "_re" + std::to_string(p.refunded));
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.Amount("processed", in.amount);
        break;
      default:  // PSP_OP_SYNC_PAYMENT: the state is known
        sink.Outcome(PSP_OUT_SUCCEEDED);
        break;
    }
    sink.Field("psp_payment_ref", ref);
    sink.State(p.voided ? PSP_STATE_VOIDED : p.captured ? PSP_STATE_CAPTURED : PSP_STATE_AUTHORIZED);
  }

 private:
  std::mutex mu_;
  std::map<std::string, Payment> payments_;
  std::map<std::string, std::string> by_id_;
};

psp_step MinimalOp::Step(const psp::Response*, const psp::Sink& sink, psp::Request&) {
  instance_->Execute(in_, sink);
  return PSP_STEP_DONE;
}

struct MinimalTraits {
  static constexpr const char* kName = "minimal";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr uint64_t kCapabilities = PSP_CAP_AUTH_CAPTURE | PSP_CAP_PARTIAL_CAPTURE |
                                            PSP_CAP_VOID | PSP_CAP_REFUND | PSP_CAP_PARTIAL_REFUND |
                                            PSP_CAP_MULTI_REFUND;

  // The config must be a JSON object; this adapter reads nothing from it. Field errors go to
  // `errors` with the field name as the code.
  static psp_rc Validate(const psp::Host&, std::string_view config, const psp::Sink& errors) {
    size_t first = config.find_first_not_of(" \t\r\n");
    size_t last = config.find_last_not_of(" \t\r\n");
    if (first == std::string_view::npos || config[first] != '{' || config[last] != '}') {
      errors.Error("config", "must be a JSON object", "config_error");
      return PSP_E_CONFIG;
    }
    return PSP_OK;
  }
  static psp_rc Create(const psp::Host& host, std::string_view config, std::string_view,
                       const psp::Sink& errors, std::unique_ptr<psp::Instance>* out) {
    if (psp_rc rc = Validate(host, config, errors); rc != PSP_OK) return rc;
    *out = std::make_unique<MinimalInstance>();
    return PSP_OK;
  }
};

}  // namespace

PSP_DEFINE_ADAPTER(MinimalTraits)
