// tokenizer.h: the Tokenizer class (tokenizer.cc).
#pragma once

#include "handle_wrap.h"

namespace seedling {

class TokenizerWrap : public HandleWrap<TokenizerWrap, sl_tokenizer, sl_tokenizer_free> {
public:
    static constexpr const char *kName = "Tokenizer";
    static Napi::Function Define(Napi::Env env);
    using HandleWrap::HandleWrap;
    static TokenizerWrap *From(Napi::Env env, Napi::Value v) { return UnwrapChecked(env, v, GetAddonData(env).tokenizer); }

private:
    static Napi::Value Train(const Napi::CallbackInfo &info);
    static Napi::Value Bytes(const Napi::CallbackInfo &info);
    static Napi::Value Deserialize(const Napi::CallbackInfo &info);
    Napi::Value VocabSize(const Napi::CallbackInfo &info);
    Napi::Value Encode(const Napi::CallbackInfo &info);
    Napi::Value Decode(const Napi::CallbackInfo &info);
    Napi::Value TokenBytes(const Napi::CallbackInfo &info);
    Napi::Value Serialize(const Napi::CallbackInfo &info);
};

}  // namespace seedling
