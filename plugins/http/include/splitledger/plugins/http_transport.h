// The host HTTP executor: performs the requests PSP adapters describe, with Poco.
//
// It is the only place where adapter traffic touches the network, so TLS keys and client
// certificates stay in the host (adapters name a TLS profile), every request gets a deadline, and
// transport failures are classified the way the ABI needs them:
//   - nothing can have reached the server (DNS, connect, TLS handshake failed) → NOT_SENT;
//   - anything after the connection was up (write error, timeout, reset, truncated or oversized
//     answer) → NO_ANSWER, i.e. the outcome is unknown and must be synced.
// To make that line sharp the connection (and the TLS handshake) is completed before the first
// byte of the request is written. The executor never retries: a retry is the caller's decision.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "splitledger/core/status.h"
#include "splitledger/plugins/loader.h"

namespace splitledger::plugins {

// A named TLS configuration an adapter can ask for ("" is the default profile).
struct TlsProfile {
  std::string ca_file;      // PEM bundle to verify the server; "" = the system's CAs
  std::string cert_file;    // client certificate (PEM) for mTLS; "" = none
  std::string key_file;     // its private key (PEM)
  bool verify_server = true;  // false only for tests against self-signed servers without a CA
};

struct HttpTransportOptions {
  uint32_t default_timeout_ms = 30000;  // when the adapter does not set one
  uint32_t max_timeout_ms = 120000;     // adapters cannot ask for more
  size_t max_response_bytes = 4 << 20;  // larger answers are treated as no answer
  std::map<std::string, TlsProfile> tls_profiles;  // "" may be overridden too
};

class HttpTransport : public Transport {
 public:
  // Fails when a TLS profile cannot be loaded (missing file, bad key).
  static Result<std::unique_ptr<HttpTransport>> Create(HttpTransportOptions options);
  ~HttpTransport() override;

  HttpResponse Perform(const HttpRequest& request) override;

 private:
  struct Contexts;
  HttpTransport(HttpTransportOptions options, std::unique_ptr<Contexts> contexts);
  HttpTransportOptions options_;
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace splitledger::plugins
