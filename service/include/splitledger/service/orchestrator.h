// The workflows that ask a PSP to move money (DESIGN §2, level 3): authorise, complete a customer
// action, capture, cancel an authorisation, refund, sync — each as
//
//   1. BeginPspOperation   durable record of the operation, before anything is sent;
//   2. the adapter         (plugins/loader) through the host's transport, on the calling thread —
//                          never on the writer;
//   3. RecordPspResult     the outcome and its ledger effect, durable.
//
// An outcome that is not known (a lost answer, a 5xx, a crash between 1 and 3) is never reported
// as failed: the operation stays open and the reconciler (Start) syncs it through the adapter with
// backoff until the PSP's state settles it. An operation is never sent twice: when the PSP's state
// still does not show it once it can no longer be in flight (settle_ms), it never happened and is
// recorded as failed — one request of a merchant never becomes two operations at the PSP.
//
// The reconciler also expires authorisations whose window has passed: it voids them at the PSP
// when it can, and releases their hold in the ledger either way.
//
// Thread-safe: every method may be called from any request thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "splitledger/service/service.h"

namespace splitledger::plugins {
class Adapter;
class Transport;
struct OpResult;
}  // namespace splitledger::plugins

namespace splitledger::service {

// A configured adapter instance the service may drive ("the sandbox", "njiapay_eu").
struct Connection {
  std::string name;
  std::string environment = "test";  // only keys of this environment may use it
  const plugins::Adapter* adapter = nullptr;
  int64_t authorization_window_s = 7 * 86400;
};

struct OrchestratorOptions {
  int64_t first_sync_delay_ms = 1000;         // after an unknown outcome; doubles per try
  int64_t max_sync_delay_ms = 5 * 60 * 1000;  // backoff cap
  int poll_ms = 500;                          // how often the reconciler looks for work
  // How long a request may still be performed by the PSP after it was sent (queues, retries on
  // its side): an operation the PSP's state does not show after this never happened.
  int64_t settle_ms = 10 * 60 * 1000;
  // A payment pending with no operation open (the customer on a PSP's page) is synced after this.
  int64_t pending_sync_s = 30;
};

struct AuthorizeRequest {
  // The merchant reference sent to the PSP (a sync finds the payment by it) is the operation's id
  // followed by this suffix: the sandbox adapter reads its script from it ("-decline", …).
  std::string payment_id_suffix;
  std::string return_url;  // where a PSP-hosted page sends the customer back
};

class Orchestrator {
 public:
  Orchestrator(Service& service, plugins::Transport* transport, std::vector<Connection> connections,
               OrchestratorOptions options = {});
  ~Orchestrator();  // Stop()s
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  const Connection* Find(const std::string& name) const;
  const std::vector<Connection>& connections() const { return connections_; }

  // Each returns a refusal (the payment's state, another operation open, an unknown payment)
  // when nothing was sent; otherwise the payment as it stands after the operation, whose `op`
  // says how it ended (still open when the outcome is unknown: the reconciler resolves it).
  // Capture-mode `immediate`: an authorisation that the PSP only held is captured at once.
  Result<PaymentView> Authorize(const Caller& caller, const std::string& payment_id,
                                const AuthorizeRequest& request);
  Result<PaymentView> CompleteAction(const Caller& caller, const std::string& payment_id,
                                     const std::string& resume_params);
  Result<PaymentView> Capture(const Caller& caller, const std::string& payment_id);
  Result<PaymentView> Cancel(const Caller& caller, const std::string& payment_id);
  Result<PaymentView> Refund(const Caller& caller, const std::string& payment_id, Amount amount,
                             const std::string& reason);
  // Reads the payment's state at the PSP now (a customer back from a PSP-hosted page, a webhook).
  Result<PaymentView> Sync(const Caller& caller, const std::string& payment_id);

  // Wakes the reconciler now (a PSP webhook marked payments to sync, durably: ReceivePspEvents).
  void WakeUp();

  // One pass of the reconciler: requested syncs, due syncs of open operations, lapsed
  // authorisations. Returns how many items it handled.
  size_t ReconcileOnce();
  void Start();  // the reconciler thread
  void Stop();

 private:
  struct Sent;
  Result<PaymentView> Run(const Caller& caller, PspOperation op,
                          const std::string& payment_id_suffix, const std::string& return_url,
                          const std::string& resume_params);
  // Sends `op` of `view` to the adapter and records what it said.
  Result<PaymentView> SendAndRecord(const Caller& caller, const PaymentView& view,
                                    const PspOperation& op, const std::string& return_url,
                                    const std::string& resume_params);
  Result<PaymentView> Record(const Caller& caller, const PspOperation& op, PspReport report);
  Result<PaymentView> CaptureIfImmediate(const Caller& caller, Result<PaymentView> view);
  void Resolve(const PspWorkItem& item);
  void Expire(const PspWorkItem& item);
  int64_t NextSyncAt(const PspOperation& op) const;
  void Track(const std::string& op_id, bool on);
  bool TryTrack(const std::string& op_id);  // false: already in flight here

  Service& service_;
  plugins::Transport* transport_;
  std::vector<Connection> connections_;
  OrchestratorOptions options_;
  std::mutex mu_;
  std::set<std::string> in_flight_;  // operation ids this process is sending now
  bool wake_ = false;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace splitledger::service
