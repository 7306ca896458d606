// How operator-given names and placeholders reach PostgreSQL's SQL text (SPEC §7). The schema is
// a plain identifier, checked before any connection and always spliced in quoted; migrations name
// it through a placeholder that is replaced in their code only, never inside a comment or a string
// literal, so no name can turn a comment's text into a statement.
#pragma once

#include <string>
#include <string_view>

namespace d2d::warehouse {

// [A-Za-z_][A-Za-z0-9_]{0,62}: what PostgreSQL takes unquoted (63 bytes at most), any case.
bool is_plain_identifier(std::string_view name);

// Throws core::Error(Usage) naming --pg-schema when `name` is not a plain identifier.
void check_pg_schema(std::string_view name);

// `sql` with each `placeholder` outside comments (-- and /* */), string literals ('...',
// E'...') and quoted identifiers replaced by `value`. Dollar-quoted bodies ($$ ... $$) are code
// here: migrations' DO blocks name the schema inside them.
std::string replace_in_sql_code(std::string_view sql, std::string_view placeholder, std::string_view value);

}  // namespace d2d::warehouse
