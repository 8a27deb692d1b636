"""Benchmark of image hashing: the fast PDQ path against naive "decode the full JPEG, then
pdqhash", on the same files in the same run, and `hotline hash` end to end.

Target (issue 12): at least 3x the images per second of the naive way, single process, with at
least 99 % of the fast hashes within distance 8 of the naive ones.

It generates `--images` photo-like JPEGs (tests/world/web.py `scene`: uneven light, shapes,
captions, blur and grain; nothing resembling a person), half at 1600 x 1200 and half at
3000 x 2000, qualities 85 to 95, on every core, into a temporary folder (or `--dir`, reused
when it already holds them), then, in this process:
(a) naive: PIL opens and decodes every pixel, pdqhash.compute on them (no other hash);
(b) fast: hash_image(data, fast=True), which also computes MD5, SHA-1 and SHA-256;
interleaved in `--repeat` rounds (best round of each kept: the machine is shared), and
compares every fast PDQ with the naive one. Then it runs `hotline hash DIR` (all cores) and
times it from start to exit.

    .venv/bin/python bench/bench_hashing.py [--images 1000] [--repeat 1] [--dir DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import common  # noqa: F401 (puts the repository on sys.path)
import numpy as np
import pdqhash
import PIL
from PIL import Image, features

from hotline.hashlist.signals import SIGNAL_TYPES, hash_image, pdq_of_pixels
from tests.world.web import scene

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = ROOT / ".venv" / "bin" / "hotline"
SIZES = ((1600, 1200), (3000, 2000))


def make(folder: Path, n: int) -> None:
    size = SIZES[n % len(SIZES)]
    path = folder / f"scene-{n:05d}-{size[0]}x{size[1]}.jpg"
    if not path.exists():
        path.write_bytes(scene(n, size, quality=85 + n % 11))


def naive_pdq(data: bytes) -> str:
    """What anyone would write first: every pixel decoded, then pdqhash."""
    with Image.open(io.BytesIO(data)) as image:
        return pdq_of_pixels(np.asarray(image.convert("RGB")))[0]


def fast_pdq(data: bytes) -> str:
    return hash_image(data, fast=True).pdq


def timed(function: object, files: list[bytes]) -> tuple[float, list[str]]:
    assert callable(function)
    start = time.perf_counter()
    hashes = [function(data) for data in files]
    return time.perf_counter() - start, hashes


def machine() -> str:
    return (
        f"python {platform.python_version()}; pillow {PIL.__version__} (libjpeg-turbo "
        f"{features.version('libjpeg_turbo')}); pdqhash {pdqhash.__version__}; "
        f"{platform.machine()}; "
        f"{os.cpu_count()} cpus; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of each; best is kept")
    parser.add_argument("--dir", type=Path, help="keep the generated images here (reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-hash-") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        run(folder, args)


def run(folder: Path, args: argparse.Namespace) -> None:
    print(machine())
    start = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(make, [folder] * args.images, range(args.images), chunksize=8))
    paths = sorted(folder.glob("scene-*.jpg"))[: args.images]
    files = [path.read_bytes() for path in paths]
    print(
        f"{len(files)} JPEGs ({', '.join(f'{w}x{h}' for w, h in SIZES)}, quality 85-95, "
        f"{sum(map(len, files)) / len(files) / 1e6:.2f} MB on average) ready in "
        f"{time.perf_counter() - start:.0f} s"
    )

    best = {"naive": float("inf"), "fast": float("inf")}
    hashes: dict[str, list[str]] = {}
    for _ in range(args.repeat):
        for name, function in (("naive", naive_pdq), ("fast", fast_pdq)):
            seconds, hashes[name] = timed(function, files)
            best[name] = min(best[name], seconds)
    naive_rate, fast_rate = len(files) / best["naive"], len(files) / best["fast"]
    print(f"naive (full decode + pdqhash), 1 process: {naive_rate:.1f} images/s")
    print(f"fast (hash_image(fast=True), all hashes), 1 process: {fast_rate:.1f} images/s")
    print(f"ratio: {fast_rate / naive_rate:.2f}x (target: 3x)")

    pdq = SIGNAL_TYPES["pdq"]
    distances = np.array(
        [pdq.distance(a, b) for a, b in zip(hashes["naive"], hashes["fast"], strict=True)]
    )
    share = (distances <= 8).mean() * 100
    counts = np.bincount(distances)
    print(
        f"distance fast vs naive: {share:.1f} % within 8 (target: 99 %), max {distances.max()}, "
        f"mean {distances.mean():.2f}; counts by distance: "
        + ", ".join(f"{d}: {c}" for d, c in enumerate(counts) if c)
    )
    for size in SIZES:
        mine = np.array(
            [d for d, p in zip(distances, paths, strict=True) if f"{size[0]}x{size[1]}" in p.name]
        )
        print(
            f"  {size[0]}x{size[1]}: {(mine <= 8).mean() * 100:.1f} % within 8, "
            f"max {mine.max()}, mean {mine.mean():.2f}"
        )

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    env["HOTLINE_SECRET_KEY"] = "bench-only-" + "x" * 50
    start = time.perf_counter()
    cli = subprocess.run(
        [str(HOTLINE), "hash", str(folder)], env=env, capture_output=True, check=False
    )
    seconds = time.perf_counter() - start
    lines = cli.stdout.decode().splitlines()
    assert cli.returncode == 0 and len(lines) == len(files), cli.stderr.decode()
    print(
        f"hotline hash DIR ({os.cpu_count()} workers, start to exit, {len(lines)} lines): "
        f"{len(lines) / seconds:.1f} images/s ({seconds:.1f} s)"
    )
    print(machine())


if __name__ == "__main__":
    main()
