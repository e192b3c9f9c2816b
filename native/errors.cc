// Error carriage and the async worker shared by every syscall family.
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

namespace berth {

void ThrowErrno(const char* syscall, const std::string& path, const std::string& dest) {
  throw SysError(errno, syscall, path, dest);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) close(fd_);
}

mode_t ProcessUmask() {
  // Read on the first call, which happens at module load on the JS thread.
  static const mode_t mask = [] {
    mode_t m = umask(022);
    umask(m);
    return m;
  }();
  return mask;
}

namespace {

// JS builds the fs-style error from these fields; the message is only a fallback.
Napi::Value MakeError(Napi::Env env, const SysError& e) {
  std::string message = e.syscall + " failed";
  if (!e.path.empty()) message += " '" + e.path + "'";
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, e.err));
  obj.Set("syscall", Napi::String::New(env, e.syscall));
  if (!e.path.empty()) obj.Set("path", Napi::String::New(env, e.path));
  if (!e.dest.empty()) obj.Set("dest", Napi::String::New(env, e.dest));
  if (!e.detail.empty()) obj.Set("detail", Napi::String::New(env, e.detail));
  obj.Set("native", Napi::Boolean::New(env, true));
  return obj;
}

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Work work, ResultBuilder result)
      : Napi::AsyncWorker(env, "berth:native"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        result_(std::move(result)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const SysError& e) {
      failed_ = true;
      error_ = e;
    } catch (const std::bad_alloc&) {
      failed_ = true;
      error_ = SysError(ENOMEM, "alloc");
    } catch (const std::exception& e) {
      failed_ = true;
      error_ = SysError(EIO, "internal");
      error_.detail = e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(MakeError(env, error_));
      return;
    }
    deferred_.Resolve(result_ ? result_(env) : env.Undefined());
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  ResultBuilder result_;
  bool failed_ = false;
  SysError error_;
};

}  // namespace

Napi::Promise RunAsync(Napi::Env env, Work work, ResultBuilder result) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(result));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string("expected a string for ") + name);
  }
  return info[index].As<Napi::String>().Utf8Value();
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("expected a number for ") + name);
  }
  return info[index].As<Napi::Number>().Int64Value();
}

std::string PropString(const Napi::Object& obj, const char* key, const std::string& fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string("expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}

int64_t PropInt(const Napi::Object& obj, const char* key, int64_t fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string("expected a number for ") + key);
  return v.As<Napi::Number>().Int64Value();
}

bool PropBool(const Napi::Object& obj, const char* key, bool fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return v.ToBoolean().Value();
}

std::string PropBytes(const Napi::Object& obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return "";
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  if (v.IsBuffer()) {
    auto buf = v.As<Napi::Buffer<char>>();
    return std::string(buf.Data(), buf.Length());
  }
  throw Napi::TypeError::New(obj.Env(), std::string("expected a string or Buffer for ") + key);
}

}  // namespace berth
