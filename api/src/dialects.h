// The Echo dialect's handlers (shared/reference/echo-api.md). Each receives an authenticated,
// size-checked request (except HandleOAuth, which authenticates itself), sets req.route to the
// matched route template, and returns the reply. None throws.
#pragma once

#include <string>

#include "app.h"

namespace splitledger::api {

// POST /v2.01/oauth/token (§2).
Reply HandleOAuth(App& app, Request& req, const std::string& authorization);
// /v2.01/{ClientId}/… (§4.1 responses, §6).
Reply HandleV2(App& app, Request& req);
// /V3.0/{ClientId}/payins/intents… (§7, §8, §10).
Reply HandleV3(App& app, Request& req);

}  // namespace splitledger::api
