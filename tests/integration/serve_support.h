// `d2d serve` for the tests of its HTTP side: a real process on loopback with a fresh SQLite
// warehouse (migrated first: the pages never create one) and no scheduler, stopped (SIGTERM) when the test
// ends; and raw client sockets, for clients that misbehave in ways httplib's client will not.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace d2d::testing {

class ServeProcess {
 public:
  // Waits until /healthz answers; `extra` is appended to the serve command line.
  ServeProcess(const TempDir& work, const std::vector<std::string>& extra = {},
               const std::vector<std::string>& env = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return m_port; }
  CliResult stop();  // SIGTERM, then its exit status and logs

 private:
  int m_port = 0;
  std::unique_ptr<BackgroundRun> m_run;
  bool m_stopped = false;
};

// A blocking TCP connection to 127.0.0.1:port (throws when it cannot connect).
int connect_loopback(int port);

// Waits up to `limit` for the server to close `fd`; what it sent before closing goes to `received`.
// False when the connection is still open after `limit`.
bool closed_by_server(int fd, std::chrono::milliseconds limit, std::string* received = nullptr);

}  // namespace d2d::testing
