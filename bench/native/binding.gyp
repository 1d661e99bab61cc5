{
  "targets": [
    {
      "target_name": "wattscope_bench",
      "sources": [
        "bench_addon.cc",
        "../../native/core/counter_schedule.cc",
        "../../native/core/device_queries.cc",
        "../../native/core/rapl.cc",
        "../../native/core/rapl_poller.cc",
        "../../native/core/sampler.cc",
        "../../native/nvml/nvml_codes.cc",
        "../../native/nvml/nvml_loader.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [["OS!='win'", {"libraries": ["-ldl", "-lpthread"]}]],
      "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "10.15"},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
    }
  ]
}
