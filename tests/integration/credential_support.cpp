// The fixture's plumbing: starting aws_credentials_fake.py and calling its control endpoints.
#include "credential_support.h"

#include <cstdio>
#include <stdexcept>

namespace d2d::testing::credentials {

using namespace d2d::s3;

Fake start_fake(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe");
  Fake fake;
  fake.pid = fork();
  if (fake.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<const char*> argv{"/usr/bin/python3", D2D_CREDENTIALS_FAKE};
    for (const auto& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    execv(argv[0], const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  if (std::fscanf(in, "%d", &fake.port) != 1) throw std::runtime_error("the credentials fake did not start");
  std::fclose(in);
  return fake;
}

std::string http(const std::string& method, const std::string& url, const std::string& body) {
  HttpClient client;
  HttpRequest request{method, url, {{"Content-Type", "application/json"}}, body, {}};
  const HttpResponse response = client.perform(request, Signing{}, Timeouts{2, 5});
  if (response.transport != Transport::Ok || response.status != 200) throw std::runtime_error("fake: " + url);
  return response.body;
}

bool one_line(const std::string& text) { return text.find('\n') == std::string::npos && !text.empty(); }

}  // namespace d2d::testing::credentials
