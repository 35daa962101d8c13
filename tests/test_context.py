"""The namespace summary: what is shown, what is hidden, the budget."""

from __future__ import annotations

import random
import string
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from eager_jupyter.sources.namespace import is_secret_name, summarize_namespace

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def ipython_like(**user: Any) -> dict[str, Any]:
    """A namespace as IPython's user_ns looks after a few cells, plus ``user``'s names."""
    ns: dict[str, Any] = {
        "__name__": "__main__",
        "__builtins__": __builtins__,
        "In": ["", "x = 1"],
        "Out": {2: 1},
        "_": 1,
        "__": "",
        "___": "",
        "_i": "x",
        "_ii": "",
        "_iii": "",
        "_i1": "x = 1",
        "_i2": "x",
        "_2": 1,
        "_oh": {},
        "_dh": [],
        "_ih": [],
        "exit": object(),
        "quit": object(),
        "get_ipython": lambda: None,
        "open": open,
    }
    ns.update(user)
    return ns


def names_in(summary: str) -> list[str]:
    out = []
    for line in summary.splitlines():
        if line.startswith("def "):
            out.append(line[4:].split("(")[0])
        elif ":" in line and not line.startswith(("modules:", "...")):
            out.append(line.split(":")[0])
    return out


def test_ipython_names_and_private_names_are_hidden() -> None:
    summary = summarize_namespace(ipython_like(x=1, _private=2, __dunder__=3))
    assert summary == "x: int = 1"


def test_hidden_names_from_the_shell() -> None:
    summary = summarize_namespace({"x": 1, "startup_thing": 2}, hidden={"startup_thing"})
    assert names_in(summary) == ["x"]


def test_real_shell_namespace() -> None:
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()  # the test process's one shell (start_ipython() gives None once it exists)
    assert shell is not None
    shell.run_cell("import math\nalpha = 0.5\nalpha")
    summary = summarize_namespace(shell.user_ns, hidden=shell.user_ns_hidden)
    assert "alpha: float = 0.5" in summary
    assert "modules: math" in summary
    for name in ("In", "Out", "get_ipython", "exit", "_i1", "open"):
        assert name not in names_in(summary)


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "ANTHROPIC_API_KEY",
        "token",
        "gh_token",
        "secret",
        "db_password",
        "passwd",
        "credentials",
        "auth_header",
        "KEY",
    ],
)
def test_secret_looking_names_never_appear(name: str) -> None:
    assert is_secret_name(name)
    summary = summarize_namespace({name: "hunter2-value", "x": 1})
    assert "hunter2" not in summary
    assert name not in summary


def test_secret_looking_values_never_appear() -> None:
    key = "sk-ant-api03-" + "A" * 40
    ns = {
        "k": key,
        "header": f"Bearer {key}",
        "other": "s3cr3t-value-from-env",
        "config": {"api_key": key},
        "x": 1,
    }
    summary = summarize_namespace(ns, secrets=["s3cr3t-value-from-env"])
    assert key not in summary and "sk-ant" not in summary
    assert "s3cr3t" not in summary
    assert "config: dict, 1 item" in summary  # containers: a length, never contents
    assert names_in(summary) == ["x", "config"]


def test_dataframe_shape_columns_dtypes_first() -> None:
    df = pd.DataFrame({"region": ["n", "s"], "revenue": [1.5, 2.0], "units": [1, 2]})
    ns = {"n": 3, "df": df, "s": df.revenue, "arr": np.zeros((2, 3))}
    lines = summarize_namespace(ns).splitlines()
    assert lines[0].startswith("df: pandas.DataFrame, 2 rows x 3 columns: region (")
    assert "revenue (float64)" in lines[0] and "units (int64)" in lines[0]
    assert lines[1:3] == [
        "arr: numpy.ndarray, shape (2, 3), float64",
        "s: pandas.Series 'revenue', 2 values, float64",
    ]
    assert lines[3] == "n: int = 3"


def test_wide_dataframe_lists_a_bounded_number_of_columns() -> None:
    wide = pd.DataFrame({f"c{i}": [i] for i in range(100)}).set_index("c0")
    line = summarize_namespace({"wide": wide})
    assert "1 rows x 99 columns, index c0" in line
    assert "c40 (int64)" in line and "c41 (int64)" not in line
    assert "... 59 more" in line


def test_values_functions_classes_modules() -> None:
    import math as m
    from pathlib import Path

    def load(path: str, sep: str = ",") -> None:
        pass

    class Report:
        pass

    ns = {
        "m": m,
        "Path": Path,
        "load": load,
        "Report": Report,
        "path": "sales.csv",
        "long": "x" * 500,
        "items": [1, 2, 3],
        "flag": True,
        "nothing": None,
        "obj": object(),
    }
    summary = summarize_namespace(ns)
    assert "path: str = 'sales.csv'" in summary
    assert "long: str, 500 chars = 'xxxx" in summary and "x" * 100 not in summary
    assert "items: list, 3 items" in summary
    assert "flag: bool = True" in summary
    assert "nothing: NoneType = None" in summary
    assert "obj: object" in summary
    assert "def load(path: 'str', sep: 'str' = ',') -> 'None'" in summary
    assert "Report: class " in summary
    assert "Path: class pathlib.Path" in summary
    assert summary.splitlines()[-1] == "modules: math as m"


def test_budget_is_respected_and_truncation_is_said() -> None:
    ns = {f"v{i}": i for i in range(200)}
    for budget in (0, 10, 30, 100, 500, 2000):
        summary = summarize_namespace(ns, budget=budget)
        assert len(summary) <= budget
        if budget >= 100:
            assert summary.splitlines()[-1].startswith("... and ")
    full = summarize_namespace(ns, budget=100_000)
    assert "..." not in full and len(full.splitlines()) == 200
    # most recently defined first
    assert full.splitlines()[0] == "v199: int = 199"


def test_objects_that_raise_are_summarised_by_type() -> None:
    class Hostile:
        def __len__(self) -> int:
            raise RuntimeError("no")

        def __repr__(self) -> str:
            raise RuntimeError("no")

    frame_class: Any = pd.DataFrame

    class BadFrame(frame_class):  # type: ignore[misc]
        @property
        def shape(self) -> Any:
            raise RuntimeError("no")

    summary = summarize_namespace({"h": Hostile(), "b": BadFrame({"a": [1]})})
    assert "h: test_context.Hostile" in summary
    assert "b: " in summary


def test_no_pandas_import_when_pandas_was_not_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        from eager_jupyter.sources.namespace import summarize_namespace
        class DataFrame:
            shape = (1, 1)
        ns = {"df": DataFrame(), "x": [1]}
        out = summarize_namespace(ns)
        assert "pandas" not in sys.modules and "numpy" not in sys.modules, sorted(sys.modules)
        print(out)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["x: list, 1 item", "df: DataFrame"]


# ---- secrets never reach the summary -------------------------------------------------------------

_RNG = random.Random(7)
_B62 = string.ascii_letters + string.digits
KEY = "sk-ant-api03-" + "".join(_RNG.choice(_B62 + "-_") for _ in range(86)) + "AA"
GHP = "ghp_" + "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
AKIA = "AKIA" + "".join(_RNG.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def key_pieces(text: str) -> list[str]:
    """The 8-character pieces of the key (and of its reversal) found in ``text``, ignoring case."""
    low = text.lower()
    return [
        variant[i : i + 8]
        for variant in (KEY.lower(), KEY[::-1].lower())
        for i in range(13, len(variant) - 7)
        if variant[i : i + 8] in low
    ]


def test_no_secret_reaches_the_summary() -> None:
    def call(prompt, api_key=KEY, retries=2):  # type: ignore[no-untyped-def]
        pass

    def post(url, auth=f"Bearer {KEY}", headers={"x": KEY}):  # type: ignore[no-untyped-def]  # noqa: B006
        pass

    ns: dict[str, Any] = {
        "call": call,
        "post": post,
        "lam": lambda x=KEY[::-1]: x,
        "by_label": pd.Series([1.0, 2.0], name=KEY),
        "frame": pd.DataFrame({"region": ["n", "s"], KEY: [1, 2], "revenue_2024": [1.5, 2.5]}),
        "indexed": pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name=KEY[5:40])),
        "config": {"api_key": KEY},
        "pair": ("user", KEY),
        "header": f"Bearer {KEY}",
        "reversed_copy": KEY[::-1],
        "sliced": KEY[20:50],
        "upper": KEY.upper(),
        "lower": KEY.lower(),
        "pwd": "hunter2!",
        "passphrase": "open sesame please",
        "creds": ("me", "pw-123456"),
        "cookie": "sessionid=abc123def",
        "conn": "postgresql://me:hunter2@db.example.com/sales",
        "db_url": "postgresql://me:s3cret-pw@db.example.com/sales",
        "gh": GHP,
        "aws_id": AKIA,
        "odbc": "Server=db;Database=sales;Pwd=hunter2pass;",
        "threshold": 0.25,
        "path": "sales.csv",
    }
    summary = summarize_namespace(ns, secrets=[KEY], budget=100_000)
    assert key_pieces(summary) == []
    for secret in ("hunter2", "open sesame", "pw-123456", "sessionid", "s3cret-pw", GHP, AKIA, "Pwd="):
        assert secret not in summary, secret
    for name in ("pwd", "passphrase", "creds", "cookie", "conn"):  # secret-looking names: left out
        assert name not in names_in(summary)
    for name in ("header", "reversed_copy", "sliced", "upper", "lower", "db_url", "gh", "aws_id", "odbc"):
        assert name not in names_in(summary)  # secret-looking values: left out
    # what is not secret is still there
    lines = summary.splitlines()
    frame = next(line for line in lines if line.startswith("frame: "))
    assert frame.startswith("frame: pandas.DataFrame, 2 rows x 3 columns: region (")
    assert frame.endswith("), [redacted] (int64), revenue_2024 (float64)")
    assert "indexed: pandas.DataFrame, 1 rows x 1 columns, index [redacted]: a (int64)" in lines
    assert "by_label: pandas.Series [redacted], 2 values, float64" in lines
    assert "config: dict, 1 item" in lines and "pair: tuple, 2 items" in lines
    assert "threshold: float = 0.25" in lines and "path: str = 'sales.csv'" in lines
    defs = [line.split(" from ")[0] for line in lines if line.startswith("def ")]  # from test_context
    assert defs == [
        "def lam(x=...)",
        "def post(url, auth=..., headers=...)",
        "def call(prompt, api_key=..., retries=2)",
    ]


def test_the_key_is_found_without_being_told() -> None:
    """Without ``secrets=``, the token formats and the entropy check still keep the key out."""
    ns = {"k": KEY, "s": pd.Series([1], name=KEY), "f": lambda k=KEY: k, "x": 1}
    summary = summarize_namespace(ns)
    assert KEY not in summary and "sk-ant" not in summary
    assert names_in(summary) == ["s", "x", "f"]
