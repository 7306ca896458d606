#include "core/version.h"

namespace d2d::core {
const char* code_version() { return "0.1.0+be3326d"; }
}  // namespace d2d::core
