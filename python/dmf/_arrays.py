"""Conversions between what users pass and what the C core takes."""
import numpy as np

DTYPES = {"f32": np.float32, "f64": np.float64, "c64": np.complex64, "c128": np.complex128}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}
REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}


def dtype_of(dtype):
    """A NumPy dtype from 'f32'/'f64'/'c64'/'c128' or anything np.dtype takes."""
    if isinstance(dtype, str) and dtype in DTYPES:
        return np.dtype(DTYPES[dtype])
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"unknown dtype {dtype!r}") from e
    if dt not in NAMES:
        raise TypeError(f"dtype {dt} is not one of float32, float64, complex64, complex128")
    return dt


def default_dtype(dt):
    """The dmf dtype an input of NumPy dtype dt is computed in."""
    dt = np.dtype(dt)
    if dt in NAMES:
        return dt
    if dt.kind in "biu" or dt == np.float16:
        return np.dtype(np.float64)
    if dt.kind == "f":  # long double
        return np.dtype(np.float64)
    if dt.kind == "c":
        return np.dtype(np.complex128)
    raise TypeError(f"cannot compute with arrays of dtype {dt}")


def as_matrix(a, dtype=None, name="A"):
    """A C-contiguous 2-D array of a dmf dtype; no copy when `a` already is one."""
    if hasattr(a, "toarray") and not isinstance(a, np.ndarray):  # SciPy sparse
        a = a.toarray()
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # a PyTorch tensor
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (got {a.ndim} dimensions)")
    dt = dtype_of(dtype) if dtype is not None else default_dtype(a.dtype)
    return np.ascontiguousarray(a, dtype=dt)
