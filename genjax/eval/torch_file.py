"""Read a PyTorch state dict (``torch.save`` of name -> tensor) into NumPy, without torch.

Both of torch's formats are read: the zip archive (torch >= 1.6) and the legacy stream of
pickles (pytorch-fid's 2019 weights file may be either, depending on the torch that saved it).
Unpickling is restricted to the handful of classes a state dict contains, so a file cannot run
code; anything else is refused with the name of what it tried to load.
"""

import collections
import io
import pickle
import zipfile

import numpy as np

_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    """What a pickled ``torch.FloatStorage`` (etc.) stands for: its NumPy dtype."""

    def __init__(self, name: str):
        if name not in _DTYPES:
            raise ValueError(f"tensors of type {name} are not supported (convert to float32)")
        self.dtype = np.dtype(_DTYPES[name]).newbyteorder("<")


def _rebuild_tensor(storage, offset, size, stride, *unused) -> np.ndarray:
    """torch._utils._rebuild_tensor_v2: a strided view of a flat storage, copied."""
    if not size:
        return np.array(storage[offset])
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="))


def _rebuild_parameter(data, *unused) -> np.ndarray:
    return data


def _rebuild_from_type(func, new_type, args, state) -> np.ndarray:
    return func(*args)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch", "Tensor"): object,
    ("torch.nn.parameter", "Parameter"): object,
}


class _Unpickler(pickle.Unpickler):
    """Unpickles a state dict; ``deferred``: tensors wait for storages read later (legacy)."""

    def __init__(self, file, load_storage, deferred: bool = False):
        super().__init__(file)
        self._load_storage = load_storage
        self._deferred = deferred

    def find_class(self, module: str, name: str):
        if self._deferred and (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _Deferred
        if module == "torch" and name.endswith("Storage"):
            return lambda: _StorageType(name)  # called by persistent_load, not by pickle
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a state dict holds only tensors"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        storage_type, key = pid[1](), str(pid[2])
        return self._load_storage(key, storage_type.dtype)


def _read_zip(path: str) -> dict:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise ValueError(f"{path} is a zip file without data.pkl: not a torch.save file")
        prefix = pkl[: -len("data.pkl")]
        cache: dict[str, np.ndarray] = {}

        def load(key: str, dtype: np.dtype) -> np.ndarray:
            if key not in cache:
                cache[key] = np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype)
            return cache[key]

        return _Unpickler(io.BytesIO(archive.read(pkl)), load).load()


def _read_legacy(path: str) -> dict:
    with open(path, "rb") as f:
        if pickle.load(f) != _LEGACY_MAGIC:  # noqa: S301 (ints only; restricted below)
            raise ValueError(f"{path} is neither a zip nor a legacy torch.save file")
        pickle.load(f), pickle.load(f)  # protocol version, system info
        dtypes: dict[str, np.dtype] = {}

        def declare(key: str, dtype: np.dtype) -> str:
            dtypes[key] = dtype
            return key  # placeholder until the storages, which follow the object, are read

        obj = _Unpickler(f, declare, deferred=True).load()
        keys = _Unpickler(f, declare).load()
        storages = {}
        for key in keys:
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            dtype = dtypes[key]
            storages[key] = np.frombuffer(f.read(count * dtype.itemsize), dtype)
    return _fill(obj, storages)


def _fill(obj, storages: dict):
    """Legacy files: tensors were rebuilt on placeholder keys; rebuild them on the data."""
    return collections.OrderedDict((k, _materialise(v, storages)) for k, v in obj.items())


class _Deferred:
    """A tensor of a legacy file, rebuilt once its storage has been read."""

    def __init__(self, key, offset, size, stride, *unused):
        self.args = key, offset, size, stride


def _materialise(value, storages):
    if isinstance(value, _Deferred):
        key, offset, size, stride = value.args
        return _rebuild_tensor(storages[key], offset, size, stride)
    return value


def load_state_dict(path: str) -> dict[str, np.ndarray]:
    """name -> NumPy array of the state dict that ``torch.save`` wrote to ``path``.

    Args:
      path: a ``.pth``/``.pt`` file holding a dict of tensors.

    Returns:
      An ordered dict of arrays (native byte order).
    """
    if zipfile.is_zipfile(path):
        return dict(_read_zip(path))
    return dict(_read_legacy(path))


__all__ = ["load_state_dict"]
