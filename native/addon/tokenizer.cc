// tokenizer.cc: the Tokenizer class (byte-level BPE).
#include <memory>

#include "tokenizer.h"
#include "js_values.h"

namespace seedling {

Napi::Function TokenizerWrap::Define(Napi::Env env) {
    return DefineClass(env, kName,
                       {
                           StaticMethod("train", &TokenizerWrap::Train),
                           StaticMethod("bytes", &TokenizerWrap::Bytes),
                           StaticMethod("deserialize", &TokenizerWrap::Deserialize),
                           InstanceAccessor("vocabSize", &TokenizerWrap::VocabSize, nullptr),
                           InstanceMethod("encode", &TokenizerWrap::Encode),
                           InstanceMethod("decode", &TokenizerWrap::Decode),
                           InstanceMethod("tokenBytes", &TokenizerWrap::TokenBytes),
                           InstanceMethod("serialize", &TokenizerWrap::Serialize),
                           InstanceMethod("dispose", &TokenizerWrap::Dispose),
                           InstanceAccessor("disposed", &TokenizerWrap::IsDisposed, nullptr),
                       });
}

// Tokenizer.train(docs: (string|Uint8Array)[], vocabSize): Promise<Tokenizer>
Napi::Value TokenizerWrap::Train(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto docs = std::make_shared<std::vector<std::string>>(ReadDocuments(env, info[0], "documents"));
    int32_t vocab = static_cast<int32_t>(IntegerInRange(env, info[1], "vocabSize", 0, INT32_MAX));
    auto result = std::make_shared<sl_tokenizer *>(nullptr);
    return EngineTask::Start(
        env, "seedling.tokenizer.train", {}, {},
        [docs, vocab, result]() {
            std::vector<const char *> ptrs;
            std::vector<size_t> lens;
            for (const auto &d : *docs) {
                ptrs.push_back(d.data());
                lens.push_back(d.size());
            }
            return sl_tokenizer_train(ptrs.data(), lens.data(), ptrs.size(), vocab, result.get());
        },
        [result](Napi::Env env) -> Napi::Value {
            sl_tokenizer *tok = *result;
            *result = nullptr;
            return New(env, GetAddonData(env).tokenizer, tok);
        });
}

Napi::Value TokenizerWrap::Bytes(const Napi::CallbackInfo &info) {
    sl_tokenizer *tok = nullptr;
    ThrowIfFailed(info.Env(), sl_tokenizer_create_bytes(&tok));
    return New(info.Env(), GetAddonData(info.Env()).tokenizer, tok);
}

Napi::Value TokenizerWrap::Deserialize(const Napi::CallbackInfo &info) {
    std::string bytes = ReadBytes(info.Env(), info[0], "serialized tokenizer");
    sl_tokenizer *tok = nullptr;
    ThrowIfFailed(info.Env(), sl_tokenizer_deserialize(reinterpret_cast<const uint8_t *>(bytes.data()),
                                                       bytes.size(), &tok));
    return New(info.Env(), GetAddonData(info.Env()).tokenizer, tok);
}

Napi::Value TokenizerWrap::VocabSize(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), sl_tokenizer_vocab_size(Get(info.Env())));
}

// encode(text: string|Uint8Array): Int32Array. Synchronous: meant for prompts (kilobytes), where a
// worker-thread round trip would cost more than the work; whole corpora go through Dataset.create.
Napi::Value TokenizerWrap::Encode(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_tokenizer *tok = GetIdle(env);
    std::string text = ReadBytes(env, info[0], "text");
    int32_t *ids = nullptr;
    size_t n = 0;
    ThrowIfFailed(env, sl_tokenizer_encode(tok, text.data(), text.size(), &ids, &n));
    Napi::Int32Array out = MakeInt32Array(env, ids, n);
    sl_free(ids);
    return out;
}

// decode(ids, {bytes: true}?): string (lossy UTF-8) or Buffer (exact bytes).
Napi::Value TokenizerWrap::Decode(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_tokenizer *tok = GetIdle(env);
    std::vector<int32_t> ids = ReadTokens(env, info[0], "tokens");
    bool as_bytes = info.Length() > 1 && info[1].IsObject() &&
                    info[1].As<Napi::Object>().Get("bytes").ToBoolean().Value();
    char *text = nullptr;
    size_t len = 0;
    ThrowIfFailed(env, sl_tokenizer_decode(tok, ids.data(), ids.size(), &text, &len));
    Napi::Value out = as_bytes ? Napi::Value(Napi::Buffer<char>::Copy(env, text, len))
                               : Napi::Value(Napi::String::New(env, text, len));
    sl_free(text);
    return out;
}

// tokenBytes(id): Buffer, or null for special and out-of-range ids.
Napi::Value TokenizerWrap::TokenBytes(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_tokenizer *tok = GetIdle(env);
    int32_t id = static_cast<int32_t>(IntegerInRange(env, info[0], "token id", INT32_MIN, INT32_MAX));
    size_t len = 0;
    const char *bytes = sl_tokenizer_token_bytes(tok, id, &len);
    if (!bytes) return env.Null();
    return Napi::Buffer<char>::Copy(env, bytes, len);
}

Napi::Value TokenizerWrap::Serialize(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    sl_tokenizer *tok = GetIdle(env);
    uint8_t *bytes = nullptr;
    size_t len = 0;
    ThrowIfFailed(env, sl_tokenizer_serialize(tok, &bytes, &len));
    auto out = Napi::Buffer<uint8_t>::Copy(env, bytes, len);
    sl_free(bytes);
    return out;
}

}  // namespace seedling
