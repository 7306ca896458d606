// Key layouts of the source bucket (SPEC §2). The lake date of an object is the YYYY-MM-DD
// at the start of its file name, whatever folders it sits in; both layouts need no configuration.
//   nested: 2019/06/01/15/17/2019-06-01-15-17-4-events.txt
//   flat:   data/2019-06-01-15-17-4-events.json
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace d2d::lake {

// The lake date ("YYYY-MM-DD") of a key, or nothing when the file name does not start with a
// valid date followed by '-' (such objects are not events and are ignored).
std::optional<std::string> lake_date_of_key(std::string_view key);

// True when the key ends in ".gz": the object is gzip-compressed.
bool is_gzip_key(std::string_view key);

// Marks the temporary files a local lake writes (RootedFolder): listings of the lake skip them and
// a later run removes them, so no object key may carry it.
inline constexpr std::string_view kTemporaryMark = ".tmp-d2d-";

// Why `key` must never become a path below the lake root (SPEC §7), or nothing when it may:
// an empty key or segment, a `.` or `..` segment, a leading '/', a backslash, NUL or another
// control character, or the temporary-file mark. Object keys are untrusted: every key is checked here before
// it is used.
std::optional<std::string> unsafe_key_reason(std::string_view key);

}  // namespace d2d::lake
