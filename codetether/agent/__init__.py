"""The agent: one small loop over a Provider and a ToolRunner, reused by every higher layer."""
