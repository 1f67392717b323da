// The njiapay adapter against the local fake NjiaPay server (tests/plugins/fake_njiapay), through
// the production loader and HTTP executor: a whole payment's life, and webhooks signed by the
// fake (independent signing code) verified by the adapter, with secret rotation.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <rapidjson/document.h>

#include "splitledger/plugins/http_transport.h"
#include "splitledger/plugins/loader.h"

extern char** environ;

namespace splitledger::plugins {
namespace {

// Starts fake-njiapay on a free loopback port and stops it at the end.
class FakeNjiaPay {
 public:
  FakeNjiaPay() {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> args = {SPLITLEDGER_FAKE_NJIAPAY, "--listen", "127.0.0.1:0", "--api-key",
                                     "sk_test_fake", "--webhook-secret", "whsec_old",
                                     "--webhook-secret", "whsec_new"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    // {"listening":"127.0.0.1:PORT"}
    size_t at = line.find("127.0.0.1:");
    size_t end = line.find('"', at);
    if (at != std::string::npos && end != std::string::npos) address_ = line.substr(at, end - at);
  }
  ~FakeNjiaPay() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  std::string url() const { return "http://" + address_; }
  bool ok() const { return pid_ > 0 && !address_.empty(); }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

class NjiaPayTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.ok()) << "fake-njiapay did not start";
    auto lib = Library::Open(std::string(SPLITLEDGER_TEST_PLUGIN_DIR) + "/psp_njiapay.so");
    ASSERT_TRUE(lib.ok()) << lib.status().message();
    lib_ = lib.value();
    auto t = HttpTransport::Create(HttpTransportOptions{});
    ASSERT_TRUE(t.ok());
    transport_ = std::move(t.value());
    adapter_ = Make(R"(["njiapay.whsec_1","njiapay.whsec_2"])");
    ASSERT_TRUE(adapter_);
  }

  std::unique_ptr<Adapter> Make(const std::string& webhook_secret_names) {
    InstanceOptions o;
    o.config_json = R"({"base_url":")" + fake_.url() +
                    R"(","api_key_secret":"njiapay.api_key","webhook_secrets":)" + webhook_secret_names + "}";
    o.secrets = [](const std::string& name) -> std::optional<std::string> {
      if (name == "njiapay.api_key") return std::string("sk_test_fake");
      if (name == "njiapay.whsec_1") return std::string("whsec_new");
      if (name == "njiapay.whsec_2") return std::string("whsec_old");
      if (name == "njiapay.whsec_other") return std::string("whsec_unrelated");
      return std::nullopt;
    };
    auto a = Adapter::Create(lib_, o);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? std::move(a.value()) : nullptr;
  }

  OpResult Run(OpRequest r) {
    auto res = adapter_->Run(r, *transport_);
    EXPECT_TRUE(res.ok()) << res.status().message();
    if (!res.ok()) return OpResult{};
    EXPECT_TRUE(res.value().contract_violations.empty()) << res.value().contract_violations[0];
    return res.value();
  }

  OpRequest Op(psp_op_kind kind, const std::string& ref, int64_t amount) {
    OpRequest r;
    r.kind = kind;
    r.operation_id = "op_" + std::to_string(++ops_);
    r.payment_id = payment_id_;
    r.psp_payment_ref = ref;
    r.amount = Money{amount, "EUR"};
    r.customer_ref = "cus_123";
    r.return_url = "https://merchant.example/return";
    r.capture_mode = PSP_CAPTURE_MANUAL;
    return r;
  }

  // The customer completes the hosted checkout page.
  void Checkout(const std::string& url) {
    HttpRequest get;
    get.method = "GET";
    get.url = url;
    HttpResponse r = transport_->Perform(get);
    ASSERT_EQ(r.transport, PSP_TRANSPORT_OK);
    ASSERT_LT(r.status, 400);
  }

  std::vector<std::pair<std::string, std::string>> FakeWebhooks() {
    HttpRequest get;
    get.method = "GET";
    get.url = fake_.url() + "/__fake/webhooks";
    HttpResponse r = transport_->Perform(get);
    EXPECT_EQ(r.status, 200);
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    std::vector<std::pair<std::string, std::string>> out;
    if (!doc.IsArray()) return out;
    for (const auto& w : doc.GetArray()) {
      out.emplace_back(w["signature"].GetString(), w["body"].GetString());
    }
    return out;
  }

  FakeNjiaPay fake_;
  std::shared_ptr<const Library> lib_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<Adapter> adapter_;
  std::string payment_id_ = "pay_njia_" + std::to_string(::getpid());
  int ops_ = 0;
};

TEST_F(NjiaPayTest, AuthorizeCheckoutCaptureRefund) {
  OpResult a = Run(Op(PSP_OP_AUTHORIZE, "", 2500));
  ASSERT_EQ(a.outcome, PSP_OUT_ACTION_REQUIRED);
  ASSERT_TRUE(a.action.has_value());
  EXPECT_EQ(a.action->kind, PSP_ACT_REDIRECT_GET);
  std::string ref = a.Field("psp_payment_ref");
  ASSERT_FALSE(ref.empty());
  Checkout(a.action->url);

  OpResult s = Run(Op(PSP_OP_SYNC_PAYMENT, ref, 2500));
  EXPECT_EQ(s.outcome, PSP_OUT_SUCCEEDED);
  EXPECT_EQ(s.state, PSP_STATE_AUTHORIZED);

  // NjiaPay cannot capture part of an authorization: refused, nothing sent to the capture URL.
  OpResult partial = Run(Op(PSP_OP_CAPTURE, ref, 1000));
  EXPECT_EQ(partial.outcome, PSP_OUT_FAILED);
  ASSERT_TRUE(partial.error.has_value());
  EXPECT_EQ(partial.error->unified_code, "unsupported_feature");
  EXPECT_EQ(Run(Op(PSP_OP_SYNC_PAYMENT, ref, 2500)).state, PSP_STATE_AUTHORIZED);

  OpResult c = Run(Op(PSP_OP_CAPTURE, ref, 2500));
  EXPECT_EQ(c.outcome, PSP_OUT_SUCCEEDED);
  EXPECT_EQ(c.amounts["processed"], (Money{2500, "EUR"}));
  // A retried capture (e.g. after an unknown outcome) is answered from the intent's state.
  EXPECT_EQ(Run(Op(PSP_OP_CAPTURE, ref, 2500)).outcome, PSP_OUT_SUCCEEDED);

  OpResult r1 = Run(Op(PSP_OP_REFUND, ref, 1000));
  EXPECT_TRUE(r1.outcome == PSP_OUT_PENDING || r1.outcome == PSP_OUT_SUCCEEDED) << OutcomeName(r1.outcome);
  std::string refund_ref = r1.Field("psp_refund_ref");
  ASSERT_FALSE(refund_ref.empty());
  OpRequest sync_refund = Op(PSP_OP_SYNC_REFUND, ref, 1000);
  sync_refund.psp_refund_ref = refund_ref;
  OpResult sr = Run(sync_refund);
  EXPECT_EQ(sr.outcome, PSP_OUT_SUCCEEDED);
  EXPECT_EQ(sr.state, PSP_STATE_REFUNDED);

  OpResult over = Run(Op(PSP_OP_REFUND, ref, 2000));  // 1000 + 2000 > 2500
  EXPECT_EQ(over.outcome, PSP_OUT_DECLINED);

  OpResult v = Run(Op(PSP_OP_VOID, ref, 2500));  // captured: refund instead
  EXPECT_EQ(v.outcome, PSP_OUT_DECLINED);
}

TEST_F(NjiaPayTest, AuthorizeWithAWrongKeyFailsAsAConfigError) {
  InstanceOptions o;
  o.config_json = R"({"base_url":")" + fake_.url() + R"(","api_key_secret":"k"})";
  o.secrets = [](const std::string&) -> std::optional<std::string> { return std::string("sk_wrong"); };
  auto bad = Adapter::Create(lib_, o);
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  auto r = bad.value()->Run(Op(PSP_OP_AUTHORIZE, "", 2500), *transport_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().outcome, PSP_OUT_FAILED);
  ASSERT_TRUE(r.value().error.has_value());
  EXPECT_EQ(r.value().error->http_status, 401);
}

TEST_F(NjiaPayTest, ConfigsAreCheckedBeforeUse) {
  InstanceOptions o;
  o.secrets = [](const std::string& n) -> std::optional<std::string> {
    if (n == "njiapay.api_key") return std::string("k");
    return std::nullopt;
  };
  const std::pair<const char*, const char*> cases[] = {
      {R"({"api_key_secret":"njiapay.api_key"})", "base_url"},
      {R"({"base_url":"ftp://x","api_key_secret":"njiapay.api_key"})", "base_url"},
      {R"({"base_url":"https://app.infinic.com"})", "api_key_secret"},
      {R"({"base_url":"https://app.infinic.com","api_key_secret":"missing"})", "api_key_secret"},
      {R"({"base_url":"https://app.infinic.com","api_key_secret":"njiapay.api_key","webhook_secrets":["gone"]})",
       "webhook_secrets"},
      {R"({"base_url":"https://app.infinic.com","api_key_secret":"njiapay.api_key","timeout_ms":-5})", "timeout_ms"},
  };
  for (const auto& [config, field] : cases) {
    o.config_json = config;
    auto a = Adapter::Create(lib_, o);
    ASSERT_FALSE(a.ok()) << config;
    EXPECT_NE(a.status().message().find(field), std::string::npos) << a.status().message();
  }
  o.config_json = R"({"base_url":"http://plain.example","api_key_secret":"njiapay.api_key"})";
  o.environment = "live";
  EXPECT_FALSE(Adapter::Create(lib_, o).ok()) << "live traffic must use https";
}

TEST_F(NjiaPayTest, WebhooksSignedByTheFakeAreVerifiedAcrossRotation) {
  OpResult a = Run(Op(PSP_OP_AUTHORIZE, "", 4100));
  ASSERT_TRUE(a.action.has_value());
  Checkout(a.action->url);
  auto hooks = FakeWebhooks();
  ASSERT_FALSE(hooks.empty());
  const auto& [signature, body] = hooks.back();
  EXPECT_NE(signature.find(','), std::string::npos) << "the fake signs with both secrets";

  auto r = adapter_->Webhook("POST", "/webhooks/njiapay", {{"njiapay-signature", signature}}, body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().events.size(), 1u);
  const AdapterEvent& e = r.value().events[0];
  EXPECT_EQ(e.psp_payment_ref, a.Field("psp_payment_ref"));
  EXPECT_EQ(e.payment_id, payment_id_);
  EXPECT_EQ(e.event_type, "status_change");
  EXPECT_EQ(e.state, PSP_STATE_AUTHORIZED);
  EXPECT_EQ(e.amount, (Money{4100, "EUR"}));
  EXPECT_EQ(r.value().webhook_status, 200);

  // Each of the fake's signatures alone is enough: old and new secret during a rotation.
  size_t comma = signature.find(',');
  for (const std::string& one : {signature.substr(0, comma), signature.substr(comma + 1)}) {
    auto single = adapter_->Webhook("POST", "/", {{"Njiapay-Signature", one}}, body);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(single.value().events.size(), 1u) << one;
  }
  // An instance that only knows an unrelated secret rejects it; so does a changed body.
  auto other = Make(R"(["njiapay.whsec_other"])");
  auto rejected = other->Webhook("POST", "/", {{"Njiapay-Signature", signature}}, body);
  ASSERT_TRUE(rejected.ok());
  EXPECT_TRUE(rejected.value().events.empty());
  EXPECT_EQ(rejected.value().webhook_status, 401);
  auto tampered = adapter_->Webhook("POST", "/", {{"Njiapay-Signature", signature}}, body + " ");
  ASSERT_TRUE(tampered.ok());
  EXPECT_TRUE(tampered.value().events.empty());
}

TEST_F(NjiaPayTest, GarbageWebhooksNeverCrashOrPass) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string body(rng() % 2048, '\0');
    for (auto& c : body) c = static_cast<char>(rng() & 0xff);
    if (i % 5 == 0) body = R"({"type":"StatusChange","content":)" + body;
    std::string sig = (i % 2 ? "v0=" : "") + std::string(rng() % 100, static_cast<char>('0' + rng() % 60));
    auto r = adapter_->Webhook(i % 9 ? "POST" : "PUT", "/", {{"Njiapay-Signature", sig}, {sig, body.substr(0, 8)}},
                               body);
    if (r.ok()) {
      ASSERT_TRUE(r.value().events.empty()) << "round " << i;
    }
  }
}

}  // namespace
}  // namespace splitledger::plugins
