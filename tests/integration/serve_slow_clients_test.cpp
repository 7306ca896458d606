// `d2d serve` against clients that hold connections without finishing a request (issue 14, item 7):
// twenty connections trickling a request line a byte at a time, more idle connections than the
// cap, a request that never ends, a request announcing a body that never comes. /healthz keeps
// answering within a second, and every request is cut off at its deadline however it trickles.
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "harness.h"
#include "serve_support.h"

namespace d2d::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Sends one byte of a request that never ends to every connection each `period`, until destroyed.
class Trickle {
 public:
  Trickle(std::vector<int> fds, std::chrono::milliseconds period) : m_fds(std::move(fds)) {
    m_thread = std::thread([this, period] {
      static const std::string prefix = "GET /?date=2019-06-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
      for (std::size_t sent = 0; !m_stop; ++sent) {
        const char byte = sent < prefix.size() ? prefix[sent] : 'a';
        for (const int fd : m_fds) ::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(period);
      }
    });
  }
  ~Trickle() {
    m_stop = true;
    m_thread.join();
    for (const int fd : m_fds) ::close(fd);
  }
  Trickle(const Trickle&) = delete;
  Trickle& operator=(const Trickle&) = delete;

 private:
  std::vector<int> m_fds;
  std::atomic<bool> m_stop = false;
  std::thread m_thread;
};

// /healthz on a new connection; the time it took, or a failure naming what went wrong.
::testing::AssertionResult healthz_within(int port, std::chrono::milliseconds limit) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(3s);
  client.set_read_timeout(3s);
  const auto start = Clock::now();
  const auto health = client.Get("/healthz");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (!health) return ::testing::AssertionFailure() << "no answer after " << took.count() << " ms";
  if (health->status != 200) return ::testing::AssertionFailure() << "status " << health->status;
  if (took > limit) return ::testing::AssertionFailure() << "answered after " << took.count() << " ms";
  return ::testing::AssertionSuccess();
}

std::vector<int> connect_many(int port, std::size_t count) {
  std::vector<int> fds;
  for (std::size_t i = 0; i < count; ++i) fds.push_back(connect_loopback(port));
  return fds;
}

TEST(ServeSlowClients, HealthzAnswersWithinOneSecondWhileTwentyClientsTrickle) {
  TempDir work;
  ServeProcess serve(work);
  Trickle trickle(connect_many(serve.port(), 20), 100ms);
  std::this_thread::sleep_for(500ms);  // every slow connection has been accepted and is mid-request
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(healthz_within(serve.port(), 1000ms)) << "request " << i;
    std::this_thread::sleep_for(300ms);
  }
  // Kept-alive connections still work: several requests on one connection.
  httplib::Client client("127.0.0.1", serve.port());
  client.set_keep_alive(true);
  client.set_read_timeout(3s);
  for (int i = 0; i < 3; ++i) {
    const auto health = client.Get("/healthz");
    ASSERT_TRUE(health) << "request " << i << " on a kept-alive connection";
    EXPECT_EQ(health->status, 200);
  }
}

TEST(ServeSlowClients, ATricklingRequestIsCutOffAtItsDeadline) {
  TempDir work;
  ServeProcess serve(work);
  const int fd = connect_loopback(serve.port());
  const auto start = Clock::now();
  // A byte every 200 ms: no single read ever waits long, only the whole request takes for ever.
  Trickle trickle({fd}, 200ms);
  std::string received;
  ASSERT_TRUE(closed_by_server(fd, 8s, &received)) << "still open after 8 s of trickling";
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 4s);  // the deadline is 5 s from accept
  EXPECT_LE(took, 7s);
  EXPECT_EQ(received.rfind("HTTP/1.1 408", 0), 0U) << received;
}

TEST(ServeSlowClients, ConnectionsBeyondTheCapCloseTheOldestAndHealthzStillAnswers) {
  TempDir work;
  ServeProcess serve(work);
  // 300 connections that never send a byte, against a cap of 256.
  std::vector<int> idle = connect_many(serve.port(), 300);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(healthz_within(serve.port(), 1000ms));
  std::size_t closed = 0;
  for (const int fd : idle) closed += closed_by_server(fd, 1ms) ? 1 : 0;
  EXPECT_GE(closed, 300U - 256U);
  // The oldest made room, the newest are still open (their deadline has not passed).
  EXPECT_TRUE(closed_by_server(idle.front(), 1ms));
  EXPECT_FALSE(closed_by_server(idle.back(), 1ms));
  for (const int fd : idle) ::close(fd);
}

TEST(ServeSlowClients, ARequestAnnouncingABodyIsRefusedWithoutWaitingForIt) {
  TempDir work;
  ServeProcess serve(work);
  const int fd = connect_loopback(serve.port());
  const std::string head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string received;
  EXPECT_TRUE(closed_by_server(fd, 1s, &received));
  EXPECT_EQ(received.rfind("HTTP/1.1 413", 0), 0U) << received;
  ::close(fd);
  EXPECT_TRUE(healthz_within(serve.port(), 1000ms));
}

}  // namespace
}  // namespace d2d::testing
