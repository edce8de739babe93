"""The web pages, served by the API's own app: the learner portal, the public
certificate verification page (verified in the browser), the authority's dashboard and
the API documentation offline. A shell, like ``creditbank.api``: each page calls the
services the API calls (see ADR 0015)."""
