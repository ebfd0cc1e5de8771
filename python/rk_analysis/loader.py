"""Read a RingKernel results file (results/SCHEMA.md) into pandas DataFrames.

Everything the schema documents is read eagerly and the file closed: root attributes, /devices, /events,
/latency/<probe>/samples_ns, /throughput/<probe>, /telemetry/<kernel>/samples, /workloads/<name> (its
attributes, arrays, tables and subgroups). Strings come back as `str`, integer columns keep their HDF5
type (uint64 stays uint64, never float), attributes become Python scalars (int, float, bool, str) or
lists. Unknown groups, datasets and attributes are ignored or passed through, as the schema's MINOR
versioning asks of readers.
"""
import os
import urllib.parse
from dataclasses import dataclass, field

import h5py
import numpy as np
import pandas as pd

#: The format MAJOR version this reader understands.
FORMAT_MAJOR = 1
FORMAT_NAME = "ringkernel-results"


class ResultsError(Exception):
    """A results file that cannot be loaded: its message names the file and the reason."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class Workload:
    """One group under /workloads: its attributes, its datasets as DataFrames (a 1-D array is a
    one-column frame named after the dataset, a compound table has one column per field) and subgroups."""

    name: str
    attrs: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)

    def __getitem__(self, name):
        if name in self.tables:
            return self.tables[name]
        if name in self.groups:
            return self.groups[name]
        raise KeyError(f"workload {self.name!r} has no dataset or group {name!r}")

    def __contains__(self, name):
        return name in self.tables or name in self.groups

    def array(self, name):
        """A 1-D dataset as a numpy array of its own dtype (strings as an object array of str)."""
        frame = self.tables[name]
        return frame[frame.columns[0]].to_numpy()


@dataclass
class Results:
    """A loaded results file. Keys of the dicts are the unescaped names (probe, kernel id, workload)."""

    path: str
    attrs: dict
    devices: pd.DataFrame
    events: pd.DataFrame
    #: probe -> DataFrame with one uint64 column `samples_ns`; `.attrs` holds the dataset's attributes
    #: (count, p50_ns, ...) and `probe`.
    latency: dict
    #: probe -> DataFrame with uint64 columns t_ns, messages, bytes (per interval); `.attrs` the group's.
    throughput: dict
    #: kernel id -> DataFrame of snapshots (t_ns, messages_processed, ...); `.attrs` has `kernel_id`.
    telemetry: dict
    workloads: dict

    @property
    def status(self):
        return self.attrs.get("status")

    @property
    def format_version(self):
        return self.attrs.get("format_version")

    @property
    def scenario_name(self):
        return self.attrs.get("scenario_name", "")

    @property
    def label(self):
        """The file's name without its folder and .h5 (how reports name it)."""
        base = os.path.basename(self.path)
        return base[:-3] if base.endswith(".h5") else base

    def latency_summary(self):
        """One row per probe: the dataset's attributes (count, min_ns, p50_ns, ..., mean_ns)."""
        rows = []
        for probe, frame in self.latency.items():
            row = {"probe": probe}
            row.update({k: v for k, v in frame.attrs.items() if k != "probe"})
            rows.append(row)
        return pd.DataFrame(rows)

    def throughput_summary(self):
        """One row per throughput probe: the group's attributes (messages_total, messages_per_second, ...)."""
        return pd.DataFrame([{"probe": probe, **{k: v for k, v in frame.attrs.items() if k != "probe"}}
                             for probe, frame in self.throughput.items()])


def _py(value):
    """An HDF5 attribute value as a plain Python value (exact for 64-bit integers)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_py(v) for v in value.tolist()] if value.dtype.kind in "OSU" else value.tolist()
    return value


def _attrs(obj):
    return {key: _py(obj.attrs[key]) for key in obj.attrs.keys()}


def _decode(column):
    return column.map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)


def _frame(ds, name):
    """A dataset as a DataFrame: compound -> one column per field, 1-D -> one column `name`."""
    dtype = ds.dtype
    if dtype.names:
        data = ds[()] if ds.shape != (0,) else np.empty(0, dtype=dtype)
        frame = pd.DataFrame({f: data[f] for f in dtype.names})
        for f in dtype.names:
            if h5py.check_string_dtype(dtype.fields[f][0]) is not None or frame[f].dtype == object:
                frame[f] = _decode(frame[f]).astype(object)
        return frame
    if h5py.check_string_dtype(dtype) is not None:
        values = ds.asstr()[()] if ds.size else np.empty(0, dtype=object)
        return pd.DataFrame({name: pd.Series(np.asarray(values, dtype=object).reshape(-1), dtype=object)})
    data = ds[()]
    return pd.DataFrame({name: np.asarray(data).reshape(-1)})


def _name(link, group, attr):
    """The unescaped name of a group: its attribute when present, else the link name unquoted."""
    value = group.attrs.get(attr) if hasattr(group, "attrs") else None
    return _py(value) if value is not None else urllib.parse.unquote(link)


def _workload(name, group):
    w = Workload(name=name, attrs=_attrs(group))
    for link, obj in group.items():
        key = urllib.parse.unquote(link)
        if isinstance(obj, h5py.Dataset):
            frame = _frame(obj, key)
            frame.attrs.update(_attrs(obj))
            w.tables[key] = frame
        elif isinstance(obj, h5py.Group):
            w.groups[key] = _workload(key, obj)
    return w


def _check_format(path, attrs, allow_incomplete):
    fmt = attrs.get("format")
    if fmt != FORMAT_NAME:
        raise ResultsError(path, f"not a RingKernel results file (format attribute is {fmt!r}, "
                                 f"expected {FORMAT_NAME!r})")
    version = attrs.get("format_version")
    major = str(version).split(".")[0] if version is not None else ""
    if not major.isdigit() or int(major) != FORMAT_MAJOR:
        raise ResultsError(path, f"format_version {version!r} has MAJOR {major or '?'}; this reader "
                                 f"(rk_analysis) reads {FORMAT_MAJOR}.x only")
    status = attrs.get("status")
    if status != "complete" and not allow_incomplete:
        error = attrs.get("error")
        why = f" (error: {error})" if error else ""
        raise ResultsError(path, f"status is {status!r}, not 'complete'{why}; "
                                 "pass allow_incomplete=True (rk-report --allow-incomplete) to read it anyway")


def load(path, allow_incomplete=False):
    """Load the results file at `path` into a `Results`.

    Raises FileNotFoundError when there is no file, and ResultsError (naming the file) when it is not an
    HDF5 results file, its format_version's MAJOR is not 1, or its status is not `complete` (running,
    interrupted, failed) unless `allow_incomplete` is true.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "results file not found", path)
    if not os.path.isfile(path):
        raise ResultsError(path, "not a regular file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsError(path, f"not readable as HDF5 ({e})") from e
    with f:
        attrs = _attrs(f)
        _check_format(path, attrs, allow_incomplete)
        try:
            return _read(path, f, attrs)
        except (OSError, KeyError, ValueError) as e:
            raise ResultsError(path, f"cannot be read completely ({e})") from e


def _read(path, f, attrs):
    devices = _frame(f["devices"], "devices") if "devices" in f else pd.DataFrame()
    events = _frame(f["events"], "events") if "events" in f else pd.DataFrame()

    latency = {}
    for link, group in (f["latency"].items() if "latency" in f else []):
        if "samples_ns" not in group:
            continue
        probe = _name(link, group, "probe")
        ds = group["samples_ns"]
        frame = pd.DataFrame({"samples_ns": np.asarray(ds[()], dtype=ds.dtype)})
        frame.attrs.update(_attrs(ds))
        frame.attrs["probe"] = probe
        latency[probe] = frame

    throughput = {}
    for link, group in (f["throughput"].items() if "throughput" in f else []):
        probe = _name(link, group, "probe")
        columns = {c: np.asarray(group[c][()], dtype=group[c].dtype)
                   for c in ("t_ns", "messages", "bytes") if c in group}
        frame = pd.DataFrame(columns)
        frame.attrs.update(_attrs(group))
        frame.attrs["probe"] = probe
        throughput[probe] = frame

    telemetry = {}
    for link, group in (f["telemetry"].items() if "telemetry" in f else []):
        if "samples" not in group:
            continue
        kernel = _name(link, group, "kernel_id")
        frame = _frame(group["samples"], "samples")
        frame.attrs["kernel_id"] = kernel
        telemetry[kernel] = frame

    workloads = {}
    for link, group in (f["workloads"].items() if "workloads" in f else []):
        if isinstance(group, h5py.Group):
            name = urllib.parse.unquote(link)
            workloads[name] = _workload(name, group)

    return Results(path=path, attrs=attrs, devices=devices, events=events, latency=latency,
                   throughput=throughput, telemetry=telemetry, workloads=workloads)
