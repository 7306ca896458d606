// The code version recorded in every etl_run row and printed by `d2d --version`.
#pragma once

namespace d2d::core {
const char* code_version();
}  // namespace d2d::core
