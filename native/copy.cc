// A faithful tree copy for the vfs driver: regular files (copy_file_range),
// directories, symlinks, hardlinks (kept as links within the copy), devices,
// fifos and sockets, with ownership, modes, xattrs and timestamps.
// Syscalls: openat, fstatat, mkdirat, mknodat, symlinkat, readlinkat, linkat,
// copy_file_range, fchownat, fchmodat, utimensat, llistxattr, lgetxattr, lsetxattr.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <utility>
#include <vector>

#include "common.h"

namespace berth {
namespace {

class TreeCopier {
 public:
  TreeCopier(std::string src, std::string dst) : srcRoot_(std::move(src)), dstRoot_(std::move(dst)) {}

  void Run() {
    struct stat st;
    if (lstat(srcRoot_.c_str(), &st) != 0) ThrowErrno("lstat", srcRoot_);
    if (!S_ISDIR(st.st_mode)) throw SysError(ENOTDIR, "copy", srcRoot_);
    if (mkdir(dstRoot_.c_str(), 0700) != 0) ThrowErrno("mkdir", dstRoot_);
    Fd src(open(srcRoot_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src.valid()) ThrowErrno("open", srcRoot_);
    Fd dst(open(dstRoot_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst.valid()) ThrowErrno("open", dstRoot_);
    CopyDir(src.get(), dst.get(), "");
    // The root's own attributes go through its parent-less path.
    CopyXattrs(srcRoot_, dstRoot_);
    if (lchown(dstRoot_.c_str(), st.st_uid, st.st_gid) != 0) ThrowErrno("lchown", dstRoot_);
    if (chmod(dstRoot_.c_str(), st.st_mode & 07777) != 0) ThrowErrno("chmod", dstRoot_);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (utimensat(AT_FDCWD, dstRoot_.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimensat", dstRoot_);
  }

 private:
  void CopyDir(int srcDir, int dstDir, const std::string& rel) {
    int listFd = dup(srcDir);
    if (listFd < 0) ThrowErrno("dup", srcRoot_ + rel);
    DIR* dir = fdopendir(listFd);
    if (!dir) {
      close(listFd);
      ThrowErrno("fdopendir", srcRoot_ + rel);
    }
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    for (const auto& name : names) CopyEntry(srcDir, dstDir, rel + "/" + name, name);
  }

  void CopyEntry(int srcDir, int dstDir, const std::string& rel, const std::string& name) {
    const std::string srcPath = srcRoot_ + rel;
    const std::string dstPath = dstRoot_ + rel;
    struct stat st;
    if (fstatat(srcDir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("fstatat", srcPath);
    const char* n = name.c_str();
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto seen = links_.find(key);
      if (seen != links_.end()) {
        if (linkat(AT_FDCWD, seen->second.c_str(), dstDir, n, 0) != 0) ThrowErrno("linkat", dstPath, seen->second);
        return;
      }
      links_.emplace(key, dstPath);
    }
    if (S_ISDIR(st.st_mode)) {
      // Owner write stays on until the children are in; the final mode comes last.
      if (mkdirat(dstDir, n, (st.st_mode & 0777) | 0700) != 0) ThrowErrno("mkdirat", dstPath);
      Fd src(openat(srcDir, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!src.valid()) ThrowErrno("openat", srcPath);
      Fd dst(openat(dstDir, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dst.valid()) ThrowErrno("openat", dstPath);
      CopyDir(src.get(), dst.get(), rel);
    } else if (S_ISREG(st.st_mode)) {
      CopyFile(srcDir, dstDir, n, st, srcPath, dstPath);
    } else if (S_ISLNK(st.st_mode)) {
      std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
      ssize_t len = readlinkat(srcDir, n, target.data(), target.size());
      if (len < 0) ThrowErrno("readlinkat", srcPath);
      std::string t(target.data(), static_cast<size_t>(len));
      if (symlinkat(t.c_str(), dstDir, n) != 0) ThrowErrno("symlinkat", dstPath, t);
    } else {
      if (mknodat(dstDir, n, st.st_mode, st.st_rdev) != 0) ThrowErrno("mknodat", dstPath);
    }
    CopyXattrs(srcPath, dstPath);
    // New entries belong to us (no parent is setgid while the copy runs, its
    // mode is set last), so the chown is needed only for other owners; and
    // the chmod only where creation could not give the mode.
    if ((st.st_uid != euid_ || st.st_gid != egid_) &&
        fchownat(dstDir, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      ThrowErrno("fchownat", dstPath);
    }
    if (!S_ISLNK(st.st_mode) && NeedsChmod(st) && fchmodat(dstDir, n, st.st_mode & 07777, 0) != 0) {
      ThrowErrno("fchmodat", dstPath);
    }
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (utimensat(dstDir, n, times, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimensat", dstPath);
  }

  // What creation gave the entry: its mode less the umask (and, for a
  // directory, owner rwx kept on for filling it).
  static bool NeedsChmod(const struct stat& st) {
    mode_t wanted = st.st_mode & 07777;
    mode_t created = st.st_mode & 0777;
    if (S_ISDIR(st.st_mode)) created |= 0700;
    created &= ~ProcessUmask();
    return created != wanted;
  }

  static void CopyFile(int srcDir, int dstDir, const char* n, const struct stat& st, const std::string& srcPath,
                       const std::string& dstPath) {
    Fd in(openat(srcDir, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in.valid()) ThrowErrno("openat", srcPath);
    Fd out(openat(dstDir, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777));
    if (!out.valid()) ThrowErrno("openat", dstPath);
    off_t remaining = st.st_size;
    bool fallback = false;
    while (remaining > 0 && !fallback) {
      ssize_t n2 = copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(remaining), 0);
      if (n2 < 0) {
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) {
          fallback = true;
          break;
        }
        ThrowErrno("copy_file_range", dstPath);
      }
      if (n2 == 0) break;  // the file shrank under us
      remaining -= n2;
    }
    if (fallback) {
      std::vector<char> buf(1 << 16);
      for (;;) {
        ssize_t got = read(in.get(), buf.data(), buf.size());
        if (got < 0) {
          if (errno == EINTR) continue;
          ThrowErrno("read", srcPath);
        }
        if (got == 0) break;
        for (ssize_t off = 0; off < got;) {
          ssize_t put = write(out.get(), buf.data() + off, static_cast<size_t>(got - off));
          if (put < 0) {
            if (errno == EINTR) continue;
            ThrowErrno("write", dstPath);
          }
          off += put;
        }
      }
    }
  }

  static void CopyXattrs(const std::string& src, const std::string& dst) {
    ssize_t size = llistxattr(src.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return;
      ThrowErrno("llistxattr", src);
    }
    if (size == 0) return;
    std::vector<char> names(static_cast<size_t>(size));
    size = llistxattr(src.c_str(), names.data(), names.size());
    if (size < 0) ThrowErrno("llistxattr", src);
    for (ssize_t i = 0; i < size;) {
      std::string name(names.data() + i);
      i += static_cast<ssize_t>(name.size()) + 1;
      ssize_t vsize = lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
      if (vsize < 0) ThrowErrno("lgetxattr", src);
      std::vector<char> value(static_cast<size_t>(vsize) + 1);
      vsize = lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
      if (vsize < 0) ThrowErrno("lgetxattr", src);
      if (lsetxattr(dst.c_str(), name.c_str(), value.data(), static_cast<size_t>(vsize), 0) != 0) {
        // Symlinks cannot carry user.* xattrs; that loss is the filesystem's rule, not ours.
        if (errno == EPERM && name.rfind("user.", 0) == 0) continue;
        ThrowErrno("lsetxattr", dst);
      }
    }
  }

  std::string srcRoot_;
  std::string dstRoot_;
  uid_t euid_ = geteuid();
  gid_t egid_ = getegid();
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

// copyTree(src, dst): dst must not exist; it becomes a copy of src.
Napi::Value CopyTree(const Napi::CallbackInfo& info) {
  std::string src = ArgString(info, 0, "src");
  std::string dst = ArgString(info, 1, "dst");
  return RunAsync(info.Env(), [=] { TreeCopier(src, dst).Run(); });
}

}  // namespace berth
