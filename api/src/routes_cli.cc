// `splitledger routes`: every route of every dialect, one JSON object per line
// ({"method","path"} with the path as a client calls it, placeholders in braces). The OpenAPI
// test compares it with docs/openapi, both ways, so a route cannot exist undocumented.
#include <iostream>

#include "dialects.h"
#include "hooks.h"
#include "observe.h"
#include "orchestration.h"
#include "settlements.h"
#include "splitledger/api/commands.h"

namespace splitledger::api {

int RoutesMain(int, char**) {
  auto print = [](const char* prefix, const std::vector<Route>& routes) {
    for (const Route& r : routes) {
      std::cout << "{\"method\":" << JsonQuote(r.method)
                << ",\"path\":" << JsonQuote(std::string("/") + prefix + "/{ClientId}/" + r.path)
                << (r.sca_triggering ? ",\"sca_triggering\":true" : "") << "}\n";
    }
  };
  print("v2.01", V2Routes());
  print("V3.0", V3Routes());
  // The orchestration dialect: no client id in its paths (the key names the client).
  for (const Route& r : OrchestrationRoutes()) {
    std::cout << "{\"method\":" << JsonQuote(r.method)
              << ",\"path\":" << JsonQuote(std::string("/") + r.path)
              << ",\"dialect\":\"orchestration\"}\n";
  }
  // Outside the dialects' tables: the token endpoint, the settlement upload URL, the hosted
  // checkout and the PSPs' webhooks.
  std::cout << "{\"method\":\"POST\",\"path\":\"/v2.01/oauth/token\"}\n"
            << "{\"method\":\"PUT\",\"path\":\"/uploads/settlements/{SettlementId}\"}\n"
            << "{\"method\":\"GET\",\"path\":\"/checkout/{IntentId}\"}\n"
            << "{\"method\":\"POST\",\"path\":\"/checkout/{IntentId}\"}\n"
            << "{\"method\":\"POST\",\"path\":\"/checkout/{IntentId}/challenge\"}\n"
            << "{\"method\":\"GET\",\"path\":\"/checkout/{IntentId}/return\"}\n"
            << "{\"method\":\"POST\",\"path\":\"/psp/{Connection}/webhooks\"}\n";
  return 0;
}

}  // namespace splitledger::api
