#include "admin.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "splitledger/core/ids.h"

namespace splitledger::api {

std::string Flag(int argc, char** argv, const char* name) {
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return {};
}

std::string AdminSecretPath(const std::string& db_url, const std::string& secret_hash) {
  std::string name = "splitledger-admin-" + secret_hash.substr(0, 16) + ".secret";
  if (db_url.rfind("sqlite:", 0) == 0) {
    std::string dir = std::filesystem::path(db_url.substr(7)).parent_path().string();
    return (dir.empty() ? std::string(".") : dir) + "/" + name;
  }
  std::string dir;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::string(home) + "/.splitledger";
  } else {
    dir = "/tmp/splitledger-" + std::to_string(::getuid());
  }
  return dir + "/" + name;
}

Status PublishAdminEndpoint(App& app, const std::string& address) {
  app.admin_secret = RandomHex(32);
  std::string hash = Sha256Hex(app.admin_secret);
  app.admin_secret_file = AdminSecretPath(app.cfg.db, hash);
  std::filesystem::path dir = std::filesystem::path(app.admin_secret_file).parent_path();
  if (app.cfg.db.rfind("sqlite:", 0) != 0) {
    // Ours alone: made 0700, or already there as our own 0700 directory (not a link).
    ::mkdir(dir.c_str(), 0700);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
        (st.st_mode & 077) != 0) {
      app.admin_secret.clear();
      app.admin_secret_file.clear();
      return Status::Unavailable(dir.string() + " must be a directory of this user, mode 0700");
    }
  }
  // Only this user reads it: created 0600, never through a link someone else placed.
  int fd = ::open(app.admin_secret_file.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string why = std::strerror(errno);
    app.admin_secret.clear();  // no file, no endpoint: nobody could present the secret
    app.admin_secret_file.clear();
    return Status::Unavailable("cannot create the admin secret file in " + dir.string() + ": " +
                               why);
  }
  bool written = ::write(fd, app.admin_secret.data(), app.admin_secret.size()) ==
                 static_cast<ssize_t>(app.admin_secret.size());
  ::close(fd);
  if (!written) {
    WithdrawAdminEndpoint(app);
    return Status::Unavailable("cannot write the admin secret file");
  }
  return app.service->PublishAdminEndpoint({address, hash, app.admin_secret_file});
}

void WithdrawAdminEndpoint(App& app) {
  if (!app.admin_secret_file.empty()) ::unlink(app.admin_secret_file.c_str());
  app.admin_secret_file.clear();
  app.admin_secret.clear();
}

Reply HandleAdminClients(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok())
    return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  Binder b;
  service::PutClientCredentials cmd;
  if (auto v = b.Str(d, "ClientId", true)) cmd.client_id = *v;
  if (auto v = b.Str(d, "ApiKeySalt", true)) cmd.api_key_salt = *v;
  if (auto v = b.Str(d, "ApiKeyHash", true)) cmd.api_key_hash = *v;
  if (auto v = b.Str(d, "BearerKeyHash", false)) cmd.bearer_key_hash = *v;
  if (auto v = b.Str(d, "Environment", false)) cmd.environment = *v;
  if (auto v = b.Str(d, "KeyPrefix", false)) cmd.key_prefix = *v;
  if (!b.ok()) return ErrorReply(Dialect::kV2, ParamError(b.errors()));
  req.client_id = cmd.client_id;
  service::Outcome o = Run(app, req, std::move(cmd));
  if (!o.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(o.status));
  return JsonReply("{\"ClientId\":" + JsonQuote(req.client_id) + "}");
}

std::string RenderCertificates(const std::string& client_id, const service::CertificateList& list) {
  std::string out = "{\"ClientId\":" + JsonQuote(client_id) + ",\"Certificates\":[";
  for (size_t i = 0; i < list.items.size(); ++i) {
    const ClientCertificate& c = list.items[i];
    out += std::string(i ? "," : "") + "{\"Fingerprint\":" + JsonQuote(c.fingerprint) +
           ",\"Subject\":" + JsonQuote(c.subject) + ",\"NotAfter\":" + std::to_string(c.not_after) +
           ",\"AddedAt\":" + std::to_string(c.added_at) +
           ",\"RevokedAt\":" + (c.active() ? "null" : std::to_string(c.revoked_at)) +
           ",\"Status\":" + (c.active() ? "\"ACTIVE\"" : "\"REVOKED\"") + "}";
  }
  return out + "]}";
}

// The certificate command an admin request or the CLI names; false for an unknown action.
bool CertificateCommand(const std::string& action, const ClientCertificate& cert,
                        service::Command* cmd) {
  if (action == "add") {
    *cmd = service::AddClientCertificate{cert};
  } else if (action == "revoke") {
    *cmd = service::RevokeClientCertificate{cert.fingerprint};
  } else if (action == "list") {
    *cmd = service::ListClientCertificates{};
  } else {
    return false;
  }
  return true;
}

Reply HandleAdminCertificates(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok())
    return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  Binder b;
  std::string action;
  ClientCertificate cert;
  if (auto v = b.Str(d, "ClientId", true)) req.client_id = *v;
  if (auto v = b.Str(d, "Action", true)) action = *v;
  if (auto v = b.Str(d, "Fingerprint", false)) cert.fingerprint = *v;
  if (auto v = b.Str(d, "Subject", false)) cert.subject = *v;
  if (auto v = b.Amount(d, "NotAfter", false)) cert.not_after = *v;
  if (!b.ok()) return ErrorReply(Dialect::kV2, ParamError(b.errors()));
  service::Command cmd;
  if (!CertificateCommand(action, cert, &cmd))
    return ErrorReply(Dialect::kV2, ParamError("Action", "add, revoke or list"));
  service::Outcome o = Run(app, req, std::move(cmd));
  if (!o.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(o.status));
  const auto& list = std::get<service::CertificateList>(o.value);
  // Effective at once for the requests this server authenticates.
  if (action != "list") {
    for (const ClientCertificate& c : list.items)
      app.certs.Put(c.fingerprint, CertRegistry::Entry{c.client_id, c.active()});
  }
  return JsonReply(RenderCertificates(req.client_id, list));
}

Reply HandleAdminUsers(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok())
    return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  Binder b;
  service::PutAdminUser cmd;
  bool toggles = d.HasMember("Disabled") && d["Disabled"].IsBool();
  if (auto v = b.Str(d, "Name", true)) cmd.user.name = *v;
  if (auto v = b.Str(d, "PasswordHash", !toggles)) cmd.user.password_hash = *v;
  if (!b.ok()) return ErrorReply(Dialect::kV2, ParamError(b.errors()));
  service::Outcome o =
      toggles ? Run(app, req, service::SetAdminUserDisabled{cmd.user.name, d["Disabled"].GetBool()})
              : Run(app, req, std::move(cmd));
  if (!o.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(o.status));
  return JsonReply("{\"Name\":" + JsonQuote(std::get<service::Box<AdminUser>>(o.value)->name) +
                   "}");
}

std::string RenderEscrowReceipt(const std::string& client_id, const service::EscrowReceipt& r) {
  std::string out = "{\"ClientId\":" + JsonQuote(client_id) +
                    ",\"Currency\":" + JsonQuote(r.currency) +
                    ",\"Amount\":" + std::to_string(r.amount) +
                    ",\"EscrowBalance\":" + std::to_string(r.balance) +
                    ",\"UnallocatedAmount\":" + std::to_string(r.unallocated) +
                    ",\"AlreadyRecorded\":" + (r.already_recorded ? "true" : "false") +
                    ",\"ReconciledSettlements\":[";
  for (size_t i = 0; i < r.reconciled.size(); ++i)
    out += (i ? "," : "") + JsonQuote(r.reconciled[i]);
  return out + "]}";
}

Reply HandleAdminEscrow(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok())
    return ErrorReply(Dialect::kV2, ErrorFromStatus(st));
  Binder b;
  service::ReceiveEscrowFunds cmd;
  if (auto v = b.Str(d, "ClientId", true)) req.client_id = *v;
  if (auto v = b.Str(d, "Currency", true)) cmd.currency = *v;
  if (auto v = b.Amount(d, "Amount", true)) cmd.amount = *v;
  if (auto v = b.Str(d, "Reference", true)) cmd.reference = *v;
  if (!b.ok()) return ErrorReply(Dialect::kV2, ParamError(b.errors()));
  service::Outcome o = Run(app, req, std::move(cmd));
  if (!o.ok()) return ErrorReply(Dialect::kV2, ErrorFromStatus(o.status));
  return JsonReply(RenderEscrowReceipt(req.client_id, std::get<service::EscrowReceipt>(o.value)));
}

namespace {

// POSTs `body` to the admin endpoint `path` of the server holding the lease.
Status SendToServer(const std::string& db, const std::string& path, const std::string& body,
                    std::string* response) {
  auto ep = service::ReadAdminEndpoint(db);
  if (!ep.ok()) return ep.status();
  // The secret, from the file only the server's user can read; it must match the hash the
  // server published (an older file, or another server's, does not).
  std::string secret_path = ep->secret_file;
  std::ifstream f(secret_path);
  std::string secret((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f && secret.empty()) {
    return Status::Unavailable("cannot read the admin secret " + secret_path +
                               " (run this command on the server's host, as the server's user)");
  }
  if (!ConstantTimeEquals(Sha256Hex(secret), ep->secret_hash)) {
    return Status::Unavailable("the admin secret " + secret_path +
                               " does not match the running server's");
  }
  try {
    Poco::Net::SocketAddress addr(ep->address);
    Poco::Net::HTTPClientSession session(addr);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest hreq(Poco::Net::HTTPRequest::HTTP_POST, path,
                                Poco::Net::HTTPMessage::HTTP_1_1);
    hreq.setContentType("application/json");
    hreq.setContentLength(static_cast<std::streamsize>(body.size()));
    hreq.set("Authorization", "Bearer " + secret);
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
          "the server at " + ep->address + " answered " + std::to_string(code) + ": " + ss.str();
      return code == 401 || code == 404 ? Status::Unavailable(what) : Status::Invalid(what);
    }
    *response = ss.str();
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("cannot reach the server holding the database (" + ep->address +
                               "): " + e.displayText());
  }
  return Status::Ok();
}

}  // namespace

Status CliWrite(const std::string& db, const std::string& client_id, service::Command command,
                const std::string& path, const std::string& admin_body,
                const std::function<std::string(const service::Outcome&)>& render,
                std::string* response) {
  return CliCall(
      db, path, admin_body,
      [&](service::Service& svc, std::string* out) -> Status {
        service::Envelope env{{client_id, NowMs()}, std::move(command), std::nullopt};
        service::Outcome o = svc.Execute(std::move(env));
        if (!o.ok()) return o.status;
        *out = render(o);
        return Status::Ok();
      },
      response);
}

Status CliCall(const std::string& db, const std::string& path, const std::string& admin_body,
               const std::function<Status(service::Service&, std::string*)>& local,
               std::string* response) {
  service::ServiceOptions options;
  options.db_url = db;
  options.lease_wait_ms = 0;
  auto svc = service::Service::Open(options);
  if (svc.ok()) return local(**svc, response);
  if (svc.status().code() != ErrorCode::kUnavailable ||
      svc.status().message().find("in use") == std::string::npos) {
    return svc.status();
  }
  // A server that holds the lease may still be loading its state and not yet have published
  // its endpoint (the table then names the previous run's): retry for a while.
  Status last;
  for (int attempt = 0; attempt < 40; ++attempt) {
    last = SendToServer(db, path, admin_body, response);
    if (last.ok() || last.code() != ErrorCode::kUnavailable) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}

}  // namespace splitledger::api
