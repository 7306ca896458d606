// AWS's published SigV4 test suite (aws-sig-v4-test-suite: AKIDEXAMPLE, us-east-1, service
// "service", 20150830T123600Z), signed by libcurl through s3::HttpClient and captured by a
// loopback server. curl takes a caller's X-Amz-Date header as the signing time, and
// CURLOPT_CONNECT_TO lets the request name example.amazonaws.com while going to 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "s3/http.h"
#include "s3/uri_encode.h"

namespace d2d::s3 {
namespace {

// Accepts one connection, keeps the request head, answers 200 and closes.
class CaptureServer {
 public:
  CaptureServer() {
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(m_listener, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~CaptureServer() {
    if (m_thread.joinable()) m_thread.join();
    ::close(m_listener);
  }
  int port() const { return m_port; }
  std::string request() {
    m_thread.join();
    return m_request;
  }

 private:
  void serve() {
    const int connection = ::accept(m_listener, nullptr, nullptr);
    if (connection < 0) return;
    char buffer[8192];
    while (m_request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t got = ::read(connection, buffer, sizeof buffer);
      if (got <= 0) break;
      m_request.append(buffer, static_cast<std::size_t>(got));
    }
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(connection, answer.data(), answer.size());
    ::close(connection);
  }
  int m_listener = -1;
  int m_port = 0;
  std::thread m_thread;
  std::string m_request;
};

struct Vector {
  const char* name;
  const char* method;
  const char* path;  // as the client encodes keys
  std::vector<QueryParam> query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body;
  const char* session_token;
  const char* signed_headers;
  const char* signature;
};

const char* kToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTfl"
    "fKD8YUuwthAx7mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8"
    "Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIl"
    "TJabIQwj2ICCR/oLxBA==";
const char* kUnreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::vector<Vector> vectors() {
  return {
      {"get-vanilla",
       "GET",
       "/",
       {},
       {},
       "",
       "",
       "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/",
       {{"Param1", "value1"}},
       {},
       "",
       "",
       "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      // The client sorts the parameters: the suite gives them as Param2, Param1.
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       {{"Param2", "value2"}, {"Param1", "value1"}},
       {},
       "",
       "",
       "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/",
       {{kUnreserved, kUnreserved}},
       {},
       "",
       "",
       "host;x-amz-date",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/",
       {{"\xe1\x88\xb4", "bar"}},
       {},
       "",
       "",
       "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       {},
       "",
       "",
       "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8",
       "GET",
       "/\xe1\x88\xb4",
       {},
       {},
       "",
       "",
       "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       {},
       "",
       "",
       "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/",
       {{"Param1", "value1"}},
       {},
       "",
       "",
       "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved",
       "POST",
       "/",
       {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}},
       {},
       "",
       "",
       "host;x-amz-date",
       "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-header-key-sort",
       "POST",
       "/",
       {},
       {{"My-Header1", "value1"}},
       "",
       "",
       "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case",
       "POST",
       "/",
       {},
       {{"My-Header1", "VALUE1"}},
       "",
       "",
       "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-sts-header-before",
       "POST",
       "/",
       {},
       {},
       "",
       kToken,
       "host;x-amz-date;x-amz-security-token",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {},
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  };
}

std::string authorization_of(const std::string& request) {
  const auto start = request.find("\r\nAuthorization: ");
  if (start == std::string::npos) return "";
  const auto value = start + 17;
  return request.substr(value, request.find("\r\n", value) - value);
}

class SigV4Suite : public ::testing::TestWithParam<Vector> {};

TEST_P(SigV4Suite, CurlSignsAsAwsPublished) {
  const Vector& vector = GetParam();
  CaptureServer server;
  HttpRequest request;
  request.method = vector.method;
  request.url = std::string("http://example.amazonaws.com") + aws_encode(vector.path, true);
  if (!vector.query.empty()) request.url += "?" + canonical_query(vector.query);
  request.headers = vector.headers;
  request.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  request.body = vector.body;
  request.connect_to = "example.amazonaws.com:80:127.0.0.1:" + std::to_string(server.port());
  Signing signing{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", vector.session_token,
                  "us-east-1", "service"};
  HttpClient client;
  const HttpResponse response = client.perform(request, signing, Timeouts{5, 5});
  ASSERT_EQ(response.transport, Transport::Ok) << response.transport_error;
  EXPECT_EQ(authorization_of(server.request()),
            std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                        "SignedHeaders=") +
                vector.signed_headers + ", Signature=" + vector.signature);
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4Suite, ::testing::ValuesIn(vectors()),
                         [](const ::testing::TestParamInfo<Vector>& param) {
                           std::string name = param.param.name;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(SigV4, AnonymousRequestsCarryNoAuthorization) {
  CaptureServer server;
  HttpRequest request;
  request.url = "http://example.amazonaws.com/bucket/key";
  request.connect_to = "example.amazonaws.com:80:127.0.0.1:" + std::to_string(server.port());
  HttpClient client;
  const HttpResponse response = client.perform(request, Signing{}, Timeouts{5, 5});
  ASSERT_EQ(response.transport, Transport::Ok) << response.transport_error;
  EXPECT_EQ(authorization_of(server.request()), "");
}

}  // namespace
}  // namespace d2d::s3
