// A source on the local filesystem (a folder, or a file:// URI).
#pragma once

#include <memory>

#include "core/byte_reader.h"
#include "lake/source.h"

namespace d2d::lake {

class LocalSource final : public Source {
 public:
  explicit LocalSource(std::filesystem::path root);
  // Walks the folder (not following folder links); a folder it cannot read fails the listing.
  // A file link is followed only when it stays inside the folder; one that leaves it is refused.
  Listing list_lake_date(const std::string& lake_date) override;
  // Streams the file; throws at its end when it did not have the listed size.
  std::unique_ptr<core::ByteReader> open(const ObjectInfo& object) override;
  std::string md5_of(const ObjectInfo& object) override;
  std::string describe() const override;

 private:
  std::filesystem::path m_root;
};

}  // namespace d2d::lake
