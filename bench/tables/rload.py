"""Minimal readers for R data shipped in Debian packages (no R needed).
Uses python3-rdata (extracted from its .deb) with a stub for xarray."""
import sys, types, gzip, zlib, bz2, lzma, struct, os
RDATA_PATH = os.environ["RDATA_PATH"]
try:
    import xarray  # noqa
except ImportError:
    xa = types.ModuleType("xarray")
    class DataArray:  # only used for arrays with dimnames, which we don't need
        def __init__(self, value, dims=None, coords=None):
            self.values = value
    xa.DataArray = DataArray
    sys.modules["xarray"] = xa
# Copy python3-rdata out of the extracted .deb and patch one bug: R's logical NA
# (INT_MIN) became True. Integer NA (also INT_MIN) is fixed after conversion (_fix_na).
_VENDOR = os.path.join(os.environ.get("TABLES_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "tables")), ".vendor")
if not os.path.isdir(os.path.join(_VENDOR, "rdata")):
    import shutil
    shutil.copytree(os.path.join(RDATA_PATH, "rdata"), os.path.join(_VENDOR, "rdata"))
    p = os.path.join(_VENDOR, "rdata", "parser", "_parser.py")
    src = open(p).read()
    a = "value = np.empty(length, dtype=np.bool_)"
    b = "value[i] = self.parse_bool()"
    assert a in src and b in src
    src = src.replace(a, "value = np.empty(length, dtype=object)")
    src = src.replace(b, "_v = self.parse_int(); value[i] = None if _v == -2147483648 else bool(_v)")
    open(p, "w").write(src)
if _VENDOR not in sys.path:
    sys.path.insert(0, _VENDOR)
import warnings
warnings.filterwarnings("ignore", message="Unknown encoding")
warnings.filterwarnings("ignore", message="Missing constructor")
import rdata  # noqa

def _unpack(blob):
    """Undo R's lazy-load compression (R_decompress1/2/3 in serialize.c)."""
    body = blob[4:]  # 4-byte big-endian uncompressed length
    t = body[:1]
    if t == b"Z":  # type 3: raw LZMA2 stream, preset 9|extreme
        return lzma.decompress(body[1:], format=lzma.FORMAT_RAW,
                               filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
    if t == b"2":
        return bz2.decompress(body[1:])
    if t == b"1":
        return zlib.decompress(body[1:])
    if t == b"0":
        return body[1:]
    return zlib.decompress(body)  # type 1: plain zlib

def _fix_na(d):
    import pandas as pd, numpy as np
    if isinstance(d, pd.DataFrame):
        for c in d.columns:
            if d[c].dtype == np.int64 and (d[c] == -2147483648).any():
                d[c] = d[c].where(d[c] != -2147483648).astype("float64")
            elif d[c].dtype == object and d[c].map(lambda v: isinstance(v, bool) or v is None).all():
                d[c] = d[c].astype("boolean")
    return d

def _to_py(obj):
    return _fix_na(rdata.conversion.convert(rdata.parser.parse_data(b"RDX3\n" + obj)))

def rdb_index(base):
    """base: path without extension, e.g. .../data/Rdata"""
    blob = open(base + ".rdx", "rb").read()
    raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else _unpack(blob)
    idx = _to_py(raw)
    return idx

def rdb_get(base, name):
    idx = rdb_index(base)
    off, ln = [int(v) for v in idx["variables"][name]]
    with open(base + ".rdb", "rb") as f:
        f.seek(off)
        blob = f.read(ln)
    return _to_py(_unpack(blob))

def rda_get(path, name=None):
    d = rdata.conversion.convert(rdata.parser.parse_file(path))
    if name is None:
        assert len(d) == 1, list(d)
        return _fix_na(next(iter(d.values())))
    return _fix_na(d[name])
