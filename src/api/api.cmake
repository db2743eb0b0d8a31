# Builds docs/openapi.json into lifeline_api (served at /openapi.json). Included from the
# top-level CMakeLists.txt after lifeline_module(api).
set(_api_openapi_json ${PROJECT_SOURCE_DIR}/docs/openapi.json)
set(_api_openapi_cc ${PROJECT_BINARY_DIR}/generated/api_openapi.cc)
add_custom_command(OUTPUT ${_api_openapi_cc}
  COMMAND ${CMAKE_COMMAND} -DIN=${_api_openapi_json} -DOUT=${_api_openapi_cc}
          -DNAMESPACE=lifeline::api -DNAME=OpenApiDocument
          -P ${PROJECT_SOURCE_DIR}/src/api/embed_text.cmake
  DEPENDS ${_api_openapi_json} ${PROJECT_SOURCE_DIR}/src/api/embed_text.cmake
  COMMENT "Embedding docs/openapi.json")
target_sources(lifeline_api PRIVATE ${_api_openapi_cc})
