#include "serve_support.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace d2d::testing {

ServeProcess::ServeProcess(const TempDir& work, const std::vector<std::string>& extra,
                           const std::vector<std::string>& env) {
  // serve's pages only read (SPEC §6): the warehouse they show is created as an operator would.
  if (!std::filesystem::exists(work / "w.db")) {
    const CliResult migrated = run_d2d({"migrate", "up", "--warehouse", (work / "w.db").string(), "--quiet"});
    if (migrated.exit_code != 0) throw std::runtime_error("d2d migrate up: " + migrated.err);
  }
  // A port found free may be taken before serve binds it (other tests open hundreds of client
  // connections, each on an ephemeral port): then serve says so at once, and another port is tried.
  for (int attempt = 1;; ++attempt) {
    m_port = free_port();
    std::vector<std::string> args{"serve",  "--no-scheduler",      "--warehouse", (work / "w.db").string(),
                                  "--port", std::to_string(m_port)};
    args.insert(args.end(), extra.begin(), extra.end());
    m_stopped = false;
    m_run = std::make_unique<BackgroundRun>(args, work / "serve", env);
    httplib::Client client("127.0.0.1", m_port);
    client.set_connection_timeout(std::chrono::seconds(1));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool port_taken = false;
    while (std::chrono::steady_clock::now() < until && !port_taken) {
      if (auto health = client.Get("/healthz"); health && health->status == 200) return;
      port_taken = read_text(work / "serve.err").find("cannot listen on") != std::string::npos;
      if (!port_taken) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const CliResult result = stop();
    if (!port_taken || attempt == 5)
      throw std::runtime_error("d2d serve did not answer /healthz: " + result.err);
  }
}

ServeProcess::~ServeProcess() {
  if (!m_stopped) stop();
}

CliResult ServeProcess::stop() {
  m_stopped = true;
  m_run->signal(SIGTERM);
  return m_run->wait();
}

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

bool closed_by_server(int fd, std::chrono::milliseconds limit, std::string* received) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(std::max<long long>(left, 0))) <= 0) {
      if (left <= 0) return false;
      continue;
    }
    char buffer[4096];
    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got == 0) return true;
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return true;  // reset
    }
    if (received != nullptr) received->append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace d2d::testing
