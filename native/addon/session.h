// session.h: the Session class and its CancelToken (session.cc).
#pragma once

#include "model.h"

namespace seedling {

// A flag JS raises to stop a running generation between tokens (sl_generate_options.cancel).
class CancelTokenWrap : public Napi::ObjectWrap<CancelTokenWrap> {
public:
    static constexpr const char *kName = "CancelToken";
    static Napi::Function Define(Napi::Env env);
    explicit CancelTokenWrap(const Napi::CallbackInfo &info);
    static CancelTokenWrap *From(Napi::Env env, Napi::Value v);
    const volatile int32_t *flag() const { return &flag_; }

private:
    Napi::Value Cancel(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value IsCancelled(const Napi::CallbackInfo &info);
    volatile int32_t flag_ = 0;
};

class SessionWrap : public ModelDependentWrap<SessionWrap, sl_session, sl_session_free> {
public:
    static constexpr const char *kName = "Session";
    static Napi::Function Define(Napi::Env env);
    using ModelDependentWrap::ModelDependentWrap;

private:
    static Napi::Value Create(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value Generate(const Napi::CallbackInfo &info);
    Napi::Value Complete(const Napi::CallbackInfo &info);
    Napi::Value Logits(const Napi::CallbackInfo &info);
    Napi::Value Score(const Napi::CallbackInfo &info);
};

}  // namespace seedling
