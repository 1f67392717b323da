// v2.01 hooks and events: routes under /v2.01/{ClientId}/hooks and /events.
#pragma once

#include <vector>

#include "dialects.h"
#include "splitledger/core/entities.h"

namespace splitledger::api {

const std::vector<Route>& HookRoutes();

// A v2.01 Hook object.
std::string RenderHook(const Hook& h);

}  // namespace splitledger::api
