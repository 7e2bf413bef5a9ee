#include "tests/tls_harness.h"

#include <cstdlib>

namespace hourglass::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

// Runs a shell command in `dir`; true on exit 0.
bool Sh(const std::filesystem::path& dir, const std::string& command) {
  const std::string line = "cd '" + dir.string() + "' && (" + command + ") >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

}  // namespace

bool MakeTestCertificates(const std::filesystem::path& dir) {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  return Sh(dir, "openssl req -x509 " + key +
                     " -keyout ca.key -out ca.pem -days 2 -subj /CN=hourglass-test-ca") &&
         Sh(dir,
            "openssl req " + key + " -keyout server.key -out server.csr -subj /CN=127.0.0.1") &&
         Sh(dir,
            "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in "
            "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext "
            "-out server.pem") &&
         Sh(dir, "openssl req " + key + " -keyout client.key -out client.csr -subj /CN=client") &&
         Sh(dir,
            "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
            "-days 2 -out client.pem") &&
         Sh(dir,
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "
            "other.key");
}

std::string TlsTable(const std::filesystem::path& dir) {
  return "[tls]\ncert = \"" + (dir / "server.pem").string() + "\"\nkey = \"" +
         (dir / "server.key").string() + "\"\n";
}

TlsClient::TlsClient(uint16_t port, ssl::context& ctx) : stream_(io_, ctx) {
  stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  stream_.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  stream_.handshake(ssl::stream_base::client);
}

Answer TlsClient::Call(const std::string& line) {
  asio::write(stream_, asio::buffer(line + "\n"));
  const size_t n = asio::read_until(stream_, asio::dynamic_buffer(buffer_), '\n');
  const std::string answer = buffer_.substr(0, n - 1);
  buffer_.erase(0, n);
  return Client::Parse(answer);
}

}  // namespace hourglass::testing
