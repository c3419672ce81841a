// One job at a time on a thread of its own, so a transfer's disk work (write
// and hash the chunk just received; read and hash the next chunk to send)
// overlaps its network work, as ferryd's write_behind does for uploads.
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ferry::client {

class background_step {
 public:
  background_step();
  /// Waits for the job in hand, then ends the thread.
  ~background_step();
  background_step(const background_step&) = delete;
  background_step& operator=(const background_step&) = delete;

  /// Hands `job` to the thread; waits first for the one before. What the job
  /// touches belongs to it until wait() returns.
  void start(std::function<void()> job);
  /// Waits until the job in hand (if any) is done; what it wrote is then
  /// visible to the caller.
  void wait();

 private:
  void loop();

  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  ///< last: started once the members above exist
};

}  // namespace ferry::client
