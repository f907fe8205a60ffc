"""Start-page panels. Each app registers its panels in AppConfig.ready(); core imports no app.

A panel is a function (request) -> (template_name, context) | None; None hides it for that user.
"""

from collections.abc import Callable

_PANELS: list[tuple[int, Callable]] = []


def register_panel(order: int):
    def decorator(func):
        _PANELS.append((order, func))
        _PANELS.sort(key=lambda entry: entry[0])
        return func

    return decorator


def panels_for(request) -> list[dict]:
    rendered = []
    for _order, func in _PANELS:
        result = func(request)
        if result is not None:
            template_name, context = result
            rendered.append({"template": template_name, "context": context})
    return rendered
