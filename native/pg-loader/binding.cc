// The N-API side of the PostgreSQL load engine: the PgLoader class that native/pg-loader.ts
// types. It checks and copies its config (the method's steps, with their SQL, come from TS), runs
// the loop (pg-loop.h) on a thread of its own, and hands the calls over as typed arrays on the JS
// thread (../http-loader/calls-to-js.h), as the web loader does. A failed call goes to JS as a
// side whose status is its Failure code, whose flag says whether it may have committed, and whose
// bytes are "SQLSTATE\nmessage": JS writes the error the JS engine would have thrown.
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the function returns.

#include <napi.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "../http-loader/calls-to-js.h"
#include "pg-loop.h"

namespace pg_loader {
namespace {

using http_loader::NowUs;
using http_loader::ThreadTime;

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

// The code named `name` in `names`, or -1.
template <size_t N>
int CodeOf(Napi::Value name, const char* const (&names)[N]) {
  if (!name.IsString()) return -1;
  std::string text = name.As<Napi::String>().Utf8Value();
  for (size_t k = 0; k < N; k++)
    if (text == names[k]) return static_cast<int>(k);
  return -1;
}

double NumberIn(Napi::Object o, const char* key, double min) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return NAN;
  double d = v.As<Napi::Number>().DoubleValue();
  return d >= min ? d : NAN;
}

// { text, params: ParamName[] }; false with a pending TypeError.
bool ReadStatement(Napi::Env env, Napi::Value value, Statement* statement) {
  const char* shape = "a statement is { text: string, params: string[] } (params named by paramNames)";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value text = o.Get("text"), params = o.Get("params");
  if (!text.IsString() || !params.IsArray()) return ThrowTypeError(env, shape), false;
  statement->text = text.As<Napi::String>().Utf8Value();
  Napi::Array list = params.As<Napi::Array>();
  if (list.Length() > 4) return ThrowTypeError(env, "a statement binds at most 4 values"), false;
  for (uint32_t k = 0; k < list.Length(); k++) {
    int code = CodeOf(list.Get(k), kParamNames);
    if (code < 0) return ThrowTypeError(env, shape), false;
    statement->params.push_back(static_cast<Param>(code));
  }
  return true;
}

// { steps: [{ statement, use, commits }], upsert, transaction, rollback, retryErrors }
bool ReadMethod(Napi::Env env, Napi::Value value, Method* method) {
  const char* shape = "method is { steps: [{ statement, use, commits }], upsert, transaction, rollback, retryErrors }";
  if (!value.IsObject()) return ThrowTypeError(env, shape), false;
  Napi::Object o = value.As<Napi::Object>();
  Napi::Value steps = o.Get("steps"), transaction = o.Get("transaction"), retryErrors = o.Get("retryErrors");
  if (!steps.IsArray() || !transaction.IsBoolean() || !retryErrors.IsBoolean()) return ThrowTypeError(env, shape), false;
  Napi::Array list = steps.As<Napi::Array>();
  if (list.Length() == 0) return ThrowTypeError(env, "a method needs at least one step"), false;
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value item = list.Get(k);
    if (!item.IsObject()) return ThrowTypeError(env, shape), false;
    Napi::Object s = item.As<Napi::Object>();
    Step step;
    int use = CodeOf(s.Get("use"), kUseNames);
    if (use < 0 || !s.Get("commits").IsBoolean()) return ThrowTypeError(env, shape), false;
    if (!ReadStatement(env, s.Get("statement"), &step.statement)) return false;
    step.use = static_cast<Use>(use);
    step.commits = s.Get("commits").As<Napi::Boolean>().Value();
    method->steps.push_back(std::move(step));
  }
  method->transaction = transaction.As<Napi::Boolean>().Value();
  method->retryErrors = retryErrors.As<Napi::Boolean>().Value();
  return ReadStatement(env, o.Get("upsert"), &method->upsert) && ReadStatement(env, o.Get("rollback"), &method->rollback);
}

class PgLoader : public Napi::ObjectWrap<PgLoader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PgLoader",
                       {InstanceMethod("run", &PgLoader::RunMethod), InstanceMethod("drain", &PgLoader::Drain),
                        InstanceMethod("close", &PgLoader::Close)});
  }
  explicit PgLoader(const Napi::CallbackInfo& info);
  ~PgLoader() override { Release(); }

 private:
  Napi::Value RunMethod(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void Deliver(Napi::Env env, Napi::Function done);
  void Release();

  std::vector<Conn> conns_;
  Rules rules_;
  std::thread thread_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  Outbox outbox_;
  LoopEnd end_;
  ThreadTime loopTime_;
  Napi::ThreadSafeFunction tsfn_;
};

// config: { conninfo, clientCount, connectTimeoutMs, statementTimeoutMs, refusedPauseMs, userId,
// shards, retry: { maxRetries, baseMs, capMs }, method }
PgLoader::PgLoader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PgLoader>(info) {
  Napi::Env env = info.Env();
  const char* usage =
      "new PgLoader({ conninfo, clientCount, connectTimeoutMs, statementTimeoutMs, refusedPauseMs, userId, shards, "
      "retry: { maxRetries, baseMs, capMs }, method })";
  if (info.Length() != 1 || !info[0].IsObject()) {
    ThrowTypeError(env, usage);
    return;
  }
  Napi::Object config = info[0].As<Napi::Object>();
  Napi::Value conninfo = config.Get("conninfo"), userId = config.Get("userId"), retry = config.Get("retry");
  double clientCount = NumberIn(config, "clientCount", 1);
  rules_.connectTimeoutMs = NumberIn(config, "connectTimeoutMs", 0);
  rules_.statementTimeoutMs = NumberIn(config, "statementTimeoutMs", 0);
  rules_.refusedPauseMs = NumberIn(config, "refusedPauseMs", 0);
  rules_.shards = NumberIn(config, "shards", 1);
  if (!conninfo.IsString() || !userId.IsNumber() || !retry.IsObject() || std::isnan(clientCount) ||
      std::isnan(rules_.connectTimeoutMs) || std::isnan(rules_.statementTimeoutMs) ||
      std::isnan(rules_.refusedPauseMs) || std::isnan(rules_.shards)) {
    ThrowTypeError(env, usage);
    return;
  }
  Napi::Object policy = retry.As<Napi::Object>();
  rules_.retry = {NumberIn(policy, "maxRetries", 0), NumberIn(policy, "baseMs", 0), NumberIn(policy, "capMs", 0)};
  if (std::isnan(rules_.retry.maxRetries) || std::isnan(rules_.retry.baseMs) || std::isnan(rules_.retry.capMs)) {
    ThrowTypeError(env, "retry is { maxRetries, baseMs, capMs }, each >= 0");
    return;
  }
  if (!ReadMethod(env, config.Get("method"), &rules_.method)) return;
  rules_.conninfo = conninfo.As<Napi::String>().Utf8Value();
  rules_.userId = std::to_string(userId.As<Napi::Number>().Int64Value());
  conns_.resize(static_cast<size_t>(clientCount));
}

Napi::Value NumberOr(Napi::Object plan, const char* key, double fallback) {
  Napi::Value v = plan.Get(key);
  return v.IsNumber() ? v : Napi::Number::New(plan.Env(), fallback);
}

// run(plan, done: (result) => void)
Napi::Value PgLoader::RunMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    ThrowTypeError(env, "run(plan, done: function)");
    return env.Undefined();
  }
  if (running_ || conns_.empty()) {
    Napi::Error::New(env, running_ ? "PgLoader is running" : "PgLoader is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object p = info[0].As<Napi::Object>();
  Plan plan;
  plan.startUs = NumberOr(p, "startUs", NowUs()).As<Napi::Number>().DoubleValue();
  plan.deadlineUs = NumberOr(p, "deadlineUs", INFINITY).As<Napi::Number>().DoubleValue();
  plan.callsPerClient = NumberOr(p, "callsPerClient", INFINITY).As<Napi::Number>().DoubleValue();
  plan.intervalUs = NumberOr(p, "intervalUs", 0).As<Napi::Number>().DoubleValue();
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "pg-loader", 0, 1);
  if (env.IsExceptionPending()) return env.Undefined();
  running_ = true;
  stop_ = false;
  outbox_.Reset(conns_.size());
  Ref();
  thread_ = std::thread([this, plan]() {
    end_ = RunLoop(&conns_, rules_, plan, &outbox_, stop_);
    loopTime_ = http_loader::ReadThreadTime();
    tsfn_.BlockingCall([this](Napi::Env env, Napi::Function done) { Deliver(env, done); });
    tsfn_.Release();
  });
  return env.Undefined();
}

// drain(): the calls ended since the run began or since the last drain; the loop keeps none of them.
Napi::Value PgLoader::Drain(const Napi::CallbackInfo& info) {
  if (info.Length() != 0) {
    ThrowTypeError(info.Env(), "drain()");
    return info.Env().Undefined();
  }
  return http_loader::TakeCalls(info.Env(), &outbox_);
}

void PgLoader::Deliver(Napi::Env env, Napi::Function done) {
  thread_.join();
  running_ = false;
  Napi::Object result = http_loader::TakeCalls(env, &outbox_);
  result.Set("endUs", end_.endUs);
  result.Set("retryCount", end_.retryCount);
  Napi::Object loopTime = Napi::Object::New(env);
  loopTime.Set("cpuNs", loopTime_.cpuNs);
  loopTime.Set("waitNs", loopTime_.waitNs);
  result.Set("loopTime", loopTime);
  if (!end_.error.empty()) result.Set("error", end_.error);
  Unref();
  done.Call({result});
}

Napi::Value PgLoader::Close(const Napi::CallbackInfo& info) {
  if (running_) {
    Napi::Error::New(info.Env(), "PgLoader.close: a run is in progress").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Release();
  return info.Env().Undefined();
}

void PgLoader::Release() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  for (Conn& c : conns_) Finish(&c);
  conns_.clear();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PgLoader", PgLoader::Define(env));
  // The codes' names, from their one home (steps.h).
  exports.Set("paramNames", http_loader::Names(env, kParamNames));
  exports.Set("useNames", http_loader::Names(env, kUseNames));
  exports.Set("failureNames", http_loader::Names(env, kFailureNames));
  return exports;
}

}  // namespace
}  // namespace pg_loader

using pg_loader::Init;
NODE_API_MODULE(pg_loader, Init)
