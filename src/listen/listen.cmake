# Embeds VADER's lexicon and its licence (data/vader/) into lifeline_listen, so the installed binary
# needs no data files. Included from the top-level CMakeLists.txt after lifeline_module(listen).
set(_listen_vader_dir ${PROJECT_SOURCE_DIR}/data/vader)
set(_listen_vader_cc ${PROJECT_BINARY_DIR}/generated/listen_vader_lexicon.cc)
add_custom_command(OUTPUT ${_listen_vader_cc}
  COMMAND ${CMAKE_COMMAND} -DLEXICON=${_listen_vader_dir}/vader_lexicon.txt
          -DLICENSE=${_listen_vader_dir}/LICENSE -DOUT=${_listen_vader_cc}
          -P ${PROJECT_SOURCE_DIR}/src/listen/embed_vader.cmake
  DEPENDS ${_listen_vader_dir}/vader_lexicon.txt ${_listen_vader_dir}/LICENSE
          ${PROJECT_SOURCE_DIR}/src/listen/embed_vader.cmake
  COMMENT "Embedding VADER's lexicon")
target_sources(lifeline_listen PRIVATE ${_listen_vader_cc})
