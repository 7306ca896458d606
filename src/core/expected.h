// d2d::core::Expected — the project's per-record result type.
// It is std::expected where the standard library offers it (GCC 12 in C++23 mode); clang 14,
// which builds the fuzzer and runs clang-tidy, cannot compile libstdc++'s <expected>, so a
// minimal equivalent with the same spelling is used there.
#pragma once

#if __has_include(<expected>) && defined(__cpp_concepts) && __cpp_concepts >= 202002L
#include <expected>
namespace d2d::core {
template <class T, class E>
using Expected = std::expected<T, E>;
template <class E>
using Unexpected = std::unexpected<E>;
}  // namespace d2d::core
#else
#include <utility>
#include <variant>
namespace d2d::core {
template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : m_error(std::move(error)) {}
  E& error() & { return m_error; }
  E&& error() && { return std::move(m_error); }

 private:
  E m_error;
};

template <class T, class E>
class Expected {
 public:
  Expected(T value) : m_state(std::in_place_index<0>, std::move(value)) {}                      // NOLINT
  Expected(Unexpected<E> error) : m_state(std::in_place_index<1>, std::move(error).error()) {}  // NOLINT
  bool has_value() const { return m_state.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return std::get<0>(m_state); }
  const T& operator*() const { return std::get<0>(m_state); }
  T* operator->() { return &std::get<0>(m_state); }
  const T* operator->() const { return &std::get<0>(m_state); }
  T& value() { return std::get<0>(m_state); }
  E& error() { return std::get<1>(m_state); }
  const E& error() const { return std::get<1>(m_state); }

 private:
  std::variant<T, E> m_state;
};
}  // namespace d2d::core
#endif
