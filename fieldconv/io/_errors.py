"""The error of a file that cannot be read faithfully.

Private leaf of :mod:`fieldconv.io` (re-exported there as
``fieldconv.io.FileFormatError``); it moves to :mod:`fieldconv.errors` when
the package layout settles.
"""

from ..errors import FieldconvError

__all__ = ["FileFormatError"]


class FileFormatError(FieldconvError, ValueError):
    """A file is truncated, corrupt, or does not hold what it must.

    Raised for a file that is not HDF5 or is truncated, a checksum
    (fletcher32) mismatch, a missing group, dataset or attribute, a dataset
    of the wrong shape or dtype, units that do not parse or have the wrong
    dimension, and counts that disagree with the header.  The message starts
    with the file and the dataset, then says what is wrong, so that a batch
    log names the culprit.  Subclasses :class:`ValueError` (bad input).

    Parameters
    ----------
    path : str
        The file.
    dataset : str or None
        The HDF5 object (dataset, group or attribute path) concerned, if any.
    reason : str
        What is wrong and, where there is one, the fix.

    Attributes
    ----------
    path, dataset, reason

    Examples
    --------
    >>> err = FileFormatError("snap.hdf5", "/PartType1/Coordinates", "shape (10, 2); expected (N, 3)")
    >>> str(err)
    'snap.hdf5: /PartType1/Coordinates: shape (10, 2); expected (N, 3)'
    """

    def __init__(self, path, dataset, reason):
        self.path, self.dataset, self.reason = str(path), dataset, reason
        super().__init__(f"{self.path}: {dataset}: {reason}" if dataset else f"{self.path}: {reason}")

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.path, self.dataset, self.reason))
