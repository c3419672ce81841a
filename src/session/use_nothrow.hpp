// The completion token every coroutine in ferryd uses: results come back as a
// tuple (error_code first), so EOF, resets and cancellation are ordinary
// branches instead of exceptions (Asio's C++20 examples do the same).
#pragma once
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace ferry::session {

inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace ferry::session
