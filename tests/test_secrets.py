"""The secret scanner over a table of secrets and look-alikes: every row keeps its verdict.

The fake key is made here, random but seeded (the same every run), shaped like a real one; no real
secret is ever used.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from eager_jupyter.sources.secrets import (
    REDACTED,
    SecretScanner,
    redact_for_model,
    secret_env_values,
    secret_name,
)

RNG = random.Random(20261207)
B62 = string.ascii_letters + string.digits


def rnd(n: int, alphabet: str = B62) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


KEY = "sk-ant-api03-" + rnd(86, B62 + "-_") + "AA"
ENV_SECRET = "correct-horse-battery-staple"  # a secret environment value that is not random-looking
SCANNER = SecretScanner([KEY, ENV_SECRET])
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# ---- the key and what code does to it ----------------------------------------------------------

KEY_FORMS = {
    "whole": KEY,
    "in a sentence": f"the key is {KEY}, keep it",
    "first 8 after the prefix": KEY[13:21],
    "a middle slice": KEY[30:60],
    "the last 12": KEY[-12:],
    "the body without the prefix": KEY[13:],
    "reversed": KEY[::-1],
    "a slice of the reversal": KEY[::-1][5:25],
    "upper case": KEY.upper(),
    "lower case": KEY.lower(),
    "swapped case": KEY.swapcase(),
    "upper-cased slice in code": f"x = '{KEY[20:40].upper()}'",
    "base64": base64.b64encode(KEY.encode()).decode(),
    "urlsafe base64": base64.urlsafe_b64encode(KEY.encode()).decode(),
    "basic auth of user:key": "Authorization: Basic " + base64.b64encode(f"me:{KEY}".encode()).decode(),
    "bearer": f"Authorization: Bearer {KEY}",
    "a dict repr": repr({"api_key": KEY, "n": 1}),
    "a tuple repr": repr(("user", KEY)),
    "a traceback": f"Traceback (most recent call last):\n  File \"<eager>\", line 1\nKeyError: '{KEY}'",
    "a header dict": f"{{'x-api-key': '{KEY}', 'anthropic-version': '2023-06-01'}}",
}


@pytest.mark.parametrize("form", list(KEY_FORMS))
def test_the_key_and_its_transformations_are_redacted(form: str) -> None:
    text = KEY_FORMS[form]
    assert SCANNER.looks_secret(text)
    redacted = SCANNER.redact(text)
    assert REDACTED in redacted
    low = redacted.lower()
    # no piece of 8 characters of the key (or of its reversal) is left
    for variant in (KEY.lower(), KEY[::-1].lower()):
        for i in range(13, len(variant) - 7):  # the sk-ant-api03- prefix is not secret
            assert variant[i : i + 8] not in low, (form, variant[i : i + 8], redacted)


def test_redact_known_leaves_other_secret_looking_text() -> None:
    """What an agent's code shows in the notebook: the known secrets go, the user's tokens stay."""
    other = "ghp_" + rnd(36)
    text = f"key: {KEY}\nslice {KEY[30:60]} {ENV_SECRET.upper()}\ndata {other} {SHA256}\n"
    redacted = SCANNER.redact_known(text)
    assert redacted == f"key: {REDACTED}\nslice {REDACTED} {REDACTED}\ndata {other} {SHA256}\n"
    assert other not in SCANNER.redact(text)  # the full scan finds the token format too
    assert SCANNER.redact_known("nothing here") == "nothing here"


def test_known_means_the_key_or_a_piece_of_it() -> None:
    assert SCANNER.holds_known(KEY[40:52].swapcase())
    assert SCANNER.holds_known(ENV_SECRET.upper())
    assert SCANNER.holds_known(ENV_SECRET[::-1])
    other = "sk-ant-api03-" + rnd(86) + "AA"
    assert not SCANNER.holds_known(other) and SCANNER.looks_secret(other)  # a format, not known
    # a known secret that is not random-looking is matched whole only: its words are not secrets
    assert not SCANNER.looks_secret("a correct answer: the horse and the battery")


# ---- token formats and other secrets ------------------------------------------------------------

PEM_BODY = "\n".join(rnd(64) for _ in range(4))
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
SECRETS = {
    "another anthropic key": ("sk-ant-api03-" + rnd(86) + "AA", None),
    "an openai project key": ("sk-proj-" + rnd(48), None),
    "an openai key": ("sk-" + rnd(48), None),
    "ghp token": ("ghp_" + rnd(36), None),
    "gho token": ("token gho_" + rnd(36), None),
    "github pat": ("github_pat_" + rnd(22) + "_" + rnd(59), None),
    "aws key id": ("aws_access_key_id = AKIA" + rnd(16, string.ascii_uppercase + string.digits), "AKIA"),
    "aws session key id": ("ASIA" + rnd(16, string.ascii_uppercase + string.digits), None),
    "aws secret key": (rnd(20) + "/" + rnd(9) + "+" + rnd(10), None),
    "slack bot token": ("xoxb-" + rnd(12, string.digits) + "-" + rnd(24), None),
    "google api key": ("AIza" + rnd(35), None),
    "google oauth token": ("ya29." + rnd(60), None),
    "stripe key": ("sk_live_" + rnd(24), None),
    "hugging face token": ("hf_" + rnd(34), None),
    "gitlab token": ("glpat-" + rnd(20), None),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + rnd(43), None),
    "pem private key": (PEM, None),
    "pem cut short": (PEM[:120], None),
    "bearer token": ("Authorization: Bearer " + rnd(32), None),
    "url with a password": ("postgresql://analyst:hunter2@db.example.com:5432/sales", "hunter2"),
    "url with a token password": ("https://x-access-token:" + rnd(30) + "@github.com/o/r.git", None),
    "sql server connection string": ("Server=db;Database=sales;User Id=sa;Password=hunter2;", "hunter2"),
    "odbc pwd": ("DRIVER={ODBC};UID=me;PWD=hunter2pass;", "hunter2pass"),
    "pwd=": ("mysql -u me pwd=hunter2", "hunter2"),
    "a quoted password in code": ('password = "hunter2"', "hunter2"),
    "a passphrase in code": ("passphrase='open sesame now'", "open sesame now"),
    "json api key": ('{"api_key": "abc123", "model": "x"}', "abc123"),
    "yaml token": ("github_token: qwertyuiop42", "qwertyuiop42"),
    "cookie header": ("Cookie: sessionid=abcdef; csrftoken=ghijkl", "sessionid=abcdef"),
    "set-cookie header": ("Set-Cookie: id=a3fWa; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "a3fWa"),
    "random base62": (rnd(40), None),
    "random lower alnum": ("id " + "k3x9qz7mw2p8r4t6v1n5b0c7", None),
    "random base64 with padding": (base64.b64encode(RNG.randbytes(30)).decode(), None),
    "the environment's secret": (f"DB_PASSWORD is {ENV_SECRET}", ENV_SECRET),
    "the environment's secret, upper": (ENV_SECRET.upper(), ENV_SECRET.upper()),
}


@pytest.mark.parametrize("name", list(SECRETS))
def test_secrets_are_redacted(name: str) -> None:
    text, core = SECRETS[name]
    assert SCANNER.looks_secret(text), name
    redacted = SCANNER.redact(text)
    assert REDACTED in redacted
    if core is not None:
        assert core not in redacted, redacted
    else:  # the longest run of token characters is gone
        longest = max(text.replace("/", " ").replace("+", " ").split(), key=len)
        assert longest not in redacted or len(longest) < 8, redacted


# ---- look-alikes that must stay ------------------------------------------------------------------

ORDINARY = [
    "revenue_2024",
    "revenue_2024_q1_by_region_v2",
    "getMonthlyRevenue2024ByRegion",
    "AbstractSingletonProxyFactoryBean",
    "supercalifragilisticexpialidocious",
    "/home/analyst/data/sales_2024.csv",
    "C:\\Users\\analyst\\Documents\\report_final_v3.xlsx",
    "https://example.com/api/v1/items?page=2&sort=desc",
    "pd.read_csv('https://example.com/data/sales.csv')",
    "ssh://git@github.com/owner/repo.git",
    "analyst@example.com",
    "3.141592653589793",
    "12345678901234567890123",
    "2024-01-01T00:00:00Z",
    "123e4567-e89b-12d3-a456-426614174000",  # a UUID: an id, kept
    SHA256,  # a digest of data: kept
    "https://github.com/owner/repo/commit/3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",  # a git sha: kept
    "<__main__.Model object at 0x7f8b2c3d4e50>",
    "<Figure size 640x480 with 1 Axes>",
    "The quick brown fox jumps over the lazy dog.",
    "Basic statistics of the dataset, and the bearer of good news.",
    "Use a token bucket to limit the rate.",
    "The password reset page asks for a new passphrase.",
    "keyboard shortcuts and monkey patches",
    "df.groupby('region')['revenue'].sum().sort_values(ascending=False)",
    "sorted(items, key=len)",
    "sorted(items, key=lambda row: row[1])",
    "tokens = text.split()",
    "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "session = requests.Session()",
    "np.random.seed(42); x = np.linspace(0, 1, 100)",
    "SELECT region, SUM(revenue) FROM sales WHERE year = 2024 GROUP BY region",
    'Traceback (most recent call last):\n  File "/tmp/ipykernel_12345/3141592653.py", line 3, in <module>\n'
    "    x = 1 / 0\nZeroDivisionError: division by zero",
    "KeyError: 'revenue'",
    "scikit-learn sk-learn task-management-system",
    "AKIA is the prefix of an access key id",
    "The Cookie: jar was empty",  # not a header at the start of a line
    "def load(path: str, sep: str = ',') -> pd.DataFrame:",
    "pip install anthropic==0.40.0 httpx>=0.27",
    "x" * 200,
    "",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert SCANNER.spans(text) == []
    assert SCANNER.redact(text) == text


def test_a_long_mixed_text_keeps_everything_but_the_secrets() -> None:
    ordinary = "\n".join(t for t in ORDINARY if t)
    text = f"{ordinary}\nheaders = {{'x-api-key': '{KEY}'}}\n{ordinary}\n"
    redacted = redact_for_model(text, SCANNER)
    assert redacted == f"{ordinary}\nheaders = {{'x-api-key': '{REDACTED}'}}\n{ordinary}\n"


def test_spans_are_sorted_and_merged() -> None:
    text = f"a {KEY} b {KEY[::-1]} c"
    spans = SCANNER.spans(text)
    assert [(s.start, s.end) for s in spans] == [(2, 2 + len(KEY)), (5 + len(KEY), 5 + 2 * len(KEY))]
    assert SCANNER.redact(text) == f"a {REDACTED} b {REDACTED} c"


def test_non_ascii_text_keeps_its_positions() -> None:
    text = "İstanbul ünïcode " + KEY + " ende"  # 'İ'.lower() is two characters
    assert SCANNER.redact(text) == f"İstanbul ünïcode {REDACTED} ende"


def test_a_scanner_shows_no_secret() -> None:
    assert KEY not in repr(SCANNER) and KEY.lower() not in repr(SCANNER)


def test_short_known_values_are_ignored() -> None:
    scanner = SecretScanner(["true", "1", "", "abc"])
    assert scanner.redact("true 1 abc") == "true 1 abc"


# ---- names ------------------------------------------------------------------------------------------

SECRET_NAMES = [
    "pw", "pwd", "passwd", "password", "db_password", "DB_PASSWORD", "dbpassword", "passphrase",
    "secret", "client_secret", "mysecret", "token", "access_token", "authToken", "githubtoken",
    "key", "api_key", "apiKey", "APIKEY", "ANTHROPIC_API_KEY", "df_key", "private_key",
    "cred", "creds", "credentials", "aws_credentials", "cookie", "cookies", "session_cookie",
    "conn", "db_conn", "connstr", "dsn", "auth", "auth_header", "session", "sessionid", "jwt",
]
PLAIN_NAMES = [
    "df", "sales", "revenue_2024", "keys", "keys_sorted", "monkey", "keyboard", "tokens",
    "tokenizer", "author", "authority", "passes", "passenger", "compass", "secretary",
    "connection_count_total_x", "sig", "signal", "cookbook", "primary", "x",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names(name: str) -> None:
    assert not secret_name(name)


def test_secret_env_values() -> None:
    environ = {
        "ANTHROPIC_API_KEY": KEY,
        "GITHUB_TOKEN": "ghp_" + "a1" * 18,
        "DB_PASSWORD": ENV_SECRET,
        "SSH_AUTH_SOCK": "/tmp/ssh-abc123/agent.42",  # a path: not a secret
        "XDG_SESSION_ID": "3",  # too short
        "AUTH_ENABLED": "true",  # too short
        "SESSION_COUNT": "1234567890",  # a number
        "HOME": "/root",
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    assert secret_env_values(environ) == [KEY, "ghp_" + "a1" * 18, ENV_SECRET]


# ---- properties over many keys and real code --------------------------------------------------------


def test_any_slice_of_any_key_is_known() -> None:
    rng = random.Random(5)
    for _ in range(40):
        key = "sk-ant-api03-" + "".join(rng.choice(B62 + "-_") for _ in range(86)) + "AA"
        scanner = SecretScanner([key])
        for _ in range(25):
            start = rng.randrange(13, len(key) - 8)
            piece = key[start : start + rng.randrange(8, 40)]
            piece = rng.choice([piece, piece[::-1], piece.upper(), piece.lower(), piece.swapcase()])
            text = f"value = '{piece}'  # found in a log"
            assert scanner.holds_known(text), (key, piece)
            assert key_piece_left(scanner.redact(text), piece) is None


def key_piece_left(redacted: str, piece: str) -> str | None:
    low = redacted.lower()
    for i in range(len(piece) - 7):
        if piece[i : i + 8].lower() in low:
            return piece[i : i + 8]
    return None


@pytest.mark.parametrize("module", ["typing", "inspect", "json.decoder", "csv", "argparse", "dataclasses"])
def test_real_code_is_left_alone(module: str) -> None:
    """The standard library's own source holds no secret: nothing in it is redacted."""
    import importlib
    import inspect

    source = inspect.getsource(importlib.import_module(module))
    assert SCANNER.spans(source) == []
