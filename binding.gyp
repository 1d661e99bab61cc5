{
  "variables": {
    "wattscope_addon_sources": [
      "native/addon/addon.cc",
      "native/addon/sampler_js.cc",
      "native/addon/session_js.cc",
      "native/core/counter_schedule.cc",
      "native/core/driver_stream.cc",
      "native/core/device_queries.cc",
      "native/core/rapl.cc",
      "native/core/rapl_poller.cc",
      "native/core/sampler.cc",
      "native/nvml/nvml_codes.cc",
      "native/nvml/nvml_loader.cc"
    ],
    "wattscope_sim_sources": [
      "native/sim/sim_nvml.cc",
      "native/sim/sim_nvml_device.cc",
      "native/sim/sim_nvml_power.cc",
      "native/sim/sim_state.cc",
      "native/sim/sim_response.cc",
      "native/sim/sim_profile_h200.cc",
      "native/sim/sim_replay.cc"
    ]
  },
  "targets": [
    {
      "target_name": "wattscope",
      "sources": ["<@(wattscope_addon_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", {"libraries": ["-ldl", "-lpthread"]}],
        ["OS=='win'", {"defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX"]}]
      ],
      "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "10.15"},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
    },
    {
      "target_name": "wattscope_simgpu",
      "type": "shared_library",
      "product_prefix": "lib",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": ["<@(wattscope_sim_sources)"],
      "cflags": ["-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [["OS=='win'", {"defines": ["NOMINMAX"]}]],
      "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17"},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
    },
    {
      "target_name": "wattscope_simgpu_legacy",
      "type": "shared_library",
      "product_prefix": "lib",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": ["<@(wattscope_sim_sources)"],
      "defines": ["WATTSCOPE_SIM_LEGACY"],
      "cflags": ["-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [["OS=='win'", {"defines": ["NOMINMAX"]}]],
      "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17"},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
    }
  ]
}
