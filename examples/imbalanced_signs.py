"""An imbalanced copy of a class-folder image data set, to try ``--class-weight``.

The photos are split 80/20, stratified by class (logitlab's own split, seeded); the
test part keeps every class's share, while the training part keeps only ``--keep``
(default 20%) of the photos of the classes named by ``--classes`` (default the first
half of them). Both parts are written as class folders of symbolic links to the
original photos, so nothing is copied:

    OUT/train/<class>/<photo>   OUT/test/<class>/<photo>

Then compare an unweighted and a class-weighted run on the same photos; the weighted
one should reach a higher balanced accuracy (the mean of the per-class recalls, in
each run's metrics.json):

    .venv/bin/python examples/imbalanced_signs.py --out /tmp/signs-imbalanced
    logitlab train --data /tmp/signs-imbalanced/train --test /tmp/signs-imbalanced/test \\
        --out runs/unweighted
    logitlab train --data /tmp/signs-imbalanced/train --test /tmp/signs-imbalanced/test \\
        --class-weight balanced --out runs/balanced
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from logitlab.data import list_image_folder
from logitlab.data.stratify import stratified_split

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sign-language-digits"
)


def make_imbalanced(data, out, keep=0.2, classes=None, test_size=0.2, seed=0):
    """Write the imbalanced train part and the stratified test part of ``data`` under
    ``out``; returns {part: {class: number of photos}}."""
    files, y, names = list_image_folder(data)
    names = [str(n) for n in names]
    reduced = set(names[: len(names) // 2] if classes is None else classes)
    unknown = reduced - set(names)
    if unknown:
        raise SystemExit(f"--classes: {sorted(unknown)} are not classes of {data} ({names})")
    train, test = stratified_split(np.asarray(y), test_size, seed)
    rng = np.random.default_rng(seed)
    kept = []
    for c, name in enumerate(names):
        rows = train[np.asarray(y)[train] == c]
        if name in reduced:
            rows = rng.choice(rows, size=max(1, round(keep * len(rows))), replace=False)
        kept.extend(rows.tolist())
    counts = {}
    for part, rows in (("train", sorted(kept)), ("test", test.tolist())):
        counts[part] = {}
        for i in rows:
            folder = Path(out) / part / names[y[i]]
            folder.mkdir(parents=True, exist_ok=True)
            link = folder / Path(files[i]).name
            if not link.exists():
                os.symlink(Path(files[i]).resolve(), link)
            counts[part][names[y[i]]] = counts[part].get(names[y[i]], 0) + 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="class-folder data set")
    parser.add_argument("--out", required=True, help="where train/ and test/ are written")
    parser.add_argument("--keep", type=float, default=0.2, help="share kept of the reduced classes")
    parser.add_argument("--classes", help="comma-separated classes to reduce (default: first half)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if Path(args.out).exists() and any(Path(args.out).iterdir()):
        raise SystemExit(f"{args.out} exists and is not empty; choose another --out")
    classes = None if args.classes is None else args.classes.split(",")
    counts = make_imbalanced(args.data, args.out, args.keep, classes, seed=args.seed)
    for part, per_class in counts.items():
        print(f"{part}: " + ", ".join(f"{c} {n}" for c, n in sorted(per_class.items())))


if __name__ == "__main__":
    main()
