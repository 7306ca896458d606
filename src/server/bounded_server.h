// An httplib::Server that a slow or idle client cannot stall. cpp-httplib gives each connection a
// worker thread from accept on and bounds only each read (5 s), so a client trickling a byte every
// few seconds held a worker for ever, and a dozen of them starved /healthz. Here one poll loop
// holds every connection until its request line and headers are in, within one deadline per
// request; only then does a worker take it, so a worker never waits on a client's bytes. The number
// of connections is capped: at the cap a new connection evicts the oldest one still waiting.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace d2d::server {

struct ConnectionLimits {
  // The whole request (line and headers) must arrive within this, counted from accept or from the
  // previous response on a kept-alive connection; the connection is closed otherwise.
  std::chrono::milliseconds request_timeout{5000};
  // The whole response must be taken by the client within this.
  std::chrono::milliseconds response_timeout{10000};
  std::size_t max_connections = 256;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t workers = 8;
  std::size_t max_requests_per_connection = 100;
};

namespace detail {
class ConnectionFront;
}

class BoundedServer final : public httplib::Server {
 public:
  explicit BoundedServer(ConnectionLimits limits = {});
  ~BoundedServer() override;
  BoundedServer(const BoundedServer&) = delete;
  BoundedServer& operator=(const BoundedServer&) = delete;

  // Binds like httplib's bind_to_port (port 0: any free port); returns the port, or -1. The listen
  // queue is widened from httplib's 5, which made a burst of connections wait a second for a retry.
  int bind(const std::string& host, int port);

  // One request whose line and headers are already buffered in `stream` (a worker calls this).
  bool serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed);

 private:
  // Called by httplib's accept loop for each new connection: hands it to the front, at once.
  bool process_and_close_socket(::socket_t sock) override;

  ConnectionLimits m_limits;
  detail::ConnectionFront* m_front = nullptr;  // owned by httplib's listen loop (its task queue)
};

}  // namespace d2d::server
