"""Touches to the OpenAPI schema drf-spectacular generates (SPECTACULAR_SETTINGS POSTPROCESSING_HOOKS)."""


def empty_means_left_out(result, generator, request, public):
    """Say what the FilterSets (and the HTML forms) do: a query parameter sent empty is left out."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
