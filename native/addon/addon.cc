// addon.cc: module registration and the small synchronous functions (version, threads, presets).
//
// The binding is deliberately thin: each JS method maps to one engine call (or, for completion,
// prompt building plus generation), and anything slow runs in an EngineTask off the JS thread.
#include "checkpoint.h"
#include "suffix_sort.h"
#include "dataset.h"
#include "model.h"
#include "session.h"
#include "tokenizer.h"
#include "trainer.h"
#include "js_values.h"

namespace seedling {

AddonData &GetAddonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

namespace {

Napi::Value Version(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), sl_version()); }

Napi::Value KernelName(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), sl_cpu_kernel_name()); }

// cudaStatus(): {available, detail}: the device's name, or why CUDA cannot be used (no library, no
// device, a failed parity probe). The first call loads the CUDA library when one is installed.
Napi::Value CudaStatus(const Napi::CallbackInfo &info) {
    char detail[1024] = "";
    int available = sl_cuda_available(detail, sizeof detail);
    auto o = Napi::Object::New(info.Env());
    o.Set("available", Napi::Boolean::New(info.Env(), available != 0));
    o.Set("detail", Napi::String::New(info.Env(), detail));
    return o;
}

Napi::Value GetThreads(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), sl_get_threads()); }

// setThreads(n): the engine requires that no other engine work runs meanwhile; the engine process
// only calls it between requests.
Napi::Value SetThreads(const Napi::CallbackInfo &info) {
    // 0 = one per CPU; the pool itself caps what it accepts (sl_set_threads).
    int n = static_cast<int>(IntegerInRange(info.Env(), info[0], "thread count", 0, 4096));
    ThrowIfFailed(info.Env(), sl_set_threads(n));
    return Napi::Number::New(info.Env(), sl_get_threads());
}

Napi::Value ConfigPreset(const Napi::CallbackInfo &info) {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "preset name must be a string");
    sl_config config;
    ThrowIfFailed(info.Env(), sl_config_preset(info[0].As<Napi::String>().Utf8Value().c_str(), &config));
    return ConfigToJs(info.Env(), config);
}

Napi::Value ConfigNumParams(const Napi::CallbackInfo &info) {
    sl_config config = ConfigFromJs(info.Env(), info[0]);
    ThrowIfFailed(info.Env(), sl_config_validate(&config));
    return Napi::Number::New(info.Env(), static_cast<double>(sl_config_num_params(&config)));
}

Napi::Value TrainOptionsDefault(const Napi::CallbackInfo &info) {
    sl_train_options opts;
    sl_train_options_default(&opts);
    return TrainOptionsToJs(info.Env(), opts);
}

Napi::Value NewCancelToken(const Napi::CallbackInfo &info) {
    return GetAddonData(info.Env()).cancel_token.New({});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    auto *data = new AddonData();
    env.SetInstanceData(data);  // deleted by Node when the environment shuts down
    auto define = [&](const char *name, Napi::Function ctor, Napi::FunctionReference &ref) {
        ref = Napi::Persistent(ctor);
        exports.Set(name, ctor);
    };
    define("Tokenizer", TokenizerWrap::Define(env), data->tokenizer);
    define("Model", ModelWrap::Define(env), data->model);
    define("Dataset", DatasetWrap::Define(env), data->dataset);
    define("Trainer", TrainerWrap::Define(env), data->trainer);
    define("Session", SessionWrap::Define(env), data->session);
    define("CancelToken", CancelTokenWrap::Define(env), data->cancel_token);
    exports.Set("version", Napi::Function::New(env, Version));
    exports.Set("kernelName", Napi::Function::New(env, KernelName));
    exports.Set("cudaStatus", Napi::Function::New(env, CudaStatus));
    exports.Set("getThreads", Napi::Function::New(env, GetThreads));
    exports.Set("setThreads", Napi::Function::New(env, SetThreads));
    exports.Set("configPreset", Napi::Function::New(env, ConfigPreset));
    exports.Set("configNumParams", Napi::Function::New(env, ConfigNumParams));
    exports.Set("trainOptionsDefault", Napi::Function::New(env, TrainOptionsDefault));
    exports.Set("newCancelToken", Napi::Function::New(env, NewCancelToken));
    exports.Set("checkpointSave", Napi::Function::New(env, CheckpointSave));
    exports.Set("checkpointLoad", Napi::Function::New(env, CheckpointLoad));
    exports.Set("suffixSort", Napi::Function::New(env, SuffixSort));
    return exports;
}

}  // namespace

}  // namespace seedling

// NODE_API_MODULE pastes the name into an identifier, so it needs an unqualified one.
static Napi::Object InitSeedlingAddon(Napi::Env env, Napi::Object exports) { return seedling::Init(env, exports); }
NODE_API_MODULE(seedling, InitSeedlingAddon)
