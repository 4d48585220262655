"""Loading data sets into scikit-learn's layout (one example per row).

>>> from logitlab.data import load_image_folder
"""

from .images import IMAGE_EXTENSIONS, list_image_folder, load_image_folder

__all__ = ["IMAGE_EXTENSIONS", "list_image_folder", "load_image_folder"]
