#include "alloc/stock_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace hourglass::alloc {

namespace {

// The rows' arena, in 2 MiB pages where the kernel has them for the asking
// (transparent huge pages in "madvise" mode): probes land on random stores,
// and with 4 KiB pages nearly each one also missed the TLB (a measured 12 %
// of a decision). Only a hint; left unwritten, so the hint applies when the
// pages are first touched.
std::unique_ptr<std::byte[]> AllocateArena(size_t bytes) {
  auto arena = std::make_unique_for_overwrite<std::byte[]>(bytes);
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<uintptr_t>(arena.get());
  const uintptr_t lo = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t hi = (begin + bytes) & ~(kHugePage - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  return arena;
}

}  // namespace

StockTable::StockTable(size_t stores)
    : stores_count_(stores),
      stores_(std::make_unique<StoreStock[]>(stores)),
      sealed_rows_(std::make_unique<StoreRows[]>(stores)) {}

void StockTable::LoadRow(StoreIdx store, SkuIdx sku, int32_t on_hand, int32_t reserved) {
  if (loading_.empty()) loading_.resize(stores_count_);
  loading_[Raw(store)].push_back({sku, {on_hand, reserved}});
}

std::vector<std::unique_lock<std::mutex>> StockTable::LockAll() const {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stores_count_);
  for (size_t i = 0; i < stores_count_; ++i) locks.emplace_back(stores_[i].mu);
  return locks;
}

std::optional<std::pair<StoreIdx, SkuIdx>> StockTable::Seal() {
  stores_stocking_.clear();
  if (loading_.empty()) loading_.resize(stores_count_);
  std::optional<std::pair<StoreIdx, SkuIdx>> duplicate;
  std::vector<size_t> offsets(stores_count_);
  size_t arena_bytes = 0;
  for (size_t i = 0; i < stores_count_; ++i) {
    StoreStock& st = stores_[i];
    auto& rows = loading_[i];
    // Rows added before Seal (none in the daemon, which seals once) join the load.
    st.rows.ForEach([&rows](SkuIdx sku, const RowUnits& u) { rows.push_back({sku, u}); });
    std::sort(rows.begin(), rows.end(),
              [](const StockRow& a, const StockRow& b) { return a.sku < b.sku; });
    auto dup =
        std::adjacent_find(rows.begin(), rows.end(),
                           [](const StockRow& a, const StockRow& b) { return a.sku == b.sku; });
    if (dup != rows.end() && !duplicate)
      duplicate = std::pair{StoreIdx{static_cast<uint32_t>(i)}, dup->sku};
    offsets[i] = arena_bytes;
    arena_bytes += StoreRows::BlockBytes(rows);
    for (const StockRow& row : rows) {
      if (Raw(row.sku) >= stores_stocking_.size()) stores_stocking_.resize(Raw(row.sku) + 1);
      ++stores_stocking_[Raw(row.sku)];
    }
  }
  filter_.Build(stores_stocking_, filter_bits_per_row_);
  auto arena = AllocateArena(arena_bytes);
  for (size_t i = 0; i < stores_count_; ++i) {
    StoreStock& st = stores_[i];
    st.rows.BuildIn(loading_[i], arena.get() + offsets[i]);
    sealed_rows_[i] = st.rows;
    st.own.reset();
    const StoreIdx store{static_cast<uint32_t>(i)};
    for (const StockRow& row : loading_[i]) filter_.Add(row.sku, store);
    std::vector<StockRow>().swap(loading_[i]);
  }
  std::vector<std::vector<StockRow>>().swap(loading_);
  arena_ = std::move(arena);
  return duplicate;
}

StockLevel StockTable::Level(StoreIdx store, SkuIdx sku) const {
  const StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  const RowUnits* e = s.rows.Find(sku);
  if (e == nullptr) return {};
  return {e->on_hand, e->reserved, true};
}

bool StockTable::Covers(StoreIdx store, std::span<const Line> lines, KeepBack keep) const {
  if (!MayStockAll(store, lines)) return false;
  const StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  return CanHoldLocked(s, lines, keep);
}

int32_t StockTable::Spare(StoreIdx store, std::span<const Line> lines, KeepBack keep) const {
  if (!MayStockAll(store, lines)) return -1;
  const StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  int32_t fewest = std::numeric_limits<int32_t>::max();
  for (size_t i = 0; i < lines.size(); ++i) {
    const RowUnits* e = s.rows.Find(lines[i].sku);
    if (e == nullptr) return -1;
    const int32_t left = e->on_hand - e->reserved - keep.For(i) - lines[i].qty;
    if (left < 0) return -1;
    fewest = std::min(fewest, left);
  }
  return fewest;
}

bool StockTable::CanHoldLocked(const StoreStock& s, std::span<const Line> lines, KeepBack keep) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const RowUnits* e = s.rows.Find(lines[i].sku);
    if (e == nullptr || e->on_hand - e->reserved - keep.For(i) < lines[i].qty) return false;
  }
  return true;
}

void StockTable::HoldLocked(StoreStock& s, std::span<const Line> lines) {
  for (const Line& line : lines) s.rows.Find(line.sku)->reserved += line.qty;
}

void StockTable::UnholdLocked(StoreStock& s, std::span<const Line> lines) {
  for (const Line& line : lines) {
    RowUnits* e = s.rows.Find(line.sku);
    // Only a hold that was made may be undone: anything else means the
    // books are corrupt, and going on would sell stock that is not there.
    if (e == nullptr || e->reserved < line.qty) std::abort();
    e->reserved -= line.qty;
  }
}

void StockTable::ConsumeLocked(StoreStock& s, std::span<const Line> lines) {
  for (const Line& line : lines) {
    RowUnits* e = s.rows.Find(line.sku);
    if (e == nullptr || e->reserved < line.qty) std::abort();  // as in Unhold
    e->reserved -= line.qty;
    // A stock.set below the held units may have lowered on_hand already;
    // never let it go negative.
    e->on_hand = std::max(0, e->on_hand - line.qty);
  }
}

void StockTable::RecordCommitsLocked(StoreStock& s, std::span<const Line> lines, uint64_t seq) {
  if (seq == 0) return;
  for (const Line& line : lines) {
    const CommitMark mark{line.sku, line.qty, seq};
    if (s.commits.size() < kCommitHistory) {
      s.commits.push_back(mark);
      continue;
    }
    // Full: the oldest mark (at oldest_commit) makes way.
    s.commits_known_after = s.commits[s.oldest_commit].seq;
    s.commits[s.oldest_commit] = mark;
    s.oldest_commit = (s.oldest_commit + 1) % kCommitHistory;
  }
}

bool StockTable::TryHold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock,
                         KeepBack keep) {
  if (!MayStockAll(store, lines)) return false;
  StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  if (!CanHoldLocked(s, lines, keep)) return false;
  HoldLocked(s, lines);
  if (under_lock) under_lock();
  return true;
}

void StockTable::Unhold(StoreIdx store, std::span<const Line> lines, UnderLock under_lock) {
  StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  UnholdLocked(s, lines);
  if (under_lock) under_lock();
}

void StockTable::Consume(StoreIdx store, std::span<const Line> lines, UnderLock under_lock) {
  StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  ConsumeLocked(s, lines);
  RecordCommitsLocked(s, lines, under_lock ? under_lock() : 0);
}

std::vector<std::unique_lock<std::mutex>> StockTable::LockParts(
    std::span<const PartLines> parts) const {
  std::vector<uint32_t> ids;
  ids.reserve(parts.size());
  for (const PartLines& p : parts) ids.push_back(Raw(p.store));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(ids.size());
  for (const uint32_t id : ids) locks.emplace_back(stores_[id].mu);
  return locks;
}

bool StockTable::TryHoldParts(std::span<const PartLines> parts, UnderLock under_lock) {
  const auto locks = LockParts(parts);
  for (const PartLines& p : parts) {
    if (!CanHoldLocked(stores_[Raw(p.store)], p.lines, p.keep)) return false;
  }
  for (const PartLines& p : parts) HoldLocked(stores_[Raw(p.store)], p.lines);
  if (under_lock) under_lock();
  return true;
}

void StockTable::UnholdParts(std::span<const PartLines> parts, UnderLock under_lock) {
  const auto locks = LockParts(parts);
  for (const PartLines& p : parts) UnholdLocked(stores_[Raw(p.store)], p.lines);
  if (under_lock) under_lock();
}

void StockTable::ConsumeParts(std::span<const PartLines> parts, UnderLock under_lock) {
  const auto locks = LockParts(parts);
  for (const PartLines& p : parts) ConsumeLocked(stores_[Raw(p.store)], p.lines);
  const uint64_t seq = under_lock ? under_lock() : 0;
  for (const PartLines& p : parts) RecordCommitsLocked(stores_[Raw(p.store)], p.lines, seq);
}

RowUnits& StockTable::UnitsFor(StoreIdx store, SkuIdx sku) {
  StoreStock& s = stores_[Raw(store)];
  if (RowUnits* u = s.rows.Find(sku)) return *u;
  std::vector<StockRow> rows;
  rows.reserve(s.rows.size() + 1);
  s.rows.ForEach([&rows](SkuIdx k, const RowUnits& u) { rows.push_back({k, u}); });
  const auto at = std::lower_bound(rows.begin(), rows.end(), sku,
                                   [](const StockRow& r, SkuIdx k) { return r.sku < k; });
  rows.insert(at, StockRow{sku, {}});
  auto block = std::make_unique_for_overwrite<std::byte[]>(StoreRows::BlockBytes(rows));
  s.rows.BuildIn(rows, block.get());
  s.own = std::move(block);  // the old block, if its own, goes; an arena slot stays unused
  filter_.Add(sku, store);   // after the row exists: a reader that sees the bits finds it
  return *s.rows.Find(sku);
}

StockTable::SetOutcome StockTable::Set(StoreIdx store, SkuIdx sku, int32_t on_hand,
                                       uint64_t as_of_seq, SetLog log_set) {
  StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  SetOutcome out;
  if (as_of_seq != 0) {
    if (as_of_seq < s.commits_known_after) {
      out.stale = true;
      out.history_from = s.commits_known_after;
      return out;
    }
    for (const CommitMark& c : s.commits) {
      if (c.sku == sku && c.seq > as_of_seq) out.deducted += c.qty;
    }
  }
  RowUnits& e = UnitsFor(store, sku);
  e.on_hand = std::max(0, on_hand - out.deducted);
  if (log_set) log_set(e.on_hand);
  out.level = {e.on_hand, e.reserved, true};
  return out;
}

void StockTable::ForgetCommitsUpTo(uint64_t seq) {
  for (size_t i = 0; i < stores_count_; ++i) {
    std::lock_guard lock(stores_[i].mu);
    stores_[i].commits.clear();
    stores_[i].oldest_commit = 0;
    stores_[i].commits_known_after = seq;
  }
}

void StockTable::ForceHold(StoreIdx store, std::span<const Line> lines) {
  StoreStock& s = stores_[Raw(store)];
  std::lock_guard lock(s.mu);
  for (const Line& line : lines) UnitsFor(store, line.sku).reserved += line.qty;
}

size_t StockTable::RowCount(StoreIdx store) const {
  std::lock_guard lock(stores_[Raw(store)].mu);
  return stores_[Raw(store)].rows.size();
}

size_t StockTable::rows() const {
  size_t n = 0;
  for (size_t i = 0; i < stores_count_; ++i) {
    std::lock_guard lock(stores_[i].mu);
    n += stores_[i].rows.size();
  }
  return n;
}

}  // namespace hourglass::alloc
