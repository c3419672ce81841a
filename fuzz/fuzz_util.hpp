// Helpers shared by the fuzz targets. FUZZ_CHECK is a target's oracle: a
// failed check names itself on stderr and aborts, which libFuzzer (and the
// ctest replay) report as a crash. scratch_dir() is a fresh directory for
// targets that need files, on tmpfs when there is one (fast, no disk I/O).
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace ferry::fuzz {

/// mkdtemp under $TMPDIR, else /dev/shm, else /tmp; aborts on failure.
inline std::string scratch_dir(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp && *tmp ? tmp : (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  std::string tmpl = base + "/" + name + ".XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

}  // namespace ferry::fuzz
