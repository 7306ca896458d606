// Small files that hold a secret (the token of `d2d serve`, a web identity token, a container
// credentials token): read whole up to a cap, trimmed, with failures that name the file and never
// quote its content. Read again by each caller when the file may rotate.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace d2d::core {

// `text` without the spaces, tabs and line ends around it.
std::string_view trim_space(std::string_view text);

// The file's text, trimmed (`echo token > file` and secret stores leave a final newline). `name`
// says which file in the failures, e.g. "--auth-token-file /run/token": "cannot read NAME: REASON"
// or "NAME is longer than MAX bytes" (the content is never read beyond max_bytes + 1).
Expected<std::string, std::string> read_secret_file(const std::string& path, std::string_view name,
                                                    std::size_t max_bytes);

}  // namespace d2d::core
