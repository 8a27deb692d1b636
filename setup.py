"""The compiled kernel of the exact PDQ index (hotline/hashlist/_pdqkernel.c), built during
install (`pip install --no-deps --no-build-isolation -e .`, as the Makefile does). Everything
else about the package is in pyproject.toml.

The extension is optional: where it cannot build (no C compiler, no Python headers) the install
goes on and the index answers through its fallback (faiss, else numpy), with the same results
(tests/hashlist/test_pdq_index.py)."""

import platform

from setuptools import Extension, setup

# popcnt is a single instruction on every x86-64 from 2008 on (x86-64-v2); without the flag the
# compiler writes a slower bit-twiddling sequence. Other architectures have theirs by default.
flags = ["-O3", "-std=c11", "-pthread"]
if platform.machine().lower() in {"x86_64", "amd64"}:
    flags.append("-mpopcnt")

setup(
    ext_modules=[
        Extension(
            "hotline.hashlist._pdqkernel",
            sources=["hotline/hashlist/_pdqkernel.c"],
            extra_compile_args=flags,
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
