// TLS test support: certificates made with the openssl CLI, and a TLS client
// of the line protocol (Boost.Asio SSL) that checks the daemon's certificate.
#ifndef HOURGLASS_TESTS_TLS_HARNESS_H_
#define HOURGLASS_TESTS_TLS_HARNESS_H_

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <string>

#include "tests/daemon_harness.h"

namespace hourglass::testing {

// Writes into `dir`: ca.pem (a CA), server.pem / server.key (for 127.0.0.1),
// client.pem / client.key (both signed by the CA) and other.key (belongs to
// neither). False when the openssl command is missing or fails.
bool MakeTestCertificates(const std::filesystem::path& dir);

// The [tls] table serving server.pem / server.key from `dir`.
std::string TlsTable(const std::filesystem::path& dir);

class TlsClient {
 public:
  // Connects to 127.0.0.1:port and completes the handshake; throws
  // boost::system::system_error when it fails.
  TlsClient(uint16_t port, boost::asio::ssl::context& ctx);
  Answer Call(const std::string& line);

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  std::string buffer_;
};

}  // namespace hourglass::testing

#endif  // HOURGLASS_TESTS_TLS_HARNESS_H_
