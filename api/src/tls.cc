#include "tls.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>

#include "auth.h"

namespace splitledger::api {

namespace {

std::string LastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string FingerprintOf(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  return ToHex(md, len);
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::Create(const TlsSettings& s, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = LastSslError();
    return nullptr;
  }
  auto fail = [&](const std::string& what) {
    *error = what + ": " + LastSslError();
    SSL_CTX_free(ctx);
    return nullptr;
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) return fail("cipher list");
  // Partial, moving writes: the reactor resends what remains from a buffer that moved.
  // Idle connections give their buffers back (about 34 KB each otherwise).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
    return fail("certificate " + s.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("private key " + s.key_file);
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("the key does not match the certificate");
  bool mutual = !s.client_ca_file.empty();
  if (mutual) {
    if (SSL_CTX_load_verify_locations(ctx, s.client_ca_file.c_str(), nullptr) != 1)
      return fail("client CA " + s.client_ca_file);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca_file.c_str());
    if (names == nullptr) return fail("client CA names " + s.client_ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(ctx, 9);
    // Resumed sessions must come from this listener's verified sessions only.
    static const unsigned char kSessionContext[] = "splitledger-mtls";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, mutual));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

std::string PeerCertificateFingerprint(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  std::string fp = FingerprintOf(cert);
  X509_free(cert);
  return fp;
}

bool ReadCertificatePem(const std::string& pem, CertificateFacts* facts, std::string* error) {
  ERR_clear_error();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (cert == nullptr) {
    *error = "no PEM certificate found (" + LastSslError() + ")";
    return false;
  }
  facts->fingerprint = FingerprintOf(cert);
  char subject[1024];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  facts->subject = subject;
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) facts->not_after = timegm(&tm);
  X509_free(cert);
  return !facts->fingerprint.empty();
}

}  // namespace splitledger::api
