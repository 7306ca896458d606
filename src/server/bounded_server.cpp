#include "server/bounded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace d2d::server {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  explicit Connection(int socket) : fd(socket) {}
  ~Connection() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd;
  std::string buffer;          // received, not yet consumed by a request
  Clock::time_point since;     // when it began waiting for its request (eviction order)
  Clock::time_point deadline;  // its request must be complete by then
  std::size_t served = 0;
};

// Best effort: a short answer to a client about to be dropped, never waiting for it.
void send_and_forget(int fd, std::string_view response) {
  [[maybe_unused]] const auto sent =
      ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// Waits until `fd` is ready for `events` or `deadline` passes; false on the deadline.
bool wait_until(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True when the header block announces a body. No route takes one, and a body trickled in would
// hold a worker, so such requests are answered at the front and never reach a worker.
bool announces_body(std::string_view headers) {
  std::size_t start = headers.find("\r\n");  // past the request line
  while (start != std::string_view::npos && start + 2 < headers.size()) {
    start += 2;
    const std::size_t end = headers.find("\r\n", start);
    const std::string_view line = headers.substr(start, end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "transfer-encoding")) return true;
      if (iequals(name, "content-length") && value.find_first_not_of('0') != std::string_view::npos)
        return true;
    }
    start = end;
  }
  return false;
}

// A connection's stream for httplib's request parser: the bytes the front buffered first, then the
// socket, always within the request's deadline; the response within its own.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& connection, Clock::duration response_timeout)
      : m_connection(connection), m_response_timeout(response_timeout) {}

  bool is_readable() const override {
    return m_offset < m_connection.buffer.size() ||
           wait_until(m_connection.fd, POLLIN, m_connection.deadline);
  }
  bool is_writable() const override { return wait_until(m_connection.fd, POLLOUT, response_deadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (m_offset < m_connection.buffer.size()) {
      const std::size_t count = std::min(size, m_connection.buffer.size() - m_offset);
      std::memcpy(ptr, m_connection.buffer.data() + m_offset, count);
      m_offset += count;
      return static_cast<ssize_t>(count);
    }
    for (;;) {
      if (!wait_until(m_connection.fd, POLLIN, m_connection.deadline)) return -1;
      const ssize_t received = ::recv(m_connection.fd, ptr, size, MSG_DONTWAIT);
      if (received >= 0) return received;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      const ssize_t sent = ::send(m_connection.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) return sent;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      if (!wait_until(m_connection.fd, POLLOUT, response_deadline())) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  ::socket_t socket() const override { return m_connection.fd; }

  // Drops what the request consumed; a pipelined next request stays buffered.
  void consume() { m_connection.buffer.erase(0, m_offset); }

 private:
  Clock::time_point response_deadline() const {
    if (!m_response_deadline) m_response_deadline = Clock::now() + m_response_timeout;
    return *m_response_deadline;
  }

  template <typename Query>
  void address(Query query, std::string& ip, int& port) const {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    ip.clear();
    port = 0;
    if (query(m_connection.fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
      port = ntohs(v4->sin_port);
    } else if (storage.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
      port = ntohs(v6->sin6_port);
    }
    ip = text;
  }

  Connection& m_connection;
  Clock::duration m_response_timeout;
  mutable std::optional<Clock::time_point> m_response_deadline;
  std::size_t m_offset = 0;
};

}  // namespace

// httplib's task queue, replaced: its accept loop hands each socket here at once, one poll thread
// waits for the requests, and a fixed pool of workers runs them.
class ConnectionFront final : public httplib::TaskQueue {
 public:
  ConnectionFront(BoundedServer& server, const ConnectionLimits& limits)
      : m_server(server), m_limits(limits), m_wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    m_poller = std::thread([this] { poll_loop(); });
    for (std::size_t i = 0; i < std::max<std::size_t>(1, m_limits.workers); ++i)
      m_workers.emplace_back([this] { work_loop(); });
  }
  ~ConnectionFront() override {
    shutdown();
    ::close(m_wake_fd);
  }
  ConnectionFront(const ConnectionFront&) = delete;
  ConnectionFront& operator=(const ConnectionFront&) = delete;

  // httplib's accept loop enqueues `process_and_close_socket(sock)`, which only calls adopt().
  void enqueue(std::function<void()> task) override { task(); }

  void shutdown() override {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) return;
      m_stopping = true;
    }
    wake();
    m_work_ready.notify_all();
    if (m_poller.joinable()) m_poller.join();
    for (auto& worker : m_workers) worker.join();
    m_workers.clear();
    std::lock_guard lock(m_mutex);
    m_accepted.clear();
    m_returned.clear();
    m_ready.clear();
  }

  void adopt(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    auto connection = std::make_unique<Connection>(fd);
    connection->since = Clock::now();
    connection->deadline = connection->since + m_limits.request_timeout;
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) return;  // closed by the destructor of `connection`
      m_accepted.push_back(std::move(connection));
    }
    wake();
  }

 private:
  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(m_wake_fd, &one, sizeof(one));
  }

  // Every connection waiting for (the rest of) a request is here, in this one thread.
  void poll_loop() {
    std::vector<std::unique_ptr<Connection>> waiting;
    std::vector<pollfd> polled;
    for (;;) {
      std::vector<std::unique_ptr<Connection>> accepted, returned;
      std::size_t busy = 0;
      {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;
        accepted.swap(m_accepted);
        returned.swap(m_returned);
        busy = m_busy;
      }
      for (auto& connection : returned) waiting.push_back(std::move(connection));
      for (auto& connection : accepted) {
        if (waiting.size() + busy >= m_limits.max_connections) {
          // At the cap the oldest waiting connection makes room: a client that holds connections
          // open without finishing its requests cannot lock out one that does.
          auto oldest = std::min_element(waiting.begin(), waiting.end(),
                                         [](const auto& a, const auto& b) { return a->since < b->since; });
          if (oldest == waiting.end()) {
            send_and_forget(connection->fd, kBusy);
            continue;  // every slot is with a worker
          }
          spdlog::debug("http: {} connections open, closing the one waiting longest",
                        m_limits.max_connections);
          waiting.erase(oldest);
        }
        waiting.push_back(std::move(connection));
      }

      // Kept-alive connections may hold a pipelined request already.
      const auto now = Clock::now();
      dispatch_or_drop(waiting, now, {});

      polled.assign(1, pollfd{m_wake_fd, POLLIN, 0});
      auto next_deadline = now + std::chrono::seconds(1);
      for (const auto& connection : waiting) {
        polled.push_back(pollfd{connection->fd, POLLIN, 0});
        next_deadline = std::min(next_deadline, connection->deadline);
      }
      const auto timeout_ms = std::chrono::ceil<std::chrono::milliseconds>(next_deadline - now).count();
      const int ready =
          ::poll(polled.data(), polled.size(), static_cast<int>(std::max<long long>(0, timeout_ms)));
      if (ready < 0 && errno != EINTR) {
        spdlog::warn("http: poll failed: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (polled[0].revents != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto drained = ::read(m_wake_fd, &count, sizeof(count));
      }
      std::vector<bool> readable(waiting.size(), false);
      for (std::size_t i = 0; i < waiting.size(); ++i) readable[i] = polled[i + 1].revents != 0;
      dispatch_or_drop(waiting, Clock::now(), readable);
    }
  }

  // Reads what the readable connections sent; hands complete requests to the workers; closes
  // connections whose peer left, whose headers are too long or whose deadline has passed.
  void dispatch_or_drop(std::vector<std::unique_ptr<Connection>>& waiting, Clock::time_point now,
                        const std::vector<bool>& readable) {
    std::vector<std::unique_ptr<Connection>> still_waiting;
    std::vector<std::unique_ptr<Connection>> ready;
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      auto& connection = waiting[i];
      bool peer_left = false;
      if (i < readable.size() && readable[i]) peer_left = !receive(*connection);
      const std::size_t end = connection->buffer.find("\r\n\r\n");
      if (end != std::string::npos && end + 4 <= m_limits.max_header_bytes) {
        if (announces_body(std::string_view(connection->buffer).substr(0, end + 4))) {
          send_and_forget(connection->fd, kNoBody);
        } else {
          ready.push_back(std::move(connection));
        }
      } else if (connection->buffer.size() >= m_limits.max_header_bytes) {
        send_and_forget(connection->fd, kTooLarge);
      } else if (peer_left) {
        // closed below
      } else if (now >= connection->deadline) {
        // Idle kept-alive connections just close; a started request learns why.
        if (!connection->buffer.empty()) send_and_forget(connection->fd, kTimeout);
      } else {
        still_waiting.push_back(std::move(connection));
      }
    }
    waiting.swap(still_waiting);
    if (ready.empty()) return;
    {
      std::lock_guard lock(m_mutex);
      m_busy += ready.size();
      for (auto& connection : ready) m_ready.push_back(std::move(connection));
    }
    m_work_ready.notify_all();
  }

  // False when the peer closed or the connection failed.
  bool receive(Connection& connection) const {
    char chunk[4096];
    while (connection.buffer.size() < m_limits.max_header_bytes) {
      const ssize_t received = ::recv(connection.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (received > 0) {
        connection.buffer.append(chunk, static_cast<std::size_t>(received));
        continue;
      }
      if (received == 0) return false;
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    return true;
  }

  void work_loop() {
    for (;;) {
      std::unique_ptr<Connection> connection;
      {
        std::unique_lock lock(m_mutex);
        m_work_ready.wait(lock, [this] { return m_stopping || !m_ready.empty(); });
        if (m_stopping) return;
        connection = std::move(m_ready.front());
        m_ready.pop_front();
      }
      bool keep = false;
      try {
        ConnectionStream stream(*connection, m_limits.response_timeout);
        const bool last = ++connection->served >= m_limits.max_requests_per_connection;
        bool closed = false;
        keep = m_server.serve_request(stream, last, closed) && !closed && !last;
        stream.consume();
      } catch (const std::exception& error) {
        spdlog::warn("http: request failed: {}", error.what());
      }
      if (keep) {
        connection->since = Clock::now();
        connection->deadline = connection->since + m_limits.request_timeout;
      }
      {
        std::lock_guard lock(m_mutex);
        --m_busy;
        if (keep && !m_stopping) m_returned.push_back(std::move(connection));
      }
      connection.reset();  // closes it unless it went back to the poll thread
      if (keep) wake();
    }
  }

  static constexpr std::string_view kTimeout =
      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  static constexpr std::string_view kTooLarge =
      "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  static constexpr std::string_view kNoBody =
      "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

  BoundedServer& m_server;
  ConnectionLimits m_limits;
  int m_wake_fd;
  std::mutex m_mutex;
  std::condition_variable m_work_ready;
  bool m_stopping = false;
  std::vector<std::unique_ptr<Connection>> m_accepted;  // new, for the poll thread
  std::vector<std::unique_ptr<Connection>> m_returned;  // kept alive after a response
  std::deque<std::unique_ptr<Connection>> m_ready;      // a complete request, for a worker
  std::size_t m_busy = 0;                               // in m_ready or with a worker
  std::thread m_poller;
  std::vector<std::thread> m_workers;
};

}  // namespace detail

BoundedServer::BoundedServer(ConnectionLimits limits) : m_limits(limits) {
  // What httplib announces in Keep-Alive headers matches what the front enforces.
  set_keep_alive_max_count(m_limits.max_requests_per_connection);
  set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(m_limits.request_timeout).count()));
  new_task_queue = [this]() -> httplib::TaskQueue* {
    auto* front = new detail::ConnectionFront(*this, m_limits);
    m_front = front;
    return front;
  };
}

BoundedServer::~BoundedServer() = default;

int BoundedServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (bound >= 0) ::listen(svr_sock_, SOMAXCONN);
  return bound;
}

bool BoundedServer::serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
  return process_request(stream, close_connection, connection_closed, nullptr);
}

bool BoundedServer::process_and_close_socket(::socket_t sock) {
  m_front->adopt(sock);
  return true;
}

}  // namespace d2d::server
