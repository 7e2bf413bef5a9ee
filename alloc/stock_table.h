// Live stock per (store, SKU): units on hand and units held by reservations.
//
// Layout: per store, one block (store_rows.h) of 8-byte levels, SKUs as
// 2-byte keys, and a small directory that takes a probe straight to the ~16
// keys where its SKU can be — about 10 bytes per row and three dependent
// cache misses a probe. The rows loaded at start share one arena. Each store
// has its own mutex, held for a few hundred nanoseconds at most, so orders at
// different stores never wait for each other and a multi-item hold at one
// store is all-or-nothing.
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
#include "alloc/sku_store_filter.h"
#include "alloc/store_rows.h"

namespace hourglass::alloc {

struct StockLevel {
  int32_t on_hand = 0;
  int32_t reserved = 0;
  bool known = false;  // the store has a row for this SKU
  int32_t available() const { return on_hand > reserved ? on_hand - reserved : 0; }
};

// Units a store keeps back from orders (safety stock for walk-in customers):
// line i may use only what is available above max(per_line[i], per_store).
struct KeepBack {
  std::span<const int32_t> per_line;  // empty: none per line
  int32_t per_store = 0;
  int32_t For(size_t line) const {
    const int32_t l = line < per_line.size() ? per_line[line] : 0;
    return l > per_store ? l : per_store;
  }
};

class StockTable {
 public:
  explicit StockTable(size_t stores);

  // Start-up loading, before any other thread sees the table. Rows may come
  // in any order; Seal() sorts them and returns a (store, sku) that was
  // loaded twice, if any, for the loader to refuse. It also builds the
  // per-SKU store filters (sku_store_filter.h) at the bits per row set before
  // it; 0 builds none, and every probe then reads the store's rows.
  static constexpr uint32_t kDefaultFilterBitsPerRow = 4;
  void set_filter_bits_per_row(uint32_t bits) { filter_bits_per_row_ = bits; }
  void LoadRow(StoreIdx store, SkuIdx sku, int32_t on_hand, int32_t reserved = 0);
  std::optional<std::pair<StoreIdx, SkuIdx>> Seal();

  StockLevel Level(StoreIdx store, SkuIdx sku) const;

  // How many stores had a row for `sku` when the table was sealed: a cheap
  // rarity measure, so stock probes can test the line most likely to fail
  // first. Fixed after Seal (SKUs added later count 0); any thread.
  uint32_t StoresStocking(SkuIdx sku) const {
    return Raw(sku) < stores_stocking_.size() ? stores_stocking_[Raw(sku)] : 0;
  }

  // Starts loading into cache what a probe of `sku` at `store` will read, so
  // that the probes of several candidate stores wait for memory at once, not
  // one after another. Reads nothing a writer changes (the rows' shape as of
  // Seal, whose arena lives as long as the table): any thread, no lock.
  void Prefetch(StoreIdx store, SkuIdx sku) const {
    if (!filter_.MayStock(sku, store)) return;  // the probe will not read the rows
    __builtin_prefetch(&stores_[Raw(store)]);
    sealed_rows_[Raw(store)].Prefetch(sku);
  }

  // False when the store filters show the store lacks a line's SKU (so
  // Covers would be false); true says nothing. No lock, no read of its rows.
  bool MayStockAll(StoreIdx store, std::span<const Line> lines) const {
    for (const Line& line : lines) {
      if (!filter_.MayStock(line.sku, store)) return false;
    }
    return true;
  }

  // True when the store has every line available. `lines` must hold each SKU
  // at most once (the allocator merges duplicates).
  bool Covers(StoreIdx store, std::span<const Line> lines, KeepBack keep = {}) const;
  // The fewest units the store would have left of any line (above what it
  // keeps back) after serving `lines`; -1 when it cannot serve them.
  int32_t Spare(StoreIdx store, std::span<const Line> lines, KeepBack keep = {}) const;

  // Each change below runs `under_lock` (if given) before it releases the
  // store's lock, so an event log sees one store's changes in order; it
  // returns the change's log sequence number (0 without a log).
  using UnderLock = FunctionRef<uint64_t()>;

  // Holds every line, or nothing when any line is short.
  bool TryHold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {},
               KeepBack keep = {});
  // Undoes a hold (release, expiry).
  void Unhold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {});

  // The same for an order served by several stores (a split, a pickup with
  // transfers): every store involved is locked at once, in index order (so
  // two such orders cannot deadlock), and `under_lock` runs once with all of
  // them held — one change, all or nothing, logged as one event.
  struct PartLines {
    StoreIdx store{};
    std::span<const Line> lines;
    KeepBack keep;
  };
  bool TryHoldParts(std::span<const PartLines> parts, UnderLock under_lock = {});
  void UnholdParts(std::span<const PartLines> parts, UnderLock under_lock = {});
  void ConsumeParts(std::span<const PartLines> parts, UnderLock under_lock = {});
  // Turns a hold into a sale: units leave on_hand.
  void Consume(StoreIdx store, std::span<const Line> lines, UnderLock under_lock = {});

  // Sets the absolute on-hand level from the system of record; adds the row
  // when the store did not stock the SKU. Held units stay held.
  //
  // With as_of_seq = N (> 0) the level is one the system of record computed
  // after applying our commits up to log seq N: the units this store
  // committed after N are deducted from it, so nothing is deducted twice or
  // sold twice. That needs the commits after N; the table keeps the latest
  // kCommitHistory per store, and refuses (stale = true, nothing changes)
  // when N is older than that.
  struct SetOutcome {
    StockLevel level;
    int32_t deducted = 0;       // units committed after as_of_seq
    bool stale = false;         // as_of_seq older than the history kept
    uint64_t history_from = 0;  // with stale: the oldest as_of_seq accepted
  };
  // `log_set` gets the on-hand level now in effect.
  using SetLog = FunctionRef<uint64_t(int32_t on_hand)>;
  SetOutcome Set(StoreIdx store, SkuIdx sku, int32_t on_hand, uint64_t as_of_seq = 0,
                 SetLog log_set = {});

  // Recovery from a snapshot taken at `seq`: commits before it are not known
  // any more, so levels as of an older seq are refused.
  void ForgetCommitsUpTo(uint64_t seq);

  // Recovery: re-applies a hold from the log without checking availability
  // (the log is the record of what happened; adds rows it names).
  void ForceHold(StoreIdx store, std::span<const Line> lines);

  // Locks every store (in index order) for a consistent copy; the locks are
  // released when the returned object goes.
  std::vector<std::unique_lock<std::mutex>> LockAll() const;
  // Calls fn(count) then fn for each row of `store`; the caller holds its
  // lock (LockAll).
  template <typename SizeFn, typename RowFn>
  void ForEachRowLocked(StoreIdx store, SizeFn size_fn, RowFn fn) const {
    const StoreStock& st = stores_[Raw(store)];
    size_fn(st.rows.size());
    st.rows.ForEach([&](SkuIdx sku, const RowUnits& u) { fn(sku, u.on_hand, u.reserved); });
  }
  // Calls fn(sku, on_hand, reserved) for each row of `store` under its lock
  // (for reports: the lock is held for the whole walk, a few microseconds).
  template <typename RowFn>
  void ForEachRow(StoreIdx store, RowFn fn) const {
    const StoreStock& st = stores_[Raw(store)];
    std::lock_guard lock(st.mu);
    st.rows.ForEach([&](SkuIdx sku, const RowUnits& u) { fn(sku, u.on_hand, u.reserved); });
  }
  // Rows of `store` right now (takes its lock).
  size_t RowCount(StoreIdx store) const;

  size_t stores() const { return stores_count_; }
  size_t rows() const;
  // Memory of the store filters, for the start-up report.
  size_t filter_bytes() const { return filter_.bytes(); }

 private:
  // A commit, kept for as_of_seq reconciliation.
  struct CommitMark {
    SkuIdx sku;
    int32_t qty;
    uint64_t seq;
  };
  static constexpr size_t kCommitHistory = 1024;
  // The lock and the rows' view share the first cache line: a probe touches
  // it, then the rows' block.
  struct alignas(64) StoreStock {
    mutable std::mutex mu;
    StoreRows rows;                    // guarded by mu; its block is in arena_ or `own`
    std::unique_ptr<std::byte[]> own;  // the block once the store gained a row after Seal
    // The latest commits, a ring once full (oldest at oldest_commit); a
    // vector, not a deque, because an empty deque allocates and most stores
    // commit nothing between snapshots. Guarded by mu.
    std::vector<CommitMark> commits;
    size_t oldest_commit = 0;
    uint64_t commits_known_after = 0;  // every commit with a larger seq is in `commits`
  };
  // The bodies of the changes, with the store's lock already held.
  static bool CanHoldLocked(const StoreStock& s, std::span<const Line> lines, KeepBack keep);
  static void HoldLocked(StoreStock& s, std::span<const Line> lines);
  static void UnholdLocked(StoreStock& s, std::span<const Line> lines);
  static void ConsumeLocked(StoreStock& s, std::span<const Line> lines);
  static void RecordCommitsLocked(StoreStock& s, std::span<const Line> lines, uint64_t seq);
  std::vector<std::unique_lock<std::mutex>> LockParts(std::span<const PartLines> parts) const;
  // The entry for `sku`, inserted (empty) when the store has none: the store's
  // rows move to a block of their own (a rare change, O(rows) under its lock).
  // The filter learns of the new row.
  RowUnits& UnitsFor(StoreIdx store, SkuIdx sku);

  size_t stores_count_;
  std::unique_ptr<StoreStock[]> stores_;  // mutexes cannot move, so no vector
  // Rows before Seal, by store; not in StoreStock, whose records would grow
  // a cache line each (6 MB at 100,000 stores) for what lives only while loading.
  std::vector<std::vector<StockRow>> loading_;
  // Every store's block as of Seal, one allocation: no per-store size-class
  // rounding, and the pages of the freed loading rows go back whole.
  std::unique_ptr<std::byte[]> arena_;
  // Each store's rows as Seal laid them out, for Prefetch: a store that gained
  // a row since has moved, and its prefetch then only warms unused lines.
  std::unique_ptr<StoreRows[]> sealed_rows_;
  std::vector<uint32_t> stores_stocking_;  // by SkuIdx; written by Seal only
  uint32_t filter_bits_per_row_ = kDefaultFilterBitsPerRow;
  SkuStoreFilter filter_;  // built by Seal
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STOCK_TABLE_H_
