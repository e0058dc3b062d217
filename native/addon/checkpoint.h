// checkpoint.h: checkpoint save and load as free functions (checkpoint.cc).
#pragma once

#include <napi.h>

namespace seedling {

// exports.checkpointSave and exports.checkpointLoad.
Napi::Value CheckpointSave(const Napi::CallbackInfo &info);
Napi::Value CheckpointLoad(const Napi::CallbackInfo &info);

}  // namespace seedling
