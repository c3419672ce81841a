// What the transfer engines (downloader, uploader) share with the command
// that drives them: where to print, the options, the progress meter, and the
// worst outcome so far. Errors and notices clear the progress bar first so
// they always sit on a line of their own.
#pragma once
#include <string>
#include <string_view>

#include "client/commands.hpp"
#include "client/progress_meter.hpp"
#include "client/result.hpp"
#include "client/transfer_args.hpp"

namespace ferry::client {

class transfer_context {
 public:
  transfer_context(command_context& ctx, const transfer_args& args)
      : ctx_(ctx), args_(args), meter_(ctx.err, args.progress) {}

  const transfer_args& args() const noexcept { return args_; }
  progress_meter& meter() noexcept { return meter_; }

  /// Prints "ferry: WHAT: TEXT" (fatal: "ferry: TEXT") and records the
  /// outcome. Returns false when the failure was fatal.
  bool fail(std::string_view what, const failure& f);
  /// Prints "ferry: TEXT" without changing the outcome (skipped entries, resume).
  void note(std::string_view text);

  /// ok, failed if anything failed, fatal once the connection is gone.
  cmd_status status() const noexcept { return status_; }

 private:
  command_context& ctx_;
  const transfer_args& args_;
  progress_meter meter_;
  cmd_status status_ = cmd_status::ok;
};

/// "resuming at 1048576 of 4194304 bytes (1.0 MiB of 4.0 MiB)".
std::string resume_text(std::uint64_t offset, std::uint64_t size);

}  // namespace ferry::client
