// Shared plumbing of the berth addon: syscall errors carried off the worker
// thread, a promise-settling worker, and argument helpers. No policy here.
#ifndef BERTH_NATIVE_COMMON_H_
#define BERTH_NATIVE_COMMON_H_

#include <napi.h>
#include <sys/types.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace berth {

// A failed syscall. JS turns it into an fs-style Error (code, errno, syscall, path).
struct SysError : std::exception {
  int err = 0;
  std::string syscall;
  std::string path;
  std::string dest;
  std::string detail;  // extra text from the kernel (fsconfig log) or the op index
  SysError() = default;
  SysError(int e, std::string sc, std::string p = "", std::string d = "")
      : err(e), syscall(std::move(sc)), path(std::move(p)), dest(std::move(d)) {}
  const char* what() const noexcept override { return syscall.c_str(); }
};

[[noreturn]] void ThrowErrno(const char* syscall, const std::string& path = "",
                             const std::string& dest = "");

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The work runs on the libuv pool and must not touch N-API; the result
// builder runs back on the JS thread.
using Work = std::function<void()>;
using ResultBuilder = std::function<Napi::Value(Napi::Env)>;
Napi::Promise RunAsync(Napi::Env env, Work work, ResultBuilder result = nullptr);

// The process umask, read once at load, so created entries get exact modes.
mode_t ProcessUmask();

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name);
std::string PropString(const Napi::Object& obj, const char* key, const std::string& fallback = "");
int64_t PropInt(const Napi::Object& obj, const char* key, int64_t fallback);
bool PropBool(const Napi::Object& obj, const char* key, bool fallback);
std::string PropBytes(const Napi::Object& obj, const char* key);

Napi::Value Mount(const Napi::CallbackInfo& info);
Napi::Value MountIn(const Napi::CallbackInfo& info);
Napi::Value Umount(const Napi::CallbackInfo& info);
Napi::Value FsMount(const Napi::CallbackInfo& info);
Napi::Value Mknod(const Napi::CallbackInfo& info);
Napi::Value SetXattr(const Napi::CallbackInfo& info);
Napi::Value GetXattr(const Napi::CallbackInfo& info);
Napi::Value Statfs(const Napi::CallbackInfo& info);
Napi::Value Fsync(const Napi::CallbackInfo& info);
Napi::Value Batch(const Napi::CallbackInfo& info);
Napi::Value OpenInRoot(const Napi::CallbackInfo& info);
Napi::Value CopyTree(const Napi::CallbackInfo& info);
Napi::Value LockFile(const Napi::CallbackInfo& info);

}  // namespace berth

#endif  // BERTH_NATIVE_COMMON_H_
