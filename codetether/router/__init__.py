"""The tool-call router: turns a reply that describes tool use in text into structured tool calls.

``parse`` finds calls the model wrote out (``<tool_call>`` blocks, fenced JSON, ``name(args)``) at no
cost; ``router.ToolRouter`` adds a small local GGUF model, its output bound to the tools' schemas,
when ``[tool_router] enabled``; ``pull`` downloads the FunctionGemma model for it.
"""
