// The orchestration dialect (NjiaPay's public wire format, docs/api-orchestration.md): its own
// routing table under /api, `{"detail": …}` errors, API keys per environment and `iauth` tokens;
// the hosted checkout under /checkout; PSP webhooks under /psp. A translation at the edge only:
// the use cases are service::Orchestrator's and the payment commands'.
#pragma once

#include <string>
#include <vector>

#include "app.h"
#include "front_door.h"
#include "router.h"

namespace splitledger::api {

// Whether a path belongs to the orchestration dialect (its first segment).
bool IsOrchestrationPath(const std::vector<std::string>& segments);

// Serves one request of the dialect. `base_url` is the scheme and host the client used (links
// in replies point there).
Reply HandleOrchestration(App& app, HttpRequest& hreq, Request& req,
                          const std::vector<std::string>& segments, const std::string& base_url);

// The dialect's routes (for `splitledger routes` and the OpenAPI test).
const std::vector<Route>& OrchestrationRoutes();

// The hosted checkout (checkout.cc): pages under /checkout/{IntentId}.
Reply HandleCheckout(App& app, HttpRequest& hreq, Request& req,
                     const std::vector<std::string>& segments, const std::string& base_url);

// The payment's hosted checkout link, carrying its iauth token.
std::string CheckoutUrl(const App& app, const Payment& p, const std::string& base_url);
// An iauth token of the payment: scope "intent" (the merchant's) or "checkout" (the customer's).
std::string IauthOf(const App& app, const Payment& p, const std::string& scope);
// `return_url` with intent_id=ID added to its query.
std::string ReturnUrl(const Payment& p);

}  // namespace splitledger::api
