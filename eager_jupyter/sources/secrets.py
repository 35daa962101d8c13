"""The secret scanner: what must never reach a model, found and redacted in any text.

``SecretScanner(known)`` finds secret spans in a text; ``looks_secret(text)`` says whether there is
one, ``redact(text)`` replaces each with ``[redacted]`` (``redact_known``: only the known ones, for
what an agent's code shows in the notebook). ``redact_for_model(text, scanner)`` is the one
call for anything sent to a model that the notebook produced (a traceback for ``--fix``, a tool
result for the agent). ``secret_name(name)`` says whether a variable name looks like it holds a
secret. ``secret_env_values(environ)`` picks the values of secret-named environment variables, which
the caller passes as ``known`` along with the API key in use. Pure: no I/O, no IPython.

What is found, each kind in one pass over the text (no pattern has nested quantifiers; the token
patterns start with a literal the regex engine skips ahead to, and whether the token starts a run is
checked after the match; repeats inside a match are bounded), then merged into sorted spans:

- **Known secrets and what code does to them.** A known secret of 16 characters or more that looks
  random (the same test as below, with a lower bar) is indexed by its 8-character grams, lower-cased,
  of the secret itself (without a public prefix such as ``sk-ant-api03-``, which every key of that
  kind shares), of its reversal and of its base64 (standard and URL-safe alphabets, at the three
  byte alignments, so ``base64(user + ":" + key)`` is caught too). Any text whose run of non-space
  characters holds one of those grams is redacted over the whole span of the matching grams, widened
  to the surrounding token characters. So slices of 8 or more characters, reversals, case changes and
  the key inside longer strings are all found, in time linear in the text (one set lookup per
  position of the runs of 8 or more non-space characters). Grams with no digit and no lower-to-upper
  case switch are not indexed: they could be ordinary words (``password``), and a random key keeps
  nearly all of its grams. A known secret that is short or not random-looking (``hunter2-value``) is
  only matched whole, ignoring case, forwards or reversed; one under 8 characters is ignored, since
  ``true`` or ``1`` would redact everything. Not found: a key with separators inserted every few
  characters, or encoded other than base64.
- **Token formats**: ``sk-ant-...``/``sk-...``, GitHub (``ghp_ gho_ ghu_ ghs_ ghr_ github_pat_``), AWS key
  ids (``AKIA``/``ASIA``... plus 16), Slack ``xox?-``, Google ``AIza...`` and ``ya29.``, Stripe, Hugging
  Face ``hf_``, GitLab ``glpat-``, npm, SendGrid, JWTs (``eyJ...\\.eyJ...``), PEM private key blocks (to
  their end, or to the end of the text when it was cut), ``Bearer``/``Basic``/``token`` credentials,
  the password of a URL (``scheme://user:password@``), ``name=value`` (no spaces: connection strings'
  ``Password=``/``pwd=``), ``name = "value"`` and ``"name": "value"`` (code, JSON) where the name's
  last word is secret (``db_password``, ``x-api-key``; not ``KeyError``, ``sort_key``, ``token_count``),
  ``Cookie:`` and ``Set-Cookie:`` header values at the start of a line.
- **High-entropy strings**: a run of 20 or more ``[A-Za-z0-9+/_-]`` characters (its ``/``-separated
  parts that read like words or hex are set aside first, so URLs and paths stay) whose characters
  switch between lower case, upper case and digits (a capital starting a word does not count) in at
  least a fifth of the adjacent pairs within its words, with a character entropy of at least 3 bits.
  That separates random tokens (a random 20-character base62 string passes 99 times in 100) from
  identifiers (``getMonthlyRevenue2024``, ``revenue_2024_q1``), long words, numbers and paths.
  Hex strings (git and sha256 digests, UUIDs, addresses) are *not* redacted: they are digests and ids
  far more often than secrets in a notebook, and a model needs them; a hex secret is still caught when
  it is known (an environment value) or named (``token = "..."``).

``secret_name`` splits a name into words (snake_case, camelCase, digits) and matches whole words:
``pwd``, ``db_password``, ``authToken``, ``df_key``, ``APIKEY`` are secret; ``monkey``, ``keys_sorted``,
``tokenizer``, ``tokens``, ``author``, ``passes`` are not. A word that ends in a long secret word
(``dbpassword``, ``githubtoken``) counts too.

To validate a change: ``tests/test_secrets.py`` (the table of secrets and look-alikes; every row
must keep its verdict), then ``python -m eager_jupyter.bench.secrets_speed`` for the throughput.
"""

from __future__ import annotations

import base64
import math
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

__all__ = [
    "REDACTED",
    "SecretScanner",
    "Span",
    "redact_for_model",
    "secret_env_values",
    "secret_name",
]

REDACTED = "[redacted]"
GRAM = 8
_MIN_KNOWN = 8  # shorter known secrets are ignored
_MIN_INDEXED = 16  # shorter known secrets are matched whole only
_MIN_RUN = 20  # high-entropy runs are at least this long


class Span(NamedTuple):
    start: int
    end: int
    kind: str


# ---- names ---------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_WORDS = frozenset(
    [
        *("pw", "pwd", "pass", "passwd", "password", "passwords", "passphrase", "passcode"),
        *("secret", "secrets", "token", "key", "apikey", "privkey", "privatekey", "jwt", "bearer", "otp"),
        *("cred", "creds", "credential", "credentials", "cookie", "cookies", "auth", "authorization"),
        *("conn", "connstr", "dsn", "session", "sessionid"),
    ]
)
# a word ending in one of these is secret too (dbpassword, githubtoken, mysecret)
_SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credentials",
                    "credential", "cookie", "creds")


def secret_name(name: str) -> bool:
    """Whether an identifier (a variable, a parameter, a key) names a secret. Word-aware."""
    for word in _WORD.findall(name):
        word = word.lower()
        if word in _SECRET_WORDS or (len(word) > 6 and word.endswith(_SECRET_SUFFIXES)):
            return True
    return False


_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION")


def secret_env_values(environ: Mapping[str, str]) -> list[str]:
    """The values of environment variables whose names look secret, minus paths, flags and numbers."""
    out: list[str] = []
    for name, value in environ.items():
        value = value.strip()
        if not _ENV_NAME.search(name.upper()) or len(value) < _MIN_KNOWN:
            continue
        if value.isdigit() or value.startswith(("/", "~/", "./")) or re.match(r"[A-Za-z]:\\", value):
            continue
        out.append(value)
    return out


# ---- randomness ----------------------------------------------------------------------------------


def _class(char: str) -> int:
    return 1 if char.islower() else 2 if char.isupper() else 3 if char.isdigit() else 0


def _looks_random(text: str, min_rate: float = 0.2, min_entropy: float = 3.0) -> bool:
    """Class switches within words (lower/upper/digit; not upper to lower) at ``min_rate`` or more
    of the pairs, and a character entropy of ``min_entropy`` bits or more."""
    pairs = switches = 0
    previous = 0
    for char in text:
        current = _class(char)
        if current and previous:
            pairs += 1
            # upper to lower starts a capitalised word: natural, not a sign of randomness
            switches += current != previous and not (previous == 2 and current == 1)
        previous = current
    if not pairs or switches / pairs < min_rate:
        return False
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    n = len(text)
    entropy = -sum(c / n * math.log2(c / n) for c in counts.values())
    return entropy >= min_entropy


_HEX = re.compile(r"(?:0x)?[0-9a-fA-F_\-]+")
_WORDLIKE = re.compile(r"[a-z_\-]*|[A-Z][a-z_\-]*|[A-Z_\-]*")  # a path part such as 'home', 'Users'


def _distinctive(text: str) -> bool:
    """Has a digit or a lower-to-upper case switch: not an ordinary word."""
    return any(c.isdigit() for c in text) or bool(re.search(r"[a-z][A-Z]", text))


# ---- patterns ------------------------------------------------------------------------------------

# Token formats. Each pattern starts with a literal so the regex engine skips ahead to it; that the
# token starts a run (no letter, digit, _ or - before it) is checked after the match.
_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("api key", re.compile(r"sk-[A-Za-z0-9_\-]{20,}")),
    ("github token", re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}")),
    ("github token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    ("aws key id", re.compile(r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("slack token", re.compile(r"xox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("google key", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    ("google token", re.compile(r"ya29\.[0-9A-Za-z_\-]{20,}")),
    ("stripe key", re.compile(r"k_(?:live|test)_[0-9A-Za-z]{16,}")),  # sk_, rk_, pk_: see _START
    ("hugging face token", re.compile(r"hf_[A-Za-z0-9]{30,}")),
    ("gitlab token", re.compile(r"glpat-[A-Za-z0-9_\-]{20,}")),
    ("npm token", re.compile(r"npm_[A-Za-z0-9]{36}")),
    ("sendgrid key", re.compile(r"SG\.[\w\-]{16,}\.[\w\-]{16,}")),
    ("jwt", re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")),
    ("private key", re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                               r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)")),
]
_START = {"stripe key": 1}  # characters of the token before where its pattern starts
_RUN_CHAR = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# The secret part only (group 1), matched in the ASCII-lower-cased text: the credential after
# Bearer/Basic/token (when it is not a plain word), a cookie header's value, a URL's password.
_CREDENTIALS = [re.compile(word + r"[ \t]+([a-z0-9_\-.=+/~]{8,})") for word in ("bearer", "basic", "token")]
_COOKIE = re.compile(r"cookie[ \t]*:[ \t]*([^\r\n]+)")
_URL_PASSWORD = re.compile(r"://[^/\s:@'\"]{0,200}:([^/\s@'\"]{1,300})@")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# a secret-looking name, then = or :, then a quoted literal, a bare value (=, no spaces) or a token (:)
_NAMED = re.compile(
    r"(?<![A-Za-z0-9_])(?P<name>[A-Za-z_][A-Za-z0-9_\-]{0,63})(?:"
    r"[\"']?[ \t]*[:=][ \t]*[bru]{0,2}(?:\"(?P<dq>[^\"\n\\]{1,400})\"|'(?P<sq>[^'\n\\]{1,400})')"
    r"|=(?![=\"'])(?P<bare>[^\s\"',;&()\[\]{}<>]{1,400})"
    r"|:[ \t]*(?P<colon>[A-Za-z0-9_\-.+/=~]{8,400}))"
)
# names too common in code for their value to be taken as a secret (session=s, auth=HTTPBasicAuth(..))
_AMBIGUOUS_NAMES = frozenset({"session", "conn", "auth"})
# what a key must be of for ``..._key = value`` to be a secret
_KEY_KINDS = frozenset(
    ["api", "secret", "private", "access", "signing", "encryption", "license", "master", "client",
     "account", "app", "priv", "ssh", "subscription", "storage", "service", "openai", "anthropic"]
)
_RUN = re.compile(r"[A-Za-z0-9+/_\-]{" + str(_MIN_RUN) + r",}={0,2}")
_NONSPACE = re.compile(r"\S{" + str(GRAM) + ",}")
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-+/]")
# the public prefix of a token (sk-ant-api03-, ghp_): short lower-case words before a separator
_PREFIX = re.compile(r"(?:[a-z0-9]{1,8}[\-_.]){0,4}")


class SecretScanner:
    """Finds secrets in text: ``known`` ones (and what code does to them), token formats, entropy."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self._grams: set[str] = set()
        whole: list[str] = []
        for secret in dict.fromkeys(s.strip() for s in known if s and len(s.strip()) >= _MIN_KNOWN):
            whole.append(secret)
            prefix = _PREFIX.match(secret)
            body = secret[prefix.end() if prefix else 0 :]
            if len(body) >= _MIN_INDEXED and _looks_random(body, 0.15, 2.5):
                for variant in _variants(body):
                    self._grams.update(
                        variant[i : i + GRAM].lower()
                        for i in range(len(variant) - GRAM + 1)
                        if _distinctive(variant[i : i + GRAM])
                    )
        self._count = len(whole)
        # matched whole, ignoring case, forwards and reversed
        self._whole = sorted({_lower(s) for s in whole} | {_lower(s[::-1]) for s in whole})

    def __repr__(self) -> str:  # never the known secrets
        return f"<SecretScanner: {self._count} known, {len(self._grams)} grams>"

    # ---- the public calls -------------------------------------------------------------------------
    def looks_secret(self, text: str) -> bool:
        return next(self._find(text), None) is not None

    def holds_known(self, text: str) -> bool:
        """Whether ``text`` holds a known secret or a piece or transformation of one."""
        return next(self._find_known(text, _lower(text)), None) is not None

    def redact(self, text: str) -> str:
        """``text`` with every secret span replaced by ``[redacted]``."""
        return _replaced(text, self.spans(text))

    def redact_known(self, text: str) -> str:
        """``text`` with only the known secrets' spans redacted (for what the notebook itself shows:
        token-like data of the user's stays)."""
        return _replaced(text, self.spans(text, known_only=True))

    def spans(self, text: str, *, known_only: bool = False) -> list[Span]:
        """The secret spans of ``text``, sorted and merged (overlapping ones become one)."""
        merged: list[Span] = []
        found = self._find_known(text, _lower(text)) if known_only else self._find(text)
        for span in sorted(found):
            if merged and span.start <= merged[-1].end:
                last = merged[-1]
                merged[-1] = Span(last.start, max(last.end, span.end), last.kind)
            else:
                merged.append(span)
        return merged

    # ---- the detectors ---------------------------------------------------------------------------
    def _find(self, text: str) -> Iterator[Span]:
        low = _lower(text)
        yield from self._find_known(text, low)
        yield from _find_formats(text, low)

    def _find_known(self, text: str, low: str) -> Iterator[Span]:
        for secret in self._whole:
            at = low.find(secret)
            while at >= 0:
                yield Span(at, at + len(secret), "known")
                at = low.find(secret, at + 1)
        if self._grams:
            yield from self._known_fragments(text, low)

    def _known_fragments(self, text: str, low: str) -> Iterator[Span]:
        grams = self._grams
        for run in _NONSPACE.finditer(low):
            start, end = run.span()
            hits = [i for i in range(start, end - GRAM + 1) if low[i : i + GRAM] in grams]
            if not hits:
                continue
            span_start, span_end = hits[0], hits[0] + GRAM
            for i in hits[1:]:
                if i > span_end:
                    yield _widen(text, span_start, span_end, start, end)
                    span_start = i
                span_end = i + GRAM
            yield _widen(text, span_start, span_end, start, end)


def _find_formats(text: str, low: str) -> Iterator[Span]:
    for kind, pattern in _TOKENS:
        for match in pattern.finditer(text):
            start = match.start() - _START.get(kind, 0)
            if start < 0 or (start and text[start - 1] in _RUN_CHAR):
                continue
            if kind != "api key" or _distinctive(match.group()[3:]):
                yield Span(start, match.end(), kind)
    for pattern in _CREDENTIALS:
        for match in pattern.finditer(low):
            start, end = match.span(1)
            before = text[match.start() - 1] if match.start() else " "
            if not before.isalnum() and _distinctive(text[start:end]):
                yield Span(start, end, "credential")
    for match in _COOKIE.finditer(low):
        line_start = low.rfind("\n", 0, match.start()) + 1
        if low[line_start : match.start()].strip() in ("", "set-"):
            yield Span(match.start(1), match.end(1), "cookie")
    for match in _URL_PASSWORD.finditer(text):
        yield Span(match.start(1), match.end(1), "url password")
    yield from _named_values(text)
    yield from _high_entropy(text)


def _lower(text: str) -> str:
    """Lower-cased, each character to one (so positions match ``text``)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def _variants(secret: str) -> list[str]:
    """The secret, reversed, and its base64 at each byte alignment (only characters it alone decides)."""
    out = [secret, secret[::-1]]
    data = secret.encode()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            coded = encode(b"\0" * shift + data).decode().rstrip("=")
            out.append(coded[4 if shift else 0 : -4])
    return out


def _widen(text: str, start: int, end: int, low: int, high: int) -> Span:
    """The span grown over the token characters around it (what is left of the secret at its ends)."""
    while start > low and _TOKEN_CHAR.match(text[start - 1]):
        start -= 1
    while end < high and _TOKEN_CHAR.match(text[end]):
        end += 1
    return Span(start, end, "known")


def _secret_key_name(name: str) -> bool:
    """Whether the key of a ``name=value`` pair names a secret: by its last word (``db_password``,
    ``x-api-key``; not ``KeyError``, ``password_hash``, ``sort_key`` or a bare ``key``)."""
    words = [w.lower() for w in _WORD.findall(name)]
    if not words:
        return False
    last = words[-1]
    if last in ("key", "keys"):
        return len(words) > 1 and words[-2] in _KEY_KINDS
    return last not in _AMBIGUOUS_NAMES and secret_name(last)


def _named_values(text: str) -> Iterator[Span]:
    for match in _NAMED.finditer(text):
        if not _secret_key_name(match.group("name")):
            continue
        group = next(g for g in ("dq", "sq", "bare", "colon") if match.group(g) is not None)
        value = match.group(group)
        if (group != "colon" or _distinctive(value)) and (group != "bare" or any(c.isalnum() for c in value)):
            yield Span(match.start(group), match.end(group), "named value")


def _high_entropy(text: str) -> Iterator[Span]:
    for run in _RUN.finditer(text):
        # set aside path parts that read like words or hex; judge each stretch of the others
        at = run.start()
        stretch: int | None = None
        for part in run.group().split("/"):
            plain = not part or _WORDLIKE.fullmatch(part) or _HEX.fullmatch(part.rstrip("="))
            if not plain and stretch is None:
                stretch = at
            elif plain and stretch is not None:
                yield from _judge(text, stretch, at - 1)
                stretch = None
            at += len(part) + 1
        if stretch is not None:
            yield from _judge(text, stretch, run.end())


def _judge(text: str, start: int, end: int) -> Iterator[Span]:
    value = text[start:end]
    if len(value) >= _MIN_RUN and _looks_random(value):
        yield Span(start, end, "high entropy")


def _replaced(text: str, spans: list[Span]) -> str:
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for span in spans:
        out.append(text[at : span.start])
        out.append(REDACTED)
        at = span.end
    out.append(text[at:])
    return "".join(out)


def redact_for_model(text: str, scanner: SecretScanner) -> str:
    """What the notebook produced (a traceback, an output, a tool result), fit to send to a model."""
    return scanner.redact(text)
