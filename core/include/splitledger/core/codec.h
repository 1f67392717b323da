// A compact binary form for described types (entities.h visitors): varints, length-prefixed
// strings, presence bytes for optionals. Names are not written: the layout is the Describe()
// order, so a reader must use the same version of the description as the writer. Used for
// stored command results (idempotency) and, later, log records.
//
// Contract: Decode() of bytes produced by Encode() of an equal description gives back an equal
// value; Decode() of anything else returns false (never reads out of bounds, never throws).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "splitledger/core/entities.h"

namespace splitledger {

class ByteWriter {
 public:
  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(int64_t v) {  // zig-zag, so small negatives stay short
    U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }

  // Visitor interface (entities.h).
  void Field(const char*, const std::string& s) { Str(s); }
  void Field(const char*, const int64_t& v) { I64(v); }
  void Field(const char*, const int& v) { I64(v); }
  void Field(const char*, const bool& v) { U64(v ? 1 : 0); }
  void Field(const char*, const std::optional<int64_t>& v) {
    U64(v ? 1 : 0);
    if (v) I64(*v);
  }
  void Field(const char*, const std::optional<std::string>& v) {
    U64(v ? 1 : 0);
    if (v) Str(*v);
  }
  void Field(const char*, const std::vector<std::string>& v) {
    U64(v.size());
    for (const std::string& s : v) Str(s);
  }
  void Field(const char*, const Bytes& b) { Str(b.data); }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }

  void Reserve(size_t n) { out_.reserve(n); }
  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U64(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return Fail();
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n;
    if (!U64(&n) || n > in_.size() - pos_) return Fail();
    s->assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  // Visitor interface; a failure sticks (ok() turns false) and later reads do nothing.
  void Field(const char*, std::string& s) {
    if (ok_) Str(&s);
  }
  void Field(const char*, int64_t& v) {
    if (ok_) I64(&v);
  }
  void Field(const char*, int& v) {
    int64_t x = 0;
    if (ok_ && I64(&x)) v = static_cast<int>(x);
  }
  void Field(const char*, bool& v) {
    uint64_t x = 0;
    if (ok_ && U64(&x)) v = x != 0;
  }
  void Field(const char*, std::optional<int64_t>& v) {
    uint64_t has = 0;
    int64_t x = 0;
    if (!ok_ || !U64(&has)) return;
    if (has == 0)
      v.reset();
    else if (I64(&x))
      v = x;
  }
  void Field(const char*, std::optional<std::string>& v) {
    uint64_t has = 0;
    std::string x;
    if (!ok_ || !U64(&has)) return;
    if (has == 0)
      v.reset();
    else if (Str(&x))
      v = std::move(x);
  }
  void Field(const char*, std::vector<std::string>& v) {
    uint64_t n = 0;
    if (!ok_ || !U64(&n)) return;
    if (n > in_.size() - pos_) {
      Fail();
      return;
    }  // each element takes at least one byte
    v.assign(n, {});
    for (std::string& s : v)
      if (!Str(&s)) return;
  }
  void Field(const char*, Bytes& b) {
    if (ok_) Str(&b.data);
  }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }

  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Reads a value written before some of its fields existed: the fields named in `absent` are not
// read and keep their defaults. For stored forms of an older layout (an idempotency record
// written by an earlier release).
class LegacyReader {
 public:
  LegacyReader(ByteReader& r, std::initializer_list<std::string_view> absent)
      : r_(r), absent_(absent) {}
  template <class F>
  void Field(const char* name, F& f) {
    for (std::string_view a : absent_) {
      if (a == name) return;
    }
    r_.Field(name, f);
  }
  template <class N>
  void Nested(const char*, N& n) {
    Describe(*this, n);
  }

 private:
  ByteReader& r_;
  std::initializer_list<std::string_view> absent_;
};

// Encodes / decodes any described value.
template <class T>
std::string Encode(const T& value) {
  ByteWriter w;
  Describe(w, const_cast<T&>(value));
  return w.Take();
}
template <class T>
bool Decode(std::string_view bytes, T* out) {
  ByteReader r(bytes);
  Describe(r, *out);
  return r.done();
}

}  // namespace splitledger
