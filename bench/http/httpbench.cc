// splitledger-httpbench: an HTTP/1.1 keep-alive load generator for `splitledger serve`, with the
// HTTP ceiling of this machine measured in the same run (a trivial Poco HTTPServer handler that
// parses a similar JSON body and answers a small JSON), and a JSON library micro-benchmark.
//
//   splitledger-httpbench http [--server PATH] [--seconds N] [--conns 16,64] [--workloads checkout,partial]
//                              [--url http://127.0.0.1:PORT --client-id ID --api-key KEY] [--json]
// --json prints one object on stdout: {"conns_16": {ceiling_rps, checkout_rps, ratio, p50_ms,
// p99_ms, …}, "conns_64": {…}} (the human lines go to stderr).
//   splitledger-httpbench json [--iters N]
//
// `http` starts `PATH serve` itself (PATH from --server or $SPLITLEDGER_BIN, default
// build/bin/splitledger) on a free loopback port with a fresh SQLite database in a temp dir (the
// server's defaults: durable, synchronous=FULL), creates a client with `PATH client create`, gets
// a token, creates a seller (user + wallet), then runs each workload at each connection count:
//   checkout: POST intent (2 lines), POST captures {}                      (2 requests / op)
//   partial:  POST intent (3 lines), POST cancel (partial, line 1),
//             POST captures (partial: rest of line 1, lines 2 and 3)        (3 requests / op)
// One thread per connection, blocking sockets, keep-alive. Each request's latency is recorded.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

int JsonBenchMain(int argc, char** argv);  // jsonbench.cc

namespace {
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------ minimal HTTP/1.1 client
struct Response {
  int status = 0;
  std::string body;
};

class Conn {
 public:
  explicit Conn(int port) : port_(port) { Connect(); }
  ~Conn() { if (fd_ >= 0) ::close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Response Request(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& extra_headers, const char* content_type = "application/json") {
    std::string req;
    req.reserve(256 + body.size());
    req += method; req += ' '; req += path; req += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    req += extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Type: "; req += content_type; req += "\r\nContent-Length: ";
      req += std::to_string(body.size()); req += "\r\n";
    }
    req += "\r\n";
    req += body;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) Connect();
      if (SendAll(req) && ReadResponse()) return resp_;
      ::close(fd_); fd_ = -1;  // server closed the keep-alive connection: reconnect once
      ++reconnects;
    }
    throw std::runtime_error("request failed: " + method + " " + path);
  }
  uint64_t reconnects = 0;

 private:
  void Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_); fd_ = -1;
      throw std::runtime_error("connect failed");
    }
    buf_.clear();
  }
  bool SendAll(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool Fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  bool ReadResponse() {
    size_t hend;
    while ((hend = buf_.find("\r\n\r\n")) == std::string::npos) if (!Fill()) return false;
    std::string head = buf_.substr(0, hend);
    buf_.erase(0, hend + 4);
    resp_.status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
    resp_.body.clear();
    if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        size_t e;
        while ((e = buf_.find("\r\n")) == std::string::npos) if (!Fill()) return false;
        size_t len = std::strtoul(buf_.c_str(), nullptr, 16);
        buf_.erase(0, e + 2);
        while (buf_.size() < len + 2) if (!Fill()) return false;
        resp_.body.append(buf_, 0, len);
        buf_.erase(0, len + 2);
        if (len == 0) break;
      }
    } else {
      size_t cl = lower.find("\r\ncontent-length:");
      if (cl != std::string::npos) {
        size_t len = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
        while (buf_.size() < len) if (!Fill()) return false;
        resp_.body.assign(buf_, 0, len);
        buf_.erase(0, len);
      } else {
        while (Fill()) {}
        resp_.body.swap(buf_);
        close_after = true;
      }
    }
    if (close_after) { ::close(fd_); fd_ = -1; }
    return true;
  }
  int port_;
  int fd_ = -1;
  std::string buf_;
  Response resp_;
};

// ------------------------------------------------------------------ the server under test
std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen " + cmd);
  char b[4096];
  size_t n;
  while ((n = fread(b, 1, sizeof b, p)) > 0) out.append(b, n);
  int rc = ::pclose(p);
  if (rc != 0) throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
  return out;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t l = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
  int p = ntohs(a.sin_port);
  ::close(fd);
  return p;
}

struct Target {
  int port = 0;
  std::string client_id;
  std::string auth;  // "Authorization: Bearer …\r\n"
  std::string user_id, wallet_id;
};

std::string JsonStr(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c; bits += 8;
    while (bits >= 0) { out.push_back(t[(val >> bits) & 0x3F]); bits -= 6; }
  }
  if (bits > -6) out.push_back(t[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

void Setup(Target& t, const std::string& api_key) {
  Conn c(t.port);
  Response r = c.Request("POST", "/v2.01/oauth/token", "grant_type=client_credentials",
                         "Authorization: Basic " + Base64(t.client_id + ":" + api_key) + "\r\n",
                         "application/x-www-form-urlencoded");
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (r.status != 200 || d.HasParseError() || !d.IsObject()) throw std::runtime_error("token: " + r.body);
  t.auth = "Authorization: Bearer " + JsonStr(d, "access_token") + "\r\n";
  r = c.Request("POST", "/v2.01/" + t.client_id + "/users/natural",
                R"({"FirstName":"Bench","LastName":"Seller","Email":"b@example.org","TermsAndConditionsAccepted":true,)"
                R"("Birthday":188301600,"Nationality":"FR","CountryOfResidence":"FR"})", t.auth);
  d.Parse(r.body.c_str());
  if (r.status != 200 || !d.IsObject()) throw std::runtime_error("user: " + r.body);
  t.user_id = JsonStr(d, "Id");
  r = c.Request("POST", "/v2.01/" + t.client_id + "/wallets",
                R"({"Owners":[")" + t.user_id + R"("],"Description":"bench","Currency":"EUR"})", t.auth);
  d.Parse(r.body.c_str());
  if (r.status != 200 || !d.IsObject()) throw std::runtime_error("wallet: " + r.body);
  t.wallet_id = JsonStr(d, "Id");
}

std::string LineJson(const Target& t, int unit, int qty, int fee, int i) {
  char b[512];
  std::snprintf(b, sizeof b,
                R"({"Seller":{"WalletId":"%s","AuthorId":"%s","FeesAmount":%d,"TransferDate":1728133765},)"
                R"("Sku":"sku-%d","Name":"Item %d","Quantity":%d,"UnitAmount":%d})",
                t.wallet_id.c_str(), t.user_id.c_str(), fee, i, i, qty, unit);
  return b;
}

std::string IntentJson(const Target& /*t*/, const std::string& ref, const std::vector<std::string>& lines,
                       long amount, long fees) {
  std::string s = R"({"Amount":)" + std::to_string(amount) + R"(,"Currency":"EUR","PlatformFeesAmount":)" +
                  std::to_string(fees) +
                  R"(,"ExternalData":{"ExternalProcessingDate":1728133765,"ExternalProviderReference":")" + ref +
                  R"(","ExternalMerchantReference":"Order-)" + ref +
                  R"(","ExternalProviderName":"Stripe","ExternalProviderPaymentMethod":"VISA"},"LineItems":[)";
  for (size_t i = 0; i < lines.size(); ++i) { if (i) s += ','; s += lines[i]; }
  return s + "]}";
}

// The create-intent body used by the ceiling and the JSON bench (2 lines, like checkout).
std::string SampleBody() {
  Target t;
  t.wallet_id = "wlt_m_01HQ3J8Z7K0000000000000000";
  t.user_id = "user_m_01HQ3J8Z7K0000000000000000";
  return IntentJson(t, "pi_3Q0000000000000000000000", {LineJson(t, 1200, 1, 120, 0), LineJson(t, 800, 1, 80, 1)}, 2000, 200);
}

// ------------------------------------------------------------------ workloads
struct Stats {
  std::vector<uint32_t> lat_us;
  uint64_t ok = 0, bad = 0, ops = 0, reconnects = 0;
  std::string first_error;
};

enum class Workload { kCheckout, kPartial, kCeiling };
std::atomic<uint64_t> g_seq{0};  // unique ExternalProviderReference per intent (else: mixed basket)

void Timed(Conn& c, Stats& s, const std::string& m, const std::string& path, const std::string& body,
           const std::string& hdr, Response* out) {
  auto t0 = Clock::now();
  *out = c.Request(m, path, body, hdr);
  s.lat_us.push_back(static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
  if (out->status == 200) ++s.ok;
  else {
    ++s.bad;
    if (s.first_error.empty()) s.first_error = m + " " + path + " -> " + std::to_string(out->status) + " " + out->body.substr(0, 300);
  }
}

void Worker(const Target& t, Workload w, int id, Clock::time_point end, Stats& s) {
  try {
    Conn c(t.port);
    std::string v3 = "/V3.0/" + t.client_id + "/payins/intents";
    rapidjson::Document d;
    Response r;
    const std::string sample = SampleBody();
    for (uint64_t n = 0; Clock::now() < end; ++n) {
      std::string ref = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(id) + "-" +
                        std::to_string(g_seq.fetch_add(1, std::memory_order_relaxed));
      if (w == Workload::kCeiling) {
        Timed(c, s, "POST", v3, sample, t.auth, &r);
        ++s.ops;
        continue;
      }
      if (w == Workload::kCheckout) {
        Timed(c, s, "POST", v3, IntentJson(t, ref, {LineJson(t, 1200, 1, 120, 0), LineJson(t, 400, 2, 80, 1)}, 2000, 200), t.auth, &r);
        if (r.status != 200) continue;
        d.Parse(r.body.c_str());
        std::string iid = JsonStr(d, "Id");
        Timed(c, s, "POST", v3 + "/" + iid + "/captures", "{}", t.auth, &r);
        if (r.status == 200) ++s.ops;
      } else {
        Timed(c, s, "POST", v3,
              IntentJson(t, ref, {LineJson(t, 1000, 1, 100, 0), LineJson(t, 500, 1, 50, 1), LineJson(t, 250, 2, 20, 2)}, 2000, 170),
              t.auth, &r);
        if (r.status != 200) continue;
        d.Parse(r.body.c_str());
        std::string iid = JsonStr(d, "Id");
        std::string l[3];
        auto li = d.FindMember("LineItems");
        if (li == d.MemberEnd() || !li->value.IsArray() || li->value.Size() != 3) { ++s.bad; continue; }
        for (int i = 0; i < 3; ++i) l[i] = JsonStr(li->value[i], "Id");
        Timed(c, s, "POST", v3 + "/" + iid + "/cancel",
              R"({"Amount":333,"Currency":"EUR","LineItems":[{"Id":")" + l[0] + R"(","Amount":333}]})", t.auth, &r);
        if (r.status != 200) continue;
        Timed(c, s, "POST", v3 + "/" + iid + "/captures",
              R"({"Amount":1167,"Currency":"EUR","ExternalData":{"ExternalProcessingDate":1728133765,"ExternalProviderReference":")" +
                  ref + R"("},"LineItems":[{"Id":")" + l[0] + R"(","Amount":167},{"Id":")" + l[1] +
                  R"(","Amount":500},{"Id":")" + l[2] + R"(","Amount":500}]})",
              t.auth, &r);
        if (r.status == 200) ++s.ops;
      }
    }
    s.reconnects = c.reconnects;
  } catch (const std::exception& e) {
    ++s.bad;
    if (s.first_error.empty()) s.first_error = e.what();
  }
}

struct Result {
  double rps = 0, ops = 0, p50 = 0, p99 = 0, max = 0;
  uint64_t ok = 0, bad = 0, reconnects = 0;
  std::string err;
};

Result RunLoad(const Target& t, Workload w, int conns, double seconds) {
  std::vector<Stats> st(conns);
  std::vector<std::thread> th;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < conns; ++i) th.emplace_back(Worker, std::cref(t), w, i, end, std::ref(st[i]));
  for (auto& x : th) x.join();
  double el = std::chrono::duration<double>(Clock::now() - start).count();
  Result r;
  std::vector<uint32_t> all;
  for (auto& s : st) {
    all.insert(all.end(), s.lat_us.begin(), s.lat_us.end());
    r.ok += s.ok; r.bad += s.bad; r.ops += s.ops; r.reconnects += s.reconnects;
    if (r.err.empty()) r.err = s.first_error;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))] / 1000.0; };
  r.rps = (r.ok + r.bad) / el;
  r.ops /= el;
  r.p50 = pct(0.50); r.p99 = pct(0.99); r.max = all.empty() ? 0 : all.back() / 1000.0;
  return r;
}

// ------------------------------------------------------------------ the HTTP ceiling
class CeilingHandler : public Poco::Net::HTTPRequestHandler {
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    std::string body;
    body.resize(static_cast<size_t>(std::max<std::streamsize>(0, req.getContentLength())));
    req.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
    rapidjson::Document d;  // parse like a real handler: the amount and the line items
    d.Parse(body.data(), body.size());
    long amount = 0;
    size_t lines = 0;
    if (d.IsObject()) {
      auto a = d.FindMember("Amount");
      if (a != d.MemberEnd() && a->value.IsInt64()) amount = static_cast<long>(a->value.GetInt64());
      auto li = d.FindMember("LineItems");
      if (li != d.MemberEnd() && li->value.IsArray()) lines = li->value.Size();
    }
    std::string out = R"({"Id":"int_0190f6a2-0000-7000-8000-000000000000","Status":"AUTHORIZED","Amount":)" +
                      std::to_string(amount) + R"(,"Lines":)" + std::to_string(lines) + "}";
    res.setContentType("application/json");
    res.setContentLength(static_cast<std::streamsize>(out.size()));
    res.send() << out;
  }
};
class CeilingFactory : public Poco::Net::HTTPRequestHandlerFactory {
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new CeilingHandler;
  }
};

// ------------------------------------------------------------------ main
std::string Arg(int argc, char** argv, const std::string& name, std::string def) {
  for (int i = 0; i + 1 < argc; ++i) if (argv[i] == name) return argv[i + 1];
  return def;
}
std::vector<int> IntList(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) v.push_back(std::stoi(x));
  return v;
}

void Print(const char* name, int conns, const Result& r, int reqs_per_op) {
  std::printf("%-9s conns=%-3d  %8.0f req/s  %7.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  ok %-7llu errors %llu%s\n",
              name, conns, r.rps, r.ops, r.p50, r.p99, r.max, (unsigned long long)r.ok, (unsigned long long)r.bad,
              reqs_per_op ? "" : "");
  if (r.bad) std::printf("          first error: %s\n", r.err.c_str());
  std::fflush(stdout);
}

int HttpMain(int argc, char** argv) {
  std::string bin = Arg(argc, argv, "--server", std::getenv("SPLITLEDGER_BIN") ? std::getenv("SPLITLEDGER_BIN") : "build/bin/splitledger");
  double seconds = std::stod(Arg(argc, argv, "--seconds", "5"));
  std::vector<int> conns = IntList(Arg(argc, argv, "--conns", "16,64"));
  std::string workloads = Arg(argc, argv, "--workloads", "checkout,partial");
  std::string url = Arg(argc, argv, "--url", "");
  bool json = false;
  for (int i = 0; i < argc; ++i) json = json || std::string(argv[i]) == "--json";
  // --json: the human lines go to stderr, one JSON object to stdout at the end.
  int json_fd = -1;
  if (json) {
    std::fflush(stdout);
    json_fd = ::dup(STDOUT_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  std::string json_runs;

  Target t;
  pid_t child = -1;
  std::filesystem::path dir;
  std::string api_key = Arg(argc, argv, "--api-key", "bench-key-0123456789abcdef0123456789");
  t.client_id = Arg(argc, argv, "--client-id", "bench");
  const bool need_server = workloads.find("checkout") != std::string::npos || workloads.find("partial") != std::string::npos;
  if (!need_server) {
    // ceiling only
  } else if (url.empty()) {
    char tmpl[] = "/tmp/splitledger-httpbench.XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::string db = "sqlite:" + (dir / "db.sqlite").string();
    Run("'" + bin + "' client create --id " + t.client_id + " --api-key " + api_key + " --db " + db + " 2>&1");
    t.port = FreePort();
    std::string listen = "127.0.0.1:" + std::to_string(t.port);
    std::string log = (dir / "serve.log").string();
    child = ::fork();
    if (child == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::execl(bin.c_str(), bin.c_str(), "serve", "--listen", listen.c_str(), "--db", db.c_str(), (char*)nullptr);
      _exit(127);
    }
    bool up = false;
    for (int i = 0; i < 400 && !up; ++i) {
      try { Conn c(t.port); up = c.Request("GET", "/healthz", "", "").status == 200; } catch (...) {}
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!up) { std::fprintf(stderr, "server did not start (log: %s)\n", log.c_str()); ::kill(child, SIGKILL); return 1; }
    std::printf("server: %s serve --listen %s --db %s\n", bin.c_str(), listen.c_str(), db.c_str());
  } else {
    t.port = std::stoi(url.substr(url.rfind(':') + 1));
  }
  if (need_server) Setup(t, api_key);

  // The ceiling: a Poco HTTPServer in this process with enough threads for every connection.
  int cport = FreePort();
  Poco::Net::ServerSocket ss(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(cport)), 256);
  auto* params = new Poco::Net::HTTPServerParams;
  int maxc = *std::max_element(conns.begin(), conns.end());
  params->setMaxThreads(maxc + 8);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  Poco::ThreadPool pool(2, maxc + 16);
  Poco::Net::HTTPServer ceiling(new CeilingFactory, pool, ss, params);
  ceiling.start();
  Target ct = t;
  ct.port = cport;

  unsigned hw = std::thread::hardware_concurrency();
  std::printf("machine: %u hardware threads (load generator, server and ceiling share them); %.1f s per run\n", hw, seconds);
  std::printf("body: %zu-byte create-intent JSON (2 lines); ceiling = Poco HTTPServer + rapidjson parse + small JSON answer\n",
              SampleBody().size());
  std::fflush(stdout);
  int rc = 0;
  for (int n : conns) {
    Result cr = RunLoad(ct, Workload::kCeiling, n, seconds);
    Print("ceiling", n, cr, 1);
    Result checkout{};
    for (const char* w : {"checkout", "partial"}) {
      if (workloads.find(w) == std::string::npos) continue;
      bool is_checkout = std::string(w) == "checkout";
      Result r = RunLoad(t, is_checkout ? Workload::kCheckout : Workload::kPartial, n, seconds);
      Print(w, n, r, is_checkout ? 2 : 3);
      if (is_checkout) checkout = r;
      if (r.bad) rc = 2;
    }
    if (checkout.rps > 0 && cr.rps > 0) {
      std::printf("ratio     conns=%-3d  checkout/ceiling = %.1f%% (target >= 50%%), checkout p99 %.2f ms (target <= 10 ms at 64)\n",
                  n, 100.0 * checkout.rps / cr.rps, checkout.p99);
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "%s\"conns_%d\": {\"conns\": %d, \"ceiling_rps\": %.0f, \"checkout_rps\": %.0f, "
                    "\"ratio\": %.3f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"ceiling_p99_ms\": %.2f, "
                    "\"errors\": %llu}",
                    json_runs.empty() ? "" : ", ", n, n, cr.rps, checkout.rps, checkout.rps / cr.rps,
                    checkout.p50, checkout.p99, cr.p99, static_cast<unsigned long long>(checkout.bad));
      json_runs += buf;
    }
    std::fflush(stdout);
  }
  ceiling.stopAll(true);
  if (child > 0) {
    ::kill(child, SIGTERM);
    int st = 0;
    ::waitpid(child, &st, 0);
    std::printf("server exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  if (json_fd >= 0) {
    std::fflush(stdout);
    std::string out = "{" + json_runs + "}\n";
    (void)!::write(json_fd, out.data(), out.size());
    ::close(json_fd);
  }
  return rc;
}
}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "http") return HttpMain(argc - 1, argv + 1);
    if (cmd == "json") return JsonBenchMain(argc - 1, argv + 1);
    if (cmd == "all") {
      int a = JsonBenchMain(argc - 1, argv + 1);
      int b = HttpMain(argc - 1, argv + 1);
      return a ? a : b;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "httpbench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: splitledger-httpbench http [--server PATH] [--seconds N] [--conns 16,64] [--workloads checkout,partial]\n"
               "       splitledger-httpbench json [--iters N]\n"
               "       splitledger-httpbench all  (json, then http)\n");
  return 2;
}

std::string SampleBodyForJsonBench() { return SampleBody(); }
