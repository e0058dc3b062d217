// session.cc: the Session class (KV-cached generation) and CancelToken.
#include <memory>

#include "handles.h"
#include "js_values.h"

namespace seedling {

// ---- CancelToken -----------------------------------------------------------------------------

Napi::Function CancelTokenWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           InstanceMethod("cancel", &CancelTokenWrap::Cancel),
                           InstanceMethod("reset", &CancelTokenWrap::Reset),
                           InstanceAccessor("cancelled", &CancelTokenWrap::IsCancelled, nullptr),
                       });
}

CancelTokenWrap::CancelTokenWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CancelTokenWrap>(info) {}

CancelTokenWrap *CancelTokenWrap::From(Napi::Env env, Napi::Value v) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(GetAddonData(env).cancel_token.Value()))
        throw Napi::TypeError::New(env, "expected a CancelToken");
    return Unwrap(v.As<Napi::Object>());
}

// The worker thread reads the flag between tokens; a plain volatile store is what the C API takes.
Napi::Value CancelTokenWrap::Cancel(const Napi::CallbackInfo &info) {
    flag_ = 1;
    return info.Env().Undefined();
}

Napi::Value CancelTokenWrap::Reset(const Napi::CallbackInfo &info) {
    flag_ = 0;
    return info.Env().Undefined();
}

Napi::Value CancelTokenWrap::IsCancelled(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), flag_ != 0);
}

// ---- Session ---------------------------------------------------------------------------------

Napi::Function SessionWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           StaticMethod("create", &SessionWrap::Create),
                           InstanceMethod("reset", &SessionWrap::Reset),
                           InstanceMethod("generate", &SessionWrap::Generate),
                           InstanceMethod("complete", &SessionWrap::Complete),
                           InstanceMethod("logits", &SessionWrap::Logits),
                           InstanceMethod("dispose", &SessionWrap::Dispose),
                           InstanceAccessor("disposed", &SessionWrap::IsDisposed, nullptr),
                       });
}

// Session.create(model): Session
Napi::Value SessionWrap::Create(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    ModelWrap *model = ModelWrap::From(env, info[0]);
    sl_session *session = nullptr;
    ThrowIfFailed(env, sl_session_create(model->GetIdle(env), &session));
    Napi::Object object = New(env, GetAddonData(env).session, session);
    Unwrap(object)->AttachModel(info[0].As<Napi::Object>());
    return object;
}

Napi::Value SessionWrap::Reset(const Napi::CallbackInfo &info) {
    sl_session_reset(GetIdle(info.Env()));
    return info.Env().Undefined();
}

namespace {

// Generation options with their strings owned (the worker thread reads them after the JS call).
struct GenerateRequest {
    sl_generate_options opts;
    std::vector<std::string> stop;
    std::vector<const char *> stop_ptrs;
    std::string required_prefix;
    char *text = nullptr;
    size_t len = 0;
    sl_generate_stats stats{};
    ~GenerateRequest() { sl_free(text); }

    void Read(Napi::Env env, Napi::Value value) {
        sl_generate_options_default(&opts);
        if (!value.IsObject()) return;
        auto o = value.As<Napi::Object>();
        opts.max_tokens = static_cast<int32_t>(OptionalNumber(o, "maxTokens", opts.max_tokens));
        opts.temperature = static_cast<float>(OptionalNumber(o, "temperature", opts.temperature));
        opts.top_k = static_cast<int32_t>(OptionalNumber(o, "topK", opts.top_k));
        opts.top_p = static_cast<float>(OptionalNumber(o, "topP", opts.top_p));
        opts.seed = static_cast<uint64_t>(OptionalNumber(o, "seed", static_cast<double>(opts.seed)));
        Napi::Value stops = o.Get("stop");
        if (stops.IsArray()) {
            auto array = stops.As<Napi::Array>();
            for (uint32_t i = 0; i < array.Length(); i++) stop.push_back(ReadBytes(env, array.Get(i), "stop string"));
        }
        Napi::Value prefix = o.Get("requiredPrefix");
        if (!prefix.IsUndefined() && !prefix.IsNull()) required_prefix = ReadBytes(env, prefix, "requiredPrefix");
    }
    // Pointers into our own strings, taken once the strings no longer move.
    void Finish(const volatile int32_t *cancel) {
        for (const auto &s : stop) stop_ptrs.push_back(s.c_str());
        opts.stop = stop_ptrs.empty() ? nullptr : stop_ptrs.data();
        opts.n_stop = static_cast<int32_t>(stop_ptrs.size());
        opts.required_prefix = required_prefix.empty() ? nullptr : required_prefix.c_str();
        opts.required_prefix_len = required_prefix.size();
        opts.cancel = cancel;
    }
    Napi::Object Result(Napi::Env env) const {
        static const char *const kStoppedBy[] = {"budget", "end-of-text", "stop", "cancelled"};
        auto out = Napi::Object::New(env);
        out.Set("text", Napi::String::New(env, text ? text : "", len));
        out.Set("promptTokens", stats.prompt_tokens);
        out.Set("reusedTokens", stats.reused_tokens);
        out.Set("generatedTokens", stats.generated_tokens);
        out.Set("stoppedBy", stats.stopped_by >= 0 && stats.stopped_by < 4 ? kStoppedBy[stats.stopped_by] : "unknown");
        out.Set("promptMs", stats.prompt_ms);
        out.Set("decodeMs", stats.decode_ms);
        return out;
    }
};

// Options argument may carry `cancel: CancelToken`; the token object is kept alive by the task.
const volatile int32_t *ReadCancel(Napi::Env env, Napi::Value options, std::vector<Napi::Object> *keep) {
    if (!options.IsObject()) return nullptr;
    Napi::Value token = options.As<Napi::Object>().Get("cancel");
    if (token.IsUndefined() || token.IsNull()) return nullptr;
    CancelTokenWrap *wrap = CancelTokenWrap::From(env, token);
    keep->push_back(token.As<Napi::Object>());
    return wrap->flag();
}

}  // namespace

// generate(tokenizer, promptTokens, options?): Promise<{text, promptTokens, reusedTokens, ...}>
Napi::Value SessionWrap::Generate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_session *session = Get(env);
    TokenizerWrap *tokenizer = TokenizerWrap::From(env, info[0]);
    sl_tokenizer *tok = tokenizer->Get(env);
    auto prompt = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[1], "prompt"));
    auto request = std::make_shared<GenerateRequest>();
    request->Read(env, info[2]);
    std::vector<Napi::Object> keep = {Value(), info[0].As<Napi::Object>()};
    request->Finish(ReadCancel(env, info[2], &keep));
    AcquireAll(env, {{&busy, "session"}, {&model_->busy, "model"}, {&tokenizer->busy, "tokenizer"}});
    return EngineTask::Start(
        env, "seedling.session.generate", {&busy, &model_->busy, &tokenizer->busy}, keep,
        [session, tok, prompt, request]() {
            return sl_session_generate(session, tok, prompt->data(), prompt->size(), &request->opts, &request->text,
                                       &request->len, &request->stats);
        },
        [request](Napi::Env env) -> Napi::Value { return request->Result(env); });
}

// complete(tokenizer, prefix, suffix, options?): build the fill-in-the-middle prompt and generate,
// in one worker task (one thread hop per completion request). options.maxPromptTokens caps the
// prompt (default: the context minus the generation budget).
Napi::Value SessionWrap::Complete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_session *session = Get(env);
    TokenizerWrap *tokenizer = TokenizerWrap::From(env, info[0]);
    sl_tokenizer *tok = tokenizer->Get(env);
    auto prefix = std::make_shared<std::string>(ReadBytes(env, info[1], "prefix"));
    auto suffix = std::make_shared<std::string>(ReadBytes(env, info[2], "suffix"));
    auto request = std::make_shared<GenerateRequest>();
    request->Read(env, info[3]);
    std::vector<Napi::Object> keep = {Value(), info[0].As<Napi::Object>()};
    request->Finish(ReadCancel(env, info[3], &keep));
    int32_t context = sl_model_config(model_->Get(env)).context_length;
    int32_t max_prompt = context - request->opts.max_tokens;
    if (info[3].IsObject())
        max_prompt = static_cast<int32_t>(OptionalNumber(info[3].As<Napi::Object>(), "maxPromptTokens", max_prompt));
    if (max_prompt < 8) throw Napi::RangeError::New(env, "maxTokens leaves no room for the prompt in the context");
    AcquireAll(env, {{&busy, "session"}, {&model_->busy, "model"}, {&tokenizer->busy, "tokenizer"}});
    return EngineTask::Start(
        env, "seedling.session.complete", {&busy, &model_->busy, &tokenizer->busy}, keep,
        [session, tok, prefix, suffix, max_prompt, request]() {
            int32_t *prompt = nullptr;
            size_t n_prompt = 0;
            sl_status st = sl_build_fim_prompt(tok, prefix->data(), prefix->size(), suffix->data(), suffix->size(),
                                               max_prompt, &prompt, &n_prompt);
            if (st != SL_OK) return st;
            st = sl_session_generate(session, tok, prompt, n_prompt, &request->opts, &request->text, &request->len,
                                     &request->stats);
            sl_free(prompt);
            return st;
        },
        [request](Napi::Env env) -> Napi::Value { return request->Result(env); });
}

// logits(promptTokens): Promise<Float32Array> of vocab_size logits for the next token.
Napi::Value SessionWrap::Logits(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_session *session = Get(env);
    auto prompt = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[0], "prompt"));
    auto logits = std::make_shared<std::vector<float>>(sl_model_config(model_->Get(env)).vocab_size);
    AcquireAll(env, {{&busy, "session"}, {&model_->busy, "model"}});
    return EngineTask::Start(
        env, "seedling.session.logits", {&busy, &model_->busy}, {Value()},
        [session, prompt, logits]() { return sl_session_logits(session, prompt->data(), prompt->size(), logits->data()); },
        [logits](Napi::Env env) -> Napi::Value { return MakeFloat32Array(env, logits->data(), logits->size()); });
}

}  // namespace seedling
