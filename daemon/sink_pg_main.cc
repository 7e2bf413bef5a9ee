// hourglass-sink-pg: subscribes to hourglassd's journal stream and applies it
// to PostgreSQL in batches (io/pg_sink.h), acking each committed batch.
//
// One thread, one loop: connect to PostgreSQL and read the cursor, subscribe
// from cursor + 1, collect up to --batch events (or --batch-ms after the
// first), apply them in one transaction, ack. Any failure drops the affected
// side and reconnects with exponential backoff; a PostgreSQL failure also
// drops the subscription, so the stream restarts from the committed cursor.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "io/load_error.h"
#include "io/pg_sink.h"
#include "io/tls_context.h"

namespace {

using namespace hourglass;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kUsage =
    "usage: hourglass-sink-pg [--daemon HOST:PORT] [--pg CONNINFO] [--name NAME]\n"
    "                         [--batch N] [--batch-ms MS] [--once-idle-ms MS]\n"
    "                         [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]\n"
    "  --daemon HOST:PORT  hourglassd to subscribe to (default 127.0.0.1:7878)\n"
    "  --pg CONNINFO       libpq connection string (default: libpq's PG* environment)\n"
    "  --name NAME         subscription name, also the cursor's key (default pg)\n"
    "  --batch N           most events per transaction, 1..100000 (default 1000)\n"
    "  --batch-ms MS       longest wait to fill a batch, 0..60000 (default 20)\n"
    "  --once-idle-ms MS   exit 0 once subscribed with no new event for MS ms\n"
    "  --tls-ca FILE       the daemon speaks TLS ([tls]): verify it against this PEM CA\n"
    "  --tls-cert FILE, --tls-key FILE  a client certificate, for [tls] client_ca\n";

// Limits, each with its reason.
constexpr int64_t kMaxBatch = 100'000;          // rows per statement stay modest
constexpr size_t kMaxBatchBytes = 64 << 20;     // event text per transaction (a batch ends early)
constexpr int64_t kMaxBatchMs = 60'000;         // a batch never waits more than a minute
constexpr size_t kMaxNameBytes = 64;            // a subscription name, not a payload
constexpr milliseconds kBackoffMin{100};        // first retry after a failure
constexpr milliseconds kBackoffMax{5'000};      // retries never slower than this
constexpr milliseconds kIoTimeout{10'000};      // connect, subscribe answer, ack write
constexpr milliseconds kProgressEvery{10'000};  // a progress line at most this often
constexpr size_t kMaxLoggedProblems = 10;       // then only every 1000th malformed event

struct Args {
  std::string daemon_host = "127.0.0.1";
  std::string daemon_port = "7878";
  std::string pg;
  std::string name = "pg";
  int64_t batch = 1000;
  int64_t batch_ms = 20;
  int64_t once_idle_ms = -1;  // off
  std::string tls_ca, tls_cert, tls_key;
  std::shared_ptr<boost::asio::ssl::context> tls;  // built from tls_* once the flags are read
};

void Log(const char* format, ...) __attribute__((format(printf, 1, 2)));
void Log(const char* format, ...) {
  char text[2048];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  std::fprintf(stderr, "hourglass-sink-pg: %s\n", text);
}

bool ParseInt(const std::string& flag, const char* text, int64_t min, int64_t max, int64_t& out) {
  const std::string_view s = text;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || out < min || out > max) {
    std::fprintf(stderr, "hourglass-sink-pg: %s must be a whole number within [%lld, %lld]\n",
                 flag.c_str(), static_cast<long long>(min), static_cast<long long>(max));
    return false;
  }
  return true;
}

bool ParseHostPort(const std::string& text, Args& args) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int64_t port = 0;
  const std::string p = text.substr(colon + 1);
  const auto r = std::from_chars(p.data(), p.data() + p.size(), port);
  if (host.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || port < 1 ||
      port > 65535) {
    return false;
  }
  args.daemon_host = host;
  args.daemon_port = p;
  return true;
}

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "hourglass-sink-pg: unknown or incomplete argument \"%s\"\n%s",
                   a.c_str(), kUsage);
      return false;
    }
    const char* v = argv[++i];
    bool ok = true;
    if (a == "--daemon") {
      ok = ParseHostPort(v, args);
      if (!ok) std::fprintf(stderr, "hourglass-sink-pg: --daemon must be HOST:PORT\n");
    } else if (a == "--pg") {
      args.pg = v;
    } else if (a == "--name") {
      args.name = v;
      ok = !args.name.empty() && args.name.size() <= kMaxNameBytes &&
           std::all_of(args.name.begin(), args.name.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
           });
      if (!ok) {
        std::fprintf(stderr,
                     "hourglass-sink-pg: --name must be 1 to %zu characters of A-Z a-z 0-9 _ - .\n",
                     kMaxNameBytes);
      }
    } else if (a == "--batch") {
      ok = ParseInt(a, v, 1, kMaxBatch, args.batch);
    } else if (a == "--batch-ms") {
      ok = ParseInt(a, v, 0, kMaxBatchMs, args.batch_ms);
    } else if (a == "--once-idle-ms") {
      ok = ParseInt(a, v, 1, int64_t{1} << 40, args.once_idle_ms);
    } else if (a == "--tls-ca") {
      args.tls_ca = v;
    } else if (a == "--tls-cert") {
      args.tls_cert = v;
    } else if (a == "--tls-key") {
      args.tls_key = v;
    } else {
      std::fprintf(stderr, "hourglass-sink-pg: unknown argument \"%s\"\n%s", a.c_str(), kUsage);
      return false;
    }
    if (!ok) return false;
  }
  if (args.tls_cert.empty() != args.tls_key.empty() ||
      (!args.tls_cert.empty() && args.tls_ca.empty())) {
    std::fprintf(stderr,
                 "hourglass-sink-pg: --tls-cert and --tls-key go together, with --tls-ca\n");
    return false;
  }
  if (!args.tls_ca.empty()) {
    try {
      args.tls = io::MakeClientTlsContext(args.tls_ca, args.tls_cert, args.tls_key);
    } catch (const io::LoadError& e) {
      std::fprintf(stderr, "hourglass-sink-pg: %s\n", e.what());
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- signals

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

void InstallSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns at once
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// Sleeps up to `d`; returns false when a stop signal arrived.
bool SleepFor(milliseconds d) {
  const auto until = Clock::now() + d;
  while (!g_stop.load()) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left.count() <= 0) return true;
    ::poll(nullptr, 0, static_cast<int>(std::min<int64_t>(left.count(), 100)));
  }
  return false;
}

class Backoff {
 public:
  explicit Backoff(const char* what) : what_(what) {}
  // Logs the failure and waits before the next attempt; false on a stop signal.
  bool Wait(const std::string& why) {
    ++attempt_;
    Log("%s: %s; attempt %d in %lld ms", what_, why.c_str(), attempt_ + 1,
        static_cast<long long>(delay_.count()));
    const bool go_on = SleepFor(delay_);
    delay_ = std::min(delay_ * 2, kBackoffMax);
    return go_on;
  }
  void Reset() {
    attempt_ = 0;
    delay_ = kBackoffMin;
  }

 private:
  const char* what_;
  int attempt_ = 0;
  milliseconds delay_ = kBackoffMin;
};

// ---------------------------------------------------------------- daemon

int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 100));  // wake often to see signals
}

// One subscription connection: a non-blocking socket, lines in, acks out.
class Subscription {
 public:
  enum class Read { kLine, kTimeout, kClosed };

  Subscription() = default;
  ~Subscription() { Close(); }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
    start_ = 0;
  }
  bool open() const { return fd_ >= 0; }

  // Connects, sends the subscribe line and checks the answer.
  io::Status Open(const Args& args, int64_t from, int64_t& last_seq) {
    Close();
    if (io::Status s = Connect(args.daemon_host, args.daemon_port); !s.ok()) return s;
    if (args.tls) {
      if (io::Status s = Handshake(*args.tls, args.daemon_host); !s.ok()) {
        Close();
        return s;
      }
    }
    const std::string line = "{\"op\":\"subscribe\",\"name\":\"" + args.name +
                             "\",\"from\":" + std::to_string(from) + "}\n";
    if (io::Status s = Write(line); !s.ok()) return s;
    std::string_view header;
    const Read r = NextLine(Clock::now() + kIoTimeout, header);
    if (r != Read::kLine) {
      Close();
      return io::Status::Error(r == Read::kTimeout ? "no answer to subscribe"
                                                   : "connection closed before the answer");
    }
    simdjson::dom::element doc;
    bool ok = false;
    if (parser_.parse(header.data(), header.size(), true).get(doc) != simdjson::SUCCESS ||
        doc["ok"].get(ok) != simdjson::SUCCESS) {
      const std::string text(header);
      Close();
      return io::Status::Error("unexpected answer to subscribe: " + text);
    }
    if (!ok) {
      std::string_view code, message;
      if (doc["error"]["code"].get(code) != simdjson::SUCCESS) code = "?";
      if (doc["error"]["message"].get(message) != simdjson::SUCCESS) message = "";
      const std::string text = std::string(code) + ": " + std::string(message);
      Close();
      return io::Status::Error("subscribe refused: " + text);
    }
    int64_t answered_from = 0;
    if (doc["from"].get(answered_from) != simdjson::SUCCESS) answered_from = from;
    if (doc["last_seq"].get(last_seq) != simdjson::SUCCESS) last_seq = -1;
    if (answered_from != from) {
      // Starting later would skip events; starting earlier is harmless but
      // not what was asked: either way the daemon is not keeping the contract.
      Close();
      return io::Status::Error("asked to start at seq " + std::to_string(from) +
                               ", the daemon answered " + std::to_string(answered_from));
    }
    return io::Status::Ok();
  }

  // The next line (without "\n" or "\r\n"), valid until the next call.
  Read NextLine(Clock::time_point deadline, std::string_view& line) {
    if (fd_ < 0) return Read::kClosed;
    for (;;) {
      const size_t nl = buffer_.find('\n', start_);
      if (nl != std::string::npos) {
        size_t end = nl;
        if (end > start_ && buffer_[end - 1] == '\r') --end;
        line = std::string_view(buffer_).substr(start_, end - start_);
        start_ = nl + 1;
        return Read::kLine;
      }
      if (buffer_.size() - start_ > io::kMaxEventLineBytes + 2) {
        Log("daemon sent a line longer than %zu bytes", io::kMaxEventLineBytes);
        Close();
        return Read::kClosed;
      }
      if (start_ > 0) {  // keep only the unfinished line
        buffer_.erase(0, start_);
        start_ = 0;
      }
      if (Clock::now() >= deadline || g_stop.load()) return Read::kTimeout;
      // TLS may hold decrypted bytes the socket no longer shows.
      if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, MsLeft(deadline)) <= 0) continue;
      }
      char chunk[65536];
      const ssize_t n = Receive(chunk, sizeof chunk);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        Close();
        return Read::kClosed;
      }
    }
  }

  io::Status Ack(int64_t seq) {
    return Write("{\"op\":\"ack\",\"seq\":" + std::to_string(seq) + "}\n");
  }

 private:
  io::Status Connect(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return io::Status::Error("cannot resolve " + host + ": " + ::gai_strerror(rc));
    }
    std::string why = "no address";
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      int err = 0;
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          pollfd p{fd_, POLLOUT, 0};
          socklen_t len = sizeof err;
          err = ::poll(&p, 1, static_cast<int>(kIoTimeout.count())) == 1
                    ? (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len), err)
                    : ETIMEDOUT;
        }
      }
      if (err != 0) {
        why = std::strerror(err);
        ::close(fd_);
        fd_ = -1;
      }
    }
    ::freeaddrinfo(found);
    if (fd_ < 0) return io::Status::Error("cannot connect to " + host + ":" + port + ": " + why);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    return io::Status::Ok();
  }

  io::Status Write(const std::string& data) {
    const auto deadline = Clock::now() + kIoTimeout;
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = Send(data.data() + done, data.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
          Clock::now() < deadline) {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      const std::string why = n < 0 ? std::strerror(errno) : "timed out";
      Close();
      return io::Status::Error("writing to the daemon: " + why);
    }
    return io::Status::Ok();
  }

  // TLS over the connected non-blocking socket: verifies the daemon's
  // certificate for `host` (an IP address or a DNS name).
  io::Status Handshake(boost::asio::ssl::context& ctx, const std::string& host) {
    ssl_ = SSL_new(ctx.native_handle());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return TlsError("cannot start TLS");
    io::ExpectPeerName(ssl_, host);
    const auto deadline = Clock::now() + kIoTimeout;
    while (true) {
      const int r = SSL_connect(ssl_);
      if (r == 1) return io::Status::Ok();
      const int e = SSL_get_error(ssl_, r);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || Clock::now() >= deadline) {
        return TlsError("TLS handshake with the daemon failed");
      }
      pollfd p{fd_, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      ::poll(&p, 1, MsLeft(deadline));
    }
  }

  io::Status TlsError(const std::string& what) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::string why = code != 0 ? ERR_reason_error_string(code) : "the connection closed";
    if (ssl_ != nullptr && SSL_get_verify_result(ssl_) != X509_V_OK) {
      why = X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
    }
    return io::Status::Error(what + ": " + why);
  }

  // recv / send, through TLS when it is on; errno EAGAIN when TLS must wait.
  ssize_t Receive(char* data, size_t size) {
    if (ssl_ == nullptr) return ::recv(fd_, data, size, 0);
    const int n = SSL_read(ssl_, data, static_cast<int>(size));
    return n > 0 ? n : TlsFailure(n);
  }
  ssize_t Send(const char* data, size_t size) {
    if (ssl_ == nullptr) return ::send(fd_, data, size, MSG_NOSIGNAL);
    const int n = SSL_write(ssl_, data, static_cast<int>(size));
    return n > 0 ? n : TlsFailure(n);
  }
  ssize_t TlsFailure(int result) {
    const int e = SSL_get_error(ssl_, result);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : ECONNRESET;
    return -1;
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;  // set while the connection speaks TLS
  std::string buffer_;
  size_t start_ = 0;
  simdjson::dom::parser parser_;
};

// ---------------------------------------------------------------- the loop

enum class StreamEnd { kStop, kIdle, kDaemonLost, kPgFailed };

class Sink {
 public:
  explicit Sink(const Args& args) : args_(args), pg_(args.pg, args.name) {}

  int Run() {
    Backoff pg_backoff("PostgreSQL"), daemon_backoff("daemon");
    while (!g_stop.load()) {
      if (!pg_.connected()) {
        if (io::Status s = pg_.Connect(); !s.ok()) {
          if (!pg_backoff.Wait(s.message())) break;
          continue;
        }
        pg_backoff.Reset();
        Log("PostgreSQL connected, cursor %lld", static_cast<long long>(pg_.cursor()));
      }
      int64_t last_seq = -1;
      if (io::Status s = daemon_.Open(args_, pg_.cursor() + 1, last_seq); !s.ok()) {
        if (!daemon_backoff.Wait(s.message())) break;
        continue;
      }
      daemon_backoff.Reset();
      Log("subscribed as \"%s\" from seq %lld (daemon at seq %lld)", args_.name.c_str(),
          static_cast<long long>(pg_.cursor() + 1), static_cast<long long>(last_seq));
      switch (Stream()) {
        case StreamEnd::kStop:
          Log("stopping at cursor %lld", static_cast<long long>(pg_.cursor()));
          return 0;
        case StreamEnd::kIdle:
          Log("idle for %lld ms at cursor %lld, exiting",
              static_cast<long long>(args_.once_idle_ms), static_cast<long long>(pg_.cursor()));
          return 0;
        case StreamEnd::kDaemonLost:
          daemon_.Close();
          if (!daemon_backoff.Wait("connection lost")) return 0;
          break;
        case StreamEnd::kPgFailed:
          // Resubscribe from the committed cursor once PostgreSQL is back.
          daemon_.Close();
          if (!pg_backoff.Wait(pg_error_)) return 0;
          break;
      }
    }
    Log("stopping at cursor %lld", static_cast<long long>(pg_.cursor()));
    return 0;
  }

 private:
  // Reads and applies events until the subscription or PostgreSQL fails, a
  // stop signal arrives, or --once-idle-ms passes without an event.
  StreamEnd Stream() {
    batch_.clear();
    batch_bytes_ = 0;
    auto last_event = Clock::now();
    Clock::time_point batch_deadline;
    int64_t last_received = pg_.cursor();
    for (;;) {
      if (g_stop.load()) {
        // Finish the batch: committed, or rolled back. Either way, done.
        if (!Flush()) Log("%s", pg_error_.c_str());
        return StreamEnd::kStop;
      }
      auto deadline = Clock::now() + milliseconds(100);
      if (!batch_.empty()) deadline = std::min(deadline, batch_deadline);
      std::string_view line;
      const Subscription::Read r = daemon_.NextLine(deadline, line);
      if (r == Subscription::Read::kClosed) {
        Log("daemon closed the subscription");
        return Flush() ? StreamEnd::kDaemonLost : StreamEnd::kPgFailed;
      }
      if (r == Subscription::Read::kLine) {
        if (line.empty()) continue;
        io::Event& e = batch_.emplace_back();
        if (io::Status s = io::ParseEvent(line, parser_, e); !s.ok()) {
          batch_.pop_back();
          Log("protocol error: %s: %.200s", s.message().c_str(), std::string(line).c_str());
          return Flush() ? StreamEnd::kDaemonLost : StreamEnd::kPgFailed;
        }
        if (e.seq <= pg_.cursor()) {  // a replay of what is committed already
          batch_.pop_back();
          continue;
        }
        if (e.seq <= last_received) {
          Log("protocol error: seq %lld after seq %lld", static_cast<long long>(e.seq),
              static_cast<long long>(last_received));
          batch_.pop_back();
          return Flush() ? StreamEnd::kDaemonLost : StreamEnd::kPgFailed;
        }
        last_received = e.seq;
        batch_bytes_ += e.json.size();
        last_event = Clock::now();
        Report(e);
        if (batch_.size() == 1) batch_deadline = last_event + milliseconds(args_.batch_ms);
      }
      const bool full =
          static_cast<int64_t>(batch_.size()) >= args_.batch || batch_bytes_ >= kMaxBatchBytes;
      if (!batch_.empty() && (full || Clock::now() >= batch_deadline)) {
        if (!Flush()) return StreamEnd::kPgFailed;
        if (!daemon_.open()) return StreamEnd::kDaemonLost;
      }
      if (batch_.empty() && args_.once_idle_ms > 0 &&
          Clock::now() - last_event >= milliseconds(args_.once_idle_ms)) {
        return StreamEnd::kIdle;
      }
      Progress();
    }
  }

  // Applies the batch and acks it; false when PostgreSQL failed (the batch is
  // then dropped: it comes again after the resubscription).
  bool Flush() {
    if (batch_.empty()) return true;
    const io::Status s = pg_.Apply(batch_);
    const size_t n = batch_.size();
    batch_.clear();
    batch_bytes_ = 0;
    if (!s.ok()) {
      pg_error_ = s.message() + " (batch rolled back)";
      return false;
    }
    applied_ += n;
    // Only now is the cursor committed, so only now may the daemon drop it.
    if (daemon_.open()) {
      if (io::Status a = daemon_.Ack(pg_.cursor()); !a.ok()) Log("%s", a.message().c_str());
    }
    return true;
  }

  void Report(const io::Event& e) {
    if (!e.problem.empty()) {
      ++problems_;
      if (problems_ <= kMaxLoggedProblems || problems_ % 1000 == 0) {
        Log("seq %lld (%s) stored but not applied: %s (%zu such events so far)",
            static_cast<long long>(e.seq), e.type_name.c_str(), e.problem.c_str(), problems_);
      }
    } else if (e.type == io::EventType::kOther && unknown_types_.size() < 16 &&
               unknown_types_.insert(e.type_name).second) {
      Log("seq %lld: unknown event type \"%.64s\" stored only (logged once per type)",
          static_cast<long long>(e.seq), e.type_name.c_str());
    }
  }

  void Progress() {
    const auto now = Clock::now();
    if (now - last_progress_ < kProgressEvery) return;
    if (applied_ > 0) {
      Log("cursor %lld, %zu events applied in the last %lld s",
          static_cast<long long>(pg_.cursor()), applied_,
          static_cast<long long>(
              std::chrono::duration_cast<std::chrono::seconds>(now - last_progress_).count()));
    }
    applied_ = 0;
    last_progress_ = now;
  }

  const Args& args_;
  io::PgSink pg_;
  Subscription daemon_;
  simdjson::dom::parser parser_;
  std::vector<io::Event> batch_;
  size_t batch_bytes_ = 0;
  std::string pg_error_;
  size_t applied_ = 0;
  size_t problems_ = 0;
  std::unordered_set<std::string> unknown_types_;
  Clock::time_point last_progress_ = Clock::now();
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) return 2;
  InstallSignals();
  Sink sink(args);
  return sink.Run();
}
