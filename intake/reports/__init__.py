"""The completeness report: model (build, view), renderers, delivery by mail."""

FORMATS = ("text", "json", "csv", "html", "xlsx")
