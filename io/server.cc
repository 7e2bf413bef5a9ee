#include "io/server.h"

#include <simdjson.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <type_traits>
#include <unordered_set>

#include "io/journal.h"
#include "io/latency_histogram.h"

namespace hourglass::io {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsSocket = asio::ssl::stream<tcp::socket>;
using boost::system::error_code;

// simdjson reads up to this many bytes past the end of a line; the read
// buffer keeps them allocated so a line can be parsed where it lies.
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr size_t kInitialReadBytes = 4096;
// Answers waiting for a client that does not read them: past this, stop
// reading that client's requests until it catches up.
constexpr size_t kMaxPendingOutputBytes = 4 << 20;

class ConnectionBase;

// Lines a stream sends per fill: keeps one subscriber from hogging its thread.
constexpr size_t kStreamChunkBytes = 256 * 1024;

struct Worker {
  asio::io_context ctx{1};
  std::atomic<size_t>* open_connections = nullptr;  // across all workers
  std::optional<asio::steady_timer> idle_timer;
  int idle_timeout_s = 0;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unique_ptr<LineHandler> handler;
  const std::function<uint64_t()>* acked_seq = nullptr;
  std::unordered_set<ConnectionBase*> connections;  // this worker's thread only
  std::unordered_set<ConnectionBase*> waiting;      // blocked on the journal; this thread only
  std::vector<ConnectionBase*> ready;  // scratch for waking `waiting`; this thread only
  // A wake-up for `waiting` is posted and has not run yet: the journal's
  // writer posts at most one at a time, however many batches it writes
  // while this thread is busy (any thread).
  std::atomic<bool> durable_posted{false};
  // Open while this thread works through the reads that are ready now: the
  // journal's writer is woken once, after the last of them, not once per
  // connection (see HoldJournalWakes). This thread only.
  std::optional<Journal::WakeBatch> journal_wakes;
  // How long answers were held back for the journal, in nanoseconds: from the
  // request's handling to the answer being handed to the socket (so it also
  // counts waiting behind an answer already being written). This thread only.
  LatencyHistogram journal_hold_ns;
  std::optional<asio::steady_timer> grace_timer;
  bool stopping = false;
  std::thread thread;
};

// Holds this thread's journal wake-ups until the handlers ready now have run:
// the release is posted behind them (a post from a handler queues after the
// completions already ready), so one wake-up of the writer carries the
// changes of every connection served in this round.
void HoldJournalWakes(Worker& w) {
  if (w.journal_wakes) return;
  w.journal_wakes.emplace();
  asio::post(w.ctx, [&w] { w.journal_wakes.reset(); });
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// What the worker's scans and the journal's wake-ups call, whatever the
// connection's transport.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void CloseIfIdle(std::chrono::steady_clock::time_point cutoff) = 0;
  virtual void Drain() = 0;
  virtual void Close() = 0;
  virtual void OnDurable() = 0;
};

// One client connection over `Socket`: tcp::socket (plain) or TlsSocket. A
// template rather than a virtual stream, so the plain path compiles to the
// same code it always did.
template <typename Socket>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Socket>> {
  static constexpr bool kTls = std::is_same_v<Socket, TlsSocket>;

 public:
  Connection(Socket socket, Worker& worker, size_t max_line_bytes)
      : socket_(std::move(socket)), worker_(worker), max_line_bytes_(max_line_bytes) {
    in_.resize(std::min(kInitialReadBytes, max_line_bytes_ + 1) + kPadding);
    worker_.open_connections->fetch_add(1, std::memory_order_relaxed);
  }

  ~Connection() override {
    worker_.open_connections->fetch_sub(1, std::memory_order_relaxed);
    worker_.connections.erase(this);
    worker_.waiting.erase(this);
    if (worker_.stopping && worker_.connections.empty() && worker_.grace_timer) {
      worker_.grace_timer->cancel();
    }
  }

  void Start() {
    session_ = worker_.handler->NewSession();
    worker_.connections.insert(this);
    error_code ec;
    socket_.lowest_layer().set_option(tcp::no_delay(true), ec);
    if (worker_.stopping) {
      Close();
      return;
    }
    last_progress_ = std::chrono::steady_clock::now();
    Handshake([this] { Read(); });
  }

  // Over the connection limit: say so, then close.
  void Refuse(size_t limit) {
    worker_.connections.insert(this);
    worker_.handler->TooManyConnections(limit, out_);
    close_after_write_ = true;
    Handshake([this] { Flush(); });
  }

  // Closes the connection when nothing moved since `cutoff`: no request
  // read and no answer taken — a silent client, or one that stopped reading
  // its answers (its buffer is capped; this frees the slot too). A stream
  // that is caught up is only waiting for events, and stays.
  void CloseIfIdle(std::chrono::steady_clock::time_point cutoff) override {
    if (closed_ || last_progress_ >= cutoff) return;
    if (stream_ && !writing_) return;
    Close();
  }

  // Stop taking requests; answer what was read, then close.
  void Drain() override {
    draining_ = true;
    error_code ec;
    socket_.lowest_layer().shutdown(tcp::socket::shutdown_receive, ec);
    if (!reading_) Flush();  // closes once every answer (some may wait on the journal) is out
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    socket_.lowest_layer().close(ec);
  }

  // The journal moved on: send what may go now.
  void OnDurable() override {
    Flush();
    if (read_paused_ && out_.size() <= kMaxPendingOutputBytes) {
      read_paused_ = false;
      Read();
    }
  }

 private:
  size_t usable() const { return in_.size() - kPadding; }

  // TLS: the handshake comes first; a client that is not speaking TLS (plain
  // TCP against a TLS listener) fails it and is closed, costing no one else.
  // Plain: nothing to do.
  template <typename Then>
  void Handshake(Then then) {
    if constexpr (kTls) {
      socket_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this(), then](const error_code& ec) {
                                if (ec) return self->Close();
                                self->last_progress_ = std::chrono::steady_clock::now();
                                then();
                              });
    } else {
      then();
    }
  }

  void Read() {
    if (closed_ || draining_ || close_after_write_) return;
    if (out_.size() > kMaxPendingOutputBytes) {
      read_paused_ = true;  // resumed by OnWrite once the client catches up
      return;
    }
    // Grow toward the line limit only while a partial line needs the room.
    if (usable() - in_len_ < kInitialReadBytes / 2 && usable() < max_line_bytes_ + 1) {
      in_.resize(std::min(usable() * 2, max_line_bytes_ + 1) + kPadding);
    }
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(in_.data() + in_len_, usable() - in_len_),
        [self = this->shared_from_this()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const error_code& ec, size_t n) {
    reading_ = false;
    if (ec) {
      // End of input (or reset): answers already produced still go out.
      draining_ = true;
      Flush();
      return;
    }
    in_len_ += n;
    last_progress_ = std::chrono::steady_clock::now();
    HoldJournalWakes(worker_);
    worker_.handler->BeginBatch();
    HandleLines();
    worker_.handler->EndBatch();
    Flush();
    Read();
  }

  void HandleLines() {
    size_t start = 0;
    while (start < in_len_) {
      const char* begin = in_.data() + start;
      const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', in_len_ - start));
      if (nl == nullptr) break;
      const size_t len = static_cast<size_t>(nl - begin);
      if (len > max_line_bytes_) return TooLarge();
      std::string_view line(begin, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start += len + 1;
      if (IsBlank(line)) continue;
      if (stream_) {
        stream_->OnLine(line, out_);
        continue;
      }
      const size_t answer_at = out_.size();
      HandleResult r = worker_.handler->Handle(line, out_, session_);
      if (r.wait_seq != 0) gates_.push_back({answer_at, r.wait_seq, Now()});
      if (r.stream) stream_ = std::move(r.stream);
    }
    std::memmove(in_.data(), in_.data() + start, in_len_ - start);
    in_len_ -= start;
    if (in_len_ > max_line_bytes_) TooLarge();
  }

  void TooLarge() {
    worker_.handler->TooLarge(max_line_bytes_, out_);
    close_after_write_ = true;
    in_len_ = 0;
  }

  // How much of out_ may go now: everything before the first answer whose
  // change the journal has not acknowledged yet.
  size_t Sendable() {
    if (gates_.empty() || !*worker_.acked_seq) return out_.size();
    const uint64_t acked = (*worker_.acked_seq)();
    size_t passed = 0;
    if (gates_.front().seq <= acked) {
      const uint64_t now = Now();
      while (passed < gates_.size() && gates_[passed].seq <= acked) {
        worker_.journal_hold_ns.Record(now - gates_[passed].since_ns);
        ++passed;
      }
    }
    gates_.erase(gates_.begin(), gates_.begin() + static_cast<long>(passed));
    return gates_.empty() ? out_.size() : gates_.front().at;
  }

  void Flush() {
    if (writing_ || closed_) return;
    if (stream_ && out_.empty() && !draining_) stream_->Fill(out_, kStreamChunkBytes);
    const size_t sendable = Sendable();
    if (sendable < out_.size() || (stream_ && out_.empty())) worker_.waiting.insert(this);
    if (sendable == 0) {
      if (out_.empty() && (close_after_write_ || (draining_ && !reading_))) Close();
      return;
    }
    if (sendable == out_.size()) {
      // All of it (the usual case): trade buffers instead of copying the answers.
      writing_buf_.swap(out_);
      out_.clear();
    } else {
      writing_buf_.assign(out_, 0, sendable);
      out_.erase(0, sendable);
    }
    for (Gate& gate : gates_) gate.at -= sendable;
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(writing_buf_),
        [self = this->shared_from_this()](const error_code& ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(const error_code& ec) {
    writing_ = false;
    last_progress_ = std::chrono::steady_clock::now();
    writing_buf_.clear();
    if (ec) return Close();
    Flush();
    if (read_paused_ && out_.size() <= kMaxPendingOutputBytes) {
      read_paused_ = false;
      Read();
    }
  }

  Socket socket_;
  Worker& worker_;
  const size_t max_line_bytes_;
  std::vector<char> in_;
  size_t in_len_ = 0;
  std::string out_;          // answers not yet handed to the socket
  std::string writing_buf_;  // answers being written
  // An answer that waits for the journal; later answers wait behind it.
  struct Gate {
    size_t at = 0;          // offset of the answer in out_
    uint64_t seq = 0;       // journal seq it waits for
    uint64_t since_ns = 0;  // when it was produced (steady clock)
  };
  static uint64_t Now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  std::vector<Gate> gates_;                              // in answer order
  std::unique_ptr<Stream> stream_;                       // set once the connection subscribed
  Session session_;                                      // who this connection is
  std::chrono::steady_clock::time_point last_progress_;  // last read or write done
  bool reading_ = false;
  bool writing_ = false;
  bool read_paused_ = false;
  bool draining_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
};

}  // namespace

// Closes idle connections once a second (one timer per worker, not one per
// connection: a scan of this thread's connections costs less than re-arming
// a timer on every read).
static void ScanIdle(Worker& w) {
  w.idle_timer->expires_after(std::chrono::seconds(1));
  w.idle_timer->async_wait([&w](const error_code& ec) {
    if (ec || w.stopping) return;
    const auto cutoff = std::chrono::steady_clock::now() - std::chrono::seconds(w.idle_timeout_s);
    const std::vector<ConnectionBase*> all(w.connections.begin(), w.connections.end());
    for (ConnectionBase* c : all) c->CloseIfIdle(cutoff);
    ScanIdle(w);
  });
}

struct Server::Impl {
  template <typename C>
  void Open(const std::shared_ptr<C>& c, bool refuse) {
    if (refuse) {
      c->Refuse(options.max_connections);
    } else {
      c->Start();
    }
  }

  ServerOptions options;
  std::atomic<size_t> open_connections{0};
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  size_t next_worker = 0;
  bool started = false;

  void Accept() {
    Worker& target = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor->async_accept(target.ctx, [this, &target](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (ec) {
        // Out of file descriptors, most likely: back off instead of spinning.
        accept_retry->expires_after(std::chrono::milliseconds(100));
        accept_retry->async_wait([this](const error_code& e) {
          if (!e) Accept();
        });
        return;
      }
      // Counted here, on the accepting thread, so a burst cannot overshoot.
      const bool refuse =
          open_connections.load(std::memory_order_relaxed) >= options.max_connections;
      asio::post(target.ctx, [this, &target, refuse, s = std::move(socket)]() mutable {
        if (options.tls) {
          Open(std::make_shared<Connection<TlsSocket>>(TlsSocket(std::move(s), *options.tls),
                                                       target, options.max_line_bytes),
               refuse);
        } else {
          Open(std::make_shared<Connection<tcp::socket>>(std::move(s), target,
                                                         options.max_line_bytes),
               refuse);
        }
      });
      Accept();
    });
  }
};

Server::Server(const ServerOptions& options, const HandlerFactory& make_handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const int threads = std::max(1, options.io_threads);
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->handler = make_handler();
    w->acked_seq = &impl_->options.acked_seq;
    w->open_connections = &impl_->open_connections;
    w->idle_timeout_s = options.idle_timeout_s;
    impl_->workers.push_back(std::move(w));
  }
  asio::io_context& ctx = impl_->workers[0]->ctx;
  const tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
  impl_->acceptor.emplace(ctx);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor->bind(endpoint);
  impl_->acceptor->listen(asio::socket_base::max_listen_connections);
  impl_->accept_retry.emplace(ctx);
}

Server::~Server() { Stop(0); }

size_t Server::open_connections() const {
  return impl_->open_connections.load(std::memory_order_relaxed);
}

uint16_t Server::port() const { return impl_->acceptor->local_endpoint().port(); }

LatencyHistogram Server::JournalHold() const {
  LatencyHistogram all;
  for (const auto& w : impl_->workers) all.Merge(w->journal_hold_ns);
  return all;
}

void Server::NotifyDurable() {
  for (auto& w : impl_->workers) {
    // One wake-up pending is enough: it reads the journal's position when it
    // runs, so it also covers everything written after it was posted.
    if (w->durable_posted.exchange(true, std::memory_order_acq_rel)) continue;
    asio::post(w->ctx, [&w = *w] {
      w.durable_posted.exchange(false, std::memory_order_acq_rel);
      if (w.waiting.empty()) return;
      w.ready.assign(w.waiting.begin(), w.waiting.end());
      w.waiting.clear();
      for (ConnectionBase* c : w.ready) c->OnDurable();
      w.ready.clear();
    });
  }
}

void Server::Start() {
  impl_->started = true;
  impl_->Accept();
  for (auto& w : impl_->workers) {
    if (w->idle_timeout_s > 0) {
      w->idle_timer.emplace(w->ctx);
      ScanIdle(*w);
    }
    w->guard.emplace(w->ctx.get_executor());
    w->thread = std::thread([&w = *w] {
      w.ctx.run();
      w.journal_wakes.reset();  // on this thread: its count of open batches is thread-local
    });
  }
}

void Server::Stop(int grace_ms) {
  if (!impl_->started) return;
  impl_->started = false;
  asio::post(impl_->workers[0]->ctx, [this] {
    error_code ec;
    impl_->acceptor->close(ec);
    impl_->accept_retry->cancel();
  });
  for (auto& w : impl_->workers) {
    asio::post(w->ctx, [&w = *w, grace_ms] {
      w.stopping = true;
      if (w.idle_timer) w.idle_timer->cancel();
      if (w.connections.empty()) return;
      // Past the grace period, clients that still hold answers are cut off.
      w.grace_timer.emplace(w.ctx, std::chrono::milliseconds(grace_ms));
      w.grace_timer->async_wait([&w](const error_code& ec) {
        if (ec) return;
        const std::vector<ConnectionBase*> left(w.connections.begin(), w.connections.end());
        for (ConnectionBase* c : left) c->Close();
      });
      const std::vector<ConnectionBase*> open(w.connections.begin(), w.connections.end());
      for (ConnectionBase* c : open) c->Drain();
    });
    w->guard.reset();
  }
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace hourglass::io
