// `splitledger client create --id ID [--api-key KEY] [--db URL]`: creates (or re-keys) a platform
// client through the sequencer: the running server's, over its local admin endpoint, when a
// server holds the database's lease; otherwise a sequencer of its own on the database. The key
// is hashed here; only the salted hash travels and is stored. Prints the credentials once the
// write is durable.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "admin.h"
#include "tls.h"
#include "splitledger/api/commands.h"
#include "splitledger/core/ids.h"

namespace splitledger::api {


int ClientCreateMain(int argc, char** argv) {
  std::string id = Flag(argc, argv, "--id");
  std::string key = Flag(argc, argv, "--api-key");
  std::string db = Flag(argc, argv, "--db");
  std::string environment = Flag(argc, argv, "--environment");
  if (environment.empty()) environment = "test";
  if (environment != "test" && environment != "live") {
    std::cerr << "client create: --environment is test or live\n";
    return 2;
  }
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  // The key names its environment, as orchestration keys do ("sk_test_…"): 192 random bits.
  if (key.empty()) key = "sk_" + environment + "_" + RandomHex(24);
  if (key.size() < 8 || key.size() > 256) {
    std::cerr << "client create: --api-key must have 8 to 256 characters\n";
    return 2;
  }
  service::PutClientCredentials cmd;
  cmd.client_id = id;
  cmd.api_key_salt = RandomHex(16);
  cmd.api_key_hash = HashApiKey(cmd.api_key_salt, key);
  // The same key authenticates the orchestration dialect (Authorization: Bearer KEY), found by
  // its SHA-256 (docs/api-orchestration.md).
  cmd.bearer_key_hash = Sha256Hex(key);
  cmd.environment = environment;
  // Shown in lists to tell keys apart; never a part of the secret (a chosen key may be short).
  cmd.key_prefix = key.rfind("sk_" + environment + "_", 0) == 0 ? "sk_" + environment + "_" : "";
  std::vector<service::FieldError> errors;
  if (Status st = service::Preflight(cmd, {id, NowMs()}, &errors); !st.ok()) {
    std::cerr << "client create: --id is required (1-64 characters of A-Z a-z 0-9 - _ .)\n";
    return 2;
  }
  std::string body = "{\"ClientId\":" + JsonQuote(cmd.client_id) +
                     ",\"ApiKeySalt\":" + JsonQuote(cmd.api_key_salt) +
                     ",\"ApiKeyHash\":" + JsonQuote(cmd.api_key_hash) +
                     ",\"BearerKeyHash\":" + JsonQuote(cmd.bearer_key_hash) +
                     ",\"Environment\":" + JsonQuote(cmd.environment) +
                     ",\"KeyPrefix\":" + JsonQuote(cmd.key_prefix) + "}";
  std::string ignored;
  Status result = CliWrite(db, id, cmd, "/admin/clients", body,
                           [](const service::Outcome&) { return std::string(); }, &ignored);
  if (!result.ok()) {
    std::cerr << "client create: " << result.ToString() << "\n";
    return 1;
  }
  std::cout << "{\"ClientId\":" << JsonQuote(id) << ",\"ApiKey\":" << JsonQuote(key)
            << ",\"Environment\":" << JsonQuote(environment) << "}"
            << std::endl;
  return 0;
}

int EscrowReceiveMain(int argc, char** argv) {
  std::string db = Flag(argc, argv, "--db");
  std::string client = Flag(argc, argv, "--client");
  service::ReceiveEscrowFunds cmd;
  cmd.currency = Flag(argc, argv, "--currency");
  cmd.reference = Flag(argc, argv, "--reference");
  std::string amount = Flag(argc, argv, "--amount");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  char* end = nullptr;
  errno = 0;
  long long n = amount.empty() ? 0 : std::strtoll(amount.c_str(), &end, 10);
  if (client.empty() || amount.empty() || errno != 0 || *end != '\0' || n <= 0) {
    std::cerr << "escrow receive: --client ID --currency CUR --amount N (minor units, > 0) "
                 "--reference REF are required\n";
    return 2;
  }
  cmd.amount = n;
  std::vector<service::FieldError> errors;
  if (Status st = service::Preflight(cmd, {client, NowMs()}, &errors); !st.ok()) {
    std::cerr << "escrow receive: " << st.message() << "\n";
    return 2;
  }
  std::string body = "{\"ClientId\":" + JsonQuote(client) + ",\"Currency\":" + JsonQuote(cmd.currency) +
                     ",\"Amount\":" + std::to_string(cmd.amount) +
                     ",\"Reference\":" + JsonQuote(cmd.reference) + "}";
  std::string response;
  Status st = CliWrite(db, client, cmd, "/admin/escrow", body,
                       [&](const service::Outcome& o) {
                         return RenderEscrowReceipt(client, std::get<service::EscrowReceipt>(o.value));
                       },
                       &response);
  if (!st.ok()) {
    std::cerr << "escrow receive: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << response << std::endl;
  return 0;
}

int ClientCertMain(int argc, char** argv) {
  std::string action = argc > 0 ? argv[0] : "";
  std::string db = Flag(argc, argv, "--db");
  std::string id = Flag(argc, argv, "--id");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  const char* usage =
      "usage: client cert add --id ID --cert FILE.pem [--db URL]\n"
      "       client cert list --id ID [--db URL]\n"
      "       client cert revoke --id ID (--cert FILE.pem | --fingerprint HEX) [--db URL]\n";
  if (id.empty() || (action != "add" && action != "list" && action != "revoke")) {
    std::cerr << usage;
    return 2;
  }
  ClientCertificate cert;
  std::string cert_file = Flag(argc, argv, "--cert");
  // As printed by `openssl x509 -fingerprint -sha256` (AB:CD:…) or plain hex.
  for (char ch : Flag(argc, argv, "--fingerprint")) {
    if (ch != ':') cert.fingerprint += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (!cert_file.empty()) {
    std::ifstream f(cert_file);
    std::stringstream pem;
    pem << f.rdbuf();
    CertificateFacts facts;
    std::string error;
    if (!f || !ReadCertificatePem(pem.str(), &facts, &error)) {
      std::cerr << "client cert: " << cert_file << ": " << (f ? error : "cannot read") << "\n";
      return 2;
    }
    cert.fingerprint = facts.fingerprint;
    cert.subject = facts.subject;
    cert.not_after = facts.not_after;
  }
  if ((action == "add" && cert_file.empty()) || (action == "revoke" && cert.fingerprint.empty())) {
    std::cerr << usage;
    return 2;
  }
  service::Command cmd;
  CertificateCommand(action, cert, &cmd);
  std::string body = "{\"ClientId\":" + JsonQuote(id) + ",\"Action\":" + JsonQuote(action) +
                     ",\"Fingerprint\":" + JsonQuote(cert.fingerprint) +
                     ",\"Subject\":" + JsonQuote(cert.subject) +
                     ",\"NotAfter\":" + std::to_string(cert.not_after) + "}";
  std::string response;
  Status st = CliWrite(db, id, std::move(cmd), "/admin/certificates", body,
                       [&](const service::Outcome& o) {
                         return RenderCertificates(id, std::get<service::CertificateList>(o.value));
                       },
                       &response);
  if (!st.ok()) {
    std::cerr << "client cert " << action << ": " << st.ToString() << "\n";
    return 1;
  }
  std::cout << response << std::endl;
  return 0;
}

}  // namespace splitledger::api
