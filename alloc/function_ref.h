// A non-owning reference to a callable: what std::function would be for a
// callback that runs before the call returns, without its possible heap
// allocation. The referenced callable must outlive the call.
#ifndef HOURGLASS_ALLOC_FUNCTION_REF_H_
#define HOURGLASS_ALLOC_FUNCTION_REF_H_

#include <type_traits>
#include <utility>

namespace hourglass::alloc {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  FunctionRef() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like a std::function
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}

  explicit operator bool() const { return call_ != nullptr; }
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_ = nullptr;
  R (*call_)(void*, Args...) = nullptr;
};

}  // namespace hourglass::alloc

#endif  // HOURGLASS_ALLOC_FUNCTION_REF_H_
