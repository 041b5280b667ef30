{
  "variables": {
    # scripts/prebuild.sh sets CONTXRAY_STATIC_LIBS to the libbpf.a, libelf.a (PIC) and libz.a to link
    # statically, symbols kept private, so the prebuilt addon needs nothing beyond libc/libstdc++.
    "static_libs%": "<!(node -p \"process.env.CONTXRAY_STATIC_LIBS || ''\")"
  },
  "targets": [
    {
      "target_name": "contxray",
      "sources": ["addon.cc", "recorder.cc", "syscalls.cc", "decode.cc", "js.cc", "errors.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../bpf",
        "../bpf/.output"
      ],
      "conditions": [
        ["static_libs!=''", {
          "sources": ["glibc-compat.c"],
          "libraries": ["-Wl,--exclude-libs,ALL", "<!@(node -p \"process.env.CONTXRAY_STATIC_LIBS\")"]
        }, {
          "libraries": ["<!@(pkg-config --libs libbpf)"]
        }]
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wno-missing-field-initializers"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
