// Native counters: a 64-bit value in POSIX shared memory (SharedCounter) and a
// decimal value in a regular file (FileCounter), both incremented safely by
// many processes at once.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: every failure sets a pending JS
// exception and the function returns at once. Resources live in members that
// the destructor releases, so a constructor that fails half way leaks nothing
// (node-addon-api deletes the instance when the constructor leaves an
// exception pending).

#include <napi.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace {

// Above this a JS Number can no longer hold every integer exactly.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;
// "9007199254740991\n" is 17 bytes; anything much longer is not ours.
constexpr size_t kMaxFileContent = 32;
constexpr mode_t kSegmentMode = 0600;
// A file operation spins this long for a lock another process holds, then gives
// up with EAGAIN: the caller waits on without blocking its event loop. Workers
// hold the lock for a few syscalls (a disk flush with fsync), so this is rare.
constexpr int64_t kOperationLockWaitNs = 1000000;
// Opening validates the content under the lock before any client is served,
// so it may wait longer.
constexpr int64_t kOpenLockWaitNs = 1000000000;
// Past this, a waiter sleeps between tries instead of yielding the CPU.
constexpr int64_t kLockYieldNs = 50000;
constexpr long kLockSleepNs = 200000;

void ThrowErrno(Napi::Env env, const char* call, const std::string& target,
                int err) {
  Napi::Error error = Napi::Error::New(
      env, std::string(call) + " " + target + ": " + strerror(err));
  Napi::Object obj = error.Value();
  const char* name = strerrorname_np(err);
  obj.Set("code", name != nullptr ? std::string(name)
                                  : "ERRNO" + std::to_string(err));
  obj.Set("errno", Napi::Number::New(env, err));
  obj.Set("syscall", call);
  obj.Set("path", target);
  error.ThrowAsJavaScriptException();
}

void ThrowWithCode(Napi::Env env, const std::string& message, const char* code,
                   const std::string& target) {
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("code", code);
  if (!target.empty()) obj.Set("path", target);
  error.ThrowAsJavaScriptException();
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// Past 2^53-1 a JS Number rounds: two increments would answer the same value.
void ThrowOverflow(Napi::Env env, const std::string& what,
                   const std::string& target) {
  ThrowWithCode(env,
                what + ": counter would exceed 2^53-1 (Number.MAX_SAFE_INTEGER)",
                "EOVERFLOW", target);
}

std::string Octal(mode_t mode) {
  char octal[8];
  snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
  return octal;
}

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A signal handler in the host process (Node installs several) can interrupt
// a blocking flock or an I/O call; that is not a failure of the counter.
int FlockRetry(int fd, int op) {
  int r;
  do {
    r = flock(fd, op);
  } while (r == -1 && errno == EINTR);
  return r;
}

// Releases the lock on every early return, so a thrown error never leaves
// other processes blocked forever.
class FlockGuard {
 public:
  explicit FlockGuard(int fd) : fd_(fd) {}
  ~FlockGuard() {
    if (held_) FlockRetry(fd_, LOCK_UN);
  }
  FlockGuard(const FlockGuard&) = delete;
  FlockGuard& operator=(const FlockGuard&) = delete;

  bool Lock(int op) {
    if (FlockRetry(fd_, op) == -1) return false;
    held_ = true;
    return true;
  }
  // Non-blocking tries until wait_ns has passed; then fails with EAGAIN, so a
  // process that holds the lock forever cannot freeze the caller.
  bool LockWithin(int op, int64_t wait_ns) {
    int64_t start = MonotonicNs();
    for (;;) {
      if (FlockRetry(fd_, op | LOCK_NB) == 0) {
        held_ = true;
        return true;
      }
      if (errno != EWOULDBLOCK) return false;
      int64_t waited = MonotonicNs() - start;
      if (waited >= wait_ns) {
        errno = EWOULDBLOCK;
        return false;
      }
      if (waited < kLockYieldNs) {
        sched_yield();
      } else {
        struct timespec pause = {0, kLockSleepNs};
        nanosleep(&pause, nullptr);
      }
    }
  }
  bool Unlock() {
    held_ = false;
    return FlockRetry(fd_, LOCK_UN) == 0;
  }

 private:
  int fd_;
  bool held_ = false;
};

// Names and path strings go into C calls; an embedded NUL would silently
// truncate them and make us open something else than asked.
bool GetNameArg(Napi::Env env, const Napi::Value& value, const char* what,
                std::string* out) {
  if (!value.IsString()) {
    ThrowTypeError(env, std::string(what) + " must be a string");
    return false;
  }
  std::string s = value.As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) {
    ThrowTypeError(env, std::string(what) +
                            " must be a non-empty string without NUL bytes");
    return false;
  }
  *out = std::move(s);
  return true;
}

bool CheckNoArgs(const Napi::CallbackInfo& info, const char* method) {
  if (info.Length() != 0) {
    ThrowTypeError(info.Env(), std::string(method) + " takes no arguments");
    return false;
  }
  return true;
}

std::string Quote(const char* s, size_t len) {
  std::string out = "\"";
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + "\"";
}

// Strict on purpose: anything but digits plus trailing whitespace means the
// file was not written by us, and guessing a value would hide lost updates.
// Empty is refused too: a file is created already holding "0\n".
bool ParseCounter(const char* s, size_t len, uint64_t* out) {
  size_t i = 0;
  uint64_t v = 0;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (v > kMaxSafeInteger) return false;
  }
  if (i == 0) return false;
  for (; i < len; ++i) {
    if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t') {
      return false;
    }
  }
  *out = v;
  return true;
}

// ---------------------------------------------------------------------------

class SharedCounter : public Napi::ObjectWrap<SharedCounter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "SharedCounter",
        {
            InstanceMethod<&SharedCounter::Increment>("increment"),
            InstanceMethod<&SharedCounter::Read>("read"),
            InstanceMethod<&SharedCounter::Reset>("reset"),
            InstanceMethod<&SharedCounter::Close>("close"),
            StaticMethod<&SharedCounter::Unlink>("unlink"),
        });
  }

  explicit SharedCounter(const Napi::CallbackInfo& info);
  ~SharedCounter() override { Release(); }

 private:
  static Napi::Value Unlink(const Napi::CallbackInfo& info);
  Napi::Value Increment(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  bool InitSegment(Napi::Env env);
  bool VerifySegment(Napi::Env env);
  bool Usable(const Napi::CallbackInfo& info, const char* method);
  void Release();

  std::string name_;
  int fd_ = -1;
  uint64_t* value_ = nullptr;
  bool atomic_ = false;
};

SharedCounter::SharedCounter(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SharedCounter>(info) {
  Napi::Env env = info.Env();
  const char* usage =
      "new SharedCounter(name: string, create: boolean, "
      "mode: 'flock' | 'atomic')";
  if (info.Length() != 3) {
    ThrowTypeError(env, std::string("expected 3 arguments: ") + usage);
    return;
  }
  std::string name;
  if (!GetNameArg(env, info[0], "SharedCounter name", &name)) return;
  if (!info[1].IsBoolean()) {
    ThrowTypeError(env, std::string("create must be a boolean: ") + usage);
    return;
  }
  bool create = info[1].As<Napi::Boolean>().Value();
  std::string mode =
      info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  if (mode == "atomic") {
    atomic_ = true;
  } else if (mode != "flock") {
    ThrowTypeError(env, "mode must be 'flock' or 'atomic'");
    return;
  }
  name_ = name;

  // O_EXCL: a creator must never silently adopt a segment that someone else
  // prepared; the caller decides whether to attach or unlink instead.
  int flags = create ? (O_CREAT | O_EXCL | O_RDWR) : (O_RDWR | O_NOFOLLOW);
  fd_ = shm_open(name_.c_str(), flags | O_CLOEXEC, kSegmentMode);
  if (fd_ == -1) {
    ThrowErrno(env, "shm_open", name_, errno);
    return;
  }
  if (create ? !InitSegment(env) : !VerifySegment(env)) {
    // Do not leave a half-initialised segment behind for the next attacher.
    if (create) shm_unlink(name_.c_str());
    return;
  }
  void* p = mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd_, 0);
  if (p == MAP_FAILED) {
    ThrowErrno(env, "mmap", name_, errno);
    if (create) shm_unlink(name_.c_str());
    return;
  }
  // mmap returns page-aligned memory, so the 8-byte atomics below are valid.
  value_ = static_cast<uint64_t*>(p);
}

bool SharedCounter::InitSegment(Napi::Env env) {
  // The umask may have narrowed the mode; attachers insist on exactly 0600.
  if (fchmod(fd_, kSegmentMode) == -1) {
    ThrowErrno(env, "fchmod", name_, errno);
    return false;
  }
  long page = sysconf(_SC_PAGESIZE);
  // A fresh tmpfs object reads as zeros, so the counter starts at 0.
  if (ftruncate(fd_, page > 0 ? page : 4096) == -1) {
    ThrowErrno(env, "ftruncate", name_, errno);
    return false;
  }
  return true;
}

bool SharedCounter::VerifySegment(Napi::Env env) {
  struct stat st;
  if (fstat(fd_, &st) == -1) {
    ThrowErrno(env, "fstat", name_, errno);
    return false;
  }
  // Another user could pre-create the name to read or tamper with our counter.
  if (st.st_uid != geteuid()) {
    ThrowWithCode(env,
                  "shm segment " + name_ + ": owned by uid " +
                      std::to_string(st.st_uid) + ", not the current uid " +
                      std::to_string(geteuid()) + "; refusing to attach",
                  "EPERM", name_);
    return false;
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != kSegmentMode) {
    ThrowWithCode(env,
                  "shm segment " + name_ + ": mode is " + Octal(st.st_mode) +
                      ", expected 0600; refusing to attach",
                  "EPERM", name_);
    return false;
  }
  if (st.st_size < static_cast<off_t>(sizeof(uint64_t))) {
    ThrowWithCode(env,
                  "shm segment " + name_ + ": size is " +
                      std::to_string(st.st_size) +
                      " bytes, expected at least 8; refusing to attach",
                  "EINVAL", name_);
    return false;
  }
  return true;
}

bool SharedCounter::Usable(const Napi::CallbackInfo& info, const char* method) {
  if (!CheckNoArgs(info, method)) return false;
  if (value_ == nullptr) {
    ThrowWithCode(info.Env(), "SharedCounter is closed", "ERR_COUNTER_CLOSED",
                  name_);
    return false;
  }
  return true;
}

Napi::Value SharedCounter::Increment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "SharedCounter.increment")) return env.Undefined();
  uint64_t v;
  if (atomic_) {
    // Compare-and-swap, not fetch-add: a fetch-add past the limit would have
    // to be undone, and meanwhile others (or a reset) see the bad value.
    v = __atomic_load_n(value_, __ATOMIC_RELAXED);
    do {
      if (v >= kMaxSafeInteger) {
        ThrowOverflow(env, "SharedCounter " + name_, name_);
        return env.Undefined();
      }
    } while (!__atomic_compare_exchange_n(value_, &v, v + 1, true,
                                          __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    ++v;
  } else {
    // A blocking flock is fine here: the critical section is a load and a
    // store, so a waiter never waits for more than a few instructions plus a
    // scheduler hop of the holder, and the JS thread is never parked on I/O.
    // Only our own user can open the 0600 segment to lock it.
    FlockGuard lock(fd_);
    if (!lock.Lock(LOCK_EX)) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
    // Relaxed atomics: the lock orders everything; these only stop the
    // compiler from tearing or caching a value other processes change.
    v = __atomic_load_n(value_, __ATOMIC_RELAXED);
    if (v >= kMaxSafeInteger) {
      ThrowOverflow(env, "SharedCounter " + name_, name_);
      return env.Undefined();
    }
    __atomic_store_n(value_, ++v, __ATOMIC_RELAXED);
    if (!lock.Unlock()) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
  }
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Value SharedCounter::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "SharedCounter.read")) return env.Undefined();
  uint64_t v;
  if (atomic_) {
    v = __atomic_load_n(value_, __ATOMIC_SEQ_CST);
  } else {
    FlockGuard lock(fd_);
    if (!lock.Lock(LOCK_SH)) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
    v = __atomic_load_n(value_, __ATOMIC_RELAXED);
    if (!lock.Unlock()) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
  }
  // Only a segment written by someone else can hold this; rounding it to a
  // Number would hide that.
  if (v > kMaxSafeInteger) {
    ThrowWithCode(env,
                  "SharedCounter " + name_ + ": holds " + std::to_string(v) +
                      ", beyond 2^53-1 (Number.MAX_SAFE_INTEGER)",
                  "EOVERFLOW", name_);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Value SharedCounter::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "SharedCounter.reset")) return env.Undefined();
  if (atomic_) {
    __atomic_store_n(value_, 0, __ATOMIC_SEQ_CST);
  } else {
    FlockGuard lock(fd_);
    if (!lock.Lock(LOCK_EX)) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
    __atomic_store_n(value_, 0, __ATOMIC_RELAXED);
    if (!lock.Unlock()) {
      ThrowErrno(env, "flock", name_, errno);
      return env.Undefined();
    }
  }
  return env.Undefined();
}

Napi::Value SharedCounter::Close(const Napi::CallbackInfo& info) {
  if (CheckNoArgs(info, "SharedCounter.close")) Release();
  return info.Env().Undefined();
}

void SharedCounter::Release() {
  if (value_ != nullptr) {
    munmap(value_, sizeof(uint64_t));
    value_ = nullptr;
  }
  if (fd_ != -1) {
    // Nothing was written through the fd, so close cannot lose data.
    close(fd_);
    fd_ = -1;
  }
}

Napi::Value SharedCounter::Unlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1) {
    ThrowTypeError(env, "SharedCounter.unlink(name: string) takes 1 argument");
    return env.Undefined();
  }
  std::string name;
  if (!GetNameArg(env, info[0], "SharedCounter name", &name)) {
    return env.Undefined();
  }
  if (shm_unlink(name.c_str()) == -1) {
    // Cleanup of something already gone is the normal case, not an error.
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "shm_unlink", name, errno);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// ---------------------------------------------------------------------------

class FileCounter : public Napi::ObjectWrap<FileCounter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FileCounter",
                       {
                           InstanceMethod<&FileCounter::Increment>("increment"),
                           InstanceMethod<&FileCounter::Read>("read"),
                           InstanceMethod<&FileCounter::Reset>("reset"),
                           InstanceMethod<&FileCounter::Close>("close"),
                       });
  }

  explicit FileCounter(const Napi::CallbackInfo& info);
  ~FileCounter() override { Release(); }

 private:
  Napi::Value Increment(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Both expect the caller to hold the flock.
  // *size, when given, receives the file's length (it is all read).
  bool ReadValue(Napi::Env env, uint64_t* out, size_t* size = nullptr);
  // old_size: the length before, when known; the file is truncated only
  // when the new text is shorter (a growing counter never needs it).
  bool WriteValue(Napi::Env env, uint64_t v, size_t old_size = SIZE_MAX);
  bool LockedRead(Napi::Env env, uint64_t* out, int64_t lock_wait_ns);
  bool Create(Napi::Env env, bool* lost_race);
  bool LinkNewFile(Napi::Env env, bool* lost_race);
  std::string Directory() const;
  int OpenDirectory(Napi::Env env);
  bool VerifyFile(Napi::Env env);
  bool Usable(const Napi::CallbackInfo& info, const char* method);
  void Release();

  std::string path_;
  int fd_ = -1;
  bool fsync_ = false;
};

FileCounter::FileCounter(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<FileCounter>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2) {
    ThrowTypeError(env,
                   "expected 2 arguments: new FileCounter(path: string, "
                   "fsync: boolean)");
    return;
  }
  if (!GetNameArg(env, info[0], "FileCounter path", &path_)) return;
  if (!info[1].IsBoolean()) {
    ThrowTypeError(env, "fsync must be a boolean");
    return;
  }
  fsync_ = info[1].As<Napi::Boolean>().Value();

  // O_NOFOLLOW: a symlink planted at the path must not redirect our writes.
  const int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;
  fd_ = open(path_.c_str(), flags);
  if (fd_ == -1 && errno == ENOENT) {
    bool lost_race = false;
    if (!Create(env, &lost_race)) {
      if (!lost_race) return;
      fd_ = open(path_.c_str(), flags);  // another process created it first
    }
  }
  if (fd_ == -1) {
    ThrowErrno(env, "open", path_, errno);
    return;
  }
  if (!VerifyFile(env)) return;
  // Validate now so a bad file is reported where it is configured, not at
  // the first increment in the middle of a measurement.
  uint64_t ignored;
  LockedRead(env, &ignored, kOpenLockWaitNs);
}

// The file appears already holding "0\n": it is written under a temporary
// name that link() then puts in place (failing if another process created the
// path first), so nobody ever sees it empty and an empty file is damage.
bool FileCounter::Create(Napi::Env env, bool* lost_race) {
  // The new name lives in the directory: until the directory is synced, a
  // power loss can forget the file however well its data was synced. It is
  // opened first, so one we cannot sync fails the creation instead of leaving
  // a file that the next start would take as durably created.
  int dir_fd = -1;
  if (fsync_ && (dir_fd = OpenDirectory(env)) == -1) return false;
  bool ok = LinkNewFile(env, lost_race);
  if (ok && dir_fd != -1 && fsync(dir_fd) == -1) {
    ThrowErrno(env, "fsync", Directory(), errno);
    ok = false;
  }
  if (dir_fd != -1) close(dir_fd);
  if (!ok) Release();
  return ok;
}

bool FileCounter::LinkNewFile(Napi::Env env, bool* lost_race) {
  std::string temp = path_ + ".XXXXXX";
  fd_ = mkostemp(&temp[0], O_CLOEXEC);  // mode 0600
  if (fd_ == -1) {
    ThrowErrno(env, "mkostemp", path_, errno);
    return false;
  }
  // WriteValue fdatasyncs when asked: the name never points at lost data.
  bool ok = WriteValue(env, 0, 0);
  if (ok && link(temp.c_str(), path_.c_str()) == -1) {
    if (errno == EEXIST) {
      *lost_race = true;
    } else {
      ThrowErrno(env, "link", path_, errno);
    }
    ok = false;
  }
  // On every path; a crash before it leaves a stray file, never the counter.
  if (unlink(temp.c_str()) == -1 && ok) {
    ThrowErrno(env, "unlink", temp, errno);
    ok = false;
  }
  return ok;
}

std::string FileCounter::Directory() const {
  size_t slash = path_.rfind('/');
  return slash == std::string::npos ? "."
         : slash == 0               ? "/"
                                    : path_.substr(0, slash);
}

int FileCounter::OpenDirectory(Napi::Env env) {
  std::string dir = Directory();
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1) ThrowErrno(env, "open", dir, errno);
  return fd;
}

bool FileCounter::VerifyFile(Napi::Env env) {
  struct stat st;
  if (fstat(fd_, &st) == -1) {
    ThrowErrno(env, "fstat", path_, errno);
    return false;
  }
  // A FIFO or device would open fine and then block or misbehave on pread.
  if (!S_ISREG(st.st_mode)) {
    ThrowWithCode(env, "FileCounter " + path_ + ": not a regular file",
                  "EBADCOUNTER", path_);
    return false;
  }
  // Whoever else can open the file can rewrite the count or hold its lock.
  // Refused rather than fixed, as ssh does with a private key: its content
  // was open to others before, and the owner should know.
  if (st.st_uid != geteuid()) {
    ThrowWithCode(env,
                  "FileCounter " + path_ + ": owned by uid " +
                      std::to_string(st.st_uid) + ", not the current uid " +
                      std::to_string(geteuid()) + "; refusing to use it",
                  "EPERM", path_);
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    ThrowWithCode(env,
                  "FileCounter " + path_ + ": mode is " + Octal(st.st_mode) +
                      ", open to group or others; refusing to use it (chmod " +
                      "600 " + path_ + ")",
                  "EPERM", path_);
    return false;
  }
  return true;
}

bool FileCounter::ReadValue(Napi::Env env, uint64_t* out, size_t* size) {
  char buf[kMaxFileContent + 1];
  size_t len = 0;
  while (len < sizeof buf) {
    size_t want = sizeof buf - len;
    ssize_t n = pread(fd_, buf + len, want, static_cast<off_t>(len));
    if (n == -1) {
      if (errno == EINTR) continue;
      ThrowErrno(env, "pread", path_, errno);
      return false;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
    // Our writer always ends the value with '\n': a short read ending there
    // is the whole file, with no second pread to see 0. Other short reads
    // (FUSE and network file systems may return part) read on.
    if (static_cast<size_t>(n) < want && buf[len - 1] == '\n') break;
  }
  if (size != nullptr) *size = len;
  if (len > kMaxFileContent) {
    ThrowWithCode(env,
                  "FileCounter " + path_ +
                      ": content is not a counter value (longer than " +
                      std::to_string(kMaxFileContent) + " bytes)",
                  "EBADCOUNTER", path_);
    return false;
  }
  if (len == 0) {
    ThrowWithCode(env,
                  "FileCounter " + path_ +
                      ": file is empty, damaged (a counter file is created "
                      "holding 0); write the last known count into it",
                  "EBADCOUNTER", path_);
    return false;
  }
  if (!ParseCounter(buf, len, out)) {
    ThrowWithCode(env,
                  "FileCounter " + path_ + ": content is not a counter value: " +
                      Quote(buf, len),
                  "EBADCOUNTER", path_);
    return false;
  }
  return true;
}

bool FileCounter::WriteValue(Napi::Env env, uint64_t v, size_t old_size) {
  char buf[kMaxFileContent];
  int n = snprintf(buf, sizeof buf, "%" PRIu64 "\n", v);
  size_t len = static_cast<size_t>(n);
  size_t off = 0;
  while (off < len) {
    ssize_t w = pwrite(fd_, buf + off, len - off, static_cast<off_t>(off));
    if (w == -1) {
      if (errno == EINTR) continue;
      ThrowErrno(env, "pwrite", path_, errno);
      return false;
    }
    off += static_cast<size_t>(w);
  }
  // Truncate after writing, not before: a crash in between leaves garbage
  // that the next read reports, instead of an empty file that reads as 0.
  if (len < old_size) {
    int r;
    do {
      r = ftruncate(fd_, static_cast<off_t>(len));
    } while (r == -1 && errno == EINTR);
    if (r == -1) {
      ThrowErrno(env, "ftruncate", path_, errno);
      return false;
    }
  }
  if (fsync_ && fdatasync(fd_) == -1) {
    ThrowErrno(env, "fdatasync", path_, errno);
    return false;
  }
  return true;
}

bool FileCounter::LockedRead(Napi::Env env, uint64_t* out,
                             int64_t lock_wait_ns) {
  FlockGuard lock(fd_);
  if (!lock.LockWithin(LOCK_SH, lock_wait_ns)) {
    ThrowErrno(env, "flock", path_, errno);
    return false;
  }
  if (!ReadValue(env, out)) return false;
  if (!lock.Unlock()) {
    ThrowErrno(env, "flock", path_, errno);
    return false;
  }
  return true;
}

bool FileCounter::Usable(const Napi::CallbackInfo& info, const char* method) {
  if (!CheckNoArgs(info, method)) return false;
  if (fd_ == -1) {
    ThrowWithCode(info.Env(), "FileCounter is closed", "ERR_COUNTER_CLOSED",
                  path_);
    return false;
  }
  return true;
}

Napi::Value FileCounter::Increment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "FileCounter.increment")) return env.Undefined();
  FlockGuard lock(fd_);
  if (!lock.LockWithin(LOCK_EX, kOperationLockWaitNs)) {
    ThrowErrno(env, "flock", path_, errno);
    return env.Undefined();
  }
  uint64_t v;
  size_t size;
  if (!ReadValue(env, &v, &size)) return env.Undefined();
  if (v >= kMaxSafeInteger) {
    ThrowOverflow(env, "FileCounter " + path_, path_);
    return env.Undefined();
  }
  ++v;
  if (!WriteValue(env, v, size)) return env.Undefined();
  if (!lock.Unlock()) {
    ThrowErrno(env, "flock", path_, errno);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Value FileCounter::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "FileCounter.read")) return env.Undefined();
  uint64_t v;
  if (!LockedRead(env, &v, kOperationLockWaitNs)) return env.Undefined();
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Value FileCounter::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(info, "FileCounter.reset")) return env.Undefined();
  FlockGuard lock(fd_);
  if (!lock.LockWithin(LOCK_EX, kOperationLockWaitNs)) {
    ThrowErrno(env, "flock", path_, errno);
    return env.Undefined();
  }
  if (!WriteValue(env, 0)) return env.Undefined();
  if (!lock.Unlock()) {
    ThrowErrno(env, "flock", path_, errno);
    return env.Undefined();
  }
  return env.Undefined();
}

Napi::Value FileCounter::Close(const Napi::CallbackInfo& info) {
  if (CheckNoArgs(info, "FileCounter.close")) Release();
  return info.Env().Undefined();
}

void FileCounter::Release() {
  if (fd_ != -1) {
    // Durability, when asked for, came from fdatasync after each write; a
    // close error would not tell us which write was lost, so it is ignored.
    close(fd_);
    fd_ = -1;
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("SharedCounter", SharedCounter::Define(env));
  exports.Set("FileCounter", FileCounter::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(counters_native, Init)
