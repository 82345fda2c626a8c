"""Callbacks: task tokens (``.waitForTaskToken``), activities, and Python activity workers."""
