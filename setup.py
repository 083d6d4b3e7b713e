"""Builds the Cython engine: every .pyx under engine_ext/ becomes an extension module.

Build modes (environment variable SPOTEX_BUILD): release (default), debug (asserts, bounds
checks, -O0 -g), annotate (also writes cython -a HTML next to each .pyx), profile (line
tracing for profilers).
"""

from __future__ import annotations

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

MODE = os.environ.get("SPOTEX_BUILD", "release")
if MODE not in {"release", "debug", "annotate", "profile"}:
    raise SystemExit(f"SPOTEX_BUILD must be release, debug, annotate or profile, not {MODE!r}")

directives = {"language_level": "3", "embedsignature": True}
macros: list[tuple[str, str | None]] = []
compile_args = ["-O3", "-std=c++17"]
if MODE == "debug":
    compile_args = ["-O0", "-g", "-std=c++17"]
    directives.update(boundscheck=True, wraparound=True)
elif MODE == "profile":
    directives.update(profile=True, linetrace=True)
    macros.append(("CYTHON_TRACE_NOGIL", "1"))

extensions = [
    Extension(
        ".".join(path.with_suffix("").parts),
        [str(path)],
        language="c++",
        extra_compile_args=compile_args,
        define_macros=macros,
    )
    for path in sorted(Path("engine_ext").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, annotate=MODE == "annotate"),
)
