{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/mount.cc",
        "native/nodes.cc",
        "native/batch.cc",
        "native/copy.cc",
        "native/lock.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-Wall", "-Wextra", "-fstack-protector-strong", "-fvisibility=hidden"],
      "cflags": ["-Wall"]
    }
  ]
}
