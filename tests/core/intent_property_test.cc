// Randomised property test of the Intent aggregate against a small reference model.
//
// Each seed drives one long random sequence of create / add lines / full and partial capture /
// full and partial cancel (random fee parts: none, explicit per line, top-level, both), with valid
// and invalid requests mixed. The model below is written from the rules (echo-api.md §8.1–8.3,
// DESIGN §4, the fee rule in intent.h) with plain structs and __int128, and never calls core's
// planning code. After every step:
//   * core accepted the request iff the model did (and never answers bad input with kInternal);
//   * every line's running totals (total, fee, initial fee, captured, cancelled), the status and
//     the action record equal the model's;
//   * per line captured + cancelled <= total, 0 <= fee <= initial fee, a fully cancelled line has
//     fee 0; PlatformFeesAmount == Σ fees, Amount == Σ totals, CheckInvariants is OK;
//   * a top-level cancel fee is split exactly (Σ parts == PlatformFeesAmount) and Allocate on
//     state-derived inputs sums exactly and matches an independent largest-remainder allocation.
//
// Seeds are fixed; a failure prints its seed and step. SL_PROP_SEED=<n> runs that seed alone,
// SL_PROP_SEEDS=<count> changes how many seeds run.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "alloc_ref.h"
#include "splitledger/core/allocation.h"
#include "splitledger/core/intent.h"

namespace splitledger {
namespace {

using i128 = __int128;
using testing_util::RefAllocate;

constexpr int kDefaultSeeds = 2000;
constexpr int kMaxOps = 60;
constexpr uint64_t kSeedBase = 0x5eed0000;

std::string Str(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  std::string s;
  while (v != 0) {
    int d = static_cast<int>(v % 10);
    s.insert(s.begin(), static_cast<char>('0' + (neg ? -d : d)));
    v /= 10;
  }
  return neg ? "-" + s : s;
}

// ---------------------------------------------------------------------------------------------
// The reference model

struct MLine {
  std::string id;
  i128 total = 0;
  i128 fee_initial = 0;
  i128 fee = 0;
  i128 captured = 0;
  i128 cancelled = 0;
  i128 remaining() const { return total - captured - cancelled; }
};

struct Model {
  bool exists = false;
  std::string currency;
  IntentStatus status = IntentStatus::kAuthorized;
  bool any_capture = false;
  bool any_partial_capture = false;
  std::vector<MLine> lines;

  i128 amount() const {
    i128 s = 0;
    for (const MLine& l : lines) s += l.total;
    return s;
  }
  bool all_remaining_zero() const {
    for (const MLine& l : lines) {
      if (l.remaining() != 0) return false;
    }
    return true;
  }
};

bool ValidCurrency(const std::string& c) {
  return c == "EUR" || c == "JPY" || c == "KWD" || c == "USD" || c == "CLF";
}

// The lines a create / add-lines request would add, or nullopt if it must be refused.
std::optional<std::vector<MLine>> ModelNewLines(const Model& m, const CreateIntentInput& in,
                                                const std::vector<std::string>& ids) {
  if (in.lines.empty() || m.lines.size() + in.lines.size() > 100) return std::nullopt;
  std::vector<MLine> out;
  i128 req_amount = 0, req_fees = 0;
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const LineItemInput& li = in.lines[i];
    if (li.quantity < 1 || li.unit_amount < 0 || li.tax_amount < 0 || li.discount_amount < 0 ||
        li.seller.fees_amount < 0) {
      return std::nullopt;
    }
    i128 gross = i128(li.unit_amount) * li.quantity;
    if (gross > INT64_MAX) return std::nullopt;
    if (li.discount_amount > gross) return std::nullopt;
    i128 total = gross - li.discount_amount;
    if (li.seller.fees_amount > total) return std::nullopt;
    MLine l;
    l.id = ids[i];
    l.total = total;
    l.fee_initial = l.fee = li.seller.fees_amount;
    req_amount += total;
    req_fees += l.fee;
    out.push_back(l);
  }
  if (m.amount() + req_amount > INT64_MAX) return std::nullopt;
  if (in.amount && i128(*in.amount) != req_amount) return std::nullopt;
  if (in.platform_fees && i128(*in.platform_fees) != req_fees) return std::nullopt;
  return out;
}

struct MPart {
  size_t index;
  i128 amount;
  std::optional<i128> fee;
};

// A partial request's lines merged per line item (first-appearance order), or nullopt.
std::optional<std::vector<MPart>> ModelResolve(const Model& m, const ActionInput& in) {
  if (in.lines.empty() || !in.amount || *in.amount <= 0) return std::nullopt;
  if (in.currency && *in.currency != m.currency) return std::nullopt;
  std::vector<MPart> parts;
  i128 sum = 0;
  for (const LineAmountInput& l : in.lines) {
    size_t idx = m.lines.size();
    for (size_t i = 0; i < m.lines.size(); ++i) {
      if (m.lines[i].id == l.line_item_id) idx = i;
    }
    if (idx == m.lines.size()) return std::nullopt;
    if (l.amount <= 0) return std::nullopt;
    if (l.fees_amount && *l.fees_amount < 0) return std::nullopt;
    sum += l.amount;
    MPart* p = nullptr;
    for (MPart& q : parts) {
      if (q.index == idx) p = &q;
    }
    if (p == nullptr) {
      parts.push_back({idx, 0, std::nullopt});
      p = &parts.back();
    }
    p->amount += l.amount;
    if (l.fees_amount) {
      p->fee = p->fee.value_or(0) + *l.fees_amount;
      if (*p->fee > INT64_MAX) return std::nullopt;
    }
  }
  if (sum > INT64_MAX || sum != *in.amount) return std::nullopt;
  return parts;
}

struct ModelOutcome {
  bool accepted = false;
  i128 action_amount = 0;
  i128 fee_removed = 0;
};

ModelOutcome ModelCapture(Model& m, const ActionInput& in) {
  ModelOutcome o;
  Model next = m;
  if (!in.partial) {
    if (m.any_capture || m.status != IntentStatus::kAuthorized || m.all_remaining_zero()) return o;
    for (MLine& l : next.lines) {
      o.action_amount += l.remaining();
      l.captured += l.remaining();
    }
  } else {
    if (m.status != IntentStatus::kAuthorized && m.status != IntentStatus::kPartiallyCaptured) {
      return o;
    }
    auto parts = ModelResolve(m, in);
    if (!parts) return o;
    for (const MPart& p : *parts) {
      MLine& l = next.lines[p.index];
      if (p.amount > l.remaining()) return o;
      l.captured += p.amount;
      o.action_amount += p.amount;
    }
    next.any_partial_capture = true;
  }
  next.any_capture = true;
  next.status =
      next.all_remaining_zero() ? IntentStatus::kCaptured : IntentStatus::kPartiallyCaptured;
  m = next;
  o.accepted = true;
  return o;
}

ModelOutcome ModelCancel(Model& m, const ActionInput& in) {
  ModelOutcome o;
  if (m.status != IntentStatus::kAuthorized) return o;
  Model next = m;
  if (!in.partial) {
    bool any = false;
    for (MLine& l : next.lines) {
      if (l.remaining() > 0 || l.fee > 0) any = true;
      o.action_amount += l.remaining();
      o.fee_removed += l.fee;
      l.cancelled += l.remaining();
      l.fee = 0;
    }
    if (!any) return o;
  } else {
    auto parts = ModelResolve(m, in);
    if (!parts) return o;
    bool any_line_fee = false;
    for (const MPart& p : *parts) any_line_fee |= p.fee.has_value();
    std::vector<int64_t> top(parts->size(), 0);
    bool use_top = false;
    if (in.platform_fees && !any_line_fee) {
      std::vector<int64_t> weights;
      for (const MPart& p : *parts) weights.push_back(static_cast<int64_t>(p.amount));
      std::vector<int64_t> alloc;
      if (!RefAllocate(*in.platform_fees, weights, &alloc)) return o;  // negative
      top = alloc;
      use_top = true;
    } else if (in.platform_fees) {
      i128 sum = 0;
      for (const MPart& p : *parts) sum += p.fee.value_or(0);
      if (sum != *in.platform_fees) return o;
    }
    for (size_t k = 0; k < parts->size(); ++k) {
      const MPart& p = (*parts)[k];
      MLine& l = next.lines[p.index];
      if (p.amount > l.remaining()) return o;
      i128 rem_after = l.remaining() - p.amount;
      std::optional<i128> stated = p.fee;
      if (!stated && use_top) stated = top[k];
      i128 removed;
      if (stated) {
        if (*stated > l.fee) return o;                     // never more than the remaining fee
        if (rem_after == 0 && *stated != l.fee) return o;  // a whole line takes its whole fee
        if (l.fee - *stated > rem_after) return o;         // fee <= what is left of the line
        removed = *stated;
      } else {
        // Running totals: after cancelling C of T, at most F − floor(F·C/T) of the fee is left.
        i128 c_after = l.cancelled + p.amount;
        i128 target = l.fee_initial - l.fee_initial * c_after / l.total;
        removed = l.fee > target ? l.fee - target : 0;
      }
      l.cancelled += p.amount;
      l.fee -= removed;
      o.action_amount += p.amount;
      o.fee_removed += removed;
    }
  }
  next.status = next.all_remaining_zero() ? IntentStatus::kCancelled : IntentStatus::kAuthorized;
  m = next;
  o.accepted = true;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Random requests

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  int pick(int n) { return static_cast<int>(g() % static_cast<uint64_t>(n)); }
  // Uniform-ish in [lo, hi] (inclusive); lo <= hi.
  int64_t range(i128 lo, i128 hi) {
    if (hi < lo) hi = lo;
    i128 span = hi - lo + 1;
    i128 r = (span > i128(UINT64_MAX)) ? i128(g()) : i128(g() % static_cast<uint64_t>(span));
    return static_cast<int64_t>(lo + r);
  }
};

int64_t Clip(i128 v) {
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(v);
}

const char* kValid[] = {"EUR", "JPY", "KWD", "USD", "CLF"};
const char* kInvalid[] = {"eur", "", "XXX", "EURO", "Usd"};

// One requested line. With `faults`, a few of its fields may break a rule.
LineItemInput GenLine(Rng& r, bool faults, bool allow_huge, i128* total_out) {
  LineItemInput l;
  l.sku = "sku";
  l.name = "item";
  l.seller.author_id = "user_m_s";
  l.seller.wallet_id = "wlt_m_s";
  int q = faults ? r.pick(100) : 2 + r.pick(98);
  l.quantity = q == 0 ? 0 : q == 1 ? -r.range(1, 3) : r.range(1, q < 10 ? 1000 : 5);
  int64_t qty = l.quantity >= 1 ? l.quantity : 1;
  int u = faults ? r.pick(100) : 2 + r.pick(98);
  if (!allow_huge && u >= 2 && u < 10) u = 14;
  if (u < 2) {
    l.unit_amount = -r.range(1, 100);
  } else if (u < 6) {
    l.unit_amount = INT64_MAX / qty - r.range(0, 3);  // near the top, fits
  } else if (u < 8) {
    l.unit_amount = INT64_MAX / 2 + r.range(0, 100);  // overflows unless qty == 1
    if (!faults) l.quantity = 1;
  } else if (u < 10) {
    l.unit_amount = r.range(1, INT64_MAX / 4) / qty;  // large
  } else if (u < 14) {
    l.unit_amount = 0;
  } else {
    l.unit_amount = r.range(1, 5000);
  }
  i128 gross = i128(l.unit_amount) * l.quantity;
  bool gross_ok = l.unit_amount >= 0 && l.quantity >= 1 && gross <= INT64_MAX;
  i128 g = gross_ok ? gross : 1000;
  int d = faults ? r.pick(100) : r.pick(94);
  l.discount_amount = d < 75   ? 0
                      : d < 90 ? r.range(0, g)
                      : d < 94 ? Clip(g)
                      : d < 98 ? Clip(g + 1)
                               : -r.range(1, 5);
  i128 total = g - l.discount_amount;
  if (total < 0) total = 0;
  int f = faults ? r.pick(100) : r.pick(93);
  l.seller.fees_amount = f < 20   ? 0
                         : f < 85 ? r.range(0, total / (r.pick(3) + 1))
                         : f < 93 ? Clip(total)
                         : f < 97 ? Clip(total + 1)
                                  : -r.range(1, 10);
  int t = faults ? r.pick(100) : r.pick(98);
  l.tax_amount = t < 70 ? 0 : t < 98 ? r.range(0, l.unit_amount > 0 ? l.unit_amount / 5 : 0) : -1;
  *total_out = gross_ok ? gross - l.discount_amount : 0;
  return l;
}

CreateIntentInput GenCreate(Rng& r, const Model& m, bool add_lines) {
  CreateIntentInput in;
  // Clean requests (only overflow and the line limit can refuse them) or requests with faults.
  bool faults = r.pick(100) < 40;
  if (add_lines) {
    int c = r.pick(100);
    in.currency = !faults || c < 80 ? m.currency : c < 90 ? kValid[r.pick(5)] : kInvalid[r.pick(5)];
  } else {
    in.currency = !faults || r.pick(100) < 75 ? kValid[r.pick(5)] : kInvalid[r.pick(5)];
  }
  size_t existing = add_lines ? m.lines.size() : 0;
  int n = r.pick(100);
  size_t count = n < 3    ? 0
                 : n < 6  ? (existing < 100 ? 100 - existing : 0) + static_cast<size_t>(r.pick(2))
                 : n < 10 ? static_cast<size_t>(r.range(5, 20))
                          : static_cast<size_t>(r.range(1, 4));
  i128 sum = 0, fees = 0;
  for (size_t i = 0; i < count; ++i) {
    i128 total = 0;
    in.lines.push_back(GenLine(r, faults && r.pick(3) == 0, count <= 20, &total));
    sum += total;
    fees += in.lines.back().seller.fees_amount > 0 ? in.lines.back().seller.fees_amount : 0;
  }
  int a = faults ? r.pick(100) : r.pick(90);
  if (a < 45) {
  } else if (a < 90) {
    in.amount = Clip(sum);
  } else if (a < 94) {
    in.amount = Clip(sum + 1);
  } else if (a < 97) {
    in.amount = Clip(sum - 1);
  } else {
    in.amount = -r.range(1, 100);
  }
  int p = faults ? r.pick(100) : r.pick(92);
  if (p < 45) {
  } else if (p < 92) {
    in.platform_fees = Clip(fees);
  } else if (p < 96) {
    in.platform_fees = Clip(fees + 1);
  } else {
    in.platform_fees = Clip(fees - 1);
  }
  if (!add_lines) in.unfunded_amount = faults && r.pick(100) < 8 ? -1 : r.pick(2) * r.range(0, 500);
  in.buyer_id = "user_m_buyer";
  return in;
}

// A clean request (every part chosen to be valid, though a fee part or the allocation of a
// top-level fee can still break a rule), for about two thirds of the calls.
ActionInput GenCleanPartial(Rng& r, const Model& m, int mode) {
  ActionInput in;
  in.partial = true;
  std::vector<size_t> open;
  for (size_t i = 0; i < m.lines.size(); ++i) {
    if (m.lines[i].remaining() > 0) open.push_back(i);
  }
  if (open.empty()) open.push_back(0);  // nothing left: the request is refused
  bool everything = r.pick(100) < 12;  // take every line's whole remainder
  size_t k = everything ? open.size() : static_cast<size_t>(r.range(1, std::min<size_t>(4, open.size())));
  // k distinct lines, in random order.
  for (size_t i = 0; i < k; ++i) {
    size_t j = i + static_cast<size_t>(r.pick(static_cast<int>(open.size() - i)));
    std::swap(open[i], open[j]);
  }
  i128 sum = 0, stated_sum = 0, window_high = 0;
  for (size_t i = 0; i < k; ++i) {
    const MLine& l = m.lines[open[i]];
    i128 rem = l.remaining();
    int a = r.pick(100);
    i128 amt = everything ? rem : a < 25 ? rem : a < 60 ? r.range(1, rem > 1 ? rem / 2 : 1)
                                                        : r.range(1, rem > 1 ? rem : 1);
    if (amt < 1) amt = 1;
    LineAmountInput e;
    e.line_item_id = l.id;
    e.amount = Clip(amt);
    i128 rem_after = rem - amt;
    // The valid window for a stated part: [max(0, fee − rem_after), fee]; exactly fee at the end.
    i128 lo = l.fee - rem_after > 0 ? l.fee - rem_after : 0;
    i128 hi = l.fee;
    if (rem_after == 0) lo = hi;
    window_high += hi;
    if ((mode == 1 || mode == 3) && r.pick(10) < 7) {
      int f = r.pick(100);
      i128 v = f < 30 ? lo : f < 55 ? hi : f < 95 ? r.range(lo, hi) : hi + 1;
      e.fees_amount = Clip(v);
      stated_sum += v;
    }
    sum += amt;
    in.lines.push_back(e);
  }
  // Same line twice: split an entry in two.
  if (r.pick(6) == 0 && in.lines[0].amount >= 2) {
    LineAmountInput& first = in.lines[0];
    LineAmountInput half = first;
    half.amount = first.amount / 2;
    first.amount -= half.amount;
    if (first.fees_amount) {
      half.fees_amount = *first.fees_amount / 2;
      *first.fees_amount -= *half.fees_amount;
    }
    in.lines.insert(in.lines.begin() + static_cast<long>(r.pick(static_cast<int>(in.lines.size()) + 1)), half);
  }
  in.amount = Clip(sum);
  int c = r.pick(100);
  if (c < 30) in.currency = m.currency;
  if (mode == 2) {
    int f = r.pick(100);
    in.platform_fees = Clip(f < 40 ? r.range(0, window_high / 3) : f < 80 ? r.range(0, window_high)
                                                                           : f < 90 ? window_high : 0);
  } else if (mode == 3) {
    in.platform_fees = Clip(stated_sum);
  }
  return in;
}

ActionInput GenPartial(Rng& r, const Model& m, bool cancel, int* fee_mode_out) {
  // Fee mode: 0 none, 1 per line, 2 top level, 3 both. Captures validate but ignore fee parts.
  int mode = cancel ? r.pick(4) : (r.pick(10) == 0 ? 1 + r.pick(3) : 0);
  *fee_mode_out = mode;
  if (!m.lines.empty() && r.pick(100) < 65) return GenCleanPartial(r, m, mode);

  // A request with faults sprinkled in.
  ActionInput in;
  in.partial = true;
  int k = r.pick(100) < 3 ? 0 : static_cast<int>(r.range(1, 4));
  i128 sum = 0, stated_sum = 0, line_fees = 0;
  std::vector<bool> seen(m.lines.size(), false);
  std::vector<size_t> chosen;  // lines named so far, to name one again now and then
  for (int e = 0; e < k; ++e) {
    LineAmountInput l;
    if (m.lines.empty() || r.pick(100) < 4) {
      l.line_item_id = r.pick(2) ? "int_li_unknown" : "";
      l.amount = r.range(1, 100);
    } else {
      size_t idx = static_cast<size_t>(r.pick(static_cast<int>(m.lines.size())));
      if (!chosen.empty() && r.pick(4) == 0) {
        idx = chosen[static_cast<size_t>(r.pick(static_cast<int>(chosen.size())))];
      }
      chosen.push_back(idx);
      const MLine& ml = m.lines[idx];
      if (!seen[idx]) line_fees += ml.fee;
      seen[idx] = true;
      l.line_item_id = ml.id;
      i128 rem = ml.remaining();
      int a = r.pick(100);
      i128 amt = a < 35   ? r.range(1, rem / k > 1 ? rem / k : 1)
                 : a < 55 ? r.range(1, rem > 1 ? rem : 1)
                 : a < 70 ? (rem > 0 ? rem : 1)
                 : a < 80 ? rem + 1
                 : a < 85 ? 0
                 : a < 88 ? -r.range(1, 5)
                 : a < 91 ? i128(INT64_MAX)
                          : r.range(1, 10);
      l.amount = Clip(amt);
      if ((mode == 1 || mode == 3) && r.pick(10) < 7) {
        i128 fee = ml.fee;
        i128 pro = rem > 0 && l.amount > 0 ? fee * (l.amount < rem ? l.amount : rem) / rem : 0;
        int f = r.pick(100);
        i128 v = f < 30   ? pro
                 : f < 55 ? r.range(0, fee)
                 : f < 70 ? fee
                 : f < 80 ? fee + 1
                 : f < 85 ? -1
                 : f < 90 ? i128(INT64_MAX)
                          : 0;
        l.fees_amount = Clip(v);
        stated_sum += v;
      }
    }
    sum += l.amount;
    in.lines.push_back(l);
  }
  int a = r.pick(100);
  if (a < 80) {
    in.amount = Clip(sum);
  } else if (a < 86) {
  } else if (a < 92) {
    in.amount = Clip(sum + 1);
  } else if (a < 97) {
    in.amount = Clip(sum - 1);
  } else {
    in.amount = r.pick(2) ? 0 : -5;
  }
  int c = r.pick(100);
  if (c < 25) {
    in.currency = m.currency;
  } else if (c < 32) {
    in.currency = m.currency == "USD" ? "EUR" : "USD";
  }
  if (mode == 2) {
    int f = r.pick(100);
    i128 v = f < 50   ? r.range(0, line_fees)
             : f < 65 ? r.range(0, line_fees / 4)
             : f < 75 ? line_fees
             : f < 85 ? line_fees + 1
             : f < 90 ? -1
                      : 0;
    in.platform_fees = Clip(v);
  } else if (mode == 3) {
    int f = r.pick(100);
    in.platform_fees = Clip(f < 70 ? stated_sum : f < 85 ? stated_sum + 1 : stated_sum - 1);
  }
  return in;
}

// ---------------------------------------------------------------------------------------------
// The sequence driver

enum Op { kCreate, kAddLines, kFullCapture, kPartialCapture, kFullCancel, kPartialCancel, kOps };
const char* kOpNames[] = {"create", "add-lines", "full-capture", "partial-capture", "full-cancel",
                          "partial-cancel"};

struct Stats {
  long accepted[kOps] = {};
  long rejected[kOps] = {};
  long create_overflow = 0;
  long top_level_fee_cancels = 0;
  long line_fee_cancels = 0;
  long line_fee_cancels_rejected = 0;
  long cancelled_by_partial = 0;
  long captured_by_partial = 0;
  long huge_intents = 0;
  long full_intents = 0;        // reached exactly 100 line items
  long line_limit_refused = 0;  // a create / add-lines that would pass 100 line items
  long allocations = 0;
};

std::string Describe(const ActionInput& in) {
  std::ostringstream os;
  os << (in.partial ? "partial" : "full");
  if (in.amount) os << " Amount=" << *in.amount;
  if (in.currency) os << " Currency='" << *in.currency << "'";
  if (in.platform_fees) os << " PlatformFeesAmount=" << *in.platform_fees;
  for (const auto& l : in.lines) {
    os << " {" << l.line_item_id << " " << l.amount;
    if (l.fees_amount) os << " fee " << *l.fees_amount;
    os << "}";
  }
  return os.str();
}

std::string Describe(const CreateIntentInput& in) {
  std::ostringstream os;
  os << "Currency='" << in.currency << "' lines=" << in.lines.size();
  if (in.amount) os << " Amount=" << *in.amount;
  if (in.platform_fees) os << " PlatformFeesAmount=" << *in.platform_fees;
  for (size_t i = 0; i < in.lines.size() && i < 6; ++i) {
    const auto& l = in.lines[i];
    os << " {q " << l.quantity << " u " << l.unit_amount << " d " << l.discount_amount << " f "
       << l.seller.fees_amount << "}";
  }
  return os.str();
}

std::string DescribeModel(const Model& m) {
  std::ostringstream os;
  os << IntentStatusName(m.status) << (m.any_capture ? " captured-once" : "");
  for (const MLine& l : m.lines) {
    os << " [T " << Str(l.total) << " F " << Str(l.fee) << "/" << Str(l.fee_initial) << " cap "
       << Str(l.captured) << " can " << Str(l.cancelled) << "]";
  }
  return os.str();
}

// Compares core's intent with the model and checks the invariants. Fails the test on mismatch.
void CheckAgainstModel(const Intent& intent, const Model& m, const std::string& where) {
  ASSERT_EQ(intent.lines.size(), m.lines.size()) << where;
  ASSERT_EQ(intent.status, m.status) << where << " core " << IntentStatusName(intent.status);
  i128 sum_totals = 0, sum_fees = 0, sum_captured = 0;
  for (size_t i = 0; i < m.lines.size(); ++i) {
    const LineItem& c = intent.lines[i];
    const MLine& l = m.lines[i];
    std::string at = where + " line " + std::to_string(i);
    ASSERT_EQ(c.id, l.id) << at;
    ASSERT_EQ(i128(c.total), l.total) << at;
    ASSERT_EQ(i128(c.fee_initial), l.fee_initial) << at;
    ASSERT_EQ(i128(c.fee), l.fee) << at << " core fee " << c.fee << " model " << Str(l.fee);
    ASSERT_EQ(i128(c.captured), l.captured) << at;
    ASSERT_EQ(i128(c.cancelled), l.cancelled) << at;
    // Invariants, checked directly on core's numbers.
    ASSERT_GE(c.captured, 0) << at;
    ASSERT_GE(c.cancelled, 0) << at;
    ASSERT_LE(i128(c.captured) + c.cancelled, i128(c.total)) << at;
    ASSERT_GE(c.fee, 0) << at;
    ASSERT_LE(c.fee, c.fee_initial) << at;
    ASSERT_LE(c.fee, c.total - c.cancelled) << at;
    if (c.total > 0 && c.cancelled == c.total) {
      ASSERT_EQ(c.fee, 0) << at << " fully cancelled";
    }
    sum_totals += c.total;
    sum_fees += c.fee;
    sum_captured += c.captured;
  }
  ASSERT_EQ(i128(intent.amount()), sum_totals) << where;
  ASSERT_EQ(i128(intent.amount()), m.amount()) << where;
  ASSERT_EQ(i128(intent.platform_fees()), sum_fees) << where;
  ASSERT_EQ(i128(intent.available_to_split()), sum_captured) << where;
  Status inv = CheckInvariants(intent);
  ASSERT_TRUE(inv.ok()) << where << ": " << inv.ToString();
}

void CheckAllocation(Rng& r, const Model& m, Stats& stats, const std::string& where) {
  // Allocate an amount derived from the state over the lines' remaining amounts and totals.
  std::vector<int64_t> weights;
  for (const MLine& l : m.lines) weights.push_back(static_cast<int64_t>(r.pick(2) ? l.remaining() : l.total));
  if (weights.empty()) return;
  int64_t total = r.pick(3) == 0 ? INT64_MAX - r.range(0, 10)
                  : r.pick(2)    ? r.range(0, 1000)
                                 : static_cast<int64_t>(m.amount() > INT64_MAX ? 0 : m.amount());
  std::vector<int64_t> want;
  bool ref_ok = RefAllocate(total, weights, &want);
  auto got = Allocate(total, weights);
  ASSERT_EQ(got.ok(), ref_ok) << where << " Allocate(" << total << ")";
  ++stats.allocations;
  if (!ref_ok) return;
  i128 sum = 0;
  for (Amount p : *got) sum += p;
  ASSERT_EQ(sum, i128(total)) << where << " allocation does not sum to the whole";
  ASSERT_EQ(*got, want) << where << " allocation differs from the reference";
}

void RunSequence(uint64_t seed, Stats& stats) {
  Rng r(seed);
  Model m;
  Intent intent;
  int line_counter = 0;
  int ops = static_cast<int>(r.range(kMaxOps / 2, kMaxOps));
  auto new_ids = [&](size_t n) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) {
      ids.push_back("int_li_" + std::to_string(seed) + "_" + std::to_string(line_counter++));
    }
    return ids;
  };

  for (int step = 0; step < ops; ++step) {
    std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    // Pick an operation: a fresh create when there is no intent, more often once it is terminal.
    Op op;
    bool terminal = m.exists && (m.status == IntentStatus::kCancelled || m.status == IntentStatus::kCaptured);
    int p = r.pick(100);
    int q = r.pick(100);
    if (!m.exists || (terminal && p < 35) || p < 4) {
      op = kCreate;
    } else if (m.status == IntentStatus::kAuthorized && p < 80) {
      op = q < 12 ? kAddLines : q < 22 ? kFullCapture : q < 42 ? kPartialCapture : q < 50 ? kFullCancel : kPartialCancel;
    } else if (m.status == IntentStatus::kPartiallyCaptured && p < 80) {
      op = q < 80 ? kPartialCapture : q < 90 ? kFullCapture : kPartialCancel;
    } else {
      op = static_cast<Op>(1 + r.pick(kOps - 1));
    }
    std::string what;
    bool core_ok = false;
    bool model_ok = false;
    Status core_status;

    if (op == kCreate || op == kAddLines) {
      bool add = op == kAddLines;
      CreateIntentInput in = GenCreate(r, m, add);
      auto ids = new_ids(in.lines.size());
      what = std::string(kOpNames[op]) + " " + Describe(in);
      auto plan = add ? PlanAddLines(intent, in, ids) : PlanCreate(in, ids);
      core_ok = plan.ok();
      core_status = plan.status();
      // Model.
      Model base = add ? m : Model{};
      bool pre_ok = add ? (base.status == IntentStatus::kAuthorized && in.currency == base.currency)
                        : (ValidCurrency(in.currency) && in.unfunded_amount >= 0 &&
                           (!in.amount || *in.amount >= 0));
      auto lines = pre_ok ? ModelNewLines(base, in, ids) : std::nullopt;
      model_ok = lines.has_value();
      ASSERT_EQ(core_ok, model_ok) << where << " " << what << "\n  core: " << core_status.ToString()
                                   << "\n  model: " << DescribeModel(m);
      if (!core_ok) {
        if (core_status.code() == ErrorCode::kOverflow) ++stats.create_overflow;
        if (m.lines.size() + in.lines.size() > 100 && !in.lines.empty()) ++stats.line_limit_refused;
      if (add && m.status != IntentStatus::kAuthorized) {
          ASSERT_EQ(core_status.code(), ErrorCode::kRuleViolation) << where;
        }
      } else {
        if (!add) {
          intent = NewIntent(in, "int_" + std::to_string(seed) + "_" + std::to_string(step), "client", step);
          m = Model{};
          m.exists = true;
          m.currency = in.currency;
          m.status = IntentStatus::kAuthorized;
        }
        ASSERT_EQ(plan->new_lines.size(), lines->size()) << where;
        ASSERT_FALSE(plan->action.has_value()) << where;
        for (MLine& l : *lines) m.lines.push_back(l);
        ApplyPlan(intent, std::move(*plan));
        if (m.amount() > INT64_MAX / 4) ++stats.huge_intents;
        if (m.lines.size() == 100) ++stats.full_intents;
      }
    } else {
      bool capture = op == kFullCapture || op == kPartialCapture;
      bool partial = op == kPartialCapture || op == kPartialCancel;
      int fee_mode = 0;
      ActionInput in;
      if (partial) {
        in = GenPartial(r, m, !capture, &fee_mode);
      } else if (r.pick(3) == 0) {
        in.external.present = true;
        in.external.provider_reference = "psp-" + std::to_string(step);
      }
      what = std::string(kOpNames[op]) + " " + Describe(in);
      std::string action_id = (capture ? "int_capture_" : "int_cancel_") + std::to_string(step);
      auto plan = capture ? PlanCapture(intent, in, action_id, 1000 + step)
                          : PlanCancel(intent, in, action_id, 1000 + step);
      core_ok = plan.ok();
      core_status = plan.status();
      Model before = m;
      ModelOutcome out = capture ? ModelCapture(m, in) : ModelCancel(m, in);
      model_ok = out.accepted;
      ASSERT_EQ(core_ok, model_ok) << where << " " << what << "\n  core: " << core_status.ToString()
                                   << "\n  model before: " << DescribeModel(before);
      if (!core_ok) {
        // Messages the Echo API fixes.
        if (!capture && before.status != IntentStatus::kAuthorized) {
          ASSERT_EQ(core_status.message(), "Intent must be AUTHORIZED to be canceled") << where;
        }
        if (op == kFullCapture && before.any_partial_capture) {
          ASSERT_EQ(core_status.message(), "Partial capture already done so full capture not allowed")
              << where;
        }
        if (op == kPartialCancel && (fee_mode == 1 || fee_mode == 3)) ++stats.line_fee_cancels_rejected;
      } else {
        const ActionRecord& rec = *plan->action;
        ASSERT_EQ(rec.kind, capture ? ActionKind::kCapture : ActionKind::kCancel) << where;
        ASSERT_EQ(rec.id, action_id) << where;
        ASSERT_EQ(rec.status, capture ? "CAPTURED" : "CANCELLED") << where;
        ASSERT_EQ(i128(rec.amount), out.action_amount) << where << " " << what;
        i128 rec_lines = 0, rec_fees = 0;
        for (const ActionLine& al : rec.lines) {
          rec_lines += al.amount;
          rec_fees += al.fee_removed;
          if (capture) {
            ASSERT_EQ(al.fee_removed, 0) << where;
          }
        }
        ASSERT_EQ(rec_lines, i128(rec.amount)) << where;
        ASSERT_EQ(rec_fees, out.fee_removed) << where << " " << what;
        if (op == kPartialCancel && in.platform_fees) {
          // Top-level only: the fee parts are an exact split of PlatformFeesAmount.
          bool line_parts = false;
          for (const auto& l : in.lines) line_parts |= l.fees_amount.has_value();
          if (!line_parts) {
            ASSERT_EQ(rec_fees, i128(*in.platform_fees)) << where << " top-level fee not split exactly";
            ++stats.top_level_fee_cancels;
          }
        }
        if (op == kPartialCancel && (fee_mode == 1 || fee_mode == 3)) ++stats.line_fee_cancels;
        if (op == kPartialCancel && m.status == IntentStatus::kCancelled) ++stats.cancelled_by_partial;
        if (op == kPartialCapture && m.status == IntentStatus::kCaptured) ++stats.captured_by_partial;
        size_t actions_before = intent.actions.size();
        ApplyPlan(intent, std::move(*plan));
        ASSERT_EQ(intent.actions.size(), actions_before + 1) << where;
      }
    }
    if (core_ok) {
      ++stats.accepted[op];
    } else {
      ++stats.rejected[op];
      ASSERT_NE(core_status.code(), ErrorCode::kInternal) << where << " bad input is never internal: "
                                                          << core_status.ToString();
      ASSERT_NE(core_status.code(), ErrorCode::kOk) << where;
    }
    if (m.exists) {
      CheckAgainstModel(intent, m, where + " after " + what);
      if (::testing::Test::HasFatalFailure()) return;
      if (r.pick(4) == 0) CheckAllocation(r, m, stats, where);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(IntentProperty, RandomSequencesMatchTheReferenceModel) {
  Stats stats;
  if (const char* one = std::getenv("SL_PROP_SEED")) {
    uint64_t seed = std::strtoull(one, nullptr, 0);
    RunSequence(seed, stats);
    return;
  }
  int seeds = kDefaultSeeds;
  if (const char* n = std::getenv("SL_PROP_SEEDS")) seeds = std::atoi(n);
  for (int i = 0; i < seeds; ++i) {
    uint64_t seed = kSeedBase + static_cast<uint64_t>(i);
    RunSequence(seed, stats);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "reproduce with SL_PROP_SEED=" << seed;
      return;
    }
  }
  std::ostringstream os;
  for (int op = 0; op < kOps; ++op) {
    os << kOpNames[op] << " " << stats.accepted[op] << "/" << stats.rejected[op] << "  ";
  }
  os << "\ncreate overflow " << stats.create_overflow << ", top-level fee cancels "
     << stats.top_level_fee_cancels << ", line fee cancels " << stats.line_fee_cancels << "/"
     << stats.line_fee_cancels_rejected << ", cancelled by partial " << stats.cancelled_by_partial
     << ", captured by partial " << stats.captured_by_partial << ", huge intents "
     << stats.huge_intents << ", 100-line intents " << stats.full_intents << ", over the line limit "
     << stats.line_limit_refused << ", allocations " << stats.allocations;
  std::cout << "[ stats    ] accepted/rejected: " << os.str() << std::endl;
  if (seeds < kDefaultSeeds) return;
  // The generator must reach every path, accepted and refused, or the test proves little.
  for (int op = 0; op < kOps; ++op) {
    EXPECT_GT(stats.accepted[op], 200) << kOpNames[op];
    EXPECT_GT(stats.rejected[op], 100) << kOpNames[op];
  }
  EXPECT_GT(stats.create_overflow, 20);
  EXPECT_GT(stats.top_level_fee_cancels, 200);
  EXPECT_GT(stats.line_fee_cancels, 200);
  EXPECT_GT(stats.line_fee_cancels_rejected, 200);
  EXPECT_GT(stats.cancelled_by_partial, 50);
  EXPECT_GT(stats.captured_by_partial, 50);
  EXPECT_GT(stats.huge_intents, 50);
  EXPECT_GT(stats.full_intents, 20);
  EXPECT_GT(stats.line_limit_refused, 50);
  EXPECT_GT(stats.allocations, 1000);
}

// The model itself, on the worked examples: if it drifted from the rules the property test could
// pass against a wrong core.
TEST(IntentProperty, ModelWorkedExamples) {
  Model m;
  m.exists = true;
  m.currency = "EUR";
  m.lines.push_back({"a", 1000, 100, 100, 0, 0});
  auto cancel = [&](Amount amt) {
    ActionInput in;
    in.partial = true;
    in.amount = amt;
    in.lines.push_back({"a", amt, std::nullopt});
    return ModelCancel(m, in);
  };
  EXPECT_EQ(cancel(333).fee_removed, 33);
  EXPECT_EQ(cancel(333).fee_removed, 33);
  auto last = cancel(334);
  EXPECT_TRUE(last.accepted);
  EXPECT_EQ(last.fee_removed, 34);
  EXPECT_EQ(m.status, IntentStatus::kCancelled);
  EXPECT_FALSE(cancel(1).accepted);
}

}  // namespace
}  // namespace splitledger
