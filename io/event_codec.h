// The JSON form of journal events — one object per record, the same text the
// event stream sends to subscribers — and its replay into the allocator.
//
//   {"seq":1042,"type":"reserved","order":"O-1","store":"S-17",
//    "items":[{"sku":"A","qty":2}],"eta_min":31.4,"distance_km":4.21,
//    "expires_at":"2026-11-24T10:15:00.000Z","expires_at_ms":1795515300000,
//    "ts":"2026-11-24T10:00:00.000Z"}
//   committed / released / expired: seq, type, order, store, items, ts
//   (+ tier, dealer, bound_store, role; for several-store orders each item's
//   "store" and, on reserved, "parts"; "at"/"at_ms" for a scheduled slot)
//   store_upserted / store_removed: the whole store record (io/store_fields.h)
//   {"seq":1043,"type":"stock_set","store":"S-1","sku":"A","on_hand":10,"ts":"..."}
//     (+ "as_of_seq":N when the level was given as of a journal position)
#ifndef HOURGLASS_IO_EVENT_CODEC_H_
#define HOURGLASS_IO_EVENT_CODEC_H_

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "alloc/allocator.h"
#include "alloc/event_log.h"

namespace hourglass::io {

void EncodeEvent(uint64_t seq, const alloc::ReservationEvent& event, const alloc::StoreSet& stores,
                 std::string& out);
void EncodeEvent(uint64_t seq, const alloc::StockSetEvent& event, const alloc::StoreSet& stores,
                 std::string& out);
// {"seq":N,"type":"store_upserted","store":"S-9","lat":..,...,"ts":".."} (the whole
// record, see io/store_fields.h); "store_removed" the same with "removed":true.
void EncodeEvent(uint64_t seq, const alloc::StoreEvent& event, const alloc::StoreSet& stores,
                 std::string& out);

// Re-applies logged events to an allocator during recovery.
class EventReplayer {
 public:
  // `base_dir`: where store zone files are relative to (the stores file's folder).
  EventReplayer(alloc::Allocator& allocator, alloc::Now now, std::filesystem::path base_dir = {})
      : allocator_(allocator), now_(now), base_dir_(std::move(base_dir)) {}
  // Throws LoadError (with `where`, e.g. "journal-...log offset 1234") when
  // the record is not an event this daemon can apply.
  void Apply(uint64_t seq, std::string_view json, const std::string& where);

 private:
  alloc::Allocator& allocator_;
  alloc::Now now_;
  std::filesystem::path base_dir_;
  simdjson::dom::parser parser_;
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_EVENT_CODEC_H_
