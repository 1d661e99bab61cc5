// Names of NVML return codes ("NVML_ERROR_NOT_SUPPORTED"), independent of the library.
#pragma once

namespace wattscope {

// The symbolic name of an nvmlReturn_t value; "NVML_ERROR_UNKNOWN" for values we do not know.
const char* NvmlReturnName(int ret);

}  // namespace wattscope
