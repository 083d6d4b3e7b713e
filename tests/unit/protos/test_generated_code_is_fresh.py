"""The committed exchange/ package is exactly what scripts/gen_protos.py makes from protos/.

The stubs are committed so that a clean checkout imports them without a build step; this test
is what keeps them honest. On failure: `make protos`, then commit the protos and the stubs
together.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_gen_protos() -> ModuleType:
    """scripts/ is not a package: load the codegen script as a module."""
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "scripts" / "gen_protos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_a_fresh_generation() -> None:
    gen_protos = load_gen_protos()

    problems = gen_protos.stale_files(ROOT)

    assert problems == [], "stale generated code; run `make protos`:\n" + "\n".join(problems)


def test_every_proto_has_its_generated_modules() -> None:
    gen_protos = load_gen_protos()

    for proto in gen_protos.proto_files():
        stem = proto.relative_to(ROOT / "protos").with_suffix("")
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert (ROOT / f"{stem}{suffix}").is_file(), f"{stem}{suffix} missing"


def test_protos_keep_every_published_field_number_and_type(tmp_path: Path) -> None:
    gen_protos = load_gen_protos()
    descriptors = gen_protos._descriptors(tmp_path)

    problems = gen_protos.compatibility_problems(gen_protos.read_lock(), descriptors)

    assert problems == [], "breaking proto changes (docs/protos.md):\n" + "\n".join(problems)
