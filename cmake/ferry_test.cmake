# One helper registers unit tests: each *_test.cpp becomes its own ctest-visible
# gtest binary, with every TEST discovered as its own ctest case.
include(GoogleTest)
function(ferry_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  # Labelled with the binary's name: `ctest -L` selects by file (the TSan
  # run picks the concurrency tests this way).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120 LABELS ${name})
endfunction()
