#include "core/version.h"

namespace d2d::core {
const char* code_version() { return "0.1.0+3ba5382"; }
}  // namespace d2d::core
