"""The snapshots of a GPU run (`gpu_train`) as weights files the product loads.

`python -m restoration.inpaint.snapshots RUN/snapshots.pt` lists them;
`... --export LABEL --out W.pt` writes one (generator and the run's last discriminator, in
float16: half the size, the same fills within a grey level) for `eval_inpaint --split val
--weights W.pt`, so the choice between them is made on the validation split.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any]:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != "mouseion-inpaint-snapshots-v1":
        raise ValueError(f"{path} is not a gpu_train snapshots file")
    return state


def entries(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """label -> entry: 'step<N>' for each kept snapshot, and 'latest'."""
    out = {f"step{e['steps']}": e for e in state["snapshots"]}
    out["latest"] = state["latest"]
    return out


def export(state: dict[str, Any], label: str, out: Path) -> Path:
    import torch

    entry = entries(state)[label]
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "config": state["config"],
            "generator": {k: v.half() for k, v in entry["generator"].items()},
            "disc_config": state["disc_config"],
            "discriminator": {k: v.half() for k, v in state["latest"]["discriminator"].items()},
            "trained": {k: entry[k] for k in ("steps", "samples", "fresh_samples", "seconds")},
        },
        out,
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshots", type=Path)
    parser.add_argument("--export", help="a label from the list ('latest', 'step<N>')")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    state = load(args.snapshots)
    if args.export:
        if args.out is None:
            parser.error("--export needs --out")
        print(export(state, args.export, args.out))
        return
    for label, entry in entries(state).items():
        print(
            f"{label:<12} steps {entry['steps']:>7} samples {entry['samples']:>9} "
            f"fresh {entry['fresh_samples']:>8} at {entry['seconds']:>6.0f} s"
        )


if __name__ == "__main__":
    main()
