// fake-njiapay: a local stand-in for NjiaPay's public API, for the njiapay adapter's tests.
//
//   fake-njiapay --listen 127.0.0.1:0 --api-key KEY [--webhook-secret S]...
// prints {"listening":"127.0.0.1:PORT"} once bound, serves until SIGTERM/SIGINT.
//
// Implemented as NjiaPay documents it (../../shared/reference/njiapay-orchestration.md):
//   POST /api/intents                              create (status "selection", redirect_url)
//   GET  /api/intents/{id}                         read
//   GET  /api/v2/intents/{id}/capture              authorized → success (POST accepted too)
//   GET  /api/v2/intents/{id}/cancel-authorization authorized → canceled (the seed page's answer)
//   POST /api/intents/{id}/refund                  {"amount","reason"} → refund "pending"
// Errors are {"detail": …}: 401 bad key, 404 unknown intent, 422 validation or wrong state.
//
// Invented where the public material is silent, to make the flows testable:
//   GET /checkout/{id}     the hosted checkout page; visiting it plays the customer. By the last
//   two
//                          digits of the amount: 02 declined (intent failed, CardDeclined),
//                          03 pending (authorized on the second read of the intent), else approved
//                          (authorized with capture_mode prefer_delay, success with immediate).
//   refunds                listed in the intent object; a pending refund settles when the intent
//                          is next read.
//   POST /__fake/delay     {"path": "capture", "ms": 3000}: the next API request whose path holds
//                          "capture" waits that long before the fake handles it (a slow PSP: a
//                          client may give up or die while the operation is still to happen)
//   GET /__fake/calls      how many times each operation reached the fake, per intent, and how
//                          many delayed requests have arrived so far:
//                          {"__delayed_arrivals": 1, "<intent id>": {"create": 1, "capture": 1, …}}
//   return_url             https, as NjiaPay requires, or http on a loopback host (a test server)
//   GET /__fake/webhooks   every webhook the fake would have sent, as
//                          [{"signature": "v0=…,v0=…", "body": "<raw>"}], signed with HMAC-SHA256
//                          under each --webhook-secret (NjiaPay's sample-merchant scheme).
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/UUIDGenerator.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Refund {
  int64_t id, amount;
  std::string status, reason, created;
};

struct Intent {
  std::string id, currency, reference_id, purchaser_id, status = "selection", capture_mode,
                                                        return_url, created, failure_reason;
  int64_t amount = 0;
  int64_t attempt_id = 0;  // 0 = no attempt yet
  std::string attempt_status;
  int reads_until_authorized = -1;  // pending script: counts reads after checkout
  std::vector<Refund> refunds;
};

struct Webhook {
  std::string signature, body;
};

struct World {
  std::mutex mu;
  std::string api_key, address;
  std::vector<std::string> secrets;
  std::map<std::string, Intent> intents;
  std::map<std::string, std::string> by_reference;
  std::vector<Webhook> webhooks;
  int64_t next_attempt = 1000, next_refund = 1;
  std::string delay_path;  // /__fake/delay
  int delay_ms = 0;
  int delayed_arrivals = 0;
  std::map<std::string, std::map<std::string, int>> calls;  // intent id -> operation -> count
};
World g;

std::string Now() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteRefund(Writer& w, const Intent& in, const Refund& r) {
  w.StartObject();
  w.Key("id");
  w.Int64(r.id);
  w.Key("intent_id");
  w.String(in.id.c_str());
  w.Key("attempt_id");
  w.Int64(in.attempt_id);
  w.Key("amount");
  w.Int64(r.amount);
  w.Key("status");
  w.String(r.status.c_str());
  w.Key("created");
  w.String(r.created.c_str());
  w.Key("reason");
  w.String(r.reason.c_str());
  w.EndObject();
}

void WriteIntent(Writer& w, const Intent& in) {
  int64_t refunded = 0;
  for (const auto& r : in.refunds) refunded += r.status == "success" ? r.amount : 0;
  w.StartObject();
  w.Key("id");
  w.String(in.id.c_str());
  w.Key("amount");
  w.Int64(in.amount);
  w.Key("currency");
  w.String(in.currency.c_str());
  w.Key("reference_id");
  w.String(in.reference_id.c_str());
  w.Key("purchaser_id");
  w.String(in.purchaser_id.c_str());
  w.Key("status");
  w.String(in.status.c_str());
  w.Key("capture_mode");
  w.String(in.capture_mode.c_str());
  w.Key("return_url");
  w.String(in.return_url.c_str());
  w.Key("redirect_url");
  w.String(("http://" + g.address + "/checkout/" + in.id).c_str());
  w.Key("created");
  w.String(in.created.c_str());
  w.Key("amount_captured");
  w.Int64(in.status == "success" || in.status == "chargeback" ? in.amount : 0);
  w.Key("amount_refunded");
  w.Int64(refunded);
  w.Key("attempts");
  w.StartArray();
  if (in.attempt_id) {
    w.StartObject();
    w.Key("id");
    w.Int64(in.attempt_id);
    w.Key("intent_id");
    w.String(in.id.c_str());
    w.Key("method");
    w.String("card");
    w.Key("status");
    w.String(in.attempt_status.c_str());
    w.Key("failure_reason");
    if (in.failure_reason.empty())
      w.Null();
    else
      w.String(in.failure_reason.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("refunds");
  w.StartArray();
  for (const auto& r : in.refunds) {
    WriteRefund(w, in, r);
  }
  w.EndArray();
  w.EndObject();
}

std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

// Records the webhook NjiaPay would send now. Caller holds g.mu.
void Emit(const char* type, const Intent& in, const Refund* refund = nullptr) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("type");
  w.String(type);
  w.Key("created");
  w.String(Now().c_str());
  w.Key("content");
  w.StartObject();
  if (refund) {
    w.Key("type");
    w.String(refund->amount == in.amount ? "full" : "partial");
    w.Key("refund_id");
    w.Int64(refund->id);
  }
  w.Key("intent_id");
  w.String(in.id.c_str());
  w.Key("reference_id");
  w.String(in.reference_id.c_str());
  w.Key("purchaser_id");
  w.String(in.purchaser_id.c_str());
  w.Key("amount");
  w.Int64(refund ? refund->amount : in.amount);
  w.Key("currency");
  w.String(in.currency.c_str());
  w.Key("status");
  w.String(refund ? refund->status.c_str() : in.status.c_str());
  w.EndObject();
  w.EndObject();
  Webhook hook{"", buf.GetString()};
  for (const auto& s : g.secrets) {
    hook.signature +=
        (hook.signature.empty() ? "" : ",") + std::string("v0=") + HmacHex(s, hook.body);
  }
  g.webhooks.push_back(std::move(hook));
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    if (req.getContentLength() > (1 << 20))
      return Send(resp, 413, Detail("Request body too large"));
    Poco::StreamCopier::copyToString(req.stream(), body);
    std::string path = req.getURI();
    if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
    const std::string& m = req.getMethod();
    int delay = 0;
    {
      std::lock_guard<std::mutex> lock(g.mu);
      if (g.delay_ms > 0 && path.rfind("/api/", 0) == 0 &&
          path.find(g.delay_path) != std::string::npos) {
        delay = g.delay_ms;
        g.delay_ms = 0;
        ++g.delayed_arrivals;  // arrived: the test may now kill the client waiting for it
      }
    }
    if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    std::lock_guard<std::mutex> lock(g.mu);
    if (path == "/__fake/delay" && m == "POST") {
      rapidjson::Document d;
      d.Parse(body.c_str(), body.size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("ms") || !d["ms"].IsInt() ||
          !d.HasMember("path") || !d["path"].IsString()) {
        return Send(resp, 400, Detail("{\"path\": string, \"ms\": integer}"));
      }
      g.delay_ms = d["ms"].GetInt();
      g.delay_path = d["path"].GetString();
      return Send(resp, 200, "{}");
    }
    if (path == "/__fake/calls" && m == "GET") {
      rapidjson::StringBuffer buf;
      Writer w(buf);
      w.StartObject();
      w.Key("__delayed_arrivals");
      w.Int(g.delayed_arrivals);
      for (const auto& [id, ops] : g.calls) {
        w.Key(id.c_str());
        w.StartObject();
        for (const auto& [op, n] : ops) {
          w.Key(op.c_str());
          w.Int(n);
        }
        w.EndObject();
      }
      w.EndObject();
      return Send(resp, 200, buf.GetString());
    }

    if (path == "/__fake/webhooks" && m == "GET") {
      rapidjson::StringBuffer buf;
      Writer w(buf);
      w.StartArray();
      for (const auto& h : g.webhooks) {
        w.StartObject();
        w.Key("signature");
        w.String(h.signature.c_str());
        w.Key("body");
        w.String(h.body.c_str());
        w.EndObject();
      }
      w.EndArray();
      return Send(resp, 200, buf.GetString());
    }
    if (path.rfind("/checkout/", 0) == 0 && m == "GET") return Checkout(resp, path.substr(10));
    if (path.rfind("/api/", 0) != 0) return Send(resp, 404, Detail("Not found"));
    if (req.get("Authorization", "") != "Bearer " + g.api_key) {
      return Send(resp, 401, Detail("Invalid or missing API key"));
    }
    if (path == "/api/intents") {
      if (m != "POST") return Send(resp, 405, Detail("Method not allowed"));
      return Create(resp, body);
    }
    // /api/intents/{id}[/refund] and /api/v2/intents/{id}/{capture|cancel-authorization}
    std::string rest, action;
    if (path.rfind("/api/v2/intents/", 0) == 0) {
      rest = path.substr(16);
    } else if (path.rfind("/api/intents/", 0) == 0) {
      rest = path.substr(13);
    } else {
      return Send(resp, 404, Detail("Not found"));
    }
    if (size_t slash = rest.find('/'); slash != std::string::npos) {
      action = rest.substr(slash + 1);
      rest.resize(slash);
    }
    auto it = g.intents.find(rest);
    if (it == g.intents.end()) return Send(resp, 404, Detail("Payment intent not found"));
    Intent& in = it->second;
    bool v2 = path.rfind("/api/v2/", 0) == 0;
    if (!action.empty()) ++g.calls[in.id][action];
    if (!v2 && action.empty() && m == "GET") return Read(resp, in);
    if (!v2 && action == "refund" && m == "POST") return RefundIntent(resp, in, body);
    if (v2 && action == "capture" && (m == "GET" || m == "POST")) return Capture(resp, in);
    if (v2 && action == "cancel-authorization" && m == "GET") return Cancel(resp, in);
    return Send(resp,
                action.empty() || action == "refund" || action == "capture" ||
                        action == "cancel-authorization"
                    ? 405
                    : 404,
                Detail("Not found or method not allowed"));
  }

 private:
  static std::string Detail(const std::string& text) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("detail");
    w.String(text.c_str());
    w.EndObject();
    return buf.GetString();
  }
  static void Send(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body) {
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send() << body;
  }
  static std::string IntentJson(const Intent& in) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    WriteIntent(w, in);
    return buf.GetString();
  }

  void Create(Poco::Net::HTTPServerResponse& resp, const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return Send(resp, 400, Detail("Malformed JSON body"));
    auto str = [&](const char* k) -> const rapidjson::Value* {
      auto it = d.FindMember(k);
      return it != d.MemberEnd() && it->value.IsString() ? &it->value : nullptr;
    };
    auto amount = d.FindMember("amount");
    if (amount == d.MemberEnd() || !amount->value.IsInt64() || amount->value.GetInt64() <= 0) {
      return Send(resp, 422, Detail("amount: must be a positive integer"));
    }
    const auto* currency = str("currency");
    std::string cur = currency ? currency->GetString() : "";
    if (cur.size() != 3 ||
        cur.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      return Send(resp, 422, Detail("currency: must be an ISO 4217 code"));
    }
    const auto* ref = str("reference_id");
    if (!ref || ref->GetStringLength() == 0)
      return Send(resp, 422, Detail("reference_id: required"));
    const auto* purchaser = str("purchaser_id");
    if (!purchaser || purchaser->GetStringLength() < 3) {
      return Send(resp, 422, Detail("purchaser_id: at least 3 characters"));
    }
    const auto* ret = str("return_url");
    auto loopback_http = [](const char* url) {
      return std::strncmp(url, "http://127.0.0.1:", 17) == 0 ||
             std::strncmp(url, "http://localhost:", 17) == 0;
    };
    if (!ret ||
        (std::strncmp(ret->GetString(), "https://", 8) != 0 && !loopback_http(ret->GetString()))) {
      return Send(resp, 422, Detail("return_url: must be an https URL"));
    }
    auto remember = d.FindMember("allow_remember_credentials");
    if (remember == d.MemberEnd() || !remember->value.IsBool()) {
      return Send(resp, 422, Detail("allow_remember_credentials: required boolean"));
    }
    std::string mode = "immediate";
    if (auto it = d.FindMember("capture_mode"); it != d.MemberEnd()) {
      mode = it->value.IsString() ? it->value.GetString() : "";
      if (mode != "immediate" && mode != "prefer_delay") {
        return Send(resp, 422, Detail("capture_mode: immediate or prefer_delay"));
      }
    }
    if (g.by_reference.count(ref->GetString()))
      return Send(resp, 409, Detail("reference_id already used"));
    Intent in;
    in.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    in.amount = amount->value.GetInt64();
    in.currency = cur;
    in.reference_id = ref->GetString();
    in.purchaser_id = purchaser->GetString();
    in.return_url = ret->GetString();
    in.capture_mode = mode;
    in.created = Now();
    g.by_reference[in.reference_id] = in.id;
    auto& stored = g.intents[in.id] = in;
    ++g.calls[in.id]["create"];
    Send(resp, 201, IntentJson(stored));
  }

  void Checkout(Poco::Net::HTTPServerResponse& resp, const std::string& id) {
    auto it = g.intents.find(id);
    if (it == g.intents.end()) return Send(resp, 404, Detail("Payment intent not found"));
    Intent& in = it->second;
    if (in.status == "selection") {
      in.attempt_id = g.next_attempt++;
      std::string approved = in.capture_mode == "prefer_delay" ? "authorized" : "success";
      switch (in.amount % 100) {
        case 2:
          in.status = in.attempt_status = "failed";
          in.failure_reason = "CardDeclined";
          break;
        case 3:
          in.status = in.attempt_status = "pending";
          in.reads_until_authorized = 2;
          break;
        default:
          in.status = in.attempt_status = approved;
      }
      Emit("status_change", in);
    }
    Send(resp, 200, "{\"intent_id\":\"" + in.id + "\",\"status\":\"" + in.status + "\"}");
  }

  void Read(Poco::Net::HTTPServerResponse& resp, Intent& in) {
    if (in.status == "pending" && in.reads_until_authorized > 0 &&
        --in.reads_until_authorized == 0) {
      in.status = in.attempt_status = in.capture_mode == "prefer_delay" ? "authorized" : "success";
      Emit("status_change", in);
    }
    std::string out = IntentJson(in);
    // A pending refund settles after it has been seen pending once.
    for (auto& r : in.refunds) {
      if (r.status == "pending") {
        r.status = "success";
        Emit("refund", in, &r);
        out = IntentJson(in);
      }
    }
    Send(resp, 200, out);
  }

  void Capture(Poco::Net::HTTPServerResponse& resp, Intent& in) {
    if (in.status != "authorized")
      return Send(resp, 422, Detail("Payment intent is not in authorized status"));
    in.status = in.attempt_status = "success";
    Emit("status_change", in);
    Send(resp, 200, "{\"intent_id\":\"" + in.id + "\",\"status\":\"success\"}");
  }

  void Cancel(Poco::Net::HTTPServerResponse& resp, Intent& in) {
    if (in.status == "success") {
      return Send(resp, 422,
                  Detail("Cannot cancel a captured payment. Use refund endpoint instead."));
    }
    if (in.status != "authorized")
      return Send(resp, 422, Detail("Payment intent is not in authorized status"));
    in.status = in.attempt_status = "canceled";
    Emit("cancelation", in);
    Send(resp, 200,
         "{\"id\":" + std::to_string(in.attempt_id) +
             ",\"attempt_status\":\"canceled\",\"method\":\"card\",\"failure_reason\":null,"
             "\"intent_id\":\"" +
             in.id + "\",\"intent_status\":\"canceled\",\"action\":null,\"redirect_url\":null}");
  }

  void RefundIntent(Poco::Net::HTTPServerResponse& resp, Intent& in, const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return Send(resp, 400, Detail("Malformed JSON body"));
    auto amount = d.FindMember("amount");
    if (amount == d.MemberEnd() || !amount->value.IsInt64() || amount->value.GetInt64() <= 0) {
      return Send(resp, 422, Detail("amount: must be a positive integer"));
    }
    std::string reason = "other";
    if (auto it = d.FindMember("reason"); it != d.MemberEnd()) {
      reason = it->value.IsString() ? it->value.GetString() : "";
      static const char* kReasons[] = {"fraud", "customer_request", "return", "duplicate", "other"};
      bool ok = false;
      for (const char* r : kReasons) ok |= reason == r;
      if (!ok)
        return Send(resp, 422,
                    Detail("reason: fraud, customer_request, return, duplicate or other"));
    }
    if (in.status != "success") return Send(resp, 422, Detail("Payment intent is not refundable"));
    int64_t taken = 0;
    for (const auto& r : in.refunds) taken += r.status == "failed" ? 0 : r.amount;
    if (amount->value.GetInt64() > in.amount - taken) {
      return Send(resp, 422, Detail("Refund amount exceeds the remaining refundable amount"));
    }
    Refund r{g.next_refund++, amount->value.GetInt64(), "pending", reason, Now()};
    in.refunds.push_back(r);
    Emit("refund", in, &in.refunds.back());
    rapidjson::StringBuffer buf;
    Writer w(buf);
    WriteRefund(w, in, r);
    Send(resp, 201, buf.GetString());
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--listen")
      listen = argv[i + 1];
    else if (flag == "--api-key")
      g.api_key = argv[i + 1];
    else if (flag == "--webhook-secret")
      g.secrets.push_back(argv[i + 1]);
    else {
      std::cerr << "usage: fake-njiapay --listen HOST:PORT --api-key KEY [--webhook-secret S]...\n";
      return 2;
    }
  }
  if (g.api_key.empty()) {
    std::cerr << "fake-njiapay: --api-key is required\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(listen)};
  g.address = socket.address().toString();
  Poco::Net::HTTPServer server(new Factory, socket, new Poco::Net::HTTPServerParams);
  server.start();
  std::cout << "{\"listening\":\"" << g.address << "\"}" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  server.stopAll(true);
  return 0;
}
