// Entry point of the berth addon: registers one function per syscall entry.
#include "common.h"

namespace berth {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ProcessUmask();
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("mountIn", Napi::Function::New(env, MountIn, "mountIn"));
  exports.Set("umount", Napi::Function::New(env, Umount, "umount"));
  exports.Set("fsMount", Napi::Function::New(env, FsMount, "fsMount"));
  exports.Set("mknod", Napi::Function::New(env, Mknod, "mknod"));
  exports.Set("setxattr", Napi::Function::New(env, SetXattr, "setxattr"));
  exports.Set("getxattr", Napi::Function::New(env, GetXattr, "getxattr"));
  exports.Set("statfs", Napi::Function::New(env, Statfs, "statfs"));
  exports.Set("fsync", Napi::Function::New(env, Fsync, "fsync"));
  exports.Set("batch", Napi::Function::New(env, Batch, "batch"));
  exports.Set("openInRoot", Napi::Function::New(env, OpenInRoot, "openInRoot"));
  exports.Set("copyTree", Napi::Function::New(env, CopyTree, "copyTree"));
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  return exports;
}

}  // namespace berth

static Napi::Object InitBerth(Napi::Env env, Napi::Object exports) { return berth::Init(env, exports); }

NODE_API_MODULE(berth_native, InitBerth)
