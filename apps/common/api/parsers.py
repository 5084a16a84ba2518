"""The API's JSON parser: DRF's, except that a body nested too deeply to parse is a 400, not a 500.

Python's json module recurses once per nesting level, so `[[[[…]]]]` a hundred thousand levels deep raises
RecursionError, which DRF's JSONParser lets through (it catches ValueError only).
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """JSONParser that turns a RecursionError (a body nested too deeply) into a ParseError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error: the body is nested too deeply.")) from None
