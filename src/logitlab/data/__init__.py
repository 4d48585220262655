"""Loading data sets into scikit-learn's layout (one example per row).

`load_source` reads any source a user brings (a built-in name, a folder of images,
HDF5, CSV, ARFF or ``.npz``) into a `LoadedData`; `split` makes train and test sets.
Data larger than memory is read on demand through a `LazyRows` (`ImageFiles` for
image files, `HDF5Rows` for an HDF5 dataset).

>>> from logitlab.data import load_image_folder, load_source
"""

from .hdf5 import HDF5Rows
from .images import (
    IMAGE_EXTENSIONS,
    ImageFiles,
    list_image_folder,
    load_image_folder,
    shift_augment,
)
from .lazy import LazyRows
from .sources import DataError, LoadedData, align, builtin_names, load_source, split
from .synthetic import make_shapes

__all__ = [
    "IMAGE_EXTENSIONS",
    "DataError",
    "HDF5Rows",
    "ImageFiles",
    "LazyRows",
    "LoadedData",
    "align",
    "builtin_names",
    "list_image_folder",
    "load_image_folder",
    "load_source",
    "make_shapes",
    "shift_augment",
    "split",
]
