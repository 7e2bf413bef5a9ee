#include "io/admin_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <system_error>
#include <thread>

namespace hourglass::io {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

AdminResponse Refusal(unsigned status, std::string_view why) {
  AdminResponse r;
  r.status = status;
  r.body = std::string(why) + "\n";
  return r;
}

}  // namespace

struct AdminServer::Impl {
  asio::io_context ctx{1};
  tcp::acceptor acceptor{ctx};
  Handler handler;
  std::shared_ptr<asio::ssl::context> tls;
  std::thread thread;
  size_t open = 0;  // listener thread only

  asio::awaitable<void> Accept() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // a failed accept (out of descriptors, reset): keep listening
      if (open >= kMaxConnections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      if (tls) {
        asio::co_spawn(ctx, SecureSession(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(ctx, PlainSession(std::move(socket)), asio::detached);
      }
    }
  }

  template <typename Stream>
  asio::awaitable<void> Send(Stream& stream, const AdminResponse& r, unsigned version,
                             bool keep_alive, bool head) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "hourglassd");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, r.cache_control);
    res.keep_alive(keep_alive);
    res.body() = head ? std::string() : r.body;
    res.prepare_payload();
    if (head) res.content_length(r.body.size());
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> PlainSession(tcp::socket socket) {
    ++open;
    beast::tcp_stream stream(std::move(socket));
    co_await Serve(stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --open;
  }

  asio::awaitable<void> SecureSession(tcp::socket socket) {
    ++open;
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      co_await Serve(stream);
      co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    --open;
  }

  // Requests on one connection, in turn, until it closes or errs.
  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream) {
    beast::flat_buffer buffer;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(kMaxBodyBytes);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        // A clean close or a timeout ends quietly; bad HTTP gets an answer first.
        const bool too_large = ec == http::error::header_limit || ec == http::error::body_limit ||
                               ec == http::error::buffer_overflow;
        const bool closed = ec == http::error::end_of_stream || ec == beast::error::timeout ||
                            ec == asio::error::operation_aborted ||
                            ec == asio::error::connection_reset || ec == asio::error::eof ||
                            ec == asio::ssl::error::stream_truncated;
        if (too_large) {
          co_await Send(stream,
                        Refusal(413, "request too large: headers up to 8 KiB, body up to 64 KiB"),
                        11, false, false);
        } else if (!closed) {
          co_await Send(stream, Refusal(400, "bad request: not HTTP/1.x"), 11, false, false);
        }
        break;
      }
      const auto& req = parser.get();
      const bool head = req.method() == http::verb::head;
      AdminResponse r;
      if (req.method() != http::verb::get && !head) {
        r = Refusal(405, "only GET and HEAD are served here");
      } else {
        r = handler(
            AdminRequest{std::string_view(req.method_string().data(), req.method_string().size()),
                         std::string_view(req.target().data(), req.target().size()), req.body()});
      }
      const bool keep = req.keep_alive() && r.status < 400;
      co_await Send(stream, r, req.version(), keep, head);
      if (!keep) break;
    }
  }
};

AdminServer::AdminServer(const std::string& host, uint16_t port, Handler handler,
                         std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->tls = std::move(tls);
  boost::system::error_code ec;
  const auto fail = [&ec](const char* what) {
    if (ec) throw std::system_error(std::error_code(ec.value(), std::system_category()), what);
  };
  const asio::ip::address address = asio::ip::make_address(host, ec);
  fail("not an IP address");
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  fail("socket");
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl_->acceptor.bind(endpoint, ec);
  fail("bind");
  impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  fail("listen");
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Start() {
  asio::co_spawn(impl_->ctx, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

void AdminServer::Stop() {
  if (!impl_) return;
  impl_->ctx.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t AdminServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace hourglass::io
