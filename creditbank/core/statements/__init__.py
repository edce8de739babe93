"""The bodies of the statements each kind of entry holds, as strict models (pure).

``creditbank.core.bodies.parse_body`` turns a statement's body into one of these or
refuses it naming the field; the handlers and the rules read only these models.
"""
