#include "core/version.h"

namespace d2d::core {
const char* code_version() { return "0.1.0+bf5d8e4"; }
}  // namespace d2d::core
