#include "admin.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "splitledger/core/ids.h"

namespace splitledger::api {

Status PublishAdminEndpoint(App& app, const std::string& address) {
  app.admin_secret = RandomHex(32);
  return app.service->PublishAdminEndpoint(address, app.admin_secret);
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

std::string RenderEscrowReceipt(const std::string& client_id, const service::EscrowReceipt& r) {
  std::string out = "{\"ClientId\":" + JsonQuote(client_id) + ",\"Currency\":" + JsonQuote(r.currency) +
                    ",\"Amount\":" + std::to_string(r.amount) +
                    ",\"EscrowBalance\":" + std::to_string(r.balance) +
                    ",\"UnallocatedAmount\":" + std::to_string(r.unallocated) +
                    ",\"AlreadyRecorded\":" + (r.already_recorded ? "true" : "false") +
                    ",\"ReconciledSettlements\":[";
  for (size_t i = 0; i < r.reconciled.size(); ++i) out += (i ? "," : "") + JsonQuote(r.reconciled[i]);
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
  try {
    Poco::Net::SocketAddress addr(ep->first);
    Poco::Net::HTTPClientSession session(addr);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest hreq(Poco::Net::HTTPRequest::HTTP_POST, path,
                                Poco::Net::HTTPMessage::HTTP_1_1);
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
    *response = ss.str();
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("cannot reach the server holding the database (" + ep->first +
                               "): " + e.displayText());
  }
  return Status::Ok();
}

}  // namespace

Status CliWrite(const std::string& db, const std::string& client_id, service::Command command,
                const std::string& path, const std::string& admin_body,
                const std::function<std::string(const service::Outcome&)>& render,
                std::string* response) {
  service::ServiceOptions options;
  options.db_url = db;
  options.lease_wait_ms = 0;
  auto svc = service::Service::Open(options);
  if (svc.ok()) {
    service::Envelope env{{client_id, NowMs()}, std::move(command), std::nullopt};
    service::Outcome o = (*svc)->Execute(std::move(env));
    if (!o.ok()) return o.status;
    *response = render(o);
    return Status::Ok();
  }
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
