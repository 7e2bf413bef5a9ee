// Live stock per (store, SKU): units on hand and units held by reservations.
//
// Layout: one sorted array of 12-byte entries per store, looked up by binary
// search. Each store has its own mutex, held for a few hundred nanoseconds at
// most, so orders at different stores never wait for each other and a
// multi-item hold at one store is all-or-nothing.
//
// Invariant (checked in debug builds): 0 <= reserved, 0 <= on_hand. Units are
// `available` when on_hand - reserved > 0.
#ifndef HOURGLASS_ALLOC_STOCK_TABLE_H_
#define HOURGLASS_ALLOC_STOCK_TABLE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "alloc/function_ref.h"
#include "alloc/ids.h"

namespace hourglass::alloc {

struct StockLevel {
  int32_t on_hand = 0;
  int32_t reserved = 0;
  bool known = false;  // the store has a row for this SKU
  int32_t available() const { return on_hand > reserved ? on_hand - reserved : 0; }
};

class StockTable {
 public:
  explicit StockTable(size_t stores);

  // Start-up loading, before any other thread sees the table. Rows may come
  // in any order; Seal() sorts them and returns a (store, sku) that was
  // loaded twice, if any, for the loader to refuse.
  void LoadRow(StoreIdx store, SkuIdx sku, int32_t on_hand);
  std::optional<std::pair<StoreIdx, SkuIdx>> Seal();

  StockLevel Level(StoreIdx store, SkuIdx sku) const;

  // True when the store has every line available. `lines` must hold each SKU
  // at most once (the allocator merges duplicates).
  bool Covers(StoreIdx store, std::span<const Line> lines) const;

  // Each change below runs `under_lock` (if given) before it releases the
  // store's lock, so an event log sees one store's changes in order.
  using UnderLock = FunctionRef<void()>;

  // Holds every line, or nothing when any line is short.
  bool TryHold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {});
  // Undoes a hold (release, expiry).
  void Unhold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {});
  // Turns a hold into a sale: units leave on_hand.
  void Consume(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {});

  // Sets the absolute on-hand level from the system of record; adds the row
  // when the store did not stock the SKU. Held units stay held.
  StockLevel Set(StoreIdx store, SkuIdx sku, int32_t on_hand, UnderLock under_lock = {});

  // Recovery: re-applies a hold from the log without checking availability
  // (the log is the record of what happened; adds rows it names).
  void ForceHold(StoreIdx store, std::span<const Line> lines);

  size_t stores() const { return stores_count_; }
  size_t rows() const;

 private:
  struct Entry {
    SkuIdx sku;
    int32_t on_hand;
    int32_t reserved;
  };
  struct StoreStock {
    mutable std::mutex mu;
    std::vector<Entry> entries;  // sorted by sku; guarded by mu
  };
  static Entry* FindEntry(std::vector<Entry>& entries, SkuIdx sku);
  static const Entry* FindEntry(const std::vector<Entry>& entries, SkuIdx sku);
  // The entry for `sku`, inserted (empty) when the store has none.
  static Entry& EntryFor(std::vector<Entry>& entries, SkuIdx sku);

  size_t stores_count_;
  std::unique_ptr<StoreStock[]> stores_;  // mutexes cannot move, so no vector
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STOCK_TABLE_H_
