// Sources: where the events land (SPEC §2). A source lists the objects of one lake date and
// reads an object's bytes. Local folders and file:// URIs (local_source), s3:// (s3_source).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "s3/client_options.h"

namespace d2d::lake {

struct ObjectInfo {
  std::string key;  // relative to the source root, '/'-separated
  std::uint64_t size = 0;
  std::string md5;  // hex, when the listing already tells it (an S3 single-part ETag); else ""
  // What the listing says changes whenever the content does, without reading it: a local file's
  // modification time, an S3 object's ETag (multipart ones too). Extract's quick check (size and
  // this, against the manifest) spares it from reading an unchanged object again. "" = unknown.
  std::string version;
};

// An object of the date that is not loaded, for safety (SPEC §7): its key could leave the lake,
// or it is a symbolic link out of the source folder. The run skips it, counts it and says why.
struct RefusedObject {
  std::string key;  // as listed: untrusted bytes, to be encoded for whatever sink shows them
  std::string reason;
};

struct Listing {
  std::vector<ObjectInfo> objects;  // sorted by key
  std::vector<RefusedObject> refused;
};

class Source {
 public:
  virtual ~Source() = default;
  // Every object whose file name carries `lake_date`. A listing that fails part of the way throws
  // core::Error naming what could not be listed: a date is never silently smaller.
  virtual Listing list_lake_date(const std::string& lake_date) = 0;
  // The object's bytes to read a block at a time (extract copies them into the lake that way),
  // checked against the listed size (and MD5 when known): a truncated or changed object throws,
  // at the latest when its end is read. Safe to call from several threads at once. Throws
  // core::Error.
  virtual std::unique_ptr<core::ByteReader> open(const ObjectInfo& object) = 0;
  // The object's MD5 (hex) without keeping its bytes (to decide whether the lake has it).
  virtual std::string md5_of(const ObjectInfo& object) = 0;
  // How many reads are worth running at once beyond one per core (a network source waits more
  // than it computes).
  virtual unsigned parallelism() const { return 1; }
  // For logs and errors: never contains a secret.
  virtual std::string describe() const = 0;
};

// Opens a source from a URI: a folder path, file:// URI or s3://bucket/prefix.
// Throws core::Error(Usage) for other schemes.
std::unique_ptr<Source> open_source(const std::string& uri, const s3::ClientOptions& s3_options = {});

// A local path from a bare path or file:// URI; nothing for other schemes.
std::optional<std::filesystem::path> local_path_of(const std::string& uri);

}  // namespace d2d::lake
