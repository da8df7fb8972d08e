"""Vectorised text formatting: ids, timestamps and amounts as the real exports spell them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
GCLID_ALPHABET = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-", np.uint8
)
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
VN_OFFSET_SECONDS = 7 * 3600
DAY_SECONDS = 86_400
SCRAMBLE = 30_000_000_001  # odd and not a multiple of 31: invertible modulo 62**n


def _counter_chars(counter: np.ndarray, width: int) -> np.ndarray:
    """Base62 digits of a counter: the part of an id that makes it unique."""
    digits = np.empty((len(counter), width), np.uint8)
    # An affine bijection modulo 62**width, so consecutive ids do not show a visible counter.
    rest = (counter.astype(np.int64) * SCRAMBLE + 12_345) % 62**width
    for position in range(width - 1, -1, -1):
        digits[:, position] = BASE62[rest % 62]
        rest //= 62
    return digits


def random_ids(
    rng: np.random.Generator,
    prefix: str,
    counter: np.ndarray,
    length: int,
    alphabet: np.ndarray = BASE62,
) -> np.ndarray:
    """`prefix` + `length` characters: 6 encode `counter` (unique), the rest are random."""
    unique = _counter_chars(counter, 6)
    noise = alphabet[rng.integers(0, len(alphabet), size=(len(counter), length - 6))]
    interleaved = np.concatenate([noise[:, :3], unique, noise[:, 3:]], axis=1)
    body = np.ascontiguousarray(interleaved).view(f"S{length}").ravel().astype(str)
    return np.char.add(prefix, body).astype(object)


def hex_ids(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    chars = HEX[rng.integers(0, 16, size=(n, length))]
    return np.ascontiguousarray(chars).view(f"S{length}").ravel().astype(str).astype(object)


def int_text(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64).astype(str).astype(object)


def strftime(seconds: np.ndarray, fmt: str, offset_seconds: int = 0) -> pa.Array:
    """Format unix seconds (UTC) shifted by `offset_seconds`; supports %Y %m %d %H %M %S.

    Built as a fixed-width byte matrix turned into an Arrow string array without a Python object
    per value: formatting tens of millions of event times is otherwise a large share of the run.
    """
    ts = np.asarray(seconds, np.int64) + offset_seconds
    n = len(ts)
    days, second_of_day = np.divmod(ts, DAY_SECONDS)
    first_day = int(days.min()) if n else 0
    day_index = days - first_day
    unique_days = np.arange(first_day, first_day + (int(day_index.max()) + 1 if n else 0))
    iso_days = "".join(np.datetime_as_string(unique_days.astype("M8[D]")))
    ymd = np.frombuffer(iso_days.encode(), np.uint8).reshape(-1, 10)[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    hms = np.stack([second_of_day // 3600, second_of_day // 60 % 60, second_of_day % 60], axis=1)
    pieces: list[np.ndarray] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code == "Y":
                pieces.append(ymd[day_index, 0:4])
            elif code == "m":
                pieces.append(ymd[day_index, 4:6])
            elif code == "d":
                pieces.append(ymd[day_index, 6:8])
            else:
                value = hms[:, "HMS".index(code)]
                pieces.append(
                    np.stack([48 + value // 10, 48 + value % 10], axis=1).astype(np.uint8)
                )
            i += 2
        else:
            pieces.append(np.full((n, 1), ord(fmt[i]), np.uint8))
            i += 1
    matrix = np.ascontiguousarray(np.concatenate(pieces, axis=1), dtype=np.uint8)
    width = matrix.shape[1]
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())]
    )


def minutes(seconds: np.ndarray) -> pa.Array:
    """HubSpot UI export style: `2026-03-04 09:12`."""
    return strftime(seconds, "%Y-%m-%d %H:%M")


def seconds_text(seconds: np.ndarray) -> pa.Array:
    """Mailchimp audience export style: `2026-03-04 09:12:33`."""
    return strftime(seconds, "%Y-%m-%d %H:%M:%S")


def day(seconds: np.ndarray, offset_seconds: int = 0) -> pa.Array:
    return strftime(seconds, "%Y-%m-%d", offset_seconds)


def decimal_text(values: np.ndarray, places: int) -> np.ndarray:
    """Plain decimal text without grouping and without trailing zeros: `129.5`, `1250000`."""
    rounded = np.round(np.asarray(values, float), places)
    return np.array([f"{value:.{places}f}".rstrip("0").rstrip(".") for value in rounded], object)


def choice(rng: np.random.Generator, values: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(values, object)[rng.integers(0, len(values), n)]


def blank(values: np.ndarray) -> np.ndarray:
    return np.where(values == "", None, values)


def mask(values: pa.Array, keep: np.ndarray) -> np.ndarray:
    return np.where(keep, np.array(values.to_pylist(), object), None)


def table(columns: dict, order: list[str]) -> pa.Table:
    return pa.table({name: strings(columns[name]) for name in order})


def strings(values: object) -> pa.Array:
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(np.asarray(values, object), pa.string())
