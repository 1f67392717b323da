#include "splitledger/plugins/http_transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/Net/IPAddress.h>
#include <openssl/x509v3.h>
#include <Poco/URI.h>

#include <algorithm>
#include <fstream>
#include <istream>
#include <mutex>

namespace splitledger::plugins {

struct HttpTransport::Contexts {
  std::map<std::string, Poco::Net::Context::Ptr> by_profile;
};

namespace {

// Poco connects lazily inside sendRequest(); these expose the connect (and, for HTTPS, the
// handshake) as its own step so that "never sent" and "sent, no answer" cannot be confused.
class EagerHttpSession : public Poco::Net::HTTPClientSession {
 public:
  using HTTPClientSession::HTTPClientSession;
  void Connect() { reconnect(); }
};
class EagerHttpsSession : public Poco::Net::HTTPSClientSession {
 public:
  EagerHttpsSession(const std::string& host, Poco::UInt16 port, Poco::Net::Context::Ptr ctx,
                    bool verify_host)
      : HTTPSClientSession(host, port, ctx), verify_host_(verify_host) {}
  void Connect() {
    reconnect();
    if (verify_host_) VerifyHost();
  }

 private:
  // Poco 1.11 does not reject a certificate issued for another host when the peer is named by IP
  // address; check the name ourselves, after the handshake and before the first byte is written.
  void VerifyHost() {
    Poco::Net::SecureStreamSocket secure(socket());
    Poco::Net::X509Certificate cert = secure.peerCertificate();
    X509* x509 = const_cast<X509*>(cert.certificate());
    const std::string& host = getHost();
    Poco::Net::IPAddress ip;
    bool match = Poco::Net::IPAddress::tryParse(host, ip)
                     ? X509_check_ip_asc(x509, host.c_str(), 0) == 1
                     : X509_check_host(x509, host.data(), host.size(), 0, nullptr) == 1;
    if (!match) {
      socket().close();
      throw Poco::Net::CertificateValidationException("the server certificate is not valid for " + host);
    }
  }
  bool verify_host_;
};

void InitSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    // Without this Poco would consult an application configuration for an invalid-certificate
    // handler; the host wants an invalid server certificate to fail the connection, always.
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), nullptr);
  });
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

HttpResponse NotSent(std::string why) {
  HttpResponse r;
  r.transport = PSP_TRANSPORT_NOT_SENT;
  r.transport_error = std::move(why);
  return r;
}
HttpResponse NoAnswer(std::string why) {
  HttpResponse r;
  r.transport = PSP_TRANSPORT_NO_ANSWER;
  r.transport_error = std::move(why);
  return r;
}

template <typename Session>
HttpResponse Exchange(Session& session, const HttpRequest& request, const std::string& path,
                      size_t max_bytes) {
  try {
    session.Connect();
  } catch (const Poco::Exception& e) {
    return NotSent("connect: " + e.displayText());
  } catch (const std::exception& e) {
    return NotSent(std::string("connect: ") + e.what());
  }
  // From here on bytes may reach the server: every failure means the outcome is unknown.
  try {
    Poco::Net::HTTPRequest req(request.method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : request.headers) req.add(k, v);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    req.setKeepAlive(false);
    std::ostream& os = session.sendRequest(req);
    os.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    os.flush();
    if (!os) return NoAnswer("write failed");

    Poco::Net::HTTPResponse resp;
    std::istream& is = session.receiveResponse(resp);
    HttpResponse out;
    out.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) out.headers.emplace_back(k, v);
    char buf[16384];
    while (is) {
      is.read(buf, sizeof buf);
      out.body.append(buf, static_cast<size_t>(is.gcount()));
      if (out.body.size() > max_bytes) return NoAnswer("response larger than the limit");
    }
    if (is.bad()) return NoAnswer("connection lost while reading the response");
    if (resp.hasContentLength() && resp.getContentLength64() >= 0 &&
        static_cast<uint64_t>(resp.getContentLength64()) != out.body.size()) {
      return NoAnswer("truncated response");
    }
    return out;
  } catch (const Poco::Exception& e) {
    return NoAnswer(e.displayText());
  } catch (const std::exception& e) {
    return NoAnswer(e.what());
  }
}

}  // namespace

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(HttpTransportOptions options) {
  InitSslOnce();
  if (!options.tls_profiles.count("")) options.tls_profiles[""] = TlsProfile{};
  auto contexts = std::make_unique<Contexts>();
  for (const auto& [name, profile] : options.tls_profiles) {
    for (const std::string* f : {&profile.ca_file, &profile.cert_file, &profile.key_file}) {
      if (!f->empty() && !Readable(*f)) {
        return Status::Invalid("TLS profile '" + name + "': cannot read '" + *f + "'");
      }
    }
    if (profile.cert_file.empty() != profile.key_file.empty()) {
      return Status::Invalid("TLS profile '" + name + "': cert_file and key_file go together");
    }
    try {
      Poco::Net::Context::Params params;
      params.privateKeyFile = profile.key_file;
      params.certificateFile = profile.cert_file;
      params.caLocation = profile.ca_file;
      params.loadDefaultCAs = profile.ca_file.empty();
      params.verificationMode = profile.verify_server ? Poco::Net::Context::VERIFY_RELAXED
                                                      : Poco::Net::Context::VERIFY_NONE;
      params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
      Poco::Net::Context::Ptr ctx =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      contexts->by_profile[name] = ctx;
    } catch (const Poco::Exception& e) {
      return Status::Invalid("TLS profile '" + name + "': " + e.displayText());
    }
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(options), std::move(contexts)));
}

HttpTransport::HttpTransport(HttpTransportOptions options, std::unique_ptr<Contexts> contexts)
    : options_(std::move(options)), contexts_(std::move(contexts)) {}

HttpTransport::~HttpTransport() = default;

HttpResponse HttpTransport::Perform(const HttpRequest& request) {
  Poco::URI uri;
  try {
    uri = Poco::URI(request.url);
  } catch (const Poco::Exception& e) {
    return NotSent("invalid URL: " + e.displayText());
  }
  const std::string scheme = uri.getScheme();
  if ((scheme != "http" && scheme != "https") || uri.getHost().empty()) {
    return NotSent("unsupported URL '" + request.url + "' (http:// or https:// only)");
  }
  static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
  if (std::find(std::begin(kMethods), std::end(kMethods), request.method) == std::end(kMethods)) {
    return NotSent("unsupported HTTP method '" + request.method + "'");
  }
  auto profile = contexts_->by_profile.find(request.tls_profile);
  if (scheme == "https" && profile == contexts_->by_profile.end()) {
    return NotSent("unknown TLS profile '" + request.tls_profile + "'");
  }
  uint32_t ms = request.timeout_ms ? request.timeout_ms : options_.default_timeout_ms;
  ms = std::min(ms, options_.max_timeout_ms);
  const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000);
  std::string path = uri.getPathEtc();
  if (path.empty()) path = "/";

  if (scheme == "http") {
    EagerHttpSession session(uri.getHost(), uri.getPort());
    session.setTimeout(timeout, timeout, timeout);
    return Exchange(session, request, path, options_.max_response_bytes);
  }
  bool verify = options_.tls_profiles.at(request.tls_profile).verify_server;
  EagerHttpsSession session(uri.getHost(), uri.getPort(), profile->second, verify);
  session.setTimeout(timeout, timeout, timeout);
  return Exchange(session, request, path, options_.max_response_bytes);
}

}  // namespace splitledger::plugins
