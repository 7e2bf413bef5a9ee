// An immutable value swapped whole while other threads read it: the rules in
// force, the stores. Readers keep their own reference and compare an atomic
// version number per request, so the hot path takes no lock and touches no
// shared reference count unless something was published since.
//
// T must have a `uint64_t version` member; Publish sets it.
#ifndef HOURGLASS_ALLOC_PUBLISHED_H_
#define HOURGLASS_ALLOC_PUBLISHED_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace hourglass::alloc {

template <typename T>
class Published {
 public:
  explicit Published(std::shared_ptr<T> first) : current_(std::move(first)) {
    version_.store(current_->version, std::memory_order_release);
  }

  // Publishes `next` with the next version number; returns that number.
  uint64_t Publish(std::shared_ptr<T> next) {
    std::lock_guard lock(mu_);
    next->version = current_->version + 1;
    current_ = std::move(next);
    version_.store(current_->version, std::memory_order_release);
    return current_->version;
  }

  // Refreshes `cached` if something was published since it was taken.
  const T& Get(std::shared_ptr<const T>& cached) const {
    if (!cached || cached->version != version_.load(std::memory_order_acquire)) {
      std::lock_guard lock(mu_);
      cached = current_;
    }
    return *cached;
  }

  std::shared_ptr<const T> Current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> current_;  // guarded by mu_
  std::atomic<uint64_t> version_{0};
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_PUBLISHED_H_
