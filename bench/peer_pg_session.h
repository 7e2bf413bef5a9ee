// A PostgreSQL session for hourglass-bench's PostgreSQL target: libpq connects, authenticates
// and prepares the route statement (peer::kPgStatement); the load then runs on a duplicate of
// the session's socket through the same Asio loop as the other targets (see peer_wire.h). The
// session object keeps libpq's connection open for as long as that socket is used. Blocking;
// call before the run, from one thread per session.

#ifndef HOURGLASS_BENCH_PEER_PG_SESSION_H_
#define HOURGLASS_BENCH_PEER_PG_SESSION_H_

#include <memory>
#include <string>

struct pg_conn;  // libpq's PGconn

namespace hourglass::bench::peer {

class PgSession {
 public:
  // Connects with `conninfo` and prepares
  //   SELECT * FROM hourglass_route_reserve($1::float8, $2::float8, $3::int[], $4::int[],
  //                                         $5::float8)
  // (the function bench/peers/pg/route_reserve.sql creates). nullptr and `error` on failure.
  static std::unique_ptr<PgSession> Open(const std::string& conninfo, std::string& error);

  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;
  ~PgSession();

  // A new descriptor of the session's socket, for the caller to own; -1 on failure.
  int DupSocket() const;

 private:
  explicit PgSession(pg_conn* pg) : pg_(pg) {}
  pg_conn* pg_;
};

}  // namespace hourglass::bench::peer

#endif  // HOURGLASS_BENCH_PEER_PG_SESSION_H_
