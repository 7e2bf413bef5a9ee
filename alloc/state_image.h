// A consistent copy of the allocator's state at one log sequence number:
// what a snapshot file holds. Taken with every store and order shard locked
// (see Allocator::Capture), so no change is half in it.
#ifndef HOURGLASS_ALLOC_STATE_IMAGE_H_
#define HOURGLASS_ALLOC_STATE_IMAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alloc/ids.h"
#include "alloc/reservation_book.h"
#include "alloc/store_view.h"

namespace hourglass::alloc {

struct StockRowImage {
  SkuIdx sku{};
  int32_t on_hand = 0;
  int32_t reserved = 0;
};

struct OrderImage {
  std::string order;
  std::vector<OrderPart> parts;
  std::vector<Line> lines;  // grouped by part
  std::vector<std::string> skus;
  OrderState state = OrderState::kHeld;
  int64_t expires_at_wall_ms = 0;  // held: when the hold ends
  int64_t forget_at_wall_ms = 0;   // finished: when retries stop being remembered
  uint64_t seq = 0;
  int64_t slot_wall_ms = 0;   // the delivery's slot, for capacity (0: unknown)
  StoreIdx bound = kNoStore;  // the prefer_store the order asked for
};

struct StateImage {
  uint64_t seq = 0;                               // every change up to here, none after
  std::shared_ptr<const StoreView> stores;        // the stores as of seq
  std::vector<std::string> sku_names;             // by SkuIdx
  std::vector<std::vector<StockRowImage>> stock;  // by StoreIdx
  std::vector<OrderImage> orders;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_STATE_IMAGE_H_
