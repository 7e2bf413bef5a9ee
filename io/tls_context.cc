#include "io/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>

#include "io/load_error.h"

namespace hourglass::io {
namespace {

namespace ssl = boost::asio::ssl;

// The reason of the last OpenSSL error ("key values mismatch", ...).
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "not a usable PEM file";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
}

// Readable at all? Says so plainly before OpenSSL's terser reasons.
// `label` names the setting ("h.toml: [tls] cert").
void MustRead(const std::filesystem::path& file, const std::string& label) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw LoadError(label + ": " + file.string() + " does not exist");
  }
  if (!std::ifstream(file).good())
    throw LoadError(label + ": " + file.string() + " cannot be read");
}

ssl::context Base(ssl::context::method method) {
  ssl::context ctx(method);
  // TLS 1.2+ only; no compression (CRIME); fresh DH keys per handshake.
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression | ssl::context::single_dh_use);
  return ctx;
}

}  // namespace

std::shared_ptr<ssl::context> MakeServerTlsContext(const TlsServerFiles& files,
                                                   const std::string& where) {
  auto ctx = std::make_shared<ssl::context>(Base(ssl::context::tls_server));
  SSL_CTX* native = ctx->native_handle();
  MustRead(files.cert, where + " cert");
  MustRead(files.key, where + " key");
  if (SSL_CTX_use_certificate_chain_file(native, files.cert.c_str()) != 1) {
    throw LoadError(where + " cert: " + files.cert.string() +
                    " is not a PEM certificate: " + OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL checks the pair as it loads the key.
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    throw LoadError(where + " key: " + files.key.string() +
                    (mismatch ? " does not belong to the certificate " + files.cert.string()
                              : " is not a PEM private key") +
                    ": " + OpenSslReason());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw LoadError(where + " key: " + files.key.string() + " does not belong to the certificate " +
                    files.cert.string() + ": " + OpenSslReason());
  }
  if (!files.client_ca.empty()) {
    MustRead(files.client_ca, where + " client_ca");
    if (SSL_CTX_load_verify_locations(native, files.client_ca.c_str(), nullptr) != 1) {
      throw LoadError(where + " client_ca: " + files.client_ca.string() +
                      " holds no PEM CA certificate: " + OpenSslReason());
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

std::shared_ptr<ssl::context> MakeClientTlsContext(const std::filesystem::path& ca,
                                                   const std::filesystem::path& cert,
                                                   const std::filesystem::path& key) {
  auto ctx = std::make_shared<ssl::context>(Base(ssl::context::tls_client));
  SSL_CTX* native = ctx->native_handle();
  if (ca.empty()) {
    ctx->set_default_verify_paths();
  } else {
    MustRead(ca, "TLS CA file");
    if (SSL_CTX_load_verify_locations(native, ca.c_str(), nullptr) != 1) {
      throw LoadError("TLS CA file: " + ca.string() +
                      " holds no PEM CA certificate: " + OpenSslReason());
    }
  }
  ctx->set_verify_mode(ssl::verify_peer);
  if (!cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(native) != 1) {
      throw LoadError("client certificate " + cert.string() + " / key " + key.string() + ": " +
                      OpenSslReason());
    }
  }
  return ctx;
}

void ExpectPeerName(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  in6_addr ip{};
  const bool literal =
      ::inet_pton(AF_INET, host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), &ip) == 1;
  if (literal) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
}

}  // namespace hourglass::io
