// The local admin endpoint: how CLI writes reach a running server's sequencer (DESIGN §3.7).
// At start the server draws a fresh secret, writes it to a file only its user can read
// (AdminSecretPath) and publishes its address and the secret's SHA-256 in the database; a CLI on
// the same host running as that user, finding the lease held, reads both, checks the file
// against the hash and POSTs its command to /admin/... with the secret. A copy or reader of the
// database learns no usable secret.
#pragma once

#include <functional>
#include <string>

#include "app.h"
#include "splitledger/api/commands.h"

namespace splitledger::api {

Status PublishAdminEndpoint(App& app, const std::string& address);
// Removes the secret file (at stop).
void WithdrawAdminEndpoint(App& app);
// Where the server puts the file holding the secret whose SHA-256 is `secret_hash`: beside a
// SQLite database; for PostgreSQL in ~/.splitledger (else /tmp/splitledger-UID), a directory that
// must be this user's and 0700. The path is published with the endpoint, so a CLI whose
// environment differs still finds it (and checks the file against the hash).
std::string AdminSecretPath(const std::string& db_url, const std::string& secret_hash);

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

// POST /admin/users {"Name","PasswordHash"} (a console user, `admin user add`) or
// {"Name","Disabled":true|false} (`admin user disable|enable`).
Reply HandleAdminUsers(App& app, Request& req);

// POST /admin/webhooks: `splitledger webhook …` next to a running server (webhooks_cli.cc).
Reply HandleAdminWebhooks(App& app, Request& req);
std::string RenderWebhookEndpoints(const std::vector<WebhookEndpoint>& items,
                                   const std::string& new_secret);
std::string RenderWebhookDeliveries(const std::vector<WebhookMessage>& items);

// The value after `name` among a subcommand's arguments ("" when absent).
std::string Flag(int argc, char** argv, const char* name);

}  // namespace splitledger::api
