// `splitledger client create --id ID [--api-key KEY] [--db URL]`: creates (or re-keys) a platform
// client through the sequencer: the running server's, over its local admin endpoint, when a
// server holds the database's lease; otherwise a sequencer of its own on the database. The key
// is hashed here; only the salted hash travels and is stored. Prints the credentials once the
// write is durable.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <sstream>
#include <thread>

#include "admin.h"
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

// Sends the command to the server holding the lease.
Status SendToServer(const std::string& db, const service::PutClientCredentials& cmd) {
  auto ep = service::ReadAdminEndpoint(db);
  if (!ep.ok()) return ep.status();
  try {
    Poco::Net::SocketAddress addr(ep->first);
    Poco::Net::HTTPClientSession session(addr);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest hreq(Poco::Net::HTTPRequest::HTTP_POST, "/admin/clients",
                                Poco::Net::HTTPMessage::HTTP_1_1);
    std::string body = "{\"ClientId\":" + JsonQuote(cmd.client_id) +
                       ",\"ApiKeySalt\":" + JsonQuote(cmd.api_key_salt) +
                       ",\"ApiKeyHash\":" + JsonQuote(cmd.api_key_hash) + "}";
    hreq.setContentType("application/json");
    hreq.setContentLength(static_cast<std::streamsize>(body.size()));
    hreq.set("Authorization", "Bearer " + ep->second);
    session.sendRequest(hreq) << body;
    Poco::Net::HTTPResponse hres;
    std::istream& in = session.receiveResponse(hres);
    std::stringstream ss;
    ss << in.rdbuf();
    int code = static_cast<int>(hres.getStatus());
    if (code != 200) {
      // 401/404: not (yet) the server that published this endpoint, worth retrying; anything
      // else is the server's answer to this command.
      std::string what =
          "the server at " + ep->first + " answered " + std::to_string(code) + ": " + ss.str();
      return code == 401 || code == 404 ? Status::Unavailable(what) : Status::Invalid(what);
    }
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("cannot reach the server holding the database (" + ep->first +
                               "): " + e.displayText());
  }
  return Status::Ok();
}

// A server that holds the lease may still be loading its state and not yet have published its
// endpoint (the table then names the previous run's): retry for a while before giving up.
Status ViaServer(const std::string& db, const service::PutClientCredentials& cmd) {
  Status last;
  for (int attempt = 0; attempt < 40; ++attempt) {
    last = SendToServer(db, cmd);
    if (last.ok() || last.code() != ErrorCode::kUnavailable) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}
}  // namespace

int ClientCreateMain(int argc, char** argv) {
  std::string id = Flag(argc, argv, "--id");
  std::string key = Flag(argc, argv, "--api-key");
  std::string db = Flag(argc, argv, "--db");
  if (db.empty()) db = "sqlite:./data/splitledger.db";
  if (key.empty()) key = RandomHex(24);
  if (key.size() < 8 || key.size() > 256) {
    std::cerr << "client create: --api-key must have 8 to 256 characters\n";
    return 2;
  }
  service::PutClientCredentials cmd;
  cmd.client_id = id;
  cmd.api_key_salt = RandomHex(16);
  cmd.api_key_hash = HashApiKey(cmd.api_key_salt, key);
  std::vector<service::FieldError> errors;
  if (Status st = service::Preflight(cmd, {id, NowMs()}, &errors); !st.ok()) {
    std::cerr << "client create: --id is required (1-64 characters of A-Z a-z 0-9 - _ .)\n";
    return 2;
  }
  service::ServiceOptions options;
  options.db_url = db;
  options.lease_wait_ms = 0;
  auto svc = service::Service::Open(options);
  Status result;
  if (svc.ok()) {
    service::Envelope env{{id, NowMs()}, cmd, std::nullopt};
    result = (*svc)->Execute(std::move(env)).status;
  } else if (svc.status().code() == ErrorCode::kUnavailable &&
             svc.status().message().find("in use") != std::string::npos) {
    result = ViaServer(db, cmd);
  } else {
    result = svc.status();
  }
  if (!result.ok()) {
    std::cerr << "client create: " << result.ToString() << "\n";
    return 1;
  }
  std::cout << "{\"ClientId\":" << JsonQuote(id) << ",\"ApiKey\":" << JsonQuote(key) << "}"
            << std::endl;
  return 0;
}

}  // namespace splitledger::api
