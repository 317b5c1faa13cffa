"""What discovery recognises: the calls, config keys and file kinds that name models, and its limits."""

from __future__ import annotations

import re

from auditor import limits

IGNORE_MARKER = "auditor: ignore"
MAX_CODE_BYTES = limits.DISCOVER_CODE_BYTES
MAX_NOTEBOOK_BYTES = limits.DISCOVER_NOTEBOOK_BYTES
MAX_CANDIDATES = 16  # values one expression may resolve to (IfExp, loops over literals)
MAX_EXPRESSION = 160
MAX_RESOLVE_DEPTH = 8
MAX_NOTE_LOCATIONS = 5

# Directories that hold other people's code or tool state, never the project's own model use.
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "virtualenv"})

PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh", ".mk", ".dockerfile", ".containerfile"})
SHELL_NAMES = frozenset({"dockerfile", "containerfile", "makefile", "gnumakefile"})

# Config keys whose value names a model that is used (not produced: `hub_model_id` is a push target).
CONFIG_KEYS = frozenset(
    {
        "model",
        "model_name",
        "model_id",
        "model_name_or_path",
        "pretrained_model_name_or_path",
        "base_model",
        "base_model_name_or_path",
        "repo_id",
        "_name_or_path",
        "tokenizer_name",
        "tokenizer_name_or_path",
    }
)
CONFIG_SUFFIXES = ("_model", "_model_id", "_model_name", "_model_name_or_path")
CONFIG_EXCLUDED = frozenset({"hub_model_id", "push_to_hub_model_id", "output_model", "served_model_name"})

# Names of calls (the last dotted part) whose result is a local path: never a Hub id.
PATH_CALLS = frozenset(
    {
        "join",
        "abspath",
        "expanduser",
        "expandvars",
        "realpath",
        "normpath",
        "dirname",
        "joinpath",
        "resolve",
        "absolute",
        "Path",
        "PurePath",
        "PosixPath",
        "WindowsPath",
        "mkdtemp",
        "gettempdir",
        "TemporaryDirectory",
        "cwd",
        "home",
    }
)
ENV_CALLS = frozenset({"getenv", "get"})  # os.getenv(NAME, default), os.environ.get(NAME, default)
FILE_EXTENSIONS = frozenset(
    {
        "json", "bin", "safetensors", "pt", "pth", "ckpt", "onnx", "txt", "yaml", "yml", "py", "gguf", "h5",
        "msgpack", "csv", "md", "toml", "model", "tflite", "pb", "pkl", "npz", "npy", "tar", "gz", "zip",
        "tgz", "jsonl", "parquet", "ipynb", "sh", "cfg", "ini", "xml", "html", "png", "jpg", "wav",
    }
)  # fmt: skip
INTERPOLATION_RE = re.compile(r"\$\{|\{\{|^\$[A-Za-z_]|%\(")
HF_URL_RE = re.compile(r"^https?://(?:huggingface\.co|hf\.co)/(?!datasets/|spaces/)([^/\s]+/[^/\s]+?)(?:\.git)?/?$")
MAKE_VAR_RE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
SHELL_ASSIGN_RE = re.compile(
    r"^\s*(?:export\s+|readonly\s+|ARG\s+|ENV\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|=)\s*(.*)$"
)
SHELL_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
SHELL_STOP = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"})
HF_DOWNLOAD_OPTIONS = frozenset(
    {"--repo-type", "--revision", "--include", "--exclude", "--local-dir", "--cache-dir", "--token", "--max-workers",
     "--local-dir-use-symlinks", "--format", "--etag-timeout"}
)  # fmt: skip
GIT_CLONE_OPTIONS = frozenset(
    {"--depth", "-b", "--branch", "-c", "--config", "--origin", "-o", "--jobs", "-j", "--reference",
     "--separate-git-dir", "--template", "--shallow-since", "--shallow-exclude", "--filter", "-u", "--upload-pack"}
)  # fmt: skip
MODEL_CALL_RE = re.compile(
    r"from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer|CrossEncoder|SparseEncoder"
    r"|create_model"
)
TOML_LINE_RE = re.compile(r"""^\s*(?:[A-Za-z0-9_.-]+\.)?["']?([A-Za-z0-9_-]+)["']?\s*=\s*(.+)$""")
TOML_INLINE_RE = re.compile(r"""[{,]\s*["']?([A-Za-z0-9_-]+)["']?\s*=\s*(["'][^"']*["'])""")
QUOTED_RE = re.compile(r"""(["'])((?:(?!\1).)*)\1""")
