// Pieces of the native session's transfer ops shared by native_session.cpp
// and native_transfer.cpp.
#pragma once
#include <chrono>
#include <memory>
#include <string_view>

#include "proto/errc.hpp"
#include "server/native_session.hpp"
#include "transfer/upload.hpp"

namespace ferry::server {

/// An upload opened by `put` and fed by `data` frames until `commit`.
struct native_session::open_upload {
  std::unique_ptr<transfer::upload> up;
  std::chrono::steady_clock::time_point started;
  errc failure = errc::ok;  ///< first error while data arrived; reported at commit
};

/// True for get, put, data, commit, hash.
bool is_transfer_op(std::string_view op);

}  // namespace ferry::server
