// The binary form of an Outcome (commands.h), for idempotency records: the status, the field
// errors, then the value's alternative index and its described fields (core/codec.h).
#include "outcome_codec.h"
#include "splitledger/core/codec.h"
#include "splitledger/core/intent_describe.h"

namespace splitledger::service {

template <class V>
void Describe(V& v, WalletView& w) {
  v.Nested("wallet_", w.wallet);
  v.Field("balance", w.balance);
}

template <class V>
void Describe(V& v, FieldError& e) {
  v.Field("name", e.field.name);
  v.Field("line", e.field.line);
  v.Field("message", e.message);
}

IntentSnapshot EncodeIntentView(const Intent& intent, const IntentFigures& figures,
                                IntentAction action, const std::string& action_id) {
  ByteWriter w;
  w.Reserve(1024);
  Describe(w, const_cast<Intent&>(intent));
  Describe(w, const_cast<IntentFigures&>(figures));
  w.I64(static_cast<int64_t>(action));
  w.Str(action_id);
  return IntentSnapshot{w.Take()};
}

std::string IntentIdOf(const IntentSnapshot& snapshot) {
  ByteReader r(snapshot.bytes);
  std::string id;  // DescribeIntentHeader starts with the id
  return r.Str(&id) ? id : std::string();
}

bool DecodeIntentView(const IntentSnapshot& snapshot, IntentView* out) {
  ByteReader r(snapshot.bytes);
  if (snapshot.layout == 1) {
    // Release 0.3 and earlier: no refunds, disputes or splits in actions and figures.
    LegacyReader intent(r, {"fee_restored", "parent_id", "updated_at", "splits"});
    Describe(intent, out->intent);
    LegacyReader figures(r, {"refunded", "disputed", "split", "unfunded"});
    Describe(figures, out->figures);
    out->figures.unfunded = out->intent.unfunded_amount;  // what it showed then: the given value
  } else {
    Describe(r, out->intent);
    Describe(r, out->figures);
  }
  RestoreDerivedFields(out->intent);
  int64_t action = 0;
  if (!r.ok() || !r.I64(&action) || action < 0 ||
      action > static_cast<int64_t>(IntentAction::kDisputeDecision) || !r.Str(&out->action_id))
    return false;
  out->action = static_cast<IntentAction>(action);
  return r.done();
}

namespace {
// Bump when a described layout changes incompatibly, and keep reading the older ones.
// 1: release 0.3 and earlier. 2: intents with refunds, disputes and splits.
constexpr uint64_t kFormat = 2;

// The value alternatives an idempotent (creating) command can produce.
enum class Kind : uint64_t {
  kNone = 0,
  kUser = 1,
  kWallet = 2,
  kIntent = 3,
  kClient = 4,
  kSplit = 5,
  kSplitList = 6,
  kSettlement = 7,
  kHook = 8,
};
}  // namespace

template <class V>
void Describe(V& v, SplitView& s) {
  v.Nested("", s.split);
  v.Field("intent_id", s.intent_id);
  v.Field("line_item_id", s.line_item_id);
  v.Field("seller_id", s.seller_id);
  v.Field("wallet_id", s.wallet_id);
}
template <class V>
void Describe(V& v, SettlementView& s) {
  v.Nested("", s.settlement);
  v.Field("funded", s.funded);
  v.Field("funds_missing", s.funds_missing);
}
template <class V>
void Describe(V& v, SplitList& l) {
  describe_detail::Each(v, "items", l.items);
}

std::string EncodeOutcome(const Outcome& o) {
  ByteWriter w;
  w.U64(kFormat);
  w.U64(static_cast<uint64_t>(o.status.code()));
  w.Str(o.status.message());
  w.Str(o.status.field());
  w.I64(o.status.line());
  w.U64(o.errors.size());
  for (const FieldError& e : o.errors) Describe(w, const_cast<FieldError&>(e));
  if (const auto* u = std::get_if<Box<User>>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kUser));
    Describe(w, const_cast<User&>(**u));
  } else if (const auto* wv = std::get_if<WalletView>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kWallet));
    Describe(w, const_cast<WalletView&>(*wv));
  } else if (const auto* snap = std::get_if<IntentSnapshot>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kIntent));
    w.Str(snap->bytes);
  } else if (const auto* c = std::get_if<Box<Client>>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kClient));
    Describe(w, const_cast<Client&>(**c));
  } else if (const auto* sv = std::get_if<SplitView>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kSplit));
    Describe(w, const_cast<SplitView&>(*sv));
  } else if (const auto* sl = std::get_if<SplitList>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kSplitList));
    Describe(w, const_cast<SplitList&>(*sl));
  } else if (const auto* h = std::get_if<Box<Hook>>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kHook));
    Describe(w, const_cast<Hook&>(**h));
  } else if (const auto* st = std::get_if<Box<SettlementView>>(&o.value)) {
    w.U64(static_cast<uint64_t>(Kind::kSettlement));
    Describe(w, const_cast<SettlementView&>(**st));
  } else {
    w.U64(static_cast<uint64_t>(Kind::kNone));
  }
  return w.Take();
}

bool DecodeOutcome(std::string_view bytes, Outcome* out) {
  ByteReader r(bytes);
  uint64_t format = 0, code = 0, n = 0, kind = 0;
  std::string message, field;
  int64_t line = -1;
  if (!r.U64(&format) || format < 1 || format > kFormat || !r.U64(&code) ||
      code > static_cast<uint64_t>(ErrorCode::kInternal) || !r.Str(&message) || !r.Str(&field) ||
      !r.I64(&line) || !r.U64(&n) || n > bytes.size()) {
    return false;
  }
  out->status =
      Status(static_cast<ErrorCode>(code), message, FieldRef(field, static_cast<int>(line)));
  out->errors.assign(n, {});
  for (FieldError& e : out->errors) Describe(r, e);
  if (!r.ok() || !r.U64(&kind)) return false;
  switch (static_cast<Kind>(kind)) {
    case Kind::kNone:
      out->value = std::monostate{};
      break;
    case Kind::kUser:
      Describe(r, *out->value.emplace<Box<User>>());
      break;
    case Kind::kWallet:
      Describe(r, out->value.emplace<WalletView>());
      break;
    case Kind::kIntent: {
      IntentSnapshot& snap = out->value.emplace<IntentSnapshot>();
      r.Str(&snap.bytes);
      snap.layout = static_cast<int>(format);
      break;
    }
    case Kind::kClient:
      Describe(r, *out->value.emplace<Box<Client>>());
      break;
    case Kind::kSplit:
      Describe(r, out->value.emplace<SplitView>());
      break;
    case Kind::kSplitList:
      Describe(r, out->value.emplace<SplitList>());
      break;
    case Kind::kHook:
      Describe(r, *out->value.emplace<Box<Hook>>());
      break;
    case Kind::kSettlement:
      Describe(r, *out->value.emplace<Box<SettlementView>>());
      break;
    default:
      return false;
  }
  return r.done();
}

}  // namespace splitledger::service
