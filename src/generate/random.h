// The simulator's own random numbers: xoshiro256** seeded through splitmix64, with uniform and
// normal helpers built from arithmetic only, so the same seed gives the same bytes with any
// standard library (std:: distributions are implementation-defined) and any libm.
#pragma once

#include <cstdint>

namespace d2d::generate::detail {

// A stateless 64-bit mixer (splitmix64's finaliser): hashes (seed, day, window) style keys
// into independent values without consuming any stream.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline std::uint64_t mix64(std::uint64_t a, std::uint64_t b) { return mix64(a ^ mix64(b)); }

class Rng {
 public:
  // `stream` separates independent sequences drawn from one seed (world, writer, bad lines),
  // so switching bad lines on does not change the valid events.
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t state = mix64(seed, stream);
    for (auto& word : m_state) {
      state += 0x9E3779B97F4A7C15ULL;
      word = mix64(state);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
    const std::uint64_t t = m_state[1] << 17;
    m_state[2] ^= m_state[0];
    m_state[3] ^= m_state[1];
    m_state[1] ^= m_state[2];
    m_state[0] ^= m_state[3];
    m_state[2] ^= t;
    m_state[3] = rotl(m_state[3], 45);
    return result;
  }

  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // [lo, hi] inclusive; the modulo bias is below 2^-40 for the small ranges used here.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }
  bool chance(double probability) { return uniform() < probability; }
  // Standard normal approximated by the Irwin-Hall sum of four uniforms: bounded to +-3.46
  // (no wild GPS outliers) and free of log/cos, whose last bits may differ between libms.
  double normal() {
    const double sum = uniform() + uniform() + uniform() + uniform();
    return (sum - 2.0) * 1.7320508075688772;  // sqrt(3): the sum's variance is 4/12
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t m_state[4];
};

}  // namespace d2d::generate::detail
