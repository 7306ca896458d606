// A source in an S3 bucket: s3://bucket/prefix. Only the lake date's own keys are listed:
// the layout under the prefix is found with one delimiter listing per folder level, then the
// narrowest prefix of each layout is listed in full (SPEC §2):
//   nested: <prefix>[<folder>/]YYYY/MM/DD/          flat: <prefix>[<folder>/]YYYY-MM-DD-
// Objects are read in parallel (ClientOptions::parallel), verified against the listing; extract
// receives each into a temporary file first, so memory does not grow with an object's size.
#pragma once

#include <memory>
#include <string>

#include "lake/source.h"
#include "s3/client.h"

namespace d2d::lake {

class S3Source final : public Source {
 public:
  S3Source(const std::string& uri, const s3::ClientOptions& options);
  Listing list_lake_date(const std::string& lake_date) override;
  // Received whole into a temporary file and verified, then read from there a block at a time.
  std::unique_ptr<core::ByteReader> open(const ObjectInfo& object) override;
  std::string md5_of(const ObjectInfo& object) override;
  unsigned parallelism() const override { return m_client->options().parallel; }
  std::string describe() const override { return "s3://" + m_client->bucket() + "/" + m_prefix; }

 private:
  // The prefixes to list in full for `lake_date` below `folder` (a prefix ending in '/' or "").
  void find_date_prefixes(const std::string& folder, const std::string& lake_date, int depth,
                          std::vector<std::string>& prefixes);

  // What the listing said of `object`, as the client checks a GET against it.
  s3::ObjectEntry listed(const ObjectInfo& object) const;

  std::unique_ptr<s3::Client> m_client;
  std::string m_prefix;
};

}  // namespace d2d::lake
