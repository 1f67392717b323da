// V3.0 settlements: the routes under /V3.0/{ClientId}/payins/intents/settlements, and the upload
// URL (/uploads/settlements/{SettlementId}?token=…) that authenticates by its token alone.
#pragma once

#include <string>
#include <vector>

#include "app.h"
#include "dialects.h"

namespace splitledger::api {

const std::vector<Route>& SettlementRoutes();

// A settlement as Echo shows it; `upload_url` only in the answers that issue one.
std::string RenderSettlement(const service::SettlementView& v, const std::string& upload_url);

// PUT of a settlement file to its upload URL. `req.query` holds the token.
Reply HandleSettlementUpload(App& app, Request& req, const std::string& settlement_id);

}  // namespace splitledger::api
