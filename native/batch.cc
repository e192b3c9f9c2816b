// The batch executor: a list of file operations applied inside a root
// directory, every path resolved in that root. openat2(2) with RESOLVE_IN_ROOT
// makes ".." and absolute symlinks stop at the root; where openat2 is missing,
// an O_NOFOLLOW openat(2) walk refuses symlinked directories instead.
// Syscalls: openat2, openat, mkdirat, mknodat, symlinkat, renameat, unlinkat,
// fchownat, fchmodat, setxattr, write, fsync.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "common.h"

namespace berth {
namespace {

enum class OpKind { kMkdir, kFile, kSymlink, kMknod, kWrite, kChown, kChmod, kSetXattr, kRemove, kRename, kLink, kUtimes, kFsync };

struct Op {
  OpKind kind;
  std::string path;  // as given, for error reports
  std::vector<std::string> parts;
  mode_t mode = 0;
  int64_t uid = -1;
  int64_t gid = -1;
  std::string target;  // symlink target, or the new in-root path of a rename
  std::vector<std::string> targetParts;
  dev_t rdev = 0;
  std::string data;    // file content or xattr value
  std::string name;    // xattr name
  bool parents = false;
  bool skipExisting = false;
  struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};  // atime, mtime
};

enum Outcome : int { kDone = 0, kExisted = 1, kAbsent = 2 };

std::atomic<bool> g_openat2_missing{false};
std::atomic<uint64_t> g_temp_counter{0};

std::vector<std::string> SplitInRoot(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") throw SysError(EINVAL, "resolve", path);  // TS cleans paths; ".." here is a bug
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; i++) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

class Resolver {
 public:
  Resolver(int root, bool forceWalk) : root_(root), walk_(forceWalk || g_openat2_missing.load()) {}

  Fd Root() const {
    Fd fd(openat(root_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) ThrowErrno("openat", ".");
    return fd;
  }

  // Opens parts[0..count) as a directory; returns -errno instead of throwing.
  // `parent` is parts[0..count-1), already resolved, which the walk extends.
  int TryOpenDir(const Fd& parent, const std::vector<std::string>& parts, size_t count, Fd* out) {
    if (!walk_) {
      struct open_how how = {};
      how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      std::string rel = Join(parts, count);
      for (int attempt = 0; attempt < 64; attempt++) {
        long fd = syscall(SYS_openat2, root_, rel.c_str(), &how, sizeof(how));
        if (fd >= 0) {
          *out = Fd(static_cast<int>(fd));
          return 0;
        }
        if (errno == EAGAIN) continue;  // a concurrent rename raced the lookup
        if (errno == ENOSYS) {
          g_openat2_missing.store(true);
          walk_ = true;
          break;
        }
        return -errno;
      }
      if (!walk_) return -EAGAIN;
    }
    if (count == 0) {
      *out = Root();
      return 0;
    }
    int fd = openat(parent.get(), parts[count - 1].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    *out = Fd(fd);
    return 0;
  }

  // The directory holding the last part, made with its missing ancestors when
  // `create` (mode, then chown to uid/gid) or required to exist otherwise.
  Fd Parent(const Op& op, bool create) {
    size_t count = op.parts.size() - 1;
    return Dir(op.parts, count, create, 0755, op.uid, op.gid, nullptr);
  }

  Fd Dir(const std::vector<std::string>& wanted, size_t count, bool create, mode_t mode, int64_t uid,
         int64_t gid, bool* createdLast) {
    std::vector<std::string> parts(wanted.begin(), wanted.begin() + static_cast<long>(count));
    for (int hops = 0;; hops++) {
      if (hops > 40) throw SysError(ELOOP, "openat2", Join(parts, parts.size()));
      bool followed = false;
      Fd current = WalkDirs(&parts, create, mode, uid, gid, createdLast, &followed);
      if (!followed) return current;
    }
  }

  // One pass over parts; when it meets a dangling symlink it rewrites parts to
  // go through the link's target and reports `followed` so the caller starts over.
  Fd WalkDirs(std::vector<std::string>* partsPtr, bool create, mode_t mode, int64_t uid, int64_t gid,
              bool* createdLast, bool* followed) {
    std::vector<std::string>& parts = *partsPtr;
    Fd current = Root();
    for (size_t i = 1; i <= parts.size(); i++) {
      Fd next;
      int rc = TryOpenDir(current, parts, i, &next);
      if (rc == -ENOENT && create) {
        const char* name = parts[i - 1].c_str();
        if (mkdirat(current.get(), name, mode) == 0) {
          FixOwnerAndMode(current.get(), name, mode, uid, gid, Join(parts, i));
          if (i == parts.size() && createdLast) *createdLast = true;
        } else if (errno == EEXIST && !walk_) {
          // A symlink whose target is missing: make the target, in the root,
          // as mkdir -p inside a chroot would.
          std::string target;
          if (ReadLinkAt(current.get(), name, &target)) {
            std::vector<std::string> next_parts;
            if (target.empty() || target[0] != '/') next_parts.assign(parts.begin(), parts.begin() + static_cast<long>(i) - 1);
            AppendClamped(&next_parts, target);
            next_parts.insert(next_parts.end(), parts.begin() + static_cast<long>(i), parts.end());
            parts = std::move(next_parts);
            *followed = true;
            return Fd();
          }
        } else if (errno != EEXIST) {
          ThrowErrno("mkdirat", Join(parts, i));
        }
        rc = TryOpenDir(current, parts, i, &next);
      }
      if (rc != 0) {
        errno = -rc;
        ThrowErrno(walk_ ? "openat" : "openat2", Join(parts, i));
      }
      current = std::move(next);
    }
    return current;
  }

  static bool ReadLinkAt(int dirfd, const char* name, std::string* target) {
    char buf[4096];
    ssize_t len = readlinkat(dirfd, name, buf, sizeof(buf));
    if (len < 0) return false;
    target->assign(buf, static_cast<size_t>(len));
    return true;
  }

  // Appends a symlink target's parts; ".." stops at the root, as it does
  // for RESOLVE_IN_ROOT.
  static void AppendClamped(std::vector<std::string>* parts, const std::string& target) {
    size_t i = 0;
    while (i <= target.size()) {
      size_t j = target.find('/', i);
      if (j == std::string::npos) j = target.size();
      std::string part = target.substr(i, j - i);
      if (part == "..") {
        if (!parts->empty()) parts->pop_back();
      } else if (!part.empty() && part != ".") {
        parts->push_back(part);
      }
      i = j + 1;
    }
  }

  static void FixOwnerAndMode(int dirfd, const char* name, mode_t mode, int64_t uid, int64_t gid,
                              const std::string& path) {
    if (uid >= 0 || gid >= 0) {
      if (fchownat(dirfd, name, static_cast<uid_t>(uid), static_cast<gid_t>(gid), AT_SYMLINK_NOFOLLOW) != 0) {
        ThrowErrno("fchownat", path);
      }
    }
    // chown clears set-id bits and the umask trims the rest: set the mode last.
    if ((mode & ProcessUmask()) != 0 || (mode & 07000) != 0) {
      if (fchmodat(dirfd, name, mode & 07777, 0) != 0) ThrowErrno("fchmodat", path);
    }
  }

 private:
  int root_;
  bool walk_;
};

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

void RemoveAllAt(int parentFd, const std::string& name, const std::string& path) {
  if (unlinkat(parentFd, name.c_str(), 0) == 0) return;
  if (errno != EISDIR && errno != EPERM) ThrowErrno("unlinkat", path);
  int fd = openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ThrowErrno("openat", path);
  DIR* dir = fdopendir(fd);
  if (!dir) {
    close(fd);
    ThrowErrno("fdopendir", path);
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string child = entry->d_name;
    if (child != "." && child != "..") names.push_back(child);
  }
  try {
    for (const auto& child : names) RemoveAllAt(fd, child, path + "/" + child);
  } catch (...) {
    closedir(dir);
    throw;
  }
  closedir(dir);
  if (unlinkat(parentFd, name.c_str(), AT_REMOVEDIR) != 0) ThrowErrno("unlinkat", path);
}

void WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write", path);
    }
    off += static_cast<size_t>(n);
  }
}

int Apply(Resolver& resolver, const Op& op) {
  if (op.parts.empty()) throw SysError(EINVAL, "resolve", op.path);  // the root itself is no target
  const char* name = op.parts.back().c_str();
  switch (op.kind) {
    case OpKind::kMkdir: {
      if (op.parents) {
        bool created = false;
        resolver.Dir(op.parts, op.parts.size(), true, op.mode, op.uid, op.gid, &created);
        return created ? kDone : kExisted;
      }
      Fd parent = resolver.Parent(op, false);
      if (mkdirat(parent.get(), name, op.mode) != 0) {
        if (errno == EEXIST && op.skipExisting) return kExisted;
        ThrowErrno("mkdirat", op.path);
      }
      Resolver::FixOwnerAndMode(parent.get(), name, op.mode, op.uid, op.gid, op.path);
      return kDone;
    }
    case OpKind::kFile: {
      Fd parent = resolver.Parent(op, op.parents);
      Fd fd(openat(parent.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, op.mode & 07777));
      if (!fd.valid()) {
        if (errno == EEXIST && op.skipExisting) return kExisted;
        ThrowErrno("openat", op.path);
      }
      WriteAll(fd.get(), op.data, op.path);
      Resolver::FixOwnerAndMode(parent.get(), name, op.mode, op.uid, op.gid, op.path);
      return kDone;
    }
    case OpKind::kSymlink: {
      Fd parent = resolver.Parent(op, op.parents);
      if (symlinkat(op.target.c_str(), parent.get(), name) != 0) {
        if (errno == EEXIST && op.skipExisting) return kExisted;
        ThrowErrno("symlinkat", op.path, op.target);
      }
      if ((op.uid >= 0 || op.gid >= 0) &&
          fchownat(parent.get(), name, static_cast<uid_t>(op.uid), static_cast<gid_t>(op.gid),
                   AT_SYMLINK_NOFOLLOW) != 0) {
        ThrowErrno("fchownat", op.path);
      }
      return kDone;
    }
    case OpKind::kMknod: {
      Fd parent = resolver.Parent(op, op.parents);
      if (mknodat(parent.get(), name, op.mode, op.rdev) != 0) {
        if (errno == EEXIST && op.skipExisting) return kExisted;
        ThrowErrno("mknodat", op.path);
      }
      Resolver::FixOwnerAndMode(parent.get(), name, op.mode & 07777, op.uid, op.gid, op.path);
      return kDone;
    }
    case OpKind::kWrite: {
      Fd parent = resolver.Parent(op, op.parents);
      std::string temp = ".berth-tmp-" + op.parts.back().substr(0, 64) + "-" + std::to_string(getpid()) + "-" +
                         std::to_string(g_temp_counter.fetch_add(1));
      Fd fd(openat(parent.get(), temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                   op.mode & 07777));
      if (!fd.valid()) ThrowErrno("openat", op.path);
      try {
        WriteAll(fd.get(), op.data, op.path);
        Resolver::FixOwnerAndMode(parent.get(), temp.c_str(), op.mode, op.uid, op.gid, op.path);
        if (fsync(fd.get()) != 0) ThrowErrno("fsync", op.path);
        if (renameat(parent.get(), temp.c_str(), parent.get(), name) != 0) ThrowErrno("renameat", op.path);
      } catch (...) {
        unlinkat(parent.get(), temp.c_str(), 0);
        throw;
      }
      return kDone;
    }
    case OpKind::kChown: {
      Fd parent = resolver.Parent(op, false);
      if (fchownat(parent.get(), name, static_cast<uid_t>(op.uid), static_cast<gid_t>(op.gid),
                   AT_SYMLINK_NOFOLLOW) != 0) {
        ThrowErrno("fchownat", op.path);
      }
      return kDone;
    }
    case OpKind::kChmod:
    case OpKind::kSetXattr: {
      Fd parent = resolver.Parent(op, false);
      // An O_PATH handle pins the entry itself; going through /proc/self/fd acts on
      // that inode without following a symlink that may stand at the last part.
      Fd fd(openat(parent.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) ThrowErrno("openat", op.path);
      std::string proc = ProcFdPath(fd.get());
      if (op.kind == OpKind::kChmod) {
        struct stat st;
        if (fstat(fd.get(), &st) != 0) ThrowErrno("fstat", op.path);
        if (S_ISLNK(st.st_mode)) return kExisted;  // Linux symlinks have no mode of their own
        if (chmod(proc.c_str(), op.mode & 07777) != 0) ThrowErrno("chmod", op.path);
      } else if (setxattr(proc.c_str(), op.name.c_str(), op.data.data(), op.data.size(), 0) != 0) {
        ThrowErrno("setxattr", op.path);
      }
      return kDone;
    }
    case OpKind::kRename: {
      if (op.targetParts.empty()) throw SysError(EINVAL, "resolve", op.target);
      Fd from = resolver.Parent(op, false);
      Op to = op;
      to.parts = op.targetParts;
      Fd toParent = resolver.Parent(to, false);
      if (renameat(from.get(), name, toParent.get(), op.targetParts.back().c_str()) != 0) {
        ThrowErrno("renameat", op.path, op.target);
      }
      return kDone;
    }
    case OpKind::kLink: {
      // Both ends resolve in the root, and linkat(2) without AT_SYMLINK_FOLLOW
      // links a symlink itself: a hardlink can only ever name an inode inside.
      if (op.targetParts.empty()) throw SysError(EINVAL, "resolve", op.target);
      Op from = op;
      from.parts = op.targetParts;
      Fd fromParent = resolver.Parent(from, false);
      Fd parent = resolver.Parent(op, op.parents);
      if (linkat(fromParent.get(), op.targetParts.back().c_str(), parent.get(), name, 0) != 0) {
        if (errno == EEXIST && op.skipExisting) return kExisted;
        ThrowErrno("linkat", op.path, op.target);
      }
      return kDone;
    }
    case OpKind::kUtimes: {
      Fd parent = resolver.Parent(op, false);
      if (utimensat(parent.get(), name, op.times, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimensat", op.path);
      return kDone;
    }
    case OpKind::kFsync: {
      // A directory is fsynced after renames into it, so that they outlive a crash.
      Fd parent = resolver.Parent(op, false);
      Fd fd(openat(parent.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) ThrowErrno("openat", op.path);
      if (fsync(fd.get()) != 0) ThrowErrno("fsync", op.path);
      return kDone;
    }
    case OpKind::kRemove: {
      Fd parent;
      try {
        parent = resolver.Parent(op, false);
      } catch (const SysError& e) {
        if (e.err == ENOENT || e.err == ENOTDIR) return kAbsent;
        throw;
      }
      struct stat st;
      if (fstatat(parent.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return kAbsent;
        ThrowErrno("fstatat", op.path);
      }
      RemoveAllAt(parent.get(), op.parts.back(), op.path);
      return kDone;
    }
  }
  return kDone;
}

Op ParseOp(Napi::Env env, const Napi::Object& obj) {
  Op op;
  std::string kind = PropString(obj, "op");
  if (kind == "mkdir") op.kind = OpKind::kMkdir;
  else if (kind == "file") op.kind = OpKind::kFile;
  else if (kind == "symlink") op.kind = OpKind::kSymlink;
  else if (kind == "mknod") op.kind = OpKind::kMknod;
  else if (kind == "write") op.kind = OpKind::kWrite;
  else if (kind == "chown") op.kind = OpKind::kChown;
  else if (kind == "chmod") op.kind = OpKind::kChmod;
  else if (kind == "setxattr") op.kind = OpKind::kSetXattr;
  else if (kind == "remove") op.kind = OpKind::kRemove;
  else if (kind == "rename") op.kind = OpKind::kRename;
  else if (kind == "link") op.kind = OpKind::kLink;
  else if (kind == "utimes") op.kind = OpKind::kUtimes;
  else if (kind == "fsync") op.kind = OpKind::kFsync;
  else throw Napi::TypeError::New(env, "unknown batch op '" + kind + "'");
  op.path = PropString(obj, "path");
  op.mode = static_cast<mode_t>(PropInt(obj, "mode", 0644));
  op.uid = PropInt(obj, "uid", -1);
  op.gid = PropInt(obj, "gid", -1);
  op.target = PropString(obj, "target");
  op.rdev = makedev(static_cast<unsigned>(PropInt(obj, "major", 0)), static_cast<unsigned>(PropInt(obj, "minor", 0)));
  op.data = PropBytes(obj, op.kind == OpKind::kSetXattr ? "value" : "data");
  op.name = PropString(obj, "name");
  op.parents = PropBool(obj, "parents", false);
  op.skipExisting = PropBool(obj, "skipExisting", false);
  // Times travel as [seconds, nanoseconds] pairs so that no precision is lost in a double.
  const char* timeKeys[2] = {"atime", "mtime"};
  for (int i = 0; i < 2; i++) {
    Napi::Value t = obj.Get(timeKeys[i]);
    if (t.IsArray() && t.As<Napi::Array>().Length() == 2) {
      Napi::Array pair = t.As<Napi::Array>();
      op.times[i].tv_sec = static_cast<time_t>(pair.Get(0u).ToNumber().Int64Value());
      op.times[i].tv_nsec = static_cast<long>(pair.Get(1u).ToNumber().Int64Value());
    } else if (!t.IsUndefined() && !t.IsNull()) {
      throw Napi::TypeError::New(env, std::string("expected [seconds, nanoseconds] for ") + timeKeys[i]);
    }
  }
  return op;
}

}  // namespace

// The root of a batch: a directory path (opened for the call) or an fd the
// caller owns, such as a detached mount's.
struct RootArg {
  std::string path;
  int fd = -1;

  static RootArg From(const Napi::Value& value) {
    RootArg root;
    if (value.IsString()) {
      root.path = value.As<Napi::String>().Utf8Value();
    } else if (value.IsNumber()) {
      root.fd = value.As<Napi::Number>().Int32Value();
    } else {
      throw Napi::TypeError::New(value.Env(), "expected a root path or fd");
    }
    return root;
  }

  // Runs on the worker thread; `owned` keeps an opened path alive for the call.
  int Open(Fd* owned) const {
    if (fd >= 0) return fd;
    *owned = Fd(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!owned->valid()) ThrowErrno("open", path);
    return owned->get();
  }
};

// openInRoot(root: string | fd, path, mode, options?: { parents, uid, gid, walk }) ->
// Promise<fd>: creates a new regular file resolved in the root (O_EXCL, never
// through a symlink at the last part) and hands its fd to JS, which streams
// the content with fs.write and closes it. For files too big for a batch.
Napi::Value OpenInRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RootArg root = RootArg::From(info[0]);
  Op op;
  op.kind = OpKind::kFile;
  op.path = ArgString(info, 1, "path");
  op.mode = static_cast<mode_t>(ArgInt(info, 2, "mode"));
  bool walk = false;
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object options = info[3].As<Napi::Object>();
    op.parents = PropBool(options, "parents", false);
    op.uid = PropInt(options, "uid", -1);
    op.gid = PropInt(options, "gid", -1);
    walk = PropBool(options, "walk", false);
  }
  auto fdOut = std::make_shared<int>(-1);
  return RunAsync(
      env,
      [=] {
        Fd owned;
        Resolver resolver(root.Open(&owned), walk);
        Op resolved = op;
        resolved.parts = SplitInRoot(op.path);
        if (resolved.parts.empty()) throw SysError(EINVAL, "resolve", op.path);
        Fd parent = resolver.Parent(resolved, resolved.parents);
        const char* name = resolved.parts.back().c_str();
        Fd fd(openat(parent.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, op.mode & 07777));
        if (!fd.valid()) ThrowErrno("openat", op.path);
        Resolver::FixOwnerAndMode(parent.get(), name, op.mode, op.uid, op.gid, op.path);
        *fdOut = fd.release();
      },
      [fdOut](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *fdOut); });
}

// batch(root: string | fd, ops: object[], options?: { walk?: boolean }) ->
// Promise<number[]>: one outcome per op (0 done, 1 existed, 2 absent).
Napi::Value Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RootArg root = RootArg::From(info[0]);
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, "expected an array of ops");
  Napi::Array arr = info[1].As<Napi::Array>();
  auto ops = std::make_shared<std::vector<Op>>();
  ops->reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsObject()) throw Napi::TypeError::New(env, "expected op objects");
    ops->push_back(ParseOp(env, item.As<Napi::Object>()));
  }
  bool walk = info.Length() > 2 && info[2].IsObject() && PropBool(info[2].As<Napi::Object>(), "walk", false);
  auto outcomes = std::make_shared<std::vector<int>>();
  return RunAsync(
      env,
      [=] {
        Fd owned;
        Resolver resolver(root.Open(&owned), walk);
        for (auto& op : *ops) {
          try {
            op.parts = SplitInRoot(op.path);
            if (op.kind == OpKind::kRename || op.kind == OpKind::kLink) op.targetParts = SplitInRoot(op.target);
            outcomes->push_back(Apply(resolver, op));
          } catch (SysError& e) {
            e.detail = "batch op " + std::to_string(outcomes->size()) + " (" + e.syscall + " " + e.path + ")";
            e.path = op.path;
            throw;
          }
        }
      },
      [outcomes](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, outcomes->size());
        for (size_t i = 0; i < outcomes->size(); i++) out.Set(static_cast<uint32_t>(i), (*outcomes)[i]);
        return out;
      });
}

}  // namespace berth
