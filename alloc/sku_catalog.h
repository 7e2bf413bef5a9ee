// Interns SKU names into dense SkuIdx values so stock rows stay small.
//
// Every order looks up each of its SKUs, so Find must be cheap and must not
// make threads write to shared cache lines: it takes no lock and writes
// nothing. SKUs are only ever added (start-up load, a stock.set naming a new
// one), so the map is an insert-only open-addressing table whose slots are
// published with release stores; a reader sees a slot either empty or whole.
// When the table fills up, a twice-as-large copy is published and the old one
// is kept (a reader may still be probing it), which at most doubles its memory.
//
// Thread-safety: Find from any thread at any time; Intern, Names and NameOf
// take the writers' mutex.
#ifndef HOURGLASS_ALLOC_SKU_CATALOG_H_
#define HOURGLASS_ALLOC_SKU_CATALOG_H_

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/ids.h"

namespace hourglass::alloc {

class SkuCatalog {
 public:
  SkuCatalog();
  ~SkuCatalog();
  SkuCatalog(const SkuCatalog&) = delete;
  SkuCatalog& operator=(const SkuCatalog&) = delete;

  std::optional<SkuIdx> Find(std::string_view name) const;
  // Returns the index of `name`, adding it if it is new.
  SkuIdx Intern(std::string_view name);
  // The name of `sku` (its index if it has none).
  std::string NameOf(SkuIdx sku) const;
  // Every name, indexed by SkuIdx (for snapshots).
  std::vector<std::string> Names() const;
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  // Half a cache line. A name of up to kInlineName bytes (all the usual SKU
  // codes) is kept in the slot too, so a hit is confirmed without reading
  // the string elsewhere in memory: one cache miss per lookup, not two.
  static constexpr size_t kInlineName = 15;
  struct Slot {
    // Null while empty; set last, with release, once the rest is written.
    std::atomic<const std::string*> name{nullptr};
    uint32_t idx = 0;
    uint32_t tag = 0;        // high half of the name's hash: most mismatches stop here
    uint8_t inline_len = 0;  // the name's length when it fits in `inline_name`, else 0xff
    char inline_name[kInlineName] = {};
    bool Holds(std::string_view want) const {
      if (inline_len != 0xff) return std::string_view(inline_name, inline_len) == want;
      return *name.load(std::memory_order_relaxed) == want;
    }
  };
  struct Table {
    explicit Table(size_t capacity) : mask(capacity - 1), slots(new Slot[capacity]) {}
    size_t mask;  // capacity - 1; capacity is a power of two
    std::unique_ptr<Slot[]> slots;
  };
  // Places a known name into `table` (writers only; the slot is free).
  static void Place(const Table& table, size_t hash, const std::string* name, uint32_t idx);

  std::atomic<const Table*> table_;
  mutable std::mutex mu_;                       // writers
  std::deque<std::string> names_;               // by SkuIdx; never move; guarded by mu_
  std::vector<std::unique_ptr<Table>> tables_;  // the current one last; guarded by mu_
  std::atomic<size_t> count_{0};
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_SKU_CATALOG_H_
