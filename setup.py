"""Builds the matcher's C walk (asl_engine/eventbridge/patterns/_walk.c); everything else is in pyproject.toml.

The extension is not optional: a failed compile fails ``pip install``, so that
no install silently runs the three times slower Python walk.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "asl_engine.eventbridge.patterns._walk",
            sources=["asl_engine/eventbridge/patterns/_walk.c"],
            optional=False,
        )
    ]
)
