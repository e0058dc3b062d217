"""The pretraining corpus must never contain the evaluation reserve (quality figures stay honest)."""
import importlib.util
import json
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "base-model" / "build_corpus.py")
build_corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_corpus)

RESERVE_STDLIB = {"asyncio", "email", "unittest", "json", "http", "xml", "concurrent"}
RESERVE_NPM = {"rxjs", "mobx", "effect", "immer", "@tanstack/query-core"}


class ReserveTest(unittest.TestCase):
    def test_the_script_names_the_whole_reserve(self):
        self.assertEqual(build_corpus.EVAL_RESERVE_STDLIB, RESERVE_STDLIB)
        self.assertEqual(build_corpus.EVAL_RESERVE_NPM, RESERVE_NPM)

    def test_reserved_paths_are_refused(self):
        for name in RESERVE_STDLIB:
            self.assertTrue(build_corpus.is_reserved_path("python-stdlib", (name, "__init__.py")))
        self.assertFalse(build_corpus.is_reserved_path("python-stdlib", ("argparse.py",)))
        # vendored copies inside other packages
        self.assertTrue(build_corpus.is_reserved_path("npm", ("node_modules", "mobx", "src", "core.ts")))
        self.assertTrue(build_corpus.is_reserved_path("npm", ("vendor", "immer", "index.js")))
        self.assertTrue(build_corpus.is_reserved_path("npm", ("@tanstack", "query-core", "build", "x.js")))
        self.assertFalse(build_corpus.is_reserved_path("npm", ("src", "mobx.ts")))  # a file named so is not the package

    def test_manifest_holds_no_reserved_source(self):
        manifest = json.loads((ROOT / "scripts" / "base-model" / "manifest.json").read_text())
        for source in manifest["sources"]:
            self.assertNotIn(source["name"], RESERVE_NPM)
            if source["kind"] == "python-stdlib":
                self.assertTrue(RESERVE_STDLIB <= set(source["exclude"]), source["exclude"])

    def test_built_corpus_holds_no_reserved_file(self):
        corpus = ROOT / ".cache" / "base-corpus"
        if not corpus.exists():
            self.skipTest("skipped: corpus not built here (python3 scripts/base-model/build_corpus.py build)")
        for path in corpus.rglob("*"):
            rel = path.relative_to(corpus).parts  # split / kind / source / ...
            if len(rel) < 4:
                continue
            kind, inner = rel[1], rel[3:]
            self.assertFalse(build_corpus.is_reserved_path(kind, inner), str(path))
            self.assertNotIn(rel[2], RESERVE_NPM)


if __name__ == "__main__":
    unittest.main()
