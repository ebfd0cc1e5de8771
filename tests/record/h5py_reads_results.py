"""Reads the file record_sample_writer wrote, with h5py, the way results/SCHEMA.md tells analysts to."""
import sys
import urllib.parse

import h5py
import numpy as np


def main(path: str) -> int:
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "ringkernel-results", f.attrs["format"]
        assert f.attrs["format_version"] == "1.4"
        assert f.attrs["status"] == "complete"
        assert isinstance(f.attrs["scenario"], str)
        assert list(f.attrs["argv"])[1] == path
        assert f.attrs["device_count"] == 1
        assert not f.attrs["git_dirty"]
        assert f.attrs["git_dirty"].dtype == np.bool_, f.attrs["git_dirty"].dtype
        assert f.attrs["version_hdf5"].count(".") == 2

        devices = f["devices"][:]
        assert devices["name"][0].decode() == "cpu-sim-0"
        assert devices["memory_bytes"][0] == 1 << 30

        rtt = f["latency/round_trip/samples_ns"]
        assert rtt.dtype == np.uint64
        assert rtt.attrs["p99_ns"] == 990 and rtt.attrs["count"] == 1000
        assert np.array_equal(rtt[:], np.arange(1, 1001, dtype=np.uint64))

        tp = f["throughput/round_trip"]
        assert tp.attrs["messages_per_second"] == 1000.0
        assert list(tp["messages"][:]) == [0, 1000]

        kernels = {urllib.parse.unquote(name): name for name in f["telemetry"]}
        samples = f["telemetry"][kernels["book[3]"]]["samples"][:]
        assert samples.dtype["is_active"] == np.bool_, samples.dtype
        assert samples["is_active"].tolist() == [True, True, True, True, False]
        assert samples["messages_processed"][-1] == 400

        events = f["events"][:]
        assert [s.decode() for s in events["severity"]] == ["info", "warning"]
        assert events["message"][1].decode() == "queue 90% full"

        assert f["workloads/pagerank/ranks"].dtype == np.float64
        assert f["workloads/pagerank"].attrs["verified"] == True  # noqa: E712
        assert list(f["workloads/order_matching/symbols"].asstr()[:]) == ["AAPL", "MSFT"]
        trades = f["workloads/order_matching/trades"][:]
        assert trades.dtype.names == ("symbol", "symbol_seq", "taker_order_id", "maker_order_id", "price", "quantity")
        assert trades["price"].tolist() == [1500, -20]
    print("h5py read", path, "cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
