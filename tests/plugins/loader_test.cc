// The host side of the PSP adapter ABI: refusing bad plugins, driving ops, enforcing the ABI's
// rules on what adapters report. Uses real .so files built by tests/plugins/CMakeLists.txt.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "splitledger/plugins/loader.h"

namespace splitledger::plugins {
namespace {

std::string SoPath(const char* name) { return std::string(SPLITLEDGER_TEST_PLUGIN_DIR) + "/" + name; }

std::string OpenError(const std::string& path) {
  auto lib = Library::Open(path);
  EXPECT_FALSE(lib.ok()) << path << " was accepted";
  return lib.ok() ? std::string() : lib.status().message();
}

TEST(LibraryOpen, RefusesAMissingFile) {
  EXPECT_NE(OpenError("/nonexistent/psp_nothing.so").find("plugin file not found"), std::string::npos);
  EXPECT_NE(OpenError("").find("not found"), std::string::npos);
}

TEST(LibraryOpen, RefusesAFileThatIsNotALibrary) {
  std::string path = testing::TempDir() + "/not_a_library.so";
  std::ofstream(path) << "this is text, not ELF";
  EXPECT_NE(OpenError(path).find("cannot load plugin"), std::string::npos);
}

TEST(LibraryOpen, RefusesALibraryWithoutTheEntrySymbol) {
  EXPECT_NE(OpenError(SoPath("misuse_no_symbol.so")).find("does not export psp_adapter_get_api"),
            std::string::npos);
}

TEST(LibraryOpen, RefusesAForeignMajorVersion) {
  EXPECT_NE(OpenError(SoPath("misuse_foreign_major.so")).find("refused ABI major version 1"),
            std::string::npos);
  EXPECT_NE(OpenError(SoPath("misuse_lying_major.so")).find("reports ABI major version 2"),
            std::string::npos);
}

TEST(LibraryOpen, RefusesATableThatIsTooShort) {
  std::string err = OpenError(SoPath("misuse_short_table.so"));
  EXPECT_NE(err.find("function table of"), std::string::npos) << err;
}

TEST(LibraryOpen, RefusesAMissingFunctionAndABadName) {
  EXPECT_NE(OpenError(SoPath("misuse_null_function.so")).find("op_step"), std::string::npos);
  EXPECT_NE(OpenError(SoPath("misuse_bad_name.so")).find("invalid adapter name"), std::string::npos);
}

TEST(LibraryOpen, LoadsAGoodAdapterOnceAndReportsIt) {
  auto a = Library::Open(SoPath("psp_scripted.so"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto b = Library::Open(SoPath("psp_scripted.so"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a.value().get(), b.value().get());
  EXPECT_EQ(a.value()->name(), "scripted");
  EXPECT_EQ(a.value()->version(), "0.0.1");
  EXPECT_TRUE(a.value()->Has(PSP_CAP_AUTH_CAPTURE));
  EXPECT_FALSE(a.value()->Has(PSP_CAP_VOID));
}

std::shared_ptr<const Library> Scripted() {
  auto lib = Library::Open(SoPath("psp_scripted.so"));
  EXPECT_TRUE(lib.ok());
  return lib.value();
}

TEST(AdapterCreate, RefusesABadConfigWithTheAdaptersMessage) {
  InstanceOptions o;
  o.config_json = R"({"fail":true})";
  auto a = Adapter::Create(Scripted(), o);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("fail: refused as asked"), std::string::npos)
      << a.status().message();
}

TEST(AdapterCreate, ResolvesSecretsByNameAndRedactsThemInLogs) {
  InstanceOptions o;
  o.config_json = R"({"need_secret":1})";
  auto refused = Adapter::Create(Scripted(), o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("scripted.key"), std::string::npos);

  std::vector<std::string> lines;
  o.secrets = [](const std::string& name) -> std::optional<std::string> {
    if (name == "scripted.key") return std::string("sk_live_0123456789");
    return std::nullopt;
  };
  o.log = [&](int, const std::string& adapter, const std::string& line) {
    lines.push_back(adapter + ": " + line);
  };
  auto a = Adapter::Create(Scripted(), o);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_FALSE(lines.empty());
  for (const auto& l : lines) {
    EXPECT_EQ(l.find("sk_live_0123456789"), std::string::npos) << l;
    EXPECT_NE(l.find("[redacted:scripted.key]"), std::string::npos) << l;
  }
}

TEST(AdapterCreate, RefusesAnUnknownEnvironment) {
  InstanceOptions o;
  o.environment = "production";
  auto a = Adapter::Create(Scripted(), o);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("environment"), std::string::npos);
}

// Records requests and answers with a scripted response.
class FakeTransport : public Transport {
 public:
  HttpResponse Perform(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(request);
    return answer;
  }
  std::mutex mu;
  std::vector<HttpRequest> requests;
  HttpResponse answer;
};

class ScriptedOps : public testing::Test {
 protected:
  void SetUp() override {
    auto a = Adapter::Create(Scripted(), InstanceOptions{});
    ASSERT_TRUE(a.ok()) << a.status().message();
    adapter = std::move(a.value());
  }
  OpRequest Authorize(std::vector<std::pair<std::string, std::string>> props = {}) {
    OpRequest r;
    r.kind = PSP_OP_AUTHORIZE;
    r.operation_id = "op_1";
    r.payment_id = "pay_1";
    r.amount = Money{1000, "EUR"};
    r.properties = std::move(props);
    r.properties.emplace_back("url", "https://psp.example/payments");
    return r;
  }
  std::unique_ptr<Adapter> adapter;
  FakeTransport transport;
};

TEST_F(ScriptedOps, PassesRequestsAndResponsesThrough) {
  transport.answer.status = 200;
  transport.answer.body = "psp_123";
  transport.answer.headers = {{"X-Echo", "hi"}};
  auto r = adapter->Run(Authorize(), transport);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().outcome, PSP_OUT_AUTHORIZED);
  EXPECT_EQ(r.value().Field("psp_payment_ref"), "psp_123");
  EXPECT_EQ(r.value().Field("echo_header"), "hi");  // header lookup is case-insensitive
  EXPECT_EQ(r.value().requests_sent, 1);
  EXPECT_TRUE(r.value().contract_violations.empty());
  ASSERT_EQ(transport.requests.size(), 1u);
  const HttpRequest& q = transport.requests[0];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.url, "https://psp.example/payments");
  EXPECT_EQ(q.body, "pay_1");
  EXPECT_EQ(q.timeout_ms, 1234u);
  ASSERT_FALSE(q.headers.empty());
  EXPECT_EQ(q.headers[0], (std::pair<std::string, std::string>("X-Operation", "op_1")));
}

TEST_F(ScriptedOps, NeverSentIsNotSubmitted) {
  transport.answer.transport = PSP_TRANSPORT_NOT_SENT;
  auto r = adapter->Run(Authorize(), transport);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().outcome, PSP_OUT_NOT_SUBMITTED);
  EXPECT_TRUE(r.value().contract_violations.empty());

  auto lying = adapter->Run(Authorize({{"not_sent_outcome", "authorized"}}), transport);
  ASSERT_TRUE(lying.ok());
  EXPECT_FALSE(lying.value().contract_violations.empty());
}

TEST_F(ScriptedOps, FailedAfterNoAnswerBecomesUnknown) {
  transport.answer.transport = PSP_TRANSPORT_NO_ANSWER;
  auto honest = adapter->Run(Authorize(), transport);
  ASSERT_TRUE(honest.ok());
  EXPECT_EQ(honest.value().outcome, PSP_OUT_UNKNOWN);
  EXPECT_TRUE(honest.value().contract_violations.empty());

  for (const char* bad : {"failed", "declined"}) {
    auto r = adapter->Run(Authorize({{"no_answer_outcome", bad}}), transport);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().outcome, PSP_OUT_UNKNOWN) << bad;
    ASSERT_EQ(r.value().contract_violations.size(), 1u) << bad;
  }
}

TEST_F(ScriptedOps, FailedAfterA5xxBecomesUnknownButA4xxStaysFailed) {
  transport.answer.status = 503;
  auto r = adapter->Run(Authorize(), transport);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().outcome, PSP_OUT_UNKNOWN);
  EXPECT_FALSE(r.value().contract_violations.empty());

  transport.answer.status = 422;
  transport.answer.body = R"({"detail":"bad amount"})";
  auto f = adapter->Run(Authorize(), transport);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value().outcome, PSP_OUT_FAILED);
  EXPECT_TRUE(f.value().contract_violations.empty());
  ASSERT_TRUE(f.value().error.has_value());
  EXPECT_EQ(f.value().error->http_status, 422);
  EXPECT_EQ(f.value().error->message, R"({"detail":"bad amount"})");
}

TEST_F(ScriptedOps, AProcessedAmountThatDiffersIsAnIntegrityFailure) {
  OpRequest c;
  c.kind = PSP_OP_CAPTURE;
  c.psp_payment_ref = "psp_1";
  c.amount = Money{700, "EUR"};
  auto same = adapter->Run(c, transport);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same.value().integrity_failure.has_value());
  EXPECT_EQ(same.value().amounts.at("processed"), (Money{700, "EUR"}));
  c.properties = {{"processed_delta", "1"}};
  auto off = adapter->Run(c, transport);
  ASSERT_TRUE(off.ok());
  ASSERT_TRUE(off.value().integrity_failure.has_value());
  EXPECT_NE(off.value().integrity_failure->find("701"), std::string::npos);
}

TEST_F(ScriptedOps, EndlessOpsAreStopped) {
  OpRequest s;
  s.kind = PSP_OP_SYNC_PAYMENT;
  s.properties = {{"loop", "1"}};
  transport.answer.status = 200;
  auto r = adapter->Run(s, transport);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("32 steps"), std::string::npos);
  EXPECT_EQ(transport.requests.size(), 32u);
}

TEST_F(ScriptedOps, AnOpWithoutOutcomeIsAContractViolation) {
  OpRequest v;
  v.kind = PSP_OP_VOID;
  auto r = adapter->Run(v, transport);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().outcome, PSP_OUT_FAILED);  // nothing was sent: nothing can have moved
  ASSERT_FALSE(r.value().contract_violations.empty());
  EXPECT_NE(r.value().contract_violations[0].find("without an outcome"), std::string::npos);
}

TEST_F(ScriptedOps, AdapterBugsAndUnsupportedOpsAreErrorsNotCrashes) {
  OpRequest refund;
  refund.kind = PSP_OP_REFUND;
  auto r = adapter->Run(refund, transport);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);

  OpRequest complete;
  complete.kind = PSP_OP_COMPLETE_AUTH;
  auto u = adapter->Run(complete, transport);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), ErrorCode::kRuleViolation);

  auto w = adapter->Webhook("POST", "/x", {}, "{}");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kInternal);
}

// ---- the sandbox adapter through the loader ----------------------------------------------------

std::unique_ptr<Adapter> Sandbox() {
  auto lib = Library::Open(SoPath("psp_sandbox.so"));
  EXPECT_TRUE(lib.ok()) << lib.status().message();
  InstanceOptions o;
  o.config_json = R"({"webhook_secrets":["sandbox.whsec_1"]})";
  o.secrets = [](const std::string& name) -> std::optional<std::string> {
    if (name == "sandbox.whsec_1") return std::string("whsec_test_1");
    return std::nullopt;
  };
  auto a = Adapter::Create(lib.value(), o);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return std::move(a.value());
}

TEST(SandboxAdapter, RefusesConfigsNamingMissingSecrets) {
  auto lib = Library::Open(SoPath("psp_sandbox.so"));
  ASSERT_TRUE(lib.ok());
  InstanceOptions o;
  o.config_json = R"({"webhook_secrets":["nope"]})";
  auto a = Adapter::Create(lib.value(), o);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("webhook_secrets: secret 'nope' is not configured"),
            std::string::npos)
      << a.status().message();
  o.config_json = R"({"webhook_secrets":"nope"})";
  EXPECT_FALSE(Adapter::Create(lib.value(), o).ok());
}

TEST(SandboxAdapter, CapturesNeverExceedTheAuthorizationUnderConcurrency) {
  auto sandbox = Sandbox();
  FakeTransport unused;
  OpRequest auth;
  auth.kind = PSP_OP_AUTHORIZE;
  auth.payment_id = "pay_concurrent";
  auth.amount = Money{10000, "EUR"};
  auth.capture_mode = PSP_CAPTURE_MANUAL;
  auto a = sandbox->Run(auth, unused);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.value().outcome, PSP_OUT_AUTHORIZED);
  std::string ref = a.value().Field("psp_payment_ref");

  std::atomic<int64_t> captured{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        OpRequest c;
        c.kind = PSP_OP_CAPTURE;
        c.psp_payment_ref = ref;
        c.amount = Money{37, "EUR"};
        auto r = sandbox->Run(c, unused);
        if (!r.ok() || !r.value().contract_violations.empty()) ++errors;
        if (r.ok() && r.value().outcome == PSP_OUT_SUCCEEDED) captured += 37;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(captured.load(), 10000);
  EXPECT_EQ(captured.load(), 10000 / 37 * 37);  // 400 attempts, 270 fit
  OpRequest sync;
  sync.kind = PSP_OP_SYNC_PAYMENT;
  sync.psp_payment_ref = ref;
  auto s = sandbox->Run(sync, unused);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value().amounts.at("captured").minor, captured.load());
}

// Random bytes in bodies and headers never crash an adapter and never pass verification.
void FuzzWebhooks(const Adapter& adapter, const char* header) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string body(rng() % 2048, '\0');
    for (auto& c : body) c = static_cast<char>(rng() & 0xff);
    if (i % 5 == 0) body = R"({"type":"status_change","content":{"intent_id":)" + body;
    std::string sig(rng() % 200, '\0');
    for (auto& c : sig) c = static_cast<char>(rng() & 0xff);
    if (i % 3 == 0) sig = "v0=" + sig;
    std::vector<std::pair<std::string, std::string>> headers = {{header, sig}};
    for (int h = 0; h < static_cast<int>(rng() % 4); ++h) headers.emplace_back(sig, body.substr(0, 10));
    auto r = adapter.Webhook(i % 7 ? "POST" : "GET", "/hook", headers, body);
    if (r.ok()) {
      ASSERT_TRUE(r.value().events.empty()) << "round " << i;
    }
  }
}

TEST(SandboxAdapter, GarbageWebhooksNeverCrashOrPass) { FuzzWebhooks(*Sandbox(), "Sandbox-Signature"); }

}  // namespace
}  // namespace splitledger::plugins
