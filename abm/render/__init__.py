"""Rendering: figures (PNG), Markdown and plain-text tables, and the HTML report (jinja2
templates with a style sheet). Rendering reads analysis results; it never runs members."""
