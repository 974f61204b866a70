// What both loaders' bindings (http-loader/binding.cc, pg-loader/binding.cc) hand to JS the same
// way: the calls an outbox holds as typed arrays, a code table's names, the loop thread's time.

#pragma once

#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "load-loop.h"
#include "outbox.h"

namespace http_loader {

// A thread's time on a CPU and waiting for one (nanoseconds), from the kernel's schedstat.
struct ThreadTime {
  double cpuNs = NAN, waitNs = NAN;
};

// The calling thread's scheduler statistics from /proc/thread-self/schedstat: nanoseconds on a CPU and
// waiting on a run queue. Read by the loop thread itself just before it ends, since its entry in
// /proc/self/task goes with it; NAN where the kernel keeps no schedstat.
inline ThreadTime ReadThreadTime() {
  ThreadTime time;
  if (FILE* file = std::fopen("/proc/thread-self/schedstat", "r")) {
    unsigned long long cpuNs = 0, waitNs = 0;
    if (std::fscanf(file, "%llu %llu", &cpuNs, &waitNs) == 2) {
      time.cpuNs = static_cast<double>(cpuNs);
      time.waitNs = static_cast<double>(waitNs);
    }
    std::fclose(file);
  }
  return time;
}

// The run's plan as JS gives it (startUs, deadlineUs, callsPerClient, intervalUs), with the
// defaults of what it leaves out: now, no deadline, no call limit, the closed loop.
inline Plan ReadPlan(Napi::Object js) {
  auto number = [&js](const char* key, double fallback) {
    Napi::Value v = js.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
  };
  Plan plan;
  plan.startUs = number("startUs", NowUs());
  plan.deadlineUs = number("deadlineUs", INFINITY);
  plan.callsPerClient = number("callsPerClient", INFINITY);
  plan.intervalUs = number("intervalUs", 0);
  return plan;
}

template <typename T, typename Array>
inline Array Column(Napi::Env env, const std::vector<T>& values) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, values.size() * sizeof(T));
  if (!values.empty()) memcpy(buffer.Data(), values.data(), values.size() * sizeof(T));
  return Array::New(env, values.size(), buffer, 0);
}

// The calls the outbox holds, taken from it: { clientIndex, dueUs, invokeUs, completeUs, values,
// sides, watermarkUs }.
inline Napi::Object TakeCalls(Napi::Env env, Outbox* outbox) {
  double watermarkUs = 0;
  Calls calls = outbox->Take(&watermarkUs);
  Napi::Object result = Napi::Object::New(env);
  result.Set("clientIndex", Column<uint32_t, Napi::Uint32Array>(env, calls.clients));
  result.Set("dueUs", Column<double, Napi::Float64Array>(env, calls.dueUs));
  result.Set("invokeUs", Column<double, Napi::Float64Array>(env, calls.invokeUs));
  result.Set("completeUs", Column<double, Napi::Float64Array>(env, calls.completeUs));
  result.Set("values", Column<double, Napi::Float64Array>(env, calls.values));
  const Sides& s = calls.sides;
  Napi::Object sides = Napi::Object::New(env);
  sides.Set("index", Column<uint32_t, Napi::Uint32Array>(env, s.index));
  sides.Set("target", Column<uint32_t, Napi::Uint32Array>(env, s.target));
  sides.Set("end", Column<uint32_t, Napi::Uint32Array>(env, s.end));
  sides.Set("status", Column<uint16_t, Napi::Uint16Array>(env, s.status));
  sides.Set("type", Column<uint8_t, Napi::Uint8Array>(env, s.type));
  sides.Set("flag", Column<uint8_t, Napi::Uint8Array>(env, s.flag));
  sides.Set("kind", Column<uint8_t, Napi::Uint8Array>(env, s.kind));
  sides.Set("bytes", Napi::Buffer<char>::Copy(env, s.bytes.data(), s.bytes.size()));
  result.Set("sides", sides);
  result.Set("watermarkUs", watermarkUs);
  return result;
}

// A code's name at its index (undefined for a null name), as JS reads LoaderSides codes.
template <size_t N>
inline Napi::Array Names(Napi::Env env, const char* const (&names)[N]) {
  Napi::Array array = Napi::Array::New(env, N);
  for (size_t k = 0; k < N; k++) {
    Napi::Value name = names[k] != nullptr ? Napi::Value(Napi::String::New(env, names[k])) : env.Undefined();
    array.Set(static_cast<uint32_t>(k), name);
  }
  return array;
}

}  // namespace http_loader
