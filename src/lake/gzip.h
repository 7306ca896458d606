// Transparent gunzip of whole objects (SPEC §2: keys ending in .gz).
#pragma once

#include <string>
#include <string_view>

namespace d2d::lake {

// Decompresses every gzip member of `compressed`. Throws core::Error(Input) naming `what`
// when the data is corrupt or truncated: a broken object fails the run instead of loading half.
std::string gunzip(std::string_view compressed, std::string_view what);

}  // namespace d2d::lake
