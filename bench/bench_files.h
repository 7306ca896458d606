// Shared by the single-thread parsing benchmarks (parse_limit.cpp, decode_bench.cpp): one lake
// date's files, read one at a time into a reused padded buffer with the timer paused, so both
// contenders measure parsing from memory over the same bytes, and memory stays flat in input size.
#pragma once

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lake/gzip.h"

namespace d2d::bench {

// One file's bytes (gunzipped when .gz, as the raw zone does) followed by SIMDJSON_PADDING bytes.
class PaddedFile {
 public:
  void load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
    const auto size = static_cast<std::size_t>(std::filesystem::file_size(path));
    m_bytes.resize(size);
    in.read(m_bytes.data(), static_cast<std::streamsize>(size));
    if (path.extension() == ".gz") m_bytes = lake::gunzip(m_bytes, path.string());
    m_size = m_bytes.size();
    m_bytes.resize(m_size + simdjson::SIMDJSON_PADDING, '\0');
  }
  const char* data() const { return m_bytes.data(); }
  std::size_t size() const { return m_size; }
  std::size_t capacity() const { return m_bytes.size(); }
  std::string_view view() const { return {m_bytes.data(), m_size}; }

 private:
  std::string m_bytes;
  std::size_t m_size = 0;
};

// What a pass saw; the sums keep the compiler from dropping the work.
struct Tally {
  std::uint64_t documents = 0;  // parse limit: JSON documents whose fields were touched
  std::uint64_t rejected = 0;   // decoder: lines rejected
  std::uint64_t checksum = 0;
  double coordinates = 0;
};

struct Input {
  std::vector<std::filesystem::path> files;
  std::uint64_t bytes = 0;
  std::uint64_t events = 0;  // non-blank lines, what d2d counts as events read (SPEC §3)
};

// Non-blank lines after an optional BOM, as events::LineSplitter counts them (kept free of the
// project's libraries so that the parse limit is bare simdjson).
inline std::uint64_t count_events(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::uint64_t events = 0;
  while (!bytes.empty()) {
    const std::size_t end = std::min(bytes.find('\n'), bytes.size());
    if (bytes.substr(0, end).find_first_not_of(" \t\r") != std::string_view::npos) ++events;
    bytes.remove_prefix(std::min(end + 1, bytes.size()));
  }
  return events;
}

// Every regular file below `dir`, sorted, with its total size and event count.
inline Input scan_input(const std::filesystem::path& dir) {
  Input input;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) input.files.push_back(entry.path());
  }
  std::sort(input.files.begin(), input.files.end());
  PaddedFile file;
  for (const auto& path : input.files) {
    file.load(path);
    input.bytes += file.size();
    input.events += count_events(file.view());
  }
  if (input.files.empty()) throw std::runtime_error(fmt::format("no files below {}", dir.string()));
  return input;
}

// One iteration = one pass of `parse` over every file; reading a file is not timed. Rates are
// per wall second (UseRealTime), like every other contender of bench/run.sh.
template <typename Parse>
void run_passes(benchmark::State& state, const Input& input, Parse&& parse) {
  PaddedFile file;
  Tally tally;
  for (auto _ : state) {
    for (const auto& path : input.files) {
      state.PauseTiming();
      file.load(path);
      state.ResumeTiming();
      parse(file, tally);
    }
  }
  benchmark::DoNotOptimize(tally.checksum);
  benchmark::DoNotOptimize(tally.coordinates);
  const auto passes = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(input.bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(input.events) * state.iterations());
  state.counters["events"] = static_cast<double>(input.events);
  state.counters["bytes"] = static_cast<double>(input.bytes);
  state.counters["documents"] = static_cast<double>(tally.documents) / passes;
  state.counters["rejected"] = static_cast<double>(tally.rejected) / passes;
}

// Parses the command line (Google Benchmark's flags, then DIR), registers `name`, runs it.
template <typename Body>
int run_benchmark_main(int argc, char** argv, const char* name, Body body) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    fmt::print(stderr, "usage: {} [--benchmark_* flags] DIR\n", argv[0]);
    return 2;
  }
  try {
    const Input input = scan_input(argv[1]);
    benchmark::AddCustomContext("simdjson_kernel", SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
    benchmark::RegisterBenchmark(name, [&](benchmark::State& state) { body(state, input); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: {}\n", argv[0], error.what());
    return 1;
  }
}

}  // namespace d2d::bench
