"""Warning classes of the model (the test suite turns them into errors)."""


class ModelWarning(UserWarning):
    """Something in a run is suspicious but not fatal (e.g. a calibration value clipped)."""
