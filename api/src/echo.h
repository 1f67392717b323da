// The Echo dialect's shared translation: how it spells neutral field references, renders
// service outcomes and errors, and renders entities and intents (shared/reference/echo-api.md).
// Rendering runs on request threads only, from Outcome values (snapshots), never from the State.
#pragma once

#include <string>

#include "app.h"
#include "splitledger/service/commands.h"

namespace splitledger::api {

// "LineItems[1].Seller.FeesAmount" for {"fees_amount", 1}; "Amount" for {"amount"}.
std::string EchoFieldName(const FieldRef& field);

// The error reply of a failed outcome in the dialect's format (errors / Errors), with every
// field error spelled by EchoFieldName and "{field}" in messages replaced by that spelling.
// A reused Idempotency-Key gives Echo's 409 idempotent_creation_conflict. `error_id` (empty:
// random) and `now_s` fill the body's Id and Date.
Reply OutcomeError(Dialect dialect, const service::Outcome& outcome, int64_t now_s,
                   const std::string& error_id = {});
// The error Id of a request: stable for one made under an Idempotency-Key, so that its stored
// outcome renders to the same bytes; random otherwise.
std::string ErrorIdFor(const std::string& client_id, const std::string& idempotency_key);
// Renders a service outcome's failure for a request (OutcomeError with its time and error id).
Reply RequestError(Dialect dialect, const Request& req, const service::Outcome& outcome);
// A POST the dialect refuses before building a command (bad JSON, wrong field types): the
// refusal spends the request's Idempotency-Key like any answer, and is rendered from what was
// stored. `fields` may be empty when `status` says it all.
Reply RefuseRequest(App& app, Dialect dialect, const Request& req, const Status& status,
                    const FieldErrors& fields = {});

std::string RenderUser(const User& u);
std::string RenderWallet(const service::WalletView& w);
std::string RenderClientWallet(const service::ClientWalletView& w);
std::string RenderClient(const Client& c);
std::string RenderIntent(const service::IntentView& v);
std::string RenderSplit(const service::SplitView& v);
std::string RenderSplitList(const service::SplitList& l);  // {"Splits":[…]}
// The reply for an intent result: its snapshot decoded and rendered (500 if it is unreadable).
Reply IntentSnapshotReply(Dialect dialect, const service::IntentSnapshot& snapshot);
// An Echo address object (AddressLine1…Country; parts not given stay unset).
PostalAddress BindAddress(const JValue& v);

// The reply a request got, rebuilt from its stored outcome: the same renderer as the first
// time, so the same bytes. The dialect follows from the request URL.
Reply RenderStoredOutcome(const service::Outcome& outcome, const std::string& request_url,
                          int64_t created_at, const std::string& error_id);

// Reads a v2.01 user body into `out` (natural or legal fields), listing in `fields` the entity
// fields the body carried. Type errors go to `errors` with Echo field names.
void BindUser(const JValue& body, bool natural, User* out, std::vector<std::string>* fields,
              bool* category_given, FieldErrors* errors);

}  // namespace splitledger::api
