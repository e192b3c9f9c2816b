// Single-path inode syscalls: mknod(2), lsetxattr(2)/lgetxattr(2), statfs(2),
// fsync(2) of a file or directory by path.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "common.h"

namespace berth {

Napi::Value Mknod(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  mode_t mode = static_cast<mode_t>(ArgInt(info, 1, "mode"));
  dev_t dev = makedev(static_cast<unsigned>(ArgInt(info, 2, "major")),
                      static_cast<unsigned>(ArgInt(info, 3, "minor")));
  return RunAsync(info.Env(), [=] {
    if (mknod(path.c_str(), mode, dev) != 0) ThrowErrno("mknod", path);
  });
}

Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  std::string name = ArgString(info, 1, "name");
  if (!info[2].IsBuffer()) throw Napi::TypeError::New(info.Env(), "expected a Buffer value");
  auto buf = info[2].As<Napi::Buffer<char>>();
  std::string value(buf.Data(), buf.Length());
  int flags = static_cast<int>(ArgInt(info, 3, "flags"));
  return RunAsync(info.Env(), [=] {
    if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), flags) != 0) {
      ThrowErrno("lsetxattr", path);
    }
  });
}

Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  std::string name = ArgString(info, 1, "name");
  auto value = std::make_shared<std::vector<char>>();
  return RunAsync(
      info.Env(),
      [=] {
        for (;;) {
          ssize_t size = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
          if (size < 0) ThrowErrno("lgetxattr", path);
          value->resize(static_cast<size_t>(size));
          ssize_t got = lgetxattr(path.c_str(), name.c_str(), value->data(), value->size());
          if (got >= 0) {
            value->resize(static_cast<size_t>(got));
            return;
          }
          if (errno != ERANGE) ThrowErrno("lgetxattr", path);  // ERANGE: it grew, ask again
        }
      },
      [value](Napi::Env env) -> Napi::Value {
        return Napi::Buffer<char>::Copy(env, value->data(), value->size());
      });
}

Napi::Value Statfs(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto st = std::make_shared<struct statfs>();
  return RunAsync(
      info.Env(),
      [=] {
        if (statfs(path.c_str(), st.get()) != 0) ThrowErrno("statfs", path);
      },
      [st](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("type", Napi::Number::New(env, static_cast<double>(static_cast<uint64_t>(st->f_type))));
        out.Set("bsize", Napi::Number::New(env, static_cast<double>(st->f_bsize)));
        out.Set("blocks", Napi::Number::New(env, static_cast<double>(st->f_blocks)));
        out.Set("bfree", Napi::Number::New(env, static_cast<double>(st->f_bfree)));
        out.Set("bavail", Napi::Number::New(env, static_cast<double>(st->f_bavail)));
        out.Set("files", Napi::Number::New(env, static_cast<double>(st->f_files)));
        out.Set("ffree", Napi::Number::New(env, static_cast<double>(st->f_ffree)));
        out.Set("namelen", Napi::Number::New(env, static_cast<double>(st->f_namelen)));
        return out;
      });
}

Napi::Value Fsync(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  return RunAsync(info.Env(), [=] {
    // O_RDONLY works for directories and files alike; fsync needs no write access.
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) ThrowErrno("open", path);
    if (fsync(fd.get()) != 0) ThrowErrno("fsync", path);
  });
}

}  // namespace berth
