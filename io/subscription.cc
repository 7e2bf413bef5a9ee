#include "io/subscription.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "io/json_writer.h"
#include "io/load_error.h"

namespace hourglass::io {
namespace {

namespace fs = std::filesystem;
constexpr size_t kHeaderBytes = 16;

uint32_t GetU32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t GetU64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class JournalStream : public Stream {
 public:
  JournalStream(Subscriptions& subs, std::string name, uint64_t from)
      : subs_(subs), name_(std::move(name)), reader_(subs.journal(), from) {}

  void Fill(std::string& out, size_t max_bytes) override {
    const Journal& j = subs_.journal();
    // Only what the journal acknowledged: the system of record must never
    // hear of a change the daemon could still lose in a crash.
    const uint64_t up_to = std::min(j.AckedSeq(), j.written_seq());
    const size_t start = out.size();
    while (out.size() - start < max_bytes && reader_.Next(up_to, out)) out.push_back('\n');
  }

  void OnLine(std::string_view line, std::string& out) override {
    simdjson::padded_string padded(line);
    simdjson::dom::element doc;
    std::string_view op;
    uint64_t seq = 0;
    if (parser_.parse(padded).get(doc) || doc["op"].get(op) || op != "ack" || doc["seq"].get(seq)) {
      Error(out, "bad_request", "a subscribed connection takes only {\"op\":\"ack\",\"seq\":N}");
      return;
    }
    if (seq >= reader_.next_seq()) {
      Error(out, "bad_request", "ack of seq " + std::to_string(seq) + " which was not sent yet");
      return;
    }
    subs_.Ack(name_, seq);
  }

 private:
  static void Error(std::string& out, std::string_view code, const std::string& message) {
    JsonWriter w(out);
    w.BeginObject().Field("ok", false).Key("error").BeginObject();
    w.Field("code", code).Field("message", message).EndObject().EndObject();
    out.push_back('\n');
  }

  Subscriptions& subs_;
  const std::string name_;
  JournalReader reader_;
  simdjson::dom::parser parser_;
};

}  // namespace

Subscriptions::Subscriptions(fs::path dir, Journal& journal)
    : path_(dir / "subscriptions.json"), journal_(journal) {
  std::ifstream in(path_);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(simdjson::padded_string(text.str())).get(obj)) {
    throw LoadError(path_.string() + ": not a JSON object of name -> acked seq");
  }
  for (auto field : obj) {
    uint64_t seq = 0;
    if (field.value.get(seq)) {
      throw LoadError(path_.string() + ": subscription \"" + std::string(field.key) +
                      "\": the acked seq must be a whole number");
    }
    acked_[std::string(field.key)] = seq;
  }
}

uint64_t Subscriptions::Acked(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = acked_.find(name);
  return it == acked_.end() ? 0 : it->second;
}

void Subscriptions::Ack(const std::string& name, uint64_t seq) {
  std::lock_guard lock(mu_);
  uint64_t& at = acked_[name];
  if (seq > at) {
    at = seq;
    dirty_ = true;
  }
}

std::map<std::string, uint64_t> Subscriptions::AckedAll() const {
  std::lock_guard lock(mu_);
  return acked_;
}

uint64_t Subscriptions::MinAcked() const {
  std::lock_guard lock(mu_);
  uint64_t min = std::numeric_limits<uint64_t>::max();
  for (const auto& [name, seq] : acked_) min = std::min(min, seq);
  return min;
}

void Subscriptions::Save() {
  std::string text;
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return;
    dirty_ = false;
    JsonWriter w(text);
    w.BeginObject();
    for (const auto& [name, seq] : acked_) w.Field(name, static_cast<int64_t>(seq));
    w.EndObject();
  }
  text.push_back('\n');
  const fs::path tmp = path_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) fs::rename(tmp, path_, ec);
  if (!ok || ec) {
    std::lock_guard lock(mu_);
    dirty_ = true;  // try again next time
  }
}

std::unique_ptr<Stream> Subscriptions::Open(const std::string& name, uint64_t from,
                                            std::string& error) {
  const auto segments = journal_.Segments();
  // Before the first segment exists, records appended but not yet written
  // will start it: they are kept, not lost.
  const uint64_t oldest =
      segments.empty() ? journal_.written_seq() + 1 : segments.front().first_seq;
  if (from < oldest) {
    error = "seq " + std::to_string(from) + " is no longer kept (the journal starts at seq " +
            std::to_string(oldest) + "); resubscribe from there after a full resync";
    return nullptr;
  }
  {
    // A new name holds the journal from where it starts, even before its first ack.
    std::lock_guard lock(mu_);
    if (acked_.try_emplace(name, from - 1).second) dirty_ = true;
  }
  return std::make_unique<JournalStream>(*this, name, from);
}

JournalReader::JournalReader(const Journal& journal, uint64_t from)
    : journal_(journal), next_seq_(from) {}

JournalReader::~JournalReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool JournalReader::OpenSegmentFor(uint64_t seq) {
  const auto segments = journal_.Segments();
  const JournalSegment* found = nullptr;
  for (const auto& s : segments) {
    if (s.first_seq <= seq) found = &s;
  }
  if (found == nullptr) return false;
  if (file_ != nullptr && segment_first_ == found->first_seq) return true;
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(found->path.c_str(), "rb");
  if (file_ == nullptr) return false;
  segment_first_ = found->first_seq;
  return true;
}

bool JournalReader::Next(uint64_t up_to, std::string& json) {
  while (next_seq_ <= up_to) {
    if (file_ == nullptr && !OpenSegmentFor(next_seq_)) return false;
    unsigned char header[kHeaderBytes];
    const long at = std::ftell(file_);
    if (std::fread(header, 1, kHeaderBytes, file_) != kHeaderBytes) {
      std::clearerr(file_);
      std::fseek(file_, at, SEEK_SET);
      // This segment is complete only if the next one starts at next_seq_.
      const uint64_t current = segment_first_;
      if (!OpenSegmentFor(next_seq_) || segment_first_ == current) return false;
      continue;
    }
    const uint32_t len = GetU32(header);
    const uint64_t seq = GetU64(header + 8);
    scratch_.resize(len);
    if (std::fread(scratch_.data(), 1, len, file_) != len) {
      std::clearerr(file_);
      std::fseek(file_, at, SEEK_SET);
      return false;
    }
    if (seq < next_seq_) continue;  // seeking forward to `from`
    json.append(scratch_);
    next_seq_ = seq + 1;
    return true;
  }
  return false;
}

}  // namespace hourglass::io
