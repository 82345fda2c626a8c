"""A streaming JSON token reader that fails the way Jackson does.

EventBridge compiles patterns with event-ruler, which pulls tokens from a
Jackson streaming parser and validates as it goes. Two things follow, and both
are visible to users: a grammar error early in a pattern wins over a syntax
error later in it, and a syntax error is reported in Jackson's words with its
``[Source: ...; line: L, column: C]`` location. Python's ``json`` module can do
neither, so patterns are read with this reader instead (events, which only need
to be valid JSON, still use ``json.loads``).
"""

from __future__ import annotations

from enum import Enum, auto

from ..errors import InvalidEventPatternError

_MAX_SNIPPET = 500  # Jackson's ErrorReportConfiguration.DEFAULT_MAX_RAW_CONTENT_LENGTH
_MAX_TOKEN = 256  # Jackson's limit on the text quoted in "Unrecognized token"
_VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_WHITESPACE = " \t\r\n"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class Token(Enum):
    START_OBJECT = auto()
    END_OBJECT = auto()
    START_ARRAY = auto()
    END_ARRAY = auto()
    FIELD_NAME = auto()
    STRING = auto()
    INT = auto()
    FLOAT = auto()
    TRUE = auto()
    FALSE = auto()
    NULL = auto()
    EOF = auto()


NUMERIC = frozenset({Token.INT, Token.FLOAT})
_LITERALS = {"true": Token.TRUE, "false": Token.FALSE, "null": Token.NULL}


def _char_desc(ch: str) -> str:
    code = ord(ch)
    if code < 32 or 127 <= code < 160:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{ch}' (code {code} / 0x{code:x})"
    return f"'{ch}' (code {code})"


def _ident_part(ch: str) -> bool:
    """Approximates Java's Character.isJavaIdentifierPart, which bounds a bad token."""
    return ch.isalnum() or ch in "_$"


class TokenReader:
    """Yields Jackson's token sequence for ``text``; ``text``/``value`` describe the last token."""

    def __init__(self, text: str) -> None:
        self._src = text
        self._pos = 0
        self._stack: list[tuple[str, int]] = []  # ("{" or "[", start offset)
        self._need_value = False  # a field name was read; its value comes next
        self._first = False  # first entry of the current container (no comma expected)
        self._after_root = False
        self.text = ""
        self.value: object = None

    # -- error reporting ------------------------------------------------------------
    def _location(self, offset: int) -> str:
        src = self._src
        snippet = src[:_MAX_SNIPPET]
        if len(src) > _MAX_SNIPPET:
            snippet = f'{snippet}"[truncated {len(src) - _MAX_SNIPPET} chars]'
        else:
            snippet = f'{snippet}"'
        line = src.count("\n", 0, offset) + 1
        column = offset - (src.rfind("\n", 0, offset) + 1) + 1
        return f'[Source: (String)"{snippet}; line: {line}, column: {column}]'

    def _fail(self, message: str, offset: int) -> InvalidEventPatternError:
        return InvalidEventPatternError(f"{message}\n at {self._location(offset)}")

    def _unexpected(self, ch: str, offset: int, expectation: str) -> InvalidEventPatternError:
        return self._fail(f"Unexpected character ({_char_desc(ch)}): {expectation}", offset)

    def _bad_token(self, start: int) -> InvalidEventPatternError:
        end = start
        src = self._src
        while end < len(src) and _ident_part(src[end]) and end - start < _MAX_TOKEN:
            end += 1
        end = max(end, start + 1)
        token = src[start:end]
        if end < len(src) and _ident_part(src[end]):
            token += "..."
        return self._fail(f"Unrecognized token '{token}': was expecting {_VALID_VALUES}", end)

    def _eof(self) -> InvalidEventPatternError:
        kind, start = self._stack[-1]
        name = "Object" if kind == "{" else "Array"
        return self._fail(
            f"Unexpected end-of-input: expected close marker for {name} (start marker at {self._location(start)})",
            len(self._src),
        )

    # -- scanning -------------------------------------------------------------------
    def _skip_ws(self) -> str:
        src = self._src
        pos = self._pos
        while pos < len(src) and src[pos] in _WHITESPACE:
            pos += 1
        self._pos = pos
        if pos >= len(src):
            return ""
        ch = src[pos]
        if ord(ch) < 32:
            raise self._fail(
                f"Illegal character ({_char_desc(ch)}): only regular white space (\\r, \\n, \\t) is allowed "
                "between tokens",
                pos,
            )
        if ch == "/":
            raise self._unexpected(
                ch,
                pos,
                "maybe a (non-standard) comment? (not recognized as one since Feature "
                "'ALLOW_COMMENTS' not enabled for parser)",
            )
        return ch

    def next_token(self) -> Token:
        """Advances to the next token, raising InvalidEventPatternError on a syntax error."""
        if self._after_root:
            return Token.EOF
        ch = self._skip_ws()
        if not self._stack:
            return self._value(ch) if ch else Token.EOF
        if not ch:
            raise self._eof()
        if self._need_value:  # right after a field name and its colon
            self._need_value = False
            return self._value(ch)
        kind = self._stack[-1][0]
        closer = "}" if kind == "{" else "]"
        if ch == closer:
            return self._close(closer)
        if not self._first:
            if ch != ",":
                what = "Object" if kind == "{" else "Array"
                raise self._unexpected(ch, self._pos, f"was expecting comma to separate {what} entries")
            self._pos += 1
            ch = self._skip_ws()
            if not ch:
                raise self._eof()
        self._first = False
        return self._field_name(ch) if kind == "{" else self._value(ch)

    def _close(self, closer: str) -> Token:
        self._pos += 1
        self._stack.pop()
        self._after_value()
        return Token.END_OBJECT if closer == "}" else Token.END_ARRAY

    def _after_value(self) -> None:
        self._first = False
        if not self._stack:
            self._after_root = True

    def _field_name(self, ch: str) -> Token:
        if ch != '"':
            raise self._unexpected(ch, self._pos, "was expecting double-quote to start field name")
        name = self._string()
        ch = self._skip_ws()
        if not ch:
            raise self._eof()
        if ch != ":":
            raise self._unexpected(ch, self._pos, "was expecting a colon to separate field name and value")
        self._pos += 1
        self._need_value = True
        self.text = self.value = name
        return Token.FIELD_NAME

    def _value(self, ch: str) -> Token:
        start = self._pos
        if ch == "{" or ch == "[":
            self._pos += 1
            self._stack.append((ch, start))
            self._first = True
            self.text = ch
            return Token.START_OBJECT if ch == "{" else Token.START_ARRAY
        if ch == '"':
            self.value = self.text = self._string()
            self._after_value()
            return Token.STRING
        if ch == "-" or ch.isdigit():
            token = self._number()
            self._after_value()
            return token
        if ch.isalpha() or ch in "_$":
            src = self._src
            for word, token in _LITERALS.items():
                end = start + len(word)
                if src.startswith(word, start) and not (end < len(src) and _ident_part(src[end])):
                    self._pos = end
                    self.text = word
                    self.value = None if token is Token.NULL else token is Token.TRUE
                    self._after_value()
                    return token
            raise self._bad_token(start)
        raise self._unexpected(ch, start, f"expected a valid value {_VALID_VALUES}")

    def _string(self) -> str:
        src = self._src
        pos = self._pos + 1
        out: list[str] = []
        while True:
            if pos >= len(src):
                raise self._fail("Unexpected end-of-input: was expecting closing quote for a string value", len(src))
            ch = src[pos]
            if ch == '"':
                self._pos = pos + 1
                return "".join(out)
            if ch == "\\":
                if pos + 1 >= len(src):
                    raise self._fail("Unexpected end-of-input in character escape sequence", len(src))
                esc = src[pos + 1]
                if esc == "u":
                    digits = src[pos + 2 : pos + 6]
                    for i, d in enumerate(digits):
                        if d not in "0123456789abcdefABCDEF":
                            raise self._unexpected(d, pos + 2 + i, "expected a hex-digit for character escape sequence")
                    if len(digits) < 4:
                        raise self._fail("Unexpected end-of-input in character escape sequence", len(src))
                    code = int(digits, 16)
                    if 0xDC00 <= code <= 0xDFFF and out and 0xD800 <= ord(out[-1][-1]) <= 0xDBFF:
                        high = ord(out.pop())  # join a UTF-16 surrogate pair, as json.loads does
                        code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    out.append(chr(code))
                    pos += 6
                    continue
                if esc not in _ESCAPES:
                    raise self._fail(f"Unrecognized character escape {_char_desc(esc)}", pos + 1)
                out.append(_ESCAPES[esc])
                pos += 2
                continue
            if ord(ch) < 32:
                raise self._fail(
                    f"Illegal unquoted character ({_char_desc(ch)}): has to be escaped using backslash "
                    "to be included in string value",
                    pos,
                )
            out.append(ch)
            pos += 1

    def _number(self) -> Token:
        src = self._src
        start = pos = self._pos
        if src[pos] == "-":
            pos += 1
            if pos >= len(src) or not src[pos].isdigit():
                ch = src[pos] if pos < len(src) else ""
                if not ch:
                    raise self._fail("Unexpected end-of-input in a Number value", pos)
                raise self._unexpected(
                    ch, pos, "expected digit (0-9) to follow minus sign, for valid numeric value"
                ) from None
        if src[pos] == "0" and pos + 1 < len(src) and src[pos + 1].isdigit():
            raise self._fail("Invalid numeric value: Leading zeroes not allowed", pos + 1)
        while pos < len(src) and src[pos].isdigit():
            pos += 1
        is_float = False
        if pos < len(src) and src[pos] == ".":
            is_float = True
            pos += 1
            if pos >= len(src) or not src[pos].isdigit():
                ch = src[pos] if pos < len(src) else " "
                raise self._unexpected(ch, pos, "Decimal point not followed by a digit")
            while pos < len(src) and src[pos].isdigit():
                pos += 1
        if pos < len(src) and src[pos] in "eE":
            is_float = True
            pos += 1
            if pos < len(src) and src[pos] in "+-":
                pos += 1
            if pos >= len(src) or not src[pos].isdigit():
                ch = src[pos] if pos < len(src) else " "
                raise self._unexpected(ch, pos, "Exponent indicator not followed by a digit")
            while pos < len(src) and src[pos].isdigit():
                pos += 1
        self._pos = pos
        self.text = src[start:pos]
        self.value = float(self.text) if is_float else int(self.text)
        return Token.FLOAT if is_float else Token.INT
