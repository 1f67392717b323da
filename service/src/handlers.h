// Private to the service module: one Preflight and one Apply per command (commands.h).
//
// Preflight(command, caller, errors): pure, on the request thread; returns the first error and
//   may list every bad field in `errors`. The default accepts.
// Apply(context, command): on the sequencer thread. Contract: returns an error having changed
//   nothing, or returns the result having made every change of the command. No IO, hashing,
//   JSON or logging.
#pragma once

#include <vector>

#include "splitledger/ledger/state.h"
#include "splitledger/service/commands.h"

namespace splitledger::service {

struct ApplyContext {
  ledger::State& state;
  const Caller& caller;
  // Set when the orchestration dialect posts a PSP's result through the Echo intent handlers:
  // the only way its intents' money may move (an Echo request may not capture, cancel or refund
  // what a PSP has not).
  bool from_orchestration = false;
  int64_t now_s() const { return caller.now_ms / 1000; }
};

template <class C>
Status Preflight(const C&, const Caller&, std::vector<FieldError>*) {
  return Status::Ok();
}

// Clients and credentials (handlers_clients.cc).
Outcome Apply(ApplyContext& ctx, const PutClientCredentials& c);
Outcome Apply(ApplyContext& ctx, const GetCredentials& c);
Outcome Apply(ApplyContext& ctx, const IssueToken& c);
Outcome Apply(ApplyContext& ctx, const FindToken& c);
Outcome Apply(ApplyContext& ctx, const GetClient& c);
Outcome Apply(ApplyContext& ctx, const UpdateClient& c);
Status Preflight(const AddClientCertificate& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const AddClientCertificate& c);
Outcome Apply(ApplyContext& ctx, const RevokeClientCertificate& c);
Outcome Apply(ApplyContext& ctx, const ListClientCertificates& c);
Outcome Apply(ApplyContext& ctx, const FindClientCertificate& c);
Status Preflight(const PutAdminUser& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const PutAdminUser& c);
Outcome Apply(ApplyContext& ctx, const FindAdminUser& c);
Outcome Apply(ApplyContext& ctx, const SetAdminUserDisabled& c);
Status Preflight(const PutClientCredentials& c, const Caller&, std::vector<FieldError>* errors);

// Users and wallets (handlers_users.cc).
Status Preflight(const CreateUser& c, const Caller&, std::vector<FieldError>* errors);
Status Preflight(const CreateWallet& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreateUser& c);
Outcome Apply(ApplyContext& ctx, const UpdateUser& c);
Outcome Apply(ApplyContext& ctx, const GetUser& c);
Outcome Apply(ApplyContext& ctx, const CreateWallet& c);
Outcome Apply(ApplyContext& ctx, const UpdateWallet& c);
Outcome Apply(ApplyContext& ctx, const GetWallet& c);
Outcome Apply(ApplyContext& ctx, const ListUserWallets& c);
Outcome Apply(ApplyContext& ctx, const ListUserTransactions& c);
Outcome Apply(ApplyContext& ctx, const ListWalletTransactions& c);
Outcome Apply(ApplyContext& ctx, const ListClientWallets& c);
Outcome Apply(ApplyContext& ctx, const GetClientWallet& c);
Outcome Apply(ApplyContext& ctx, const ListClientWalletTransactions& c);

// Intents (handlers_intents.cc).
Status Preflight(const CreateIntent& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreateIntent& c);
Outcome Apply(ApplyContext& ctx, const CaptureIntent& c);
Outcome Apply(ApplyContext& ctx, const CancelIntent& c);
Outcome Apply(ApplyContext& ctx, const GetIntent& c);
Outcome Apply(ApplyContext& ctx, const RefundIntent& c);
Outcome Apply(ApplyContext& ctx, const ReverseRefund& c);
Outcome Apply(ApplyContext& ctx, const DisputeCapture& c);
Outcome Apply(ApplyContext& ctx, const DecideDispute& c);

// Splits and the escrow wallet (handlers_splits.cc).
Status Preflight(const CreateSplits& c, const Caller&, std::vector<FieldError>* errors);
Status Preflight(const ReceiveEscrowFunds& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreateSplits& c);
Outcome Apply(ApplyContext& ctx, const GetSplit& c);
Outcome Apply(ApplyContext& ctx, const UpdateSplit& c);
Outcome Apply(ApplyContext& ctx, const ExecuteSplit& c);
Outcome Apply(ApplyContext& ctx, const ReverseSplit& c);
Outcome Apply(ApplyContext& ctx, const ExecuteDueSplits& c);
// Executes the intent's AVAILABLE splits whose TransferDate has passed (SPLIT_REJECTED for those
// the escrow wallet cannot pay).
void ExecuteDueSplitsOf(ApplyContext& ctx, const Intent& intent);
Outcome Apply(ApplyContext& ctx, const ReceiveEscrowFunds& c);

// Settlements (handlers_settlements.cc).
Status Preflight(const CreateSettlement& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreateSettlement& c);
Outcome Apply(ApplyContext& ctx, const NewSettlementUploadUrl& c);
Outcome Apply(ApplyContext& ctx, const GetSettlement& c);
Outcome Apply(ApplyContext& ctx, const CancelSettlement& c);
Outcome Apply(ApplyContext& ctx, const UploadSettlementFile& c);
// Gives unallocated escrow funds to the caller's settlements waiting for them, oldest first, and
// applies what a completed (RECONCILED) settlement does. Returns the ids it completed.
std::vector<std::string> AllocateEscrowFunds(ApplyContext& ctx, const std::string& client_id,
                                             const std::string& currency);

// Hooks and deliveries (handlers_hooks.cc).
Status Preflight(const CreateHook& c, const Caller&, std::vector<FieldError>* errors);
Status Preflight(const UpdateHook& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreateHook& c);
Outcome Apply(ApplyContext& ctx, const UpdateHook& c);
Outcome Apply(ApplyContext& ctx, const GetHook& c);
Outcome Apply(ApplyContext& ctx, const ListHooks& c);
Outcome Apply(ApplyContext& ctx, const TakeDueDeliveries& c);
Outcome Apply(ApplyContext& ctx, const RecordDeliveries& c);

// Orchestrated payments (handlers_payments.cc).
Outcome Apply(ApplyContext& ctx, const PutApiKey& c);
Outcome Apply(ApplyContext& ctx, const FindApiKey& c);
Status Preflight(const CreatePayment& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const CreatePayment& c);
Outcome Apply(ApplyContext& ctx, const GetPayment& c);
Outcome Apply(ApplyContext& ctx, const BeginPspOperation& c);
Outcome Apply(ApplyContext& ctx, const RecordPspResult& c);
Outcome Apply(ApplyContext& ctx, const ListDuePspWork& c);
// Writes a message to every webhook endpoint of the payment's client (`refund`: a Refund event).
void NotifyPayment(ApplyContext& ctx, const Payment& p, WebhookEvent event,
                   const PspOperation* refund = nullptr);
Status Preflight(const PutWebhookEndpoint& c, const Caller&, std::vector<FieldError>* errors);
Outcome Apply(ApplyContext& ctx, const PutWebhookEndpoint& c);
Outcome Apply(ApplyContext& ctx, const RemoveWebhookEndpoint& c);
Outcome Apply(ApplyContext& ctx, const ListWebhookEndpoints& c);
Outcome Apply(ApplyContext& ctx, const TakeDueWebhooks& c);
Outcome Apply(ApplyContext& ctx, const RecordWebhookAttempts& c);
Outcome Apply(ApplyContext& ctx, const ReceivePspEvents& c);

// Idempotency (service.cc).
Outcome Apply(ApplyContext& ctx, const GetStoredResponse& c);
Outcome Apply(ApplyContext& ctx, const Refused& c);

// `fields` without the `reserved` ones: what a request may not change through a patch.
std::vector<std::string> EditableFields(const std::vector<std::string>& fields,
                                        std::initializer_list<const char*> reserved);

// Account set-up shared by handlers: the client's FEES_/CREDIT_ wallets (entities and ledger
// accounts) in `currency`. Idempotent; call only once the command cannot fail any more.
void EnsureClientWallets(ApplyContext& ctx, const std::string& client_id,
                         const std::string& currency);

}  // namespace splitledger::service
