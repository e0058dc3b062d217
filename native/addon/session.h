// session.h: the Session class and its CancelToken (session.cc).
#pragma once

#include "model.h"

namespace seedling {

// A flag JS raises to stop a running generation between tokens or an attention map between layers
// (sl_cancel_flag: a C11 atomic, raised on the JS thread and read on a worker thread). A task that
// reads it keeps this object alive, so the flag outlives every read.
class CancelTokenWrap : public Napi::ObjectWrap<CancelTokenWrap> {
public:
    static constexpr const char *kName = "CancelToken";
    static Napi::Function Define(Napi::Env env);
    explicit CancelTokenWrap(const Napi::CallbackInfo &info);
    ~CancelTokenWrap() override;
    static CancelTokenWrap *From(Napi::Env env, Napi::Value v);
    const sl_cancel_flag *flag() const { return flag_; }

private:
    Napi::Value Cancel(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value IsCancelled(const Napi::CallbackInfo &info);
    sl_cancel_flag *flag_ = nullptr;
};

// Options argument may carry `cancel: CancelToken`; its object goes into *keep (kept alive by the task).
const sl_cancel_flag *ReadCancel(Napi::Env env, Napi::Value options, std::vector<Napi::Object> *keep);

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
