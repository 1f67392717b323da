// The local admin endpoint: how CLI writes reach a running server's sequencer (DESIGN §3.7).
// At start the server publishes its address and a fresh secret in the database (readable by
// whoever can already write the database); `splitledger client create`, finding the lease held,
// reads them and POSTs its command to /admin/clients from the same host.
#pragma once

#include <string>

#include "app.h"

namespace splitledger::api {

Status PublishAdminEndpoint(App& app, const std::string& address);

// POST /admin/clients {"ClientId","ApiKeySalt","ApiKeyHash"}: create or re-key a client.
Reply HandleAdminClients(App& app, Request& req);

}  // namespace splitledger::api
