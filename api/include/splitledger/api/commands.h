// Entry points of the api module for the `splitledger` binary's subcommands.
// Each takes the arguments after the subcommand words and returns a process exit code.
#pragma once

namespace splitledger::api {

// `splitledger serve [--listen HOST:PORT] [--db URL] [--config FILE]`
int ServeMain(int argc, char** argv);

// `splitledger client create --id ID [--api-key KEY] [--db URL]`
int ClientCreateMain(int argc, char** argv);

// `splitledger client cert add|list|revoke --id ID [--cert FILE.pem | --fingerprint HEX] [--db URL]`
// (argv[0] is the action).
int ClientCertMain(int argc, char** argv);

// `splitledger routes`: every route, one JSON object per line.
int RoutesMain(int argc, char** argv);

// `splitledger escrow receive --db URL --client ID --currency CUR --amount N --reference REF`
int EscrowReceiveMain(int argc, char** argv);

}  // namespace splitledger::api
