// `splitledger serve`: configuration, the front door (front_door.h), request dispatch and shutdown.
#include <Poco/Net/ServerSocket.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include "admin.h"
#include "app.h"
#include "completions.h"
#include "dialects.h"
#include "front_door.h"
#include "hook_delivery.h"
#include "iauth.h"
#include "orchestration.h"
#include "settlements.h"
#include "splitledger/api/commands.h"
#include "webhook_delivery.h"

namespace splitledger::api {
namespace openapi {
extern const unsigned char kEchoV2[];
extern const size_t kEchoV2_size;
extern const unsigned char kEchoV3[];
extern const size_t kEchoV3_size;
extern const unsigned char kOrchestration[];
extern const size_t kOrchestration_size;
}  // namespace openapi
namespace {

// x-ratelimit headers (§4.3): four windows of 15, 30, 60 and 1440 minutes. Counts are per process.
class RateWindows {
 public:
  void Add(Reply& r, int64_t now_s, int64_t limit) {
    static constexpr int64_t kWin[4] = {900, 1800, 3600, 86400};
    std::string made, remaining, reset;
    for (int i = 0; i < 4; ++i) {
      int64_t start = now_s - now_s % kWin[i];
      int64_t prev = start_[i].load(std::memory_order_relaxed);
      if (prev != start && start_[i].compare_exchange_strong(prev, start)) count_[i].store(0);
      int64_t n = count_[i].fetch_add(1, std::memory_order_relaxed) + 1;
      int64_t left = limit - n;
      if (left < 1) left = 1;
      const char* sep = i == 0 ? "" : ", ";
      made += sep + std::to_string(n);
      remaining += sep + std::to_string(left);
      // Report the reset one full window ahead: clients (the Mangopay SDK) infer the window
      // length from reset − now, so an aligned reset near its boundary would read as a shorter
      // window.
      reset += sep + std::to_string(now_s + kWin[i]);
    }
    r.headers.emplace_back("x-ratelimit", made);
    r.headers.emplace_back("x-ratelimit-remaining", remaining);
    r.headers.emplace_back("x-ratelimit-reset", reset);
  }

 private:
  std::atomic<int64_t> start_[4] = {};
  std::atomic<int64_t> count_[4] = {};
};
RateWindows g_rate;

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

bool ValidIdempotencyKey(std::string_view k) {
  if (k.size() < 16 || k.size() > 36) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

Reply PlainNotFound() {
  return JsonReply("{\"Message\":\"Not found\",\"Type\":\"ressource_not_found\",\"errors\":null}",
                   404);
}

// The dialects the server speaks: path prefix, error format, routing table. Adding a dialect
// adds an entry here and its table; nothing else in the server changes.
struct DialectEntry {
  const char* prefix;
  Dialect errors;
  const std::vector<Route>& (*routes)();
};
const DialectEntry kDialects[] = {
    {"v2.01", Dialect::kV2, V2Routes},
    {"V3.0", Dialect::kV3, V3Routes},
};

// Runs one request: dispatch, rate-limit headers, metrics and the request log line.
// The error format of a path, before routing (for the front door's own refusals).
Dialect DialectOfPath(std::string_view target) {
  std::vector<std::string> segs = SplitPath(target.substr(0, target.find('?')));
  if (IsOrchestrationPath(segs)) return Dialect::kOrchestration;
  for (const DialectEntry& d : kDialects) {
    if (!segs.empty() && IEquals(segs[0], d.prefix)) return d.errors;
  }
  return Dialect::kV2;
}

class ApiHandler {
 public:
  ApiHandler(App& app, const Extensions& extensions, CompletionPool& completions)
      : app_(app), extensions_(extensions), completions_(completions) {}

  // Answers at once, or (a Deferred answer) submits the command and answers from a completion
  // thread once its outcome is durable: this worker is free meanwhile.
  void Handle(HttpRequest& hreq, Responder respond) {
    const auto started = std::chrono::steady_clock::now();
    Request req;
    req.route = "unmatched";
    Answer answer = Guarded(req, [&] { return Dispatch(hreq, req); });
    if (auto* later = std::get_if<Deferred>(&answer)) {
      service::Envelope envelope = EnvelopeOf(req, std::move(later->command));
      app_.service->SubmitAsync(
          std::move(envelope), std::make_unique<DeferredReply>(*this, std::move(req), later->render,
                                                               started, std::move(respond)));
      return;
    }
    Finish(req, std::get<Reply>(std::move(answer)), started, respond);
  }

 private:
  // A request whose reply waits for its command: the outcome arrives on the writer thread and is
  // rendered and sent on a completion thread.
  class DeferredReply final : public service::OutcomeSink, public CompletionPool::Task {
   public:
    DeferredReply(ApiHandler& handler, Request req,
                  Reply (*render)(const Request&, const service::Outcome&),
                  std::chrono::steady_clock::time_point started, Responder respond)
        : handler_(handler),
          req_(std::move(req)),
          render_(render),
          started_(started),
          respond_(std::move(respond)) {}

    void Run() override {
      Reply reply = Guarded(req_, [&] { return render_(req_, outcome_); });
      handler_.Finish(req_, std::move(reply), started_, respond_);
    }

   private:
    void Receive(std::unique_ptr<service::OutcomeSink> self, service::Outcome outcome) override {
      outcome_ = std::move(outcome);
      (void)self.release();  // now owned as a task
      handler_.completions_.Post(std::unique_ptr<CompletionPool::Task>(this));
    }

    ApiHandler& handler_;
    Request req_;
    Reply (*render_)(const Request&, const service::Outcome&);
    std::chrono::steady_clock::time_point started_;
    Responder respond_;
    service::Outcome outcome_;
  };

  // `make`'s result, or the request dialect's 500 when it throws.
  template <typename Make>
  static auto Guarded(const Request& req, Make make) -> decltype(make()) {
    try {
      return make();
    } catch (...) {
      return ErrorReply(req.dialect == Dialect::kPlain ? Dialect::kV2 : req.dialect,
                        ErrorFromStatus(Status::Internal("")));
    }
  }

  // Rate-limit headers, the request's metrics and log line, then the reply.
  void Finish(const Request& req, Reply reply, std::chrono::steady_clock::time_point started,
              Responder& respond) {
    g_rate.Add(reply, NowMs() / 1000, app_.cfg.rate_limit_per_window);
    int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
    app_.metrics.Record(req.method, req.route, reply.status, micros);
    app_.log.Request(req.method, req.route, reply.status, micros, reply.log_detail);
    respond.Send(reply);
  }

  Answer Dispatch(HttpRequest& hreq, Request& req) {
    req.now_ms = NowMs();
    req.method = hreq.method;
    req.transport = hreq.transport;
    req.client_cert = hreq.client_cert;
    const char* scheme = req.transport == Transport::kPlain ? "http://" : "https://";
    const std::string& uri = hreq.target;
    size_t q = uri.find('?');
    std::string_view path = std::string_view(uri).substr(0, q);
    if (q != std::string::npos) req.query = ParseQuery(std::string_view(uri).substr(q + 1));
    std::vector<std::string> segs = SplitPath(path);

    if (segs.size() == 1 && (segs[0] == "healthz" || segs[0] == "metrics")) {
      req.route = "/" + segs[0];
      if (segs[0] == "healthz") return JsonReply("{\"status\":\"ok\"}");
      Reply r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = app_.metrics.Render(*app_.service);
      if (app_.connection_counts) {
        auto [open, refused] = app_.connection_counts();
        r.body +=
            "# HELP splitledger_http_connections Open client connections.\n"
            "# TYPE splitledger_http_connections gauge\nsplitledger_http_connections " +
            std::to_string(open) +
            "\n# HELP splitledger_http_connections_refused_total Connections refused at "
            "max_connections.\n# TYPE splitledger_http_connections_refused_total counter\n"
            "splitledger_http_connections_refused_total " +
            std::to_string(refused) + "\n";
      }
      if (app_.failed_handshakes) {
        r.body +=
            "# HELP splitledger_tls_handshake_failures_total TLS handshakes refused (no, "
            "unknown, expired certificate; not TLS).\n# TYPE "
            "splitledger_tls_handshake_failures_total counter\n"
            "splitledger_tls_handshake_failures_total " +
            std::to_string(app_.failed_handshakes()) + "\n";
      }
      return r;
    }
    // Extensions (extension.h): their own prefix, their own replies.
    for (const auto& ext : extensions_) {
      const std::string prefix = ext->prefix();
      if (path == prefix ||
          (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           path[prefix.size()] == '/')) {
        req.route = prefix;
        WebRequest w;
        w.method = hreq.method;
        w.path = std::string(path);
        w.query = q == std::string::npos ? std::string() : uri.substr(q + 1);
        w.headers = hreq.headers;
        w.body = std::move(hreq.body);
        w.secure = hreq.transport != Transport::kPlain;
        w.loopback = hreq.peer.host().isLoopback();
        WebReply wr = ext->Handle(w);
        Reply r;
        r.status = wr.status;
        r.content_type = wr.content_type;
        r.body = std::move(wr.body);
        r.headers = std::move(wr.headers);
        return r;
      }
    }
    if (segs.size() == 2 && segs[0] == "openapi") {
      // The dialects' OpenAPI documents (docs/openapi, built in; a test keeps them equal to the
      // routing tables).
      req.route = "/openapi/{document}";
      auto doc = [](const unsigned char* bytes, size_t n) {
        return JsonReply(std::string(reinterpret_cast<const char*>(bytes), n));
      };
      if (segs[1] == "v2.json") return doc(openapi::kEchoV2, openapi::kEchoV2_size);
      if (segs[1] == "v3.json") return doc(openapi::kEchoV3, openapi::kEchoV3_size);
      if (segs[1] == "orchestration.json") {
        return doc(openapi::kOrchestration, openapi::kOrchestration_size);
      }
      return PlainNotFound();
    }
    if (IsOrchestrationPath(segs)) {
      std::string base = !app_.cfg.public_url.empty()
                             ? app_.cfg.public_url
                             : scheme + hreq.HeaderOr("host", app_.cfg.listen);
      return HandleOrchestration(app_, hreq, req, segs, base);
    }
    if (segs.size() < 2) return PlainNotFound();
    if (segs.size() == 2 && segs[0] == "admin" &&
        (segs[1] == "clients" || segs[1] == "escrow" || segs[1] == "certificates" ||
         segs[1] == "users" || segs[1] == "webhooks")) {
      req.route = "/admin/" + segs[1];
      return HandleAdmin(hreq, req);
    }
    if (segs.size() == 3 && segs[0] == "uploads" && segs[1] == "settlements") {
      // A settlement's upload URL: the token in its query is the only credential (§10.8).
      req.route = "/uploads/settlements/{SettlementId}";
      req.dialect = Dialect::kV3;
      req.body = std::move(hreq.body);
      req.url = scheme + hreq.HeaderOr("host", app_.cfg.listen) + std::string(path);
      std::string body = app_.shards ? req.body : std::string();
      Reply local = HandleSettlementUpload(app_, req, segs[2]);
      // Sharded: the URL names no client, so a settlement this shard does not hold (or a wrong
      // token: the answer is the same) is tried on the others, once.
      if (local.status == 403 && app_.shards && !ShardMap::Forwarded(hreq) &&
          hreq.transport != Transport::kMtls) {
        hreq.body = std::move(body);
        for (const std::string& other : app_.shards->Others()) {
          Reply r = app_.shards->Forward(other, hreq, Dialect::kV3);
          if (r.status != 403 && r.status != 421) return r;
        }
      }
      return local;
    }
    const DialectEntry* dialect = nullptr;
    for (const DialectEntry& d : kDialects) {
      if (IEquals(segs[0], d.prefix)) dialect = &d;
    }
    if (dialect == nullptr) return PlainNotFound();
    req.dialect = dialect->errors;
    if (dialect->errors == Dialect::kV2 && IEquals(segs[1], "oauth")) req.dialect = Dialect::kOAuth;

    // The body: the front door has read it within max_body_bytes (413 otherwise).
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
      req.body = std::move(hreq.body);
    std::string host = hreq.HeaderOr("host", app_.cfg.listen);
    req.url = scheme + host + std::string(path);

    // Sharded: another shard's client is sent there before anything else is done here.
    if (app_.shards) {
      std::string owner_client = req.client_id;
      if (req.dialect == Dialect::kOAuth) {
        std::string key;
        ParseBasic(hreq.HeaderOr("authorization"), &owner_client, &key);
      } else if (segs.size() >= 2) {
        owner_client = segs[1];
      }
      if (std::optional<std::string> there = app_.shards->Elsewhere(owner_client)) {
        req.route = "shard_forward";
        // A client certificate cannot travel with a forwarded request (TLS ends here): an mTLS
        // client talks to its own shard's mTLS listener.
        if (req.transport == Transport::kMtls) {
          ApiError e;
          e.status = 421;
          e.type = "misdirected_request";
          e.message = "This client's mTLS listener is on another shard: connect to it directly";
          return ErrorReply(req.dialect, e);
        }
        if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
          hreq.body = std::move(req.body);
        return app_.shards->Forward(*there, hreq, req.dialect);
      }
    }

    // The mTLS listener: the handshake verified the certificate's chain and dates; here, that
    // it is registered to a client and not revoked (req.cert_client).
    if (req.transport == Transport::kMtls) {
      if (std::optional<Reply> refused = CheckCertificate(req)) return *refused;
    }

    if (req.dialect == Dialect::kOAuth) {
      if (segs.size() != 3 || !IEquals(segs[2], "token"))
        return ErrorReply(Dialect::kV2, NotFoundError("Path", "Unknown route"));
      req.route = "/v2.01/oauth/token";
      if (req.method != "POST") {
        ApiError e;
        e.status = 405;
        e.type = "method_not_allowed";
        e.message = "Use POST";
        return ErrorReply(Dialect::kOAuth, e);
      }
      return HandleOAuth(app_, req, hreq.HeaderOr("authorization"));
    }

    if (!req.body.empty()) {
      std::string ct = ToLower(hreq.HeaderOr("content-type"));
      if (ct.rfind("application/json", 0) != 0 && ct.find("+json") == std::string::npos) {
        ApiError e;
        e.status = 415;
        e.type = "unsupported_media_type";
        e.message = "Content-Type must be application/json";
        e.errors.emplace_back("Content-Type", "Expected application/json");
        return ErrorReply(req.dialect, e);
      }
    }

    // Authentication: bearer token bound to the path's ClientId.
    if (segs.size() < 3) return ErrorReply(req.dialect, NotFoundError("Path", "Unknown route"));
    req.client_id = segs[1];
    std::string token = ParseBearer(hreq.HeaderOr("authorization"));
    if (token.empty()) {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.message = "Authorization has been denied for this request.";
      return ErrorReply(req.dialect, e);
    }
    std::string th = Sha256Hex(token);
    auto entry = app_.tokens.Find(th);
    if (!entry) {
      service::Outcome o = Run(app_, req, service::FindToken{th});
      if (o.ok()) {
        const auto& grant = std::get<service::TokenGrant>(o.value);
        entry = TokenCache::Entry{grant.client_id, grant.expires_at, grant.cert_fingerprint};
        app_.tokens.Put(th, *entry);
      }
    }
    if (!entry || entry->expires_at <= req.now_ms / 1000) {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.message = "Authorization has been denied for this request.";
      return ErrorReply(req.dialect, e);
    }
    // RFC 8705: a token issued through the mTLS listener works only with its certificate.
    if (!entry->cert_fingerprint.empty() &&
        (req.transport != Transport::kMtls ||
         !ConstantTimeEquals(entry->cert_fingerprint, req.client_cert))) {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.message = "The token is bound to a client certificate this connection did not present";
      return ErrorReply(req.dialect, e);
    }
    if (entry->client_id != req.client_id) {
      ApiError e;
      e.status = 403;
      e.type = "forbidden_ressource";
      e.message = "The token does not grant access to this ClientId";
      return ErrorReply(req.dialect, e);
    }
    if (req.transport == Transport::kMtls && req.cert_client != req.client_id) {
      ApiError e;
      e.status = 403;
      e.type = "forbidden_ressource";
      e.message = "The client certificate does not grant access to this ClientId";
      return ErrorReply(req.dialect, e);
    }
    // Acting under proxy for a user who is not there (Mangopay's SCA proxy semantics) needs
    // the possession factor: the mTLS listener and a token bound to its certificate.
    if (std::optional<Reply> refused = CheckScaContext(req, entry->cert_fingerprint.empty()))
      return *refused;
    segs.erase(segs.begin(), segs.begin() + 2);

    if (const std::string* idem = hreq.Header("idempotency-key"); req.method == "POST" && idem) {
      const std::string& key = *idem;
      if (!ValidIdempotencyKey(key)) {
        return ErrorReply(
            req.dialect,
            ParamError("Idempotency-Key",
                       "The Idempotency-Key must be 16 to 36 characters of A-Z, a-z, 0-9 or '-'."));
      }
      req.idem_key = key;
    }
    RouteMatch m = MatchRoute(dialect->routes(), segs, req.method);
    if (m.route == nullptr) {
      if (!m.path_known) return ErrorReply(req.dialect, NotFoundError("Path", "Unknown route"));
      ApiError e;
      e.status = 405;
      e.type = "method_not_allowed";
      e.message = "The requested method is not allowed on this resource";
      return ErrorReply(req.dialect, e);
    }
    req.route = std::string("/") + dialect->prefix + "/{ClientId}/" + m.route->path;
    req.params = std::move(m.params);
    return m.route->Translate(app_, req);
  }

  // The certificate presented on the mTLS listener: registered and active (sets
  // req.cert_client), or the dialect's 401.
  std::optional<Reply> CheckCertificate(Request& req) {
    std::optional<CertRegistry::Entry> cert = app_.certs.Find(req.client_cert);
    if (!cert && !req.client_cert.empty()) {
      service::Outcome o = Run(app_, req, service::FindClientCertificate{req.client_cert});
      if (o.status.code() == ErrorCode::kUnavailable)
        return ErrorReply(req.dialect, ErrorFromStatus(o.status));
      if (o.ok()) {
        const ClientCertificate& c = std::get<service::CertificateList>(o.value).items.at(0);
        cert = CertRegistry::Entry{c.client_id, c.active()};
        app_.certs.Remember(req.client_cert, *cert);
      }
    }
    if (cert && cert->active) {
      req.cert_client = cert->client_id;
      return std::nullopt;
    }
    ApiError e;
    e.status = 401;
    if (req.dialect == Dialect::kOAuth) {
      e.type = "invalid_client";
    } else {
      e.type = "authentication_error";
      e.message = "The client certificate is not registered to any client, or was revoked";
    }
    return ErrorReply(req.dialect, e);
  }

  // ScaContext (query or body): USER_PRESENT or USER_NOT_PRESENT; the latter only on the mTLS
  // listener with a certificate-bound token (403 otherwise).
  std::optional<Reply> CheckScaContext(const Request& req, bool token_unbound) {
    // Every declaration counts (query and body, field names in any case, escaped or not): one
    // USER_NOT_PRESENT anywhere is a proxy action.
    std::vector<std::string> declared;
    if (auto it = req.query.find("scacontext"); it != req.query.end())
      declared.push_back(it->second);
    auto ieq = [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; };
    static constexpr std::string_view kName = "scacontext";
    bool named = std::search(req.body.begin(), req.body.end(), kName.begin(), kName.end(), ieq) !=
                 req.body.end();
    if (named || req.body.find("\\u") != std::string::npos) {
      rapidjson::Document d;
      if (ParseJsonObject(req.body, &d).ok()) {
        for (const auto& m : d.GetObject()) {
          if (!IEquals(std::string_view(m.name.GetString(), m.name.GetStringLength()),
                       "ScaContext"))
            continue;
          declared.push_back(m.value.IsString() ? m.value.GetString() : "");
        }
      }
    }
    bool proxy = false;
    for (const std::string& sca : declared) {
      if (sca != "USER_PRESENT" && sca != "USER_NOT_PRESENT")
        return ErrorReply(
            req.dialect,
            ParamError("ScaContext", "ScaContext must be USER_PRESENT or USER_NOT_PRESENT"));
      proxy = proxy || sca == "USER_NOT_PRESENT";
    }
    if (!proxy) return std::nullopt;
    if (req.transport == Transport::kMtls && !token_unbound) return std::nullopt;
    ApiError e;
    e.status = 403;
    e.type = "forbidden_ressource";
    e.message =
        "ScaContext USER_NOT_PRESENT (acting under proxy) requires the mTLS host and a "
        "certificate-bound token";
    return ErrorReply(req.dialect, e);
  }

  // POST /admin/clients: `splitledger client create` next to a running server. Peers on this host
  // only, with the secret this server published in the database at start (admin.h).
  Reply HandleAdmin(HttpRequest& hreq, Request& req) {
    // A peer on this host: loopback, or this listener's own address (a server bound to one
    // interface is reached through it by a CLI on the same machine).
    const Poco::Net::IPAddress peer = hreq.peer.host();
    if (!peer.isLoopback() && peer != hreq.local.host()) return PlainNotFound();
    if (req.method != "POST") return PlainNotFound();
    if (hreq.body.size() > 65536) return ErrorReply(Dialect::kV2, ParamError("Body", "too large"));
    req.body = std::move(hreq.body);
    if (app_.admin_secret.empty() ||
        !ConstantTimeEquals(ParseBearer(hreq.HeaderOr("authorization")), app_.admin_secret)) {
      ApiError e;
      e.status = 401;
      e.type = "authentication_error";
      e.message = "admin secret required";
      return ErrorReply(Dialect::kV2, e);
    }
    if (req.route == "/admin/escrow") return HandleAdminEscrow(app_, req);
    if (req.route == "/admin/certificates") return HandleAdminCertificates(app_, req);
    if (req.route == "/admin/users") return HandleAdminUsers(app_, req);
    if (req.route == "/admin/webhooks") return HandleAdminWebhooks(app_, req);
    return HandleAdminClients(app_, req);
  }

  App& app_;
  const Extensions& extensions_;
  CompletionPool& completions_;
};

// The path of a bundled adapter beside this binary: the build tree's lib/, or the package's
// lib/splitledger/adapters/ (docs/plugins.md). Empty when not found.
std::string BundledAdapter(const std::string& file) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  std::filesystem::path root = exe.parent_path().parent_path();
  for (const char* dir :
       {"lib", "lib/splitledger/adapters", "lib/x86_64-linux-gnu/splitledger/adapters",
        "lib/aarch64-linux-gnu/splitledger/adapters"}) {
    std::filesystem::path p = root / dir / file;
    if (std::filesystem::exists(p, ec)) return p.string();
  }
  return {};
}

bool LoadConfig(const std::string& path, Config* cfg, std::string* err) {
  std::ifstream f(path);
  if (!f) {
    *err = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  rapidjson::Document d;
  Status st = ParseJsonObject(text, &d);
  if (!st.ok()) {
    *err = st.message();
    return false;
  }
  Binder b;
  if (auto v = b.Str(d, "listen", false)) cfg->listen = *v;
  if (auto v = b.Str(d, "db", false)) cfg->db = *v;
  if (auto v = b.Str(d, "listen_tls", false)) cfg->listen_tls = *v;
  if (auto v = b.Str(d, "listen_mtls", false)) cfg->listen_mtls = *v;
  if (auto v = b.Str(d, "tls_cert", false)) cfg->tls_cert = *v;
  if (auto v = b.Str(d, "tls_key", false)) cfg->tls_key = *v;
  if (auto v = b.Str(d, "client_ca", false)) cfg->client_ca = *v;
  if (auto v = b.Str(d, "shard", false)) cfg->shard = *v;
  if (auto v = b.Str(d, "shard_map", false)) cfg->shard_map = *v;
  if (auto v = b.Amount(d, "max_body_bytes", false)) cfg->max_body_bytes = *v;
  if (auto v = b.Amount(d, "token_ttl_seconds", false)) cfg->token_ttl_seconds = *v;
  if (auto v = b.Str(d, "log_level", false)) cfg->log_level = *v;
  if (auto v = b.Amount(d, "max_threads", false)) cfg->max_threads = static_cast<int>(*v);
  if (auto v = b.Amount(d, "max_queued", false)) cfg->max_queued = static_cast<int>(*v);
  if (auto v = b.Amount(d, "keep_alive_timeout_seconds", false))
    cfg->keep_alive_timeout_seconds = static_cast<int>(*v);
  if (auto v = b.Amount(d, "max_connections", false)) cfg->max_connections = static_cast<int>(*v);
  if (auto v = b.Amount(d, "header_timeout_seconds", false))
    cfg->header_timeout_seconds = static_cast<int>(*v);
  if (auto v = b.Amount(d, "body_timeout_seconds", false))
    cfg->body_timeout_seconds = static_cast<int>(*v);
  if (auto v = b.Amount(d, "rate_limit_per_window", false)) cfg->rate_limit_per_window = *v;
  if (auto v = b.Amount(d, "hook_max_failures", false))
    cfg->hook_max_failures = std::max<int64_t>(1, *v);
  if (auto v = b.Amount(d, "hook_poll_ms", false))
    cfg->hook_poll_ms = static_cast<int>(std::clamp<int64_t>(*v, 10, 60000));
  if (const JValue* a = b.Arr(d, "hook_retry_delays_ms", false)) {
    for (const JValue& x : a->GetArray()) {
      if (!x.IsInt64() || x.GetInt64() < 0) {
        b.Add("hook_retry_delays_ms", "must be an array of non-negative integers (milliseconds)");
        break;
      }
      cfg->hook_retry_delays_ms.push_back(x.GetInt64());
    }
  }
  if (auto v = b.Amount(d, "authorization_window_seconds", false)) {
    cfg->authorization_window_seconds = std::max<int64_t>(1, *v);
  }
  if (auto v = b.Amount(d, "intent_cache", false)) cfg->intent_cache = std::max<int64_t>(0, *v);
  if (auto v = b.Str(d, "iauth_key_file", false)) cfg->iauth_key_file = *v;
  if (auto v = b.Str(d, "public_url", false)) cfg->public_url = *v;
  if (auto v = b.Amount(d, "webhook_retry_first_ms", false))
    cfg->webhooks.first_delay_ms = std::max<int64_t>(10, *v);
  if (auto v = b.Amount(d, "webhook_retry_max_ms", false))
    cfg->webhooks.max_delay_ms = std::max<int64_t>(10, *v);
  if (auto v = b.Amount(d, "webhook_retry_for_seconds", false))
    cfg->webhooks.give_up_after_s = std::max<int64_t>(1, *v);
  if (auto v = b.Amount(d, "webhook_poll_ms", false))
    cfg->webhooks.poll_ms = static_cast<int>(std::clamp<int64_t>(*v, 10, 60000));
  if (auto it = d.FindMember("plugins"); it != d.MemberEnd()) {
    if (!it->value.IsObject()) {
      *err = "plugins: must be an object";
      return false;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    it->value.Accept(w);
    cfg->plugins_json = buf.GetString();
  }
  if (!b.ok()) {
    *err = b.errors()[0].first + ": " + b.errors()[0].second;
    return false;
  }
  return true;
}

}  // namespace

int ServeMain(int argc, char** argv, Extensions extensions) {
  App app;
  std::string err;
  std::string config_path = Flag(argc, argv, "--config");
  if (!config_path.empty() && !LoadConfig(config_path, &app.cfg, &err)) {
    std::cerr << "serve: config: " << err << "\n";
    return 2;
  }
  if (auto v = Flag(argc, argv, "--listen"); !v.empty()) app.cfg.listen = v;
  if (auto v = Flag(argc, argv, "--db"); !v.empty()) app.cfg.db = v;
  if (auto v = Flag(argc, argv, "--log-level"); !v.empty()) app.cfg.log_level = v;
  if (auto v = Flag(argc, argv, "--listen-tls"); !v.empty()) app.cfg.listen_tls = v;
  if (auto v = Flag(argc, argv, "--listen-mtls"); !v.empty()) app.cfg.listen_mtls = v;
  if (auto v = Flag(argc, argv, "--tls-cert"); !v.empty()) app.cfg.tls_cert = v;
  if (auto v = Flag(argc, argv, "--tls-key"); !v.empty()) app.cfg.tls_key = v;
  if (auto v = Flag(argc, argv, "--client-ca"); !v.empty()) app.cfg.client_ca = v;
  if (auto v = Flag(argc, argv, "--shard"); !v.empty()) app.cfg.shard = v;
  if (auto v = Flag(argc, argv, "--shard-map"); !v.empty()) app.cfg.shard_map = v;
  if (auto v = Flag(argc, argv, "--iauth-key-file"); !v.empty()) app.cfg.iauth_key_file = v;
  if (auto v = Flag(argc, argv, "--public-url"); !v.empty()) app.cfg.public_url = v;
  while (!app.cfg.public_url.empty() && app.cfg.public_url.back() == '/')
    app.cfg.public_url.pop_back();
  if (auto v = Flag(argc, argv, "--authorization-window"); !v.empty()) {
    char* end = nullptr;
    long long secs = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || secs <= 0) {
      std::cerr << "serve: --authorization-window takes a positive number of seconds\n";
      return 2;
    }
    app.cfg.authorization_window_seconds = secs;
  }
  if (auto v = Flag(argc, argv, "--intent-cache"); !v.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || n < 0) {
      std::cerr << "serve: --intent-cache takes a number of intents (0: keep all in memory)\n";
      return 2;
    }
    app.cfg.intent_cache = n;
  }
  if (!app.cfg.shard.empty() || !app.cfg.shard_map.empty()) {
    std::string shard_error;
    if (app.cfg.shard.empty() || app.cfg.shard_map.empty()) {
      std::cerr << "serve: --shard NAME and --shard-map FILE go together\n";
      return 2;
    }
    app.shards = ShardMap::Load(app.cfg.shard_map, app.cfg.shard, &shard_error);
    if (!app.shards) {
      std::cerr << "serve: shard map: " << shard_error << "\n";
      return 2;
    }
  }
  // TLS contexts first: a bad certificate stops the start before anything is opened.
  std::shared_ptr<TlsContext> tls, mtls;
  if (!app.cfg.listen_tls.empty() || !app.cfg.listen_mtls.empty()) {
    if (app.cfg.tls_cert.empty() || app.cfg.tls_key.empty()) {
      std::cerr
          << "serve: --listen-tls and --listen-mtls need --tls-cert FILE and --tls-key FILE\n";
      return 2;
    }
    if (!app.cfg.listen_mtls.empty() && app.cfg.client_ca.empty()) {
      std::cerr << "serve: --listen-mtls needs --client-ca FILE (the CA that issues client "
                   "certificates)\n";
      return 2;
    }
    std::string tls_error;
    if (!app.cfg.listen_tls.empty() &&
        !(tls = TlsContext::Create({app.cfg.tls_cert, app.cfg.tls_key, ""}, &tls_error))) {
      std::cerr << "serve: TLS: " << tls_error << "\n";
      return 2;
    }
    if (!app.cfg.listen_mtls.empty() &&
        !(mtls = TlsContext::Create({app.cfg.tls_cert, app.cfg.tls_key, app.cfg.client_ca},
                                    &tls_error))) {
      std::cerr << "serve: mTLS: " << tls_error << "\n";
      return 2;
    }
  }
  LogLevel level;
  if (!ParseLogLevel(app.cfg.log_level, &level)) {
    std::cerr << "serve: unknown log level '" << app.cfg.log_level << "'\n";
    return 2;
  }
  app.log.SetLevel(level);
  if (app.cfg.max_threads < 8) app.cfg.max_threads = 8;
  if (app.cfg.token_ttl_seconds < 61) app.cfg.token_ttl_seconds = 61;

  // A peer that resets a TLS connection makes OpenSSL's write() raise SIGPIPE (plain sockets
  // send with MSG_NOSIGNAL): the error is handled where the write fails, not by dying.
  std::signal(SIGPIPE, SIG_IGN);
  // Block the signals before any thread starts, so only sigwait() below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  service::ServiceOptions so;
  so.db_url = app.cfg.db;
  so.max_cached_intents = static_cast<size_t>(app.cfg.intent_cache);
  auto svc = service::Service::Open(so);
  if (!svc.ok()) {
    app.log.Write(LogLevel::kError, "cannot open database",
                  "\"error\":" + JsonQuote(svc.status().ToString()), true);
    return 2;
  }
  app.service = std::move(*svc);
  {
    const service::StartReport r = app.service->start_report();
    app.log.Always("log opened",
                   "\"records\":" + std::to_string(r.log_records) +
                       ",\"replayed_into_tables\":" + std::to_string(r.replayed) +
                       ",\"torn_bytes_cut\":" + std::to_string(r.torn_bytes_cut) +
                       ",\"snapshot_records_written\":" + std::to_string(r.snapshot_records));
  }

  // PSP adapters: a refused plugin is logged and left out; the service starts regardless. With
  // no "plugins" section, the bundled sandbox is the test environment's connection.
  {
    plugins::PluginHostConfig pc;
    if (app.cfg.plugins_json.empty()) {
      if (std::string sandbox = BundledAdapter("psp_sandbox.so"); !sandbox.empty()) {
        pc.adapters.push_back({"sandbox", sandbox, "test", "{}", 0});
      } else {
        app.log.Write(LogLevel::kWarn, "bundled sandbox adapter not found", {}, true);
      }
    } else if (Status st = plugins::ParsePluginHostConfig(app.cfg.plugins_json, &pc); !st.ok()) {
      app.log.Write(LogLevel::kError, "plugins: bad configuration",
                    "\"error\":" + JsonQuote(st.ToString()), true);
      app.service->Stop();
      return 2;
    }
    app.adapters = plugins::AdapterRegistry::Load(
        pc, [&app](int level, const std::string& adapter, const std::string& line) {
          app.log.Write(level >= PSP_LOG_ERROR  ? LogLevel::kError
                        : level >= PSP_LOG_WARN ? LogLevel::kWarn
                                                : LogLevel::kInfo,
                        "adapter log",
                        "\"adapter\":" + JsonQuote(adapter) + ",\"line\":" + JsonQuote(line));
        });
    for (const auto& e : app.adapters->entries()) {
      std::string fields =
          "\"name\":" + JsonQuote(e.spec.name) + ",\"library\":" + JsonQuote(e.spec.library);
      if (e.adapter) {
        app.log.Always("adapter loaded", fields + ",\"adapter\":" +
                                             JsonQuote(e.adapter->library().name() + " " +
                                                       e.adapter->library().version()));
      } else {
        app.log.Write(LogLevel::kError, "adapter refused",
                      fields + ",\"error\":" + JsonQuote(e.error), true);
      }
    }
    std::vector<service::Connection> connections;
    for (const auto& e : app.adapters->entries()) {
      connections.push_back({e.spec.name, e.spec.environment, e.adapter.get(),
                             e.spec.authorization_window_s > 0
                                 ? e.spec.authorization_window_s
                                 : app.cfg.authorization_window_seconds});
    }
    app.orchestrator = std::make_unique<service::Orchestrator>(
        *app.service, app.adapters->transport(), std::move(connections));
  }
  {
    std::string path =
        app.cfg.iauth_key_file.empty() ? DefaultIauthKeyPath(app.cfg.db) : app.cfg.iauth_key_file;
    auto key = LoadOrCreateIauthKey(path);
    if (!key.ok()) {
      app.log.Write(LogLevel::kError, "iauth key",
                    "\"error\":" + JsonQuote(key.status().ToString()), true);
      app.service->Stop();
      return 2;
    }
    app.iauth_key = std::move(*key);
  }

  // Connections cost file descriptors, not threads: allow as many as the hard limit permits.
  size_t max_connections = static_cast<size_t>(app.cfg.max_connections);
  if (struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
      getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 128) {
      max_connections = std::min<size_t>(max_connections, rl.rlim_cur - 128);  // room for the rest
    }
  }
  FrontDoorOptions fo;
  fo.workers = static_cast<size_t>(app.cfg.max_threads);
  fo.max_queued = static_cast<size_t>(app.cfg.max_queued);
  fo.max_connections = max_connections;
  fo.max_body_bytes = app.cfg.max_body_bytes;
  fo.header_timeout_ms = app.cfg.header_timeout_seconds * 1000;
  fo.body_timeout_ms = app.cfg.body_timeout_seconds * 1000;
  fo.keep_alive_timeout_ms = app.cfg.keep_alive_timeout_seconds * 1000;
  for (auto& ext : extensions) ext->Start(ServeContext{app.cfg.db, app.service.get()});
  // Replies that waited for the writer are rendered and sent here: as many threads as cores, as
  // they never block. It stops after the service (whose last outcomes it still sends) and before
  // the front door is gone.
  CompletionPool completions(std::max(2u, std::thread::hardware_concurrency()));
  ApiHandler handler(app, extensions, completions);
  FrontDoor server(
      fo, [&handler](HttpRequest& r, Responder respond) { handler.Handle(r, std::move(respond)); },
      [&app](int status, const std::string& type, const std::string& message,
             std::string_view target) {
        ApiError e;
        e.status = status;
        e.type = type;
        e.message = message;
        Reply r = ErrorReply(DialectOfPath(target), e);
        app.metrics.Record("-", "front_door", status, 0);
        return r;
      });
  std::string address, listening_fields;
  try {
    Poco::Net::SocketAddress sa(app.cfg.listen);
    Poco::Net::ServerSocket socket(sa, 1024);
    std::vector<FrontDoor::Listener> listeners{{socket, nullptr}};
    auto add_tls = [&](const std::string& where, std::shared_ptr<TlsContext> ctx, const char* key) {
      if (where.empty()) return;
      Poco::Net::ServerSocket s(Poco::Net::SocketAddress(where), 1024);
      listening_fields += std::string(",\"") + key + "\":" + JsonQuote(s.address().toString());
      listeners.push_back({s, std::move(ctx)});
    };
    add_tls(app.cfg.listen_tls, tls, "tls_address");
    add_tls(app.cfg.listen_mtls, mtls, "mtls_address");
    if (app.shards) listening_fields += ",\"shard\":" + JsonQuote(app.shards->self());
    // Publish the admin endpoint for `client create` (admin.h) before serving: the sequencer is
    // still idle, so the store is free. A failure only disables it.
    if (Status st = PublishAdminEndpoint(app, socket.address().toString()); !st.ok()) {
      app.log.Write(LogLevel::kWarn, "admin endpoint not published",
                    "\"error\":" + JsonQuote(st.ToString()), true);
    }
    address = socket.address().toString();
    app.connection_counts = [&server] {
      return std::make_pair(server.connections(), server.refused_connections());
    };
    app.failed_handshakes = [&server] { return server.failed_handshakes(); };
    server.Start(std::move(listeners));
  } catch (const Poco::Exception& e) {
    WithdrawAdminEndpoint(app);
    app.log.Write(LogLevel::kError, "cannot listen", "\"error\":" + JsonQuote(e.displayText()),
                  true);
    app.service->Stop();
    return 2;
  }
  // Tests parse this line: keep the "msg":"listening" and "address" keys.
  app.log.Always("listening", "\"address\":" + JsonQuote(address) + listening_fields + ",\"db\":" +
                                  JsonQuote(app.service->sqlite() ? "sqlite" : "postgresql"));

  HookDeliveryOptions hook_options;
  if (!app.cfg.hook_retry_delays_ms.empty())
    hook_options.retry_delays_ms = app.cfg.hook_retry_delays_ms;
  hook_options.max_failures = app.cfg.hook_max_failures;
  hook_options.poll_ms = app.cfg.hook_poll_ms;
  HookDeliverer hooks(*app.service, hook_options, app.log);
  hooks.Start();
  app.orchestrator->Start();
  WebhookDeliverer webhooks(*app.service, app.cfg.webhooks, app.log);
  webhooks.Start();

  std::atomic<bool> done{false};
  std::thread flusher([&] {
    int ticks = 0;
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (++ticks % 5 == 0) app.log.Flush();
      if (ticks % 300 == 0) app.tokens.Sweep(NowMs() / 1000);
      // Splits whose TransferDate has come: executed within about two seconds of it.
      if (ticks % 10 == 0) {
        (void)app.service->Execute({{"", NowMs()}, service::ExecuteDueSplits{}, std::nullopt});
      }
    }
  });

  int sig = 0;
  sigwait(&set, &sig);
  app.log.Always("shutting down", "\"signal\":" + std::to_string(sig));
  // Stop accepting, finish in-flight requests (bounded wait), then flush the sequencer.
  server.Stop(6000);
  app.connection_counts = nullptr;
  app.failed_handshakes = nullptr;
  WithdrawAdminEndpoint(app);
  hooks.Stop();              // what it has not recorded is sent again after the restart
  app.orchestrator->Stop();  // open operations are synced again after the restart
  webhooks.Stop();           // messages not recorded as delivered are sent again
  for (auto& ext : extensions) ext->Stop();
  app.service->Stop();
  completions.Stop();
  done = true;
  flusher.join();
  app.log.Always("stopped", {});
  return 0;
}

}  // namespace splitledger::api
