// Private to the ledger module: the tables of the described entities (core/entities.h), and the
// one-off conversion of release 0.1's JSON documents into them.
#pragma once

#include <string>
#include <string_view>

#include "splitledger/core/codec.h"
#include "splitledger/core/entities.h"
#include "splitledger/core/payment.h"
#include "splitledger/core/settlement.h"
#include "splitledger/ledger/store.h"
#include "table.h"

namespace splitledger::ledger {

// Rows of the ledger's own small tables, described like the entities.
template <class V>
void Describe(V& v, TokenRecord& t) {
  v.Field("token_hash", t.token_hash);
  v.Field("client_id", t.client_id);
  v.Field("expires_at", t.expires_at);
  v.Field("cert_fingerprint", t.cert_fingerprint);
}
template <class V>
void Describe(V& v, EventRecord& e) {
  v.Field("id", e.id);
  v.Field("client_id", e.client_id);
  v.Field("event_type", e.event_type);
  v.Field("resource_id", e.resource_id);
  v.Field("date", e.date);
}
template <class V>
void Describe(V& v, IdempotencyRecord& r) {
  v.Field("client_id", r.client_id);
  v.Field("idem_key", r.key);
  v.Field("request_hash", r.request_hash);
  v.Field("status_code", r.status_code);
  v.Field("content_type", r.content_type);
  v.Field("body", r.body);
  v.Field("request_url", r.request_url);
  v.Field("resource_id", r.resource_id);
  v.Field("created_at", r.created_at);
  v.Field("result", r.result);
}
struct WalletOwnerRow {
  std::string client_id, owner_id, wallet_id;
};
template <class V>
void Describe(V& v, WalletOwnerRow& r) {
  v.Field("client_id", r.client_id);
  v.Field("owner_id", r.owner_id);
  v.Field("wallet_id", r.wallet_id);
}
struct AdminEndpointRow {
  int64_t id = 1;  // a single row
  AdminEndpoint endpoint;
};
template <class V>
void Describe(V& v, AdminEndpointRow& r) {
  v.Field("id", r.id);
  v.Field("address", r.endpoint.address);
  v.Field("secret_hash", r.endpoint.secret_hash);
  v.Field("secret_file", r.endpoint.secret_file);
}

// A settlement's row: its scalar fields as columns, its lists (upload token hashes, validation
// errors, matches) as one binary column; its status by name.
struct SettlementRow {
  Settlement settlement;
  std::string status;
  Bytes details;

  static SettlementRow Of(const Settlement& s) {
    SettlementRow r{s, SettlementStatusName(s.status), {}};
    SettlementDetails d{s.upload_token_hashes, s.footer_errors, s.line_errors, s.matches};
    r.details.data = Encode(d);
    return r;
  }
  // The settlement, or nullopt when the stored status or lists are unreadable.
  std::optional<Settlement> Restore() const;
};
template <class V>
void Describe(V& v, SettlementRow& r) {
  Settlement& s = r.settlement;
  v.Field("id", s.id);
  v.Field("client_id", s.client_id);
  v.Field("status", r.status);
  v.Field("file_name", s.file_name);
  v.Field("created_at", s.created_at);
  v.Field("updated_at", s.updated_at);
  v.Field("settlement_date", s.settlement_date);
  v.Field("provider_name", s.provider_name);
  v.Field("currency", s.currency);
  v.Field("declared_intent_amount", s.declared_intent_amount);
  v.Field("processor_fees", s.processor_fees);
  v.Field("actual_amount", s.actual_amount);
  v.Field("details", r.details);
}
inline std::optional<Settlement> SettlementRow::Restore() const {
  Settlement s = settlement;
  bool known = false;
  for (int i = 0; i <= static_cast<int>(SettlementStatus::kCancelled); ++i) {
    if (status == SettlementStatusName(static_cast<SettlementStatus>(i))) {
      s.status = static_cast<SettlementStatus>(i);
      known = true;
    }
  }
  SettlementDetails d;
  if (!known || !Decode(details.data, &d)) return std::nullopt;
  s.upload_token_hashes = std::move(d.upload_token_hashes);
  s.footer_errors = std::move(d.footer_errors);
  s.line_errors = std::move(d.line_errors);
  s.matches = std::move(d.matches);
  return s;
}

template <class V>
void Describe(V& v, HookDelivery& d) {
  v.Field("id", d.id);
  v.Field("client_id", d.client_id);
  v.Field("hook_id", d.hook_id);
  v.Field("event_id", d.event_id);
  v.Field("event_type", d.event_type);
  v.Field("resource_id", d.resource_id);
  v.Field("date", d.date);
  v.Field("url", d.url);
  v.Field("attempts", d.attempts);
  v.Field("next_attempt_at", d.next_attempt_at);
  v.Field("delivered_at", d.delivered_at);
  v.Field("abandoned", d.abandoned);
  v.Field("last_error", d.last_error);
}

inline const Table<TokenRecord> kTokensTable{"oauth_tokens", {"token_hash"}};
inline const Table<ClientCertificate> kCertificatesTable{"client_certificates", {"fingerprint"}};
inline const Table<AdminUser> kAdminUsersTable{"admin_users", {"name"}};
inline const Table<Payment> kPaymentsTable{"payments", {"id"}};
inline const Table<PaymentAttempt> kAttemptsTable{"payment_attempts", {"id"}};
inline const Table<PspOperation> kPspOperationsTable{"psp_operations", {"id"}};
inline const Table<ApiKey> kApiKeysTable{"api_keys", {"key_hash"}};
inline const Table<WebhookEndpoint> kWebhookEndpointsTable{"webhook_endpoints", {"id"}};
inline const Table<WebhookMessage> kWebhookMessagesTable{"webhook_messages", {"id"}};
inline const Table<PspEvent> kPspEventsTable{"psp_events", {"key"}};
inline const Table<Hook> kHooksTable{"hooks", {"id"}};
inline const Table<HookDelivery> kHookDeliveriesTable{"hook_deliveries", {"id"}};
inline const Table<SettlementRow> kSettlementsTable{"settlements", {"id"}};
inline const Table<EventRecord> kEventsTable{"events", {"id"}};
inline const Table<IdempotencyRecord> kIdempotencyTable{"idempotency_keys",
                                                        {"client_id", "idem_key"}};
inline const Table<WalletOwnerRow> kWalletOwnersTable{"wallet_owners",
                                                      {"client_id", "owner_id", "wallet_id"}};
// How far the tables have applied the log (one row, written in each projection transaction).
struct ProjectionRow {
  int64_t id = 1;
  int64_t lsn = 0;
  int64_t log_offset = 0;
  std::string hash;  // hex
};
template <class V>
void Describe(V& v, ProjectionRow& r) {
  v.Field("id", r.id);
  v.Field("lsn", r.lsn);
  v.Field("log_offset", r.log_offset);
  v.Field("hash", r.hash);
}
inline const Table<ProjectionRow> kProjectionTable{"projection_state", {"id"}};
inline const Table<AdminEndpointRow> kAdminEndpointTable{"admin_endpoint", {"id"}};
inline const Table<Client> kClientsTable{"clients", {"id"}};
inline const Table<User> kUsersTable{"users", {"id"}};
inline const Table<Wallet> kWalletsTable{"wallets", {"id"}};
inline const Table<ClientWallet> kClientWalletsTable{"client_wallets",
                                                     {"client_id", "funds", "currency"}};

// Creates or extends every described table (Migrate calls it after the written migrations).
inline void SyncEntityTables(soci::session& sql, Backend backend) {
  SyncTable(sql, backend, kClientsTable);
  SyncTable(sql, backend, kUsersTable);
  SyncTable(sql, backend, kWalletsTable);
  SyncTable(sql, backend, kClientWalletsTable);
  SyncTable(sql, backend, kTokensTable);
  SyncTable(sql, backend, kCertificatesTable);
  SyncTable(sql, backend, kAdminUsersTable);
  SyncTable(sql, backend, kPaymentsTable);
  SyncTable(sql, backend, kAttemptsTable);
  SyncTable(sql, backend, kPspOperationsTable);
  SyncTable(sql, backend, kApiKeysTable);
  SyncTable(sql, backend, kWebhookEndpointsTable);
  SyncTable(sql, backend, kWebhookMessagesTable);
  SyncTable(sql, backend, kPspEventsTable);
  SyncTable(sql, backend, kEventsTable);
  SyncTable(sql, backend, kIdempotencyTable);
  SyncTable(sql, backend, kWalletOwnersTable);
  SyncTable(sql, backend, kAdminEndpointTable);
  SyncTable(sql, backend, kProjectionTable);
  SyncTable(sql, backend, kSettlementsTable);
  SyncTable(sql, backend, kHooksTable);
  SyncTable(sql, backend, kHookDeliveriesTable);
}

// Migration 2: converts release 0.1's `documents` (users, wallets, client wallets as Echo JSON)
// and `clients.profile` (JSON) into the typed tables, then drops the JSON. Throws on a document
// it cannot read, which rolls the migration back: nothing is lost silently.
void UpgradeDocumentsToEntities(soci::session& sql, Backend backend);

}  // namespace splitledger::ledger
