// d2d's extract alone, as a whole process, for bench/s3_fetch.sh: list one lake date of an
// s3:// source and copy it into a local raw zone (verified, in parallel), exactly as `d2d run`
// does before transforming. Usage: d2d_s3_fetch SOURCE_URI LAKE_DIR DATE [PARALLEL].
#include <fmt/format.h>

#include <cstdlib>
#include <exception>

#include "lake/raw_zone.h"
#include "lake/source.h"
#include "s3/client_options.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "usage: d2d_s3_fetch SOURCE_URI LAKE_DIR DATE [PARALLEL]\n");
    return 2;
  }
  try {
    d2d::s3::ClientOptions options;
    if (argc > 4) options.parallel = static_cast<unsigned>(std::atoi(argv[4]));
    auto source = d2d::lake::open_source(argv[1], options);
    d2d::lake::RawZone zone(d2d::lake::open_lake(argv[2]), argv[3]);
    const auto stats = zone.extract(*source);
    fmt::print("{} objects, {} bytes, {} copied\n", stats.objects, stats.bytes, stats.copied);
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "d2d_s3_fetch: {}\n", error.what());
    return 1;
  }
}
