#include "bench/peer_pg_session.h"

#include <libpq-fe.h>
#include <unistd.h>

#include "bench/peer_wire.h"

namespace hourglass::bench::peer {

std::unique_ptr<PgSession> PgSession::Open(const std::string& conninfo, std::string& error) {
  PGconn* pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(pg) != CONNECTION_OK) {
    error = PQerrorMessage(pg);
    PQfinish(pg);
    return nullptr;
  }
  // The raw messages written later are plain TCP: an encrypted session cannot carry them.
  if (PQsslInUse(pg) != 0) {
    error = "the session uses SSL; add sslmode=disable to the connection string";
    PQfinish(pg);
    return nullptr;
  }
  PGresult* r = PQprepare(
      pg, kPgStatement,
      "SELECT * FROM hourglass_route_reserve($1::float8, $2::float8, $3::int[], $4::int[], "
      "$5::float8)",
      0, nullptr);
  const bool prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!prepared) error = PQresultErrorMessage(r);
  PQclear(r);
  if (!prepared) {
    PQfinish(pg);
    return nullptr;
  }
  return std::unique_ptr<PgSession>(new PgSession(pg));
}

PgSession::~PgSession() { PQfinish(pg_); }

int PgSession::DupSocket() const { return ::dup(PQsocket(pg_)); }

}  // namespace hourglass::bench::peer
