// TLS set-up shared by every listener and client that speaks TLS (Boost.Asio
// SSL over OpenSSL): builds an asio::ssl::context from PEM files and checks
// them at start, so a missing, unreadable or mismatched certificate or key
// stops start-up with a message naming the file instead of failing every
// handshake later.
//
// Contexts are built once, at start-up, and may then be shared by every
// thread (OpenSSL contexts are safe to use concurrently once configured).
#ifndef HOURGLASS_IO_TLS_CONTEXT_H_
#define HOURGLASS_IO_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

namespace hourglass::io {

struct TlsServerFiles {
  std::filesystem::path cert;       // PEM certificate chain, leaf first
  std::filesystem::path key;        // PEM private key of the leaf
  std::filesystem::path client_ca;  // PEM CA certificates; set: clients must present one it signed
};

// TLS 1.2 or newer. `where` prefixes every message (e.g. "h.toml: [tls]").
// Throws LoadError.
std::shared_ptr<boost::asio::ssl::context> MakeServerTlsContext(const TlsServerFiles& files,
                                                                const std::string& where);

// A client context that verifies the server against the PEM CA file `ca`
// (empty: the system's trust store) and, with `cert` and `key`, presents a
// client certificate. Throws LoadError.
std::shared_ptr<boost::asio::ssl::context> MakeClientTlsContext(
    const std::filesystem::path& ca, const std::filesystem::path& cert = {},
    const std::filesystem::path& key = {});

// Makes the client connection `ssl` accept only a server certificate for
// `host`: an IP address, or a DNS name (which also goes out as SNI).
void ExpectPeerName(SSL* ssl, const std::string& host);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_TLS_CONTEXT_H_
