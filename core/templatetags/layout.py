"""The parts of the layout (templates/base.html) that are the same on every request: drawn once per process.

`{% kept %}…{% endkept %}` draws its content the first time and then returns the same text for the same
language, script prefix, URL configuration and autoescape setting. `{% kept navigation.key %}` also varies by the
values named (the role's menu and its active entry). Only markup that reads no request, user, session, form or
CSRF token belongs inside: translations, static files and reversed URLs. Per-request values stay outside the tag.
Any changed setting (tests) empties every kept text.
"""

import weakref

from django import template
from django.core.signals import setting_changed
from django.template.base import VariableNode
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = template.Library()

_KEPT_NODES: "weakref.WeakSet[KeptNode]" = weakref.WeakSet()
# Names that are per request or per user: a kept text never reads them.
PER_REQUEST_NAMES = frozenset({"csrf_token", "request", "user", "messages", "perms", "form", "filter"})
# Texts per node at most: languages × role menus × active entries stay far below this.
KEPT_TEXTS_PER_NODE = 500


class KeptNode(template.Node):
    def __init__(self, nodelist, vary):
        self.nodelist = nodelist
        self.vary = vary
        self.drawn: dict[tuple, str] = {}
        _KEPT_NODES.add(self)

    def render(self, context):
        key = (get_language(), get_script_prefix(), get_urlconf(), context.autoescape,
               *(value.resolve(context) for value in self.vary))
        text = self.drawn.get(key)
        if text is None:
            text = self.nodelist.render(context)
            if len(self.drawn) >= KEPT_TEXTS_PER_NODE:
                self.drawn.clear()
            self.drawn[key] = text
        return text


@register.tag
def kept(parser, token):
    """{% kept [value …] %}…{% endkept %}: see the module's docstring."""
    vary = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError("{% csrf_token %} is per request: keep it outside {% kept %}.")
    for node in nodelist.get_nodes_by_type(VariableNode):
        lookups = getattr(node.filter_expression.var, "lookups", None)
        if lookups and lookups[0] in PER_REQUEST_NAMES:
            raise template.TemplateSyntaxError(f"{{{{ {'.'.join(lookups)} }}}} is per request: keep it outside "
                                               "{% kept %}.")
    return KeptNode(nodelist, vary)


def forget_kept(**kwargs) -> None:
    for node in list(_KEPT_NODES):
        node.drawn.clear()


setting_changed.connect(forget_kept, dispatch_uid="layout-forget-kept")
