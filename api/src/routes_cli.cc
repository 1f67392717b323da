// `splitledger routes`: every route of every dialect, one JSON object per line
// ({"method","path"} with the path as a client calls it, placeholders in braces). The OpenAPI
// test compares it with docs/openapi, both ways, so a route cannot exist undocumented.
#include <iostream>

#include "dialects.h"
#include "hooks.h"
#include "observe.h"
#include "settlements.h"
#include "splitledger/api/commands.h"

namespace splitledger::api {

int RoutesMain(int, char**) {
  auto print = [](const char* prefix, const std::vector<Route>& routes) {
    for (const Route& r : routes) {
      std::cout << "{\"method\":" << JsonQuote(r.method) << ",\"path\":"
                << JsonQuote(std::string("/") + prefix + "/{ClientId}/" + r.path)
                << (r.sca_triggering ? ",\"sca_triggering\":true" : "") << "}\n";
    }
  };
  print("v2.01", V2Routes());
  print("V3.0", V3Routes());
  // Outside the dialects' tables: the token endpoint and the settlement upload URL.
  std::cout << "{\"method\":\"POST\",\"path\":\"/v2.01/oauth/token\"}\n"
            << "{\"method\":\"PUT\",\"path\":\"/uploads/settlements/{SettlementId}\"}\n";
  return 0;
}

}  // namespace splitledger::api
