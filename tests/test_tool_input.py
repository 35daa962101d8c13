"""Oracle tests for the streamed tool-input decoder (issues 16 and 17: "exact whatever the split").

The oracle is ``json.loads``: for generated objects (random code with every escape kind, astral
characters, quotes, backslashes; other properties of every JSON type, nested, in random order; written
by ``json.dumps`` with its options and by a writer here that escapes at random, escapes keys and puts
random whitespace between tokens), cut at every position, at every pair of halves and at random:
1. the concatenated output equals ``json.loads(text)[key]`` (lone surrogates as U+FFFD, documented);
2. after every feed the output is exactly the decoding of the code's text up to what the decoder holds
   back (``pending``), and ``pending`` is one incomplete escape (or a high surrogate and the start of
   its low half), at most 11 characters: output as soon as certain, never later;
3. mutated texts: whenever ``json.loads`` refuses a text the decoder raises ``ToolInputError``, and when
   it accepts one the decoder agrees with it (or refuses, for what the decoder documents it refuses);
4. a table of malformed inputs, each raising one line that says what and where, whatever the split.
Runs on 3.11 here and on 3.12/3.13 via ``test_other_pythons.py``: pytest and the stdlib only.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from eager_jupyter.sources.tool_input import ToolInputDecoder, ToolInputError, decode_tool_input

KEY = "code"
SURROGATE = re.compile("[\ud800-\udfff]")
PENDING = re.compile(r"(\\u[dD][89abAB][0-9a-fA-F]{2})?(\\(u[0-9a-fA-F]{0,3})?)?")
SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
WS = " \t\n\r"

ATOMS = [
    *"abcxyzXYZ019_ ()[]{}:;,.=+-*/%<>!?#@'`~^|&$",
    '"', '"', "\\", "\\", "/", "\n", "\n", "\t", "\r", "\b", "\f", "\x00", "\x01", "\x1f", "\x7f",
    "é", "ß", "中", "\u2028", "\ufeff", "\uffff", "\u0080", "😀", "\U0001d518", "\U0010ffff", "\U00010000",
    "def f(x):\n", "    return x\n", "print('hi')\n", 's = "a\\"b"\n', "r'\\u0041'", "\\n", "\\u",
    "\\\\", "\\uD83D", '\\"', "'''", '"""', "# comment\n",
]
LONE = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]
NUMBERS = ["0", "-0", "7", "-12", "3.25", "-0.5", "1e5", "1E+5", "2.5e-3", "-4E-0", "10.0e10", "123456789"]
OTHER_KEYS = ["", "a", "cod", "codex", "Code", "co\u0000de", "data", "code ", "é", "😀", "\"", "\\"]


def code_string(rng: random.Random, lone: bool = True) -> str:
    n = rng.choice([0, 1, 3, 10, 30, 60])
    atoms = ATOMS + (LONE if lone else [])
    return "".join(rng.choice(atoms) for _ in range(n))


def literal(s: str, rng: random.Random, *, ascii_only: bool, p_escape: float = 0.3,
            raw_controls: bool = False) -> str:
    """``s`` as a JSON string literal, each character escaped or not at random (all valid JSON)."""
    parts = ['"']
    for ch in s:
        o = ord(ch)
        hexcase = rng.choice([str.lower, str.upper])
        u = "\\u" + hexcase(f"{o:04x}")
        if o > 0xFFFF:
            if ascii_only or rng.random() < p_escape:
                hi, lo = 0xD800 + ((o - 0x10000) >> 10), 0xDC00 + ((o - 0x10000) & 0x3FF)
                parts.append("\\u" + hexcase(f"{hi:04x}") + "\\u" + hexcase(f"{lo:04x}"))
            else:
                parts.append(ch)
        elif ch in SHORT:
            if raw_controls and ch in "\n\t\r\b\f" and rng.random() < 0.5:
                parts.append(ch)
            else:
                parts.append(SHORT[ch] if rng.random() > p_escape else u)
        elif o < 0x20:
            parts.append(ch if raw_controls and rng.random() < 0.5 else u)
        elif ch == "/" and rng.random() < p_escape:
            parts.append("\\/")
        elif (o > 0x7E and ascii_only) or (0xD800 <= o <= 0xDFFF and (ascii_only or rng.random() < 0.7)):
            parts.append(u)
        else:
            parts.append(u if rng.random() < p_escape / 3 else ch)
    parts.append('"')
    return "".join(parts)


def value(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["int", "float", "bool", "null", "str"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, -1, 7, 10**20, -(10**5)])
    if kind == "float":
        return rng.choice([0.5, -2.25, 1e-7, 3.5e21, -0.0])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "str":
        return code_string(rng)
    if kind == "list":
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = rng.sample([*OTHER_KEYS, KEY, KEY + "2"], rng.randrange(4))
    return {k: value(rng, depth + 1) for k in keys}


class Writer:
    """Writes Python values as JSON with random escapes, number spellings and whitespace."""

    def __init__(self, rng: random.Random, *, ascii_only: bool, raw_controls: bool = False) -> None:
        self.rng, self.ascii_only, self.raw_controls = rng, ascii_only, raw_controls
        self.parts: list[str] = []
        self.size = 0

    def put(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)

    def ws(self) -> None:
        if self.rng.random() < 0.5:
            self.put("".join(self.rng.choice(WS) for _ in range(self.rng.randrange(1, 4))))

    def string(self, s: str, p_escape: float = 0.3) -> None:
        self.put(literal(s, self.rng, ascii_only=self.ascii_only, p_escape=p_escape,
                         raw_controls=self.raw_controls))

    def value(self, v: Any) -> None:
        if isinstance(v, bool) or v is None:
            self.put(json.dumps(v))
        elif isinstance(v, (int, float)):
            self.put(self.rng.choice(NUMBERS) if self.rng.random() < 0.3 else json.dumps(v))
        elif isinstance(v, str):
            self.string(v)
        elif isinstance(v, list):
            self.put("[")
            self.ws()
            for i, item in enumerate(v):
                if i:
                    self.put(",")
                    self.ws()
                self.value(item)
                self.ws()
            self.put("]")
        else:
            self.put("{")
            self.ws()
            for i, (k, item) in enumerate(v.items()):
                if i:
                    self.put(",")
                    self.ws()
                self.string(k, p_escape=0.5)
                self.ws()
                self.put(":")
                self.ws()
                self.value(item)
                self.ws()
            self.put("}")


def generated(seed: int, *, raw_controls: bool = False) -> tuple[str, int, int]:
    """A tool input: (text, start, end) with text[start:end] the code string's content."""
    rng = random.Random(seed)
    others = rng.sample(OTHER_KEYS, rng.randrange(0, 4))
    keys = others[:]
    keys.insert(rng.randrange(len(keys) + 1), KEY)
    w = Writer(rng, ascii_only=rng.random() < 0.5, raw_controls=raw_controls)
    w.ws()
    w.put("{")
    w.ws()
    start = end = -1
    for i, k in enumerate(keys):
        if i:
            w.put(",")
            w.ws()
        w.string(k, p_escape=0.5)
        w.ws()
        w.put(":")
        w.ws()
        if k == KEY:
            start = w.size + 1
            w.string(code_string(rng))
            end = w.size - 1
        else:
            w.value(value(rng))
        w.ws()
    w.put("}")
    w.ws()
    return "".join(w.parts), start, end


def dumped(seed: int) -> tuple[str, int, int]:
    """The same through ``json.dumps``, with its options drawn at random."""
    rng = random.Random(seed)
    obj = {k: value(rng) for k in rng.sample(OTHER_KEYS, rng.randrange(0, 4))}
    items = list(obj.items())
    items.insert(rng.randrange(len(items) + 1), (KEY, code_string(rng)))
    ensure_ascii = rng.random() < 0.5
    indent = rng.choice([None, None, 0, 2, "\t"])
    compact = rng.random() < 0.3
    separators = (",", ":") if compact else None
    text = json.dumps(dict(items), ensure_ascii=ensure_ascii, indent=indent, separators=separators)
    code_literal = json.dumps(dict(items)[KEY], ensure_ascii=ensure_ascii)
    marker = json.dumps(KEY) + (":" if compact else ": ") + code_literal
    at = text.index(marker)
    start = at + len(marker) - len(code_literal) + 1
    return text, start, start + len(code_literal) - 2


def answer(text: str, *, strict: bool = True) -> str:
    return SURROGATE.sub("\ufffd", json.loads(text, strict=strict)[KEY])


def decode_pieces(pieces: list[str], *, strict: bool = True) -> str:
    decoder = ToolInputDecoder(KEY, strict=strict)
    out: list[str] = []
    for piece in pieces:
        out += decoder.feed(piece)
    out += decoder.finish()
    return "".join(out)


def random_pieces(text: str, rng: random.Random, max_size: int) -> list[str]:
    pieces, i = [], 0
    while i < len(text):
        size = rng.randrange(0, max_size + 1)  # empty pieces too
        pieces.append(text[i : i + size])
        i += size
    return pieces


def check_char_by_char(text: str, start: int, end: int, *, strict: bool = True) -> None:
    """Feed one character at a time; after each, the output is exactly what is certain."""
    expected = answer(text, strict=strict)
    decoder = ToolInputDecoder(KEY, strict=strict)
    so_far = ""
    for p in range(1, len(text) + 1):
        so_far += "".join(decoder.feed(text[p - 1]))
        pending = decoder.pending
        assert PENDING.fullmatch(pending) and len(pending) <= 11, (text, p, pending)
        if p <= start:
            assert so_far == "", (text, p)  # (an escape in a key or another string may be pending)
        elif p > end:
            assert so_far == expected, (text, p)
        else:
            cut = p - len(pending)
            assert text[cut:p] == pending, (text, p)
            certain = SURROGATE.sub("\ufffd", json.loads('"' + text[start:cut] + '"', strict=strict))
            assert so_far == certain, (text, p, so_far, certain)
        assert decoder.value_complete == (p > end)
    assert decoder.finish() == []
    assert so_far == expected


def test_generated_texts_are_what_they_claim() -> None:
    # the generators themselves: the span is the code literal's content, and escapes do occur
    kinds = set()
    for seed in range(300):
        for text, start, end in (generated(seed), dumped(seed)):
            code = json.loads(text)[KEY]
            assert json.loads('"' + text[start:end] + '"') == code
            kinds.update(re.findall(r"\\(?:u[dD][89abAB]|u|.)", text[start:end]))
    assert {'\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u"} <= kinds
    assert any(k.lower() in ("\\ud8", "\\ud9", "\\uda", "\\udb") for k in kinds)  # surrogate escapes


@pytest.mark.parametrize("make", [generated, dumped])
def test_one_character_at_a_time_outputs_as_soon_as_certain(make: Any) -> None:
    for seed in range(400):
        check_char_by_char(*make(seed))


@pytest.mark.parametrize("make", [generated, dumped])
def test_every_cut_in_two(make: Any) -> None:
    for seed in range(100):
        text, _, _ = make(1000 + seed)
        expected = answer(text)
        for cut in range(len(text) + 1):
            assert decode_pieces([text[:cut], text[cut:]]) == expected, (text, cut)


@pytest.mark.parametrize("make", [generated, dumped])
@pytest.mark.parametrize("max_size", [2, 5, 13, 64])
def test_random_splits(make: Any, max_size: int) -> None:
    for seed in range(300):
        text, _, _ = make(5000 + seed)
        expected = answer(text)
        rng = random.Random(seed * 31 + max_size)
        for _ in range(5):
            assert decode_pieces(random_pieces(text, rng, max_size)) == expected, text


def test_whole_text_and_convenience_function() -> None:
    for seed in range(500):
        for text, _, _ in (generated(9000 + seed), dumped(9000 + seed)):
            assert decode_tool_input(text) == answer(text)


def test_not_strict_allows_raw_control_characters_like_json_loads() -> None:
    seen_raw = False
    for seed in range(200):
        text, start, end = generated(20000 + seed, raw_controls=True)
        try:
            json.loads(text)
        except ValueError:
            seen_raw = True
            with pytest.raises(ToolInputError, match="control character"):
                decode_tool_input(text)
        check_char_by_char(text, start, end, strict=False)
        rng = random.Random(seed)
        assert decode_pieces(random_pieces(text, rng, 7), strict=False) == answer(text, strict=False)
    assert seen_raw


def test_hand_picked_escapes() -> None:
    cases = {
        r'{"code": "a\nb\tc\"d\\e\/f\bg\fh\ri"}': 'a\nb\tc"d\\e/f\bg\fh\ri',
        r'{"code": "\u00e9\u00E9\u4e2d\uFFFF\u0000"}': "éé中\uffff\x00",
        r'{"code": "\ud83d\ude00\uD83D\uDE00"}': "😀😀",
        r'{"code": "\udbff\udfff"}': "\U0010ffff",
        r'{"code": "\ud83d"}': "\ufffd",  # lone high at the end
        r'{"code": "\ud83dx"}': "\ufffdx",
        r'{"code": "\ud83d\n"}': "\ufffd\n",
        r'{"code": "\ud83d\u0041"}': "\ufffdA",
        r'{"code": "\ud83d\ud83d\ude00"}': "\ufffd😀",  # a high then a pair
        r'{"code": "\ude00\ud83d"}': "\ufffd\ufffd",  # low before high: no pair
        '{"code": "\ud83d\ude00"}': "\ufffd\ufffd",  # raw surrogate code points are not a pair
        r'{"\u0063ode": "x"}': "x",
        r'{"\u0063\u006F\u0064\u0065": "x"}': "x",
        r'{"c\u006fde" : "y", "cod": 1, "codes": "n", "Code": "n"}': "y",
        r'{"code\u0000": "n", "code": "y"}': "y",
        r'{"a": {"code": "nested"}, "b": [{"code": "no"}], "code": "top"}': "top",
        '\n\t {"code":"a"} \r\n': "a",
        r'{"a": [[], {}, [[]], {"b": {}}], "n": -0.5e+10, "t": true, "f": false, "z": null, "code": ""}': "",
        r'{"code": "\\u0041"}': "\\u0041",
        r'{"code": "\\\"\\"}': '\\"\\',
    }
    for text, expected in cases.items():
        assert decode_tool_input(text) == expected, text
        for size in (1, 2, 3, 5, 7):
            assert decode_pieces([text[i : i + size] for i in range(0, len(text), size)]) == expected


def test_pending_holds_only_an_escape() -> None:
    decoder = ToolInputDecoder()
    assert decoder.feed('{"code": "ab\\') == ["ab"] and decoder.pending == "\\"
    assert decoder.feed("u00") == [] and decoder.pending == "\\u00"
    assert decoder.feed("e9\\uD83D") == ["é"] and decoder.pending == "\\uD83D"
    assert decoder.feed("\\u") == [] and decoder.pending == "\\uD83D\\u"
    assert decoder.feed("DE00") == ["😀"] and decoder.pending == ""
    assert decoder.feed("\\uD83D") == [] and decoder.pending == "\\uD83D"
    assert decoder.feed("\\n") == ["\ufffd\n"] and decoder.pending == ""
    assert not decoder.value_complete
    assert decoder.feed('"') == [] and decoder.value_complete
    assert decoder.feed("}") == [] and decoder.finish() == []


def test_mutations_agree_with_json_loads() -> None:
    """Damage valid texts at random: json.loads's verdict and value are the decoder's."""
    rng = random.Random(77)
    refused = agreed = 0
    for seed in range(1500):
        text, _, _ = (generated if seed % 2 else dumped)(30000 + seed)
        for _ in range(rng.randrange(1, 3)):
            i = rng.randrange(len(text) + 1)
            op = rng.randrange(3)
            junk = rng.choice('{}[]",:\\ntfu0-.eE1 x\x00')
            text = text[:i] + (junk if op else "") + text[i + (op != 1):]
        try:
            obj = json.loads(text)
        except ValueError:
            refused += 1
            with pytest.raises(ToolInputError):
                decode_pieces(random_pieces(text, rng, 9))
            continue
        # json.loads accepted: the decoder agrees, or refuses for a documented reason
        documented = (not isinstance(obj, dict) or not isinstance(obj.get(KEY), str)
                      or re.search(r"NaN|Infinity", text) is not None or text.count(json.dumps(KEY)) > 1)
        try:
            got = decode_pieces(random_pieces(text, rng, 9))
        except ToolInputError:
            assert documented, text
            continue
        assert got == SURROGATE.sub("\ufffd", obj[KEY]), text
        agreed += 1
    assert refused > 500 and agreed > 100, (refused, agreed)


MALFORMED = [
    ("", "the input ended before the object began", 0),
    ("   ", "the input ended before the object began", 3),
    ("[]", "expected a JSON object, got '['", 0),
    ('"code"', "expected a JSON object, got '\"'", 0),
    ("\ufeff{}", "expected a JSON object, got U+FEFF", 0),
    ("{", "the input ended before the object was complete", 1),
    ('{"code": "abc', "the input ended inside the 'code' string", 13),
    ('{"code": "abc\\', "the input ended inside the 'code' string", 14),
    ('{"code": "abc\\ud83d', "the input ended inside the 'code' string", 19),
    ('{"code": "a"', "the input ended before the object was complete", 12),
    ('{"a": "x', "the input ended inside a string", 8),
    ('{"a": [1, 2', "the input ended before the object was complete", 11),
    ('{"a": tr', "the input ended before the object was complete", 8),
    ("{}", "no 'code' property in the object, which ended", 2),
    ('{"a": {"code": "x"}}', "no 'code' property in the object, which ended", 20),
    ('{"code" "x"}', "expected ':' after a key, got '\"'", 8),
    ('{"code": "x" "y"}', "expected ',' or '}', got '\"'", 13),
    ('{"code": "x",}', "expected a key string, got '}'", 13),
    ("{code: 1}", "expected a key string, got 'c'", 1),
    ("{'code': 'x'}", "expected a key string, got \"'\"", 1),
    ('{"code": "x"} {}', "unexpected '{' after the object", 14),
    ('{"code": "x"}x', "unexpected 'x' after the object", 13),
    ('{"code": "x"}}', "unexpected '}' after the object", 13),
    ('{"code": 1}', "the value of 'code' is not a string (starts with '1')", 9),
    ('{"code": null}', "the value of 'code' is not a string (starts with 'n')", 9),
    ('{"code": ["x"]}', "the value of 'code' is not a string (starts with '[')", 9),
    ('{"code": "x", "code": "y"}', "duplicate key 'code'", 14),
    ('{"code": "x", "\\u0063ode": "y"}', "duplicate key 'code'", 14),
    ('{"code": "a\\x"}', "invalid escape '\\x'", 12),
    ('{"code": "a\\U0041"}', "invalid escape '\\U'", 12),
    ('{"code": "a\\u12G4"}', "invalid \\u escape ('G' is not a hex digit)", 15),
    ('{"code": "a\\u+123"}', "invalid \\u escape ('+' is not a hex digit)", 13),
    ('{"code": "\\ud83d\\uZ"}', "invalid \\u escape ('Z' is not a hex digit)", 18),
    ('{"a": "\\q", "code": ""}', "invalid escape '\\q'", 8),
    ('{"\\q": 1, "code": ""}', "invalid escape '\\q'", 3),
    ('{"code": "a\nb"}', "unescaped control character U+000A in a string", 11),
    ('{"code": "a\tb"}', "unescaped control character U+0009 in a string", 11),
    ('{"a\x00": 1, "code": ""}', "unescaped control character U+0000 in a string", 3),
    ('{"a": NaN, "code": ""}', "expected a value, got 'N'", 6),
    ('{"a": -Infinity, "code": ""}', "invalid number (at 'I')", 7),
    ('{"a": 01, "code": ""}', "expected ',' or '}', got '1'", 7),
    ('{"a": 1., "code": ""}', "invalid number (at ',')", 8),
    ('{"a": .5, "code": ""}', "expected a value, got '.'", 6),
    ('{"a": 1e, "code": ""}', "invalid number (at ',')", 8),
    ('{"a": 1..5, "code": ""}', "invalid number (at '.')", 8),
    ('{"a": 1.e5, "code": ""}', "invalid number (at 'e')", 8),
    ('{"a": 1e+, "code": ""}', "invalid number (at ',')", 9),
    ('{"a": -, "code": ""}', "invalid number (at ',')", 7),
    ('{"a": -01, "code": ""}', "expected ',' or '}', got '1'", 8),
    ('{"a": +1, "code": ""}', "expected a value, got '+'", 6),
    ('{"a": tru, "code": ""}', "invalid literal (',')", 9),
    ('{"a": True, "code": ""}', "expected a value, got 'T'", 6),
    ('{"a": nulls, "code": ""}', "expected ',' or '}', got 's'", 10),
    ('{"a": [1}, "code": ""}', "expected ',' or ']', got '}'", 8),
    ('{"a": {"b": 1], "code": ""}', "expected ',' or '}', got ']'", 13),
    ('{"a": [1,], "code": ""}', "expected a value, got ']'", 9),
    ('{"a": [,1], "code": ""}', "expected a value, got ','", 7),
    ('{"a": {"b"}, "code": ""}', "expected ':' after a key, got '}'", 10),
]


@pytest.mark.parametrize(("text", "message", "offset"), MALFORMED)
def test_malformed_inputs_say_what_and_where(text: str, message: str, offset: int) -> None:
    errors = []
    for size in (len(text) or 1, 1, 2, 3):
        with pytest.raises(ToolInputError) as info:
            decode_pieces([text[i : i + size] for i in range(0, len(text), size)])
        errors.append(info.value)
    error = errors[0]
    assert isinstance(error, ValueError) and error.offset == offset
    assert str(error) == f"tool input: {message} at offset {offset}"
    assert all(str(e) == str(error) for e in errors)  # whatever the split
    # json.loads refuses them too, or gives no string at KEY (except what the decoder documents)
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    has_code = isinstance(obj, dict) and isinstance(obj.get(KEY), str)
    assert has_code == (text in JSON_LOADS_ACCEPTS)


# json.loads keeps the last of duplicate keys and reads NaN; the decoder refuses both (documented)
JSON_LOADS_ACCEPTS = {text for text, message, _ in MALFORMED if "duplicate" in message or "NaN" in text
                      or "Infinity" in text}


def test_an_error_sticks_and_feed_after_finish_is_a_bug() -> None:
    decoder = ToolInputDecoder()
    assert decoder.feed('{"code": "ok') == ["ok"]
    with pytest.raises(ToolInputError) as first:
        decoder.feed("\\x")
    with pytest.raises(ToolInputError) as again:
        decoder.feed('"}')
    assert again.value is first.value
    with pytest.raises(ToolInputError):
        decoder.finish()
    done = ToolInputDecoder()
    done.feed('{"code": ""}')
    done.finish()
    with pytest.raises(RuntimeError):
        done.feed("")


def test_another_key_and_offsets_count_the_whole_input() -> None:
    assert decode_tool_input('{"code": "no", "src": "yes"}', key="src") == "yes"
    assert decode_tool_input('{"\\u00e9": "yes"}', key="é") == "yes"
    assert decode_tool_input('{"": "yes"}', key="") == "yes"
    decoder = ToolInputDecoder("src")
    decoder.feed('{"src": "a",')
    with pytest.raises(ToolInputError, match=r"got '1' at offset 17$"):
        decoder.feed(' "b" 1')
