"""Every limit auditor puts on what it reads, named and stated once.

Cards, license files, lock files, inventories, lists and policies can all come from strangers (a
pull request, a Hub repo), so each thing read has a bound. A limit is an `int` that also knows its
own name, so the finding or error it causes can say which limit was hit (`limit card-bytes =
262144 bytes`) and a person knows what to look up here.
"""

from __future__ import annotations


class Limit(int):
    """An int with a name, a unit and the reason it exists."""

    name: str
    unit: str
    why: str

    def __new__(cls, name: str, value: int, unit: str, why: str) -> Limit:
        self = super().__new__(cls, value)
        self.name = name
        self.unit = unit
        self.why = why
        return self

    @property
    def note(self) -> str:
        """How a message names this limit: `limit card-bytes = 262144 bytes`."""
        return f"limit {self.name} = {int(self)} {self.unit}"

    def __repr__(self) -> str:
        return f"Limit({self.name}={int(self)})"

    def __reduce__(self) -> tuple[object, ...]:  # ints pickle by value; keep the name across processes
        return (Limit, (self.name, int(self), self.unit, self.why))


# ---------------------------------------------------------------- files people (or pull requests) write

INPUT_FILE_BYTES = Limit(
    "input-file-bytes",
    8 * 1024 * 1024,
    "bytes",
    "policy, inventory, model list, lock file, --diff report, configuration: read only up to this size",
)
CONFIG_BYTES = Limit(
    "config-bytes", 1024 * 1024, "bytes", "the pyproject.toml whose [tool.auditor] table sets project defaults"
)
SNAPSHOT_BYTES = Limit(
    "snapshot-bytes", 1024 * 1024 * 1024, "bytes", "a --snapshot file replayed instead of the Hub (10,000 models fit)"
)
YAML_NODES = Limit(
    "yaml-nodes",
    200_000,
    "values",
    "values in one YAML file, counting each alias as often as it is expanded (an alias bomb of 347 bytes "
    "otherwise grows past 10 GB)",
)
YAML_ALIAS_VALUES = Limit(
    "yaml-alias-values",
    10_000,
    "values",
    "values one YAML file reaches through aliases (an anchor for shared settings costs a few; a bomb stops here)",
)
YAML_DEPTH = Limit("yaml-depth", 64, "levels", "nesting of one YAML file (deeper nesting exhausts the parser's stack)")
JSON_DEPTH = Limit("json-depth", 64, "levels", "nesting of one JSON file (an auditor report nests 6 levels)")

# ---------------------------------------------------------------- what is read from a Hub repo or a mirror

CARD_BYTES = Limit(
    "card-bytes",
    256 * 1024,
    "bytes",
    "head of README.md and of each license file kept; card front matter must end within it",
)
CARD_NODES = Limit(
    "card-nodes",
    100_000,
    "values",
    "values in one card's data, aliases expanded (YAML aliases can make a tiny card huge)",
)
CARD_LICENSES = Limit("card-licenses", 16, "licenses", "licenses read from one card's `license:` list")
CARD_DEPTH = Limit("card-depth", 32, "levels", "nesting of one card's data")
LICENSE_FILES = Limit(
    "license-files", 8, "files", "license files read per repo, so a repo listing hundreds cannot flood the Hub"
)
MIRROR_FILES = Limit(
    "mirror-files", 10_000, "files", "files listed in one repo folder of an offline mirror (--hub-dir)"
)
MIRROR_META_BYTES = Limit("mirror-meta-bytes", 64 * 1024, "bytes", "an offline mirror's _hub.json per repo")

HUB_ANSWER_BYTES = Limit(
    "hub-answer-bytes",
    64 * 1024 * 1024,
    "bytes",
    "one model_info answer or listing page from the Hub (a repo of 100,000 files lists ~20 MB)",
)
CACHE_ENTRY_BYTES = Limit(
    "cache-entry-bytes", 16 * 1024 * 1024, "bytes", "one entry of the on-disk cache; a larger one is treated as corrupt"
)

# ---------------------------------------------------------------- files `discover` reads in a repository

DISCOVER_CODE_BYTES = Limit(
    "discover-code-bytes", 2 * 1024 * 1024, "bytes", "a source, config or script file `discover` reads"
)
DISCOVER_NOTEBOOK_BYTES = Limit(
    "discover-notebook-bytes", 32 * 1024 * 1024, "bytes", "a notebook `discover` reads (outputs, images included)"
)

# ---------------------------------------------------------------- lineage

LINEAGE_DEPTH = Limit("lineage-depth", 5, "levels", "base_model generations followed above a model")
BASES_PER_MODEL = Limit("bases-per-model", 16, "models", "base models followed per model (merges name many)")

ALL: tuple[Limit, ...] = (
    INPUT_FILE_BYTES,
    CONFIG_BYTES,
    SNAPSHOT_BYTES,
    YAML_NODES,
    YAML_ALIAS_VALUES,
    YAML_DEPTH,
    JSON_DEPTH,
    CARD_BYTES,
    CARD_NODES,
    CARD_LICENSES,
    CARD_DEPTH,
    LICENSE_FILES,
    MIRROR_FILES,
    MIRROR_META_BYTES,
    HUB_ANSWER_BYTES,
    CACHE_ENTRY_BYTES,
    DISCOVER_CODE_BYTES,
    DISCOVER_NOTEBOOK_BYTES,
    LINEAGE_DEPTH,
    BASES_PER_MODEL,
)
"""Every limit, for documentation and for the test that keeps names unique."""
