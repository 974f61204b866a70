{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    # No C++ exceptions anywhere: every error becomes a pending JS exception
    # and the function returns, so nothing can unwind through N-API frames.
    "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
    "cflags!": ["-fexceptions"],
    "cflags_cc!": ["-fexceptions"],
    "cflags_cc": ["-fno-exceptions"],
    "configurations": {
      "Release": {
        "cflags!": ["-O3"],
        "cflags_cc!": ["-O3"],
        "cflags": ["-O2"],
        "cflags_cc": ["-O2"]
      }
    }
  },
  "targets": [
    # The server's counters (shared memory, file).
    { "target_name": "counters_native", "sources": ["native/counters.cc"] },
    # The tester's web load loop: loaded only by the tester, which falls back to JS without it.
    # Split as wrk splits it: response framing, the epoll loop, the N-API binding; and the outbox
    # that hands ended calls from the loop's thread to JS while it runs.
    {
      "target_name": "http_loader",
      "sources": [
        "native/http-loader/response-frame.cc",
        "native/http-loader/outbox.cc",
        "native/http-loader/load-loop.cc",
        "native/http-loader/binding.cc"
      ]
    },
    # The tester's PostgreSQL load loop: libpq's asynchronous API in an epoll loop, the same outbox.
    {
      "target_name": "pg_loader",
      "sources": [
        "native/http-loader/outbox.cc",
        "native/pg-loader/pg-loop.cc",
        "native/pg-loader/binding.cc"
      ],
      "include_dirs": ["<!(pg_config --includedir)"],
      "libraries": ["-lpq"]
    },
    # The tester's Hazelcast load loop: the Open Binary Client Protocol over one socket per client,
    # each method's requests encoded by TS with hazelcast-client's codecs; the same outbox.
    {
      "target_name": "hz_loader",
      "sources": [
        "native/http-loader/outbox.cc",
        "native/hz-loader/hz-loop.cc",
        "native/hz-loader/binding.cc"
      ]
    }
  ]
}
