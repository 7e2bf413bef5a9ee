// Interns SKU names into dense SkuIdx values so stock rows stay small.
//
// Thread-safety: Find and Intern may be called from any thread. The map is
// split into shards, each with its own reader/writer lock, so lookups never
// wait on a global lock and only contend with an insert into the same shard
// (new SKUs are rare: start-up load and the odd stock.set).
#ifndef HOURGLASS_ALLOC_SKU_CATALOG_H_
#define HOURGLASS_ALLOC_SKU_CATALOG_H_

#include <array>
#include <atomic>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/ids.h"
#include "alloc/store_set.h"

namespace hourglass::alloc {

class SkuCatalog {
 public:
  std::optional<SkuIdx> Find(std::string_view name) const;
  // Returns the index of `name`, adding it if it is new.
  SkuIdx Intern(std::string_view name);
  // The name of `sku`, for error messages only: it scans the whole catalog.
  std::string NameOf(SkuIdx sku) const;
  // Every name, indexed by SkuIdx (for snapshots).
  std::vector<std::string> Names() const;
  size_t size() const { return next_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, SkuIdx, StringHash, std::equal_to<>> ids;  // guarded by mu
  };
  static size_t ShardOf(std::string_view name) { return StringHash{}(name) % kShards; }

  std::array<Shard, kShards> shards_;
  std::atomic<uint32_t> next_{0};
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_SKU_CATALOG_H_
