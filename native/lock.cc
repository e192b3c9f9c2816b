// flock(2) on a lock file: one engine per root. The lock belongs to the open
// file description, so it is released when the fd closes or the process dies.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common.h"

namespace berth {

// lockFile(path) -> Promise<fd>: creates the file if needed (0600) and takes
// an exclusive lock without waiting; EWOULDBLOCK when another holder has it.
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto fdOut = std::make_shared<int>(-1);
  return RunAsync(
      info.Env(),
      [=] {
        Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) ThrowErrno("open", path);
        if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) ThrowErrno("flock", path);
        *fdOut = fd.release();
      },
      [fdOut](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *fdOut); });
}

}  // namespace berth
