// dataset.h: the Dataset class (dataset.cc): tokenized training text.
#pragma once

#include "handle_wrap.h"

namespace seedling {

class DatasetWrap : public HandleWrap<DatasetWrap, sl_dataset, sl_dataset_free> {
public:
    static constexpr const char *kName = "Dataset";
    static Napi::Function Define(Napi::Env env);
    using HandleWrap::HandleWrap;
    static DatasetWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).dataset); }

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value NumTokens(const Napi::CallbackInfo &info);
};

}  // namespace seedling
