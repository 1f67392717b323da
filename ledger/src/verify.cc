#include "splitledger/ledger/verify.h"

#include <soci/soci.h>

#include <map>

#include "splitledger/ledger/intent_ops.h"

namespace splitledger::ledger {
namespace {

long long AsInt(const soci::row& r, size_t i) {
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_integer: return r.get<int>(i);
    case soci::dt_long_long: return r.get<long long>(i);
    case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
    case soci::dt_double: return static_cast<long long>(r.get<double>(i));
    default: return std::stoll(r.get<std::string>(i));
  }
}

void Diff(VerifyReport& rep, const std::string& what, long long stored, long long derived) {
  if (stored != derived) {
    rep.differences.push_back(what + ": stored " + std::to_string(stored) + ", journal gives " +
                              std::to_string(derived));
  }
}

}  // namespace

Result<VerifyReport> Verify(Store& store) {
  VerifyReport rep;
  State stored;
  SL_RETURN_IF_ERROR(store.Load(stored));
  rep.accounts = stored.book().accounts().size();

  // 1. Replay the journal into a fresh book, checking balance and running balances.
  std::unordered_map<int64_t, Account> replay;
  try {
    soci::session& sql = store.session();
    soci::rowset<soci::row> rs = sql.prepare
        << "SELECT p.tx_id, p.account_id, p.side, p.phase, p.amount, p.posted_balance_after, "
           "p.pending_balance_after FROM postings p ORDER BY p.tx_id, p.seq";
    long long current_tx = -1;
    std::map<std::pair<std::string, int>, __int128> sums;
    auto close_tx = [&] {
      for (const auto& [k, s] : sums) {
        if (s != 0) {
          rep.differences.push_back("transaction " + std::to_string(current_tx) +
                                    " does not balance in " + k.first + " (phase " +
                                    std::to_string(k.second) + ")");
        }
      }
      sums.clear();
    };
    for (const soci::row& r : rs) {
      long long tx = AsInt(r, 0);
      if (tx != current_tx) {
        if (current_tx >= 0) close_tx();
        current_tx = tx;
        rep.transactions++;
      }
      rep.postings++;
      int64_t account_id = AsInt(r, 1);
      auto side = static_cast<Side>(AsInt(r, 2));
      auto phase = static_cast<Phase>(AsInt(r, 3));
      Amount amount = AsInt(r, 4);
      const Account* meta = stored.book().FindById(account_id);
      if (meta == nullptr) {
        rep.differences.push_back("posting of tx " + std::to_string(tx) + " names unknown account " +
                                  std::to_string(account_id));
        continue;
      }
      Account& a = replay[account_id];
      a.id = account_id;
      Amount* total = nullptr;
      if (phase == Phase::kPosted) {
        total = side == Side::kDebit ? &a.debits_posted : &a.credits_posted;
      } else {
        total = side == Side::kDebit ? &a.debits_pending : &a.credits_pending;
      }
      *total += phase == Phase::kRelease ? -amount : amount;
      __int128& s = sums[{meta->key.currency, static_cast<int>(phase)}];
      s += side == Side::kDebit ? amount : -static_cast<__int128>(amount);
      Diff(rep, "running posted balance of account " + std::to_string(account_id) + " at tx " +
                    std::to_string(tx), AsInt(r, 5), a.posted_balance());
      Diff(rep, "running pending balance of account " + std::to_string(account_id) + " at tx " +
                    std::to_string(tx), AsInt(r, 6), a.pending_balance());
    }
    if (current_tx >= 0) close_tx();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }

  // 2. Account totals against the replay.
  Book derived;
  for (const auto& [id, a] : stored.book().accounts()) {
    Account r = replay.count(id) ? replay.at(id) : Account{};
    std::string name = "account " + std::to_string(id) + " (" + a.key.Joined() + ")";
    Diff(rep, name + " debits_posted", a.debits_posted, r.debits_posted);
    Diff(rep, name + " credits_posted", a.credits_posted, r.credits_posted);
    Diff(rep, name + " debits_pending", a.debits_pending, r.debits_pending);
    Diff(rep, name + " credits_pending", a.credits_pending, r.credits_pending);
    r.key = a.key;
    r.id = id;
    derived.LoadAccount(r);
  }

  // 3. Every intent amount against its ledger derivation.
  std::map<std::string, std::pair<long long, long long>> intent_rows;  // id -> (amount, fees)
  try {
    soci::rowset<soci::row> rs = store.session().prepare
                                 << "SELECT id, amount, platform_fees FROM intents";
    for (const soci::row& r : rs) intent_rows[r.get<std::string>(0)] = {AsInt(r, 1), AsInt(r, 2)};
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("verify failed: ") + e.what());
  }
  for (const auto& [key, intent] : stored.intents()) {
    rep.intents++;
    IntentFigures f = DeriveIntent(derived, intent);
    auto row = intent_rows[intent.id];
    Diff(rep, "intent " + intent.id + " Amount", row.first, f.amount);
    Diff(rep, "intent " + intent.id + " PlatformFeesAmount", row.second, f.platform_fees);
    for (size_t i = 0; i < intent.lines.size(); ++i) {
      rep.line_items++;
      const LineItem& l = intent.lines[i];
      const LineFigures& lf = f.lines[i];
      std::string n = "line " + l.id;
      Diff(rep, n + " TotalLineItemAmount", l.total, lf.total);
      Diff(rep, n + " CapturedAmount", l.captured, lf.captured);
      Diff(rep, n + " CancelledAmount", l.cancelled, lf.cancelled);
      Diff(rep, n + " Seller.FeesAmount", l.fee, lf.fee);
      Diff(rep, n + " remaining authorised", l.remaining(), lf.remaining);
      Diff(rep, n + " available to split", l.captured - l.refunded - l.disputed - l.split,
           lf.available);
    }
    Status inv = CheckInvariants(intent);
    if (!inv.ok()) rep.differences.push_back("invariant: " + inv.message());
  }
  return rep;
}

}  // namespace splitledger::ledger
