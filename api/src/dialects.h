// The dialects: each is a routing table (router.h) plus its translators. The server finds the
// dialect by the first path segment (kDialects in server.cc), authenticates, matches the route
// and calls the translator; a translator returns a Reply and never throws.
#pragma once

#include <string>
#include <vector>

#include "router.h"

namespace splitledger::api {

// Echo v2.01: /v2.01/{ClientId}/… (§4.1 responses, §6).
const std::vector<Route>& V2Routes();
// The page/per_page of a v2.01 list request; false, with the error reply, when they are bad.
bool V2PageOf(const Request& req, Page* page, Reply* error);
// Echo V3.0: /V3.0/{ClientId}/payins/intents… (§7, §8, §10).
const std::vector<Route>& V3Routes();
// POST /v2.01/oauth/token (§2): authenticates itself.
Reply HandleOAuth(App& app, Request& req, const std::string& authorization);

}  // namespace splitledger::api
