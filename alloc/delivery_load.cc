#include "alloc/delivery_load.h"

#include <new>

namespace hourglass::alloc {
namespace {

constexpr int64_t kMsPerHour = 3'600'000;

// A bucket: the hour number + 1 in the high 40 bits (0: never used), the count below.
constexpr int kCountBits = 24;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

int64_t HourOf(int64_t unix_ms) {
  return unix_ms >= 0 ? unix_ms / kMsPerHour : (unix_ms - kMsPerHour + 1) / kMsPerHour;
}
uint64_t Pack(int64_t hour, uint64_t count) {
  return (static_cast<uint64_t>(hour + 1) << kCountBits) | count;
}
int64_t HourIn(uint64_t word) { return static_cast<int64_t>(word >> kCountBits) - 1; }

}  // namespace

DeliveryLoad::DeliveryLoad(size_t slots, const StoreSet& stores)
    : slots_(slots),
      capacity_(std::make_unique<std::atomic<int32_t>[]>(slots)),
      buckets_(static_cast<uint64_t*>(std::calloc(slots * kHours + 1, sizeof(uint64_t)))) {
  if (buckets_ == nullptr) throw std::bad_alloc();
  for (size_t i = 0; i < slots; ++i) capacity_[i].store(0, std::memory_order_relaxed);
  for (uint32_t i = 0; i < stores.size(); ++i) {
    SetCapacity(StoreIdx{i}, stores[StoreIdx{i}].capacity_per_hour);
  }
}

void DeliveryLoad::SetCapacity(StoreIdx store, int32_t capacity_per_hour) {
  if (Raw(store) < slots_)
    capacity_[Raw(store)].store(capacity_per_hour, std::memory_order_release);
}

uint64_t* DeliveryLoad::Bucket(StoreIdx store, int64_t hour) const {
  if (Raw(store) >= slots_ || hour < 0) return nullptr;
  return &buckets_[static_cast<size_t>(Raw(store)) * kHours + static_cast<size_t>(hour % kHours)];
}

int32_t DeliveryLoad::Count(StoreIdx store, int64_t slot_ms) const {
  const int64_t hour = HourOf(slot_ms);
  uint64_t* b = Bucket(store, hour);
  if (b == nullptr) return 0;
  const uint64_t word = std::atomic_ref<uint64_t>(*b).load(std::memory_order_acquire);
  return HourIn(word) == hour ? static_cast<int32_t>(word & kCountMask) : 0;
}

bool DeliveryLoad::Change(StoreIdx store, int64_t slot_ms, int delta, int32_t limit) {
  const int64_t hour = HourOf(slot_ms);
  uint64_t* b = Bucket(store, hour);
  if (b == nullptr) return true;
  std::atomic_ref<uint64_t> bucket(*b);
  uint64_t word = bucket.load(std::memory_order_acquire);
  while (true) {
    const int64_t in = HourIn(word);
    // A bucket holding a later hour belongs to the future: this hour is too
    // far back to count (and to limit).
    if (in > hour) return true;
    const int64_t count = in == hour ? static_cast<int64_t>(word & kCountMask) : 0;
    if (delta > 0 && limit > 0 && count >= limit) return false;
    if (delta < 0 && count == 0) return true;  // counted in a bucket since reused
    const uint64_t next = Pack(hour, static_cast<uint64_t>(count + delta) & kCountMask);
    if (bucket.compare_exchange_weak(word, next, std::memory_order_acq_rel)) return true;
  }
}

// Stores without a capacity are not counted at all: most stores, and the
// hot path should not pay an atomic update for them.
int32_t DeliveryLoad::CapacityOf(StoreIdx store) const {
  return Raw(store) < slots_ ? capacity_[Raw(store)].load(std::memory_order_acquire) : 0;
}

bool DeliveryLoad::TryAdd(StoreIdx store, int64_t slot_ms) {
  const int32_t capacity = CapacityOf(store);
  return capacity == 0 || Change(store, slot_ms, +1, capacity);
}
void DeliveryLoad::Remove(StoreIdx store, int64_t slot_ms) {
  if (CapacityOf(store) != 0) Change(store, slot_ms, -1, 0);
}
void DeliveryLoad::Restore(StoreIdx store, int64_t slot_ms) {
  if (CapacityOf(store) != 0) Change(store, slot_ms, +1, 0);
}

}  // namespace hourglass::alloc
