{
  "targets": [
    {
      "target_name": "contxray",
      "sources": ["addon.cc", "recorder.cc", "syscalls.cc", "decode.cc", "js.cc", "errors.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../bpf",
        "../bpf/.output"
      ],
      "libraries": ["<!@(pkg-config --libs libbpf)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wno-missing-field-initializers"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
