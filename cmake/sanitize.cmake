# Sanitizer and fuzzer instrumentation of the whole build (issue 11). One
# build directory per instrumentation, because ASan and TSan cannot share one:
#   -DFERRY_SANITIZE=address,undefined   build-asan (`make test-asan`)
#   -DFERRY_SANITIZE=thread              build-tsan (`make test-tsan`)
#   -DFERRY_FUZZ=ON                      build-fuzz (`make fuzz`, clang only):
#       every library is compiled with libFuzzer's coverage hooks and
#       ASan+UBSan, so the parsers themselves (not just the fuzz harness)
#       guide the fuzzer and are checked; only fuzz/*_fuzz link libFuzzer.
# Findings are fatal: UBSan does not recover, so a report fails the test.
set(FERRY_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list (e.g. address,undefined or thread)")

if(FERRY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FERRY_FUZZ needs clang (libFuzzer): CC=clang CXX=clang++ cmake ...")
  endif()
  if(FERRY_SANITIZE STREQUAL "")
    set(FERRY_SANITIZE address,undefined)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NOT FERRY_SANITIZE STREQUAL "")
  if(FERRY_SANITIZE MATCHES "thread" AND FERRY_SANITIZE MATCHES "address")
    message(FATAL_ERROR "FERRY_SANITIZE: ThreadSanitizer and AddressSanitizer cannot share a build")
  endif()
  # -O1: the usual sanitizer trade-off (readable stacks, quick builds, still
  # fast enough for the end-to-end suite). _GLIBCXX_ASSERTIONS adds libstdc++'s
  # bounds checks (operator[], front(), ...) that ASan cannot see inside a
  # container's capacity.
  add_compile_options(-fsanitize=${FERRY_SANITIZE} -fno-sanitize-recover=all
    -fno-omit-frame-pointer -O1 -D_GLIBCXX_ASSERTIONS)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Reports need file:line, not variables: ~20% less compile time and
    # half the object size of full -g.
    add_compile_options(-gline-tables-only)
  endif()
  add_link_options(-fsanitize=${FERRY_SANITIZE})
  if(FERRY_SANITIZE MATCHES "undefined" AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Clang 14's -fsanitize=function (part of "undefined") cannot emit its
    # prologue data for the split coroutine functions Asio's awaitables become
    # ("Cannot represent a difference across sections"); the other UBSan
    # checks stay on.
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
