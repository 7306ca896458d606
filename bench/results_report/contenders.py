"""The contenders of bench/run.sh by name: their groups, and the row of ours each is compared with."""

ORDER = [
    "parse_limit", "parse_limit_portable", "decode", "d2d_sqlite", "d2d_sqlite_base", "sqlite_limit", "sqlite_limit_int",
    "d2d_pg", "d2d_pg_base", "copy", "row_by_row", "duckdb", "pandas",
]
OURS = {"decode", "d2d_sqlite", "d2d_pg"}
# The row of ours each contender is compared with (the ratio is its events/s over ours).
COMPARED_WITH = {
    "parse_limit": "decode",
    "parse_limit_portable": "decode",
    "d2d_sqlite_base": "d2d_sqlite",
    "d2d_pg_base": "d2d_pg",
    "sqlite_limit": "d2d_sqlite",
    "sqlite_limit_int": "d2d_sqlite",
    "copy": "d2d_pg",
    "row_by_row": "d2d_pg",
    "duckdb": "d2d_sqlite",
    "pandas": "d2d_sqlite",
}
# The incremental contenders (issue 19), smallest increment first, and their engines' one-shot rows.
INCREMENTS = ["1min", "last1", "last5", "last10", "last25"]
ENGINES = {"sqlite": "SQLite", "pg": "PostgreSQL"}
INCR = [f"incr_{i}_{e}" for e in ENGINES for i in INCREMENTS]
# Issue 18: the loaded date run again with --force, timed, checked as the incremental contenders are.
RELOADS = [f"reload_{e}" for e in ENGINES]
INCREMENT_TEXT = {
    "1min": "one new 1-minute object",
    "last1": "the last 1% of the objects",
    "last5": "the last 5%",
    "last10": "the last 10%",
    "last25": "the last 25%",
}
PG_CONTENDERS = {"d2d_pg", "d2d_pg_base", "copy", "row_by_row", "derive_sql"}
# d2d's whole loads, today's and the baseline commit's: their warehouses are measured for analysts.
LOADS = ["d2d_sqlite", "d2d_sqlite_base", "d2d_pg", "d2d_pg_base"]
BENCHMARK_CONTENDERS = {"parse_limit", "parse_limit_portable", "decode"}


def engine_of(name):
    return name.rsplit("_", 1)[1]
