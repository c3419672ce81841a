// An upload opened by a native `put` and fed by `data` frames until `commit`
// (shared by native_session.cpp and transfer_ops.cpp).
#pragma once
#include <chrono>
#include <memory>

#include "native/native_session.hpp"
#include "proto/errc.hpp"
#include "session/upload_slots.hpp"
#include "transfer/upload.hpp"

namespace ferry::native {

struct native_session::open_upload {
  session::upload_slot slot;  ///< counted against the user's and the server's caps
  std::unique_ptr<transfer::upload> up;
  std::chrono::steady_clock::time_point started;
  errc failure = errc::ok;  ///< first error while data arrived; reported at commit
};

}  // namespace ferry::native
