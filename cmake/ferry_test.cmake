# One helper registers unit tests: each *_test.cpp becomes its own ctest-visible
# gtest binary, with every TEST discovered as its own ctest case.
include(GoogleTest)

# Sets `out` to the library a test or fuzz target named `name` exercises: the
# first of `rules` ("REGEX=LIBRARY") whose regex matches the name; "" if none.
function(ferry_layer_for out name)
  foreach(rule ${ARGN})
    string(REGEX REPLACE "=.*$" "" pattern "${rule}")
    string(REGEX REPLACE "^.*=" "" layer "${rule}")
    if(name MATCHES "${pattern}")
      set(${out} ${layer} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()
function(ferry_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  # Labelled with the binary's name: `ctest -L` selects by file (the TSan
  # run picks the concurrency tests this way).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120 LABELS ${name})
endfunction()
