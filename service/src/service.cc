#include "splitledger/service/service.h"

#include <chrono>
#include <thread>

#include "handlers.h"
#include "outcome_codec.h"
#include "splitledger/ledger/sequencer.h"
#include "splitledger/ledger/state.h"
#include "splitledger/ledger/store.h"

namespace splitledger::service {
namespace {

// The id of what a creating command made, for the idempotency conflict body.
std::string ResourceIdOf(const Value& v) {
  if (const auto* u = std::get_if<Box<User>>(&v)) return (*u)->id;
  if (const auto* w = std::get_if<WalletView>(&v)) return w->wallet.id;
  if (const auto* i = std::get_if<IntentSnapshot>(&v)) return IntentIdOf(*i);
  return {};
}

// Runs one command on the writer: the idempotency check, the handler, the idempotency record.
// A reused key yields the conflict and no effect. The record holds the typed outcome, so it is
// written in the same batch as the effects and rendered later by the dialect.
// `refused` is the outcome of a failed preflight: with a key, it is recorded like any outcome
// (Echo blocks a key whatever its first response was), without running the handler.
Outcome ApplyEnvelope(ledger::State& state, const Envelope& env,
                      const std::optional<Outcome>& refused) {
  const std::string& client = env.caller.client_id;
  if (env.idempotency) {
    if (const ledger::IdempotencyRecord* rec =
            state.FindIdempotency(client, env.idempotency->key)) {
      Outcome o = Outcome::Error(Status(ErrorCode::kAlreadyExists, "idempotency key already used"));
      o.value =
          IdempotencyConflict{rec->resource_id, rec->request_hash == env.idempotency->request_hash};
      return o;
    }
  }
  ApplyContext ctx{state, env.caller};
  Outcome out = refused
                    ? *refused
                    : std::visit([&ctx](const auto& cmd) { return Apply(ctx, cmd); }, env.command);
  if (env.idempotency) {
    ledger::IdempotencyRecord rec;
    rec.client_id = client;
    rec.key = env.idempotency->key;
    rec.request_hash = env.idempotency->request_hash;
    rec.request_url = env.idempotency->request_url;
    rec.resource_id = ResourceIdOf(out.value);
    rec.created_at = ctx.now_s();
    rec.result.data = EncodeOutcome(out);
    state.PutIdempotency(std::move(rec));
  }
  return out;
}

// One command on its way through the writer. How its outcome is delivered (a promise someone
// waits on, or a sink that hands it on) is the subclass's.
class CommandJob : public ledger::Job {
 public:
  CommandJob(Envelope env, std::optional<Outcome> refused)
      : env_(std::move(env)), refused_(std::move(refused)) {}

  void Apply(ledger::State& state) override { out_ = ApplyEnvelope(state, env_, refused_); }
  void Complete(const Status& commit) override {
    if (!commit.ok()) out_ = Outcome::Error(commit);
    Deliver(std::move(out_));
  }

 protected:
  virtual void Deliver(Outcome outcome) = 0;

 private:
  Envelope env_;
  std::optional<Outcome> refused_;
  Outcome out_ = Outcome::Error(Status::Internal("command did not run"));
};

class PromiseJob final : public CommandJob {
 public:
  using CommandJob::CommandJob;
  std::future<Outcome> future() { return promise_.get_future(); }

 private:
  void Deliver(Outcome outcome) override { promise_.set_value(std::move(outcome)); }
  std::promise<Outcome> promise_;
};

class SinkJob final : public CommandJob {
 public:
  SinkJob(Envelope env, std::optional<Outcome> refused, std::unique_ptr<OutcomeSink> sink)
      : CommandJob(std::move(env), std::move(refused)), sink_(std::move(sink)) {}

 private:
  void Deliver(Outcome outcome) override {
    OutcomeSink::Take(std::move(sink_), std::move(outcome));
  }
  std::unique_ptr<OutcomeSink> sink_;
};

}  // namespace

Outcome Apply(ApplyContext& ctx, const GetStoredResponse& c) {
  const ledger::IdempotencyRecord* r = ctx.state.FindIdempotency(ctx.caller.client_id, c.key);
  if (r == nullptr)
    return Outcome::Error(Status::NotFound("No response stored for this key", "idempotency_key"));
  StoredResponse s;
  s.request_url = r->request_url;
  s.created_at = r->created_at;
  s.outcome = r->result.data;
  s.legacy_status = static_cast<int>(r->status_code);
  s.legacy_content_type = r->content_type;
  s.legacy_body = r->body;
  return Outcome::Of(std::move(s));
}

Outcome Apply(ApplyContext&, const Refused&) {
  // Never applied: a refusal travels with its outcome (Service::Refuse).
  return Outcome::Error(Status::Internal("a refused request has nothing to apply"));
}

Status Preflight(const Command& command, const Caller& caller, std::vector<FieldError>* errors) {
  return std::visit([&](const auto& cmd) { return Preflight(cmd, caller, errors); }, command);
}

Result<std::unique_ptr<Service>> Service::Open(const ServiceOptions& options) {
  ledger::StoreOptions so;
  so.url = options.db_url;
  so.durable = options.durable;
  so.lease_wait_ms = options.lease_wait_ms;
  auto store = ledger::Store::Open(so);
  if (!store.ok()) return store.status();
  std::unique_ptr<Service> svc(new Service());
  svc->store_ = std::move(*store);
  svc->state_ = std::make_unique<ledger::State>();
  svc->state_->SetIntentCache(options.max_cached_intents, svc->store_.get());
  SL_RETURN_IF_ERROR(svc->store_->Load(*svc->state_));
  svc->seq_ = std::make_unique<ledger::Sequencer>(*svc->store_, *svc->state_,
                                                  ledger::SequencerOptions{options.max_batch});
  return svc;
}

Service::~Service() { Stop(); }

void Service::Stop() {
  if (seq_) seq_->Stop();
}

std::optional<Outcome> Service::RunPreflight(Envelope& envelope, bool* answered) {
  std::vector<FieldError> errors;
  Status pre = Preflight(envelope.command, envelope.caller, &errors);
  *answered = false;
  if (pre.ok()) return std::nullopt;
  // Without a key there is nothing to record: the refusal is the answer, without the writer.
  *answered = !envelope.idempotency;
  return Outcome{std::move(pre), std::move(errors), {}};
}

std::future<Outcome> Service::Submit(Envelope envelope) {
  bool answered = false;
  std::optional<Outcome> refused = RunPreflight(envelope, &answered);
  if (answered) {
    std::promise<Outcome> p;
    p.set_value(std::move(*refused));
    return p.get_future();
  }
  return Queue(std::move(envelope), std::move(refused));
}

void Service::SubmitAsync(Envelope envelope, std::unique_ptr<OutcomeSink> sink) {
  bool answered = false;
  std::optional<Outcome> refused = RunPreflight(envelope, &answered);
  if (answered) return OutcomeSink::Take(std::move(sink), std::move(*refused));
  seq_->Submit(std::make_unique<SinkJob>(std::move(envelope), std::move(refused), std::move(sink)));
}

std::future<Outcome> Service::Queue(Envelope envelope, std::optional<Outcome> refused) {
  auto job = std::make_unique<PromiseJob>(std::move(envelope), std::move(refused));
  std::future<Outcome> f = job->future();
  seq_->Submit(std::move(job));
  return f;
}

Outcome Service::Execute(Envelope envelope) { return Submit(std::move(envelope)).get(); }

Outcome Service::Refuse(Envelope envelope, Outcome refusal) {
  if (!envelope.idempotency) return refusal;
  return Queue(std::move(envelope), std::move(refusal)).get();
}

Status Service::CatchUpProjection() {
  // Everything acknowledged before this call is durable by now: wait until the tables hold it.
  const uint64_t want = store_->durable_lsn();
  for (int i = 0; store_->projected_lsn() < want; ++i) {
    if (i == 500) return Status::Unavailable("the projection is behind; retry");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Ok();
}

Result<EventList> Service::ListEvents(const std::string& client_id, const EventFilter& filter) {
  SL_RETURN_IF_ERROR(CatchUpProjection());
  ledger::EventQuery q{client_id,          filter.event_type,   filter.after_date,
                       filter.before_date, filter.newest_first, filter.offset,
                       filter.limit};
  auto page = store_->QueryEvents(q);
  if (!page.ok()) return page.status();
  EventList out;
  out.total = page->total;
  for (ledger::EventRecord& e : page->events) {
    out.items.push_back({std::move(e.resource_id), std::move(e.event_type), e.date});
  }
  return out;
}

Result<std::vector<WebhookMessage>> Service::ListWebhookMessages(const std::string& client_id,
                                                                 const std::string& environment,
                                                                 const std::string& intent_id,
                                                                 int64_t limit) {
  SL_RETURN_IF_ERROR(CatchUpProjection());
  return store_->QueryWebhookMessages(client_id, environment, intent_id, limit);
}

ServiceStats Service::stats() const {
  ledger::SequencerStats s = seq_->stats();
  ServiceStats out;
  out.batches = s.batches;
  out.commands = s.commands;
  out.failed_commits = s.failed_commits;
  out.apply_micros_total = s.apply_micros_total;
  out.commit_micros_total = s.commit_micros_total;
  out.durable_lsn = s.durable_lsn;
  out.projected_lsn = s.projected_lsn;
  out.projection_micros_total = s.projection_micros_total;
  out.projection_failures = s.projection_failures;
  out.projections = s.projections;
  out.intent_reads = s.intent_reads;
  out.intents_cached = s.intents_cached;
  for (const ledger::TableWriteCost& c : s.projection_tables) {
    out.projection_tables.push_back({c.table, c.rows, c.nanos});
  }
  return out;
}

StartReport Service::start_report() const {
  const ledger::RecoveryReport& r = store_->recovery();
  return StartReport{r.log_records, r.replayed, r.torn_bytes_cut, r.snapshot_records};
}

std::vector<uint32_t> Service::TakeBatchSizes() { return seq_->TakeBatchSizes(); }

Status Service::PublishAdminEndpoint(const AdminEndpoint& endpoint) {
  return store_->PublishAdminEndpoint(
      {endpoint.address, endpoint.secret_hash, endpoint.secret_file});
}

Result<AdminEndpoint> ReadAdminEndpoint(const std::string& db_url) {
  ledger::StoreOptions so;
  so.url = db_url;
  so.writer = false;
  auto store = ledger::Store::Open(so);
  if (!store.ok()) return store.status();
  auto ep = (*store)->ReadAdminEndpoint();
  if (!ep.ok()) return ep.status();
  return AdminEndpoint{ep->address, ep->secret_hash, ep->secret_file};
}

bool Service::sqlite() const { return store_->backend() == ledger::Backend::kSqlite; }

}  // namespace splitledger::service
