// v2.01 hooks and events: routes under /v2.01/{ClientId}/hooks and /events.
#pragma once

#include <vector>

#include "dialects.h"

namespace splitledger::api {

const std::vector<Route>& HookRoutes();

}  // namespace splitledger::api
