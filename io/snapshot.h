// Snapshot files: the whole allocator state at one journal seq, so a restart
// reads one file plus the journal records after it instead of the stock CSV
// and every record ever written, and older journal segments can go.
//
// <dir>/snapshot-<seq, 20 digits>.snap, binary, little-endian:
//   "HGSNAP01" | u64 seq | SKU names | per store: id, rows (sku, on_hand,
//   reserved) | orders | u32 CRC-32 of everything before it.
// Written to a temporary name, synced, then renamed: a crash mid-write
// leaves the previous snapshot in place.
#ifndef HOURGLASS_IO_SNAPSHOT_H_
#define HOURGLASS_IO_SNAPSHOT_H_

#include <cstdint>
#include <filesystem>
#include <optional>

#include "alloc/inventory.h"
#include "alloc/state_image.h"

namespace hourglass::io {

// Writes the image; returns the file's path. Throws LoadError on failure.
// The image names its stores (StateImage::stores).
std::filesystem::path WriteSnapshot(const std::filesystem::path& dir,
                                    const alloc::StateImage& image);

// The newest snapshot in `dir`, if any.
std::optional<std::filesystem::path> LatestSnapshot(const std::filesystem::path& dir);

// Applies the snapshot's runtime store changes to `inventory`'s stores (zone
// files relative to `stores_dir`), loads its stock rows into the stock table
// (which must be empty) and returns the rest (orders, seq) for
// Allocator::Restore. Throws LoadError naming the file and what is wrong.
alloc::StateImage ReadSnapshot(const std::filesystem::path& path, alloc::Inventory& inventory,
                               const std::filesystem::path& stores_dir);

// Deletes snapshots older than `keep_seq`.
void RemoveSnapshotsBefore(const std::filesystem::path& dir, uint64_t keep_seq);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_SNAPSHOT_H_
