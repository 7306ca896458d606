# Embeds the migration .sql files into the binary: the schema travels with the code version
# that expects it, so `d2d migrate` needs no files next to the executable.
function(d2d_embed_migrations target dialect dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/migrations_${dialect}.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DDIALECT=${dialect} -DOUT=${out} -DDIR=${dir}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_sql_run.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/embed_sql_run.cmake"
    COMMENT "Embedding ${dialect} migrations")
  target_sources(${target} PRIVATE "${out}")
endfunction()
