"""Loading data sets into scikit-learn's layout (one example per row).

`load_source` reads any source a user brings (a built-in name, a folder of images,
HDF5, CSV, ARFF or ``.npz``) into a `LoadedData`; `split` makes train and test sets.

>>> from logitlab.data import load_image_folder, load_source
"""

from .images import (
    IMAGE_EXTENSIONS,
    ImageFiles,
    list_image_folder,
    load_image_folder,
    shift_augment,
)
from .sources import DataError, LoadedData, align, builtin_names, load_source, split
from .synthetic import make_shapes

__all__ = [
    "IMAGE_EXTENSIONS",
    "DataError",
    "ImageFiles",
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
