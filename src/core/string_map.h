// Hash maps keyed by std::string that can be searched with a std::string_view, so looking up
// an id from a decoded event (a view into a chunk) builds no temporary string: no allocation
// per event on the hot path (issue 5).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace d2d::core {

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringViewHash, std::equal_to<>>;

// The entry for `key`, default-constructed first when absent; the key is copied only then.
template <typename Value>
std::pair<typename StringMap<Value>::iterator, bool> find_or_emplace(StringMap<Value>& map,
                                                                     std::string_view key) {
  if (auto found = map.find(key); found != map.end()) return {found, false};
  return map.try_emplace(std::string(key));
}

}  // namespace d2d::core
