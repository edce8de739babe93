"""The API's request and response models, one module per area, so that every route has
a schema in the OpenAPI document and every answer is checked against it.

Names follow the FastAPI full-stack template: ``XIn`` for what a client sends, ``XPublic``
for an entity as a reader sees it (built from the service's plain dicts), ``XOut`` for the
answer to a write. Response models forbid members they do not declare, so a service that
returns more (or less) than the document promises fails loudly in the tests, not quietly
in a client.
"""
