#include "core/version.h"

namespace d2d::core {
const char* code_version() { return "0.1.0+5d9fa3e"; }
}  // namespace d2d::core
