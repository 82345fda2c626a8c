"""Service integrations: optimized and aws-sdk calls, .sync polling, the HTTP Task, nested executions."""
