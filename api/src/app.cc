#include "app.h"

namespace splitledger::api {

service::Envelope EnvelopeOf(const Request& req, service::Command command) {
  service::Envelope env;
  env.caller = service::Caller{req.client_id, req.now_ms};
  env.command = std::move(command);
  if (!req.idem_key.empty()) {
    env.idempotency = service::IdempotencyStamp{
        req.idem_key, Sha256Hex(req.method + " " + req.url + "\n" + req.body), req.url};
  }
  return env;
}

service::Outcome Run(App& app, const Request& req, service::Command command) {
  return app.service->Execute(EnvelopeOf(req, std::move(command)));
}

service::Outcome Refuse(App& app, const Request& req, service::Outcome refusal) {
  return app.service->Refuse(EnvelopeOf(req, service::Refused{}), std::move(refusal));
}

}  // namespace splitledger::api
