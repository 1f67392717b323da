// The local admin endpoint: how CLI writes reach a running server's sequencer (DESIGN §3.7).
// At start the server publishes its address and a fresh secret in the database (readable by
// whoever can already write the database); `splitledger client create`, finding the lease held,
// reads them and POSTs its command to /admin/clients from the same host.
#pragma once

#include <functional>
#include <string>

#include "app.h"

namespace splitledger::api {

Status PublishAdminEndpoint(App& app, const std::string& address);

// POST /admin/clients {"ClientId","ApiKeySalt","ApiKeyHash"}: create or re-key a client.
Reply HandleAdminClients(App& app, Request& req);
// POST /admin/escrow {"ClientId","Currency","Amount","Reference"}: money arrived on the client's
// escrow wallet. Answers the receipt (balance, unallocated funds, settlements reconciled).
Reply HandleAdminEscrow(App& app, Request& req);
// POST /admin/certificates {"ClientId","Action":"add"|"revoke"|"list", and for add "Fingerprint",
// "Subject","NotAfter"; for revoke "Fingerprint"}: a client's TLS client certificates. Answers
// RenderCertificates of the client's list (add/revoke: the certificate concerned).
Reply HandleAdminCertificates(App& app, Request& req);
std::string RenderCertificates(const std::string& client_id, const service::CertificateList& list);
// The command for a certificate action ("add", "revoke", "list"); false for another word.
bool CertificateCommand(const std::string& action, const ClientCertificate& cert,
                        service::Command* cmd);
std::string RenderEscrowReceipt(const std::string& client_id, const service::EscrowReceipt& r);

// Runs a write of the CLI through the sequencer of the database at `db`: its own when no server
// holds the lease; otherwise the server's, by POSTing `admin_body` to its admin endpoint `path`.
// On success `*response` is the JSON answer (the server's, or `render(outcome)` locally).
Status CliWrite(const std::string& db, const std::string& client_id, service::Command command,
                const std::string& path, const std::string& admin_body,
                const std::function<std::string(const service::Outcome&)>& render,
                std::string* response);

}  // namespace splitledger::api
