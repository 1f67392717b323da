// TLS for the front door's listeners, on OpenSSL directly (the reactor drives non-blocking
// sockets itself, so Poco's blocking SecureSocket does not fit).
//
// Contracts:
//  * A TlsContext is immutable once built and shared by every connection of its listener.
//  * Protocol floor TLS 1.2; TLS 1.2 suites are ECDHE with AES-GCM or ChaCha20-Poly1305 only;
//    TLS 1.3 suites are OpenSSL's defaults; renegotiation off; no compression.
//  * With a client CA (the mTLS listener) a client certificate is required and must chain to
//    that CA alone (no system CAs are trusted for clients); the handshake fails otherwise, and
//    for an expired or not-yet-valid certificate. Which client the certificate belongs to is
//    decided later, by its fingerprint (auth.h, CertRegistry).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace splitledger::api {

struct TlsSettings {
  std::string cert_file;       // PEM: the server certificate, then its chain
  std::string key_file;        // PEM: its private key
  std::string client_ca_file;  // PEM: CA(s) whose certificates clients must present; "" = none
};

class TlsContext {
 public:
  // nullptr with `*error` set when a file is missing or unreadable, or the key does not match.
  static std::shared_ptr<TlsContext> Create(const TlsSettings& settings, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side session on the accepted socket `fd` (non-blocking), or nullptr.
  SSL* NewSession(int fd) const;
  bool requires_client_cert() const { return mutual_; }

 private:
  TlsContext(SSL_CTX* ctx, bool mutual) : ctx_(ctx), mutual_(mutual) {}
  SSL_CTX* ctx_;
  bool mutual_;
};

// Lower-case hex SHA-256 of the DER encoding of the peer's certificate; "" when none.
std::string PeerCertificateFingerprint(SSL* ssl);

// What `client cert add` pins: the fingerprint (as above), the subject (one line) and the end of
// validity (unix seconds) of the first certificate in `pem`. False with `*error` when `pem`
// holds no readable certificate.
struct CertificateFacts {
  std::string fingerprint;
  std::string subject;
  int64_t not_after = 0;
};
bool ReadCertificatePem(const std::string& pem, CertificateFacts* facts, std::string* error);

}  // namespace splitledger::api
