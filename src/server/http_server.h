// The HTTP side of `d2d serve` (cpp-httplib): `/` status page, `/report`, `/metrics`, `/healthz`.
// Pages read the warehouse through one read connection of their own, taken in turn. With a token,
// every path but /healthz requires it (server/auth.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "server/scheduler.h"
#include "warehouse/warehouse.h"

namespace d2d::server {

class BoundedServer;

struct HttpOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::size_t max_tracks = 60;  // vehicles drawn on /report per period
  std::string auth_token;       // empty: no authentication (the caller allows that on loopback only)
};

class HttpServer {
 public:
  // `scheduler` may be null (--no-scheduler); it must outlive the server.
  HttpServer(HttpOptions options, warehouse::WarehouseOptions warehouse, const Scheduler* scheduler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws core::Error when it cannot) and returns the port (useful with port 0).
  int bind();
  void listen();  // serves until stop()
  void stop();

 private:
  template <typename Read>
  auto with_warehouse(Read&& read) -> decltype(read(std::declval<warehouse::Warehouse&>()));
  void routes();

  HttpOptions m_options;
  warehouse::WarehouseOptions m_warehouse_options;
  const Scheduler* m_scheduler;
  std::unique_ptr<BoundedServer> m_server;
  std::mutex m_warehouse_mutex;
  std::unique_ptr<warehouse::Warehouse> m_warehouse;
};

}  // namespace d2d::server
