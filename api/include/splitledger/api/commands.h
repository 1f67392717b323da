// Entry points of the api module for the `splitledger` binary's subcommands.
// Each takes the arguments after the subcommand words and returns a process exit code.
#pragma once

#include <functional>
#include <string>

#include "splitledger/api/extension.h"
#include "splitledger/core/status.h"
#include "splitledger/service/commands.h"
#include "splitledger/service/service.h"

namespace splitledger::api {

// `splitledger serve [--listen HOST:PORT] [--db URL] [--config FILE]`, with the extensions
// that serve their own path prefixes (extension.h).
int ServeMain(int argc, char** argv, Extensions extensions = {});

// Runs a write of the CLI through the sequencer of the database at `db`: its own when no server
// holds the lease; otherwise the server's, by POSTing `admin_body` to its local admin endpoint
// `path` (docs/operations.md). On success `*response` is the JSON answer (the server's, or
// `render(outcome)` locally).
Status CliWrite(const std::string& db, const std::string& client_id, service::Command command,
                const std::string& path, const std::string& admin_body,
                const std::function<std::string(const service::Outcome&)>& render,
                std::string* response);

// The same for any CLI call: `local` runs on a sequencer of its own when no server holds the
// lease; otherwise `admin_body` goes to the server's admin endpoint `path`.
Status CliCall(const std::string& db, const std::string& path, const std::string& admin_body,
               const std::function<Status(service::Service&, std::string*)>& local,
               std::string* response);

// `splitledger webhook add|remove|list|deliveries --db URL --client ID …` (argv[0] is the
// action; docs/api-orchestration.md).
int WebhookMain(int argc, char** argv);

// `splitledger client create --id ID [--api-key KEY] [--db URL]`
int ClientCreateMain(int argc, char** argv);

// `splitledger client cert add|list|revoke --id ID [--cert FILE.pem | --fingerprint HEX] [--db
// URL]` (argv[0] is the action).
int ClientCertMain(int argc, char** argv);

// `splitledger routes`: every route, one JSON object per line.
int RoutesMain(int argc, char** argv);

// `splitledger escrow receive --db URL --client ID --currency CUR --amount N --reference REF`
int EscrowReceiveMain(int argc, char** argv);

}  // namespace splitledger::api
