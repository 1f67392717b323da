#include "admin.h"

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

}  // namespace splitledger::api
