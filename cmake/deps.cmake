# Every dependency is a Debian 12 package found the standard way (README, "Dependencies").
find_package(OpenSSL 3.0 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)

# Debian's Asio ships neither a CMake config nor a .pc file.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(asio INTERFACE IMPORTED)
target_include_directories(asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
# ASIO_HAS_STD_ALIGNED_ALLOC: Asio 1.22 decides it from _GLIBCXX_HAVE_ALIGNED_ALLOC,
# which is defined only once a libstdc++ header came first, so TUs that include
# Asio first got operator new and the others free() for the same memory (an
# ODR violation ASan reports as alloc-dealloc-mismatch). Fixed for every TU.
target_compile_definitions(asio INTERFACE
  ASIO_STANDALONE ASIO_NO_DEPRECATED ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1
  ASIO_HAS_STD_ALIGNED_ALLOC=1)
target_link_libraries(asio INTERFACE Threads::Threads)
