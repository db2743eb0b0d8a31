# Embeds src/store/migrations/<dialect>/NNNN_name.sql into the lifeline_store library, so adding a
# migration is adding one file. Included from the top-level CMakeLists.txt after lifeline_module(store).
set(_store_mig_dir ${PROJECT_SOURCE_DIR}/src/store/migrations)
foreach(_dialect sqlite postgresql)
  file(GLOB _sql CONFIGURE_DEPENDS ${_store_mig_dir}/${_dialect}/*.sql)
  set(_out ${PROJECT_BINARY_DIR}/generated/store_migrations_${_dialect}.cc)
  add_custom_command(OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${_store_mig_dir}/${_dialect} -DDIALECT=${_dialect} -DOUT=${_out}
            -P ${_store_mig_dir}/embed_migrations.cmake
    DEPENDS ${_sql} ${_store_mig_dir}/embed_migrations.cmake
    COMMENT "Embedding ${_dialect} store migrations")
  target_sources(lifeline_store PRIVATE ${_out})
endforeach()
