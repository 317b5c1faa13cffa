"""The loop a user would write with huggingface_hub to collect license evidence: the baseline.

Sequential, one repo after another: `HfApi.model_info`, `ModelCard.load` (the card's front matter),
and `hf_hub_download` of each LICENSE file the siblings list. Errors are caught per repo so one gated
or missing repo does not end the loop. Run as a subprocess with `HF_ENDPOINT`, `HF_HOME` (fresh)
and `HF_TOKEN` set in the environment; prints one JSON line with what it saw.

    python benchmarks/naive_loop.py MODEL_LIST
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, hf_hub_download


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: naive_loop.py MODEL_LIST", file=sys.stderr)
        return 2
    repo_ids = [line.strip() for line in Path(argv[0]).read_text(encoding="utf-8").splitlines() if line.strip()]
    api = HfApi(endpoint=os.environ["HF_ENDPOINT"])
    licenses: dict[str, int] = {}
    errors = 0
    files = 0
    for repo_id in repo_ids:
        try:
            info = api.model_info(repo_id)
            card = ModelCard.load(repo_id)
            declared = str(card.data.license or "none")
            licenses[declared] = licenses.get(declared, 0) + 1
            for sibling in info.siblings or []:
                if sibling.rfilename.upper().startswith("LICENSE"):
                    Path(hf_hub_download(repo_id, sibling.rfilename)).read_text(encoding="utf-8")
                    files += 1
        except Exception as exc:  # the naive loop only counts its failures
            errors += 1
            print(f"{repo_id}: {type(exc).__name__}", file=sys.stderr)
    print(json.dumps({"models": len(repo_ids), "errors": errors, "license_files": files, "licenses": licenses}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
