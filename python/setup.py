"""setup.py — installs the labelaudit Python package with its shared
library (liblabelaudit.so, copied in by `make python`; built here with
`make lib` when missing). Offline with Debian's setuptools:
    make python && pip install ./python
"""
import os
import shutil
import subprocess

from setuptools import setup

here = os.path.dirname(os.path.abspath(__file__))
so = os.path.join(here, "labelaudit", "liblabelaudit.so")
if not os.path.exists(so):
    root = os.path.dirname(here)
    built = os.path.join(root, "build", "liblabelaudit.so")
    if not os.path.exists(built) and os.path.exists(os.path.join(root, "Makefile")):
        subprocess.check_call(["make", "-C", root, "lib"])
    if os.path.exists(built):
        shutil.copy(built, so)

setup(
    name="labelaudit",
    version="0.1.0",
    description="cleanlab 2.9.0's confident-learning API computed by the labelaudit C library",
    packages=["labelaudit", "labelaudit.multilabel_classification"],
    package_data={"labelaudit": ["liblabelaudit.so"]},
    install_requires=["numpy"],
    python_requires=">=3.8",
    zip_safe=False,
)
