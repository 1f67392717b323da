// The web console for platform admins (docs/operations.md, "The console"), served by `serve` at
// /console as an extension (api/extension.h). Plain server-side HTML, charts as inline SVG,
// nothing fetched from elsewhere (a Content-Security-Policy forbids it).
//
// Contracts:
//  * Every page but the sign-in form needs a session: console users are created with
//    `splitledger admin user add` (PBKDF2 hashes, password.h); a session is a random 256-bit
//    token in a cookie (HttpOnly, Secure, SameSite=Strict, Path=/console), kept in memory as its
//    SHA-256 with an idle expiry — a restart signs everyone out.
//  * Every POST carries the session's CSRF token (the sign-in form a double-submitted nonce) and,
//    when the browser sends one, an Origin of this host; anything else is 403.
//  * Figures come from the ledger reports (ledger/reports.h) read by a reader of the database,
//    the same as `splitledger admin`; each figure carries a data-figure attribute so tests can
//    compare the page with the API.
#pragma once

#include <memory>

#include "splitledger/api/extension.h"

namespace splitledger::admin {

std::unique_ptr<api::ServeExtension> MakeConsole();

}  // namespace splitledger::admin
