"""Writes mistral-v1-sentencepiece.jsonl: texts and the ids Google's SentencePiece gives them.

Independent reference for SpmTokenizer on Mixtral's vocabulary. SentencePiece needs a
tokenizer.model, and we only have the GGUF, so the ModelProto is rebuilt from the GGUF arrays
(pieces, scores, types) with Mistral's settings: BPE, byte fallback, identity normalization,
dummy prefix on, extra whitespace kept. Run once by hand (pip install sentencepiece protobuf):

  python3 tokenizer/scripts/spm_reference_vectors.py ../shared/vocab/mistral-v1-vocab.gguf \
      .cache/llama.cpp/3.22.1/src/gguf-py tokenizer/src/test/resources/dev/mixtral4j/tokenizer/mistral-v1-sentencepiece.jsonl
"""
import json
import random
import sys

gguf_path, gguf_py, out_path = sys.argv[1:4]
sys.path.insert(0, gguf_py)
import gguf  # noqa: E402
import sentencepiece as spm  # noqa: E402
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

r = gguf.GGUFReader(gguf_path)
toks, scores, types = (r.fields[k] for k in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"))
m = pb.ModelProto()
m.trainer_spec.model_type = pb.TrainerSpec.BPE
m.trainer_spec.byte_fallback = True
m.trainer_spec.unk_id, m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = 0, 1, 2, -1
m.normalizer_spec.name = "identity"
m.normalizer_spec.add_dummy_prefix = True
m.normalizer_spec.remove_extra_whitespaces = False
m.normalizer_spec.escape_whitespaces = True
for i in range(len(toks.data)):
    p = m.pieces.add()
    p.piece = bytes(toks.parts[toks.data[i]]).decode("utf-8")
    p.score = float(scores.parts[scores.data[i]][0])
    p.type = int(types.parts[types.data[i]][0])
sp = spm.SentencePieceProcessor(model_proto=m.SerializeToString())

curated = [
    "[INST] What is your favourite condiment? [/INST]",
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Bonjour ! Comment allez-vous aujourd'hui ? Très bien, merci.",
    "Les élèves ont étudié l'œuvre de Molière à l'école.",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein.",
    "¿Dónde está la biblioteca? ¡Aquí!",
    "Привет, как дела? Всё хорошо.",
    "こんにちは、世界！今日はいい天気ですね。",
    "我想在北京工作，因为那里有很多机会。",
    "안녕하세요, 만나서 반갑습니다.",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "Emoji: 🦙🚀😀👍🏽 👨‍👩‍👧‍👦 🇫🇷 ✅",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "public static void main(String[] args) {\n\tSystem.out.println(\"Hi\\n\");\n}",
    "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // dot product",
    "<s>[INST] not special when not parsed </s>",
    "  leading spaces and trailing   ",
    "\n\n\ttabs\tand\nnewlines\r\n",
    "a\u0000b\u0001c\u007f",
    "333333333 3.14159 1,000,000",
    "https://example.com/path?query=1&x=%20",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]
rng = random.Random(20240601)
alphabet = list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:!?'\"()[]{}<>/\\-_=+*&^%$#@~`|\n\t") + \
    list("éèàçœüößñåøæ") + list("абвгдежзий") + list("的一是不了人我在有他这") + list("あいうえおカキクケコ") + \
    ["🦙", "🚀", "😀", "👍", "\u200d", "\u2581", "\ufffd", "\u00a0", "½", "€"]
randoms = []
for _ in range(400):
    n = rng.randint(0, 40)
    randoms.append("".join(rng.choice(alphabet) for _ in range(n)))
with open(out_path, "w", encoding="utf-8") as f:
    for text in curated + randoms:
        f.write(json.dumps({"text": text, "ids": sp.encode(text)}, ensure_ascii=True) + "\n")
