// Outcome bookkeeping and messages of a transfer command.
#include "client/transfer_context.hpp"

#include "client/command_support.hpp"
#include "client/listing_format.hpp"
#include "proto/units.hpp"

namespace ferry::client {

bool transfer_context::fail(std::string_view what, const failure& f) {
  meter_.clear();
  const cmd_status s = detail::report(ctx_, what, f);
  if (s == cmd_status::fatal || status_ == cmd_status::ok) status_ = s;
  return s != cmd_status::fatal;
}

void transfer_context::note(std::string_view text) {
  meter_.clear();
  ctx_.out.flush();
  ctx_.err << "ferry: " << printable(text) << '\n';
}

std::string resume_text(std::uint64_t offset, std::uint64_t size) {
  return "resuming at " + std::to_string(offset) + " of " + std::to_string(size) + " bytes (" +
         format_size(offset) + " of " + format_size(size) + ")";
}

}  // namespace ferry::client
