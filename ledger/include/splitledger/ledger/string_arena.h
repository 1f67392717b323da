// Strings copied back to back into blocks that never move: many small strings kept for a long
// time cost their bytes and no allocation, header or slack of their own each.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace splitledger::ledger {

class StringArena {
 public:
  // Copies `s` in; the view returned stays valid until Clear() or the arena's destruction (a
  // move keeps it valid). An empty string is an empty view that points nowhere.
  std::string_view Add(std::string_view s) {
    if (s.empty()) return {};
    if (blocks_.empty() || used_ + s.size() > size_) {
      size_ = std::max(kBlock, s.size());
      blocks_.push_back(std::make_unique<char[]>(size_));
      used_ = 0;
    }
    char* dest = blocks_.back().get() + used_;
    std::memcpy(dest, s.data(), s.size());
    used_ += s.size();
    return {dest, s.size()};
  }
  void Clear() {
    blocks_.clear();
    used_ = 0;
    size_ = 0;
  }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = 0;  // in the last block
  size_t size_ = 0;  // of the last block
};

}  // namespace splitledger::ledger
