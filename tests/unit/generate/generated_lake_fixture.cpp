// The shared lake's set-up and the helpers of generated_lake_fixture.h, compiled once for every topic file.
#include "generated_lake_fixture.h"

#include <fstream>
#include <iterator>

#include "core/time.h"

namespace d2d::generate::test_support {
namespace fs = std::filesystem;

constexpr std::int64_t kDayUs = core::kMicrosPerDay;

std::int64_t day_of(std::int64_t at_us) { return at_us >= 0 ? at_us / kDayUs : (at_us + 1) / kDayUs - 1; }

std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream stream(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), root).generic_string()] =
        std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  }
  return files;
}

std::multiset<std::string> distinct_valid_lines(const Lake& lake) {
  std::multiset<std::string> lines;
  std::set<std::string> seen;
  for (const auto& line : lake.valid) {
    if (seen.insert(line.raw).second) lines.insert(line.raw);
  }
  return lines;
}

void GeneratedLake::SetUpTestSuite() {
  s_dir = std::make_unique<TempDir>();
  s_options = small_options(s_dir->path());
  s_options.days = 2;
  s_options.breaks = true;
  s_options.bad_ratio = 0.03;
  // Flat: one directory. Creating directories is slow on some disks (a millisecond each here),
  // and ctest sets this suite up again for every test; the nested layout is tested on a lake of its own.
  s_options.layout = KeyLayout::Flat;
  s_summary = generate_fleet(s_options);
  s_lake = std::make_unique<Lake>(read_lake(s_dir->path()));
}

void GeneratedLake::TearDownTestSuite() {
  s_lake.reset();
  s_dir.reset();
}

std::unique_ptr<TempDir> GeneratedLake::s_dir;
GenerateOptions GeneratedLake::s_options;
GenerateSummary GeneratedLake::s_summary;
std::unique_ptr<Lake> GeneratedLake::s_lake;

}  // namespace d2d::generate::test_support
