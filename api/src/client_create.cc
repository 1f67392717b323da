// `splitledger client create --id ID [--api-key KEY] [--db URL]`: creates (or re-keys) a platform
// client. The row is committed before the credentials are printed, and it works while a server
// runs on the same database: the server picks the client up on its first token request.
#include <cstring>
#include <iostream>

#include "app.h"
#include "splitledger/api/commands.h"
#include "splitledger/core/ids.h"

namespace splitledger::api {

namespace {
std::string Flag(int argc, char** argv, const char* name) {
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return {};
}

bool ValidClientId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}
}  // namespace

int ClientCreateMain(int argc, char** argv) {
  std::string id = Flag(argc, argv, "--id");
  std::string key = Flag(argc, argv, "--api-key");
  std::string db = Flag(argc, argv, "--db");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  if (!ValidClientId(id)) {
    std::cerr << "client create: --id is required (1-64 characters of A-Z a-z 0-9 - _ .)\n";
    return 2;
  }
  if (key.empty()) key = RandomHex(24);
  if (key.size() < 8 || key.size() > 256) {
    std::cerr << "client create: --api-key must have 8 to 256 characters\n";
    return 2;
  }
  // As a reader: a running server holds the writer lease, and this only touches the client's
  // credentials row, which the server reads on its next token request.
  ledger::StoreOptions options;
  options.url = db;
  options.writer = false;
  auto store = ledger::Store::Open(options);
  if (!store.ok()) {
    std::cerr << "client create: " << store.status().ToString() << "\n";
    return 2;
  }
  ledger::ClientRecord rec;
  rec.id = id;
  rec.name = id;
  rec.created_at = NowMs() / 1000;
  rec.profile = DefaultClientProfile(id);
  rec.api_key_salt = RandomHex(16);
  rec.api_key_hash = HashApiKey(rec.api_key_salt, key);
  if (Status st = (*store)->UpsertClientCredentials(rec); !st.ok()) {
    std::cerr << "client create: " << st.ToString() << "\n";
    return 1;
  }
  std::cout << "{\"ClientId\":" << JsonQuote(id) << ",\"ApiKey\":" << JsonQuote(key) << "}" << std::endl;
  return 0;
}

}  // namespace splitledger::api
