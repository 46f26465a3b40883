"""Datasets for `archc train`, all offline: MNIST-1D (generated), MNIST and variable-resolution
MNIST (from the shared data folder, checksums verified), and image folders."""

from archc.data.datasets import DATASETS, Dataset, find_data_dir, load_dataset

__all__ = ["DATASETS", "Dataset", "find_data_dir", "load_dataset"]
