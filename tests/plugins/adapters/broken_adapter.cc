// A deliberately broken adapter: `splitledger plugin check` must report it as failing.
// Its bugs, each one a scenario of the kit:
//   - a capture reports the whole authorized amount as processed (capture_partial: integrity)
//   - a void answers SUCCEEDED but leaves the payment authorized (void)
//   - refunds are never limited to what was captured (refund_partial: over-refund accepted)
//   - every webhook is accepted, whatever its signature (webhook_bad_signatures, webhook_garbage)
#include <map>
#include <mutex>
#include <string>

#include "splitledger/psp_adapter.hpp"

namespace {

struct Payment {
  psp::Money amount;
  bool captured = false;
};

class BrokenInstance;

class BrokenOp : public psp::Op {
 public:
  BrokenOp(BrokenInstance* instance, psp::OpInput in) : instance_(instance), in_(std::move(in)) {}
  psp_step Step(const psp::Response*, const psp::Sink& sink, psp::Request&) override;

 private:
  BrokenInstance* instance_;
  psp::OpInput in_;
};

class BrokenInstance : public psp::Instance {
 public:
  psp_rc Begin(const psp::OpInput& in, std::unique_ptr<psp::Op>* out) override {
    *out = std::make_unique<BrokenOp>(this, in);
    return PSP_OK;
  }
  psp_rc Webhook(std::string_view, std::string_view, const psp::Headers&, std::string_view body,
                 const psp::Sink& sink) override {
    psp_event e{};
    e.struct_size = sizeof e;
    std::string id = "evt_" + std::to_string(body.size());
    e.event_id = psp::Str(id);
    e.event_type = psp::Str("anything");
    e.state = PSP_STATE_AUTHORIZED;
    // Bug: no signature check at all.
    size_t at = body.find("min_");
    std::string ref = at == std::string_view::npos ? "" : std::string(body.substr(at, body.find('"', at) - at));
    e.psp_payment_ref = psp::Str(ref);
    sink.Event(e);
    sink.WebhookReply(200, "{}");
    return PSP_OK;
  }

  void Execute(const psp::OpInput& in, const psp::Sink& sink) {
    std::lock_guard<std::mutex> lock(mu_);
    if (in.kind == PSP_OP_AUTHORIZE) {
      std::string ref = "min_" + std::to_string(payments_.size() + 1);
      payments_[ref] = Payment{in.amount};
      sink.Field("psp_payment_ref", ref);
      sink.Outcome(PSP_OUT_AUTHORIZED);
      sink.State(PSP_STATE_AUTHORIZED);
      return;
    }
    Payment& p = payments_[in.psp_payment_ref];
    switch (in.kind) {
      case PSP_OP_CAPTURE:
        p.captured = true;
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.Amount("processed", p.amount);  // bug: not the requested amount
        break;
      case PSP_OP_VOID:
        sink.Outcome(PSP_OUT_SUCCEEDED);  // bug: nothing is voided
        break;
      case PSP_OP_REFUND:
        sink.Outcome(PSP_OUT_SUCCEEDED);  // bug: no limit
        sink.Amount("processed", in.amount);
        break;
      default:
        sink.Outcome(PSP_OUT_SUCCEEDED);
        break;
    }
    sink.Field("psp_payment_ref", in.psp_payment_ref);
    sink.State(p.captured ? PSP_STATE_CAPTURED : PSP_STATE_AUTHORIZED);
  }

 private:
  std::mutex mu_;
  std::map<std::string, Payment> payments_;
};

psp_step BrokenOp::Step(const psp::Response*, const psp::Sink& sink, psp::Request&) {
  instance_->Execute(in_, sink);
  return PSP_STEP_DONE;
}

struct BrokenTraits {
  static constexpr const char* kName = "broken";
  static constexpr const char* kVersion = "0.0.1";
  static constexpr uint64_t kCapabilities = PSP_CAP_AUTH_CAPTURE | PSP_CAP_PARTIAL_CAPTURE |
                                            PSP_CAP_VOID | PSP_CAP_REFUND | PSP_CAP_PARTIAL_REFUND |
                                            PSP_CAP_MULTI_REFUND | PSP_CAP_WEBHOOKS;
  static psp_rc Validate(const psp::Host&, std::string_view config, const psp::Sink& errors) {
    if (config.empty() || config.front() != '{' || config.back() != '}') {
      errors.Error("config", "must be a JSON object", "config_error");
      return PSP_E_CONFIG;
    }
    return PSP_OK;
  }
  static psp_rc Create(const psp::Host& host, std::string_view config, std::string_view,
                       const psp::Sink& errors, std::unique_ptr<psp::Instance>* out) {
    if (psp_rc rc = Validate(host, config, errors); rc != PSP_OK) return rc;
    *out = std::make_unique<BrokenInstance>();
    return PSP_OK;
  }
};

}  // namespace

PSP_DEFINE_ADAPTER(BrokenTraits)
