// A test adapter whose behaviour the tests choose through op properties, to exercise the host side
// of the ABI (tests/plugins/loader_test.cc): multi-step ops, request and response plumbing, and the
// host's checks on outcomes that break the ABI's rules.
//   AUTHORIZE      SEND POST <property url> (body = payment_id, header X-Operation = operation_id),
//                  then: 200 → AUTHORIZED with psp_payment_ref = response body; not sent → property
//                  not_sent_outcome (default not_submitted); no answer → property no_answer_outcome
//                  (default unknown); anything else → property http_error_outcome (default failed)
//   CAPTURE        no request; SUCCEEDED with processed = amount + property processed_delta
//   SYNC_PAYMENT   property loop=1: SEND forever; otherwise SUCCEEDED/authorized at once
//   VOID           DONE without any outcome (a contract breach)
//   REFUND         op_step fails with PSP_E_INTERNAL
//   webhook        throws (the helper must turn it into PSP_E_INTERNAL)
//   config         {"fail":true} is refused with a field error on "fail"
#include <stdexcept>
#include <string>

#include "splitledger/psp_adapter.hpp"

namespace {

psp_outcome OutcomeByName(const std::string& name, psp_outcome dflt) {
  if (name == "failed") return PSP_OUT_FAILED;
  if (name == "declined") return PSP_OUT_DECLINED;
  if (name == "unknown") return PSP_OUT_UNKNOWN;
  if (name == "not_submitted") return PSP_OUT_NOT_SUBMITTED;
  if (name == "authorized") return PSP_OUT_AUTHORIZED;
  return dflt;
}

class ScriptedOp : public psp::Op {
 public:
  explicit ScriptedOp(psp::OpInput in) : in_(std::move(in)) {}

  psp_step Step(const psp::Response* resp, const psp::Sink& sink, psp::Request& out) override {
    auto prop = [&](const char* name) { return in_.Property(name).value_or(""); };
    switch (in_.kind) {
      case PSP_OP_AUTHORIZE:
        if (!resp) {
          out.method = "POST";
          out.url = prop("url");
          out.headers = {{"X-Operation", in_.operation_id}, {"Content-Type", "text/plain"}};
          out.body = in_.payment_id;
          out.timeout_ms = 1234;
          out.tls_profile = prop("tls_profile");
          return PSP_STEP_SEND;
        }
        if (resp->transport() == PSP_TRANSPORT_NOT_SENT) {
          sink.Outcome(OutcomeByName(prop("not_sent_outcome"), PSP_OUT_NOT_SUBMITTED));
        } else if (resp->transport() == PSP_TRANSPORT_NO_ANSWER) {
          sink.Outcome(OutcomeByName(prop("no_answer_outcome"), PSP_OUT_UNKNOWN));
        } else if (resp->status() == 200) {
          sink.Outcome(PSP_OUT_AUTHORIZED);
          sink.Field("psp_payment_ref", resp->body());
          sink.Field("echo_header", resp->Header("x-echo").value_or(""));
        } else {
          sink.Outcome(OutcomeByName(prop("http_error_outcome"), PSP_OUT_FAILED));
          sink.Error("http_" + std::to_string(resp->status()), std::string(resp->body()), "", false,
                     resp->status());
        }
        return PSP_STEP_DONE;
      case PSP_OP_CAPTURE: {
        int64_t delta = std::stoll(prop("processed_delta").empty() ? "0" : prop("processed_delta"));
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.Amount("processed", psp::Money{in_.amount.minor + delta, in_.amount.currency});
        return PSP_STEP_DONE;
      }
      case PSP_OP_SYNC_PAYMENT:
        if (prop("loop") == "1") {
          out.url = "http://127.0.0.1:9/loop";
          return PSP_STEP_SEND;
        }
        sink.Outcome(PSP_OUT_SUCCEEDED);
        sink.State(PSP_STATE_AUTHORIZED);
        return PSP_STEP_DONE;
      case PSP_OP_REFUND:
        throw std::runtime_error("refund bug");
      default:
        return PSP_STEP_DONE;  // VOID: no outcome at all
    }
  }

 private:
  psp::OpInput in_;
};

class ScriptedInstance : public psp::Instance {
 public:
  psp_rc Begin(const psp::OpInput& in, std::unique_ptr<psp::Op>* out) override {
    if (in.kind == PSP_OP_COMPLETE_AUTH) return PSP_E_UNSUPPORTED;
    *out = std::make_unique<ScriptedOp>(in);
    return PSP_OK;
  }
  psp_rc Webhook(std::string_view, std::string_view, const psp::Headers&, std::string_view,
                 const psp::Sink&) override {
    throw std::logic_error("webhook bug");
  }
};

struct ScriptedTraits {
  static constexpr const char* kName = "scripted";
  static constexpr const char* kVersion = "0.0.1";
  static constexpr uint64_t kCapabilities = PSP_CAP_AUTH_CAPTURE;
  static psp_rc Validate(const psp::Host& host, std::string_view config, const psp::Sink& errors) {
    if (config.find("\"fail\":true") != std::string_view::npos) {
      errors.Error("fail", "refused as asked", "config_error");
      return PSP_E_CONFIG;
    }
    if (config.find("\"need_secret\"") != std::string_view::npos && !host.Secret("scripted.key")) {
      errors.Error("need_secret", "secret 'scripted.key' is not configured", "config_error");
      return PSP_E_CONFIG;
    }
    if (auto key = host.Secret("scripted.key")) host.Log(PSP_LOG_WARN, "using key " + *key);
    return PSP_OK;
  }
  static psp_rc Create(const psp::Host& host, std::string_view config, std::string_view,
                       const psp::Sink& errors, std::unique_ptr<psp::Instance>* out) {
    if (psp_rc rc = Validate(host, config, errors); rc != PSP_OK) return rc;
    *out = std::make_unique<ScriptedInstance>();
    return PSP_OK;
  }
};

}  // namespace

PSP_DEFINE_ADAPTER(ScriptedTraits)
