// mount(2), umount2(2), and the new mount API: fsopen(2), fsconfig(2),
// fsmount(2), move_mount(2).
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "common.h"

namespace berth {

Napi::Value Mount(const Napi::CallbackInfo& info) {
  std::string source = ArgString(info, 0, "source");
  std::string target = ArgString(info, 1, "target");
  std::string fstype = ArgString(info, 2, "fstype");
  unsigned long flags = static_cast<unsigned long>(ArgInt(info, 3, "flags"));
  std::string data = ArgString(info, 4, "data");
  return RunAsync(info.Env(), [=] {
    if (mount(source.c_str(), target.c_str(), fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
      ThrowErrno("mount", target);
    }
  });
}

// mountIn(cwd, source, target, fstype, flags, data): mount(2) run with `cwd`
// as the working directory, so relative paths in the data keep it short. A
// vfork child does the chdir: the working directory of the JS process, shared
// by every thread, is never touched.
Napi::Value MountIn(const Napi::CallbackInfo& info) {
  std::string cwd = ArgString(info, 0, "cwd");
  std::string source = ArgString(info, 1, "source");
  std::string target = ArgString(info, 2, "target");
  std::string fstype = ArgString(info, 3, "fstype");
  unsigned long flags = static_cast<unsigned long>(ArgInt(info, 4, "flags"));
  std::string data = ArgString(info, 5, "data");
  return RunAsync(info.Env(), [=] {
    const char* dataPtr = data.empty() ? nullptr : data.c_str();
    pid_t pid = vfork();
    if (pid < 0) ThrowErrno("vfork", cwd);
    if (pid == 0) {
      // Only raw syscalls between vfork and _exit; errno travels as the exit status.
      if (chdir(cwd.c_str()) != 0) _exit(errno);
      if (mount(source.c_str(), target.c_str(), fstype.c_str(), flags, dataPtr) != 0) _exit(errno);
      _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) ThrowErrno("waitpid", cwd);
    }
    if (!WIFEXITED(status)) throw SysError(EIO, "mount", target);
    if (WEXITSTATUS(status) != 0) throw SysError(WEXITSTATUS(status), "mount", cwd + "/" + target);
  });
}

Napi::Value Umount(const Napi::CallbackInfo& info) {
  std::string target = ArgString(info, 0, "target");
  int flags = static_cast<int>(ArgInt(info, 1, "flags"));
  return RunAsync(info.Env(), [=] {
    if (umount2(target.c_str(), flags) != 0) ThrowErrno("umount2", target);
  });
}

#ifdef FSOPEN_CLOEXEC
namespace {

// The kernel explains a refused fsconfig in the context's log; reading it
// turns a bare EINVAL into something a person can act on.
std::string ReadFsLog(int fsfd) {
  std::string log;
  char buf[512];
  for (int i = 0; i < 16; i++) {
    ssize_t n = read(fsfd, buf, sizeof(buf));
    if (n <= 0) break;
    if (!log.empty()) log += "; ";
    log.append(buf, static_cast<size_t>(n));
  }
  return log;
}

[[noreturn]] void ThrowFs(int fsfd, const char* syscall, const std::string& path) {
  SysError e(errno, syscall, path);
  e.detail = ReadFsLog(fsfd);
  throw e;
}

}  // namespace
#endif

// fsMount(fstype, source, options, target, attrFlags): builds a superblock
// from key/value options (a null value sets a flag). With a target the mount
// is attached there and undefined is returned; without one the detached mount
// fd is returned, and closing it releases the mount.
Napi::Value FsMount(const Napi::CallbackInfo& info) {
  std::string fstype = ArgString(info, 0, "fstype");
  std::string source = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  if (!info[2].IsArray()) throw Napi::TypeError::New(info.Env(), "expected an array of options");
  Napi::Array arr = info[2].As<Napi::Array>();
  std::vector<std::pair<std::string, std::pair<bool, std::string>>> options;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsArray()) throw Napi::TypeError::New(info.Env(), "expected [key, value] pairs");
    Napi::Array pair = item.As<Napi::Array>();
    Napi::Value key = pair.Get(0u);
    Napi::Value value = pair.Get(1u);
    if (!key.IsString()) throw Napi::TypeError::New(info.Env(), "option key must be a string");
    bool isFlag = value.IsNull() || value.IsUndefined();
    options.push_back({key.As<Napi::String>().Utf8Value(),
                       {isFlag, isFlag ? "" : value.ToString().Utf8Value()}});
  }
  std::string target = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  unsigned int attrs = info[4].IsNumber() ? info[4].As<Napi::Number>().Uint32Value() : 0;
  auto mountFd = std::make_shared<int>(-1);
  return RunAsync(
      info.Env(),
      [=] {
#ifdef FSOPEN_CLOEXEC
        Fd fsfd(fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
        if (!fsfd.valid()) ThrowErrno("fsopen", fstype);
        if (!source.empty() &&
            fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) != 0) {
          ThrowFs(fsfd.get(), "fsconfig", "source=" + source);
        }
        for (const auto& [key, value] : options) {
          int rc = value.first
                       ? fsconfig(fsfd.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                       : fsconfig(fsfd.get(), FSCONFIG_SET_STRING, key.c_str(), value.second.c_str(), 0);
          if (rc != 0) ThrowFs(fsfd.get(), "fsconfig", value.first ? key : key + "=" + value.second);
        }
        if (fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
          ThrowFs(fsfd.get(), "fsconfig", target);
        }
        Fd mfd(fsmount(fsfd.get(), FSMOUNT_CLOEXEC, attrs));
        if (!mfd.valid()) ThrowFs(fsfd.get(), "fsmount", target);
        if (target.empty()) {
          *mountFd = mfd.release();
          return;
        }
        if (move_mount(mfd.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
          ThrowErrno("move_mount", target);
        }
#else
        throw SysError(ENOSYS, "fsopen", fstype);
#endif
      },
      [mountFd](Napi::Env env) -> Napi::Value {
        if (*mountFd < 0) return env.Undefined();
        return Napi::Number::New(env, *mountFd);
      });
}

}  // namespace berth
