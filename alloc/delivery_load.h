// How many deliveries each store has taken on per hour, for capacity_per_hour:
// a store whose deliveries held or committed for the clock hour of a slot
// (the order's `at`, or now) reached its capacity is skipped for that slot.
//
// Counts live in a ring of the next and last kHours clock hours per store
// slot; a slot further out is not limited. Each
// bucket is one atomic word (hour and count packed), so a reservation on one
// store never waits for another and TryAdd never lets a count pass the
// capacity, however many threads race.
//
// Only stores with a capacity are counted; a capacity set later (store.upsert)
// counts from then on.
//
// Thread-safety: any thread. Pure logic: hours are handed in (Unix ms).
#ifndef HOURGLASS_ALLOC_DELIVERY_LOAD_H_
#define HOURGLASS_ALLOC_DELIVERY_LOAD_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "alloc/ids.h"
#include "alloc/store_set.h"

namespace hourglass::alloc {

class DeliveryLoad {
 public:
  static constexpr int kHours = 48;

  // Room for `slots` stores; capacities from `stores` (SetCapacity changes one).
  DeliveryLoad(size_t slots, const StoreSet& stores);
  void SetCapacity(StoreIdx store, int32_t capacity_per_hour);

  // Deliveries counted for the hour of `slot_ms` at `store` (0 without a capacity).
  int32_t Count(StoreIdx store, int64_t slot_ms) const;
  // Counts one more delivery unless `store` is at its capacity for that hour;
  // false when it is. Stores without a capacity always take it.
  bool TryAdd(StoreIdx store, int64_t slot_ms);
  // A delivery went away (released, expired, or its hold failed).
  void Remove(StoreIdx store, int64_t slot_ms);
  // Recovery: counts a delivery that was held before, capacity or not.
  void Restore(StoreIdx store, int64_t slot_ms);

 private:
  uint64_t* Bucket(StoreIdx store, int64_t hour) const;
  int32_t CapacityOf(StoreIdx store) const;
  bool Change(StoreIdx store, int64_t slot_ms, int delta, int32_t limit);

  size_t slots_;
  std::unique_ptr<std::atomic<int32_t>[]> capacity_;  // by store; 0: none
  struct Free {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  // kHours words per store, read and written through std::atomic_ref. From
  // calloc, which takes an allocation this large zeroed from the kernel
  // without touching it: the buckets of stores without a capacity (most)
  // then cost no memory, where writing zeros cost 384 bytes a store
  // (38 MB at 100,000 stores).
  std::unique_ptr<uint64_t[], Free> buckets_;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_DELIVERY_LOAD_H_
