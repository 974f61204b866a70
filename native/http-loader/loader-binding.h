// The JS face both loaders share (HttpLoader, pg-loader's PgLoader): run(plan, done) runs the loop
// on a thread of its own, drain() hands over the calls ended so far, done(result) gets the rest
// with how the run ended, close() releases the connections. Each loader adds its config and loop:
//   static constexpr const char* kName;         its class name, for messages
//   End Loop(const Plan&, Outbox*, const std::atomic<bool>& stop);   on the loop thread
//   static void AddEnd(Napi::Object result, const End& end);        what its result adds
//   static void CloseConn(Conn* conn);                               on close, and when collected
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: misuse sets a pending JS exception and the function returns.

#pragma once

#include <napi.h>

#include <atomic>
#include <thread>
#include <vector>

#include "call-loop.h"
#include "calls-to-js.h"
#include "load-loop.h"
#include "outbox.h"

namespace http_loader {

template <typename Derived, typename Conn, typename End>
class LoaderBinding : public Napi::ObjectWrap<Derived> {
 public:
  static Napi::Function Define(Napi::Env env) {
    using Wrap = Napi::ObjectWrap<Derived>;
    return Wrap::DefineClass(env, Derived::kName,
                             {Wrap::InstanceMethod("run", &LoaderBinding::RunMethod),
                              Wrap::InstanceMethod("drain", &LoaderBinding::Drain),
                              Wrap::InstanceMethod("close", &LoaderBinding::Close)});
  }

  explicit LoaderBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}
  ~LoaderBinding() override { Release(); }

 protected:
  std::vector<Conn> conns_;

 private:
  // run(plan, done: (result) => void)
  Napi::Value RunMethod(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "run(plan, done: function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (running_ || conns_.empty()) {
      std::string why = std::string(Derived::kName) + (running_ ? " is running" : " is closed");
      Napi::Error::New(env, why).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Plan plan = ReadPlan(info[0].As<Napi::Object>());
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), Derived::kName, 0, 1);
    if (env.IsExceptionPending()) return env.Undefined();
    running_ = true;
    stop_ = false;
    outbox_.Reset(conns_.size());
    this->Ref();
    thread_ = std::thread([this, plan]() {
      end_ = static_cast<Derived*>(this)->Loop(plan, &outbox_, stop_);
      loopTime_ = ReadThreadTime();
      tsfn_.BlockingCall([this](Napi::Env env, Napi::Function done) { Deliver(env, done); });
      tsfn_.Release();
    });
    return env.Undefined();
  }

  // drain(): the calls ended since the run began or since the last drain; the loop keeps none of them.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    if (info.Length() != 0) {
      Napi::TypeError::New(info.Env(), "drain()").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return TakeCalls(info.Env(), &outbox_);
  }

  void Deliver(Napi::Env env, Napi::Function done) {
    thread_.join();
    running_ = false;
    Napi::Object result = TakeCalls(env, &outbox_);
    result.Set("endUs", end_.endUs);
    Derived::AddEnd(result, end_);
    // The thread was started for this run: its statistics are this run's alone.
    Napi::Object loopTime = Napi::Object::New(env);
    loopTime.Set("cpuNs", loopTime_.cpuNs);
    loopTime.Set("waitNs", loopTime_.waitNs);
    result.Set("loopTime", loopTime);
    if (!end_.error.empty()) result.Set("error", end_.error);
    this->Unref();
    done.Call({result});
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (running_) {
      std::string why = std::string(Derived::kName) + ".close: a run is in progress";
      Napi::Error::New(info.Env(), why).ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
    for (Conn& c : conns_) Derived::CloseConn(&c);
    conns_.clear();
  }

  std::thread thread_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  Outbox outbox_;
  End end_;
  ThreadTime loopTime_;
  Napi::ThreadSafeFunction tsfn_;
};

// A protocol loader (pg-loader, hz-loader): its loop is its namespace's RunLoop(&conns, rules,
// plan, outbox, stop) over a CallLoop (call-loop.h), found by argument-dependent lookup as is its
// Finish(conn); its result adds the run's retries. The derived class adds kName and reads rules_.
template <typename Derived, typename Conn, typename Rules>
class ProtocolBinding : public LoaderBinding<Derived, Conn, CallLoopEnd> {
 public:
  explicit ProtocolBinding(const Napi::CallbackInfo& info) : LoaderBinding<Derived, Conn, CallLoopEnd>(info) {}

  CallLoopEnd Loop(const Plan& plan, Outbox* outbox, const std::atomic<bool>& stop) {
    return RunLoop(&this->conns_, rules_, plan, outbox, stop);
  }
  static void AddEnd(Napi::Object result, const CallLoopEnd& end) { result.Set("retryCount", end.retryCount); }
  static void CloseConn(Conn* conn) { Finish(conn); }

 protected:
  Rules rules_;
};

}  // namespace http_loader
