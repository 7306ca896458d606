// A stdio FILE owned like any other resource: closed when its owner goes (temporary files made
// by std::tmpfile are unlinked already, so closing them frees their space).
#pragma once

#include <cstdio>
#include <memory>

namespace d2d::core {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace d2d::core
