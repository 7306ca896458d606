#include "warehouse/sqlite/writer_gate.h"

#include <filesystem>
#include <map>

namespace d2d::warehouse::sqlite {

std::shared_ptr<std::mutex> writer_gate(const std::string& path) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<std::mutex>> registry;
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) key = std::filesystem::absolute(path, ec).lexically_normal().string();
  const std::lock_guard lock(registry_mutex);
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<std::mutex>& slot = registry[key];
  std::shared_ptr<std::mutex> gate = slot.lock();
  if (!gate) {
    gate = std::make_shared<std::mutex>();
    slot = gate;
  }
  return gate;
}

}  // namespace d2d::warehouse::sqlite
