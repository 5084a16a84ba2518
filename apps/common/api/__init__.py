"""Building blocks every API view stands on: safe defaults, strict input, uniform errors, described schema.

- `views`: base view classes (authentication, IsAuthenticated, scoped querysets, allow-listed query
  parameters, body size limits, per-action throttles);
- `filters`: the query-parameter allow-list and the allow-listed ordering;
- `pagination`: `page` + `page_size` (at most 100);
- `serializers`: serializers that refuse unknown and read-only fields instead of ignoring them;
- `parsers`: DRF's JSON parser, with a too deeply nested body refused as a 400;
- `errors`: the exception handler (Django's ValidationError → 400, StaleObjectError → 412, ...);
- `schema`: the OpenAPI AutoSchema that documents every error response.
"""
