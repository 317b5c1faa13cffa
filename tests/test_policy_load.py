"""Loading policy files: the shipped ones load, and every mistake is reported at its file and line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_policy_helpers import EXAMPLES, KB, RULES, write_policy

from auditor.errors import EXIT_USAGE, PolicyError, UsageError
from auditor.policy import Action, Decision, check_policy_file, load_policy, resolve_use

SHIPPED = [RULES / "policy.yaml", *sorted(EXAMPLES.glob("*.yaml"))]

VALID = """\
name: Test policy
company:
  monthly_active_users: 1_000
  annual_revenue_usd: ~
  territories: [US]
default_use: product
uses:
  product:
    description: A product.
    commercial: true
    distributes: true
    modifies: false
    categories:
      permissive: allow
    licenses:
      cc-by-nc-4.0: deny
rules:
  gated_repo: warn
waivers:
  - model: org/model
    reason: Signed.
    approved_by: Legal
    expires: 2027-01-01
"""


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policies_load(path: Path) -> None:
    policy = load_policy(path, KB)
    assert policy.default_use in policy.use_names
    assert policy.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert policy.info.path == str(path)
    assert policy.info.sha256 == policy.sha256
    assert policy.info.name


def test_examples_required_by_the_issue_exist() -> None:
    names = {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert {"strict-enterprise", "research-lab", "eu-saas-startup"} <= names


def test_default_policy_is_the_bundled_file() -> None:
    policy = load_policy(None, KB)
    assert policy.sha256 == hashlib.sha256((RULES / "policy.yaml").read_bytes()).hexdigest()
    assert policy.default_use == "commercial-product"
    assert set(policy.use_names) >= {
        "internal-research",
        "commercial-product",
        "saas",
        "redistribution",
        "fine-tune-and-distribute",
    }


def test_default_policy_declares_no_company_facts() -> None:
    """Fail closed: the shipped default must not guess the company's size or territories."""
    company = load_policy(None, KB).company
    assert company.monthly_active_users is None
    assert company.annual_revenue_usd is None
    assert company.territories is None


def test_valid_policy_reads_every_section(tmp_path: Path) -> None:
    policy = check_policy_file(write_policy(tmp_path, VALID), KB)
    assert policy.name == "Test policy"
    assert policy.company.monthly_active_users == 1000
    assert policy.company.territories == ("US",)
    use = policy.use("product")
    assert (use.commercial, use.distributes, use.modifies) == (True, True, False)
    assert use.categories["permissive"] is Decision.ALLOW
    assert use.licenses["cc-by-nc-4.0"] is Decision.DENY
    assert policy.rules.gated_repo is Action.WARN
    (waiver,) = policy.waivers
    assert (waiver.model, waiver.expires, waiver.uses, waiver.line) == ("org/model", "2027-01-01", (), 20)


def test_license_written_as_a_hub_id_means_its_key(tmp_path: Path) -> None:
    text = VALID.replace("cc-by-nc-4.0: deny", "llama3.1: review")
    policy = load_policy(write_policy(tmp_path, text), KB)
    assert policy.use("product").licenses == {"llama3.1": Decision.REVIEW}


def test_policy_is_frozen(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, VALID), KB)
    with pytest.raises(AttributeError):
        policy.default_use = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.uses["x"] = policy.use("product")  # type: ignore[index]


def _mark(text: str, old: str, new: str) -> str:
    """Replace `old` by `new`, marking the first line of `new` as the one the error must name."""
    assert old in text, old
    first, sep, rest = new.partition("\n")
    return text.replace(old, first + "  # <- HERE" + sep + rest, 1)


# (id, policy text, expected fragment of the message). The expected line is the one marked `# <- HERE`.
ERRORS = [
    ("unknown-top-key", _mark(VALID, "name: Test policy", "nam: Test policy"), "unknown key 'nam'"),
    ("unknown-use-key", _mark(VALID, "    commercial: true", "    comercial: true"), "did you mean 'commercial'"),
    ("unknown-company-key", _mark(VALID, "  annual_revenue_usd: ~", "  revenue: 5"), "unknown key 'revenue'"),
    (
        "number-as-text",
        _mark(VALID, "  monthly_active_users: 1_000", "  monthly_active_users: 700M"),
        "must be a whole number",
    ),
    ("negative-number", _mark(VALID, "  monthly_active_users: 1_000", "  monthly_active_users: -5"), "negative"),
    ("bool-as-text", _mark(VALID, "    commercial: true", "    commercial: sometimes"), "must be true or false"),
    ("missing-flag", VALID.replace("    modifies: false\n", ""), "missing 'modifies'"),
    (
        "unknown-license",
        _mark(VALID, "      cc-by-nc-4.0: deny", "      not-a-license: deny"),
        "unknown license 'not-a-license'",
    ),
    (
        "unknown-category",
        _mark(VALID, "      permissive: allow", "      permisive: allow"),
        "did you mean 'permissive'",
    ),
    ("bad-decision", _mark(VALID, "      permissive: allow", "      permissive: maybe"), "expected one of: allow"),
    ("impossible-date", _mark(VALID, "    expires: 2027-01-01", "    expires: 2027-02-30"), "invalid value"),
    ("not-a-date", _mark(VALID, "    expires: 2027-01-01", "    expires: next year"), "must be a date"),
    ("date-with-time", _mark(VALID, "    expires: 2027-01-01", "    expires: 2027-01-01 10:00:00"), "without a time"),
    ("quoted-bad-date", _mark(VALID, "    expires: 2027-01-01", '    expires: "2027-13-01"'), "not a real date"),
    (
        "missing-expiry",
        _mark(
            VALID.replace("    expires: 2027-01-01", "    ticket: T-1"), "  - model: org/model", "  - model: org/model"
        ),
        "missing 'expires'",
    ),
    (
        "waiver-unknown-use",
        _mark(VALID, "    reason: Signed.", "    uses: [prodcut]\n    reason: Signed."),
        "unknown use 'prodcut'",
    ),
    (
        "waiver-revision-read-as-number",
        _mark(VALID, "    reason: Signed.", "    revision: 0123456\n    reason: Signed."),
        "put it in quotes",
    ),
    (
        "waiver-branch-revision",
        _mark(VALID, "    reason: Signed.", "    revision: main\n    reason: Signed."),
        "commit sha",
    ),
    ("waiver-short-sha", _mark(VALID, "    reason: Signed.", "    revision: abc12\n    reason: Signed."), "at least 7"),
    ("waiver-bad-model", _mark(VALID, "  - model: org/model", "  - model: not a repo"), "not a Hub repo id"),
    ("default-use-undefined", _mark(VALID, "default_use: product", "default_use: products"), "did you mean 'product'"),
    ("territory-uk", _mark(VALID, "  territories: [US]", "  territories: [US, UK]"), "write 'GB'"),
    ("territory-unknown", _mark(VALID, "  territories: [US]", "  territories: [XX]"), "not an ISO 3166-1"),
    (
        "fail-closed-rule",
        _mark(VALID, "  gated_repo: warn", "  missing_license: allow"),
        "expected one of: review, deny",
    ),
    (
        "low-confidence-range",
        VALID.replace("  gated_repo: warn", "  low_confidence:\n    below: 2  # <- HERE"),
        "from 0 to 1",
    ),
    (
        "duplicate-key",
        VALID.replace("    distributes: true", "    distributes: true\n    commercial: false  # <- HERE"),
        "duplicate key 'commercial'",
    ),
    ("yaml-syntax", _mark(VALID, "    distributes: true", "    distributes: true: false"), "invalid YAML"),
    (
        "categories-not-a-mapping",
        _mark(VALID, "    categories:\n      permissive: allow", "    categories: allow"),
        "must be a mapping",
    ),
    ("bad-use-name", _mark(VALID, "  product:", "  Product Use:"), "lower-case"),
    # issue 10: rights a use needs, and the company facts license terms are checked against
    (
        "needs-unknown-right",
        _mark(VALID, "    commercial: true", "    needs: [commercial-use, resell]\n    commercial: true"),
        "unknown right 'resell'",
    ),
    (
        "needs-misspelt-right",
        VALID.replace(
            "    commercial: true", "    commercial: true\n    needs:\n    - host-service\n    - modfy  # <- HERE", 1
        ),
        "did you mean 'modify'",
    ),
    (
        "needs-twice",
        _mark(VALID, "    commercial: true", "    needs: [modify, modify]\n    commercial: true"),
        "names 'modify' twice",
    ),
    (
        "entity-type",
        _mark(VALID, "  territories: [US]", "  entity_type: startup\n  territories: [US]"),
        "expected one of: company, individual, academic, non-profit, government",
    ),
    (
        "service-provider-not-bool",
        _mark(VALID, "  territories: [US]", "  service_provider: sometimes\n  territories: [US]"),
        "must be true or false",
    ),
    (
        "principal-place-uk",
        _mark(VALID, "  territories: [US]", "  principal_place_of_business: UK\n  territories: [US]"),
        "write 'GB'",
    ),
    (
        "daily-users-as-text",
        _mark(VALID, "  territories: [US]", "  daily_active_users: 1M\n  territories: [US]"),
        "must be a whole number",
    ),
]


def _expected_line(text: str) -> int:
    (line,) = [n for n, row in enumerate(text.splitlines(), 1) if "# <- HERE" in row]
    return line


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_policy_errors_name_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = write_policy(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        check_policy_file(path, KB)
    error = caught.value
    assert error.path == str(path)
    if "# <- HERE" in text:
        assert error.line == _expected_line(text), str(error)
    assert fragment in error.message, str(error)
    assert str(error).startswith(f"{path}:")
    assert error.exit_code == EXIT_USAGE


def test_missing_flag_is_reported_at_its_use(tmp_path: Path) -> None:
    path = write_policy(tmp_path, VALID.replace("    modifies: false\n", ""))
    with pytest.raises(PolicyError) as caught:
        check_policy_file(path, KB)
    assert caught.value.line == 8  # `product:` where the key is missing


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "empty"), ("- a list\n", "must be a mapping"), ("name: x\n", "missing 'uses'")],
    ids=["empty", "list", "no-uses"],
)
def test_whole_file_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(write_policy(tmp_path, text), KB)
    assert fragment in caught.value.message


def test_unreadable_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "missing.yaml", KB)
    assert "cannot read" in caught.value.message
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PolicyError, match="UTF-8"):
        load_policy(bad, KB)


def test_org_on_both_lists_is_an_error(tmp_path: Path) -> None:
    text = VALID.replace("  gated_repo: warn", "  orgs:\n    deny: [acme]\n    allow: [ACME]")
    with pytest.raises(PolicyError, match="both allowed and denied"):
        load_policy(write_policy(tmp_path, text), KB)


def test_resolve_use(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, VALID), KB)
    assert resolve_use(policy, None) == "product"
    assert resolve_use(policy, "product") == "product"
    with pytest.raises(UsageError) as caught:
        resolve_use(policy, "saas")
    assert "unknown use 'saas'" in str(caught.value)
    assert "product" in str(caught.value)
