#include "app.h"

namespace splitledger::api {

service::Outcome Run(App& app, const Request& req, service::Command command) {
  service::Envelope env;
  env.caller = service::Caller{req.client_id, req.now_ms};
  env.command = std::move(command);
  if (!req.idem_key.empty()) {
    env.idempotency = service::IdempotencyStamp{
        req.idem_key, Sha256Hex(req.method + " " + req.url + "\n" + req.body), req.url};
  }
  return app.service->Execute(std::move(env));
}

}  // namespace splitledger::api
