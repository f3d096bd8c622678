"""Compiled market kernels.

Every kernel is a pure function of numpy arrays compiled with ``numba.njit(cache=True)``; random
draws enter as arrays. Each has a plain-Python twin (suffix ``_py``) with the same signature that
reads like the equations and that the tests hold the kernel to. Nothing here imports Mesa, xarray
or the model.
"""
