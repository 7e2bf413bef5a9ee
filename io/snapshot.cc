#include "io/snapshot.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "io/data_loader.h"
#include "io/json_writer.h"
#include "io/load_error.h"
#include "io/store_fields.h"

namespace hourglass::io {
namespace {

namespace fs = std::filesystem;
// 03 added the stores changed at runtime; 02 each order's stores (parts),
// delivery slot and bound store. 01 and 02 files are still read.
constexpr char kMagic[8] = {'H', 'G', 'S', 'N', 'A', 'P', '0', '3'};
constexpr char kMagicV2[8] = {'H', 'G', 'S', 'N', 'A', 'P', '0', '2'};
constexpr char kMagicV1[8] = {'H', 'G', 'S', 'N', 'A', 'P', '0', '1'};

class Writer {
 public:
  void Bytes(const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
  template <typename T>
  void Num(T v) {
    // The project only targets little-endian machines (x86-64, arm64).
    Bytes(&v, sizeof v);
  }
  void Str(std::string_view s) {
    Num(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  std::string out;
};

class Reader {
 public:
  Reader(std::string data, std::string name) : data_(std::move(data)), name_(std::move(name)) {}
  template <typename T>
  T Num() {
    T v;
    Need(sizeof v);
    std::memcpy(&v, data_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view Str() {
    const auto n = Num<uint32_t>();
    Need(n);
    std::string_view s(data_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  // A count of things each at least `min_bytes` long: more than the rest of
  // the file could hold is damage, refused before anything is sized by it
  // (a flipped bit must not ask for gigabytes).
  uint32_t Count(size_t min_bytes, std::string_view what) {
    const auto n = Num<uint32_t>();
    if (static_cast<uint64_t>(n) * min_bytes > data_.size() - pos_) {
      Fail("the file cannot hold the " + std::to_string(n) + " " + std::string(what) +
           " it announces (damaged or truncated snapshot)");
    }
    return n;
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw LoadError(name_ + ": offset " + std::to_string(pos_) + ": " + why);
  }
  const std::string& data() const { return data_; }
  size_t pos() const { return pos_; }

 private:
  void Need(size_t n) const {
    if (data_.size() - pos_ < n) Fail("the file ends early (truncated snapshot)");
  }
  std::string data_;
  std::string name_;
  size_t pos_ = 0;
};

std::string SnapshotName(uint64_t seq) {
  char name[64];
  std::snprintf(name, sizeof name, "snapshot-%020llu.snap", static_cast<unsigned long long>(seq));
  return name;
}

std::optional<uint64_t> SnapshotSeq(const fs::path& p) {
  unsigned long long seq = 0;
  const std::string name = p.filename().string();
  if (std::sscanf(name.c_str(), "snapshot-%20llu.snap", &seq) == 1 && name == SnapshotName(seq)) {
    return seq;
  }
  return std::nullopt;
}

// The same CRC-32 as boost::crc_32_type (files written before stay valid),
// by zlib's word-at-a-time code: a snapshot of 10^8 rows is a gigabyte.
uint32_t Crc(const char* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(p), n));
}

}  // namespace

fs::path WriteSnapshot(const fs::path& dir, const alloc::StateImage& image) {
  const alloc::StoreSet& stores = image.stores->stores;
  Writer w;
  w.Bytes(kMagic, sizeof kMagic);
  w.Num<uint64_t>(image.seq);
  // Stores changed at runtime, as their journal records, before the stock
  // that names them (the stores file does not know them).
  std::vector<std::string> changed;
  for (const alloc::Store& s : stores.all()) {
    if (!s.dynamic) continue;
    std::string record;
    JsonWriter json(record);
    json.BeginObject().Field("store", s.id);
    WriteStoreFields(json, s);
    json.EndObject();
    changed.push_back(std::move(record));
  }
  w.Num(static_cast<uint32_t>(changed.size()));
  for (const auto& record : changed) w.Str(record);
  w.Num(static_cast<uint32_t>(image.sku_names.size()));
  for (const auto& name : image.sku_names) w.Str(name);
  w.Num(static_cast<uint32_t>(image.stock.size()));
  for (uint32_t s = 0; s < image.stock.size(); ++s) {
    w.Str(stores[alloc::StoreIdx{s}].id);
    w.Num(static_cast<uint32_t>(image.stock[s].size()));
    for (const auto& row : image.stock[s]) {
      w.Num(alloc::Raw(row.sku));
      w.Num(row.on_hand);
      w.Num(row.reserved);
    }
  }
  w.Num(static_cast<uint32_t>(image.orders.size()));
  for (const auto& o : image.orders) {
    w.Str(o.order);
    w.Num(static_cast<uint32_t>(o.parts.size()));
    for (const alloc::OrderPart& p : o.parts) {
      w.Num(alloc::Raw(p.store));
      w.Num(p.eta_min);
      w.Num(p.distance_km);
      w.Num(static_cast<uint8_t>(p.role));
      w.Num(p.end_line);
    }
    w.Num(static_cast<uint8_t>(o.state));
    w.Num(o.expires_at_wall_ms);
    w.Num(o.forget_at_wall_ms);
    w.Num(o.seq);
    w.Num(o.slot_wall_ms);
    w.Num(alloc::Raw(o.bound));
    w.Num(static_cast<uint32_t>(o.lines.size()));
    for (size_t i = 0; i < o.lines.size(); ++i) {
      w.Str(o.skus[i]);
      w.Num(o.lines[i].qty);
    }
  }
  w.Num(Crc(w.out.data(), w.out.size()));

  const fs::path final_path = dir / SnapshotName(image.seq);
  const fs::path tmp = final_path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw LoadError(tmp.string() + ": cannot create: " + std::strerror(errno));
  size_t done = 0;
  while (done < w.out.size()) {
    const ssize_t n = ::write(fd, w.out.data() + done, w.out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(tmp.c_str());  // on a full disk, the partial file would keep the space
      throw LoadError(tmp.string() + ": write failed: " + std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw LoadError(tmp.string() + ": fsync failed: " + std::strerror(error));
  }
  ::close(fd);
  fs::rename(tmp, final_path);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return final_path;
}

std::optional<fs::path> LatestSnapshot(const fs::path& dir) {
  std::optional<fs::path> best;
  uint64_t best_seq = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto seq = SnapshotSeq(e.path());
    if (seq && (!best || *seq > best_seq)) {
      best = e.path();
      best_seq = *seq;
    }
  }
  return best;
}

void RemoveSnapshotsBefore(const fs::path& dir, uint64_t keep_seq) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto seq = SnapshotSeq(e.path());
    if (seq && *seq < keep_seq) fs::remove(e.path(), ec);
  }
}

alloc::StateImage ReadSnapshot(const fs::path& path, alloc::Inventory& inventory,
                               const fs::path& stores_dir) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw LoadError(path.string() + ": cannot open the snapshot");
  std::string data(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  const auto is = [&data](const char(&magic)[8]) {
    return data.size() >= sizeof magic && std::memcmp(data.data(), magic, sizeof magic) == 0;
  };
  const bool v1 = is(kMagicV1);
  const bool v2 = is(kMagicV2);
  if (data.size() < sizeof kMagic + 12 || (!v1 && !v2 && !is(kMagic))) {
    throw LoadError(path.string() + ": not a snapshot file (bad header)");
  }
  uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  if (Crc(data.data(), data.size() - 4) != stored_crc) {
    throw LoadError(path.string() +
                    ": checksum mismatch: the snapshot is damaged. Move it aside to start from "
                    "the journal alone (only if the journal still starts at seq 1)");
  }
  Reader r(std::move(data), path.string());
  r.Num<uint64_t>();  // magic
  alloc::StateImage image;
  image.seq = r.Num<uint64_t>();
  if (!v1 && !v2) {
    // Stores changed at runtime: applied over the stores file first.
    const auto n_changed = r.Count(4, "store records");
    simdjson::dom::parser parser;
    for (uint32_t i = 0; i < n_changed; ++i) {
      const std::string record(r.Str());
      simdjson::dom::element doc;
      if (parser.parse(record).get(doc) != simdjson::SUCCESS) r.Fail("a store record is not JSON");
      alloc::Store store;
      if (const std::string why = ReadStoreRecord(doc, stores_dir, store); !why.empty())
        r.Fail(why);
      const bool removed = store.removed;
      std::vector<alloc::Store> list;
      alloc::StoreIdx at{};
      const auto edit = alloc::EditStores(*inventory.Stores(), std::move(store), false,
                                          inventory.slots, list, at);
      if (edit == alloc::StoreEdit::kNoRoom) r.Fail("more stores than [limits] allow");
      if (edit == alloc::StoreEdit::kWarehouse) r.Fail("a store record names a warehouse");
      list[alloc::Raw(at)].removed = removed;
      inventory.sites.Publish(std::make_shared<alloc::StoreView>(std::move(list)));
    }
  }
  const auto stores_now = inventory.Stores();
  const auto n_skus = r.Count(4, "SKU names");
  std::vector<alloc::SkuIdx> sku_map(n_skus);  // snapshot index -> this run's index
  for (uint32_t i = 0; i < n_skus; ++i) sku_map[i] = inventory.skus.Intern(r.Str());
  const auto n_stores = r.Count(8, "stores");
  std::vector<alloc::StoreIdx> store_map;  // snapshot index -> this run's index
  for (uint32_t s = 0; s < n_stores; ++s) {
    const std::string_view id = r.Str();
    const auto store = stores_now->stores.Find(id);
    if (!store) r.Fail("store " + std::string(id) + " is not in the stores file any more");
    store_map.push_back(*store);
    const auto rows = r.Count(12, "stock rows");
    for (uint32_t i = 0; i < rows; ++i) {
      const auto sku = r.Num<uint32_t>();
      const auto on_hand = r.Num<int32_t>();
      const auto reserved = r.Num<int32_t>();
      if (sku >= n_skus) r.Fail("a stock row names an unknown SKU index");
      // As the stock file and the journal are held to: never below zero, never
      // more than any shelf. Held units may exceed on_hand after a stock.set,
      // but each hold fitted on a shelf, so they never exceed kMaxOnHand.
      if (on_hand < 0 || on_hand > kMaxOnHand || reserved < 0 || reserved > kMaxOnHand)
        r.Fail("a stock row has an impossible level (on_hand " + std::to_string(on_hand) +
               ", reserved " + std::to_string(reserved) + ")");
      inventory.stock.LoadRow(*store, sku_map[sku], on_hand, reserved);
    }
  }
  if (inventory.stock.Seal()) r.Fail("a store lists a SKU twice");
  const auto n_orders = r.Count(4, "orders");
  image.orders.reserve(n_orders);
  for (uint32_t i = 0; i < n_orders; ++i) {
    alloc::OrderImage o;
    o.order = std::string(r.Str());
    const uint32_t n_parts = v1 ? 1 : r.Num<uint32_t>();
    if (n_parts == 0 || n_parts > 64) r.Fail("an order has an impossible number of stores");
    for (uint32_t k = 0; k < n_parts; ++k) {
      alloc::OrderPart part;
      const auto store = r.Num<uint32_t>();
      if (store >= n_stores) r.Fail("an order names an unknown store index");
      part.store = store_map[store];
      part.eta_min = r.Num<double>();
      part.distance_km = r.Num<double>();
      if (!v1) {
        const auto role = r.Num<uint8_t>();
        if (role > static_cast<uint8_t>(alloc::PartRole::kShip)) r.Fail("bad part role");
        part.role = static_cast<alloc::PartRole>(role);
        part.end_line = r.Num<uint32_t>();
      }
      o.parts.push_back(part);
    }
    const auto state = r.Num<uint8_t>();
    if (state > static_cast<uint8_t>(alloc::OrderState::kExpired)) r.Fail("bad order state");
    o.state = static_cast<alloc::OrderState>(state);
    o.expires_at_wall_ms = r.Num<int64_t>();
    o.forget_at_wall_ms = r.Num<int64_t>();
    o.seq = r.Num<uint64_t>();
    if (!v1) {
      o.slot_wall_ms = r.Num<int64_t>();
      const auto bound = r.Num<uint32_t>();
      if (bound != alloc::Raw(alloc::kNoStore)) {
        if (bound >= n_stores) r.Fail("an order names an unknown bound store index");
        o.bound = store_map[bound];
      }
    }
    const auto lines = r.Num<uint32_t>();
    for (uint32_t k = 0; k < lines; ++k) {
      const std::string_view sku = r.Str();
      o.skus.emplace_back(sku);
      o.lines.push_back({inventory.skus.Intern(sku), r.Num<int32_t>()});
    }
    if (v1) o.parts[0].end_line = lines;
    if (o.parts.back().end_line != lines) r.Fail("an order's parts do not cover its lines");
    image.orders.push_back(std::move(o));
  }
  if (r.pos() + 4 != r.data().size()) r.Fail("unexpected bytes before the checksum");
  return image;
}

}  // namespace hourglass::io
