// Identifiers: a prefix plus a UUIDv7 (time-ordered, 74 random bits from a CSPRNG).
//
// Format follows Mangopay's observed ids: "int_0192f1c4-…", "int_li_…", "int_capture_…".
// The random bits come from a ChaCha20 stream seeded from std::random_device, so ids are not
// guessable; the time prefix keeps B-tree inserts append-mostly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace splitledger {

namespace id_prefix {
inline constexpr std::string_view kIntent = "int_";
inline constexpr std::string_view kLineItem = "int_li_";
inline constexpr std::string_view kCapture = "int_capture_";
inline constexpr std::string_view kCancel = "int_cancel_";
inline constexpr std::string_view kRefund = "int_refund_";
inline constexpr std::string_view kRefundReversal = "int_refund_rev_";
inline constexpr std::string_view kDispute = "int_dispute_";
inline constexpr std::string_view kSplit = "int_split_";
inline constexpr std::string_view kUser = "user_m_";
inline constexpr std::string_view kWallet = "wlt_m_";
inline constexpr std::string_view kTransaction = "txn_m_";
}  // namespace id_prefix

// Returns prefix + UUIDv7 for the given Unix time in milliseconds. Thread-safe.
std::string NewId(std::string_view prefix, int64_t unix_ms);

// Fills `out` with `n` bytes from the CSPRNG. Thread-safe. For tokens and API keys.
void RandomBytes(void* out, size_t n);

// `n` random bytes, hex-encoded (2n characters).
std::string RandomHex(size_t n);

}  // namespace splitledger
