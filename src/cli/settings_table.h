// The settings table (SPEC §6): every setting's key, flag, variable, type, range and help, in
// one list that the parser, `d2d config`, completion and the README table all read. Internal to
// cli/: the rest of the program sees Settings and SettingInfo (cli/settings.h).
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "cli/settings.h"

namespace d2d::cli {

using Member = std::variant<std::string Settings::*, bool Settings::*, int Settings::*, unsigned Settings::*,
                            long Settings::*, std::uint64_t Settings::*, double Settings::*>;

struct Row {
  SettingInfo info;
  Member member;
};

// Every setting, in the order help and the README show them.
const std::vector<Row>& rows();
// The row of `key`; a key not in the table is a programming error (std::logic_error).
const Row& find_row(std::string_view key);

}  // namespace d2d::cli
