#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/checksum.h"
#include "core/error.h"
#include "s3/client_options.h"
#include "s3/credentials.h"
#include "s3/spool_file.h"
#include "s3/uri_encode.h"
#include "s3/xml.h"

namespace d2d::s3 {
namespace {
namespace fs = std::filesystem;

TEST(UriEncode, KeepsUnreservedAndEncodesTheRestInUpperCase) {
  EXPECT_EQ(aws_encode("a-b_c.d~e/f g+h", true), "a-b_c.d~e/f%20g%2Bh");
  EXPECT_EQ(aws_encode("a/b=c&d", false), "a%2Fb%3Dc%26d");
  EXPECT_EQ(aws_encode("\xe1\x88\xb4", false), "%E1%88%B4");
}

TEST(UriEncode, CanonicalQuerySortsByEncodedNameThenValue) {
  EXPECT_EQ(canonical_query({{"prefix", "a/b "}, {"list-type", "2"}, {"delimiter", "/"}}),
            "delimiter=%2F&list-type=2&prefix=a%2Fb%20");
  EXPECT_EQ(canonical_query({{"k", "b"}, {"k", "a"}, {"uploads", ""}}), "k=a&k=b&uploads=");
}

TEST(S3Uri, ParsesBucketAndFolderPrefix) {
  auto uri = parse_s3_uri("s3://bucket/data/events");
  EXPECT_EQ(uri.bucket, "bucket");
  EXPECT_EQ(uri.prefix, "data/events/");
  EXPECT_EQ(parse_s3_uri("s3://bucket").prefix, "");
  EXPECT_EQ(parse_s3_uri("s3://bucket/").prefix, "");
  EXPECT_THROW(parse_s3_uri("s3:///x"), core::Error);
  EXPECT_THROW(parse_s3_uri("s3://Bad_Bucket!/x"), core::Error);
  EXPECT_THROW(parse_addressing("sideways"), core::Error);
}

TEST(Xml, ParsesAListingPage) {
  const auto page = parse_list_page(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>tok/en=</NextContinuationToken>
<Contents><Key>p/a &amp; b</Key><Size>12</Size><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag></Contents>
<Contents><Key>p/c</Key><Size>0</Size><ETag>"abc-2"</ETag></Contents>
<CommonPrefixes><Prefix>p/2019/</Prefix></CommonPrefixes></ListBucketResult>)");
  ASSERT_EQ(page.objects.size(), 2U);
  EXPECT_EQ(page.objects[0].key, "p/a & b");
  EXPECT_EQ(page.objects[0].size, 12U);
  EXPECT_TRUE(is_md5_etag(page.objects[0].etag));
  EXPECT_FALSE(is_md5_etag(page.objects[1].etag));  // multipart: no MD5 of the content
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"p/2019/"});
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_token, "tok/en=");
  // Something else than a listing (a proxy's page, a cut body) is a transient failure.
  try {
    parse_list_page("<html>");
    FAIL();
  } catch (const core::Error& error) {
    EXPECT_TRUE(error.transient());
  }
}

TEST(Xml, ParsesErrorsAndWritesCompletion) {
  const auto error = parse_error("<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "SlowDown");
  EXPECT_FALSE(parse_error("not xml"));
  EXPECT_EQ(complete_multipart_xml({{1, "a"}, {2, "b"}}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>");
  EXPECT_EQ(parse_upload_id(
                "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"),
            "u1");
}

class AwsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/d2d-aws-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    m_home = name;
    fs::create_directories(m_home / ".aws");
    m_env["HOME"] = m_home.string();
    m_env["AWS_EC2_METADATA_DISABLED"] = "true";  // the chain's last source is a network probe
  }
  void TearDown() override { fs::remove_all(m_home); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(m_home / ".aws" / name) << text;
  }
  Environment env() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = m_env.find(name);
      if (it == m_env.end()) return std::nullopt;
      return it->second;
    };
  }
  fs::path m_home;
  std::map<std::string, std::string> m_env;
};

TEST_F(AwsFiles, EnvironmentComesFirstThenProfileThenAnonymous) {
  write("credentials",
        "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n\n"
        "[ci]\naws_access_key_id=CIKEY\naws_secret_access_key=CISECRET\naws_session_token=TOKEN\n");
  write("config", "[default]\nregion = eu-west-1\n[profile ci]\nregion = eu-central-1\n");
  m_env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  m_env["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  auto credentials = resolve_credentials(false, env());
  EXPECT_EQ(credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(credentials.origin, "environment");

  m_env.erase("AWS_ACCESS_KEY_ID");
  m_env.erase("AWS_SECRET_ACCESS_KEY");
  credentials = resolve_credentials(false, env());
  EXPECT_EQ(credentials.access_key_id, "FILEKEY");
  EXPECT_EQ(resolve_options({}, env()).region, "eu-west-1");

  m_env["AWS_PROFILE"] = "ci";
  credentials = resolve_credentials(false, env());
  EXPECT_EQ(credentials.secret_access_key, "CISECRET");
  EXPECT_EQ(credentials.session_token, "TOKEN");
  EXPECT_EQ(credentials.origin.find("SECRET"), std::string::npos);
  EXPECT_EQ(resolve_options({}, env()).region, "eu-central-1");
  m_env["AWS_REGION"] = "ap-south-1";
  EXPECT_EQ(resolve_options({}, env()).region, "ap-south-1");

  EXPECT_TRUE(resolve_credentials(true, env()).anonymous());  // --s3-anonymous
  m_env["AWS_PROFILE"] = "missing";
  EXPECT_THROW(resolve_credentials(false, env()), core::Error);
}

TEST_F(AwsFiles, ConfigFileProfilesAndNoCredentialsAtAll) {
  EXPECT_TRUE(resolve_credentials(false, env()).anonymous());
  EXPECT_EQ(resolve_options({}, env()).region, "us-east-1");
  write("config",
        "[profile dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = DEVSECRET\n"
        "[profile half]\naws_access_key_id = HALF\n");
  m_env["AWS_PROFILE"] = "dev";
  EXPECT_EQ(resolve_credentials(false, env()).access_key_id, "DEVKEY");
  m_env["AWS_PROFILE"] = "half";
  EXPECT_THROW(resolve_credentials(false, env()), core::Error);
  m_env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000/";
  EXPECT_EQ(resolve_options({}, env()).endpoint, "http://127.0.0.1:9000");
  ClientOptions given;
  given.endpoint = "https://s3.example";
  EXPECT_EQ(resolve_options(given, env()).endpoint, "https://s3.example");
  m_env["AWS_ENDPOINT_URL"] = "127.0.0.1:9000";
  EXPECT_THROW(resolve_options({}, env()), core::Error);
}

// A provider whose source fails after the credentials it gave expired: every request fails with
// the source's own line (never with the expired keys), and the source is asked once per
// refresh_retry_ms however many transfers ask meanwhile, not once per request under the mutex.
class RefreshingProvider : public ::testing::Test {
 protected:
  static constexpr int kRetryMs = 400;
  Credentials issued(std::chrono::milliseconds valid_for) {
    Credentials credentials;
    credentials.access_key_id = "ASIA" + std::to_string(m_fetches.load());
    credentials.secret_access_key = "secret";
    credentials.session_token = "token";
    credentials.origin = "container credentials (http://127.0.0.1:1/creds)";
    credentials.expires_at = Clock::now() + valid_for;
    return credentials;
  }
  // The first answer is `first`; later ones follow m_mode.
  std::unique_ptr<CredentialProvider> provider(Credentials first, std::chrono::seconds margin) {
    ChainOptions options;
    options.refresh_retry_ms = kRetryMs;
    options.on_retry = [this](const std::string& line) { m_warnings.push_back(line); };
    return std::make_unique<CredentialProvider>(
        [this, first]() mutable {
          if (m_fetches++ == 0) return first;
          if (m_mode == "error") {
            throw core::Error(core::ErrorKind::Input,
                              "AWS credentials from container credentials (http://127.0.0.1:1/creds): the "
                              "credentials request answered HTTP 404");
          }
          if (m_mode == "none") return Credentials{};
          return issued(std::chrono::hours(1));
        },
        margin, options);
  }
  // current() from 4 threads, 50 times each, at once: the messages of what they threw ("" for
  // credentials handed out), and how long it took.
  std::vector<std::string> burst(CredentialProvider& credentials, std::chrono::milliseconds* took) {
    std::mutex mutex;
    std::vector<std::string> outcomes;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          std::string outcome;
          try {
            const Credentials got = credentials.current();
            EXPECT_FALSE(got.expires_at && *got.expires_at <= Clock::now())
                << "expired credentials handed out";
          } catch (const core::Error& error) {
            outcome = error.what();
          }
          std::lock_guard lock(mutex);
          outcomes.push_back(outcome);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    return outcomes;
  }

  std::atomic<int> m_fetches{0};
  std::string m_mode = "error";
  std::vector<std::string> m_warnings;
};

TEST_F(RefreshingProvider, ExpiredCredentialsAndAFailingSourceFailEveryRequestAndTheSourceIsAskedSeldom) {
  for (const std::string mode : {"error", "none"}) {
    m_mode = mode;
    m_fetches = 0;
    auto credentials = provider(issued(std::chrono::milliseconds(-1)), std::chrono::seconds(0));
    std::chrono::milliseconds took{};
    const auto outcomes = burst(*credentials, &took);
    const std::string expected =
        mode == "error"
            ? "AWS credentials from container credentials (http://127.0.0.1:1/creds): the credentials "
              "request answered HTTP 404"
            : "AWS credentials from container credentials (http://127.0.0.1:1/creds): the refresh gave no "
              "credentials";
    for (const auto& outcome : outcomes) ASSERT_EQ(outcome, expected) << mode;
    // The constructor's fetch, the first refresh, and at most one more per retry interval.
    EXPECT_LE(m_fetches.load(), 2 + took.count() / kRetryMs) << mode << ", " << took.count() << " ms";

    // After the interval the source is asked again, and its answer is used at once.
    m_mode = "ok";
    std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs + 100));
    const int before = m_fetches.load();
    EXPECT_EQ(credentials->current().access_key_id, "ASIA" + std::to_string(before + 1));
    EXPECT_EQ(m_fetches.load(), before + 1);
  }
}

TEST_F(RefreshingProvider, CredentialsThatStillHoldAreUsedWhileTheSourceFailsAndItIsAskedSeldom) {
  // Valid for 30 s more but within the 60 s margin: each request would refresh.
  auto credentials = provider(issued(std::chrono::seconds(30)), std::chrono::seconds(60));
  std::chrono::milliseconds took{};
  const auto outcomes = burst(*credentials, &took);
  for (const auto& outcome : outcomes) ASSERT_EQ(outcome, "");
  EXPECT_EQ(credentials->current().access_key_id, "ASIA0");
  EXPECT_LE(m_fetches.load(), 2 + took.count() / kRetryMs) << took.count() << " ms";
  EXPECT_LE(m_warnings.size(), 1u + took.count() / kRetryMs);
  ASSERT_FALSE(m_warnings.empty());
  EXPECT_NE(m_warnings.front().find("HTTP 404 (the current credentials still hold"), std::string::npos)
      << m_warnings.front();
}

// A request signed a moment before the expiry reaches S3 after it: credentials in their last
// expiry_guard_ms are refreshed first, and never handed out when the refresh fails.
TEST_F(RefreshingProvider, CredentialsInTheirLastSecondsAreNotHandedOutWhenTheSourceFails) {
  auto credentials = provider(issued(std::chrono::seconds(5)), std::chrono::seconds(1));
  EXPECT_THROW(credentials->current(), core::Error) << "handed out 5 s before expiry with a 10 s guard";
  m_mode = "ok";
  std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs + 100));
  const int before = m_fetches.load();
  const Credentials fresh = credentials->current();
  EXPECT_EQ(fresh.access_key_id, "ASIA" + std::to_string(before + 1));
  EXPECT_GT(*fresh.expires_at, Clock::now() + std::chrono::minutes(59));
}

// Where S3 objects wait between the network and their reader: what goes in comes out, from
// any offset, and clearing starts again (a GET that restarts from the first byte).
TEST(SpoolFile, GivesBackWhatWasAppendedFromAnyOffset) {
  SpoolFile spool;
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes += static_cast<char>(i * 31 % 251);
  spool.append(std::string_view(bytes).substr(0, 1));
  spool.append(std::string_view(bytes).substr(1, 70000));
  spool.append(std::string_view(bytes).substr(70001));
  EXPECT_EQ(spool.size(), bytes.size());
  char block[4096];
  EXPECT_EQ(spool.read_at(123457, block, sizeof block), sizeof block);
  EXPECT_EQ(std::string_view(block, sizeof block), std::string_view(bytes).substr(123457, sizeof block));
  EXPECT_EQ(spool.read_at(bytes.size() - 10, block, sizeof block), 10U);
  EXPECT_EQ(spool.read_at(bytes.size(), block, sizeof block), 0U);
  core::Md5 md5;
  md5.update(bytes);
  EXPECT_EQ(spool.md5_hex(), md5.hex_digest());
  EXPECT_THROW(spool.append("more"), core::Error) << "the MD5 taken would no longer be the file's";
  spool.clear();
  EXPECT_EQ(spool.size(), 0U);
  spool.append("again");
  core::Md5 again;
  again.update("again");
  EXPECT_EQ(spool.md5_hex(), again.hex_digest()) << "clear() starts the hash again";
  auto owned = std::make_unique<SpoolFile>();
  owned->append(bytes);
  SpoolFileReader reader(std::move(owned));
  std::string read_back;
  while (const std::size_t got = reader.read(block, 1000)) read_back.append(block, got);
  EXPECT_TRUE(read_back == bytes);
}

TEST(SpoolFile, ATemporaryFolderThatIsNotThereIsAClearError) {
  const char* before = std::getenv("TMPDIR");
  const std::string saved = before != nullptr ? before : "";
  setenv("TMPDIR", "/nonexistent/d2d-tmp", 1);
  try {
    SpoolFile spool;
    ADD_FAILURE() << "made a temporary file in a folder that does not exist";
  } catch (const core::Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/d2d-tmp"), std::string::npos) << error.what();
  }
  if (before != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace d2d::s3
