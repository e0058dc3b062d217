// session.cc: the Session class (KV-cached generation) and CancelToken.
#include <cstring>
#include <memory>

#include "session.h"
#include "tokenizer.h"
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

CancelTokenWrap::CancelTokenWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CancelTokenWrap>(info) {
    ThrowIfFailed(info.Env(), sl_cancel_flag_create(&flag_));
}

CancelTokenWrap::~CancelTokenWrap() { sl_cancel_flag_free(flag_); }

CancelTokenWrap *CancelTokenWrap::From(Napi::Env env, Napi::Value v) {
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(GetAddonData(env).cancel_token.Value()))
        throw Napi::TypeError::New(env, "expected a CancelToken");
    return Unwrap(v.As<Napi::Object>());
}

Napi::Value CancelTokenWrap::Cancel(const Napi::CallbackInfo &info) {
    sl_cancel_flag_set(flag_, 1);
    return info.Env().Undefined();
}

Napi::Value CancelTokenWrap::Reset(const Napi::CallbackInfo &info) {
    sl_cancel_flag_set(flag_, 0);
    return info.Env().Undefined();
}

Napi::Value CancelTokenWrap::IsCancelled(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), sl_cancel_flag_is_set(flag_) != 0);
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
                           InstanceMethod("score", &SessionWrap::Score),
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
        opts.max_tokens = OptionalInt32(o, "maxTokens", opts.max_tokens, 0, INT32_MAX);
        opts.temperature = OptionalFloat(o, "temperature", opts.temperature);
        opts.top_k = OptionalInt32(o, "topK", opts.top_k, 0, INT32_MAX);
        opts.top_p = OptionalFloat(o, "topP", opts.top_p);
        opts.seed = OptionalSeed(o, "seed", opts.seed);
        Napi::Value stops = o.Get("stop");
        if (stops.IsArray()) {
            auto array = stops.As<Napi::Array>();
            for (uint32_t i = 0; i < array.Length(); i++) stop.push_back(ReadBytes(env, array.Get(i), "stop string"));
        }
        Napi::Value prefix = o.Get("requiredPrefix");
        if (!prefix.IsUndefined() && !prefix.IsNull()) required_prefix = ReadBytes(env, prefix, "requiredPrefix");
    }
    // Pointers into our own strings, taken once the strings no longer move.
    void Finish(const sl_cancel_flag *cancel) {
        for (const auto &s : stop) stop_ptrs.push_back(s.c_str());
        opts.stop = stop_ptrs.empty() ? nullptr : stop_ptrs.data();
        opts.n_stop = static_cast<int32_t>(stop_ptrs.size());
        opts.required_prefix = required_prefix.empty() ? nullptr : required_prefix.c_str();
        opts.required_prefix_len = required_prefix.size();
        opts.cancel = cancel;
    }
    Napi::Object Result(Napi::Env env) const {
        auto out = Napi::Object::New(env);
        out.Set("text", Napi::String::New(env, text ? text : "", len));
        out.Set("promptTokens", stats.prompt_tokens);
        out.Set("reusedTokens", stats.reused_tokens);
        out.Set("generatedTokens", stats.generated_tokens);
        out.Set("stoppedBy", sl_stop_reason_name(stats.stopped_by));
        out.Set("promptMs", stats.prompt_ms);
        out.Set("decodeMs", stats.decode_ms);
        return out;
    }
};

}  // namespace

const sl_cancel_flag *ReadCancel(Napi::Env env, Napi::Value options, std::vector<Napi::Object> *keep) {
    if (!options.IsObject()) return nullptr;
    Napi::Value token = options.As<Napi::Object>().Get("cancel");
    if (token.IsUndefined() || token.IsNull()) return nullptr;
    CancelTokenWrap *wrap = CancelTokenWrap::From(env, token);
    keep->push_back(token.As<Napi::Object>());
    return wrap->flag();
}

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

namespace {

// What a completion prompt is made of, read from complete()'s options on the JS thread.
//  - promptMode "fim" (default): FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE; "prefix": the
//    prefix alone (a model that never learned fill-in-the-middle does better without the markers).
//  - heal: back the prefix up to the start of its last pre-token (the partial word, or the run of
//    whitespace, at the cursor) and make generation begin with the removed bytes, so the model
//    chooses the token that spans the cursor as it saw such tokens in training. The removed text
//    is stripped from the answer and reported as `healed`.
//  - context: related code (retrieved from the workspace) placed first, then FILE_SEP, as training
//    packs it; it receives at most contextMaxTokens (default a third of the prompt), keeping its end
//    (the best-ranked chunk comes last, nearest the cursor).
struct CompletePrompt {
    std::string prefix, suffix, context, healed;
    bool fim = true;
    int32_t max_prompt = 0, max_context = 0;
    bool return_prompt = false;
    std::vector<int32_t> tokens;  // the prompt that was run (filled by the worker)

    void Read(Napi::Env env, Napi::Value options, int32_t context_length, int32_t max_tokens) {
        max_prompt = context_length - max_tokens;
        bool heal = false;
        if (options.IsObject()) {
            auto o = options.As<Napi::Object>();
            max_prompt = OptionalInt32(o, "maxPromptTokens", max_prompt, INT32_MIN, INT32_MAX);
            Napi::Value mode = o.Get("promptMode");
            if (!mode.IsUndefined() && !mode.IsNull()) {
                std::string m = mode.IsString() ? mode.As<Napi::String>().Utf8Value() : "";
                if (m != "fim" && m != "prefix") throw Napi::TypeError::New(env, "promptMode must be \"fim\" or \"prefix\"");
                fim = m == "fim";
            }
            heal = o.Get("heal").ToBoolean().Value();
            return_prompt = o.Get("returnPrompt").ToBoolean().Value();
            Napi::Value ctx = o.Get("context");
            if (!ctx.IsUndefined() && !ctx.IsNull()) {
                context = ReadBytes(env, ctx, "context");
                // The share of the prompt that related code may take is the completion policy's to
                // decide (src/engine/cursorCompletion.ts), in one place: no default here.
                if (!o.Get("contextMaxTokens").IsNumber())
                    throw Napi::TypeError::New(env, "contextMaxTokens is required with context");
                max_context = OptionalInt32(o, "contextMaxTokens", 0, 0, INT32_MAX);
            }
        }
        if (max_prompt < 8) throw Napi::RangeError::New(env, "maxTokens leaves no room for the prompt in the context");
        if (max_context < 0 || max_context > max_prompt / 2)
            throw Napi::RangeError::New(env, "contextMaxTokens must be between 0 and half the prompt budget");
        if (heal) {
            size_t cut = sl_pretoken_start(prefix.data(), prefix.size());
            healed = prefix.substr(cut);
            prefix.resize(cut);
        }
    }

    // Runs on the worker thread.
    sl_status Build(const sl_tokenizer *tok) {
        tokens.clear();
        int32_t *ids = nullptr;
        size_t n = 0;
        sl_status st = SL_OK;
        if (!context.empty() && max_context > 1) {
            st = sl_tokenizer_encode(tok, context.data(), context.size(), &ids, &n);
            if (st != SL_OK) return st;
            size_t keep = n < static_cast<size_t>(max_context - 1) ? n : static_cast<size_t>(max_context - 1);
            tokens.assign(ids + (n - keep), ids + n);
            tokens.push_back(SL_TOKEN_FILE_SEP);
            sl_free(ids);
        }
        int32_t budget = max_prompt - static_cast<int32_t>(tokens.size());
        if (fim) {
            st = sl_build_fim_prompt(tok, prefix.data(), prefix.size(), suffix.data(), suffix.size(), budget, &ids, &n);
            if (st != SL_OK) return st;
            tokens.insert(tokens.end(), ids, ids + n);
        } else {
            st = sl_tokenizer_encode(tok, prefix.data(), prefix.size(), &ids, &n);
            if (st != SL_OK) return st;
            size_t keep = n < static_cast<size_t>(budget) ? n : static_cast<size_t>(budget);
            tokens.insert(tokens.end(), ids + (n - keep), ids + n);
            // Healing may leave nothing before the cursor: start from a document boundary.
            if (tokens.empty()) tokens.push_back(SL_TOKEN_FILE_SEP);
        }
        sl_free(ids);
        return SL_OK;
    }
};

// Generated text begins with the healed bytes (or, if generation stopped early, is a prefix of
// them): what the user already typed is not part of the suggestion.
void StripHealed(char *text, size_t *len, const std::string &healed) {
    if (!text || healed.empty()) return;
    size_t n = healed.size() < *len ? healed.size() : *len;
    memmove(text, text + n, *len - n + 1);  // and the NUL
    *len -= n;
}

}  // namespace

// complete(tokenizer, prefix, suffix, options?): build the prompt (CompletePrompt) and generate, in
// one worker task (one thread hop per completion request). options.maxPromptTokens caps the prompt
// (default: the context minus the generation budget).
Napi::Value SessionWrap::Complete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_session *session = Get(env);
    TokenizerWrap *tokenizer = TokenizerWrap::From(env, info[0]);
    sl_tokenizer *tok = tokenizer->Get(env);
    auto prompt = std::make_shared<CompletePrompt>();
    prompt->prefix = ReadBytes(env, info[1], "prefix");
    prompt->suffix = ReadBytes(env, info[2], "suffix");
    auto request = std::make_shared<GenerateRequest>();
    request->Read(env, info[3]);
    prompt->Read(env, info[3], sl_model_config(model_->Get(env)).context_length, request->opts.max_tokens);
    if (!prompt->healed.empty()) request->required_prefix = prompt->healed;
    std::vector<Napi::Object> keep = {Value(), info[0].As<Napi::Object>()};
    request->Finish(ReadCancel(env, info[3], &keep));
    AcquireAll(env, {{&busy, "session"}, {&model_->busy, "model"}, {&tokenizer->busy, "tokenizer"}});
    return EngineTask::Start(
        env, "seedling.session.complete", {&busy, &model_->busy, &tokenizer->busy}, keep,
        [session, tok, prompt, request]() {
            sl_status st = prompt->Build(tok);
            if (st != SL_OK) return st;
            st = sl_session_generate(session, tok, prompt->tokens.data(), prompt->tokens.size(), &request->opts,
                                     &request->text, &request->len, &request->stats);
            if (st == SL_OK) StripHealed(request->text, &request->len, prompt->healed);
            return st;
        },
        [request, prompt](Napi::Env env) -> Napi::Value {
            Napi::Object out = request->Result(env);
            out.Set("healed", Napi::String::New(env, prompt->healed));
            if (prompt->return_prompt) out.Set("prompt", MakeInt32Array(env, prompt->tokens.data(), prompt->tokens.size()));
            return out;
        });
}

// score(promptTokens, candidateTokens, options?): Promise<{logprobs: Float32Array, next?: Float32Array}>:
// the log-probability of each candidate token after the prompt (teacher forcing, sl_session_score);
// options.next adds the logits after the whole candidate.
Napi::Value SessionWrap::Score(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_session *session = Get(env);
    sl_model *model = model_->Get(env);
    auto prompt = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[0], "prompt"));
    auto candidate = std::make_shared<std::vector<int32_t>>(ReadTokens(env, info[1], "candidate"));
    bool want_next = info[2].IsObject() && info[2].As<Napi::Object>().Get("next").ToBoolean().Value();
    auto logprobs = std::make_shared<std::vector<float>>(candidate->size());
    auto next = std::make_shared<std::vector<float>>(want_next ? sl_model_config(model).vocab_size : 0);
    AcquireAll(env, {{&busy, "session"}, {&model_->busy, "model"}});
    return EngineTask::Start(
        env, "seedling.session.score", {&busy, &model_->busy}, {Value()},
        [session, model, prompt, candidate, logprobs, next]() {
            return sl_session_score(session, model, prompt->data(), prompt->size(), candidate->data(), candidate->size(),
                                    logprobs->data(), next->empty() ? nullptr : next->data());
        },
        [logprobs, next](Napi::Env env) -> Napi::Value {
            auto out = Napi::Object::New(env);
            out.Set("logprobs", MakeFloat32Array(env, logprobs->data(), logprobs->size()));
            if (!next->empty()) out.Set("next", MakeFloat32Array(env, next->data(), next->size()));
            return out;
        });
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
