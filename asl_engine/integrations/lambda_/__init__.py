"""Lambda Tasks: where a function runs (providers), local Python handlers and their context, the task itself."""
